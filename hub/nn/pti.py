"""Pivotal Tuning Inversion (Roich et al. 2022, "Pivotal Tuning for Latent-based Editing of Real
Images"): the fourth way back to the latent, for images the generator cannot reproduce.

Two stages, one stream:

1. **Pivot.** The shared engine (``hub.nn.inversion``) inverts the image to a pivot code w_p with
   its ordinary phases (default: the paper's W projector, MSE + perceptual, 450 steps / STEP_DIVISOR;
   any ``InversionConfig`` may replace it, e.g. W+ from the encoder's start).
2. **Pivotal tuning.** With w_p and the noise maps frozen, the generator's *weights* are tuned so
   that G(w_p) becomes the image: L2 + perceptual loss (paper: lambda_L2 = lambda_LPIPS = 1, Adam lr
   3e-4, at most 350 steps, stopped early once the perceptual distance falls under a threshold). The
   paper's LPIPS threshold is 0.06; our perceptual term is the engine's VGG-16 feature MSE, so the
   threshold is in those units (``PTIConfig.stop_perceptual``). The optional locality regulariser
   (paper Sec. 3.3: codes w_r = w_p + alpha (w_z - w_p) / ||w_z - w_p|| must render as before) is
   off by default, as in the authors' newer configuration; lambda_L2^R = lambda_LPIPS^R = 0.1,
   alpha = 30 when on.

The tuned generator is never stored whole: ``PTIResult.delta`` holds ``tuned - base`` for the
tensors that changed (the synthesis network; the mapping network never gets a gradient), and
``save_pti`` writes it beside the latent in one safetensors file (a GAN Hub latent file with extra
``delta.<name>`` tensors and the base generator's tensor hash in its metadata, so that a plain
latent reader still loads its W+). ``load_pti`` / ``apply_delta`` rebuild the tuned generator: a
copy that shares every unchanged tensor with the base model.

``pti_steps`` is a Python generator of ``InversionStep`` (pivot steps first, then tuning steps,
numbered on; ``losses["stage"]`` is 0 for the pivot and 1 for tuning) that *returns* a ``PTIResult``;
``PTI`` wraps it (iterate, then read ``.result``); ``pti`` runs it to the end; ``stop=`` (a callable
or anything with ``is_set()``, e.g. ``threading.Event``) ends it early with the state reached.
``hub.nn.inversion.invert(G, x, method="pti")`` is the same run through the engine's entry point.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import torch

from hub.nn import inversion as inv
from hub.nn.losses import perceptual_loss

__all__ = [
    "PTIConfig",
    "PTIResult",
    "PTI",
    "pti_steps",
    "pti",
    "pivot_config",
    "weight_delta",
    "apply_delta",
    "save_pti",
    "load_pti",
    "delta_nbytes",
    "generator_hash",
    "should_stop",
]

DELTA_PREFIX = "delta."
#: the paper's first_inv_steps (W projector) divided by the engine's STEP_DIVISOR
PIVOT_STEPS = inv.scale_steps(450)


def pivot_config(space: str = "w", steps: int = PIVOT_STEPS, init: str = "w_avg", lr: float = 0.01,
                 mse: float = 1.0, perceptual: float = 1.0, yield_every: int = 10, seed: int = 0) -> inv.InversionConfig:
    """The pivot inversion: one engine phase in ``space`` ("w": the paper's choice, editable; "w+":
    closer, less editable), MSE + perceptual 1:1, Adam lr 0.01, from ``init`` (``"encoder"`` for the
    encoder's W+ start)."""
    if space not in ("w", "w+"):
        raise ValueError(f"the pivot is searched in 'w' or 'w+', not {space!r}")
    phases = (inv.Phase(space, int(steps), inv.LossWeights(mse=mse, perceptual=perceptual), lr=lr,
                        name=f"pivot {space.upper()}"),) if steps else ()
    return inv.InversionConfig(phases=phases, init=init, yield_every=yield_every, seed=seed)


@dataclass(frozen=True)
class PTIConfig:
    """Pivot search, then generator tuning (defaults: the paper's, see the module docstring)."""

    pivot: inv.InversionConfig = field(default_factory=pivot_config)
    steps: int = 350
    lr: float = 3e-4
    mse: float = 1.0
    perceptual: float = 1.0
    #: stop tuning once the perceptual term (unweighted, engine units) is below this; None: never
    stop_perceptual: float | None = 0.02
    locality: bool = False
    locality_mse: float = 0.1
    locality_perceptual: float = 0.1
    locality_alpha: float = 30.0
    locality_samples: int = 1
    yield_every: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        if self.steps < 0:
            raise ValueError("steps must be >= 0")
        if not self.lr > 0:
            raise ValueError("lr must be > 0")
        if self.yield_every < 1:
            raise ValueError("yield_every must be >= 1")

    @property
    def total_steps(self) -> int:
        return self.pivot.total_steps + self.steps


@dataclass
class PTIResult(inv.InversionResult):
    """An ``InversionResult`` (ws / noise are the pivot's; image and PSNR the tuned generator's) plus
    the tuned generator, its weight delta and how the tuning went."""

    pivot: inv.InversionResult | None = None
    generator: Any = None
    delta: dict[str, torch.Tensor] = field(default_factory=dict)
    base_hash: str = ""
    tuning_steps: int = 0
    stopped_early: bool = False

    @property
    def pivot_psnr(self) -> float:
        return float(self.pivot.psnr) if self.pivot is not None else float("nan")


def should_stop(stop: Any) -> bool:
    """True when ``stop`` (None, a callable, or an object with ``is_set()``) says so."""
    if stop is None:
        return False
    if hasattr(stop, "is_set"):
        return bool(stop.is_set())
    return bool(stop())


# ----------------------------------------------------------------------------------------------
# weights: hash, delta, copies that share what did not change


def generator_hash(G: Any) -> str:
    """sha256 of a module's state dict (names, dtypes, shapes and bytes, in name order): "same
    network?". Cached on the module by the identity of its tensors' storage and version counters."""
    import hashlib

    state = G.state_dict()
    key = tuple((k, v.data_ptr(), v._version) for k, v in state.items())
    cached = getattr(G, "_ganhub_tensor_hash", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    digest = hashlib.sha256()
    for name in sorted(state):
        t = state[name].detach().cpu().contiguous()
        digest.update(json.dumps([name, str(t.dtype), list(t.shape)]).encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    value = digest.hexdigest()
    try:
        object.__setattr__(G, "_ganhub_tensor_hash", (key, value))
    except Exception:  # not every generator takes new attributes; the hash is then recomputed
        pass
    return value


def weight_delta(base: Any, tuned: Any) -> dict[str, torch.Tensor]:
    """{name: tuned - base} for the parameters that differ (float32, on the CPU)."""
    base_params = dict(base.named_parameters())
    out = {}
    for name, p in tuned.named_parameters():
        b = base_params[name]
        if not torch.equal(p.detach(), b.detach()):
            out[name] = (p.detach().float() - b.detach().float()).cpu().contiguous()
    return out


def delta_nbytes(delta: Mapping[str, torch.Tensor], dtype: torch.dtype = torch.float16) -> int:
    """Bytes the delta takes once stored in ``dtype``."""
    return sum(t.numel() for t in delta.values()) * torch.empty((), dtype=dtype).element_size()


def _share_copy(G: Any, changed: Sequence[str]) -> Any:
    """A deep copy of G in which every tensor not named in ``changed`` IS the base tensor (shared)."""
    changed = set(changed)
    memo: dict[int, Any] = {}
    for name, p in G.named_parameters():
        if name not in changed:
            memo[id(p)] = p
    for _, b in G.named_buffers():
        memo[id(b)] = b
    return copy.deepcopy(G, memo)


def apply_delta(G: Any, delta: Mapping[str, torch.Tensor]) -> Any:
    """The tuned generator: base ``G`` plus ``delta``; unchanged tensors are shared with ``G``, so one
    tuned image costs the memory of its delta only. Checks every name and shape."""
    params = dict(G.named_parameters())
    unknown = [k for k in delta if k not in params]
    if unknown:
        raise ValueError(f"the delta names tensors this generator lacks: {unknown[:5]}")
    for k, d in delta.items():
        if tuple(d.shape) != tuple(params[k].shape):
            raise ValueError(f"delta {k} has shape {tuple(d.shape)}; the generator's is {tuple(params[k].shape)}")
    tuned = _share_copy(G, list(delta))
    tuned_params = dict(tuned.named_parameters())
    with torch.no_grad():
        for k, d in delta.items():
            tuned_params[k].add_(d.to(tuned_params[k].device, tuned_params[k].dtype))
    return tuned.eval().requires_grad_(False)


# ----------------------------------------------------------------------------------------------
# the run


def _synth(G: Any, ws: torch.Tensor, noise: Sequence[torch.Tensor] | None) -> torch.Tensor:
    out = G.synthesis(ws, noise=None if noise is None else list(noise))
    return out[0] if isinstance(out, tuple) else out


def pti_steps(
    G: Any,
    target: torch.Tensor,
    config: PTIConfig | None = None,
    *,
    stop: Any = None,
    encoder: Callable[[torch.Tensor], torch.Tensor] | None = None,
    init_ws: torch.Tensor | None = None,
    init_noise: Sequence[torch.Tensor] | None = None,
    features: Callable[[torch.Tensor], Mapping[str, torch.Tensor]] | None = None,
    progress: dict[str, Any] | None = None,
    **engine_kwargs: Any,
) -> Iterator[inv.InversionStep]:
    """Pivot (engine) then pivotal tuning, as a generator of ``InversionStep``; returns a ``PTIResult``.

    ``target`` [1,3,H,W] in [-1,1] (one image: each image gets its own tuned weights). ``G`` is never
    modified: a copy is tuned. Other keyword arguments go to the engine's pivot run (``masks``,
    ``discriminator``...). ``progress["result"](False)`` gives the state reached after a cancel.
    """
    config = config or PTIConfig()
    if isinstance(config, inv.InversionConfig):  # a bare pivot configuration
        config = PTIConfig(pivot=config)
    progress = progress if progress is not None else {}
    device = inv.generator_device(G)
    x = target.to(device, torch.float32)
    if x.dim() == 3:
        x = x[None]
    if x.shape[0] != 1:
        raise ValueError(f"pivotal tuning tunes one generator per image; got a batch of {x.shape[0]}")
    if features is None:
        features = inv.default_features(device)
    t_start = time.perf_counter()
    base_hash = generator_hash(G)

    # --- stage 1: the pivot, streamed from the engine ----------------------------------------
    run = inv.Inversion(G, x, config.pivot, encoder=encoder, init_ws=init_ws, init_noise=init_noise,
                        features=features, **engine_kwargs)
    state: dict[str, Any] = {"pivot": None, "tuned": None, "steps": 0, "early": False, "image": None}

    def result(completed: bool) -> PTIResult:
        piv = state["pivot"] if state["pivot"] is not None else run.close()
        if piv is None:
            raise RuntimeError("cancelled before the pivot search started")
        tuned = state["tuned"]
        if tuned is None:
            gen, delta = G, {}
        else:
            delta = weight_delta(G, tuned)
            gen = tuned.eval().requires_grad_(False)
        with torch.no_grad():
            img = _synth(gen, piv.ws, piv.noise)
            p = inv.psnr(img, x)
        return PTIResult(ws=piv.ws, noise=piv.noise, image=img.detach(), psnr=float(p.mean()),
                         psnrs=[float(v) for v in p], history=history, z=piv.z, completed=completed,
                         notes=list(piv.notes), pivot=piv, generator=gen, delta=delta, base_hash=base_hash,
                         tuning_steps=state["steps"], stopped_early=state["early"])

    progress["result"] = result
    history: list[dict[str, float]] = []
    pivot_steps = 0
    for item in run:
        pivot_steps = item.step
        yield inv.InversionStep(item.step, item.image, dict(item.losses, stage=0.0))
        if should_stop(stop):
            state["pivot"] = run.close()
            return result(False)
    state["pivot"] = piv = run.result
    history.extend(dict(h, stage=0.0) for h in piv.history)
    if config.steps == 0:
        return result(True)

    # --- stage 2: tune a copy of the weights around the frozen pivot ---------------------------
    tuned = _share_copy(G, [n for n, _ in G.named_parameters()])  # every parameter its own copy
    tuned.train(False)
    params = [p for p in tuned.parameters() if p.is_floating_point()]
    for p in params:
        p.requires_grad_(True)
    state["tuned"] = tuned
    ws_p = piv.ws.detach()
    noise_p = None if piv.noise is None else [n.detach() for n in piv.noise]
    opt = torch.optim.Adam(params, lr=config.lr)
    with torch.no_grad():
        feats_x = {k: v.detach() for k, v in features(x).items()}
    layers = inv.PERCEPTUAL_LAYERS
    gen = torch.Generator(device="cpu").manual_seed(int(config.seed))
    step = pivot_steps
    for k in range(config.steps):
        img = _synth(tuned, ws_p, noise_p)
        mse = torch.nn.functional.mse_loss(img, x)
        perc = perceptual_loss(features(img), feats_x, layers)
        terms = {"mse": config.mse * mse, "perceptual": config.perceptual * perc}
        if config.locality:
            terms.update(_locality_terms(G, tuned, ws_p, noise_p, features, config, gen))
        total = sum(terms.values())
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        step += 1
        state["steps"] = k + 1
        p_now = float(inv.psnr(img.detach(), x).mean())
        record = {n: float(v.detach()) for n, v in terms.items()}
        record.update(total=float(total.detach()), psnr=p_now, perceptual_distance=float(perc.detach()),
                      step=float(step), stage=1.0, time=time.perf_counter() - t_start)
        history.append(record)
        # the perceptual distance measured before this update: stop once it is under the threshold
        done = config.stop_perceptual is not None and float(perc.detach()) < config.stop_perceptual
        if done:
            state["early"] = True
        last = done or k + 1 == config.steps or should_stop(stop)
        if (k + 1) % config.yield_every == 0 or last:
            with torch.no_grad():
                shown = _synth(tuned, ws_p, noise_p)
            yield inv.InversionStep(step, shown, dict(record, psnr=float(inv.psnr(shown, x).mean())))
        if should_stop(stop):
            return result(False)
        if done:
            break
    for p in params:
        p.requires_grad_(False)
    return result(True)


def _locality_terms(G: Any, tuned: Any, ws_p: torch.Tensor, noise_p: Any, features: Callable, config: PTIConfig,
                    gen: torch.Generator) -> dict[str, torch.Tensor]:
    """Paper Sec. 3.3: w_r = w_p + alpha (w_z - w_p) / ||w_z - w_p|| must render as the base G renders it."""
    device = ws_p.device
    with torch.no_grad():
        z = torch.randn(config.locality_samples, int(G.z_dim), generator=gen).to(device)
        w_z = G.mapping(z)[:, None].expand(-1, ws_p.shape[1], -1)
        d = w_z - ws_p
        w_r = ws_p + config.locality_alpha * d / d.flatten(1).norm(dim=1).clamp_min(1e-8).view(-1, 1, 1)
        noise_r = None if noise_p is None else [n.expand(w_r.shape[0], *n.shape[1:]) for n in noise_p]
        ref = _synth(G, w_r, noise_r)
        feats_ref = {k: v.detach() for k, v in features(ref).items()}
    img_r = _synth(tuned, w_r, noise_r)
    return {"locality_mse": config.locality_mse * torch.nn.functional.mse_loss(img_r, ref),
            "locality_perceptual": config.locality_perceptual
            * perceptual_loss(features(img_r), feats_ref, inv.PERCEPTUAL_LAYERS)}


class PTI(inv.StreamingRun):
    """``pti_steps`` with memory: iterate to stream ``InversionStep``s, then read ``.result`` (a
    ``PTIResult``); ``close()`` cancels and keeps the state reached (``completed=False``)."""

    def __init__(self, G: Any, target: torch.Tensor, config: PTIConfig | inv.InversionConfig | None = None,
                 **kwargs: Any):
        self._progress: dict[str, Any] = {}
        super().__init__(pti_steps(G, target, config, progress=self._progress, **kwargs))

    def close(self) -> PTIResult | None:
        self._gen.close()
        if self.result is None and "result" in self._progress:
            try:
                self.result = self._progress["result"](False)
            except RuntimeError:
                self.result = None
        return self.result


def pti(G: Any, target: torch.Tensor, config: PTIConfig | inv.InversionConfig | None = None, **kwargs: Any) -> PTIResult:
    """Run pivotal tuning to the end and return the ``PTIResult``."""
    return PTI(G, target, config, **kwargs).run()


# ----------------------------------------------------------------------------------------------
# files: the latent and the delta, together


def save_pti(path: str | Path, result: PTIResult, G: Any = None, model: str = "",
             dtype: torch.dtype = torch.float16, **meta: Any) -> Path:
    """One safetensors file: a GAN Hub latent (``ws``, ``noise.i``) plus ``delta.<name>`` tensors in
    ``dtype`` (float16 by default: the delta is small, half precision keeps ~3 significant digits of
    it) and ``pti_base`` = the base generator's tensor hash. ``hub.nn.latents.load_latent`` reads its
    latent; ``load_pti`` its tuned generator as well."""
    from safetensors.torch import load_file, save_file

    from hub.nn.latents import save_latent

    path = Path(path)
    latent = result.latent(0)
    save_latent(path, latent["ws"], latent["noise"], G=G, model=model, psnr=f"{result.psnr:.2f}",
                pti="1", pti_base=result.base_hash, pti_steps=str(result.tuning_steps),
                delta_dtype=str(dtype).replace("torch.", ""), **meta)
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        info = dict(f.metadata() or {})
    tensors = load_file(str(path))
    tensors.update({DELTA_PREFIX + k: v.detach().to(dtype).cpu().contiguous() for k, v in result.delta.items()})
    tmp = path.with_name(f".{path.name}.tmp")
    save_file(tensors, str(tmp), metadata=info)
    tmp.replace(path)
    return path


def load_pti(path: str | Path, G: Any, check_base: bool = True) -> tuple[dict[str, Any], Any]:
    """(latent {"ws", "noise", "meta"}, tuned generator) from a ``save_pti`` file. Refuses a delta
    made for another generator (tensor hash) unless ``check_base=False``; a plain latent file gives
    ``G`` itself."""
    from safetensors.torch import load_file

    from hub.nn.latents import LatentFileError, load_latent

    latent = load_latent(path, G)
    meta = latent["meta"]
    if meta.get("pti") != "1":
        return latent, G
    if check_base and meta.get("pti_base") and meta["pti_base"] != generator_hash(G):
        raise LatentFileError(f"{Path(path).name} was tuned from another generator (tensor hash "
                              f"{meta['pti_base'][:12]}..., this one {generator_hash(G)[:12]}...)")
    tensors = load_file(str(path))
    delta = {k[len(DELTA_PREFIX):]: v.float() for k, v in tensors.items() if k.startswith(DELTA_PREFIX)}
    try:
        return latent, apply_delta(G, delta)
    except ValueError as exc:
        raise LatentFileError(f"{Path(path).name}: {exc}") from None

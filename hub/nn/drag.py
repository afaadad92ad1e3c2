"""Drag editing (Pan et al. 2023, "Drag Your GAN"): move handle points of a generated or inverted
image onto target points by optimising its W+ code, for any ``LatentGenerator``.

Each step has the paper's two parts:

* **Motion supervision.** F is an intermediate feature map of the synthesis network (captured with
  the protocol's ``activation_edit``; the layers after it are not run) resized to the image. For every
  handle p_i with unit direction d_i = (t_i - p_i) / ||t_i - p_i||, the features of the square patch
  Omega_1(p_i, r1) are pulled one pixel along d_i: L = sum_i mean_{q in Omega_1} |F(q + d_i) - sg(F(q))|
  (bilinear sampling; sg = stop gradient), plus lambda * mean |(F - F_0) * (1 - M)| that keeps the
  region outside the mask M as it was. Adam updates only the first W+ rows (paper: the first 6 of 18).
* **Point tracking.** The handle moves to the nearest neighbour, in the square Omega_2(p_i, r2), of its
  initial feature f_i = F_0(p_i).

It stops when every handle is within ``stop_distance`` pixels of its target, after ``max_steps``, or
when ``stop`` (a callable or an object with ``is_set()``) says so.

Scaling of the paper's settings (1024 / 512 px StyleGAN2, 18 W+ rows) to ours:

* feature map: the paper taps StyleGAN2's 6th block (an eighth to a quarter of the output size);
  at 64 px that is 8-16 px, too coarse to move a point by one pixel, so we tap the last layer at half
  the output resolution (32 px at 64, 128 px at 256), resized bilinearly to the output size;
* radii: the paper's r1 = 3, r2 = 12 px at 512 px scaled with the resolution and floored at 2 and
  3 px (``default_radii``): r1 = 2, r2 = 3 at 64 px, 2 and 6 at 256 px;
* rows: paper rows 1-6 of 18 via ``hub.nn.scaling.scale_layers`` (rows 0-3 of 10 at 64 px). The
  authors' code keeps ``ws[:, :6]`` at every resolution (rows 0-5 here): on a discovery set of 16
  held-out emoji disjoint from the benchmark's 30 it moved the original patch onto the target in 8
  of 16 drags against 5 with rows 0-3, but on the benchmark's 30 in 7 against 12, so the scaled rows
  stay the default (docs/editing_results.md);
* Adam lr 2e-3 in the paper; a CPU run at 64 px must finish in well under a minute, so the default is
  2e-2 (``DragConfig.lr``);
* lambda (the mask term's weight) 5 instead of the paper's 20: on held-out emoji at 64 px (80 steps),
  lambda 20 left the handle where it was in 5 of 6 drags, lambda 10 brought 2 of 12 to their
  targets, lambda 5 brought 9 of 12 with the outside still above 28 dB (docs/editing_results.md);
* tracking: the paper compares each candidate's feature with the handle's initial feature; at 64 px
  that single feature drifts along edges (a handle on an eye's rim slid along the rim), so by default
  the (2 t + 1)^2 feature patch around the handle is compared (``track_radius`` t = 1; 0 is the
  paper's tracker).

``image_mask_weight`` (off by default, not in the paper) adds an L1 on the output's pixels outside
the mask; on a discovery set it traded the move for the background like lambda does
(docs/editing_results.md).

``drag_steps`` is a Python generator of ``DragStep`` (current handles, image every ``yield_every``
steps and at the end) returning a ``DragResult``; ``drag`` wraps it in a ``StreamingRun``:

    from hub.nn.drag import drag
    run = drag(G, latent, handles=[(30, 40)], targets=[(36, 40)])
    for step in run: ...          # step.handles, step.image
    run.result.ws, run.result.image
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, NamedTuple, Sequence

import torch
import torch.nn.functional as F

from hub.nn.inversion import StreamingRun, generator_device, psnr
from hub.nn.scaling import scale_layers

__all__ = ["DragConfig", "DragStep", "DragResult", "Drag", "drag", "drag_steps", "feature_layer", "default_radii",
           "draw_points", "patch_match"]

Point = Sequence[float]  # (x, y) in output pixels, origin top-left


@dataclass(frozen=True)
class DragConfig:
    """Settings (None = scaled from the paper for this generator; see the module docstring)."""

    max_steps: int = 200
    lr: float = 2e-2
    r1: int | None = None
    r2: int | None = None
    mask_weight: float = 5.0  # the paper's lambda (20 there; see the module docstring)
    image_mask_weight: float = 0.0  # weight of an extra L1 on the output's pixels outside the mask (not in the paper)
    layers: tuple[int, ...] | None = None  # W+ rows that move; None: paper rows 1-6 of 18
    feature_layer: int | None = None  # synthesis layer whose output is F; None: see feature_layer()
    stop_distance: float = 1.0
    track_radius: int = 1  # 0: track the handle's own feature (the paper); t > 0: its (2t+1)^2 feature patch
    track_layer: int | None = None  # layer the tracker compares; None: feature_layer (the paper; 64 px did worse)
    yield_every: int = 1
    render_every: int = 5  # full images in the stream every this many steps (the last one always)

    def __post_init__(self) -> None:
        if self.max_steps < 0 or self.yield_every < 1 or self.render_every < 1 or self.track_radius < 0:
            raise ValueError("max_steps >= 0, yield_every >= 1, render_every >= 1 and track_radius >= 0 please")
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError("lr must be a positive number")
        if not (self.image_mask_weight >= 0 and math.isfinite(self.image_mask_weight)):
            raise ValueError("image_mask_weight must be a number >= 0")


class DragStep(NamedTuple):
    """What the run yields: step (1-based), current handles [(x, y)], targets, image [1,3,H,W] or None
    (rendered every ``render_every`` steps), losses."""

    step: int
    handles: list[tuple[float, float]]
    targets: list[tuple[float, float]]
    image: torch.Tensor | None
    losses: dict[str, float]


@dataclass
class DragResult:
    ws: torch.Tensor
    noise: list[torch.Tensor] | None
    image: torch.Tensor
    handles: list[tuple[float, float]]
    targets: list[tuple[float, float]]
    steps: int
    reached: bool
    completed: bool
    seconds: float
    history: list[dict[str, float]] = field(default_factory=list)

    def latent(self) -> dict[str, Any]:
        return {"ws": self.ws.detach().clone(), "noise": None if self.noise is None else [n.clone() for n in self.noise]}

    @property
    def distances(self) -> list[float]:
        return [math.dist(h, t) for h, t in zip(self.handles, self.targets)]


def default_radii(size: int) -> tuple[int, int]:
    """(r1, r2): the paper's 3 and 12 px at 512 px scaled to ``size``, never below 2 and 3 px (at
    64 px 3 * 64 / 512 would round to 0: a patch of one pixel has no direction to move along)."""
    return max(2, round(3 * size / 512)), max(3, round(12 * size / 512))


def feature_layer(G: Any) -> int:
    """The last synthesis layer whose output is at most half the output resolution (at least 8 px)."""
    res = list(G.layer_resolutions)
    goal = max(8, int(G.resolution) // 2)
    candidates = [i for i, r in enumerate(res) if r <= goal]
    return candidates[-1] if candidates else len(res) - 1


class _Captured(Exception):
    """Raised inside ``activation_edit`` once the feature map is in hand: the later layers are skipped."""


def _features(G: Any, ws: torch.Tensor, noise: Any, layer: int, size: int, full: bool = False):
    """(F resized to size x size, image or None)."""
    box: dict[str, torch.Tensor] = {}

    def grab(i: int, act: torch.Tensor) -> torch.Tensor:
        if i == layer:
            box["f"] = act
            if not full:
                raise _Captured
        return act

    image = None
    try:
        out = G.synthesis(ws, noise=noise, activation_edit=grab)
        image = out[0] if isinstance(out, tuple) else out
    except _Captured:
        pass
    f = box["f"]
    if f.shape[-1] != size:
        f = F.interpolate(f, size=(size, size), mode="bilinear", align_corners=False)
    return f, image


def _sample(feat: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
    """Bilinear features at pixel coordinates points [P, 2] (x, y) -> [C, P] (pixel centres at integers)."""
    H, W = feat.shape[-2:]
    grid = torch.stack([(points[:, 0] + 0.5) / W * 2 - 1, (points[:, 1] + 0.5) / H * 2 - 1], -1)
    return F.grid_sample(feat, grid.view(1, 1, -1, 2).to(feat.dtype), mode="bilinear", align_corners=False,
                         padding_mode="border")[0, :, 0]


def _square(center: torch.Tensor, r: int, size: int) -> torch.Tensor:
    """Integer-offset points of the square of radius r around ``center`` (x, y), clipped to the image."""
    off = torch.arange(-r, r + 1, dtype=torch.float32)
    yy, xx = torch.meshgrid(off, off, indexing="ij")
    pts = torch.stack([xx.flatten(), yy.flatten()], -1) + center.view(1, 2)
    return pts.clamp(0, size - 1)


def _as_points(points: Any, name: str, size: int) -> list[tuple[float, float]]:
    out = []
    for p in points:
        x, y = float(p[0]), float(p[1])
        if not (math.isfinite(x) and math.isfinite(y) and 0 <= x <= size - 1 and 0 <= y <= size - 1):
            raise ValueError(f"{name} point ({x}, {y}) lies outside the {size}x{size} image")
        out.append((x, y))
    return out


def drag_steps(G: Any, latent: Any, handles: Sequence[Point], targets: Sequence[Point], mask: Any = None,
               config: DragConfig | None = None, *, stop: Any = None,
               progress: dict[str, Any] | None = None) -> Iterator[DragStep]:
    """Drag ``handles`` onto ``targets`` (same length, (x, y) pixels); returns a ``DragResult``.

    ``latent``: {"ws": [1,num_ws,w_dim] or [1,w_dim], "noise": maps or None} (an inversion's
    ``latent()``, a loaded latent file) or a bare W / W+ tensor. ``mask``: [H,W] (array or tensor,
    1 = may move); None lets the whole image move.
    """
    from hub.nn.pti import should_stop

    config = config or DragConfig()
    progress = progress if progress is not None else {}
    device = generator_device(G)
    size = int(G.resolution)
    num_ws = int(G.num_ws)
    if isinstance(latent, torch.Tensor):
        latent = {"ws": latent, "noise": None}
    elif not isinstance(latent, Mapping):
        latent = {"ws": latent.ws[:1], "noise": None if latent.noise is None else [n[:1] for n in latent.noise]}
    ws0 = latent["ws"].to(device, torch.float32)
    if ws0.dim() == 2:
        ws0 = ws0[:, None].repeat(1, num_ws, 1)
    if ws0.shape[0] != 1 or ws0.shape[1] != num_ws:
        raise ValueError(f"drag edits one W+ code [1, {num_ws}, w_dim]; got {tuple(ws0.shape)}")
    noise = latent.get("noise")
    noise = None if noise is None else [n.to(device, torch.float32) for n in noise]
    h_list, t_list = _as_points(handles, "handle", size), _as_points(targets, "target", size)
    if not h_list or len(h_list) != len(t_list):
        raise ValueError("give one target for each handle (at least one pair)")
    r1, r2 = default_radii(size)
    r1 = config.r1 if config.r1 is not None else r1
    r2 = config.r2 if config.r2 is not None else r2
    rows = config.layers if config.layers is not None else scale_layers([(1, 6)], num_ws)
    layer = config.feature_layer if config.feature_layer is not None else feature_layer(G)
    tlayer = config.track_layer if config.track_layer is not None else layer
    m = None
    if mask is not None:
        m = torch.as_tensor(mask, dtype=torch.float32, device=device)
        while m.dim() < 4:
            m = m[None]
        m = m.mean(1, keepdim=True) if m.shape[1] != 1 else m
        if tuple(m.shape[-2:]) != (size, size):
            m = F.interpolate(m, size=(size, size), mode="bilinear", align_corners=False)
        m = (m > 0.5).float()

    row_mask = torch.zeros(1, num_ws, 1, device=device)
    row_mask[0, list(rows)] = 1.0
    var = ws0.clone().requires_grad_(True)
    opt = torch.optim.Adam([var], lr=config.lr)
    handles_t = torch.tensor(h_list, dtype=torch.float32, device=device)
    targets_t = torch.tensor(t_list, dtype=torch.float32, device=device)
    with torch.no_grad():
        f0, image0 = _features(G, ws0, noise, layer, size, full=True)
        ft0 = f0 if tlayer == layer else _features(G, ws0, noise, tlayer, size)[0]
        # what each handle looks like, tracked all along: its feature (the paper), or the features of
        # the (2 t + 1)^2 square around it with track_radius t > 0
        offsets = _square(torch.full((2,), float(config.track_radius)), int(config.track_radius), 10 ** 6)
        offsets = (offsets - float(config.track_radius)).to(device)
        f_handles = torch.stack([_sample(ft0, (h[None] + offsets).clamp(0, size - 1)) for h in handles_t], 1)  # [C, P, K]
    t_start = time.perf_counter()
    history: list[dict[str, float]] = []
    state = {"ws": ws0, "image": image0, "steps": 0}

    def current_ws() -> torch.Tensor:
        return var * row_mask + ws0 * (1 - row_mask)

    def reached() -> bool:
        return bool(((handles_t - targets_t).norm(dim=1) <= config.stop_distance).all())

    def result(completed: bool) -> DragResult:
        with torch.no_grad():
            img = G.synthesis(state["ws"], noise=noise)
            img = img[0] if isinstance(img, tuple) else img
        return DragResult(ws=state["ws"].detach(), noise=noise, image=img.detach(),
                          handles=[tuple(map(float, p)) for p in handles_t.tolist()], targets=t_list,
                          steps=state["steps"], reached=reached(), completed=completed,
                          seconds=time.perf_counter() - t_start, history=history)

    progress["result"] = result
    pixel_term = m is not None and config.image_mask_weight > 0  # needs the whole image each step
    for step in range(1, config.max_steps + 1):
        if reached() or should_stop(stop):
            break
        ws_now = current_ws()
        feat, image_now = _features(G, ws_now, noise, layer, size, full=pixel_term)
        motion = feat.new_zeros(())
        for i in range(len(h_list)):
            d = targets_t[i] - handles_t[i]
            dist = float(d.norm())
            d = d / max(dist, 1e-8) * min(1.0, dist)  # one pixel, or what is left
            q = _square(handles_t[i], r1, size)
            src = _sample(feat, q).detach()
            dst = _sample(feat, q + d.view(1, 2))
            motion = motion + (dst - src).abs().mean()
        terms = {"motion": motion}
        if m is not None and config.mask_weight:
            terms["mask"] = config.mask_weight * ((feat - f0) * (1 - m)).abs().mean()
        if pixel_term:
            terms["mask_image"] = config.image_mask_weight * ((image_now - image0) * (1 - m)).abs().mean()
        total = sum(terms.values())
        opt.zero_grad(set_to_none=True)
        total.backward()
        opt.step()
        # point tracking on the features of the updated code
        with torch.no_grad():
            ws_new = current_ws().detach()
            render = step % config.render_every == 0
            feat, image = _features(G, ws_new, noise, tlayer, size, full=render)
            for i in range(len(h_list)):
                cand = _square(handles_t[i].round(), r2, size)  # [Q, 2]
                fc = _sample(feat, (cand[:, None] + offsets[None]).reshape(-1, 2).clamp(0, size - 1))
                fc = fc.view(fc.shape[0], len(cand), len(offsets))  # [C, Q, K]
                best = (fc - f_handles[:, i : i + 1]).abs().sum((0, 2)).argmin()
                handles_t[i] = cand[best]
        state["ws"], state["steps"] = ws_new, step
        record = {k: float(v.detach()) for k, v in terms.items()}
        record.update(total=float(total.detach()), step=float(step), time=time.perf_counter() - t_start,
                      distance=float((handles_t - targets_t).norm(dim=1).max()))
        history.append(record)
        done = reached() or step == config.max_steps or should_stop(stop)
        if done and image is None:
            with torch.no_grad():
                image = G.synthesis(ws_new, noise=noise)
                image = image[0] if isinstance(image, tuple) else image
        if step % config.yield_every == 0 or done:
            yield DragStep(step, [tuple(p) for p in handles_t.tolist()], t_list, image, record)
    return result(not should_stop(stop))


class Drag(StreamingRun):
    """``drag_steps`` with memory: iterate to stream ``DragStep``s, then read ``.result``."""

    def __init__(self, G: Any, latent: Any, handles: Sequence[Point], targets: Sequence[Point], mask: Any = None,
                 config: DragConfig | None = None, **kwargs: Any):
        self._progress: dict[str, Any] = {}
        super().__init__(drag_steps(G, latent, handles, targets, mask, config, progress=self._progress, **kwargs))

    def close(self) -> DragResult | None:
        self._gen.close()
        if self.result is None and "result" in self._progress:
            self.result = self._progress["result"](False)
        return self.result


def drag(G: Any, latent: Any, handles: Sequence[Point], targets: Sequence[Point], mask: Any = None,
         config: DragConfig | None = None, **kwargs: Any) -> Drag:
    """A streaming drag run (iterate it, or ``.run()`` for the ``DragResult``); see ``drag_steps``."""
    return Drag(G, latent, handles, targets, mask, config, **kwargs)


# ----------------------------------------------------------------------------------------------
# helpers for the tab and the benchmark


def draw_points(image: Any, handles: Sequence[Point], targets: Sequence[Point], scale: int = 1):
    """PIL copy of ``image`` (PIL or [1,3,H,W] tensor), enlarged ``scale`` times, with red handles,
    blue targets and an arrow between each pair."""
    from PIL import ImageDraw

    from hub.images import to_pil

    img = to_pil(image) if isinstance(image, torch.Tensor) else image.copy()
    img = img.convert("RGB")
    if scale > 1:
        from PIL import Image

        img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    draw = ImageDraw.Draw(img)
    r = max(2, scale * 1.5)

    def c(p: Point) -> tuple[float, float]:
        return ((float(p[0]) + 0.5) * scale, (float(p[1]) + 0.5) * scale)

    for h, t in zip(handles, targets):
        draw.line([c(h), c(t)], fill=(255, 255, 255), width=max(1, scale // 3))
    for t in targets:
        x, y = c(t)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(40, 90, 255), outline=(255, 255, 255))
    for h in handles:
        x, y = c(h)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 40, 40), outline=(255, 255, 255))
    return img


def patch_match(before: torch.Tensor, after: torch.Tensor, point: Point, radius: int = 3,
                search: int = 12) -> tuple[float, float]:
    """Where the patch of ``before`` ([1,3,H,W]) around ``point`` lies in ``after``: the centre of the
    best sum-of-squared-differences match within ``search`` pixels (a tracker-independent judge)."""
    H, W = before.shape[-2:]
    x0, y0 = int(round(point[0])), int(round(point[1]))
    pad = radius + search
    b = F.pad(before, [pad] * 4, mode="replicate")
    a = F.pad(after, [pad] * 4, mode="replicate")
    patch = b[..., y0 + pad - radius : y0 + pad + radius + 1, x0 + pad - radius : x0 + pad + radius + 1]
    region = a[..., y0 + pad - radius - search : y0 + pad + radius + search + 1,
               x0 + pad - radius - search : x0 + pad + radius + search + 1]
    windows = F.unfold(region, kernel_size=2 * radius + 1)  # [1, 3*k*k, L]
    ssd = ((windows - patch.reshape(1, -1, 1)) ** 2).sum(1)[0]
    side = 2 * search + 1
    best = int(ssd.argmin())
    return float(x0 - search + best % side), float(y0 - search + best // side)


def outside_psnr(before: torch.Tensor, after: torch.Tensor, mask: Any) -> float:
    """PSNR (dB) of ``after`` against ``before`` over the pixels outside ``mask`` (1 = painted)."""
    m = torch.as_tensor(mask, dtype=torch.float32, device=before.device)
    while m.dim() < 4:
        m = m[None]
    return float(psnr(after, before, 1 - m).mean())

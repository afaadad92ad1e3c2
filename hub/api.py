"""Typed specs and protocols shared by the hub and every plugin.

Everything a plugin hands to ``register`` is one of the frozen dataclasses
below. Technique plugins talk to models only through the protocols here, so
that any model registered under an interface works in every tab that asks for
that interface (a third-party StyleGAN2 trained on cats appears in all the
editing tabs with no change to them).

Conventions that every plugin follows:

* image tensors are float32, NCHW, RGB, in ``[-1, 1]``;
* PIL images cross the API boundary in RGB (``hub.images`` converts uploads);
* ids are namespaced by plugin: weight ids ``"{family}-{variant}..."``,
  api names ``"{plugin}_{action}"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:  # keep `import hub` free of torch and gradio
    import torch

__all__ = [
    "WeightSpec",
    "ModelSpec",
    "Demo",
    "TrainerSpec",
    "DatasetSpec",
    "EntryPoint",
    "DemoContext",
    "LatentGenerator",
    "LatentEncoder",
    "Discriminator",
    "AttributeClassifier",
    "SuperResolver",
    "StyleTransfer",
    "TextToImage",
    "ActivationEdit",
    "INTERFACE_LATENT_GENERATOR",
    "INTERFACE_LATENT_ENCODER",
    "INTERFACE_DISCRIMINATOR",
    "INTERFACE_ATTRIBUTE_CLASSIFIER",
    "INTERFACE_SUPER_RESOLVER",
    "INTERFACE_STYLE_TRANSFER",
    "INTERFACE_TEXT_TO_IMAGE",
    "INTERFACE_VGG_FEATURES",
    "RELATED_ROLES",
    "StepsGPUSeconds",
    "steps_gpu_seconds",
    "DEFAULT_GPU_SECONDS",
    "Budget",
    "StepsBudget",
    "steps_budget",
    "SECONDS_PER_W_STEP",
    "SECONDS_PER_NOISE_STEP",
    "OPTIMISATION_MEMORY",
    "BASE_SECONDS",
]

#: Interface names a ``ModelSpec`` is registered under; each is the name of a Protocol below, which
#: ``hub.testing`` checks a built model against (shapes, value ranges, attributes).
INTERFACE_LATENT_GENERATOR = "LatentGenerator"
INTERFACE_LATENT_ENCODER = "LatentEncoder"
INTERFACE_DISCRIMINATOR = "Discriminator"
INTERFACE_ATTRIBUTE_CLASSIFIER = "AttributeClassifier"
INTERFACE_SUPER_RESOLVER = "SuperResolver"
INTERFACE_STYLE_TRANSFER = "StyleTransfer"
INTERFACE_TEXT_TO_IMAGE = "TextToImage"
#: The core's VGG feature taps (``hub.nn.vgg.vgg_features``): ``vgg19`` and ``vgg16``, registered by the
#: core so that a Demo whose losses use them declares them like any other model.
INTERFACE_VGG_FEATURES = "VGGFeatures"

#: The roles of ``ModelSpec.related`` that the built-in techniques read, and what each names:
#: a model name, except ``directions``, which names a weight id.
RELATED_ROLES = {
    "encoder": "a LatentEncoder for this generator: image -> W+ (a fast start for inversion)",
    "discriminator": "the Discriminator trained with this generator (a realism term for edits)",
    "classifier": "an AttributeClassifier that judges this generator's samples and edits",
    "directions": "a weight id: labelled latent directions (safetensors) for this generator",
    "imagenet": "a weight id: the ImageNet weights a VGG feature model uses where the Hub is reachable",
}


@dataclass(frozen=True)
class WeightSpec:
    """One weight file: where it comes from, how to check it, where an embedded copy lies.

    ``format`` is ``"safetensors"`` (loaded directly) or ``"pickle"`` (an upstream
    checkpoint: it is only ever read by ``ganhub weights convert ID``, which calls
    ``converter`` and writes a safetensors file into the conversion cache).
    """

    id: str
    filename: str
    repo_id: str | None = None
    revision: str | None = None
    repo_type: str = "model"
    sha256: str | None = None
    license: str = "unknown"
    format: str = "safetensors"
    embedded: str | None = None  # path relative to the repo root (or absolute for third parties)
    size: int | None = None
    converter: str | None = None  # "package.module:function", state_dict -> state_dict
    description: str = ""


@dataclass(frozen=True)
class ModelSpec:
    """A loadable model: ``build(paths)`` gets verified local paths keyed by weight id.

    ``related`` links companions by role, e.g. ``{"encoder": "stylegan2-emoji64-encoder",
    "discriminator": ..., "classifier": ..., "directions": <weight id>}``.
    ``plugin`` and ``offline`` are filled in by the registry; plugins leave them unset.
    """

    name: str
    family: str
    interface: str
    build: Callable[[Mapping[str, Path]], Any]
    weights: tuple[str, ...] = ()
    description: str = ""
    related: Mapping[str, str] = field(default_factory=dict)
    offline: bool = False  # derived by the registry from the weights (every one embedded); kept for weightless models
    plugin: str = ""


@dataclass(frozen=True)
class Demo:
    """A tab. ``build(ctx)`` creates its components inside an open ``gr.Tab``.

    ``models`` names the model specs (or interfaces, prefixed ``"interface:"``) the demo may load,
    the core's VGG feature models (``"vgg19"``, ``"vgg16"``) included when its losses use them; the
    Spaces generator and the Plugins tab read it. ``heavy``: a request runs an optimisation (an
    inversion, Gatys, a drag), so a Space of this demo is suggested a GPU. ``gpu_seconds``: ZeroGPU
    seconds per heavy action (the action given to ``ctx.api_name``), a number or a function of the
    handler's arguments by parameter name (``hub.steps_gpu_seconds`` builds the usual one); an
    undeclared heavy action gets a fixed default. ``budgets``: what one request of an action costs on the
    reference machine, a ``Budget`` or a function of the handler's arguments by parameter name returning
    one (``hub.steps_budget`` builds the usual one); the core refuses a request whose cost on the machine
    it runs on exceeds that machine's budget, before any work (see ``hub.ui.budget``). ``space``: the Space card
    (``emoji``, ``short``, ``tags``, ``papers``, ``limits``) of the plugin's generated Space.
    Nothing reads a plugin's source or widget labels to find these out.
    """

    id: str
    title: str
    build: Callable[["DemoContext"], None]
    order: int = 100
    description: str = ""
    models: tuple[str, ...] = ()
    heavy: bool = False
    gpu_seconds: Mapping[str, Any] = field(default_factory=dict)
    budgets: Mapping[str, Any] = field(default_factory=dict)
    space: Mapping[str, Any] = field(default_factory=dict)
    plugin: str = ""


@dataclass(frozen=True)
class EntryPoint:
    """A command's ``main`` named as ``"package.module:function"``, imported when first called.

    A registration module stays cheap to import (no torch, no trainer code) without a wrapper
    function per command: ``TrainerSpec(name, main="ganhub_cats.train:main")``.
    """

    target: str

    def __post_init__(self) -> None:
        module, sep, attr = self.target.partition(":")
        if not (sep and module and attr and all(p.isidentifier() for p in module.split(".") + attr.split("."))):
            raise ValueError(f"entry point {self.target!r} is not 'package.module:function'")

    def resolve(self) -> Callable[[Sequence[str]], int | None]:
        """Import the module and return the function (an ImportError or AttributeError names it)."""
        import importlib

        module, _, attr = self.target.partition(":")
        found: Any = importlib.import_module(module)
        for part in attr.split("."):
            try:
                found = getattr(found, part)
            except AttributeError:
                raise AttributeError(f"entry point {self.target!r}: {module} has no {attr}") from None
        return found

    def __call__(self, argv: Sequence[str]) -> int | None:
        return self.resolve()(list(argv))


def _entry_point(main: Any) -> Any:
    """A ``"module:function"`` string becomes an ``EntryPoint``; a callable stays as it is."""
    return EntryPoint(main) if isinstance(main, str) else main


@dataclass(frozen=True)
class TrainerSpec:
    """A training entry point: ``ganhub train NAME [args…]`` calls ``main(args)``.

    ``main`` is a callable or a ``"package.module:function"`` string, imported on the first call
    (stored as an ``EntryPoint``, so ``spec.main(args)`` works for both).
    """

    name: str
    main: Callable[[Sequence[str]], int | None] | str
    help: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "main", _entry_point(self.main))


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset builder: ``ganhub data NAME [args…]`` calls ``main(args)``; it builds offline,
    reproducibly, into a cache folder outside the repository. ``main`` is a callable or a
    ``"package.module:function"`` string, as for ``TrainerSpec``."""

    name: str
    main: Callable[[Sequence[str]], int | None] | str
    help: str = ""
    plugin: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "main", _entry_point(self.main))


@runtime_checkable
class DemoContext(Protocol):
    """What a tab's ``build`` receives from the app shell."""

    plugin: str
    #: Gradio ``concurrency_id`` of this demo's compute events: one queue for the heavy demos (the
    #: optimisations), another for the quick ones, so a sample never waits behind an inversion.
    heavy_concurrency_id: str

    def api_name(self, action: str) -> str:
        """``"{plugin}_{action}"``; the shell refuses duplicates across the app."""

    def get_model(self, name: str) -> Any:
        """Load (once) and return the model registered as ``name``."""

    def models_for(self, interface: str) -> list[str]:
        """Names of registered models that implement ``interface``, default first."""

    def related_model(self, name: str, role: str) -> Any | None:
        """The companion of model ``name`` in ``role`` (see ``RELATED_ROLES``), loaded; None if it has none."""

    def related_name(self, name: str, role: str) -> str | None:
        """What ``ModelSpec.related[role]`` of model ``name`` names (a model, or for "directions" a weight id)."""

    def weight_path(self, weight_id: str) -> Path:
        """The verified local file of a registered weight (a missing or tampered one is a readable error)."""


#: ``edit(layer_index, activation) -> activation``; called for every synthesis layer.
ActivationEdit = Callable[[int, "torch.Tensor"], "torch.Tensor"]


@runtime_checkable
class LatentGenerator(Protocol):
    """A StyleGAN-like generator: Z -> W -> W+ (num_ws latents) -> image.

    Synthesis layers are numbered 0 .. num_layers-1 in forward order (layer 0 is the
    first 3x3 conv on the constant input); ``layer_resolutions[i]`` is the spatial
    size of layer i's output. Noise inputs follow the same order, one per layer.
    """

    resolution: int
    z_dim: int
    w_dim: int
    num_ws: int
    num_layers: int
    layer_resolutions: Sequence[int]

    @property
    def w_avg(self) -> "torch.Tensor":
        """The tracked mean of W, shape [w_dim]."""

    def mapping(self, z: "torch.Tensor", truncation_psi: float = 1.0) -> "torch.Tensor":
        """Z [N, z_dim] -> W [N, w_dim], truncated towards w_avg by psi."""

    def synthesis(
        self,
        ws: "torch.Tensor",
        noise: Sequence["torch.Tensor"] | None = None,
        activation_edit: ActivationEdit | None = None,
        return_activations: bool = False,
    ) -> Any:
        """W+ [N, num_ws, w_dim] (or W [N, w_dim], broadcast) -> image [N, 3, H, W] in [-1, 1].

        ``noise`` replaces the stored constant noise maps (None keeps them);
        ``activation_edit`` may read, replace or blend any layer's feature map;
        with ``return_activations`` it returns ``(image, [activation per layer])``.
        """

    def make_noise(self, batch: int = 1, generator: "torch.Generator | None" = None) -> list["torch.Tensor"]:
        """Fresh N(0, I) noise maps, one per layer, shaped for ``synthesis``."""


@runtime_checkable
class LatentEncoder(Protocol):
    """Image -> W+: ``encoder(x)`` maps [N, 3, R, R] in [-1, 1] (R = its generator's resolution) to
    [N, num_ws, w_dim] codes that the generator's ``synthesis`` accepts."""

    def __call__(self, x: "torch.Tensor") -> "torch.Tensor": ...


@runtime_checkable
class Discriminator(Protocol):
    """Image -> realism: ``discriminator(x)`` maps [N, 3, R, R] in [-1, 1] to one logit per image
    ([N] or [N, 1]); higher means more real."""

    def __call__(self, x: "torch.Tensor") -> "torch.Tensor": ...


@runtime_checkable
class AttributeClassifier(Protocol):
    """Image -> attributes: ``attributes`` maps each attribute to its class names; ``classifier(x)``
    returns ``{attribute: logits [N, classes]}`` and ``predict(x)`` ``{attribute: LongTensor [N]}``
    for [N, 3, H, W] images in [-1, 1] (any size: it resizes to its own)."""

    attributes: Mapping[str, Sequence[str]]

    def __call__(self, x: "torch.Tensor") -> Mapping[str, "torch.Tensor"]: ...

    def predict(self, x: "torch.Tensor") -> Mapping[str, "torch.Tensor"]: ...


@runtime_checkable
class SuperResolver(Protocol):
    """Low resolution -> high: ``model(x)`` maps [N, 3, h, w] in [-1, 1] to [N, 3, scale·h, scale·w]
    in [-1, 1]."""

    scale: int

    def __call__(self, x: "torch.Tensor") -> "torch.Tensor": ...


@runtime_checkable
class StyleTransfer(Protocol):
    """Content + style -> stylised: ``model(content, style, alpha)`` maps [N, 3, H, W] content and
    [N, 3, h, w] style images in [-1, 1] to [N, 3, H, W] in [-1, 1]; ``alpha`` in [0, 1] blends from
    the content's features (0) to the fully stylised ones (1)."""

    def __call__(self, content: "torch.Tensor", style: "torch.Tensor", alpha: float = 1.0) -> "torch.Tensor": ...


@runtime_checkable
class TextToImage(Protocol):
    """Text -> image: ``encode(prompts)`` gives [N, text_dim] embeddings; ``model(z, text_emb)`` maps
    [N, z_dim] noise and them to [N, 3, R, R] images in [-1, 1]."""

    z_dim: int

    def encode(self, prompts: Sequence[str]) -> "torch.Tensor": ...

    def __call__(self, z: "torch.Tensor", text_emb: "torch.Tensor") -> "torch.Tensor": ...


#: ZeroGPU seconds for a heavy handler whose plugin did not derive its own from the job and that
#: declares no step-count parameters to derive it from.
DEFAULT_GPU_SECONDS = 60
#: Job-derived ZeroGPU durations (``steps_gpu_seconds``): a base for loading and one forward pass, plus
#: seconds per optimisation step the user asked for (a 64-1024 px StyleGAN2 + VGG step is 5-60 ms on
#: an H200 slice), capped at ZeroGPU's own ceiling.
BASE_GPU_SECONDS = 20
GPU_SECONDS_PER_STEP = 0.05
MAX_GPU_SECONDS = 300


class StepsGPUSeconds:
    """ZeroGPU seconds of a job from its step counts: ``BASE_GPU_SECONDS`` plus ``GPU_SECONDS_PER_STEP``
    for each step in the handler parameters ``steps``, times the parameters ``times`` (variations,
    batch), capped at ``MAX_GPU_SECONDS``. Called with the handler's arguments by name; odd values
    (a string, None) count as zero, so a bad request is refused by the handler, not by the shim."""

    def __init__(self, steps: Sequence[str], times: Sequence[str] = ()) -> None:
        self.params = tuple(steps) + tuple(times)
        self.steps, self.times = tuple(steps), tuple(times)

    @staticmethod
    def _number(value: Any) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            return 0.0
        return number if number == number and number > 0 else 0.0  # NaN and negatives count as nothing

    def __call__(self, **arguments: Any) -> float:
        steps = sum(self._number(arguments.get(name)) for name in self.steps)
        for name in self.times:
            steps *= max(1.0, self._number(arguments.get(name)))
        return min(MAX_GPU_SECONDS, BASE_GPU_SECONDS + GPU_SECONDS_PER_STEP * steps)


def steps_gpu_seconds(*steps: str, times: Sequence[str] = ()) -> StepsGPUSeconds:
    """The usual ``Demo.gpu_seconds`` value: seconds from the handler parameters that count steps."""
    return StepsGPUSeconds(steps, times)


@dataclass(frozen=True)
class Budget:
    """What one request costs on the reference machine (2 shared CPU cores, torch on one thread, the
    machine the step costs below were measured on): wall-clock ``seconds`` and the peak ``memory_bytes``
    it allocates beyond the models already loaded. ``hub.ui.budget`` scales it to the machine the hub
    runs on and compares it with that machine's limits."""

    seconds: float
    memory_bytes: float = 0.0


#: Reference costs of one optimisation step of a 64 px StyleGAN2 with the VGG-16 perceptual loss
#: (docs/i2s_plusplus_results.md, 1 thread on the shared 2-core CPU: W_l step 111-140 ms, Mk_n step
#: 37-61 ms), and the memory one image of such an optimisation adds to the loaded models: the activations
#: kept for backward through G and VGG-16 to conv3_3 at 256 px (~130 MB) and their gradients, from the
#: layer sizes, rounded up (not measured).
SECONDS_PER_W_STEP = 0.12
SECONDS_PER_NOISE_STEP = 0.05
OPTIMISATION_MEMORY = 1 << 28
#: Loading the models and one forward pass, before the first step.
BASE_SECONDS = 3.0


class StepsBudget:
    """A ``Demo.budgets`` value from step counts: ``BASE_SECONDS`` plus, for each handler parameter in
    ``seconds_per_step``, its value times those seconds, the whole times the parameters ``times``
    (variations, batch); memory ``memory_bytes`` times the same batch. Odd values count as zero, as
    in ``StepsGPUSeconds`` (the input checks refuse them before this is asked)."""

    def __init__(self, seconds_per_step: Mapping[str, float], times: Sequence[str] = (),
                 memory_bytes: float = OPTIMISATION_MEMORY) -> None:
        self.seconds_per_step, self.times = dict(seconds_per_step), tuple(times)
        self.memory_bytes = memory_bytes
        self.params = tuple(self.seconds_per_step) + self.times

    def __call__(self, **arguments: Any) -> Budget:
        number = StepsGPUSeconds._number
        seconds = sum(number(arguments.get(name)) * cost for name, cost in self.seconds_per_step.items())
        batch = 1.0
        for name in self.times:
            batch *= max(1.0, number(arguments.get(name)))
        return Budget(BASE_SECONDS + seconds * batch, self.memory_bytes * batch)


def steps_budget(times: Sequence[str] = (), memory_bytes: float = OPTIMISATION_MEMORY,
                 **seconds_per_step: float) -> StepsBudget:
    """The usual ``Demo.budgets`` value: ``steps_budget(w_=SECONDS_PER_W_STEP, n_=SECONDS_PER_NOISE_STEP)``
    names the handler parameters that count steps and what one step of each costs."""
    return StepsBudget(seconds_per_step, times, memory_bytes)

"""GAN Hub: the stable surface a plugin author may import.

Only names exported here are stable; ``hub.<submodule>`` imports are internal and may
change. Importing ``hub`` is cheap: torch and gradio load only when a name that needs
them is first touched (see ``__getattr__``).
"""

from __future__ import annotations

import importlib
from typing import Any

import pluggy

from hub.api import (
    INTERFACE_LATENT_GENERATOR,
    ActivationEdit,
    Budget,
    DatasetSpec,
    Demo,
    DemoContext,
    LatentGenerator,
    ModelSpec,
    TrainerSpec,
    WeightSpec,
    steps_budget,
    steps_gpu_seconds,
)
from hub.hookspecs import PROJECT

__version__ = "0.1.0"

#: pluggy's own marker, typed: ``@hookimpl``, ``@hookimpl(tryfirst=True)``, ``@hookimpl(specname=...)``,
#: ``@hookimpl(optionalhook=True)`` all work as pluggy documents them.
hookimpl = pluggy.HookimplMarker(PROJECT)


# name -> module that defines it; loaded on first access so `import hub` stays light.
_LAZY = {
    "get_model": "hub.plugins",
    "models_for": "hub.plugins",
    "choose_device": "hub.models",
    "gpu": "hub.models",
    "load_image": "hub.images",
    "mask_from_editor": "hub.images",
    "to_tensor": "hub.images",
    "to_pil": "hub.images",
    "load_image_rgba": "hub.images",
    "mask_from_alpha": "hub.images",
    "scribbles_from_editor": "hub.images",
    "save_png": "hub.images",
    "resolve_weight": "hub.plugins",
    "load_safetensors": "hub.plugins",
    "build_app": "hub.app",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hub' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "__version__",
    "hookimpl",
    "INTERFACE_LATENT_GENERATOR",
    "ActivationEdit",
    "Budget",
    "DatasetSpec",
    "Demo",
    "DemoContext",
    "LatentGenerator",
    "ModelSpec",
    "TrainerSpec",
    "WeightSpec",
    "steps_budget",
    "steps_gpu_seconds",
    *_LAZY,
]

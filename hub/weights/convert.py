"""Upstream checkpoints -> tensor dicts: the one place a pickle is read (``torch.load(weights_only=True)``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

from hub.api import WeightSpec

if TYPE_CHECKING:
    import torch

from hub.weights.errors import WeightUnavailable


def _import_ref(ref: str) -> Callable[[Any], Any]:
    import importlib

    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise WeightUnavailable(f"converter {ref!r} must look like 'package.module:function'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _read_checkpoint(path: Path, spec: WeightSpec) -> Any:
    import torch

    if spec.format == "safetensors" or _is_safetensors(path):
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        # Numpy scalars (e.g. a saved "best_psnr") are plain data; allow them and nothing else.
        with torch.serialization.safe_globals(_numpy_scalar_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)  # the only torch.load in GAN Hub
    except Exception as exc:
        raise WeightUnavailable(
            f"Weight '{spec.id}': {path} cannot be read as a weights-only checkpoint ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). GAN Hub never unpickles arbitrary objects.",
            spec.id) from None


def _numpy_scalar_globals() -> list[Any]:
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    names = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")
    return [core.multiarray.scalar, np.dtype, *{type(np.dtype(n)) for n in names}]


def _is_safetensors(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(9)
        return len(head) == 9 and int.from_bytes(head[:8], "little") < (1 << 30) and head[8:9] == b"{"
    except OSError:
        return False


def pick_state_dict(checkpoint: Any, key: str | None = None) -> dict[str, Any]:
    """The state dict inside an upstream checkpoint.

    ``key`` (from a converter ref ``"module:function#g_ema"``) picks it explicitly; otherwise a
    flat ``{name: tensor}`` mapping is used as is, else the first of ``state_dict``,
    ``params_ema``, ``params``, ``model``, ``g_ema`` found.
    """
    import torch

    if not isinstance(checkpoint, Mapping):
        raise WeightUnavailable(f"the checkpoint is a {type(checkpoint).__name__}, not a mapping of tensors")
    if key:
        if key not in checkpoint:
            raise WeightUnavailable(f"the checkpoint has no '{key}' entry (it has: {', '.join(map(str, checkpoint))})")
        return pick_state_dict(checkpoint[key])
    if any(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return {k: v for k, v in checkpoint.items() if isinstance(v, torch.Tensor)}
    for candidate in ("state_dict", "params_ema", "params", "model", "g_ema"):
        if isinstance(checkpoint.get(candidate), Mapping):
            return pick_state_dict(checkpoint[candidate])
    raise WeightUnavailable(f"no state dict found in the checkpoint (top-level keys: {', '.join(map(str, checkpoint))}); "
                            "name one in the converter ref, e.g. 'module:function#g_ema'")


def _as_tensor_dict(obj: Any, weight_id: str) -> dict[str, "torch.Tensor"]:
    import torch

    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightUnavailable(f"the converter for '{weight_id}' must return a mapping of name -> tensor")
    # safetensors refuses shared storage and non-contiguous tensors: give each its own memory.
    return {str(k): v.detach().to("cpu").contiguous().clone() for k, v in obj.items()}



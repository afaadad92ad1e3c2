"""Load a safetensors file by path, or a registered weight id from a given store."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

from hub.weights.errors import WeightUnavailable
from hub.weights.convert import _is_safetensors
from hub.weights.store import WeightStore


def load_safetensors(id_or_path: str | Path, device: str = "cpu", store: WeightStore | None = None) -> dict[str, "torch.Tensor"]:
    """Tensors of a safetensors file path, or of a weight id registered in ``store`` (resolved and verified).

    There is no process-wide store at this layer: the plugin manager owns the one ``WeightStore`` and
    hands it down; ``hub.load_safetensors`` is the facade over the process-wide hub's store.
    """
    from safetensors.torch import load_file

    text = str(id_or_path)
    is_path = isinstance(id_or_path, Path) or text.endswith(".safetensors") or os.sep in text
    if is_path and not (store is not None and isinstance(id_or_path, str) and id_or_path in store):
        path = Path(text).expanduser()
        if not path.is_file():
            raise WeightUnavailable(f"No weight file at {path}.")
    elif store is None:
        raise WeightUnavailable(f"'{text}' is a weight id, but no store was given to resolve it "
                                "(use hub.load_safetensors, which resolves ids through the hub's store).")
    else:
        path = store.resolve(text)
    if not _is_safetensors(path):
        raise WeightUnavailable(f"{path} is not a safetensors file; GAN Hub loads only safetensors at run time "
                                "(upstream checkpoints go through `ganhub weights convert ID`).")
    return load_file(str(path), device=device)

"""Where the SR trainer keeps its runs, the embedded weight ids, and reading a generator back.

A checkpoint is ``hub.training``'s: ``<run>/stage<N>/ckpt-<step>/G.safetensors`` (and ``D`` in stage 2)
with the networks' configs in ``state.json``; the trainer writes it, the export reads it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hub.training import cache_dir

# GANHUB_SRGAN_TRAIN_DIR (older runs) or the kit's training cache
CACHE = Path(os.environ["GANHUB_SRGAN_TRAIN_DIR"]) if os.environ.get("GANHUB_SRGAN_TRAIN_DIR") else cache_dir("srgan")
WEIGHT_IDS = {1: "srgan-srresnet-x4", 2: "srgan-srgan-x4"}


def load_generator(ckpt: Path, name: str = "G"):
    """(SRResNet, its config) from a checkpoint folder."""
    from safetensors.torch import load_file

    from plugins.srgan.models import SRResNet

    cfg = json.loads((Path(ckpt) / "state.json").read_text())["config"][name]
    model = SRResNet(**cfg)
    model.load_state_dict(load_file(str(Path(ckpt) / f"{name}.safetensors")), strict=True)
    return model, cfg

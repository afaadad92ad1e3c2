"""The training kit every trainer uses: atomic checkpoints, run control and embedded-weight export.

A trainer is a loop over a plugin's own networks, losses and data; what is the same in every trainer
lives here once:

* ``hub.training.checkpoint``: save a step atomically (tensors as safetensors, optimiser moments,
  ``state.json``), find the latest, load it (``keep_lr``: this command's learning rates), keep the
  newest N. Plain tensor dicts (RNG states) travel beside the networks.
* ``hub.training.run``: the common flags (``--steps --minutes --threads --device --seed --out
  --every --fresh``) and ``RunControl``, which ends a run on its step or time budget, a ``STOP`` file
  or a signal (a session ending), says when a checkpoint is due (every N steps or minutes) and
  accounts CPU and GPU time, so that a run outlives the process that trains it; ``LossLog`` and
  ``log`` for its log lines.
* ``hub.training.export``: ``export_embedded(weight_id, tensors, card, manifest)`` writes the
  safetensors file beside its plugin's ``weights.yaml`` (unchanged tensors keep the file and its
  sha256), writes the model card (``render_card`` of a Markdown template beside the trainer) and
  rehashes the manifest entry; ``folder=`` exports somewhere to look at without touching a manifest.
* ``hub.training.metrics``: image metrics shared by evaluations (PSNR, SSIM).
"""

from hub.training.checkpoint import latest_checkpoint, load_checkpoint, save_checkpoint
from hub.training.export import atomic_write, export_embedded, render_card
from hub.training.metrics import psnr, ssim
from hub.training.run import LossLog, RunControl, add_common_args, cache_dir, log

__all__ = [
    "save_checkpoint", "latest_checkpoint", "load_checkpoint",
    "atomic_write", "export_embedded", "render_card",
    "psnr", "ssim",
    "RunControl", "LossLog", "add_common_args", "cache_dir", "log",
]

"""Checkpoints a run can resume from after any interruption.

A checkpoint is a folder ``<run>/ckpt-<step>/`` holding one ``<name>.safetensors`` per network,
``optim.pt`` (the optimisers' state dicts: plain tensors and numbers, read back with
``torch.load(weights_only=True)``) and ``state.json`` (step, seconds, config, log). It is written
under a temporary name and renamed when complete, and ``latest.json`` is replaced after it, so a
process killed at any moment leaves the previous checkpoint whole.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any, Mapping

__all__ = ["save_checkpoint", "latest_checkpoint", "load_checkpoint"]


def save_checkpoint(run_dir: str | Path, step: int, modules: Mapping[str, Any], optimizers: Mapping[str, Any] | None = None,
                    state: Mapping[str, Any] | None = None, keep: int = 2) -> Path:
    """Write step ``step`` of ``modules`` (name -> nn.Module or tensor dict) and return its folder.

    The ``keep`` newest checkpoints stay; older ones are removed, so an export reading the
    previous checkpoint is never pulled from under it when ``keep >= 2``.
    """
    import torch
    from safetensors.torch import save_file

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    final = run_dir / f"ckpt-{step:08d}"
    tmp = run_dir / f".tmp-ckpt-{step:08d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name, module in modules.items():  # a module, or a plain dict of tensors (RNG states, say)
        tensors = module.state_dict() if hasattr(module, "state_dict") else dict(module)
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp / f"{name}.safetensors"))
    if optimizers:
        torch.save({k: o.state_dict() for k, o in optimizers.items()}, tmp / "optim.pt")
    (tmp / "state.json").write_text(json.dumps({"step": step, **dict(state or {})}, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)
    pointer = run_dir / ".latest.json.tmp"
    pointer.write_text(json.dumps({"dir": final.name, "step": step, "time": time.time()}))
    os.replace(pointer, run_dir / "latest.json")
    # the newest by write time, this one first: a run restarted with --fresh writes lower step numbers
    others = sorted((p for p in run_dir.glob("ckpt-*") if p.is_dir() and p != final), key=lambda p: p.stat().st_mtime_ns)
    for old in others[:max(0, len(others) - (max(1, keep) - 1))]:
        shutil.rmtree(old, ignore_errors=True)
    return final


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The folder ``latest.json`` points at, or None for a fresh run."""
    run_dir = Path(run_dir)
    try:
        info = json.loads((run_dir / "latest.json").read_text())
    except (OSError, ValueError):
        return None
    path = run_dir / str(info.get("dir", ""))
    return path if path.is_dir() and path.parent == run_dir else None


def load_checkpoint(ckpt: str | Path, modules: Mapping[str, Any] | None = None,
                    optimizers: Mapping[str, Any] | None = None, strict: bool = True,
                    keep_lr: bool = False) -> dict[str, Any]:
    """Load ``ckpt`` into ``modules`` and ``optimizers`` (those present) and return its state.

    A plain dict in ``modules`` is filled with the saved tensors. A checkpoint carried without
    ``optim.pt`` (to a rented GPU, say) resumes with fresh optimiser moments. ``keep_lr`` keeps the
    learning rates the optimisers were built with (this command's flags): the saved state would
    otherwise bring back the old run's rates silently, and a resume with a new ``--lr`` is how a
    run is annealed.
    """
    import torch
    from safetensors.torch import load_file

    ckpt = Path(ckpt)
    for name, module in (modules or {}).items():
        tensors = load_file(str(ckpt / f"{name}.safetensors"))
        if hasattr(module, "load_state_dict"):
            module.load_state_dict(tensors, strict=strict)
        else:
            module.update(tensors)
    optim_file = ckpt / "optim.pt"
    if optimizers and not optim_file.is_file():
        print(f"{optim_file} is missing: optimiser moments start afresh", flush=True)
    elif optimizers:
        saved = torch.load(optim_file, map_location="cpu", weights_only=True)
        for name, opt in optimizers.items():
            if name in saved:
                rates = [group["lr"] for group in opt.param_groups]
                opt.load_state_dict(saved[name])
                if keep_lr:
                    for group, lr in zip(opt.param_groups, rates):
                        group["lr"] = lr
    return json.loads((ckpt / "state.json").read_text())

"""When bfloat16 autocast pays: CPUs with native BF16 (AVX512-BF16 or AMX) and bf16-capable GPUs.

Elsewhere bf16 is emulated and slower than float32, so "auto" falls back to float32 there.
"""

from __future__ import annotations

import functools

import torch


@functools.lru_cache(maxsize=None)
def _cpu_has_native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def use_bf16(precision: str, device: torch.device | str = "cpu") -> bool:
    """Resolve ``precision`` ("auto", "bf16" or "fp32") to whether to autocast to bfloat16 on ``device``."""
    if precision not in ("auto", "bf16", "fp32"):
        raise ValueError("precision must be 'auto', 'bf16' or 'fp32'")
    if precision != "auto":
        return precision == "bf16"
    kind = torch.device(device).type
    if kind == "cuda":
        return torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    return kind == "cpu" and _cpu_has_native_bf16()


def features_in(vgg, x: torch.Tensor, bf16: bool) -> dict[str, torch.Tensor]:
    """``vgg(x)`` with the convolutions in bfloat16 when asked; the taps come back as float32 for the losses."""
    if not bf16:
        return vgg(x)
    with torch.autocast(x.device.type, dtype=torch.bfloat16):
        feats = vgg(x)
    return {k: v.float() for k, v in feats.items()}

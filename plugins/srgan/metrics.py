"""SR-literature metrics: PSNR/SSIM on the Y channel (ITU-R BT.601, as MATLAB's rgb2ycbcr), border shaved by the scale."""

from __future__ import annotations

import numpy as np
from PIL import Image


def rgb_to_y(img) -> np.ndarray:
    """PIL RGB or uint8 HxWx3 -> float64 Y in [16, 235] (the MATLAB convention used by SR papers)."""
    a = np.asarray(img.convert("RGB") if isinstance(img, Image.Image) else img, dtype=np.float64) / 255.0
    return 16.0 + 65.481 * a[..., 0] + 128.553 * a[..., 1] + 24.966 * a[..., 2]


def _shave(a: np.ndarray, shave: int) -> np.ndarray:
    return a[shave:-shave, shave:-shave] if shave > 0 else a


def psnr_y(output, reference, shave: int = 4) -> float:
    """PSNR in dB of the Y channels (8-bit range), infinite for identical images."""
    import torch

    from hub.training import psnr

    y1, y2 = _shave(rgb_to_y(output), shave), _shave(rgb_to_y(reference), shave)
    if y1.shape != y2.shape:
        raise ValueError(f"size mismatch {y1.shape} vs {y2.shape}")
    if np.array_equal(y1, y2):
        return float("inf")
    return float(psnr(torch.from_numpy(y1)[None, None], torch.from_numpy(y2)[None, None], data_range=255.0))


def ssim_y(output, reference, shave: int = 4) -> float:
    """SSIM with an 11x11 Gaussian window (sigma 1.5), as Wang et al. 2004 and the SR papers."""
    from skimage.metrics import structural_similarity

    y1, y2 = _shave(rgb_to_y(output), shave), _shave(rgb_to_y(reference), shave)
    return float(structural_similarity(y1, y2, data_range=255.0, gaussian_weights=True, sigma=1.5,
                                       use_sample_covariance=False))

"""Image metrics for evaluations and exports: PSNR and SSIM on image tensors (NCHW, [-1, 1] by default)."""

from __future__ import annotations

__all__ = ["psnr", "ssim"]


def psnr(a, b, mask=None, data_range: float = 2.0):
    """Per-image PSNR in dB of tensors [N, C, H, W] whose values span ``data_range``, over ``mask``
    ([N or 1, 1, H, W] in [0, 1]) if given.

    The default is for [-1, 1] images (measured on the [0, 1] scale); 255 for 8-bit values, such as
    the SR literature's Y channel (``plugins.srgan.metrics``). The formula is the inversion engine's
    (``hub.nn.inversion.psnr``), which sits below this kit in the layers, rescaled to its range.
    """
    from hub.nn.inversion import psnr as psnr_unit

    scale = 2.0 / data_range
    return psnr_unit(a * scale, b * scale, mask)


def ssim(a, b, window: int = 7):
    """Per-image mean SSIM (Wang et al. 2004, uniform window) of [-1, 1] tensors on the [0, 1] scale."""
    import torch.nn.functional as F

    x, y = (a.float() + 1) / 2, (b.float() + 1) / 2
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    pool = lambda t: F.avg_pool2d(t, window, 1, window // 2, count_include_pad=False)  # noqa: E731
    mx, my = pool(x), pool(y)
    vx, vy, cov = pool(x * x) - mx ** 2, pool(y * y) - my ** 2, pool(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return s.flatten(1).mean(1)

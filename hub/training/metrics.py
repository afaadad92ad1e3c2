"""Image metrics for evaluations and exports: PSNR and SSIM on image tensors (NCHW, [-1, 1] by default)."""

from __future__ import annotations

__all__ = ["psnr", "ssim"]


def psnr(a, b, mask=None, data_range: float = 2.0):
    """Per-image PSNR in dB of tensors [N, ...] whose values span ``data_range``, over ``mask`` if given.

    The default is for [-1, 1] images (measured on the [0, 1] scale); 255 for 8-bit values, such as
    the SR literature's Y channel (``plugins.srgan.metrics``).
    """
    import torch

    dtype = torch.promote_types(torch.promote_types(a.dtype, b.dtype), torch.float32)  # float64 stays float64
    err = ((a.to(dtype) - b.to(dtype)) / data_range) ** 2
    if mask is not None:
        m = mask.float().expand_as(err)
        mse = (err * m).flatten(1).sum(1) / m.flatten(1).sum(1).clamp_min(1)
    else:
        mse = err.flatten(1).mean(1)
    return 10 * torch.log10(1 / mse.clamp_min(1e-10))


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

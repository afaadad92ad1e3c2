"""Former home of the super-resolution API, kept so that ``from plugins.srgan.infer import upscale`` still
works: everything lives in ``plugins.srgan.api`` now, which takes loaded modules only."""

from plugins.srgan.api import (DEFAULT_MODEL, SCALES, UpscaleResult, _feather, bicubic, degrade, fit_input,  # noqa: F401
                               sr_tensor_tiled, upscale, upscale_detailed)

__all__ = ["DEFAULT_MODEL", "SCALES", "UpscaleResult", "bicubic", "degrade", "fit_input", "sr_tensor_tiled",
           "upscale", "upscale_detailed"]

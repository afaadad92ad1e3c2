"""GAN Hub example plugin ``pixelart``: pixel art by block averaging and palette quantisation.

Registration (hookimpls only) lives in ``ganhub_example.plugin``, the module the entry point names;
the technique in ``ganhub_example.pixelart`` (numpy loads on first use).
"""

from __future__ import annotations

__version__ = "0.2.0"


def __getattr__(name):  # the Python API, imported on first touch
    if name in {"pixelate", "kmeans_palette", "quantize"}:
        from ganhub_example import pixelart

        return getattr(pixelart, name)
    raise AttributeError(name)

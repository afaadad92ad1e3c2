"""Constants the style-transfer registration, tab, API and trainers share, light to import."""

from hub.api import INTERFACE_STYLE_TRANSFER as INTERFACE_STYLE

#: Fast feed-forward style models: one network per style (Johnson et al. 2016).
INTERFACE_FAST_STYLE = "FastStyleTransfer"
#: Embedded fast-style models (plugins/style_transfer/fast.py BUILTIN_STYLES) and the public ones.
FAST_EMBEDDED = ("starry-night", "graffiti", "skimage-logo", "painted-shapes")
FAST_PUBLIC = ("candy", "mosaic", "rain-princess", "udnie")

__all__ = ["INTERFACE_STYLE", "INTERFACE_FAST_STYLE", "FAST_EMBEDDED", "FAST_PUBLIC"]

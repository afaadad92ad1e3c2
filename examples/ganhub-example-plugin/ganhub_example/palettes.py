"""Fixed palettes the plugin ships as a weight file (``weights/pixelart-pico8-palette.safetensors``).

``python -m ganhub_example.palettes`` writes the file again, byte for byte: PICO-8's 16 published
colours as uint8 [16, 3] RGB. A palette is data, so it travels like any weight: listed in the
plugin's ``weights.yaml`` with its sha256, checked before it is read.
"""

from __future__ import annotations

from pathlib import Path

PICO8 = ("000000", "1d2b53", "7e2553", "008751", "ab5236", "5f574f", "c2c3c7", "fff1e8",
         "ff004d", "ffa300", "ffec27", "00e436", "29adff", "83769c", "ff77a8", "ffccaa")
PALETTE_FILE = Path(__file__).with_name("weights") / "pixelart-pico8-palette.safetensors"


def pico8():
    import numpy as np

    return np.array([[int(h[i:i + 2], 16) for i in (0, 2, 4)] for h in PICO8], dtype=np.uint8)


def load_palette(path: str | Path):
    """A palette file -> uint8 [K, 3]."""
    from safetensors.numpy import load_file

    palette = load_file(str(path))["palette"]
    if palette.ndim != 2 or palette.shape[1] != 3:
        raise ValueError(f"{path} holds no [K, 3] palette")
    return palette


def main() -> int:
    from safetensors.numpy import save_file

    PALETTE_FILE.parent.mkdir(exist_ok=True)
    save_file({"palette": pico8()}, str(PALETTE_FILE), metadata={"name": "PICO-8", "colours": "16"})
    print(PALETTE_FILE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

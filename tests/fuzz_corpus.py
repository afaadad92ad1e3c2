"""The hostile-input corpus, generated (nothing binary is committed): files that are not images we can
read, and bad values for each kind of input component. ``python tests/fuzz_corpus.py DIR`` writes the
files into DIR; the fuzz test calls ``write_bad_images`` itself."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from pathlib import Path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_header(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)


def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 90, 40)).save(out, format="PNG")
    return out.getvalue()


def bad_images() -> dict[str, bytes]:
    """name -> bytes of an upload that must be refused with a sentence (each kind a different failure)."""
    import random

    rng = random.Random(0)
    good = _png(64, 64)
    return {
        "empty.png": b"",
        "text.png": b"hello, this is not an image\n" * 4,
        "page.png": b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>",
        "drawing.png": b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><rect width="64" height="64"/></svg>',
        "document.png": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        "random.png": bytes(rng.getrandbits(8) for _ in range(4096)),
        "truncated.png": good[: len(good) // 2],
        "header-only.png": _png_header(64, 64),
        "bomb.png": _png_header(100_000, 100_000) + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 1024)),
        "one-pixel.png": _png(1, 1),
        "sliver.png": _png(1, 4000),
        "wrong-extension.jpg": good[:100],
    }


def write_bad_images(folder: str | Path) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in bad_images().items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


def write_good_image(path: str | Path) -> Path:
    Path(path).write_bytes(_png(64, 64))
    return Path(path)


#: Bad raw values per component kind (as ``view_api`` names the kinds).
BAD_VALUES = {
    "Slider": [10 ** 9, -(10 ** 9), "not a number", True, 1e300],
    "Number": [1e300, -1e300, "not a number"],
    "Textbox": ["x" * 100_001, "a\x00b\x1bc"],
    "Checkbox": ["yes", 2],
    "Dropdown": ["no such choice"],
    "Radio": ["no such choice"],
}


if __name__ == "__main__":
    for name, path in write_bad_images(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus").items():
        print(path)

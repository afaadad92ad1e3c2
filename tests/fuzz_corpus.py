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


def more_unreadable() -> dict[str, bytes]:
    """More uploads no decoder should accept: other formats' headers, archives, a broken checksum."""
    import gzip

    good = _png(64, 64)
    bad_crc = bytearray(good)
    bad_crc[40] ^= 0xFF  # inside the first IDAT: the checksum no longer matches
    return {
        "gzip.png": gzip.compress(good, mtime=0),
        "zip.png": b"PK\x03\x04" + b"\x00" * 60,
        "program.png": b"\x7fELF\x02\x01\x01" + b"\x00" * 57,
        "jpeg-header.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00",
        "gif-header.gif": b"GIF89a\x40\x00\x40\x00\x00\x00\x00",
        "bmp-header.bmp": b"BM" + b"\x00" * 12,
        "tiff-garbage.tif": b"II*\x00\x08\x00\x00\x00" + b"\xff" * 32,
        "webp-garbage.webp": b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 8,
        "bad-checksum.png": bytes(bad_crc),
        "utf16-text.png": "not an image".encode("utf-16"),
    }


def odd_images() -> dict[str, bytes]:
    """Readable but unusual uploads: each must give a result or a plain sentence, never a traceback."""
    import numpy as np
    from PIL import Image

    def save(image, fmt, **kw) -> bytes:
        out = io.BytesIO()
        image.save(out, format=fmt, **kw)
        return out.getvalue()

    rgb = Image.new("RGB", (64, 64), (200, 90, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees
    frames = [Image.new("P", (64, 64), i) for i in (1, 2, 3)]
    return {
        "large-6000x4000.png": save(Image.new("L", (6000, 4000), 128), "PNG", compress_level=9),
        "line-4000x1.png": _png(4000, 1),
        "cmyk.jpg": save(Image.new("CMYK", (64, 64), (0, 128, 255, 0)), "JPEG"),
        "16-bit.png": save(Image.fromarray(np.full((64, 64), 40000, np.uint16)), "PNG"),
        "float.tif": save(Image.fromarray(np.linspace(0, 1, 64 * 64, dtype=np.float32).reshape(64, 64)), "TIFF"),
        "palette.png": save(rgb.convert("P", palette=Image.Palette.ADAPTIVE, colors=8), "PNG"),
        "grey-alpha.png": save(Image.new("LA", (64, 64), (100, 128)), "PNG"),
        "transparent.png": save(Image.new("RGBA", (64, 64), (0, 0, 0, 0)), "PNG"),
        "one-bit.png": save(Image.new("1", (64, 64), 1), "PNG"),
        "animated.gif": save(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0),
        "exif-rotated.jpg": save(Image.new("RGB", (64, 32), (30, 160, 90)), "JPEG", exif=exif),
        "grey.png": save(rgb.convert("L"), "PNG"),
    }


def bad_latents() -> dict[str, bytes]:
    """Latent files (.safetensors) that must be refused with a sentence."""
    import json
    import struct

    import numpy as np
    from safetensors.numpy import save

    def header_only(header: dict, body: bytes = b"") -> bytes:
        raw = json.dumps(header).encode()
        return struct.pack("<Q", len(raw)) + raw + body

    tag = {"format": "ganhub-latent"}
    return {
        "empty.safetensors": b"",
        "text.safetensors": b"these are not tensors\n",
        "header-lies.safetensors": struct.pack("<Q", 2 ** 40) + b"{}",
        "offsets-past-end.safetensors": header_only({"ws": {"dtype": "F32", "shape": [1, 12, 512],
                                                             "data_offsets": [0, 24576]}}),
        "no-ws.safetensors": save({"other": np.zeros((1, 2), np.float32)}, metadata=tag),
        "wrong-rank.safetensors": save({"ws": np.zeros((512,), np.float32)}, metadata=tag),
        "integers.safetensors": save({"ws": np.zeros((1, 12, 512), np.int8)}, metadata=tag),
        "nan.safetensors": save({"ws": np.full((1, 12, 512), np.nan, np.float32)}, metadata=tag),
        "many-codes.safetensors": save({"ws": np.zeros((64, 12, 512), np.float32)}, metadata=tag),
        "wrong-width.safetensors": save({"ws": np.zeros((1, 12, 7), np.float32)}, metadata=tag),
    }


def _write(folder: str | Path, files: dict[str, bytes]) -> dict[str, Path]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


def write_bad_images(folder: str | Path) -> dict[str, Path]:
    """Every unreadable kind (``bad_images`` and ``more_unreadable``) as files in ``folder``."""
    return _write(folder, {**bad_images(), **more_unreadable()})


def write_odd_images(folder: str | Path) -> dict[str, Path]:
    return _write(folder, odd_images())


def write_bad_latents(folder: str | Path) -> dict[str, Path]:
    return _write(folder, bad_latents())


def write_good_image(path: str | Path) -> Path:
    Path(path).write_bytes(_png(64, 64))
    return Path(path)


#: Bad raw values per component kind (as ``view_api`` names the kinds).
BAD_VALUES = {
    "Slider": [10 ** 9, -(10 ** 9), "not a number", True, 1e300, float("nan"), float("inf"), -float("inf"), [1, 2]],
    "Number": [1e300, -1e300, "not a number", float("nan"), float("inf"), -float("inf"), -1.5],
    "Textbox": ["x" * 100_001, "a\x00b\x1bc"],
    "Checkbox": ["yes", 2],
    "Dropdown": ["no such choice"],
    "Radio": ["no such choice"],
}


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "fuzz-corpus")
    for write in (write_bad_images, write_odd_images, write_bad_latents):
        for path in write(root).values():
            print(path)

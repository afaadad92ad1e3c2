"""Images in and out: every upload passes through here, every result leaves through here.

``load_image`` turns whatever a user or a caller hands us (a path, PIL image, numpy array,
bytes, a Gradio file value) into a plain RGB ``PIL.Image``: EXIF orientation applied,
transparency composited onto white, palette / grayscale / 16-bit / CMYK converted, guarded
against decompression bombs, bounded in size with a notice. Failures raise ``ImageError``
(a ``gr.Error`` when Gradio is installed) with one plain sentence the UI can show.

Masks and scribbles come from the *alpha* of ``gr.ImageEditor`` layers (keep the editor's
default ``image_mode="RGBA"``), never from a diff against the background: a diff cannot
tell a white stroke on a white shirt from no stroke at all.

Gradio and torch are imported lazily, so the plain Python API works without either started.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import io
import logging
import math
import os
import re
import shutil
import struct
import sys
import tempfile
import uuid
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

if TYPE_CHECKING:
    import torch

__all__ = [
    "ImageError",
    "UnsafePathError",
    "load_image",
    "check_image_file",
    "output_folder",
    "load_image_rgba",
    "mask_from_editor",
    "mask_from_alpha",
    "scribbles_from_editor",
    "to_tensor",
    "batch_to_tensor",
    "to_pil",
    "save_png",
    "safe_join",
    "max_side_limit",
    "notify",
]

log = logging.getLogger("ganhub.images")

#: Default longest side (pixels) an upload is downscaled to; env ``GANHUB_MAX_SIDE``.
DEFAULT_MAX_SIDE = 2048
#: Default pixel budget of a decoded upload (64 MP, an 8K square); env ``GANHUB_MAX_PIXELS``.
DEFAULT_MAX_PIXELS = 64_000_000
#: Images smaller than this on either side carry too little to work with.
MIN_SIDE = 8

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated upload is an error, not a grey half


# --------------------------------------------------------------------------- errors, notices

_IMAGE_ERROR: type[Exception] | None = None


def _image_error_class() -> type[Exception]:
    """``ImageError`` subclasses ``gr.Error`` when Gradio is importable (so the UI shows the
    sentence in a modal), else plain ``ValueError``. Built on first use to keep imports light."""
    global _IMAGE_ERROR
    if _IMAGE_ERROR is None:
        try:
            from gradio.exceptions import Error as _GrError

            bases: tuple[type, ...] = (_GrError, ValueError)
        except Exception:  # gradio not installed: the plain Python API still works
            bases = (ValueError,)

        def __init__(self, message: str, **kwargs: Any) -> None:  # noqa: N807
            if bases[0] is not ValueError:
                kwargs.setdefault("print_exception", False)
                bases[0].__init__(self, message, **kwargs)
            else:
                ValueError.__init__(self, message)
            self.message = message

        def __str__(self) -> str:  # noqa: N807
            return self.message

        _IMAGE_ERROR = type(
            "ImageError",
            bases,
            {"__init__": __init__, "__str__": __str__, "__module__": __name__,
             "__doc__": "An upload we cannot use; the message is one plain sentence for the user."},
        )
    return _IMAGE_ERROR


def __getattr__(name: str) -> Any:
    if name == "ImageError":
        return _image_error_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fail(message: str) -> Exception:
    return _image_error_class()(message)


class UnsafePathError(ValueError):
    """A user-provided name would escape the folder it must stay in."""


def notify(message: str, level: str = "warning") -> None:
    """Log ``message`` and, inside a Gradio event, show it as a toast (gr.Warning / gr.Info)."""
    getattr(log, "warning" if level == "warning" else "info")(message)
    if "gradio" not in sys.modules:  # no app running in this process: the log is the notice
        return
    try:
        from gradio.context import LocalContext

        if LocalContext.blocks.get(None) is None or LocalContext.event_id.get(None) is None:
            return
        import gradio as gr

        (gr.Warning if level == "warning" else gr.Info)(message)
    except Exception:  # a notice must never break the request
        log.debug("could not show a Gradio notice", exc_info=True)


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        log.warning("ignoring %s=%r: not an integer", name, raw)
        return default
    return value if value > 0 else default


def max_side_limit(max_side: int | None = None) -> int:
    """The longest side allowed: ``GANHUB_MAX_SIDE`` (default 2048), tightened by ``max_side``."""
    limit = _env_int("GANHUB_MAX_SIDE", DEFAULT_MAX_SIDE)
    return min(limit, int(max_side)) if max_side else limit


# --------------------------------------------------------------------------- opening


def _describe(source: Any) -> str:
    if isinstance(source, (str, Path)):
        text = str(source)
        return "a data URI" if text.startswith("data:") else f"file {Path(text).name!r}"
    return type(source).__name__


def _array_to_pil(arr: np.ndarray, what: str) -> Image.Image:
    """numpy (HxW, HxWx1/3/4; bool, uint8, uint16, other ints, float) -> PIL L/RGB/RGBA."""
    a = np.asarray(arr)
    if a.ndim == 3 and a.shape[0] in (1, 3, 4) and a.shape[2] not in (1, 3, 4):
        a = np.moveaxis(a, 0, -1)  # CHW from a tensor-minded caller
    if a.ndim == 3 and a.shape[2] == 1:
        a = a[:, :, 0]
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (3, 4)) or a.size == 0:
        raise _fail(f"The {what} array has shape {a.shape}; expected H×W, H×W×1, H×W×3 or H×W×4.")
    if a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype == np.uint16:
        a = ((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)  # 65535 -> 255
    elif np.issubdtype(a.dtype, np.floating):
        a = np.nan_to_num(a.astype(np.float64), nan=0.0, posinf=1.0, neginf=0.0)
        lo, hi = float(a.min()), float(a.max())
        if lo >= 0.0 and hi <= 1.0:
            a = a * 255.0
        elif lo >= -1.0 and hi <= 1.0:
            a = (a + 1.0) * 127.5  # the hub's own tensor range
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    elif np.issubdtype(a.dtype, np.integer) and a.dtype != np.uint8:
        hi = int(a.max())
        a = (a.astype(np.float64) * (255.0 / 65535.0) if hi > 255 else a.astype(np.float64))
        a = np.clip(np.rint(a), 0, 255).astype(np.uint8)
    elif a.dtype != np.uint8:
        raise _fail(f"The {what} array has dtype {a.dtype}, which is not an image type.")
    mode = "L" if a.ndim == 2 else ("RGB" if a.shape[2] == 3 else "RGBA")
    return Image.fromarray(np.ascontiguousarray(a), mode)


def _source_to_file(source: Any, what: str) -> Any:
    """Reduce a path / bytes / Gradio value to something ``Image.open`` takes, or a PIL/ndarray."""
    if isinstance(source, (Image.Image, np.ndarray)):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(source))
    if isinstance(source, dict):
        # gr.ImageEditor value handed to a plain loader: use what the user sees.
        for key in ("composite", "background"):
            if source.get(key) is not None:
                return _source_to_file(source[key], what)
        for key in ("path", "name"):  # FileData as a dict (gradio_client, JSON payloads)
            if isinstance(source.get(key), str) and source[key]:
                return _source_to_file(source[key], what)
        if source.get("url"):
            raise _fail(f"The {what} is a remote URL; upload the file itself instead.")
        raise _fail(f"The {what} is empty: upload an image first.")
    if isinstance(source, (str, Path)):
        text = str(source)
        if text.startswith("data:"):
            try:
                payload = text.split(",", 1)[1]
                return io.BytesIO(base64.b64decode(payload, validate=False))
            except (IndexError, binascii.Error, ValueError):
                raise _fail(f"The {what} is a data URI we cannot decode.") from None
        path = Path(text).expanduser()
        if not path.is_file():
            raise _fail(f"The {what} file {path.name!r} does not exist (or is not a file).")
        return path
    for attr in ("path", "name"):  # gradio FileData / tempfile wrappers
        value = getattr(source, attr, None)
        if isinstance(value, (str, Path)) and value and Path(value).is_file():
            return Path(value)
    if hasattr(source, "read"):
        return io.BytesIO(source.read())
    raise _fail(f"The {what} is a {type(source).__name__}, which is not an image we can read.")


def _max_pixels() -> int:
    return _env_int("GANHUB_MAX_PIXELS", DEFAULT_MAX_PIXELS)


def _open(source: Any, what: str, max_side: int | None) -> Image.Image:
    """Open, size-check, decode and orient; mode is left as found."""
    if source is None:
        raise _fail(f"No {what} was given: upload one first.")
    src = _source_to_file(source, what)
    if isinstance(src, np.ndarray):
        im = _array_to_pil(src, what)
    elif isinstance(src, Image.Image):
        im = src
    else:
        name = _describe(source)
        try:
            with warnings.catch_warnings():
                # PIL warns (then errors) on huge headers; both are a bomb to us.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                im = Image.open(src)
                _check_pixels(im, what)
                if im.format == "JPEG":
                    # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 48 MP photo bounded to
                    # 2048 px never costs 48 MP of memory.
                    limit = max_side_limit(max_side)
                    if max(im.size) > 2 * limit:
                        scale = limit / max(im.size)
                        im.draft(None, (math.ceil(im.size[0] * scale), math.ceil(im.size[1] * scale)))
                im.load()
        except Exception as exc:  # decoders raise many kinds of things on odd input
            raise _open_error(exc, what, name) from None
    _check_pixels(im, what)
    try:
        im = ImageOps.exif_transpose(im)
    except Exception:  # broken EXIF must not lose the image
        log.info("ignoring unreadable EXIF orientation of the %s", what, exc_info=True)
    w, h = im.size
    if min(w, h) < MIN_SIDE:
        raise _fail(f"The {what} is only {w}×{h} pixels; it must be at least {MIN_SIDE} pixels on each side.")
    return im


def _open_error(exc: Exception, what: str, name: str) -> Exception:
    """Any exception from Pillow while opening/decoding -> one plain sentence."""
    if isinstance(exc, _image_error_class()):
        return exc
    if isinstance(exc, (Image.DecompressionBombError, Image.DecompressionBombWarning)):
        return _fail(
            f"The {what} declares more pixels than we are willing to decode (a possible "
            "decompression bomb); please downscale it first."
        )
    if isinstance(exc, UnidentifiedImageError):
        return _fail(f"The {what} ({name}) is not an image we can read (unknown or unsupported format).")
    if isinstance(exc, (OSError, SyntaxError, ValueError, EOFError, struct.error)):
        return _fail(f"The {what} ({name}) is not an image we can read (the file looks damaged: {exc}).")
    return _fail(f"The {what} ({name}) is not an image we can read ({type(exc).__name__}: {exc}).")


def _check_pixels(im: Image.Image, what: str) -> None:
    w, h = im.size
    limit = _max_pixels()
    if w * h > limit:
        raise _fail(
            f"The {what} is {w}×{h} pixels ({w * h / 1e6:.0f} megapixels), more than the "
            f"{limit / 1e6:.0f} megapixels we accept; please downscale it first."
        )


def _sixteen_bit_to_8(im: Image.Image) -> Image.Image:
    """I;16*/I/F single-channel -> L, mapping the 16-bit range onto 0..255 (not clipping)."""
    a = np.asarray(im)
    if im.mode.startswith("I;16") or a.dtype == np.uint16:
        return Image.fromarray(((a.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8), "L")
    a = a.astype(np.float64)
    hi = float(np.nanmax(a)) if a.size else 0.0
    if im.mode == "F" and hi <= 1.0:
        a = a * 255.0
    elif hi > 255.0:
        a = a * (255.0 / 65535.0)  # 16-bit PNGs decode to mode "I" in some Pillow versions
    return Image.fromarray(np.clip(np.rint(np.nan_to_num(a)), 0, 255).astype(np.uint8), "L")


def _has_alpha(im: Image.Image) -> bool:
    return im.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (im.mode in ("P", "L", "RGB") and "transparency" in im.info)


def _to_8bit(im: Image.Image, keep_alpha: bool) -> Image.Image:
    """Any Pillow mode -> RGB (alpha composited on white) or RGBA."""
    if im.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        im = _sixteen_bit_to_8(im)
    if im.mode == "CMYK" and im.info.get("icc_profile"):
        try:
            from PIL import ImageCms

            src = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
            im = ImageCms.profileToProfile(im, src, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except Exception:  # a bad profile: the plain conversion is still a fine picture
            im = im.convert("RGB")
    if _has_alpha(im):
        rgba = im.convert("RGBA")
        if keep_alpha:
            return rgba
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    try:
        rgb = im if im.mode == "RGB" else im.convert("RGB")
    except (ValueError, OSError) as exc:
        raise _fail(f"The image has colour mode {im.mode}, which we cannot convert to RGB ({exc}).") from None
    return rgb.convert("RGBA") if keep_alpha else rgb


def _bound(im: Image.Image, max_side: int | None, what: str) -> Image.Image:
    limit = max_side_limit(max_side)
    w, h = im.size
    if max(w, h) <= limit:
        return im
    scale = limit / max(w, h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    out = im.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    message = (
        f"The {what} was {w}×{h} pixels; it was downscaled to {size[0]}×{size[1]} "
        f"(the limit is {limit} pixels per side; set GANHUB_MAX_SIDE to change it)."
    )
    out.info["ganhub_notice"] = message
    notify(message, "info")
    return out


def check_image_file(source: Any, *, what: str = "image") -> None:
    """Refuse, with the same sentence ``load_image`` would give, an upload that is not an image we can
    read: not decodable, a decompression bomb, more than ``GANHUB_MAX_PIXELS``, or smaller than
    ``MIN_SIDE``. The server checks every image input with it before Gradio decodes the file."""
    _open(source, what, None).close()


def load_image(source: Any, *, max_side: int | None = None, what: str = "image") -> Image.Image:
    """Any image-like ``source`` -> a bounded PIL RGB image (transparency composited on white).

    ``max_side`` tightens the ``GANHUB_MAX_SIDE`` limit (default 2048); a larger image is
    downscaled with a notice (log, a Gradio toast inside a request, and ``im.info["ganhub_notice"]``).
    ``what`` names the input in error messages ("style image", "mask" ...).
    """
    im = _open(source, what, max_side)
    return _bound(_to_8bit(im, keep_alpha=False), max_side, what)


def load_image_rgba(source: Any, *, max_side: int | None = None, what: str = "image") -> Image.Image:
    """Like ``load_image`` but keeps transparency: PIL RGBA (opaque images get alpha 255)."""
    im = _open(source, what, max_side)
    return _bound(_to_8bit(im, keep_alpha=True), max_side, what)


# --------------------------------------------------------------------------- editor masks


def _resize_mask(mask: np.ndarray, size: int | tuple[int, int] | None) -> np.ndarray:
    if size is None:
        return mask
    w, h = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if (w, h) == (mask.shape[1], mask.shape[0]):
        return mask
    shrinking = w <= mask.shape[1] and h <= mask.shape[0]
    resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR  # area down, bilinear up
    out = np.asarray(Image.fromarray(mask.astype(np.float32), "F").resize((w, h), resample), dtype=np.float32)
    return np.clip(out, 0.0, 1.0)


def _layer_rgba(layer: Any) -> Image.Image | None:
    """A layer as RGBA, or None when it is empty. No size bound: layers match the canvas."""
    if layer is None:
        return None
    im = _open(layer, "drawing layer", None)
    if _has_alpha(im):
        return im.convert("RGBA")
    # An editor in image_mode="RGB" drops layer alpha; the canvas exports black under
    # untouched pixels, so "not black" is the best remaining guess (black strokes are lost).
    log.warning("an ImageEditor layer has no alpha channel; keep image_mode='RGBA' for exact masks")
    rgb = im.convert("RGB")
    alpha = Image.fromarray((np.asarray(rgb).max(axis=2) > 0).astype(np.uint8) * 255, "L")
    rgba = rgb.convert("RGBA")
    rgba.putalpha(alpha)
    return rgba


def _flatten_layers(value: dict, what: str) -> tuple[Image.Image, Image.Image | None]:
    """EditorValue -> (background RGB, layers alpha-composited into one RGBA, or None)."""
    background = value.get("background")
    composite = value.get("composite")
    layers = [im for im in (_layer_rgba(x) for x in (value.get("layers") or [])) if im is not None]
    if background is not None:
        bg = load_image(background, what=what)
    elif composite is not None:
        bg = load_image(composite, what=what)
    elif layers:
        bg = Image.new("RGB", layers[0].size, (255, 255, 255))  # drew on an empty canvas
    else:
        raise _fail(f"The {what} is empty: upload an image first.")
    if not layers:
        return bg, None
    canvas_size = layers[0].size
    flat = Image.new("RGBA", canvas_size, (0, 0, 0, 0))
    for layer in layers:
        if layer.size != canvas_size:
            layer = layer.resize(canvas_size, Image.Resampling.BILINEAR)
        flat = Image.alpha_composite(flat, layer)  # alpha-over: alpha = union of the layers'
    if flat.size != bg.size:  # the background was bounded by max side, or the canvas is fixed
        flat = flat.resize(bg.size, Image.Resampling.BILINEAR)
    return bg, flat


def mask_from_editor(value: Any, *, size: int | tuple[int, int] | None = None,
                     what: str = "image") -> tuple[Image.Image, np.ndarray]:
    """``gr.ImageEditor`` value -> (background RGB, float32 mask [H, W] in [0, 1]).

    The mask is the union of the alpha of all drawn layers (1 where painted). A plain image
    (not an editor dict) is read as RGBA whose transparent pixels are the hole, as in
    ``mask_from_alpha``. ``size`` (int or (w, h)) resizes the mask only: area-averaging when
    shrinking, bilinear when growing.
    """
    if value is None:
        raise _fail(f"The {what} is empty: upload an image and paint the region first.")
    if not isinstance(value, dict):
        bg, mask = mask_from_alpha(value, what=what)
        return bg, _resize_mask(mask, size)
    bg, flat = _flatten_layers(value, what)
    if flat is None:
        mask = np.zeros((bg.size[1], bg.size[0]), np.float32)
    else:
        mask = np.asarray(flat.getchannel("A"), dtype=np.float32) / 255.0
    return bg, _resize_mask(mask, size)


def mask_from_alpha(source: Any, *, what: str = "image") -> tuple[Image.Image, np.ndarray]:
    """An RGBA image whose transparent pixels are the hole -> (RGB on white, mask = 1 - alpha)."""
    rgba = load_image_rgba(source, what=what)
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("RGB"), (1.0 - alpha).astype(np.float32)


def scribbles_from_editor(value: Any, *, what: str = "image") -> tuple[Image.Image, np.ndarray, np.ndarray]:
    """``gr.ImageEditor`` value -> (background RGB, uint8 stroke colours [H, W, 3], float32 stroke mask [H, W]).

    Colours are those of the topmost stroke at each pixel (0 where nothing is drawn); the mask
    is the union of the layers' alpha.
    """
    if not isinstance(value, dict):
        raise _fail(f"The {what} has no drawing: paint strokes on it with the brush first.")
    bg, flat = _flatten_layers(value, what)
    h, w = bg.size[1], bg.size[0]
    if flat is None:
        return bg, np.zeros((h, w, 3), np.uint8), np.zeros((h, w), np.float32)
    arr = np.asarray(flat)
    mask = arr[:, :, 3].astype(np.float32) / 255.0
    colours = np.where(mask[:, :, None] > 0, arr[:, :, :3], 0).astype(np.uint8)
    return bg, colours, mask


# --------------------------------------------------------------------------- tensors


def _resize_rgb(img: Image.Image, size: int | tuple[int, int]) -> Image.Image:
    w, h = (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))
    if (w, h) == img.size:
        return img
    shrinking = w <= img.size[0] and h <= img.size[1]
    return img.resize((w, h), Image.Resampling.LANCZOS if shrinking else Image.Resampling.BICUBIC)


def to_tensor(img: Any, size: int | tuple[int, int] | None = None) -> "torch.Tensor":
    """Image -> float32 tensor [1, 3, H, W] in [-1, 1].

    ``img`` is a PIL image (any mode; not size-bounded) or anything ``load_image`` accepts; ``size`` is an int (square) or (w, h) and resizes
    with Lanczos when shrinking, bicubic when growing (the aspect ratio is not kept).
    """
    import torch

    # A PIL image from our own code is taken as is (only converted to RGB); anything else is an upload.
    pil = _to_8bit(img, keep_alpha=False) if isinstance(img, Image.Image) else load_image(img)
    if size is not None:
        pil = _resize_rgb(pil, size)
    arr = np.asarray(pil, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))[None]


def batch_to_tensor(images: Any) -> "torch.Tensor":
    """uint8 images [N, H, W, 3] (array or list of arrays; data sets, not uploads) -> float32 [N, 3, H, W] in [-1, 1]."""
    import torch

    arr = np.ascontiguousarray(np.asarray(images, dtype=np.uint8))
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float() / 127.5 - 1


def to_pil(t: "torch.Tensor") -> Image.Image:
    """Tensor in [-1, 1] ([N,3,H,W], [3,H,W], [N,1,H,W] or [H,W]; first item of a batch) -> PIL RGB."""
    import torch

    x = t.detach()
    if x.ndim == 4:
        x = x[0]
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[0] not in (1, 3):
        raise ValueError(f"to_pil expects [N,3,H,W], [3,H,W], [1,H,W] or [H,W]; got {tuple(t.shape)}")
    if x.shape[0] == 1:
        x = x.expand(3, -1, -1)
    x = ((x.float().cpu().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return Image.fromarray(x.permute(1, 2, 0).contiguous().numpy(), "RGB")


# --------------------------------------------------------------------------- files out

_OUT_DIR: Path | None = None
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _out_dir() -> Path:
    """A per-process folder under the system temp dir (Gradio serves files from there)."""
    global _OUT_DIR
    if _OUT_DIR is None or not _OUT_DIR.is_dir():
        _OUT_DIR = Path(tempfile.mkdtemp(prefix="ganhub-out-"))
        atexit.register(shutil.rmtree, _OUT_DIR, True)
    return _OUT_DIR


def safe_name(name: str, default: str = "result") -> str:
    """A file-name stem made only of letters, digits, '.', '_' and '-', never hidden, <= 80 chars."""
    stem = _SAFE_NAME.sub("_", Path(str(name)).name if name else "").strip("._-")[:80]
    return stem or default


def output_folder() -> Path:
    """A fresh folder for one result's files, under this process's output folder.

    Results are copied into Gradio's cache when they are returned, so ours are only needed for a
    while: every call first removes result folders older than ``GANHUB_OUTPUT_MINUTES`` (default 60),
    so a busy server keeps a bounded number of them instead of one temporary folder per request.
    """
    import time

    root = _out_dir()
    cutoff = time.time() - 60 * _env_int("GANHUB_OUTPUT_MINUTES", 60)
    for old in root.iterdir():
        try:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:  # removed by a concurrent request
            pass
    folder = safe_join(root, uuid.uuid4().hex[:12])
    folder.mkdir()
    return folder


def save_png(img: Any, name: str = "result") -> str:
    """Write ``img`` (PIL, tensor in [-1, 1] or array) as a lossless PNG; return its path.

    Each call gets its own sub-folder, so concurrent requests never overwrite each other
    and the user downloads a clean ``name.png``.
    """
    if isinstance(img, Image.Image):
        pil = img if img.mode in ("RGB", "RGBA", "L", "LA", "I;16") else img.convert("RGBA" if _has_alpha(img) else "RGB")
    elif isinstance(img, np.ndarray):
        pil = _array_to_pil(img, "result")
    elif hasattr(img, "detach"):
        pil = to_pil(img)
    else:
        pil = load_image(img, what="result")
    stem = safe_name(re.sub(r"\.png$", "", str(name), flags=re.I))
    path = safe_join(output_folder(), f"{stem}.png")
    pil.save(path, format="PNG")
    return str(path)


def safe_join(base: str | Path, *parts: str | Path) -> Path:
    """``base / parts…`` that is guaranteed to stay inside ``base`` (symlinks resolved).

    Raises ``UnsafePathError`` for absolute parts, drive letters, '..' escapes or NUL bytes.
    """
    root = Path(base).resolve()
    for part in parts:
        text = str(part)
        if "\x00" in text:
            raise UnsafePathError(f"unsafe path component {text!r} (NUL byte)")
        if Path(text).is_absolute() or Path(text).drive or text.startswith(("/", "\\")):
            raise UnsafePathError(f"unsafe path component {text!r}: absolute paths are not allowed")
    target = root.joinpath(*[str(p) for p in parts]).resolve()
    if target != root and root not in target.parents:
        raise UnsafePathError(f"path {'/'.join(map(str, parts))!r} escapes {str(root)!r}")
    return target

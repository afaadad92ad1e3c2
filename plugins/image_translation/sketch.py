"""Line maps: what the edges -> emoji Pix2Pix sees (black strokes on white, one channel).

* ``edges(image)``: the line map of any picture (Canny on the picture resized to the model's
  resolution), the one the tab shows for "edges of an uploaded image".
* ``sketch_lines(image)``: a drawing (dark strokes on a light or transparent canvas: ``gr.Sketchpad``,
  an uploaded line drawing) turned into the same kind of map: cropped to its strokes and centred the
  way the emoji dataset centres each glyph on its alpha box, resized with area averaging, thresholded.
* ``training_edges(image, rng)``: the training pairs' inputs: Canny with jittered thresholds and blur,
  random stroke widths (1-3 px), a small random affine and elastic warp, and strokes dropped at
  random, so that a hand-drawn sketch (wobbly, incomplete, misregistered) is in distribution.
* ``hand_drawn_sketches(n, seed)``: face sketches drawn by a script (circles, eyes, mouths, brows,
  glasses, hats with wobbly strokes), never edges of an emoji: the hand-drawn-style test inputs.

Arrays: uint8 ``[H, W]``, 255 = paper, 0 = ink. ``to_input`` maps them to the model's ``[1, 1, H, W]``
tensor in [-1, 1]. Only numpy and OpenCV here (torch in ``to_input``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["edges", "sketch_lines", "training_edges", "hand_drawn_sketches", "to_input", "as_rgb_array",
           "CANNY_LOW", "CANNY_HIGH"]

CANNY_LOW, CANNY_HIGH = 60, 150


def as_rgb_array(image: Any, background: int = 255) -> np.ndarray:
    """PIL image, path or array (gray, RGB or RGBA) -> uint8 [H, W, 3], transparency over ``background``."""
    from PIL import Image

    if isinstance(image, (str, bytes)) or hasattr(image, "__fspath__"):
        image = Image.open(image)
    if isinstance(image, Image.Image):
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            rgba = image.convert("RGBA")
            canvas = Image.new("RGBA", rgba.size, (background,) * 3 + (255,))
            canvas.alpha_composite(rgba)
            image = canvas
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    a = np.asarray(image)
    if a.dtype != np.uint8:
        a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if a.ndim == 2:
        return np.repeat(a[:, :, None], 3, axis=2)
    if a.shape[2] == 4:
        alpha = a[:, :, 3:4].astype(np.float32) / 255.0
        return (a[:, :, :3] * alpha + background * (1 - alpha)).round().astype(np.uint8)
    return a[:, :, :3].copy()


def _resize(a: np.ndarray, size: int) -> np.ndarray:
    import cv2

    if a.shape[0] == size and a.shape[1] == size:
        return a
    interp = cv2.INTER_AREA if min(a.shape[:2]) > size else cv2.INTER_CUBIC
    return cv2.resize(a, (size, size), interpolation=interp)


def _square(a: np.ndarray, fill: int = 255) -> np.ndarray:
    h, w = a.shape[:2]
    s = max(h, w)
    out = np.full((s, s) + a.shape[2:], fill, a.dtype)
    out[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = a
    return out


def _canny(gray: np.ndarray, low: float, high: float, blur: float = 0.0) -> np.ndarray:
    import cv2

    if blur > 0:
        gray = cv2.GaussianBlur(gray, (0, 0), blur)
    return cv2.Canny(gray, low, high, L2gradient=True) > 0


def _thicken(ink: np.ndarray, width: int) -> np.ndarray:
    import cv2

    if width <= 1:
        return ink
    kernel = np.ones((2, 2), np.uint8) if width == 2 else cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    return cv2.dilate(ink.astype(np.uint8), kernel) > 0


def _paper(ink: np.ndarray) -> np.ndarray:
    return np.where(ink, 0, 255).astype(np.uint8)


def edges(image: Any, resolution: int = 64, low: float = CANNY_LOW, high: float = CANNY_HIGH,
          width: int = 1) -> np.ndarray:
    """The Canny line map of a picture at ``resolution`` (uint8, 0 = line): the model's input for a photo
    or an emoji. The picture is padded to a square with white, resized, and its grey levels traced."""
    import cv2

    rgb = _resize(_square(as_rgb_array(image)), resolution)
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return _paper(_thicken(_canny(gray, low, high), width))


def sketch_lines(image: Any, resolution: int = 64, fit: bool = True, ink_threshold: int = 160,
                 margin: float = 0.06) -> np.ndarray:
    """A drawing -> line map. Ink is anything darker than ``ink_threshold`` (any colour counts by its
    darkest channel). ``fit`` crops to the strokes and scales their box to fill the canvas less
    ``margin``, centred, as the dataset places each emoji; otherwise the canvas is only squared."""
    import cv2

    rgb = as_rgb_array(image)
    ink = rgb.min(axis=2) < ink_threshold
    if fit and ink.any():
        ys, xs = np.nonzero(ink)
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        crop = ink[y0:y1, x0:x1]
        side = max(crop.shape)
        pad = int(round(side * margin / (1 - 2 * margin)))
        canvas = np.zeros((side + 2 * pad, side + 2 * pad), bool)
        oy, ox = pad + (side - crop.shape[0]) // 2, pad + (side - crop.shape[1]) // 2
        canvas[oy:oy + crop.shape[0], ox:ox + crop.shape[1]] = crop
        ink = canvas
    else:
        ink = _square(ink.astype(np.uint8), 0) > 0
    # area-average the ink; strokes thinner than a target pixel still darken it, so keep those above ~1/4
    small = cv2.resize(ink.astype(np.float32), (resolution, resolution), interpolation=cv2.INTER_AREA)
    scale = ink.shape[0] / resolution
    threshold = 0.25 if scale > 2 else 0.5
    return _paper(small > threshold)


def _affine_warp(ink: np.ndarray, rng: np.random.Generator, max_shift: float, max_rot: float,
                 scale_range: float, elastic: float) -> np.ndarray:
    import cv2

    h, w = ink.shape
    angle = rng.uniform(-max_rot, max_rot)
    scale = 1 + rng.uniform(-scale_range, scale_range)
    m = cv2.getRotationMatrix2D((w / 2 - 0.5, h / 2 - 0.5), angle, scale)
    m[:, 2] += rng.uniform(-max_shift, max_shift, 2)
    grid_y, grid_x = np.mgrid[0:h, 0:w].astype(np.float32)
    src_x = m[0, 0] * grid_x + m[0, 1] * grid_y + m[0, 2]
    src_y = m[1, 0] * grid_x + m[1, 1] * grid_y + m[1, 2]
    if elastic > 0:  # a smooth displacement field: wobbly strokes
        coarse = rng.normal(0, elastic, (2, 5, 5)).astype(np.float32)
        src_x += cv2.resize(coarse[0], (w, h), interpolation=cv2.INTER_CUBIC)
        src_y += cv2.resize(coarse[1], (w, h), interpolation=cv2.INTER_CUBIC)
    # warp the (inverse) map: sample the ink at the transformed points
    warped = cv2.remap(ink.astype(np.float32), src_x.astype(np.float32), src_y.astype(np.float32), cv2.INTER_LINEAR,
                       borderValue=0)
    return warped > 0.35


def _drop_strokes(ink: np.ndarray, rng: np.random.Generator, p: float) -> np.ndarray:
    import cv2

    if p <= 0:
        return ink
    n, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    if n <= 2:
        return ink
    sizes = np.bincount(labels.ravel(), minlength=n)
    drop = rng.random(n) < p
    drop[0] = False
    drop[np.argmax(np.where(np.arange(n) > 0, sizes, -1))] = False  # the outline (largest stroke) stays
    return ink & ~drop[labels]


def training_edges(image: np.ndarray, rng: np.random.Generator, *, jitter: bool = True) -> np.ndarray:
    """One augmented line map of an emoji (uint8 [H, W, 3] -> uint8 [H, W], 0 = line).

    Thresholds, blur, stroke width (1 px 50 %, 2 px 35 %, 3 px 15 %), a +-4 degree / +-1.5 px / +-5 %
    affine, an elastic wobble (0-0.8 px) and dropping each stroke but the outline with probability
    0-0.25 are drawn from ``rng``; ``jitter=False`` gives ``edges`` (fixed thresholds, 1 px)."""
    import cv2

    if not jitter:
        return edges(image, image.shape[0])
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    low = rng.uniform(35, 110)
    high = low * rng.uniform(2.0, 3.0)
    ink = _canny(gray, low, high, blur=rng.choice([0.0, 0.0, 0.6, 0.9]))
    ink = _drop_strokes(ink, rng, rng.uniform(0, 0.25))
    width = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
    ink = _thicken(ink, width)
    if rng.random() < 0.85:
        ink = _affine_warp(ink, rng, max_shift=1.5, max_rot=4.0, scale_range=0.05, elastic=rng.uniform(0, 0.8))
    return _paper(ink)


def to_input(lines: np.ndarray):
    """uint8 line map(s) [H, W] or [N, H, W] -> float tensor [N, 1, H, W] in [-1, 1] (ink = -1)."""
    import torch

    a = np.asarray(lines)
    if a.ndim == 2:
        a = a[None]
    return torch.from_numpy(a.astype(np.float32)[:, None] / 127.5 - 1.0)


# ---------------------------------------------------------------------------------------------
# Script-drawn sketches (hand-drawn style, not derived from any emoji)

def _wobbly(points: np.ndarray, rng: np.random.Generator, amount: float) -> np.ndarray:
    n = len(points)
    noise = np.cumsum(rng.normal(0, amount, (n, 2)), axis=0)
    noise -= np.linspace(noise[0], noise[-1], n)  # ends stay near where the pen meant them
    return points + noise


def _ellipse_points(cx, cy, rx, ry, a0=0.0, a1=2 * np.pi, n=80, tilt=0.0):
    t = np.linspace(a0, a1, n)
    x, y = rx * np.cos(t), ry * np.sin(t)
    c, s = np.cos(tilt), np.sin(tilt)
    return np.stack([cx + c * x - s * y, cy + s * x + c * y], 1)


def hand_drawn_sketches(n: int = 8, seed: int = 0, size: int = 256, pen: int = 6) -> list[np.ndarray]:
    """``n`` face sketches drawn with a wobbly pen on a ``size`` canvas (uint8 RGB, black on white):
    an outline, eyes (dots, ovals or closed arcs), a mouth (smile, frown, open, flat), sometimes brows,
    glasses, a hat or hair. Feed them to ``sketch_lines``."""
    import cv2

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        canvas = np.full((size, size, 3), 255, np.uint8)
        s = size / 256

        def stroke(pts, thick=pen):
            pts = _wobbly(np.asarray(pts, np.float64), rng, 0.35 * s)
            cv2.polylines(canvas, [np.round(pts * 4).astype(np.int32)], False, (0, 0, 0), max(1, int(thick * s)),
                          lineType=cv2.LINE_AA, shift=2)

        cx, cy = 128 * s + rng.normal(0, 4 * s), 130 * s + rng.normal(0, 4 * s)
        r = rng.uniform(88, 104) * s
        stroke(_ellipse_points(cx, cy, r * rng.uniform(0.95, 1.05), r, 0, 2 * np.pi + 0.15, 120))
        eye_y = cy - r * rng.uniform(0.15, 0.3)
        dx = r * rng.uniform(0.32, 0.42)
        eye = rng.choice(["dot", "oval", "arc"])
        for sx in (-1, 1):
            ex = cx + sx * dx
            if eye == "dot":
                cv2.circle(canvas, (int(ex), int(eye_y)), int(rng.uniform(6, 9) * s), (0, 0, 0), -1, cv2.LINE_AA)
            elif eye == "oval":
                stroke(_ellipse_points(ex, eye_y, r * 0.1, r * 0.16, 0, 2 * np.pi + 0.2, 40))
            else:
                stroke(_ellipse_points(ex, eye_y + r * 0.05, r * 0.14, r * 0.1, np.pi * 1.1, np.pi * 1.9, 30))
        if rng.random() < 0.4:  # brows
            for sx in (-1, 1):
                ex = cx + sx * dx
                stroke([[ex - r * 0.15, eye_y - r * 0.25 - sx * rng.uniform(-6, 6) * s], [ex + r * 0.15, eye_y - r * 0.27]])
        mouth = rng.choice(["smile", "grin", "frown", "open", "flat"])
        my = cy + r * rng.uniform(0.3, 0.45)
        w = r * rng.uniform(0.35, 0.55)
        if mouth == "smile":
            stroke(_ellipse_points(cx, my - r * 0.15, w, r * 0.22, 0.15 * np.pi, 0.85 * np.pi, 40))
        elif mouth == "grin":
            pts = _ellipse_points(cx, my - r * 0.12, w, r * 0.28, 0.0, np.pi, 40)
            stroke(np.concatenate([pts, pts[:1]]))
        elif mouth == "frown":
            stroke(_ellipse_points(cx, my + r * 0.12, w * 0.8, r * 0.15, 1.15 * np.pi, 1.85 * np.pi, 40))
        elif mouth == "open":
            stroke(_ellipse_points(cx, my, r * 0.16, r * 0.2, 0, 2 * np.pi + 0.2, 40))
        else:
            stroke([[cx - w * 0.7, my], [cx + w * 0.7, my + rng.normal(0, 2) * s]])
        extra = rng.choice(["none", "none", "glasses", "hat", "hair"])
        if extra == "glasses":
            for sx in (-1, 1):
                stroke(_ellipse_points(cx + sx * dx, eye_y, r * 0.22, r * 0.18, 0, 2 * np.pi + 0.2, 40))
            stroke([[cx - dx + r * 0.22, eye_y], [cx + dx - r * 0.22, eye_y]])
        elif extra == "hat":
            top = cy - r * 0.75
            stroke([[cx - r * 1.05, top], [cx + r * 1.05, top]])
            stroke([[cx - r * 0.6, top], [cx - r * 0.55, top - r * 0.6], [cx + r * 0.55, top - r * 0.6], [cx + r * 0.6, top]])
        elif extra == "hair":
            for k in range(7):
                a = np.pi * (1.2 + 0.6 * k / 6)
                x0, y0 = cx + r * np.cos(a), cy + r * np.sin(a)
                stroke([[x0, y0], [x0 + rng.normal(0, 4) * s, y0 - r * 0.2]])
        out.append(canvas)
    return out

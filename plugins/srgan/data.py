"""Offline photo crops for SR training: HR crops and their antialiased bicubic x4 LR versions.

Sources (all installed locally, nothing is downloaded):
* scikit-image's bundled sample images (files shipped inside the wheel, ``skimage/data/*.png|jpg``;
  the pooch-downloaded ones are not used);
* Debian ``opencv-doc`` example images (``/usr/share/doc/opencv-doc/examples/data``);
* photographs from Debian's ``lomiri-wallpapers-16.04`` when installed (``/usr/share/backgrounds/*_by_*.jpg``,
  CC-BY-4.0 / CC-BY-SA-4.0 per its copyright file); the package's other files and ukui's renders are not photos.

A fixed set of whole photos is HELD OUT for evaluation (``HELD_OUT``); training never sees them.
Synthetic images (logos, text, charts, calibration targets, masks) are excluded: the model is for photos.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image

OPENCV_DIR = Path("/usr/share/doc/opencv-doc/examples/data")


def _skimage_dir() -> Path:
    import skimage.data

    return Path(skimage.data.__file__).parent


# Held out (never trained on): natural photos with fine texture, Set5/Set14-like content.
HELD_OUT = (
    "opencv:baboon.jpg", "opencv:butterfly.jpg", "opencv:fruits.jpg", "opencv:home.jpg",
    "opencv:squirrel_cls.jpg", "skimage:chelsea.png", "skimage:coffee.png", "skimage:rocket.jpg",
)

# Not photos (or near-duplicates of a held-out photo): excluded from training.
EXCLUDED = {
    "opencv": {"LinuxLogo.jpg", "WindowsLogo.jpg", "aloeGT.png", "cards.png", "chessboard.png", "detect_blob.png",
               "digits.png", "ellipses.jpg", "gradient.png", "imageTextN.png", "imageTextR.png", "mask.png",
               "ml.png", "notes.png", "opencv-logo-white.png", "opencv-logo.png", "templ.png", "tmpl.png",
               "pca_test1.jpg", "box.png", "box_in_scene.png", "sudoku.png", "text_defocus.jpg", "text_motion.jpg",
               "HappyFish.jpg", "aloeR.jpg", "rubberwhale2.png", "basketball2.png", "leuvenB.jpg", "right.jpg",
               "graf3.png", "Blender_Suzanne2.jpg", "ela_modified.jpg"}
              | {f"right{i:02d}.jpg" for i in range(1, 15)} | {f"left{i:02d}.jpg" for i in range(2, 15)},
    "skimage": {"chessboard_GRAY.png", "chessboard_RGB.png", "logo.png", "text.png", "page.png", "phantom.png",
                "microaneurysms.png", "horse.png", "motorcycle_right.png", "clock_motion.png", "color.png"},
}

EXTRA_GLOBS: tuple[tuple[Path, str], ...] = ((Path("/usr/share/backgrounds"), "*_by_*.jpg"),)


def _list(prefix: str, folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    names = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    return [f"{prefix}:{n}" for n in names if n not in EXCLUDED.get(prefix, set())]


def resolve(key: str) -> Path:
    prefix, name = key.split(":", 1)
    if prefix == "opencv":
        return OPENCV_DIR / name
    if prefix == "skimage":
        return _skimage_dir() / name
    return Path(name)  # "file:/abs/path"


def all_photos() -> list[str]:
    keys = _list("opencv", OPENCV_DIR) + _list("skimage", _skimage_dir())
    for folder, pattern in EXTRA_GLOBS:
        if folder.is_dir():
            keys += [f"file:{p}" for p in sorted(folder.glob(pattern))]
    return keys


def training_photos() -> list[str]:
    return [k for k in all_photos() if k not in HELD_OUT]


def held_out_photos() -> list[str]:
    return [k for k in HELD_OUT if resolve(k).exists()]


@lru_cache(maxsize=None)
def load_rgb(key: str, max_side: int = 1536) -> np.ndarray:
    """uint8 HxWx3 (grey photos replicated); very large wallpapers are reduced to ``max_side``."""
    img = Image.open(resolve(key))
    img = img.convert("RGB")
    if max(img.size) > max_side:
        img.thumbnail((max_side, max_side), Image.BICUBIC, reducing_gap=None)
    return np.asarray(img)


def bicubic_down(hr: Image.Image, scale: int) -> Image.Image:
    """The paper's degradation: bicubic downscale by ``scale`` with antialiasing (PIL's BICUBIC filter)."""
    w, h = hr.size
    return hr.resize((w // scale, h // scale), Image.BICUBIC)


def crop_to_multiple(img: Image.Image, scale: int) -> Image.Image:
    w, h = img.size
    return img.crop((0, 0, w - w % scale, h - h % scale))


class CropSampler:
    """Seeded random HR crops (``crop``x``crop``, 96 in the paper) with flips/90° rotations, and LR = bicubic/scale.

    ``batch(step)`` is a pure function of (seed, step): resuming at step N yields exactly the batches
    an uninterrupted run would have seen.
    """

    def __init__(self, keys: list[str], crop: int = 96, scale: int = 4, seed: int = 0):
        self.keys, self.crop, self.scale, self.seed = list(keys), crop, scale, seed
        sizes = np.array([max(1, (load_rgb(k).shape[0] - crop) * (load_rgb(k).shape[1] - crop)) for k in self.keys],
                         dtype=np.float64)
        # sample photos in proportion to sqrt(area): big photos give more crops, small ones still appear
        self.weights = np.sqrt(sizes) / np.sqrt(sizes).sum()

    def batch(self, step: int, batch_size: int):
        import torch

        rng = np.random.default_rng([self.seed, step])
        hrs, lrs = [], []
        for _ in range(batch_size):
            arr = load_rgb(self.keys[rng.choice(len(self.keys), p=self.weights)])
            h, w = arr.shape[:2]
            if h < self.crop or w < self.crop:
                arr = np.asarray(Image.fromarray(arr).resize((max(w, self.crop), max(h, self.crop)), Image.BICUBIC))
                h, w = arr.shape[:2]
            y, x = rng.integers(0, h - self.crop + 1), rng.integers(0, w - self.crop + 1)
            patch = arr[y:y + self.crop, x:x + self.crop]
            if rng.random() < 0.5:
                patch = patch[:, ::-1]
            patch = np.rot90(patch, int(rng.integers(0, 4)))
            hr = Image.fromarray(np.ascontiguousarray(patch))
            lr = bicubic_down(hr, self.scale)
            hrs.append(np.asarray(hr))
            lrs.append(np.asarray(lr))

        def to_t(a):
            return torch.from_numpy(np.stack(a)).permute(0, 3, 1, 2).float().div(127.5).sub(1)

        return to_t(lrs), to_t(hrs)


def dataset_fingerprint(keys: list[str]) -> str:
    h = hashlib.sha256()
    for k in keys:
        h.update(k.encode())
    return h.hexdigest()[:12]

"""Twemoji faces and people: the same code points as the Noto emoji set, drawn in Twitter's style.

One command builds it, byte for byte the same each run::

    python -m plugins.emoji.twemoji --resolution 64

Source: the npm package ``emoji-datasource-twitter`` at a pinned version (``PACKAGE``), fetched once
with ``npm pack`` into ``~/.cache/ganhub/npm/`` and checked against its sha256 (``PACKAGE_SHA256``);
its ``img/twitter/64/<code points>.png`` (64x64 RGBA, Twemoji graphics, CC-BY 4.0) are read straight
from the tarball. The records are the Noto set's (``plugins.emoji.dataset.catalog``: every name,
label and the held-out split by base emoji), in its order, so row ``i`` of both sets is the same
code-point sequence wherever both have it; a sequence the package has no image for is dropped and
listed in the manifest. Each PNG is composited on white and centred on its alpha box on a canvas 9/8
of its size, the Noto set's ratio (its 128 px strikes on a 144 px canvas), then resized with Lanczos.

The output folder ``<root>/twemoji<res>/`` (root: ``$GANHUB_DATA`` or ``~/.cache/ganhub/data``) holds
``images.npy`` (uint8 [N, H, W, 3]), ``meta.jsonl`` (the Noto record plus ``noto_index``, its row in the
Noto set, and ``twemoji_image``) and ``manifest.json`` (sha256 of both files and of the package).

Uses: CycleGAN's unpaired second domain (``plugins.image_translation``, which never reads the
correspondence in training), and an out-of-style set for anything judged on Noto emoji.
Importing this module is light (numpy only).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from hub.weights import sha256_file
from plugins.emoji.dataset import ensure_built, publish_arrays  # the Noto set's folder layout and publish

__all__ = ["PACKAGE", "PACKAGE_VERSION", "PACKAGE_SHA256", "TWEMOJI_VERSION", "npm_cache_dir", "package_tarball",
           "dataset_dir", "image_name", "build", "ensure_twemoji_dataset", "load_twemoji_arrays", "load_twemoji_people",
           "main"]

PACKAGE = "emoji-datasource-twitter"
PACKAGE_VERSION = "16.0.0"
#: sha256 of ``emoji-datasource-twitter-16.0.0.tgz`` as ``npm pack`` wrote it (npm checks its sha512 too)
PACKAGE_SHA256 = "f64a530c63bca463bd8317fdc4615ce63a53a0c65018e4ce2d848aaba7a28877"
#: Bump when rendering or the record fields change; an existing folder of another version is rebuilt.
TWEMOJI_VERSION = 1
_SOURCE_SIZE = 64
_CANVAS_RATIO = 144 / 128


def npm_cache_dir() -> Path:
    return Path(os.environ.get("GANHUB_NPM_CACHE") or Path.home() / ".cache" / "ganhub" / "npm")


def package_tarball(fetch: bool = True) -> Path:
    """The pinned package tarball, ``npm pack``-ed into ``npm_cache_dir()`` on first use, sha256-checked."""
    folder = npm_cache_dir()
    path = folder / f"{PACKAGE}-{PACKAGE_VERSION}.tgz"
    if not path.is_file():
        if not fetch:
            raise FileNotFoundError(f"{path} is missing: run `python -m plugins.emoji.twemoji` once (it runs npm pack)")
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is needed once to fetch the Twemoji images (`apt-get install npm`)")
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "pack", f"{PACKAGE}@{PACKAGE_VERSION}", "--silent"], cwd=folder, check=True,
                       stdout=subprocess.DEVNULL)
    digest = sha256_file(path)
    if digest != PACKAGE_SHA256:
        raise RuntimeError(f"{path} has sha256 {digest}, not the pinned {PACKAGE_SHA256}: delete it and build again")
    return path


def data_root() -> Path:
    from plugins.emoji.dataset import data_root as noto_root

    return noto_root()


def dataset_dir(resolution: int = 64, root: Path | str | None = None) -> Path:
    return Path(root or data_root()) / f"twemoji{resolution}"


def image_name(codepoints: Sequence[str]) -> list[str]:
    """Candidate file names of a sequence in the package: as written, then without FE0F."""
    full = "-".join(c.lower() for c in codepoints)
    bare = "-".join(c.lower() for c in codepoints if c.upper() != "FE0F")
    return [f"{full}.png"] + ([f"{bare}.png"] if bare != full else [])


def render(png: bytes, resolution: int = 64):
    """One package PNG on white, centred on its alpha box on a 9/8 canvas, resized: a PIL RGB image."""
    from PIL import Image

    sprite = Image.open(io.BytesIO(png)).convert("RGBA")
    canvas_size = int(round(max(sprite.size) * _CANVAS_RATIO))
    box = sprite.getchannel("A").getbbox() or (0, 0, sprite.width, sprite.height)
    canvas = Image.new("RGBA", (canvas_size, canvas_size), (255, 255, 255, 255))
    x = (canvas_size - (box[0] + box[2])) // 2
    y = (canvas_size - (box[1] + box[3])) // 2
    canvas.alpha_composite(sprite, (max(x, -box[0]), max(y, -box[1])))
    return canvas.convert("RGB").resize((resolution, resolution), Image.Resampling.LANCZOS)


def build(resolution: int = 64, root: Path | str | None = None, *, limit: int | None = None,
          out_dir: Path | str | None = None, verbose: bool = False) -> Path:
    """Render the Twemoji set into ``out_dir`` (default ``dataset_dir(resolution, root)``)."""
    if resolution not in (32, 64):
        raise ValueError(f"resolution must be 32 or 64 (the package's images are {_SOURCE_SIZE} px), not {resolution}")
    from plugins.emoji.dataset import catalog

    tarball = package_tarball()
    records, _ = catalog()
    if limit is not None:
        records = records[:limit]
    with tarfile.open(tarball, "r:gz") as tar:
        prefix = f"package/img/twitter/{_SOURCE_SIZE}/"
        members = {m.name[len(prefix):]: m for m in tar.getmembers() if m.name.startswith(prefix)}
        kept, images, dropped = [], [], []
        for noto_index, rec in enumerate(records):
            name = next((n for n in image_name(rec["codepoints"]) if n in members), None)
            if name is None:
                dropped.append(rec["name"])
                continue
            images.append(np.asarray(render(tar.extractfile(members[name]).read(), resolution), dtype=np.uint8))
            r = {k: v for k, v in rec.items() if k != "glyph"}
            r.update(index=len(kept), noto_index=noto_index, twemoji_image=name)
            kept.append(r)
    out = Path(out_dir) if out_dir else dataset_dir(resolution, root)
    manifest = publish_arrays(out, np.stack(images), kept, {
        "version": TWEMOJI_VERSION, "resolution": resolution, "count": len(kept),
        "train": sum(r["split"] == "train" for r in kept), "heldout": sum(r["split"] == "heldout" for r in kept),
        "subset": limit is not None, "dropped": dropped, "package": f"{PACKAGE}@{PACKAGE_VERSION}",
        "package_sha256": PACKAGE_SHA256, "license": "CC-BY-4.0 (Twemoji graphics, Twitter Inc. and contributors)",
    })
    if verbose:
        print(f"twemoji{resolution}: {manifest['count']} images ({manifest['train']} train, {manifest['heldout']} heldout), "
              f"dropped {len(dropped)} -> {out}")
        print(f"images.npy sha256 {manifest['images_sha256']}")
    return out


def ensure_twemoji_dataset(resolution: int = 64, root: Path | str | None = None) -> Path:
    """The dataset folder, built first if missing, partial or from another version."""
    return ensure_built(dataset_dir(resolution, root), TWEMOJI_VERSION, lambda: build(resolution, root, verbose=True))


def load_twemoji_arrays(resolution: int = 64, split: str = "train", root: Path | str | None = None,
                        ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """``(uint8 [N, H, W, 3], meta records)`` for ``split`` in {"train", "heldout", "all"}, like
    ``plugins.emoji.dataset.load_emoji_arrays``; ``meta[i]["noto_index"]`` is the row of the same
    code points in the Noto set."""
    if split not in ("train", "heldout", "all"):
        raise ValueError(f'split must be "train", "heldout" or "all", not {split!r}')
    folder = ensure_twemoji_dataset(resolution, root)
    images = np.load(folder / "images.npy", allow_pickle=False)
    with open(folder / "meta.jsonl", encoding="utf-8") as fh:
        meta = [json.loads(line) for line in fh if line.strip()]
    if split == "all":
        return images, meta
    keep = [i for i, m in enumerate(meta) if m["split"] == split]
    return images[keep], [meta[i] for i in keep]


def load_twemoji_people(n: int | None = None, resolution: int = 64, split: str = "heldout") -> np.ndarray:
    """The first ``n`` person emoji (kind "person") of ``split``, uint8 [N, H, W, 3]: the out-of-style
    set of the PTI and new-user benchmarks (Twemoji people, which the Noto-trained models never saw)."""
    images, meta = load_twemoji_arrays(resolution, split)
    people = [i for i, m in enumerate(meta) if m.get("kind") == "person"]
    return images[people[:n] if n is not None else people]


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m plugins.emoji.twemoji", description=__doc__.split("\n\n")[0])
    p.add_argument("--resolution", type=int, default=64, choices=(32, 64))
    p.add_argument("--root", default=None, help="data root (default $GANHUB_DATA or ~/.cache/ganhub/data)")
    p.add_argument("--out", default=None, help="exact output folder (overrides --root)")
    p.add_argument("--limit", type=int, default=None, help="only the first N Noto records (a test subset)")
    p.add_argument("--contact-sheet", default=None, help="also save a PNG grid of the images here")
    args = p.parse_args(list(argv) if argv is not None else None)
    out = build(args.resolution, args.root, limit=args.limit, out_dir=args.out, verbose=True)
    if args.contact_sheet:
        from plugins.emoji.dataset import contact_sheet

        contact_sheet(np.load(out / "images.npy")).save(args.contact_sheet)
        print(f"contact sheet -> {args.contact_sheet}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

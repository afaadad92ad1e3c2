"""Emoji faces and people: rendered offline from Noto Color Emoji, labelled from their Unicode names.

One command builds it, byte for byte the same each run::

    python -m plugins.emoji.dataset --resolution 64        # or: ganhub data emoji --resolution 64

Sources (Debian packages): ``fonts-noto-color-emoji`` (CBDT colour bitmaps, one 136x128 PNG per glyph)
and ``unicode-data`` (``emoji-test.txt``: code points, group/subgroup, CLDR short name). Each
fully-qualified sequence is shaped to ONE glyph with fontTools (cmap, then the font's GSUB ligature
lookups, so ZWJ sequences such as "woman: red hair" become their own glyph), its PNG strike is taken
straight from the CBDT table, composited on white, centred on its alpha box and resized with Lanczos.
Sequences that do not shape to a single glyph with a bitmap are dropped (none are, with the Debian font).

The output folder ``<root>/emoji<res>/`` (root: ``$GANHUB_DATA`` or ``~/.cache/ganhub/data``) holds
``images.npy`` (uint8 [N, H, W, 3]), ``meta.jsonl`` (one record per image) and ``manifest.json``
(sha256 of both files, counts, source hashes). Labels, captions and the split: see docs/data.md.

Importing this module is light (numpy only); fontTools and PIL load in ``build``, torch in
``EmojiDataset``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import sys
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from hub.weights import sha256_file

__all__ = [
    "ATTRIBUTES",
    "SKIN_TONES",
    "HAIR_TYPES",
    "GENDERS",
    "KINDS",
    "DATASET_VERSION",
    "FONT_PATH",
    "EMOJI_TEST_PATH",
    "data_root",
    "dataset_dir",
    "parse_emoji_test",
    "describe",
    "render_glyph",
    "render_emoji",
    "catalog",
    "build",
    "ensure_emoji_dataset",
    "load_emoji_arrays",
    "EmojiDataset",
    "label_vector",
    "compositional_holdout",
    "heldout_bases",
    "without_gender_words",
    "COMPOSITIONAL_HOLDOUT_RULES",
    "main",
]

#: Bump when rendering, labels or the split change: it is written to manifest.json, and an
#: existing cache folder with another version is rebuilt by ``ensure_emoji_dataset``.
DATASET_VERSION = 1

FONT_PATH = Path(os.environ.get("GANHUB_EMOJI_FONT", "/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"))
EMOJI_TEST_PATH = Path(os.environ.get("GANHUB_EMOJI_TEST", "/usr/share/unicode/emoji/emoji-test.txt"))

SKIN_TONES = ["none", "light", "medium-light", "medium", "medium-dark", "dark"]
HAIR_TYPES = ["none", "red", "curly", "white", "bald", "blond"]
GENDERS = ["unspecified", "man", "woman", "person"]
KINDS = ["face", "person", "multi-person"]
_NO_YES = ["no", "yes"]

#: Attribute name -> class names. A label of -1 means "not defined for this image" (mask it out).
ATTRIBUTES: dict[str, list[str]] = {
    "skin_tone": SKIN_TONES,
    "hair": HAIR_TYPES,
    "gender": GENDERS,
    "smiling": _NO_YES,
    "glasses": _NO_YES,
    "beard": _NO_YES,
    "headwear": _NO_YES,
    "kind": KINDS,
}

# ---------------------------------------------------------------------------------------------
# Coverage: which emoji-test entries belong to a face/people dataset.

_GROUPS = ("Smileys & Emotion", "People & Body")
# Hands and body parts carry skin tones but no face or person: they would teach the generator
# disembodied hands, so they are left out (docs/data.md). Hearts and "emotion" symbols likewise, and
# "person-symbol" (speaking head, busts, people hugging: flat blue silhouettes without face or skin).
_EXCLUDED_SUBGROUPS = {
    "heart", "emotion", "person-symbol",
    "hand-fingers-open", "hand-fingers-partial", "hand-single-finger", "hand-fingers-closed",
    "hands", "hand-prop", "body-parts",
}
_EXCLUDED_NAMES = {"footprints"}
# Every "family" glyph of this Noto version is a grey tile with black silhouettes (no face, skin or
# hair): a pictogram, not a drawing of people. "kiss" and "couple with heart" stay.
_EXCLUDED_HEADS = {"family"}

_SKIN_MODIFIERS = {0x1F3FB: 1, 0x1F3FC: 2, 0x1F3FD: 3, 0x1F3FE: 4, 0x1F3FF: 5}

# ---------------------------------------------------------------------------------------------
# Labels from names. Everything here reads only the CLDR name (and subgroup), nothing else.

_MAN_WORDS = {"man", "men", "boy", "merman", "prince"}
_WOMAN_WORDS = {"woman", "women", "girl", "mermaid", "princess"}
_PERSON_WORDS = {"person", "people", "child", "baby", "merperson"}
_SPECIAL_GENDER = {"santa claus": "man", "mrs. claus": "woman", "mx claus": "person"}
_HAIR_PHRASES = [("red hair", "red"), ("curly hair", "curly"), ("white hair", "white"),
                 ("blond hair", "blond"), ("bald", "bald")]
# Drawn with grey/white hair or under a hat, but the name does not say which: hair left undefined.
_HAIR_UNDEFINED_HEADS = {"older person", "old man", "old woman", "santa claus", "mrs. claus", "mx claus"}
_SMILING_WORDS = {"smiling", "grinning", "beaming", "grin", "laughing", "joy"}
_GLASSES_WORDS = {"glasses", "sunglasses", "nerd"}
_HEADWEAR_WORDS = {"hat", "cap", "skullcap", "crown", "turban", "headscarf", "veil", "helmet", "partying"}
# Roles that every vendor draws with a head covering (hard hat, police cap, crown, chef's hat ...).
_HEADWEAR_ROLES = {"construction worker", "guard", "police officer", "prince", "princess", "santa claus",
                   "mrs. claus", "mx claus", "firefighter", "pilot", "astronaut", "cook", "farmer",
                   "detective"}
_ROLE_SUBGROUPS = {"person-role", "person-fantasy"}
_ACTIVITY_SUBGROUPS = {"person-gesture", "person-activity", "person-sport", "person-resting"}
_MULTI_WORDS = {"people", "men", "women", "busts"}

_GENDER_WORDS = _MAN_WORDS | _WOMAN_WORDS | _PERSON_WORDS | {"old", "older"}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:[-'’][a-z0-9]+)*", text.lower())


def without_gender_words(text: str) -> str:
    """The name's words less man/woman/person and their kin: "man with veil" -> "with veil"; the
    concept the gender variants of an emoji share."""
    return " ".join(t for t in _tokens(text) if t not in _GENDER_WORDS)


def _gender_of_word(word: str) -> str | None:
    if word in _MAN_WORDS:
        return "man"
    if word in _WOMAN_WORDS:
        return "woman"
    if word in _PERSON_WORDS:
        return "person"
    return None


def _split_name(name: str) -> tuple[str, list[str]]:
    """``"kiss: woman, man, light skin tone"`` -> ``("kiss", ["woman", "man", "light skin tone"])``."""
    head, _, rest = name.partition(": ")
    items = [item.strip() for part in rest.split(": ") for item in part.split(", ") if item.strip()] if rest else []
    return head, items


def base_name(name: str) -> str:
    """The name without its skin-tone qualifiers: the unit of the held-out split."""
    head, _, rest = name.partition(": ")
    parts = []
    for part in rest.split(": ") if rest else []:
        kept = [item for item in part.split(", ") if not item.endswith("skin tone")]
        # "kiss: person, person, light skin tone, dark skin tone" is the plain "kiss" in two tones
        if kept and set(kept) != {"person"}:
            parts.append(", ".join(kept))
    return ": ".join([head] + parts)


def describe(name: str, group: str, subgroup: str, codepoints: Sequence[int]) -> dict[str, Any]:
    """Every label, the caption and the keywords of one emoji, from its name alone."""
    head, items = _split_name(name)
    head_l = head.lower()
    name_l = name.lower()
    tokens = _tokens(name)
    head_tokens = _tokens(head)

    tones = [_SKIN_MODIFIERS[c] for c in codepoints if c in _SKIN_MODIFIERS]
    has_skin_tone = bool(tones)
    if not tones:
        skin_tone = 0
    elif len(set(tones)) == 1:
        skin_tone = tones[0]
    else:
        skin_tone = -1  # a couple or family drawn with two different tones
    distinct_tones = sorted(set(tones), key=tones.index)

    if group == "Smileys & Emotion":
        kind = "face"
    elif subgroup == "family" or set(tokens) & _MULTI_WORDS or "holding hands" in name_l:
        kind = "multi-person"
    else:
        kind = "person"

    if kind == "face":
        gender = "unspecified"
    elif head_l in _SPECIAL_GENDER:
        gender = _SPECIAL_GENDER[head_l]
    elif kind == "multi-person":
        found = {g for g in map(_gender_of_word, tokens) if g}
        # "kiss: woman, man" -> mixed (undefined); plain "kiss" shows two gender-neutral persons
        gender = found.pop() if len(found) == 1 else ("mixed" if found else "person")
    else:
        gender = next((g for g in map(_gender_of_word, head_tokens) if g), None) or \
            next((g for g in map(_gender_of_word, tokens) if g), None) or "person"

    hair = "none"
    for phrase, value in _HAIR_PHRASES:
        if phrase in items:
            hair = value
    hair_defined = head_l not in _HAIR_UNDEFINED_HEADS

    smiling = kind == "face" and bool(set(tokens) & _SMILING_WORDS)
    glasses = bool(set(tokens) & _GLASSES_WORDS)
    beard = "beard" in tokens
    headwear = bool(set(tokens) & _HEADWEAR_WORDS) or any(
        head_l == r or head_l.endswith(" " + r) for r in _HEADWEAR_ROLES)

    stripped = without_gender_words(head) or head_l
    role = stripped if subgroup in _ROLE_SUBGROUPS else ""
    activity = stripped if subgroup in _ACTIVITY_SUBGROUPS else ""

    caption = _caption(head, items, distinct_tones)
    labels = {
        "skin_tone": skin_tone,
        "hair": HAIR_TYPES.index(hair) if hair_defined else -1,
        "gender": GENDERS.index(gender) if gender in GENDERS else -1,
        "smiling": int(smiling) if kind == "face" else -1,
        "glasses": int(glasses),
        "beard": int(beard),
        "headwear": int(headwear),
        "kind": KINDS.index(kind),
    }
    members = [i for i in items if i in {"man", "woman", "boy", "girl"}]  # "kiss: woman, man"
    keywords = _keywords(head_tokens + members, kind, gender, hair, distinct_tones, smiling, glasses, beard,
                         headwear, role or activity)
    return {
        "name": name, "base_name": base_name(name), "caption": caption, "keywords": keywords,
        "group": group, "subgroup": subgroup, "kind": kind, "gender": gender, "hair": hair,
        "skin_tone": skin_tone, "skin_tone_name": SKIN_TONES[skin_tone] if skin_tone >= 0 else "mixed",
        "skin_tones": tones, "has_skin_tone": has_skin_tone,
        "smiling": smiling, "glasses": glasses, "beard": beard, "headwear": headwear,
        "role": role, "activity": activity, "labels": labels,
    }


def _join_and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _caption(head: str, items: list[str], tones: list[int]) -> str:
    """CLDR name -> natural text: "woman: red hair: medium-dark skin tone" -> "woman with red hair,
    medium-dark skin tone"; "man: bald" -> "bald man"; "family: man, girl" -> "family of man and girl"."""
    hair = [i for i in items if i in {"red hair", "curly hair", "white hair", "blond hair"}]
    people = [i for i in items if i in {"man", "woman", "boy", "girl", "person"}]
    text = ("bald " + head) if "bald" in items else head
    if hair:
        text += " with " + _join_and(hair)
    if "beard" in items:
        text += " with a beard"
    if people:
        text += (" of " if head == "family" else ", ") + _join_and(people)
    if tones:
        text += ", " + _join_and([f"{SKIN_TONES[t]} skin tone" for t in tones])
    return text


def _keywords(head_tokens, kind, gender, hair, tones, smiling, glasses, beard, headwear, role) -> list[str]:
    words: list[str] = []
    for w in list(head_tokens) + ["face" if kind == "face" else "",
                                  gender if gender not in {"unspecified", "mixed"} else ""]:
        if w and w not in words:
            words.append(w)
    extra = [f"{hair} hair" if hair not in {"none", "bald"} else ("bald" if hair == "bald" else "")]
    extra += [f"{SKIN_TONES[t]} skin tone" for t in tones]
    extra += ["smiling" if smiling else "", "glasses" if glasses else "", "beard" if beard else "",
              "headwear" if headwear else "", role]
    for w in extra:
        if w and w not in words:
            words.append(w)
    return words


def label_vector(meta: dict[str, Any]) -> dict[str, int]:
    """Attribute -> class index (``-1``: not defined for this image), in ``ATTRIBUTES`` order."""
    labels = meta.get("labels")
    if labels is None:
        labels = describe(meta["name"], meta["group"], meta["subgroup"], _parse_codepoints(meta["codepoints"]))["labels"]
    return {attr: int(labels[attr]) for attr in ATTRIBUTES}


#: (description, predicate) pairs; text-to-image never trains on an image that matches one.
COMPOSITIONAL_HOLDOUT_RULES: list[tuple[str, Callable[[dict], bool]]] = [
    ("red hair + dark skin tone", lambda m: m["hair"] == "red" and m["skin_tone"] == 5),
    ("woman + white hair", lambda m: m["gender"] == "woman" and m["hair"] == "white"),
    ("man + curly hair + medium skin tone",
     lambda m: m["gender"] == "man" and m["hair"] == "curly" and m["skin_tone"] == 3),
    ("person + bald + light skin tone",
     lambda m: m["gender"] == "person" and m["hair"] == "bald" and m["skin_tone"] == 1),
    ("woman + blond hair + medium-dark skin tone",
     lambda m: m["gender"] == "woman" and m["hair"] == "blond" and m["skin_tone"] == 4),
]


def compositional_holdout(meta: dict[str, Any]) -> bool:
    """True for attribute combinations that text-to-image withholds from training (docs/data.md)."""
    return any(rule(meta) for _, rule in COMPOSITIONAL_HOLDOUT_RULES)


# ---------------------------------------------------------------------------------------------
# Parsing emoji-test.txt

def _parse_codepoints(cps: Iterable[str] | str) -> list[int]:
    if isinstance(cps, str):
        cps = cps.split()
    return [int(c, 16) for c in cps]


def parse_emoji_test(path: Path | str = EMOJI_TEST_PATH, *, all_groups: bool = False) -> list[dict[str, Any]]:
    """Fully-qualified entries of the face/people groups, in file (CLDR) order."""
    entries, group, subgroup = [], "", ""
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
        elif line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#") and "; fully-qualified" in line:
            cps, _, comment = line.partition("#")
            name = re.sub(r"^\s*\S+\s+E\d+\.\d+\s+", "", comment).strip()
            if not all_groups and (group not in _GROUPS or subgroup in _EXCLUDED_SUBGROUPS
                                   or name in _EXCLUDED_NAMES or name.split(":")[0] in _EXCLUDED_HEADS):
                continue
            entries.append({"codepoints": _parse_codepoints(cps.split(";")[0]), "name": name,
                            "group": group, "subgroup": subgroup})
    return entries


# ---------------------------------------------------------------------------------------------
# Rendering: fontTools shaping (cmap + GSUB ligatures) and the CBDT PNG strike.

class _EmojiFont:
    def __init__(self, path: Path):
        from fontTools.ttLib import TTFont

        font = TTFont(str(path), lazy=False)
        self.cmap = font.getBestCmap()
        self.lookups = []
        gsub = font["GSUB"].table
        used = sorted({i for fr in gsub.FeatureList.FeatureRecord for i in fr.Feature.LookupListIndex})
        for index in used:  # only ligature lookups (type 4) join sequences; the others handle flags
            lookup = gsub.LookupList.Lookup[index]
            if lookup.LookupType == 4:
                ligs: dict[str, list[tuple[list[str], str]]] = {}
                for sub in lookup.SubTable:
                    for first, lst in sub.ligatures.items():
                        ligs.setdefault(first, []).extend((list(l.Component), l.LigGlyph) for l in lst)
                for first in ligs:  # longest match first, as a shaper does
                    ligs[first].sort(key=lambda cl: -len(cl[0]))
                self.lookups.append(ligs)
        strike = font["CBDT"].strikeData[0]
        self.bitmaps = {name: strike[name].imageData for name in strike}

    def shape(self, codepoints: Sequence[int]) -> list[str]:
        # FE0F (emoji presentation selector) has no glyph: a shaper hides it, and so do we.
        glyphs = [self.cmap.get(c, ".notdef") for c in codepoints if c != 0xFE0F]
        for ligs in self.lookups:
            out, i = [], 0
            while i < len(glyphs):
                for comps, lig in ligs.get(glyphs[i], ()):
                    if glyphs[i + 1:i + 1 + len(comps)] == comps:
                        out.append(lig)
                        i += 1 + len(comps)
                        break
                else:
                    out.append(glyphs[i])
                    i += 1
            glyphs = out
        return glyphs


@lru_cache(maxsize=2)
def _font(path: str = str(FONT_PATH)) -> _EmojiFont:
    return _EmojiFont(Path(path))


_CANVAS = 144  # the 136x128 strike plus a small white margin, before resizing


def render_glyph(glyph: str, resolution: int = 64, font_path: Path | str = FONT_PATH):
    """The CBDT bitmap of one glyph on white, centred on its alpha box, as a PIL RGB image."""
    from PIL import Image

    png = _font(str(font_path)).bitmaps[glyph]
    sprite = Image.open(io.BytesIO(png)).convert("RGBA")
    box = sprite.getchannel("A").getbbox() or (0, 0, sprite.width, sprite.height)
    canvas = Image.new("RGBA", (_CANVAS, _CANVAS), (255, 255, 255, 255))
    x = (_CANVAS - (box[0] + box[2])) // 2
    y = (_CANVAS - (box[1] + box[3])) // 2
    canvas.alpha_composite(sprite, (max(x, -box[0]), max(y, -box[1])))
    rgb = canvas.convert("RGB")
    if resolution != _CANVAS:
        rgb = rgb.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return rgb


def render_emoji(sequence: str | Sequence[int], resolution: int = 64, font_path: Path | str = FONT_PATH):
    """Render an emoji (a string, or code points) if it shapes to ONE glyph; else raise ValueError."""
    cps = [ord(ch) for ch in sequence] if isinstance(sequence, str) else list(sequence)
    glyphs = _font(str(font_path)).shape(cps)
    if len(glyphs) != 1 or glyphs[0] not in _font(str(font_path)).bitmaps:
        raise ValueError(f"{' '.join(f'{c:04X}' for c in cps)} does not shape to one glyph: {glyphs}")
    return render_glyph(glyphs[0], resolution, font_path)


# ---------------------------------------------------------------------------------------------
# The split

HELDOUT_FRACTION = 0.11


def _stratum(meta: dict[str, Any], n_variants: int) -> str:
    if meta["hair"] != "none":
        return "hair:" + meta["hair"]
    if meta["beard"]:
        return "beard"
    if meta["kind"] == "face":
        return "face"
    if meta["kind"] == "multi-person":  # few bases, many variants: one stratum each, any gender
        return f"multi-person:{'tones' if n_variants > 1 else 'plain'}"
    return f"person:{meta['gender']}:{'tones' if n_variants > 1 else 'plain'}"


def heldout_bases(records: list[dict[str, Any]], fraction: float = HELDOUT_FRACTION, salt: str = "") -> set[str]:
    """The base names to hold out: within each stratum (hair type, beard, faces, and kind x gender x
    has-skin-tones for the rest), the bases with the smallest sha256(salt + base name),
    max(1, round(fraction of the stratum)) of them. ``salt`` gives other splits of the same design
    (an inner validation split of the train split, for choosing without reading held-out)."""
    bases: dict[str, list[dict]] = {}
    for r in records:
        bases.setdefault(r["base_name"], []).append(r)
    strata: dict[str, list[str]] = {}
    for b, members in bases.items():
        first = next((m for m in members if not m["has_skin_tone"]), members[0])
        strata.setdefault(_stratum(first, len(members)), []).append(b)
    held = set()
    for names in strata.values():
        names.sort(key=lambda b: hashlib.sha256((salt + b).encode()).hexdigest())
        held.update(names[:max(1, round(fraction * len(names)))])
    return held


def assign_split(records: list[dict[str, Any]]) -> None:
    """Mark whole base emoji (all skin-tone variants together) "heldout", the rest "train".

    ``heldout_bases`` picks 11% of each stratum, so held-out holds every hair type, every gender and
    (through any toned base) every tone.
    """
    held = heldout_bases(records)
    for r in records:
        r["split"] = "heldout" if r["base_name"] in held else "train"


# ---------------------------------------------------------------------------------------------
# Build, cache and load

def data_root() -> Path:
    return Path(os.environ.get("GANHUB_DATA") or Path.home() / ".cache" / "ganhub" / "data")


def dataset_dir(resolution: int = 64, root: Path | str | None = None) -> Path:
    return Path(root or data_root()) / f"emoji{resolution}"


def catalog() -> tuple[list[dict[str, Any]], list[str]]:
    """Every kept emoji as a labelled, split record (no pixels yet), and the names dropped because
    they do not shape to one glyph with a bitmap."""
    font = _font(str(FONT_PATH))
    records, dropped = [], []
    for e in parse_emoji_test():
        glyphs = font.shape(e["codepoints"])
        if len(glyphs) != 1 or glyphs[0] not in font.bitmaps:
            dropped.append(e["name"])
            continue
        rec = describe(e["name"], e["group"], e["subgroup"], e["codepoints"])
        rec.update(codepoints=[f"{c:04X}" for c in e["codepoints"]],
                   emoji="".join(map(chr, e["codepoints"])), glyph=glyphs[0])
        records.append(rec)
    assign_split(records)
    return records, dropped


def build(resolution: int = 64, root: Path | str | None = None, *, names: Iterable[str] | None = None,
          limit: int | None = None, out_dir: Path | str | None = None, verbose: bool = False) -> Path:
    """Render, label and split the dataset into ``out_dir`` (default ``dataset_dir(resolution, root)``).

    ``names`` / ``limit`` build a subset (for tests). The split is always computed on the FULL entry
    list first, so a subset's records carry the same split as in the full build.
    """
    if resolution not in (32, 64, 128):
        raise ValueError(f"resolution must be 32, 64 or 128, not {resolution}")
    records, dropped = catalog()
    if names is not None:
        wanted = set(names)
        records = [r for r in records if r["name"] in wanted]
    if limit is not None:
        records = records[:limit]

    images = np.stack([np.asarray(render_glyph(r["glyph"], resolution), dtype=np.uint8) for r in records])
    for i, r in enumerate(records):
        r["index"] = i
        r["compositional_holdout"] = compositional_holdout(r)

    out = Path(out_dir) if out_dir else dataset_dir(resolution, root)
    manifest = publish_arrays(out, images, records, {
        "version": DATASET_VERSION, "resolution": resolution, "count": len(records),
        "train": sum(r["split"] == "train" for r in records),
        "heldout": sum(r["split"] == "heldout" for r in records),
        "subset": names is not None or limit is not None,
        "dropped": dropped,
        "font_sha256": sha256_file(FONT_PATH), "emoji_test_sha256": sha256_file(EMOJI_TEST_PATH),
    })
    if verbose:
        print(f"emoji{resolution}: {manifest['count']} images ({manifest['train']} train, "
              f"{manifest['heldout']} heldout), dropped {len(dropped)} -> {out}")
        print(f"images.npy sha256 {manifest['images_sha256']}")
    return out


def publish_arrays(out: Path, images: np.ndarray, records: list[dict[str, Any]], manifest: dict[str, Any]) -> dict[str, Any]:
    """Write ``images.npy``, ``meta.jsonl`` and ``manifest.json`` (``manifest`` with the two files'
    sha256 added) as the folder ``out``, atomically, and return the manifest.

    The folder is built under a temporary name beside ``out`` and renamed into place, so a reader
    sees the old dataset or the new one. When identical bytes are already there they stay (readers
    may have them open); when another process publishes the same build first, its folder wins.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=out.name + ".tmp", dir=out.parent))
    try:
        np.save(tmp / "images.npy", images, allow_pickle=False)
        with open(tmp / "meta.jsonl", "w", encoding="utf-8") as fh:
            for r in records:
                fh.write(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n")
        manifest = {**manifest, "images_sha256": sha256_file(tmp / "images.npy"),
                    "meta_sha256": sha256_file(tmp / "meta.jsonl")}
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")

        def same(m: dict | None) -> bool:
            return bool(m) and all(m.get(k) == manifest[k] for k in ("images_sha256", "meta_sha256", "version"))

        if not same(_manifest(out)):
            aside = None
            if out.exists():
                aside = Path(tempfile.mkdtemp(prefix=out.name + ".old", dir=out.parent))
                os.replace(out, aside / "d")
            try:
                os.replace(tmp, out)
            except OSError:  # another process finished the same build first
                if not same(_manifest(out)):
                    raise
            if aside:
                shutil.rmtree(aside, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _manifest(folder: Path) -> dict | None:
    try:
        return json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None


def ensure_built(folder: Path, version: int | str, build_it: Callable[[], Any]) -> Path:
    """``folder``, after ``build_it()`` when it is missing, partial (a test subset) or of another version."""
    m = _manifest(folder)
    if m is None or m.get("version") != version or m.get("subset") or not (folder / "images.npy").exists():
        build_it()
    return folder


def ensure_emoji_dataset(resolution: int = 64, root: Path | str | None = None) -> Path:
    """The dataset folder, built first if missing, partial or from another dataset version."""
    return ensure_built(dataset_dir(resolution, root), DATASET_VERSION, lambda: build(resolution, root, verbose=True))


def _read_meta(folder: Path) -> list[dict[str, Any]]:
    with open(folder / "meta.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_emoji_arrays(resolution: int = 64, split: str = "train", root: Path | str | None = None,
                      ) -> tuple[np.ndarray, list[dict[str, Any]]]:
    """``(uint8 [N, H, W, 3], meta records)`` for ``split`` in {"train", "heldout", "all"}."""
    if split not in ("train", "heldout", "all"):
        raise ValueError(f'split must be "train", "heldout" or "all", not {split!r}')
    folder = ensure_emoji_dataset(resolution, root)
    images = np.load(folder / "images.npy", allow_pickle=False)
    meta = _read_meta(folder)
    if split == "all":
        return images, meta
    keep = [i for i, m in enumerate(meta) if m["split"] == split]
    return images[keep], [meta[i] for i in keep]


class _EmojiDatasetImpl:
    """Torch dataset: dict(image=float [3, H, W] in [-1, 1], labels={attr: LongTensor scalar, -1 =
    undefined}, caption=str, index=int (row in the full dataset)).

    ``exclude(meta) -> bool`` drops records (e.g. ``compositional_holdout``); ``hflip`` flips half
    the images at random (torch's RNG, so seed it).
    """

    def __init__(self, resolution: int = 64, split: str = "train", exclude: Callable[[dict], bool] | None = None,
                 hflip: bool = False, root: Path | str | None = None):
        images, meta = load_emoji_arrays(resolution, split, root)
        keep = [i for i, m in enumerate(meta) if not (exclude and exclude(m))]
        self.images = images[keep]
        self.meta = [meta[i] for i in keep]
        self.hflip = hflip
        self.resolution = resolution

    def __len__(self) -> int:
        return len(self.meta)

    def __getitem__(self, i: int) -> dict[str, Any]:
        import torch

        img = torch.from_numpy(self.images[i]).permute(2, 0, 1).float().div_(127.5).sub_(1.0)
        if self.hflip and torch.rand(()) < 0.5:
            img = img.flip(-1)
        labels = {k: torch.tensor(v, dtype=torch.long) for k, v in label_vector(self.meta[i]).items()}
        return {"image": img, "labels": labels, "caption": self.meta[i]["caption"], "index": self.meta[i]["index"]}


def __getattr__(name: str):
    # ``EmojiDataset`` subclasses torch's Dataset, created on first access (PEP 562) so that importing
    # this module never imports torch. It is a real module attribute afterwards (picklable workers).
    if name == "EmojiDataset":
        import torch.utils.data

        cls = type("EmojiDataset", (_EmojiDatasetImpl, torch.utils.data.Dataset),
                   {"__module__": __name__, "__qualname__": "EmojiDataset", "__doc__": _EmojiDatasetImpl.__doc__})
        globals()["EmojiDataset"] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ---------------------------------------------------------------------------------------------
# CLI

def contact_sheet(images: np.ndarray, columns: int = 16):
    from PIL import Image

    n, h, w, _ = images.shape
    rows = (n + columns - 1) // columns
    sheet = np.full((rows * h, columns * w, 3), 255, np.uint8)
    for i in range(n):
        r, c = divmod(i, columns)
        sheet[r * h:(r + 1) * h, c * w:(c + 1) * w] = images[i]
    return Image.fromarray(sheet)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="ganhub data emoji", description=__doc__.split("\n\n")[0])
    p.add_argument("--resolution", type=int, default=64, choices=(32, 64, 128))
    p.add_argument("--root", default=None, help="data root (default $GANHUB_DATA or ~/.cache/ganhub/data)")
    p.add_argument("--out", default=None, help="exact output folder (overrides --root)")
    p.add_argument("--limit", type=int, default=None, help="build only the first N images (a test subset)")
    p.add_argument("--contact-sheet", default=None, help="also save a PNG grid of the images here")
    p.add_argument("--stats", action="store_true", help="print label counts")
    args = p.parse_args(list(argv) if argv is not None else None)
    out = build(args.resolution, args.root, limit=args.limit, out_dir=args.out, verbose=True)
    if args.contact_sheet or args.stats:
        images = np.load(out / "images.npy")
        meta = _read_meta(out)
        if args.contact_sheet:
            contact_sheet(images).save(args.contact_sheet)
            print(f"contact sheet -> {args.contact_sheet}")
        if args.stats:
            print(json.dumps(label_counts(meta), indent=1))
    return 0


def label_counts(meta: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """split -> attribute -> class name -> count (``"undefined"`` for -1)."""
    out: dict[str, dict[str, dict[str, int]]] = {}
    for split in ("all", "train", "heldout"):
        rows = [m for m in meta if split == "all" or m["split"] == split]
        table: dict[str, dict[str, int]] = {"_total": {"images": len(rows),
                                                       "base_emoji": len({m["base_name"] for m in rows})}}
        for attr, classes in ATTRIBUTES.items():
            counts = {c: 0 for c in classes} | {"undefined": 0}
            for m in rows:
                v = label_vector(m)[attr]
                counts[classes[v] if v >= 0 else "undefined"] += 1
            table[attr] = counts
        table["compositional_holdout"] = {"yes": sum(compositional_holdout(m) for m in rows)}
        out[split] = table
    return out


if __name__ == "__main__":
    sys.exit(main())

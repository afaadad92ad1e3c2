"""The emoji dataset: labels from names, one glyph per ZWJ sequence, determinism, the split."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections import defaultdict

import numpy as np
import pytest

from plugins.emoji import dataset as E

pytestmark = pytest.mark.skipif(not (E.FONT_PATH.exists() and E.EMOJI_TEST_PATH.exists()),
                                reason="needs Debian's fonts-noto-color-emoji and unicode-data")


@pytest.fixture(scope="module")
def records():
    recs, dropped = E.catalog()
    assert dropped == []
    return recs


def by_name(records, name):
    return next(r for r in records if r["name"] == name)


@pytest.mark.parametrize("name, expected", [
    ("woman: medium-dark skin tone, red hair",
     dict(gender="woman", hair="red", skin_tone=4, kind="person", caption="woman with red hair, medium-dark skin tone")),
    ("man: bald", dict(gender="man", hair="bald", skin_tone=0, caption="bald man")),
    ("person: dark skin tone, blond hair", dict(gender="person", hair="blond", skin_tone=5)),
    ("man technologist: dark skin tone", dict(gender="man", role="technologist", skin_tone=5, hair="none")),
    ("old woman: light skin tone", dict(gender="woman", skin_tone=1)),
    ("grinning face", dict(kind="face", gender="unspecified", smiling=True, skin_tone=0)),
    ("nerd face", dict(glasses=True, smiling=False)),
    ("smiling face with sunglasses", dict(glasses=True, smiling=True)),
    ("man: medium skin tone, beard", dict(beard=True, gender="man", skin_tone=3, caption="man with a beard, medium skin tone")),
    ("woman with headscarf", dict(headwear=True, gender="woman")),
    ("police officer", dict(headwear=True, gender="person", role="police officer")),
    ("kiss: woman, man, light skin tone, dark skin tone",
     dict(kind="multi-person", gender="mixed", skin_tone=-1, skin_tones=[1, 5], base_name="kiss: woman, man")),
    ("kiss: person, person, light skin tone, dark skin tone", dict(base_name="kiss", gender="person")),
    ("men holding hands: medium skin tone", dict(kind="multi-person", gender="man", skin_tone=3)),
    ("woman feeding baby: medium-light skin tone", dict(gender="woman", skin_tone=2)),
    ("person surfing: medium-dark skin tone", dict(activity="surfing", gender="person", skin_tone=4)),
    ("Santa Claus", dict(gender="man", headwear=True)),
])
def test_labels_from_names(records, name, expected):
    rec = by_name(records, name)
    for key, value in expected.items():
        assert rec[key] == value, (name, key, rec[key])
    vec = E.label_vector(rec)
    assert set(vec) == set(E.ATTRIBUTES)
    if rec["gender"] in E.GENDERS:
        assert E.GENDERS[vec["gender"]] == rec["gender"]
    else:
        assert vec["gender"] == -1


def test_undefined_labels_and_coverage(records):
    assert by_name(records, "old man")["labels"]["hair"] == -1  # drawn grey, not named
    assert by_name(records, "man walking")["labels"]["smiling"] == -1  # smiling only defined for faces
    names = {r["name"] for r in records}
    assert "waving hand" not in names and "ear" not in names and "footprints" not in names
    assert not any(n.startswith("family") for n in names)
    groups = {r["group"] for r in records}
    assert groups == {"Smileys & Emotion", "People & Body"}
    # every skin tone of every hair type of every gender exists
    combos = {(r["gender"], r["hair"], r["skin_tone"]) for r in records}
    for g in ("man", "woman", "person"):
        for h in ("red", "curly", "white", "bald", "blond"):
            for t in range(6):
                assert (g, h, t) in combos, (g, h, t)


def _redness(img):
    a = np.asarray(img, dtype=np.float32)
    return float(((a[..., 0] > 180) & (a[..., 1] < 110) & (a[..., 2] < 90)).mean())


def test_zwj_sequence_renders_as_one_glyph():
    woman, red_hair_component = "\U0001F469", "\U0001F9B0"
    zwj = woman + "\u200d" + red_hair_component
    font = E._font(str(E.FONT_PATH))
    assert len(font.shape([ord(c) for c in zwj])) == 1
    assert len(font.shape([ord(c) for c in woman + red_hair_component])) == 2  # no ZWJ: two glyphs
    combined, w, part = (np.asarray(E.render_emoji(s, 64), np.float32) for s in (zwj, woman, red_hair_component))
    assert np.abs(combined - w).mean() > 5 and np.abs(combined - part).mean() > 5
    assert _redness(combined) > 2 * _redness(w) + 0.01  # red hair on the woman, in one picture
    # a skin-toned ZWJ role: one glyph, darker skin than the default yellow
    dark = E.render_emoji([0x1F468, 0x1F3FF, 0x200D, 0x1F4BB], 64)
    with pytest.raises(ValueError):
        E.render_emoji(woman + red_hair_component, 64)
    assert np.asarray(dark).shape == (64, 64, 3)


def test_every_record_shapes_to_one_glyph(records):
    font = E._font(str(E.FONT_PATH))
    for r in records:
        glyphs = font.shape([int(c, 16) for c in r["codepoints"]])
        assert len(glyphs) == 1 and glyphs[0] in font.bitmaps, r["name"]
    assert len({r["glyph"] for r in records}) == len(records)  # no two names share a picture


def test_heldout_split_is_whole_base_emoji_and_stratified(records):
    split_of_base = defaultdict(set)
    for r in records:
        split_of_base[r["base_name"]].add(r["split"])
    assert all(len(s) == 1 for s in split_of_base.values()), "a base emoji is split across train/heldout"
    held = [r for r in records if r["split"] == "heldout"]
    held_bases = {r["base_name"] for r in held}
    assert 0.09 <= len(held_bases) / len(split_of_base) <= 0.15
    assert {r["skin_tone"] for r in held} >= {0, 1, 2, 3, 4, 5}
    assert {r["hair"] for r in held} == set(E.HAIR_TYPES)
    assert {r["gender"] for r in held} >= {"unspecified", "man", "woman", "person"}
    assert {r["kind"] for r in held} == set(E.KINDS)


def test_inner_split_is_drawn_from_train_like_the_heldout_one(records):
    # the recipe-choosing split: whole train bases, every stratum, and not the held-out draw again
    train = [r for r in records if r["split"] == "train"]
    inner = E.heldout_bases(train, fraction=0.15, salt="inner:")
    assert inner and inner <= {r["base_name"] for r in train}
    assert inner != E.heldout_bases(train, fraction=0.15)
    picked = [r for r in train if r["base_name"] in inner]
    assert {r["hair"] for r in picked} == set(E.HAIR_TYPES)
    assert {r["gender"] for r in picked} >= {"unspecified", "man", "woman", "person"}
    # unsalted, the function is the split itself
    assert E.heldout_bases(records) == {r["base_name"] for r in records if r["split"] == "heldout"}


def test_compositional_holdout(records):
    comp = [r for r in records if E.compositional_holdout(r)]
    assert {(r["hair"], r["skin_tone"]) for r in comp if r["hair"] == "red"} == {("red", 5)}
    assert sum(r["gender"] == "woman" and r["hair"] == "white" for r in comp) == 6
    for desc, rule in E.COMPOSITIONAL_HOLDOUT_RULES:
        assert any(rule(r) for r in records), desc
    # the parts of each withheld combination are still seen in training
    train = [r for r in records if r["split"] == "train" and not E.compositional_holdout(r)]
    assert any(r["hair"] == "red" for r in train) and any(r["skin_tone"] == 5 for r in train)
    assert any(r["gender"] == "woman" for r in train) and any(r["hair"] == "white" for r in train)


def test_build_is_deterministic_and_loads(tmp_path, monkeypatch):
    monkeypatch.setenv("GANHUB_DATA", str(tmp_path / "root"))
    a = E.build(32)
    first = (a / "images.npy").read_bytes()
    manifest = json.loads((a / "manifest.json").read_text())
    assert hashlib.sha256(first).hexdigest() == manifest["images_sha256"]
    b = E.build(32, out_dir=tmp_path / "again")
    assert (b / "images.npy").read_bytes() == first
    assert (b / "meta.jsonl").read_bytes() == (a / "meta.jsonl").read_bytes()

    images, meta = E.load_emoji_arrays(32, "all")
    assert images.dtype == np.uint8 and images.shape == (len(meta), 32, 32, 3)
    assert [m["index"] for m in meta] == list(range(len(meta)))
    assert (images[:, 0, 0] == 255).all()  # white background in the corners
    train, tmeta = E.load_emoji_arrays(32, "train")
    held, hmeta = E.load_emoji_arrays(32, "heldout")
    assert len(train) + len(held) == len(images)
    assert {m["base_name"] for m in tmeta}.isdisjoint({m["base_name"] for m in hmeta})

    import torch

    ds = E.EmojiDataset(32, "train", exclude=E.compositional_holdout, hflip=True)
    assert isinstance(ds, torch.utils.data.Dataset)
    import pickle

    assert type(pickle.loads(pickle.dumps(ds))) is E.EmojiDataset  # spawn-started DataLoader workers
    assert len(ds) == len(tmeta) - sum(E.compositional_holdout(m) for m in tmeta)
    item = ds[0]
    assert item["image"].shape == (3, 32, 32) and item["image"].dtype == torch.float32
    assert -1 <= float(item["image"].min()) and float(item["image"].max()) <= 1
    assert set(item["labels"]) == set(E.ATTRIBUTES) and item["labels"]["kind"].dtype == torch.long
    batch = next(iter(torch.utils.data.DataLoader(ds, batch_size=5)))
    assert batch["labels"]["skin_tone"].shape == (5,) and len(batch["caption"]) == 5


def test_import_is_light():
    code = "import sys, plugins.emoji.dataset; print('torch' in sys.modules, 'PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]

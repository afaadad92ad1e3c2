"""The emoji attribute classifier: API, safetensors round trip, resumable training, embedded weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from plugins.emoji import dataset as E
from plugins.emoji import train_classifier as T
from plugins.emoji.classifier import WEIGHT_ID, AttributeClassifier, build_classifier, metadata_for

REPO = Path(__file__).resolve().parents[1]
EMBEDDED = REPO / "plugins" / "emoji" / "weights" / f"{WEIGHT_ID}.safetensors"
needs_sources = pytest.mark.skipif(not (E.FONT_PATH.exists() and E.EMOJI_TEST_PATH.exists()),
                                   reason="needs Debian's fonts-noto-color-emoji and unicode-data")


def test_forward_predict_shapes_and_any_input_size():
    torch.manual_seed(0)
    model = AttributeClassifier(widths=(8, 8, 16, 16, 16)).eval()
    for size in (64, 32, 128):
        out = model(torch.rand(3, 3, size, size) * 2 - 1)
        assert set(out) == set(E.ATTRIBUTES)
        for attr, logits in out.items():
            assert logits.shape == (3, len(E.ATTRIBUTES[attr]))
    pred = model.predict(torch.zeros(2, 3, 64, 64))
    assert all(p.dtype == torch.long and p.shape == (2,) for p in pred.values())
    names = model.predict_names(torch.zeros(1, 3, 64, 64))[0]
    assert names["skin_tone"] in E.SKIN_TONES


def test_safetensors_round_trip_through_builder(tmp_path):
    from safetensors.torch import save_file

    torch.manual_seed(1)
    model = AttributeClassifier(widths=(8, 8, 16, 16, 16)).eval()
    path = tmp_path / "clf.safetensors"
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(path), metadata=metadata_for(model))
    loaded = build_classifier({WEIGHT_ID: path})
    x = torch.rand(2, 3, 64, 64) * 2 - 1
    for attr, logits in model(x).items():
        torch.testing.assert_close(loaded(x)[attr], logits)


def test_augment_keeps_range_and_is_seeded():
    x = torch.rand(6, 3, 64, 64) * 2 - 1
    a = T.augment(x.clone(), torch.Generator().manual_seed(3))
    b = T.augment(x.clone(), torch.Generator().manual_seed(3))
    c = T.augment(x.clone(), torch.Generator().manual_seed(4))
    assert a.shape == x.shape and a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_skin_within_one_rule():
    pred = torch.tensor([0, 1, 2, 5, 1, 0])
    true = torch.tensor([0, 0, 3, 4, 3, 1])
    assert T.skin_within_one(pred, true).tolist() == [True, False, True, True, False, False]


@needs_sources
def test_training_resumes_exactly(tmp_path):
    """Stopped at step 3 and resumed to 5 gives the same weights as 5 steps straight (seeded, resumable)."""
    from safetensors.torch import load_file

    from hub.training import latest_checkpoint

    common = ["--batch", "4", "--warmup", "2", "--log-every", "100", "--eval-every", "1000", "--every", "1"]
    T.main(["--steps", "5", "--stop-at", "3", "--out", str(tmp_path / "a")] + common)
    assert '"step": 3' in (latest_checkpoint(tmp_path / "a") / "state.json").read_text()
    T.main(["--steps", "5", "--out", str(tmp_path / "a")] + common)
    T.main(["--steps", "5", "--out", str(tmp_path / "b")] + common)
    wa = load_file(str(latest_checkpoint(tmp_path / "a") / "model.safetensors"))
    wb = load_file(str(latest_checkpoint(tmp_path / "b") / "model.safetensors"))
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=0, atol=0)


@pytest.fixture(scope="module")
def heldout_results():
    if not (E.FONT_PATH.exists() and E.EMOJI_TEST_PATH.exists()):
        pytest.skip("needs Debian's fonts-noto-color-emoji and unicode-data")
    if not EMBEDDED.exists():
        pytest.skip("embedded classifier weights not exported yet")
    model = build_classifier({WEIGHT_ID: EMBEDDED})
    x, labels, meta = T.load_split("heldout")
    assert all(m["split"] == "heldout" for m in meta)
    return T.evaluate(model, x, labels)


def test_embedded_classifier_skin_tone_and_hair_bar_on_heldout(heldout_results):
    assert heldout_results["skin_tone"]["within_one"] >= 0.9
    assert heldout_results["hair"]["accuracy"] >= 0.9
    assert heldout_results["kind"]["accuracy"] >= 0.9


@pytest.mark.xfail(reason="gender generalises worse to unseen emoji (see plugins/emoji/weights/emoji-attribute-classifier.md)",
                   strict=False)
def test_embedded_classifier_gender_bar_on_heldout(heldout_results):
    assert heldout_results["gender"]["accuracy"] >= 0.9


def test_embedded_classifier_gender_no_regression(heldout_results):
    # well above the 4-class chance level; the measured figure is in the model card
    assert heldout_results["gender"]["accuracy"] >= 0.6

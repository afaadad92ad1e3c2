"""The public AdaIN weights: the real manifest entries, served by a fake Hub (tests/fakehub.py) as
pytorch-AdaIN-layout pickles of random tensors, converted by the real ``WeightStore.convert`` (the
only ``torch.load``, weights_only) and loaded strictly by the registered ``adain-public`` model."""

from __future__ import annotations

import re
from collections import OrderedDict
from pathlib import Path

import pytest
import torch

from fakehub import serve_online
from hub import weights as W
from plugins.style_transfer.convert import DECODER_CONVS, ENCODER_CONVS

ROOT = Path(__file__).resolve().parents[1]
IDS = ("adain-public-vgg", "adain-public-decoder")


def _upstream_vgg(g: torch.Generator) -> OrderedDict:
    """vgg_normalised.pth's layout: 1x1 colour conv, then VGG-19 convs at their Sequential indices.
    Convs past relu4_1 (which the converter must drop) are included with their real shapes up to conv4_2
    only, to keep the test small."""
    sd = OrderedDict()
    for index, (cout, cin, k) in {**ENCODER_CONVS, 32: (512, 512, 3)}.items():
        sd[f"{index}.weight"] = torch.randn(cout, cin, k, k, generator=g) * (2 / (cin * k * k)) ** 0.5
        sd[f"{index}.bias"] = torch.randn(cout, generator=g) * 0.01
    return sd


def _upstream_decoder(g: torch.Generator) -> OrderedDict:
    sd = OrderedDict()
    for index, (cout, cin, k) in DECODER_CONVS.items():
        sd[f"{index}.weight"] = torch.randn(cout, cin, k, k, generator=g) * (2 / (cin * k * k)) ** 0.5
        sd[f"{index}.bias"] = torch.zeros(cout)
    return sd


def _manifest_entries() -> dict[str, str]:
    """The two adain-public entries as written in the style-transfer plugin's weights.yaml."""
    text = (ROOT / "plugins" / "style_transfer" / "weights.yaml").read_text()
    out = {}
    for wid in IDS:
        m = re.search(rf"^- id: {wid}\n(?:  .*\n)+", text, flags=re.M)
        assert m, f"{wid} missing from plugins/style_transfer/weights.yaml"
        out[wid] = m.group(0)
    return out


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    yield from serve_online(tmp_path, monkeypatch)


def test_public_adain_converts_from_the_hub_and_runs(fake_hub, tmp_path):
    entries = _manifest_entries()
    g = torch.Generator().manual_seed(0)
    vgg, dec = _upstream_vgg(g), _upstream_decoder(g)
    files = {}
    for wid, sd in (("adain-public-vgg", vgg), ("adain-public-decoder", dec)):
        source = re.search(r"source: \{repo_id: ([^,]+), filename: ([^,]+),", entries[wid])
        path = tmp_path / source.group(2)
        torch.save(sd, path)
        files.setdefault(source.group(1), {})[source.group(2)] = path.read_bytes()
    for repo_id, content in files.items():
        fake_hub.add_repo(repo_id).commit(content)
    (tmp_path / "manifest.yaml").write_text("weights:\n" + "".join(entries.values()))
    store = W.WeightStore()
    store.add_manifest(tmp_path / "manifest.yaml", plugin="style_transfer")

    # Before conversion: a plain sentence naming the command, never a pickle load.
    for wid in IDS:
        with pytest.raises(W.WeightUnavailable, match=f"ganhub weights convert {wid}"):
            store.resolve(wid)

    paths = {wid: store.convert(wid) for wid in IDS}
    assert store.status("adain-public-vgg").where == "converted"

    import plugins.style_transfer.plugin as plugin
    from hub.testing import make_hub

    hub = make_hub([plugin], strict=True)
    spec = hub.models.spec("adain-public")
    assert spec.weights == IDS and not spec.offline
    model = spec.build({wid: store.resolve(wid) for wid in spec.weights})

    # The converter kept exactly the convs up to relu4_1, at the right places.
    from safetensors.torch import load_file

    enc = load_file(str(paths["adain-public-vgg"]))
    assert "net.32.weight" not in enc and len(enc) == 2 * len(ENCODER_CONVS)
    assert torch.equal(model.encoder.net[29].weight, vgg["29.weight"])
    assert torch.equal(model.decoder.net[28].weight, dec["28.weight"])

    from plugins.style_transfer.adain import AdaINStylizer

    x = torch.rand(1, 3, 32, 32) * 2 - 1
    out = AdaINStylizer(model)(x, [torch.rand(1, 3, 32, 32) * 2 - 1])
    assert out.shape == x.shape and torch.isfinite(out).all()
    # relu4_1 of the public encoder is the 30th Sequential entry, at 1/8 resolution.
    with torch.no_grad():
        assert model.encode(x)["relu4_1"].shape == (1, 512, 4, 4)


def test_converter_rejects_a_foreign_checkpoint():
    from plugins.style_transfer.convert import adain_decoder_to_decoder, adain_vgg_normalised_to_encoder

    with pytest.raises(KeyError, match="no '1.weight'"):
        adain_decoder_to_decoder({"features.0.weight": torch.zeros(64, 3, 3, 3)})
    bad = _upstream_vgg(torch.Generator().manual_seed(1))
    bad["2.weight"] = torch.zeros(64, 3, 5, 5)
    with pytest.raises(ValueError, match="expected"):
        adain_vgg_normalised_to_encoder(bad)


def test_public_model_is_plainly_unavailable_offline(tmp_path, monkeypatch):
    """No converted file, no Hub: the model load fails with the convert command in the message."""
    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path / "ganhub"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    (tmp_path / "manifest.yaml").write_text("weights:\n" + "".join(_manifest_entries().values()))
    store = W.WeightStore()
    store.add_manifest(tmp_path / "manifest.yaml", plugin="style_transfer")
    with pytest.raises(W.WeightUnavailable, match="ganhub weights convert adain-public-vgg"):
        store.resolve("adain-public-vgg")
    assert "convert" in store.status("adain-public-decoder").message


def test_tab_offers_the_public_model_and_says_plainly_when_it_is_missing(tmp_path, monkeypatch):
    import gradio as gr
    import numpy as np
    from PIL import Image

    import plugins.style_transfer.plugin as plugin
    from hub.testing import make_app
    from plugins.style_transfer.ui import ADAIN_MODELS

    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path / "ganhub"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    app = make_app([plugin])
    [run] = [f for f in app.fns.values() if getattr(f, "api_name", None) == "style_transfer_run"]
    image = Image.fromarray((np.random.RandomState(0).rand(32, 32, 3) * 255).astype("uint8"))
    public = next(label for label, name in ADAIN_MODELS.items() if name == "adain-public")
    with pytest.raises(gr.Error, match="ganhub weights convert adain-public-vgg"):
        next(run.fn(image, image, None, "AdaIN", public, 1.0, 0.5, "none", 10, 1e4, 64, []))

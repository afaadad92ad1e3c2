"""hub.weights without the network: manifest schema, store, sha256 checks, override, convert, rehash, CLI."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import json

import pytest
import torch
from safetensors.torch import load_file, save_file

from hub import weights as W
from hub.api import WeightSpec

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    """Every test gets its own HF cache, conversion cache and no override folder."""
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("GANHUB_CACHE", str(tmp_path / "ganhub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nothing here may touch the network
    monkeypatch.delenv("GANHUB_WEIGHTS_DIR", raising=False)
    W._PROBES.clear()


def _safetensors(path: Path, seed: int = 0) -> Path:
    g = torch.Generator().manual_seed(seed)
    save_file({"w": torch.randn(4, 3, generator=g), "b": torch.zeros(4)}, str(path))
    return path


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "manifest.yaml"
    path.write_text("# test manifest\nversion: 1\nweights:\n" + body)
    return path


def test_manifest_parses_into_specs(tmp_path):
    (tmp_path / "weights").mkdir()
    f = _safetensors(tmp_path / "weights" / "toy.safetensors")
    m = _manifest(tmp_path, f"""\
- id: toy
  source: null
  embedded: weights/toy.safetensors
  sha256: {_sha(f)}
  size: {f.stat().st_size}
  license: Apache-2.0
  format: safetensors
  description: a toy
- id: upstream
  source: {{repo_id: someone/models, filename: sub/g.pt, revision: main, repo_type: model}}
  embedded: null
  sha256: null
  license: MIT
  format: pickle
  converter: "pkg.mod:fn#g_ema"
""")
    toy, upstream = W.load_manifest(m)
    assert toy == WeightSpec(id="toy", filename="toy.safetensors", sha256=_sha(f), license="Apache-2.0",
                             embedded=str(f.resolve()), size=f.stat().st_size, description="a toy")
    assert (upstream.repo_id, upstream.filename, upstream.revision, upstream.format) == (
        "someone/models", "sub/g.pt", "main", "pickle")
    assert upstream.converter == "pkg.mod:fn#g_ema" and upstream.embedded is None


def test_empty_and_builtin_manifests_load(tmp_path):
    assert W.load_manifest(_manifest(tmp_path, "")) == []  # `weights:` with only comments is null
    store = W.WeightStore()
    store.add_manifest(W.BUILTIN_MANIFEST, plugin="hub")
    for spec in store.specs():  # every committed embedded file matches the manifest
        if spec.embedded:
            assert Path(spec.embedded).is_file(), spec.id
    failures = [s for s in store.verify() if s.path is not None and s.message != "ok"]
    assert not failures, failures


@pytest.mark.parametrize("body, words", [
    ("- id: x\n  source: null\n  embedded: null\n", "needs a 'source'"),
    ("- id: x\n  embedded: a.safetensors\n  format: onnx\n", "format"),
    ("- id: x\n  embedded: a.safetensors\n  sha256: abc\n", "64 hex"),
    ("- id: x\n  embedded: a.safetensors\n  colour: red\n", "unknown keys"),
    ("- embedded: a.safetensors\n", "'id'"),
])
def test_manifest_schema_errors_name_the_entry(tmp_path, body, words):
    with pytest.raises(W.ManifestError, match=words):
        W.load_manifest(_manifest(tmp_path, body))


def test_duplicate_ids_name_both_plugins():
    store = W.WeightStore()
    store.add(WeightSpec(id="g", filename="g.safetensors", embedded="/x"), plugin="alpha")
    store.add(WeightSpec(id="g", filename="g.safetensors", embedded="/x"), plugin="alpha")  # idempotent
    with pytest.raises(W.DuplicateWeightError, match="'alpha'.*'beta'"):
        store.add(WeightSpec(id="g", filename="other.safetensors", embedded="/y"), plugin="beta")


def test_a_manifest_with_a_taken_id_adds_nothing(tmp_path):
    store = W.WeightStore()
    store.add(WeightSpec(id="taken", filename="t.safetensors", embedded="/x"), plugin="first")
    m = _manifest(tmp_path, "- id: fresh\n  embedded: f.safetensors\n- id: taken\n  embedded: t.safetensors\n")
    with pytest.raises(W.DuplicateWeightError, match="'first'.*'second'"):
        store.add_manifest(m, plugin="second")
    assert store.ids() == ["taken"]


def test_embedded_resolves_verified_and_loads(tmp_path):
    f = _safetensors(tmp_path / "toy.safetensors")
    store = W.WeightStore()
    store.add(WeightSpec(id="toy", filename=f.name, embedded=str(f), sha256=_sha(f), license="MIT"))
    assert store.resolve("toy") == f
    status = store.status("toy")
    assert (status.where, status.size, status.license, status.path) == ("embedded", f.stat().st_size, "MIT", f)
    tensors = W.load_safetensors("toy", store=store)
    assert set(tensors) == {"w", "b"} and tensors["w"].shape == (4, 3)
    with pytest.raises(W.WeightUnavailable, match="no store was given"):  # no process-wide store at this layer
        W.load_safetensors("toy")


def test_tampered_embedded_file_is_refused(tmp_path):
    f = _safetensors(tmp_path / "toy.safetensors")
    good = _sha(f)
    store = W.WeightStore()
    store.add(WeightSpec(id="toy", filename=f.name, embedded=str(f), sha256=good))
    store.resolve("toy")
    data = bytearray(f.read_bytes())
    data[-1] ^= 0xFF  # same size, one byte changed
    f.write_bytes(bytes(data))
    with pytest.raises(W.WeightIntegrityError) as err:
        store.resolve("toy")
    message = str(err.value)
    assert str(f) in message and good in message and _sha(f) in message and "rehash" in message
    assert [r.message.startswith("MISMATCH") for r in store.verify(["toy"])] == [True]


def test_override_folder_wins(tmp_path, monkeypatch):
    f = _safetensors(tmp_path / "toy.safetensors")
    override = tmp_path / "mine"
    override.mkdir()
    mine = _safetensors(override / "toy.safetensors", seed=1)
    store = W.WeightStore()
    store.add(WeightSpec(id="toy", filename=f.name, embedded=str(f), sha256=_sha(f)))
    monkeypatch.setenv("GANHUB_WEIGHTS_DIR", str(override))
    assert store.resolve("toy") == mine
    assert store.status("toy").where == "override"
    # By upstream file name too, but only when no other weight shares that name.
    by_name = _safetensors(override / "model.safetensors", seed=2)
    store.add(WeightSpec(id="a", filename="model.safetensors", repo_id="x/a"))
    assert store.resolve("a") == by_name
    store.add(WeightSpec(id="b", filename="model.safetensors", repo_id="x/b"))
    with pytest.raises(W.WeightUnavailable, match="not available offline"):
        store.resolve("b")


def test_missing_hub_only_weight_offline_says_what_to_do():
    store = W.WeightStore()
    store.add(WeightSpec(id="big", filename="g.safetensors", repo_id="someone/big", revision="a" * 40))
    assert store.status("big").where == "missing"
    with pytest.raises(W.WeightUnavailable, match=r"not available offline.*ganhub weights fetch big"):
        store.resolve("big")
    with pytest.raises(W.WeightUnavailable, match="Unknown weight id 'nope'"):
        store.resolve("nope")


def _conv_double(state):
    """A converter as a model plugin writes one: upstream names -> ours."""
    return {f"ours.{k}": v * 2 for k, v in state.items()}


def test_convert_a_real_pickle(tmp_path):
    upstream = tmp_path / "ckpt.pt"
    g_ema = {"conv.weight": torch.arange(6.0).reshape(2, 3), "conv.bias": torch.ones(2)}
    torch.save({"g": {"x": torch.zeros(1)}, "g_ema": g_ema, "args": {"size": 64}, "iter": 5,
                "best_psnr": np.float64(27.5)}, upstream)  # numpy scalars are common in upstream files
    standin = _safetensors(tmp_path / "small.safetensors")
    spec = WeightSpec(id="up-g", filename="ckpt.pt", repo_id="someone/up", format="pickle",
                      sha256=_sha(upstream), converter=f"{__name__}:_conv_double#g_ema", embedded=str(standin))
    store = W.WeightStore()
    store.add(spec)
    # Not converted yet: the embedded stand-in is used, with a notice naming the command.
    assert store.resolve("up-g") == standin
    assert "ganhub weights convert up-g" in store.status("up-g").message
    out = store.convert("up-g", source_file=upstream)
    assert out == W.ganhub_cache_dir() / "converted" / "up-g.safetensors"
    tensors = load_file(str(out))
    assert torch.equal(tensors["ours.conv.weight"], g_ema["conv.weight"] * 2) and set(tensors) == {
        "ours.conv.weight", "ours.conv.bias"}
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["sha256"] == _sha(out) and record["source_sha256"] == _sha(upstream)
    store2 = W.WeightStore()  # a fresh process finds the conversion
    store2.add(spec)
    assert store2.resolve("up-g") == out and store2.status("up-g").where == "converted"
    out.write_bytes(out.read_bytes()[:-1] + b"\0")  # a damaged conversion is refused, not loaded
    with pytest.raises(W.WeightIntegrityError, match="convert up-g"):
        store2.resolve("up-g")


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_pickle_without_conversion_and_unsafe_pickles(tmp_path):
    spec = WeightSpec(id="p", filename="p.pt", repo_id="someone/p", format="pickle", converter=f"{__name__}:_conv_double")
    store = W.WeightStore()
    store.add(spec)
    with pytest.raises(W.WeightUnavailable, match=r"ganhub weights convert p"):
        store.resolve("p")
    evil = tmp_path / "evil.pt"
    torch.save({"state_dict": {"w": torch.zeros(1)}, "hook": _Evil()}, evil)
    with pytest.raises(W.WeightUnavailable, match="never unpickles"):
        store.convert("p", source_file=evil)  # weights_only=True refuses the object


def test_pick_state_dict():
    flat = {"a": torch.zeros(1), "step": 3}
    assert list(W.pick_state_dict(flat)) == ["a"]
    assert list(W.pick_state_dict({"params_ema": {"b": torch.zeros(1)}, "params": {"c": torch.zeros(1)}})) == ["b"]
    with pytest.raises(W.WeightUnavailable, match="no 'g_ema'"):
        W.pick_state_dict({"g": {"a": torch.zeros(1)}}, "g_ema")


def test_rehash_rewrites_in_place_keeping_comments(tmp_path):
    (tmp_path / "weights").mkdir()
    a = _safetensors(tmp_path / "weights" / "a.safetensors")
    b = _safetensors(tmp_path / "weights" / "b.safetensors", seed=2)
    m = _manifest(tmp_path, f"""\
# --- section one ---
- id: a   # the first
  source: null
  embedded: weights/a.safetensors
  sha256: {"a" * 64}  # stale
  size: 1
  license: MIT
# --- section two ---
- id: b
  source:
    repo_id: someone/b
    filename: b-full.safetensors
    revision: main
  embedded: weights/b.safetensors
  embedded_sha256: {"b" * 64}
  sha256: {"c" * 64}
  license: MIT
- id: hubonly
  source: {{repo_id: someone/c, filename: c.safetensors}}
  license: MIT
""")
    done = W.rehash_manifest(m)
    assert [d[0] for d in done] == ["a", "b"]
    text = m.read_text()
    assert "# --- section two ---" in text and "# stale" in text and "- id: a   # the first" in text
    specs = {s.id: s for s in W.load_manifest(m)}
    assert specs["a"].sha256 == _sha(a) and specs["a"].size == a.stat().st_size
    assert specs["b"].sha256 == "c" * 64  # the Hub file's digest is not the stand-in's
    assert f"embedded_sha256: {_sha(b)}" in text and f"embedded_size: {b.stat().st_size}" in text
    store = W.WeightStore()
    store.add_manifest(m)
    assert all(s.message == "ok" for s in store.verify(["a"]))


def test_cli_list_verify_rehash_as_module(tmp_path):
    f = _safetensors(tmp_path / "toy.safetensors")
    m = _manifest(tmp_path, f"- id: toy\n  embedded: toy.safetensors\n  sha256: {'d' * 64}\n  license: MIT\n")
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "hub.weights", *args], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)

    bad = run("verify", "--manifest", str(m))
    assert bad.returncode == 1 and "FAIL" in bad.stdout and "does not match" in bad.stdout
    assert run("rehash", str(m)).returncode == 0
    good = run("verify", "--manifest", str(m))
    assert good.returncode == 0 and good.stdout.startswith("ok"), good.stdout + good.stderr
    listing = run("list", "--manifest", str(m))
    assert listing.returncode == 0 and "toy" in listing.stdout and "embedded" in listing.stdout
    assert _sha(f) in m.read_text()


def test_every_embedded_weight_has_its_model_card_beside_it():
    """weights/<file>.safetensors -> weights/<file>.md: the card the Spaces READMEs and the Plugins tab link to."""
    from hub.weights import load_manifest

    root = Path(__file__).resolve().parents[1]
    missing = []
    for spec in load_manifest(root / "weights_manifest.yaml"):
        if spec.embedded and (root / spec.embedded).is_file():
            card = (root / spec.embedded).with_suffix(".md")
            if not card.is_file() or "python" not in card.read_text():  # a card names the command that made it
                missing.append(spec.id)
    assert not missing, f"embedded weights without a model card (with its command): {missing}"


def test_an_upstream_pickle_not_on_the_hub_converts_from_a_local_file(tmp_path):
    """An entry may name an upstream pickle that no Hub repo holds (its publisher's download): it is
    listed, says how to get it, and converts with --from; only pickles may omit the repo."""
    import torch

    manifest = tmp_path / "m.yaml"
    manifest.write_text("version: 1\nweights:\n- id: up\n  source: {repo_id: null, filename: up.pth}\n"
                        "  embedded: null\n  sha256: null\n  format: pickle\n  converter: hub.weights:pick_state_dict\n")
    store = W.WeightStore(cache_dir=tmp_path / "hf", converted_dir=tmp_path / "conv")
    store.add_manifest(manifest)
    assert store.status("up").source == "upstream file up.pth (not on the Hub)"
    with pytest.raises(W.WeightUnavailable, match=r"not on the Hugging Face Hub \(up.pth\).*--from FILE"):
        store.resolve("up")
    upstream = tmp_path / "up.pth"
    torch.save({"w": torch.ones(2)}, upstream)
    out = store.convert("up", source_file=upstream)
    assert store.resolve("up") == out
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nweights:\n- id: b\n  source: {repo_id: null, filename: b.safetensors}\n  format: safetensors\n")
    with pytest.raises(W.ManifestError, match="needs a repo_id"):
        W.load_manifest(bad)

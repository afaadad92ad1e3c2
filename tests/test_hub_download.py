"""The real huggingface_hub download code against a fake Hub over HTTP on 127.0.0.1 (tests/fakehub.py)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save

from fakehub import serve_online
from hub import weights as W

REPO = Path(__file__).resolve().parent.parent


def _tensor_bytes(seed: int) -> bytes:
    g = torch.Generator().manual_seed(seed)
    return save({"w": torch.randn(8, 8, generator=g)})


GOOD = _tensor_bytes(0)
STANDIN = _tensor_bytes(1)
sha = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731


@pytest.fixture
def hub(tmp_path, monkeypatch):
    for fake in serve_online(tmp_path, monkeypatch):
        fake.repo = fake.add_repo("ganhub/weights")
        fake.commit = fake.repo.commit({"g.safetensors": GOOD, "README.md": b"# weights\n"})
        yield fake


def _store(tmp_path: Path, entry: str, standin: bool = False) -> W.WeightStore:
    """A store from a real manifest; with ``standin`` the entry has an embedded stand-in."""
    folder = tmp_path / "m"
    folder.mkdir(exist_ok=True)
    text = "weights:\n" + entry
    if standin:
        (folder / "small.safetensors").write_bytes(STANDIN)
        text += f"  embedded: small.safetensors\n  embedded_sha256: {sha(STANDIN)}\n"
    (folder / "manifest.yaml").write_text(text)
    store = W.WeightStore()
    store.add_manifest(folder / "manifest.yaml", plugin="test")
    return store


def _entry(repo="ganhub/weights", filename="g.safetensors", revision="main", digest=sha(GOOD), wid="g"):
    return (f"- id: {wid}\n  source: {{repo_id: {repo}, filename: {filename}, revision: '{revision}'}}\n"
            f"  sha256: {digest}\n  license: MIT\n")


def test_download_then_pinned_cache_hit_makes_zero_requests(hub, tmp_path):
    store = _store(tmp_path, _entry(revision=hub.commit))
    path = store.resolve("g")
    assert path.read_bytes() == GOOD and store.status("g").where == "downloaded"
    assert str(path).startswith(str(tmp_path / "hf")) and f"snapshots/{hub.commit}" in str(path)
    assert ("HEAD", f"/ganhub/weights/resolve/{hub.commit}/g.safetensors") in hub.requests
    assert any(method == "GET" and p.startswith("/lfs/") for method, p in hub.requests)  # the LFS redirect

    hub.clear_log()
    W._VERIFIED.clear()  # as in a fresh process: hashed again, still no request
    fresh = _store(tmp_path, _entry(revision=hub.commit))
    assert fresh.status("g").where == "cache"
    assert fresh.resolve("g") == path
    assert torch.equal(load_file(str(path))["w"], load_file(str(store.resolve("g")))["w"])
    assert hub.requests == []


def test_branch_revision_downloads_and_then_stays_offline(hub, tmp_path):
    store = _store(tmp_path, _entry(revision="main"))
    store.resolve("g")
    hub.clear_log()
    assert _store(tmp_path, _entry(revision="main")).resolve("g").read_bytes() == GOOD
    assert hub.requests == []  # the cached ref main -> commit is used, as promised by the resolution order


@pytest.mark.parametrize("kind, entry, words", [
    ("RepoNotFound", _entry(repo="ganhub/nope"), "repository 'ganhub/nope' (model) was not found"),
    ("RevisionNotFound", _entry(revision="v9"), "revision 'v9' does not exist"),
    ("EntryNotFound", _entry(filename="missing.safetensors"), "file 'missing.safetensors' is not in the Hub repository"),
])
def test_each_404_is_a_clear_message_and_falls_back(hub, tmp_path, kind, entry, words):
    with pytest.raises(W.WeightUnavailable, match=re.escape(words)):
        _store(tmp_path, entry).resolve("g")
    assert hub.requests, "the request must have reached the fake Hub"

    store = _store(tmp_path, entry, standin=True)
    path = store.resolve("g")
    assert path.read_bytes() == STANDIN
    status = store.status("g")
    assert status.where == "embedded" and "Using the embedded copy" in status.message and words in status.message


def test_tampered_download_is_refused(hub, tmp_path):
    hub.repo.commit({"g.safetensors": GOOD[:-4] + b"evil"})  # the Hub now serves other bytes
    with pytest.raises(W.WeightIntegrityError) as err:
        _store(tmp_path, _entry()).resolve("g")
    message = str(err.value)
    assert sha(GOOD) in message and sha(GOOD[:-4] + b"evil") in message and "ganhub weights fetch g" in message


def test_tampered_cache_file_is_refused(hub, tmp_path):
    path = _store(tmp_path, _entry(revision=hub.commit)).resolve("g")
    blob = Path(os.path.realpath(path))
    blob.write_bytes(GOOD[:-1] + b"\x00")
    with pytest.raises(W.WeightIntegrityError, match=r"Delete .* and run `ganhub weights fetch g`"):
        _store(tmp_path, _entry(revision=hub.commit)).resolve("g")


def test_offline_env_falls_back_or_says_not_available(hub, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # read at call time, though huggingface_hub was imported online
    with pytest.raises(W.WeightUnavailable, match=r"not available offline: HF_HUB_OFFLINE is set"):
        _store(tmp_path, _entry()).resolve("g")
    store = _store(tmp_path, _entry(), standin=True)
    assert store.resolve("g").read_bytes() == STANDIN
    assert "HF_HUB_OFFLINE" in store.status("g").message
    assert hub.requests == []


def test_server_down_falls_back_or_says_not_available(hub, tmp_path):
    hub.down()
    with pytest.raises(W.WeightUnavailable, match=r"not available offline: .* cannot be reached"):
        _store(tmp_path, _entry()).resolve("g")
    store = _store(tmp_path, _entry(), standin=True)
    assert store.resolve("g").read_bytes() == STANDIN
    assert "cannot be reached" in store.status("g").message


def test_cached_copy_still_resolves_offline(hub, tmp_path, monkeypatch):
    _store(tmp_path, _entry()).resolve("g")
    hub.down()
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    store = _store(tmp_path, _entry(), standin=True)
    assert store.resolve("g").read_bytes() == GOOD and store.status("g").where == "cache"


def _conv_prefix(state):
    return {f"generator.{k}": v for k, v in state.items()}


def test_fetch_then_convert_an_upstream_pickle(hub, tmp_path):
    ckpt = tmp_path / "upstream.pt"
    torch.save({"g_ema": {"w": torch.arange(4.0)}, "d": {"w": torch.zeros(1)}}, ckpt)
    data = ckpt.read_bytes()
    hub.add_repo("someone/stylegan").commit({"ckpt/model.pt": data})
    entry = (f"- id: up\n  source: {{repo_id: someone/stylegan, filename: ckpt/model.pt}}\n  sha256: {sha(data)}\n"
             f"  format: pickle\n  converter: '{__name__}:_conv_prefix#g_ema'\n  license: MIT\n")
    store = _store(tmp_path, entry)
    with pytest.raises(W.WeightUnavailable, match="ganhub weights convert up"):
        store.resolve("up")
    [status] = store.fetch(["up"])
    assert "ganhub weights convert up" in status.message
    out = store.convert("up")
    assert torch.equal(load_file(str(out))["generator.w"], torch.arange(4.0))
    assert store.resolve("up") == out and store.status("up").where == "converted"


def test_cli_in_a_fresh_process_reads_the_env(hub, tmp_path):
    """HF_ENDPOINT / HF_HUB_CACHE set before import, as a user would: fetch, then list offline."""
    _store(tmp_path, _entry(revision=hub.commit))  # writes tmp_path/m/manifest.yaml
    manifest = str(tmp_path / "m" / "manifest.yaml")
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_ENDPOINT": hub.endpoint, "HF_HUB_CACHE": str(tmp_path / "cli")}
    run = lambda *a, **e: subprocess.run([sys.executable, "-m", "hub.weights", *a], capture_output=True,  # noqa: E731
                                         text=True, env={**env, **e}, timeout=120)
    fetched = run("fetch", "g", "--manifest", manifest)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert "downloaded" in fetched.stdout
    hub.clear_log()
    listed = run("list", "--manifest", manifest, HF_HUB_OFFLINE="1")
    assert listed.returncode == 0 and " cache " in listed.stdout, listed.stdout + listed.stderr
    assert hub.requests == []

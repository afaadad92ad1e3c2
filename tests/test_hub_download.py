"""The real huggingface_hub download code against a fake Hub over HTTP on 127.0.0.1 (tests/fakehub.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save

from fakehub import serve_online
from hub import hookimpl
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


# ---------------------------------------------------------------- a pinned upstream pickle, end to end
class _TinyHubGenerator:
    """A StyleGAN2 whose only weight is a pinned upstream pickle (rosinality layout) on the fake Hub."""

    name = "tinyhubgen"

    def __init__(self, repo: str, commit: str, digest: str) -> None:
        self.repo, self.commit, self.digest = repo, commit, digest

    @hookimpl
    def register_weights(self, register):
        from hub.api import WeightSpec

        register(WeightSpec(id="stylegan2-tiny-16", filename="tiny.pt", repo_id=self.repo, revision=self.commit,
                            sha256=self.digest, format="pickle", license="MIT",
                            converter="plugins.stylegan2.convert:convert_rosinality#g_ema"))

    @hookimpl
    def register_models(self, register):
        from hub.api import INTERFACE_LATENT_GENERATOR, ModelSpec
        from plugins.stylegan2.plugin import _build_generator

        register(ModelSpec("stylegan2-tiny-16", family="stylegan2", interface=INTERFACE_LATENT_GENERATOR,
                           build=_build_generator("stylegan2-tiny-16"), weights=("stylegan2-tiny-16",)))


def _tiny_rosinality_pickle(path: Path) -> "torch.nn.Module":
    from plugins.stylegan2.convert import to_rosinality
    from plugins.stylegan2.model import Generator

    torch.manual_seed(3)
    g = Generator(16, 32, 2, channels={4: 16, 8: 16, 16: 8})
    torch.save({**to_rosinality(g.state_dict()), "d": {"x": torch.zeros(1)}}, path)
    return g


def _hub_with(plugin):
    from hub.testing import make_hub

    return make_hub([("stylegan2", "plugins.stylegan2.plugin"), plugin])


@pytest.mark.slow
def test_a_pinned_pickle_is_converted_when_picked_in_the_tab_then_used(hub, tmp_path):
    """The Sample tab's model dropdown picks a generator whose weight is a pinned pickle on the loopback
    Hub: the first request downloads it, converts it once (torch.load(weights_only=True) through the
    plugin's converter), records its sha256, loads the safetensors and draws with it."""
    from gradio_client import Client
    from safetensors.torch import load_file as load_st

    from hub.app import build_app
    from hub.testing import launch_for_test

    g = _tiny_rosinality_pickle(tmp_path / "tiny.pt")
    data = (tmp_path / "tiny.pt").read_bytes()
    commit = hub.add_repo("someone/tiny-stylegan2").commit({"tiny.pt": data})
    ghub = _hub_with(_TinyHubGenerator("someone/tiny-stylegan2", commit, sha(data)))
    assert ghub.weights.status("stylegan2-tiny-16").message.startswith("pinned upstream pickle")
    app = build_app(hub=ghub)
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        gallery, grid = client.predict("stylegan2-tiny-16", "1, 2", 0.7, "", "coarse", api_name="/stylegan2_generate")
    assert len(gallery) == 2 and Path(grid).is_file()
    out = tmp_path / "ganhub" / "converted" / "stylegan2-tiny-16.safetensors"
    record = json.loads(out.with_suffix(".json").read_text())
    assert record["sha256"] == sha(out.read_bytes()) and record["source_sha256"] == sha(data)
    assert ghub.weights.status("stylegan2-tiny-16").where == "converted"
    converted = load_st(str(out))
    assert torch.equal(converted["w_avg"], g.state_dict()["w_avg"])  # the upstream latent_avg came along
    assert ("GET", f"/lfs/{sha(data)}") in hub.requests  # it came from the loopback Hub

    hub.clear_log()  # a second hub (a restart) uses the converted file: no request, no conversion
    again = _hub_with(_TinyHubGenerator("someone/tiny-stylegan2", commit, sha(data)))
    assert again.weights.resolve("stylegan2-tiny-16") == out and hub.requests == []


def test_a_pinned_pickle_whose_sha256_differs_is_refused_unread(hub, tmp_path, monkeypatch):
    _tiny_rosinality_pickle(tmp_path / "tiny.pt")
    data = (tmp_path / "tiny.pt").read_bytes()
    commit = hub.add_repo("someone/tiny-stylegan2").commit({"tiny.pt": data})
    ghub = _hub_with(_TinyHubGenerator("someone/tiny-stylegan2", commit, "0" * 64))
    reads = []
    import hub.weights.store as store_module

    monkeypatch.setattr(store_module, "_read_checkpoint", lambda *a: reads.append(a))
    with pytest.raises(W.WeightIntegrityError, match="does not match its recorded sha256"):
        ghub.models.get_model("stylegan2-tiny-16")
    assert reads == []  # the pickle was never opened
    assert not (tmp_path / "ganhub" / "converted" / "stylegan2-tiny-16.safetensors").exists()


def test_an_unpinned_pickle_is_not_converted_automatically(hub, tmp_path):
    _tiny_rosinality_pickle(tmp_path / "tiny.pt")
    data = (tmp_path / "tiny.pt").read_bytes()
    hub.add_repo("someone/tiny-stylegan2").commit({"tiny.pt": data})
    ghub = _hub_with(_TinyHubGenerator("someone/tiny-stylegan2", "main", sha(data)))  # a branch can move
    with pytest.raises(W.WeightUnavailable, match="does not pin a commit as its revision"):
        ghub.weights.resolve("stylegan2-tiny-16")
    assert hub.requests == []


def test_a_space_converts_its_pinned_pickles_at_start_up_and_says_so(hub, tmp_path, capsys):
    from hub.spaces import preload_conversions

    _tiny_rosinality_pickle(tmp_path / "tiny.pt")
    data = (tmp_path / "tiny.pt").read_bytes()
    commit = hub.add_repo("someone/tiny-stylegan2").commit({"tiny.pt": data})
    ghub = _hub_with(_TinyHubGenerator("someone/tiny-stylegan2", commit, sha(data)))
    store = ghub.weights
    # The Sample demo may load every LatentGenerator: this one, and the public ones the stylegan2
    # manifest pins, which this loopback Hub does not hold; each of those gets its line and the rest go on.
    real = [w for w in store.ids() if w != "stylegan2-tiny-16" and store.pinned_pickle(w)]
    total = 1 + len(real)
    thread = preload_conversions(ghub)
    assert thread is not None
    thread.join(timeout=120)
    assert store.status("stylegan2-tiny-16").where == "converted"
    log = capsys.readouterr().err
    assert re.search(rf"start-up conversion \d+/{total}: Converting 'stylegan2-tiny-16' once", log)
    assert "Converted 'stylegan2-tiny-16'" in log and "sha256 recorded" in log
    for wid in real:
        assert re.search(rf"start-up conversion \d+/{total}: .*'{wid}'", log), wid
    assert any(f"1 of {total} pinned Hub weight(s) converted (stylegan2-tiny-16)" in n for n in ghub.notices)
    again = preload_conversions(ghub)  # the next start converts only what is still missing
    if again is not None:
        again.join(timeout=120)
    assert "'stylegan2-tiny-16'" not in capsys.readouterr().err


def test_a_converter_that_fails_is_a_sentence_naming_the_weight(hub, tmp_path):
    torch.save({"g_ema": {"not": torch.zeros(1)}}, tmp_path / "tiny.pt")  # no StyleGAN2 layers to infer
    data = (tmp_path / "tiny.pt").read_bytes()
    commit = hub.add_repo("someone/tiny-stylegan2").commit({"tiny.pt": data})
    ghub = _hub_with(_TinyHubGenerator("someone/tiny-stylegan2", commit, sha(data)))
    with pytest.raises(W.WeightUnavailable, match=r"Weight 'stylegan2-tiny-16': converting .* failed in plugins"):
        ghub.weights.resolve("stylegan2-tiny-16")

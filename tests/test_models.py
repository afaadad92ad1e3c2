"""Models: lazy load, eval + frozen, byte-bounded LRU, thread safety, device choice, ZeroGPU shim."""

from __future__ import annotations

import inspect
import sys
import threading
from pathlib import Path

import pytest
import torch

import ganhub_fixture_plugins as fx
from hub.models import DEFAULT_CACHE_MB, ModelRegistry, UnknownModelError, choose_device, gpu, module_nbytes
from hub.testing import make_hub, use_plugins

FAKE_SPACES = Path(__file__).resolve().parent / "fixtures" / "fake_spaces"


def test_nothing_is_loaded_until_first_use():
    hub = make_hub([fx.TinyModels()])
    assert hub.models.cached() == [] and hub.models.loads == 0
    model = hub.get_model("tiny-a")
    assert hub.models.loads == 1
    assert hub.get_model("tiny-a") is model and hub.models.loads == 1  # cached


def test_loaded_model_is_eval_frozen_and_on_the_device():
    hub = make_hub([fx.TinyModels()])
    model = hub.get_model("tiny-a", device="cpu")
    assert not model.training and not model[1].training  # BatchNorm in eval mode
    assert all(not p.requires_grad for p in model.parameters())
    assert {p.device.type for p in model.parameters()} == {"cpu"}
    assert hub.models.cached() == [("tiny-a", "cpu")]


def test_module_nbytes_counts_parameters_and_buffers():
    model = fx._build_linear({})
    params = (64 * 64 + 64) * 4 + (64 + 64) * 4  # linear weight+bias, BN weight+bias
    buffers = (64 + 64) * 4 + 8  # running mean/var + num_batches_tracked (int64)
    assert module_nbytes(model) == params + buffers
    assert module_nbytes(object()) == 0


def test_lru_is_bounded_in_bytes():
    one = module_nbytes(fx._build_linear({}))
    hub = make_hub([fx.TinyModels()], cache_bytes=2 * one + 10)  # room for two models
    a = hub.get_model("tiny-a")
    hub.get_model("tiny-b")
    hub.get_model("tiny-a")  # touch a: b is now least recently used
    hub.get_model("tiny-c")
    assert [name for name, _ in hub.models.cached()] == ["tiny-a", "tiny-c"]
    assert hub.models.cached_bytes() <= 2 * one + 10
    assert hub.get_model("tiny-a") is a and hub.models.loads == 3
    hub.get_model("tiny-b")  # evicted earlier: built again
    assert hub.models.loads == 4


def test_a_model_bigger_than_the_cache_still_loads():
    hub = make_hub([fx.TinyModels()], cache_bytes=1)
    hub.get_model("tiny-a")
    hub.get_model("tiny-b")
    assert [name for name, _ in hub.models.cached()] == ["tiny-b"]


def test_cache_size_from_env(monkeypatch):
    monkeypatch.setenv("GANHUB_MODEL_CACHE_MB", "1.5")
    assert ModelRegistry(store=None).cache_bytes == int(1.5 * 2**20)
    monkeypatch.delenv("GANHUB_MODEL_CACHE_MB")
    assert ModelRegistry(store=None).cache_bytes == DEFAULT_CACHE_MB * 2**20


def test_concurrent_requests_load_once():
    hub = make_hub([fx.TinyModels()])
    results, barrier = [], threading.Barrier(8)

    def worker():
        barrier.wait()
        results.append(hub.get_model("tiny-a"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 8 and all(model is results[0] for model in results)
    assert hub.models.loads == 1


def test_unknown_model_names_the_registered_ones():
    hub = make_hub([fx.TinyModels()])
    with pytest.raises(UnknownModelError, match="'nope'.*tiny-a, tiny-b, tiny-c"):
        hub.get_model("nope")


def test_models_for_lists_offline_models_first():
    hub = make_hub([fx.TinyModels()])
    assert hub.models_for("Toy") == ["tiny-b", "tiny-a"]
    assert hub.models_for("Other") == ["tiny-c"]
    assert hub.models_for("Nothing") == []


def test_related_model_loads_the_named_companion_or_none():
    from hub import ModelSpec, hookimpl

    class WithEncoder:
        name = "with-encoder"

        @hookimpl
        def register_models(self, register):
            register(ModelSpec("gen", family="tiny", interface="Toy", build=fx._build_linear,
                               related={"encoder": "tiny-c"}))

    hub = make_hub([fx.TinyModels(), WithEncoder()])
    assert hub.models.related_model("gen", "encoder") is hub.get_model("tiny-c")
    assert hub.models.related_model("gen", "classifier") is None
    assert hub.models.related_model("tiny-a", "encoder") is None
    with pytest.raises(UnknownModelError):
        hub.models.related_model("nope", "encoder")


def test_module_level_api_uses_the_default_hub():
    import hub as hub_pkg

    with use_plugins(fx.TinyModels()) as hub:
        assert hub_pkg.models_for("Toy") == ["tiny-b", "tiny-a"]
        assert hub_pkg.get_model("tiny-c") is hub.get_model("tiny-c")


def test_choose_device(monkeypatch):
    monkeypatch.delenv("GANHUB_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert choose_device().type == expected
    assert choose_device("auto").type == expected
    monkeypatch.setenv("GANHUB_DEVICE", "cpu")
    assert choose_device() == torch.device("cpu")
    assert choose_device(torch.device("cpu")) == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            choose_device("cuda")
        monkeypatch.setenv("GANHUB_DEVICE", "cuda")
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            choose_device()
        assert choose_device("cpu").type == "cpu"  # the argument wins over the env


def test_gpu_shim_is_a_no_op_off_spaces(monkeypatch):
    monkeypatch.delenv("SPACES_ZERO_GPU", raising=False)

    def handler(x):
        return x + 1

    def stream(n):
        yield from range(n)

    assert gpu(30)(handler) is handler
    wrapped = gpu(lambda n: n * 2)(stream)
    assert inspect.isgeneratorfunction(wrapped) and list(wrapped(3)) == [0, 1, 2]
    with pytest.raises(TypeError):
        gpu("long")


def test_gpu_shim_uses_spaces_on_zero_gpu(monkeypatch):
    monkeypatch.syspath_prepend(str(FAKE_SPACES))
    monkeypatch.delitem(sys.modules, "spaces", raising=False)
    monkeypatch.setenv("SPACES_ZERO_GPU", "true")
    import spaces

    spaces.CALLS.clear()

    def stream(n):
        yield from range(n)

    wrapped = gpu(lambda n: 10 * n)(stream)
    assert inspect.isgeneratorfunction(wrapped)
    assert list(wrapped(3)) == [0, 1, 2]
    assert spaces.CALLS[1] == ("run", 30)  # the dynamic duration saw the handler's arguments
    assert gpu(45)(lambda: "ok")() == "ok" and 45 in spaces.CALLS


# ------------------------------------------------ a model with a real weight file
class _ManifestPlugin:
    """Registers a manifest by a path relative to its own package folder (here: the tmp dir)."""

    name = "withweights"

    def __init__(self, folder: Path):
        self.folder = folder

    from hub import hookimpl

    @hookimpl
    def register_weights(self, register):
        register(self.folder / "weights.yaml")

    @hookimpl
    def register_models(self, register):
        from hub import ModelSpec

        def build(paths):
            from safetensors.torch import load_file

            model = torch.nn.Linear(3, 2, bias=False)
            model.load_state_dict(load_file(str(paths["fixture-linear"])))
            return model

        register(ModelSpec("fixture-linear-model", family="fixture", interface="Toy", build=build,
                           weights=("fixture-linear",), offline=True))


def _write_weights(folder: Path, weight: torch.Tensor) -> Path:
    import hashlib

    from safetensors.torch import save_file

    (folder / "weights").mkdir(parents=True, exist_ok=True)
    path = folder / "weights" / "fixture-linear.safetensors"
    save_file({"weight": weight}, str(path))
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    (folder / "weights.yaml").write_text(
        "version: 1\nweights:\n"
        f"- id: fixture-linear\n  source: null\n  embedded: weights/fixture-linear.safetensors\n"
        f"  sha256: {digest}\n  size: {path.stat().st_size}\n  license: cc0-1.0\n  format: safetensors\n"
    )
    return path


def test_get_model_builds_from_verified_weights(tmp_path):
    weight = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    _write_weights(tmp_path, weight)
    hub = make_hub([_ManifestPlugin(tmp_path)], strict=True)
    assert hub.statuses["withweights"].registered["weights"] == ["fixture-linear"]
    assert hub.weights.status("fixture-linear").where == "embedded"
    model = hub.get_model("fixture-linear-model")
    assert torch.equal(model.weight, weight) and not model.weight.requires_grad
    assert model(torch.ones(1, 3)).tolist() == [[3.0, 12.0]]


def test_tampered_weight_is_refused_with_a_readable_error(tmp_path):
    import gradio as gr

    from hub.app import DemoContextImpl
    from hub.api import Demo
    from hub.weights import WeightUnavailable

    path = _write_weights(tmp_path, torch.zeros(2, 3))
    hub = make_hub([_ManifestPlugin(tmp_path)], strict=True)
    with path.open("r+b") as handle:  # flip one byte of the tensor data (the file's tail)
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(WeightUnavailable, match="does not match its recorded sha256"):
        hub.get_model("fixture-linear-model")
    assert hub.models.cached() == []
    ctx = DemoContextImpl(hub, Demo("x", "x", lambda ctx: None, plugin="withweights"), {})
    with pytest.raises(gr.Error, match="fixture-linear"):
        ctx.get_model("fixture-linear-model")


def test_a_damaged_override_file_is_a_sentence_not_a_traceback(tmp_path, monkeypatch):
    """A user override (GANHUB_WEIGHTS_DIR) is not held to the manifest's digest; a damaged one must
    still end in a plain sentence naming the model, not an unhandled SafetensorError."""
    import gradio as gr

    from hub.api import Demo
    from hub.app import DemoContextImpl
    from hub.weights import WeightUnavailable

    _write_weights(tmp_path, torch.zeros(2, 3))
    override = tmp_path / "override"
    override.mkdir()
    (override / "fixture-linear.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{broken}")
    monkeypatch.setenv("GANHUB_WEIGHTS_DIR", str(override))
    hub = make_hub([_ManifestPlugin(tmp_path)], strict=True)
    with pytest.raises(WeightUnavailable, match="weights of model 'fixture-linear-model' could not be read"):
        hub.get_model("fixture-linear-model")
    ctx = DemoContextImpl(hub, Demo("x", "x", lambda ctx: None, plugin="withweights"), {})
    with pytest.raises(gr.Error, match="could not be read"):
        ctx.get_model("fixture-linear-model")


def test_threads_setting_reaches_torch(monkeypatch):
    import torch

    from hub.models import apply_thread_setting

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("GANHUB_THREADS", raising=False)
        assert apply_thread_setting() is None and torch.get_num_threads() == before
        monkeypatch.setenv("GANHUB_THREADS", "1")
        assert apply_thread_setting() == 1 and torch.get_num_threads() == 1
        for bad in ("0", "two"):
            monkeypatch.setenv("GANHUB_THREADS", bad)
            with pytest.raises(RuntimeError, match="GANHUB_THREADS"):
                apply_thread_setting()
    finally:
        torch.set_num_threads(before)

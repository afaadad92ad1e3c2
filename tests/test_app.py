"""The app shell: tab order, isolation of tab builds, unique namespaced api names, queue, status tab."""

from __future__ import annotations

import dataclasses
import re
import time

import gradio as gr
import pytest

import ganhub_fixture_plugins as fx
from hub.app import COMPUTE_GROUPS, HEAVY, QUICK, PLUGINS_TAB_ID, DemoContextImpl, build_app, public_api_names, status_tables
from hub import Demo, hookimpl
from hub.plugins import PluginError
from hub.testing import launch_for_test, make_app, make_hub


def _tabs(app):
    return [(block.label, block.id) for block in app.blocks.values() if isinstance(block, gr.Tab)]


def _markdown_text(app):
    return "\n".join(str(b.value) for b in app.blocks.values() if isinstance(b, gr.Markdown))


def test_one_tab_per_demo_in_order_then_the_plugins_tab():
    app = make_app([fx.ImageFx(), fx.Duplicates(), fx.TinyModels()])
    # (order, id): duplicates-fresh (5), imagefx-invert (10), imagefx-blur (20)
    assert _tabs(app) == [("Fresh", "duplicates-fresh"), ("Invert", "imagefx-invert"), ("Blur", "imagefx-blur"),
                          ("Plugins & weights", PLUGINS_TAB_ID)]


def test_api_names_are_namespaced_and_unique():
    app = make_app([fx.ImageFx(), fx.Duplicates(), fx.TinyModels()])
    names = public_api_names(app)
    assert sorted(names) == ["duplicates_blur", "hub_status", "imagefx_blur", "imagefx_invert"]
    assert len(names) == len(set(names))
    assert set(app.ganhub_api_names) == set(names)


def test_failing_tab_build_is_shown_in_its_tab_and_recorded():
    app = make_app([fx.BadTab(), fx.ImageFx()])
    status = app.ganhub.statuses["badtab"]
    assert status.state == "error" and "tab build exploded" in status.errors[0]
    assert "Traceback" in status.errors[0]
    text = _markdown_text(app)
    assert "This tab failed to build" in text and "ValueError: tab build exploded" in text
    assert ("Bad tab", "badtab-demo") in _tabs(app)
    assert "imagefx_invert" in public_api_names(app)  # the other tabs are whole


def test_stray_and_repeated_api_names_are_errors():
    app = make_app([fx.StrayApiName(), fx.SameActionTwice(), fx.ImageFx()])
    assert "did not come from ctx.api_name" in app.ganhub.statuses["stray"].errors[0]
    assert "'twice_run' is already used" in app.ganhub.statuses["twice"].errors[0]
    assert app.ganhub.statuses["imagefx"].ok


def test_strict_build_raises_on_a_failing_tab():
    with pytest.raises(PluginError, match="badtab"):
        build_app(hub=make_hub([fx.BadTab()]), strict=True)


def test_queue_and_the_compute_concurrency_groups():
    app = make_app([fx.ImageFx()])
    assert app._queue is not None
    # ImageFx's demos are not heavy: their events run on the quick queue, never behind an optimisation
    quick = [fn for fn in app.fns.values() if fn.concurrency_id == QUICK]
    assert {fn.api_name for fn in quick} == {"imagefx_invert", "imagefx_blur"}
    assert all(fn.concurrency_limit == 1 for fn in quick)
    assert not [fn for fn in app.fns.values() if fn.concurrency_id == HEAVY]
    cancels = [fn for fn in app.fns.values() if fn.fn is None and fn.cancels]
    assert cancels, "the blur tab's Stop button cancels the streaming event"


def test_queue_length_and_upload_size_are_bounded(monkeypatch):
    from hub.app import launch_settings

    assert make_app([fx.ImageFx()])._queue.max_size == 32
    monkeypatch.setenv("GANHUB_QUEUE_MAX_SIZE", "5")
    assert make_app([fx.ImageFx()])._queue.max_size == 5
    assert launch_settings()["max_file_size"] == "25mb"
    monkeypatch.setenv("GANHUB_MAX_UPLOAD", "1mb")
    assert launch_settings()["max_file_size"] == "1mb"


def test_an_upload_over_the_limit_is_refused_before_any_handler(tmp_path, monkeypatch):
    from gradio_client import Client, handle_file

    monkeypatch.setenv("GANHUB_MAX_UPLOAD", "50kb")
    big = tmp_path / "big.png"
    big.write_bytes(b"\x89PNG" + b"\0" * 200_000)
    app = make_app([fx.ImageFx()])
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        with pytest.raises(Exception, match="(?i)file size|too large|exceeds|maximum"):
            client.predict(handle_file(str(big)), 2, api_name="/imagefx_blur")


def test_context_api_name_and_models():
    hub = make_hub([fx.TinyModels(), fx.ImageFx()])
    issued: dict[str, str] = {}
    ctx = DemoContextImpl(hub, hub.demos["imagefx-invert"], issued)
    assert ctx.api_name("run") == "imagefx_run" and issued == {"imagefx_run": "imagefx"}
    with pytest.raises(ValueError):
        ctx.api_name("run")
    with pytest.raises(ValueError):
        ctx.api_name("has space")
    assert ctx.heavy_concurrency_id == QUICK  # imagefx-invert is not a heavy demo
    heavy_demo = dataclasses.replace(hub.demos["imagefx-invert"], heavy=True)
    assert DemoContextImpl(hub, heavy_demo, {}).heavy_concurrency_id == HEAVY
    assert ctx.models_for("Toy") == ["tiny-b", "tiny-a"]
    assert ctx.get_model("tiny-a") is hub.get_model("tiny-a")
    with pytest.raises(gr.Error, match="no model is registered as 'ghost'"):
        ctx.get_model("ghost")
    from hub.api import DemoContext

    assert isinstance(ctx, DemoContext)


def test_context_gives_tabs_companions_and_weight_files(tmp_path):
    """What tabs used to reach through ctx.hub: a model's related companions and verified weight files."""
    import hashlib

    from hub import ModelSpec, WeightSpec, hookimpl

    good = tmp_path / "dirs.safetensors"
    good.write_bytes(b"not really safetensors, but a file with a digest")

    class Gen:
        name = "gen"

        @hookimpl
        def register_weights(self, register):
            register(WeightSpec(id="gen-dirs", filename=good.name, embedded=str(good),
                                sha256=hashlib.sha256(good.read_bytes()).hexdigest()))
            register(WeightSpec(id="gen-bad", filename=good.name, embedded=str(good), sha256="0" * 64))

        @hookimpl
        def register_models(self, register):
            register(ModelSpec("gen", family="g", interface="Toy", build=lambda paths: object(),
                               related={"encoder": "tiny-c", "directions": "gen-dirs"}))

    hub = make_hub([fx.TinyModels(), fx.ImageFx(), Gen()])
    ctx = DemoContextImpl(hub, hub.demos["imagefx-invert"], {})
    assert ctx.related_model("gen", "encoder") is hub.get_model("tiny-c")
    assert ctx.related_model("gen", "classifier") is None and ctx.related_name("gen", "classifier") is None
    assert ctx.related_name("gen", "directions") == "gen-dirs"
    assert ctx.weight_path("gen-dirs") == good
    with pytest.raises(gr.Error, match="gen-bad"):  # a digest mismatch is a sentence, not a traceback
        ctx.weight_path("gen-bad")
    with pytest.raises(gr.Error, match="no model is registered as 'ghost'"):
        ctx.related_name("ghost", "encoder")


def test_status_tables_show_plugins_weights_models_and_device(monkeypatch):
    monkeypatch.setenv("GANHUB_DEVICE", "cpu")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    hub = make_hub([fx.ImageFx(), fx.TinyModels(), fx.RaisingHook()])
    hub.get_model("tiny-a")
    header, plugins, weights, models = status_tables(hub)
    assert "Device in use:** `cpu`" in header and "Offline" in header
    assert "Plugins with errors:** raising" in header and "models hook exploded" in header
    rows = {row[0]: row for row in plugins}
    assert rows["imagefx"][3] == "ok" and rows["raising"][3] == "error"
    assert rows["tiny"][4] == "3 models, 1 trainer"
    assert [row[0] for row in weights] == [spec.id for spec in hub.weights.specs()]
    loaded = {row[0]: row[-1] for row in models}
    # the core's own models (the VGG feature taps) are listed too, not loaded until a loss needs them
    assert loaded == {"tiny-a": "cpu", "tiny-b": "", "tiny-c": "", "vgg19": "", "vgg16": ""}


def test_an_unreachable_endpoint_shows_the_same_offline_notice(monkeypatch):
    from hub import weights as W
    from hub.testing import free_port

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")  # nothing listens there
    monkeypatch.setenv("GANHUB_NET_TIMEOUT", "0.5")
    W._PROBES.clear()
    header = status_tables(make_hub([fx.TinyModels()]))[0]
    assert "**Offline** (the Hugging Face Hub at http://127.0.0.1:" in header and "does not answer" in header
    W._PROBES.clear()


def test_build_app_with_an_allowlist_builds_a_fresh_default_hub():
    from hub.plugins import get_hub, set_default_hub

    previous = get_hub.__globals__["_default"]
    try:
        app = build_app(plugins=[])  # like `python app.py --plugins ""`: no plugin at all
        assert _tabs(app) == [("Plugins & weights", PLUGINS_TAB_ID)]
        assert get_hub() is app.ganhub  # handlers calling hub.get_model see the same hub
        assert all(s.state == "disabled" for n, s in app.ganhub.statuses.items() if n != "hub")
    finally:
        set_default_hub(previous)


def test_tab_build_that_imports_torch_gets_a_notice(monkeypatch, tmp_path):
    from hub import Demo, hookimpl

    # torch is surely loaded in this process already: watch a stand-in heavy module instead
    (tmp_path / "ganhub_heavy_standin.py").write_text("VALUE = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr("hub.app.HEAVY_MODULES", ("ganhub_heavy_standin",))

    class ImportsHeavy:
        name = "eager"

        @hookimpl
        def register_demos(self, register):
            def build(ctx):
                import ganhub_heavy_standin  # noqa: F401  (the mistake under test)

            register(Demo("eager-demo", "Eager", build))

    app = make_app([ImportsHeavy()])
    assert any("'eager-demo' (eager) imported ganhub_heavy_standin" in n for n in app.ganhub.notices)
    assert app.ganhub.statuses["eager"].ok  # a notice, not an error


def test_zerogpu_duration_is_derived_from_the_declared_step_parameters():
    from hub import steps_gpu_seconds
    from hub.api import BASE_GPU_SECONDS, DEFAULT_GPU_SECONDS, GPU_SECONDS_PER_STEP, MAX_GPU_SECONDS
    from hub.app import gpu_duration

    def handler(model, w_steps, noise_steps, variations=1, progress=None):
        return None

    assert gpu_duration(handler, None) == DEFAULT_GPU_SECONDS  # nothing declared
    assert gpu_duration(handler, 42) == 42.0
    duration = gpu_duration(handler, steps_gpu_seconds("w_steps", "noise_steps", times=("variations",)))
    assert duration(None, 100, 50, 2) == BASE_GPU_SECONDS + GPU_SECONDS_PER_STEP * 300
    assert duration(None, 100, 50, variations=2) == duration(None, 100, 50, 2)  # by name, not position
    assert duration(None, 1000, 600) > duration(None, 100, 60)
    assert duration(None, 10 ** 9, 0) == MAX_GPU_SECONDS
    assert duration(None, "bad", float("nan")) == BASE_GPU_SECONDS  # odd values never break the handler
    with pytest.raises(ValueError, match=r"\['steps'\].*does not take"):
        gpu_duration(handler, steps_gpu_seconds("steps"))  # a renamed parameter is caught at build time


def test_every_declared_gpu_duration_names_real_handler_parameters():
    """The built-in tabs' gpu_seconds declarations match their handlers (a mismatch is a plugin error)."""
    app = make_app(entry_points=True)
    assert not [e for p, errs in app.ganhub.errors.items() for e in errs if "gpu_seconds" in e]
    declared = {f"{d.plugin}_{action}" for d in app.ganhub.demos.values() for action in d.gpu_seconds}
    heavy = {fn.api_name for fn in app.fns.values() if fn.concurrency_id in COMPUTE_GROUPS}
    assert declared and declared <= heavy


# ---------------------------------------------------------------- Stop stops (hub.ui.stop_button)
def _slow_steps(steps: float = 2000):
    """Run a tiny torch module once per step (a long job that previews only every 100 steps).

    Args:
        steps: how many steps to run.
    """
    import torch

    layer = torch.nn.Linear(4, 4)
    x = torch.zeros(1, 4)
    for step in range(int(steps)):
        layer(x)
        time.sleep(0.005)
        if step % 100 == 0:
            yield f"step {step}"
    yield "done"


def _slow_plain(steps: float = 2000) -> str:
    """The same job as one plain function call (nothing to see until it ends).

    Args:
        steps: how many steps to run.
    """
    return list(_slow_steps(steps))[-1]


class _SlowTab:
    """A heavy tab with a streaming and a plain slow job, and a Stop for both; ``budgets`` as Demo's."""

    def __init__(self, name: str = "slow", budgets=None) -> None:
        self.name, self.budgets = name, budgets or {}

    @hookimpl
    def register_demos(self, register):
        def build(ctx):
            from hub.ui import stop_button

            steps = gr.Number(2000, label="Steps")
            out = gr.Textbox(label="Progress")
            run, run_plain, stop = gr.Button("Run"), gr.Button("Run once"), gr.Button("Stop")
            ev = run.click(_slow_steps, steps, out, api_name=ctx.api_name("steps"), concurrency_id=ctx.heavy_concurrency_id)
            ev2 = run_plain.click(_slow_plain, steps, out, api_name=ctx.api_name("plain"),
                                  concurrency_id=ctx.heavy_concurrency_id)
            stop_button(stop, ev, ev2)

        register(Demo(f"{self.name}-demo", "Slow", build, heavy=True, budgets=self.budgets))


def _wait_for_job(session: str, timeout: float = 30.0) -> None:
    from hub.ui.streaming import _jobs

    deadline = time.monotonic() + timeout
    while not any(s == session for s, _ in list(_jobs)) and time.monotonic() < deadline:
        time.sleep(0.02)


def test_stop_ends_a_job_at_its_next_module_call_and_frees_the_queue():
    from gradio_client import Client

    from hub.ui.streaming import request_stop

    app = make_app([_SlowTab()])
    assert not app.ganhub.errors  # the tab (and its Stop wiring) built
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        for api_name in ("/slow_steps", "/slow_plain"):
            job = client.submit(2000, api_name=api_name)
            _wait_for_job(client.session_hash)
            time.sleep(0.3)
            assert request_stop(client.session_hash) == 1
            job.result(timeout=10)  # returns at the next module call, not after 2,000 steps
            if api_name == "/slow_steps":
                assert job.outputs() and "done" not in job.outputs()  # the last preview stays
            # the heavy queue (one slot) is free: a short job runs to its end
            assert client.predict(3, api_name=api_name) == "done"
        assert request_stop(client.session_hash) == 0  # nothing left running


def test_a_compute_job_shows_its_expected_time_on_its_button_before_it_runs(monkeypatch):
    from hub.api import steps_budget

    monkeypatch.setenv("GANHUB_DEVICE", "cpu")
    app = make_app([_SlowTab("slowb", budgets={"steps": steps_budget(steps=0.02)})])  # 0.02 s a step
    assert not app.ganhub.errors
    [button] = [b for b in app.blocks.values() if isinstance(b, gr.Button) and str(b.value).startswith("Run (")]
    # 2,000 steps x 0.02 s on the reference machine (this one, on a CPU), plus the handler's start
    assert re.fullmatch(r"Run \(~4\d s\)", button.value), button.value
    relabels = [fn for fn in app.fns.values() if fn.concurrency_id == "ganhub-hint"]
    assert relabels and all(fn.api_visibility == "private" and not fn.preprocess for fn in relabels)
    assert relabels[0].fn(100000)["value"] == "Run (~33 min)"  # the steps box changed
    assert relabels[0].fn(10)["value"] == "Run"  # under 5 s: no time shown


def test_a_users_error_is_one_log_line_not_a_traceback(capfd):
    """Gradio prints the traceback of every ``gr.Error``; a refused request (a handler's sentence, or a
    value the server-side checks refuse) is a single ``ganhub: ... refused`` line instead."""
    from gradio_client import Client

    app = make_app([fx.ImageFx()])
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        with pytest.raises(Exception, match="Upload an image first"):
            client.predict(None, 4, api_name="/imagefx_blur")  # the handler's own gr.Error
        with pytest.raises(Exception, match="Steps"):
            client.predict(None, 10 ** 6, api_name="/imagefx_blur")  # refused by the input checks
    err = capfd.readouterr().err
    assert "ganhub: imagefx_blur: refused: Upload an image first." in err
    assert "ganhub: input 'Steps': refused:" in err
    assert "Traceback" not in err

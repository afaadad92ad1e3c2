"""Per-request budgets (hub.ui.budget): refused before any work with a sentence naming the limit, stopped
at the time budget, the server's memory ceiling, session files removed when the session ends, Hub
requests that fail fast, and the same rules in a generated Space."""

from __future__ import annotations

import os
import runpy
import socket
import threading
from pathlib import Path

import gradio as gr
import pytest

from hub.api import Budget, steps_budget
from hub.ui import budget

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _cpu_limits(monkeypatch):
    for name in ("GANHUB_BUDGET_SECONDS", "GANHUB_BUDGET_MEMORY_MB", "GANHUB_MAX_RSS_MB", "SPACES_ZERO_GPU"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GANHUB_DEVICE", "cpu")


def test_steps_budget_counts_the_named_steps_times_the_batch():
    declared = steps_budget(times=("k",), memory_bytes=100, w=0.5, n=0.25)
    assert declared.params == ("w", "n", "k")
    cost = declared(w=10, n=4, k=3, other="ignored")
    assert cost == Budget(3.0 + 3 * (5 + 1), 300)
    assert declared(w="junk", n=float("nan"), k=None) == Budget(3.0, 100)  # odd values count as nothing


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "12")
    monkeypatch.setenv("GANHUB_BUDGET_MEMORY_MB", "256")
    monkeypatch.setenv("GANHUB_MAX_RSS_MB", "bad")  # unreadable: the default
    limit = budget.limits()
    assert (limit.device, limit.seconds, limit.memory_bytes) == ("cpu", 12.0, 256 * 2**20)
    assert 0 < limit.max_rss_bytes <= 12 * 2**30
    monkeypatch.setenv("SPACES_ZERO_GPU", "1")
    monkeypatch.setenv("GANHUB_BUDGET_SPEEDUP", "4")
    assert budget.expected(Budget(40, 1), w=1).seconds == 10  # a ZeroGPU slice runs the reference work faster


@pytest.mark.parametrize("cost, words", [
    (Budget(301, 0), ["would take 5 min", "time budget of 5 min", "GANHUB_BUDGET_SECONDS"]),
    (Budget(1, 5 * 2**30), ["about 5.0 GB", "budget of 4.0 GB", "GANHUB_BUDGET_MEMORY_MB"]),
    (Budget(float("inf"), 0), ["more than a week"]),
])
def test_a_request_over_budget_is_refused_before_it_runs(cost, words):
    ran = []

    def handler(steps):
        ran.append(steps)
        return "done"

    guarded = budget.budgeted(handler, lambda steps: cost)
    with pytest.raises(gr.Error) as refused:
        guarded(5)
    assert ran == []
    for word in words:
        assert word in refused.value.message
    assert budget.budgeted(handler, lambda steps: Budget(1, 1))(7) == "done" and ran == [7]


def test_the_memory_ceiling_refuses_new_work(monkeypatch):
    monkeypatch.setenv("GANHUB_MAX_RSS_MB", "1")  # this process is far past 1 MB already
    with pytest.raises(gr.Error, match=r"memory ceiling \(GANHUB_MAX_RSS_MB\).*about 0.5 GB more"):
        budget.admit(Budget(1, 2**29))
    assert budget.rss_bytes() > 2**20


def _busy_torch(steps_done: list[int], stop_at: int = 2000):
    import time

    import torch  # imported before the scope too (below): the stop hook goes in once torch is loaded

    layer = torch.nn.Linear(4, 4)
    for step in range(stop_at):
        layer(torch.zeros(1, 4))  # every module call checks the stop flag
        steps_done.append(step)
        time.sleep(0.002)
    return "finished"


def test_a_running_job_stops_itself_at_its_time_budget(monkeypatch):
    from hub.nn.stop import RunStopped

    import torch  # noqa: F401

    monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "0.2")
    done: list[int] = []
    with pytest.raises(RunStopped):
        budget.budgeted(lambda: _busy_torch(done))()
    assert 0 < len(done) < 2000


def test_a_streaming_job_is_stopped_too(monkeypatch):
    import torch  # noqa: F401

    from hub.nn.stop import RunStopped

    monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "0.2")
    done: list[int] = []

    def stream():
        for chunk in range(1000):
            _busy_torch(done, stop_at=10)
            yield chunk

    items = []
    with pytest.raises(RunStopped):
        for item in budget.budgeted(stream)():
            items.append(item)
    assert 0 < len(items) < 1000


def test_a_declaration_must_name_the_handlers_parameters():
    def handler(model, steps, progress=None):
        return steps

    budget.check_params(handler, steps_budget(steps=0.1))
    budget.check_params(handler, lambda **_: Budget(1))
    with pytest.raises(ValueError, match=r"\['steps_'\].*takes \['model', 'steps', 'progress'\]"):
        budget.check_params(handler, steps_budget(steps_=0.1))

    def named(model, noise_steps, **_):
        return Budget(1)

    with pytest.raises(ValueError, match="noise_steps"):
        budget.check_params(handler, named)


def test_result_folders_of_a_session_are_removed_when_it_ends(monkeypatch):
    from gradio.context import LocalContext

    from hub.images import save_png

    class Request:
        def __init__(self, session_hash):
            self.session_hash = session_hash

    handler = budget.budgeted(lambda name: (save_png(__import__("PIL.Image").Image.new("RGB", (4, 4)), name), "ok"))
    paths = {}
    for session in ("mine", "theirs"):
        token = LocalContext.request.set(Request(session))
        try:
            paths[session] = Path(handler(session)[0])
        finally:
            LocalContext.request.reset(token)
    assert budget.session_folders("mine") == {str(paths["mine"].parent)}
    assert budget.remove_session_files(Request("mine")) == 1
    assert not paths["mine"].exists() and paths["theirs"].is_file()
    assert budget.remove_session_files(Request("mine")) == 0
    budget.remove_session_files(Request("theirs"))
    assert not paths["theirs"].exists()


def test_the_app_registers_the_cleanup_when_a_session_ends():
    from hub.testing import make_app

    app = make_app(entry_points=True)
    assert any(getattr(fn.fn, "__name__", "") == "on_session_end" and fn.api_visibility == "private"
               for fn in app.fns.values())
    errors = [e for status in app.ganhub.statuses.values() for e in status.errors if "budgets names" in e]
    assert errors == []  # every built-in declaration names its handler's parameters


def test_built_in_defaults_fit_and_the_hostile_settings_do_not():
    """The declarations of issue 26's killers are over the reference CPU's budget; the defaults are not."""
    from PIL import Image

    from hub.testing import make_app

    app = make_app(entry_points=True)
    declared = {f"{demo.plugin}_{action}": value for demo in app.ganhub.sorted_demos()
                for action, value in demo.budgets.items()}

    def cost(name, **hints):  # a hint names the declaration's parameter that contains it (names change)
        params = budget._declared_params(declared[name])
        named = {next((p for p in params if hint in p), hint): value for hint, value in hints.items()}
        return budget.expected(declared[name], **named)

    def steps(name, count):  # every step count a steps_budget declaration reads
        return cost(name, **{param: count for param in declared[name].params})

    limit = budget.limits()
    big = Image.new("RGB", (1024, 1024))
    over = [cost("inpainting_inpaint", w=40, noise=200, sigma=1e9),
            cost("srgan_upscale", photo=big, scale="4", tile=32),
            cost("style_transfer_run", method="Gatys", steps=500, size=512),
            steps("i2s_plusplus_reconstruct", 5000)]  # the paper's 5000 W+ steps (+ as many noise steps)
    assert all(c.seconds > limit.seconds or c.memory_bytes > limit.memory_bytes for c in over)
    assert cost("srgan_upscale", photo=big, scale="4", tile=0).memory_bytes > limit.memory_bytes  # ~13 GB at once
    fine = [cost("inpainting_inpaint", w=40, noise=200),
            cost("inpainting_variations", w=40, noise=200, k_=8, count=8),  # the fills, as named now or before
            cost("srgan_upscale", photo=big, scale="4", tile=256),
            cost("style_transfer_run", method="Gatys", steps=200, size=256),
            steps("i2s_plusplus_reconstruct", 250)]
    assert all(c.seconds < limit.seconds and c.memory_bytes <= limit.memory_bytes for c in fine)
    assert budget.expected_text(fine[0]).startswith("about ") and "(cpu)" in budget.expected_text(fine[0])


@pytest.fixture
def silent_server():
    """A server on 127.0.0.1 that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_a_hub_that_accepts_and_never_answers_fails_fast_with_a_sentence(silent_server, tmp_path, monkeypatch):
    import hub.weights as W

    endpoint, accepted = silent_server
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    monkeypatch.setenv("GANHUB_NET_TIMEOUT", "0.5")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    W._PROBES.clear()
    (tmp_path / "manifest.yaml").write_text(
        "weights:\n- id: g\n  source: {repo_id: a/b, filename: g.safetensors, revision: main}\n"
        f"  sha256: {'a' * 64}\n  license: MIT\n")
    store = W.WeightStore()
    store.add_manifest(tmp_path / "manifest.yaml", plugin="test")
    with pytest.raises(W.WeightUnavailable, match=r"not available offline: .* cannot be reached"):
        store.resolve("g")
    assert len(accepted) == 1  # the probe alone: huggingface_hub's minutes of retries never started
    W._PROBES.clear()
    assert os.environ["HF_HUB_ETAG_TIMEOUT"] and os.environ["HF_HUB_DOWNLOAD_TIMEOUT"]


@pytest.mark.slow
def test_a_generated_space_goes_through_the_same_guarded_shell(monkeypatch):
    from gradio_client import Client

    from hub.testing import launch_for_test

    monkeypatch.setenv("GANHUB_SPACE_NO_LAUNCH", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    demo = runpy.run_path(str(ROOT / "spaces" / "lapgan" / "app.py"))["demo"]
    with launch_for_test(demo) as url:
        client = Client(url, verbose=False)
        params = client.view_api(return_format="dict", print_info=False)["named_endpoints"]["/lapgan_generate"]
        args = [p["parameter_default"] if p.get("parameter_has_default") else None for p in params["parameters"]]
        slider = next(i for i, p in enumerate(params["parameters"]) if p["component"] == "Slider")
        bad = list(args)
        bad[slider] = 10 ** 9
        with pytest.raises(Exception, match="must be between"):
            client.predict(*bad, api_name="/lapgan_generate")
        monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "1")  # read per request: the Space's own limit
        with pytest.raises(Exception, match="GANHUB_BUDGET_SECONDS"):
            client.predict(*args, api_name="/lapgan_generate")


def test_the_example_third_party_plugin_gets_the_same_rules(monkeypatch):
    """An undeclared action (the example plugin declares no budget) still gets the memory ceiling and
    the deadline, and its inputs the same checks."""
    ganhub_example = pytest.importorskip("ganhub_example.plugin")
    from hub.testing import make_app
    from hub.ui.validation import checker_for

    app = make_app([ganhub_example])
    fn = next(fn for fn in app.fns.values() if str(fn.api_name).endswith("_pixelate"))
    slider = next(block for block in fn.inputs if isinstance(block, gr.Slider))
    with pytest.raises(gr.Error, match="must be between"):
        checker_for(slider)(slider.maximum + 1)
    assert getattr(slider, "_ganhub_guarded", False)
    monkeypatch.setenv("GANHUB_MAX_RSS_MB", "1")
    with pytest.raises(gr.Error, match="GANHUB_MAX_RSS_MB"):
        fn.fn(*[None] * len(fn.inputs))


def test_a_component_updated_in_a_session_is_still_checked():
    """After ``gr.update(maximum=...)`` the session's later events read a new instance of the slider that
    Gradio builds from its constructor arguments; it is checked too, against its updated range, and a
    single file sent where a list goes is refused with a sentence, not a failure inside Gradio's model."""
    from gradio_client import Client, handle_file

    from hub.testing import call_raw, launch_for_test
    from hub.ui.validation import guard_inputs

    with gr.Blocks() as app:
        amount = gr.Slider(0, 10, value=1, step=1, label="Amount")
        files = gr.File(label="Files", file_count="multiple")
        out = gr.Textbox()
        gr.Button("widen").click(lambda: gr.update(maximum=20), None, amount, api_name="widen")
        gr.Button("use").click(lambda a, f: f"{a} {len(f or [])}", [amount, files], out, api_name="use")
    guard_inputs(app)
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        with pytest.raises(Exception, match="Amount must be between 0 and 10"):
            client.predict(15, None, api_name="/use")
        client.predict(api_name="/widen")  # this session's slider is now a new instance, 0..20
        assert client.predict(15, None, api_name="/use") == "15 0"
        with pytest.raises(Exception, match="Amount must be between 0 and 20"):
            client.predict(25, None, api_name="/use")
        assert call_raw(url, "use", [float("nan"), None]) == (False, "Amount must be a finite number, not nan.")
        with pytest.raises(Exception, match="Files takes a list of files, not a single one"):
            client.predict(1, handle_file(__file__), api_name="/use")

"""The editing session shared by the tabs (hub.ui.session): the history as plain data, its wiring in
Gradio (one State per app, private events, a send that every tab follows), and PTI latents that
carry their generator's weight delta from tab to tab."""

from __future__ import annotations

import asyncio

import gradio as gr
import pytest
import torch

from hub.nn import pti
from hub.nn.latents import save_latent
from hub.ui import session as S
from ganhub_tiny_models import tiny_generator


def _file(tmp_path, name):
    p = tmp_path / f"{name}.safetensors"
    p.write_bytes(b"x")
    return str(p)


# ------------------------------------------------------------------------------ the history


def test_push_current_undo_keep_a_short_history(tmp_path):
    s0 = S.new_session()
    assert S.current(s0) is None and S.undo(s0) == S.new_session()
    s = s0
    paths = [_file(tmp_path, f"l{i}") for i in range(S.HISTORY + 3)]
    for p in paths:
        s = S.push(s, p, "stylegan2-emoji64", "W+ editing")
    assert s0 == {"history": []}  # push returns a new session (Gradio compares old and new)
    assert len(s["history"]) == S.HISTORY and S.current(s)["path"] == paths[-1]
    assert [e["path"] for e in s["history"]] == paths[-S.HISTORY:]
    back = S.undo(s)
    assert S.current(back)["path"] == paths[-2] and S.current(s)["path"] == paths[-1]
    e = S.current(s)
    assert e["model"] == "stylegan2-emoji64" and e["source"] == "W+ editing" and e["pti"] is False
    assert "W+ editing" in S.describe(s) and "empty" in S.describe(S.new_session())


def test_entries_whose_file_was_swept_are_dropped(tmp_path):
    a, b = _file(tmp_path, "a"), _file(tmp_path, "b")
    s = S.push(S.push(None, a, "m", "t"), b, "m", "t")
    (tmp_path / "b.safetensors").unlink()
    assert S.current(s)["path"] == a
    assert S.current(S.undo(s)) is None


# ------------------------------------------------------------------------------ Gradio wiring


def test_one_state_per_app_and_private_rows_in_every_tab():
    with pytest.raises(RuntimeError):
        S.session_state()
    with gr.Blocks() as demo:
        with gr.Tab("one"):
            m1 = gr.Dropdown(["g1", "g2"], value="g1")
            f1 = gr.File()
            S.session_row(m1, f1, "one")
            first = S.session_state()
        with gr.Tab("two"):
            m2 = gr.Dropdown(["g1"], value="g1")
            f2 = gr.File()
            S.session_row(m2, f2, "two")
            assert S.session_state() is first
    fns = list(demo.fns.values())
    assert fns and all(fn.api_visibility == "private" for fn in fns)
    followers = [fn for fn in fns if (first._id, "change") in fn.targets]
    assert {tuple(o._id for o in fn.outputs[:2]) for fn in followers} == {(f1._id, m1._id), (f2._id, m2._id)}
    with gr.Blocks() as other:
        assert S.session_state() is not first  # a new app, a new session
    del other


def test_send_changes_the_state_so_every_tab_follows(tmp_path):
    from gradio.state_holder import SessionState

    with gr.Blocks() as demo:
        model = gr.Dropdown(["g1"], value="g1")
        latent = gr.File(type="filepath")
        S.session_row(model, latent, "one")
    state = getattr(demo, S._STATE_ATTR)
    send = next(fn for fn in demo.fns.values() if fn.inputs and fn.inputs[0] is state and len(fn.inputs) == 3)
    sess = SessionState(demo)
    src = tmp_path / "mine.safetensors"
    save_latent(src, torch.zeros(1, 4, 8))
    out = _run(demo.process_api(send, [None, {"path": str(src), "meta": {"_type": "gradio.FileData"}}, "g1"],
                                state=sess))
    assert state._id in out["changed_state_ids"]
    assert S.current(sess[state._id])["path"] != str(src)  # the session keeps its own copy
    with pytest.raises(gr.Error):
        _run(demo.process_api(send, [None, None, "g1"], state=SessionState(demo)))


# ------------------------------------------------------------------------------ PTI latents across tabs


@pytest.fixture(scope="module")
def G():
    return tiny_generator()


def _render(G, latent):
    with torch.no_grad():
        out = G.synthesis(latent["ws"], noise=latent["noise"])
    return out[0] if isinstance(out, tuple) else out


def test_a_pti_latent_renders_through_its_tuned_generator_in_every_tab(G, tmp_path):
    torch.manual_seed(1)
    target = torch.rand(1, 3, 16, 16) * 2 - 1
    cfg = pti.PTIConfig(pivot=pti.pivot_config("w+", 2), steps=4, lr=3e-3, yield_every=2, stop_perceptual=None)
    res = pti.pti(G, target, cfg)
    path = pti.save_pti(tmp_path / "pti.safetensors", res, G=G, model="tiny")

    latent, tuned = S.open_latent(G, str(path), "A")
    assert tuned is not G
    torch.testing.assert_close(_render(tuned, latent), _render(res.generator, latent), atol=2e-2, rtol=0)
    assert S.open_latent(G, str(path), "A")[1] is tuned  # cached: a slider does not copy the network
    assert S.push(None, str(path), "tiny", "W+ editing")["history"][-1]["pti"] is True

    # an edit of the tuned latent keeps the delta, so the next tab renders it tuned too
    edited = {"ws": latent["ws"] + 0.01, "noise": latent["noise"]}
    out = S.write_edit(tuned, edited, "tiny", "edited")
    latent2, tuned2 = S.open_latent(G, out, "B")
    assert tuned2 is not G
    torch.testing.assert_close(_render(tuned2, latent2), _render(tuned, edited), atol=1e-5, rtol=0)

    plain = save_latent(tmp_path / "plain.safetensors", latent["ws"], G=G)
    assert S.open_latent(G, str(plain), "C")[1] is G
    out_plain = S.write_edit(G, edited, "tiny", "plain_edit")
    assert S.open_latent(G, out_plain, "C")[1] is G
    with pytest.raises(gr.Error):
        S.open_latent(G, None, "A")


@pytest.mark.browser
def test_a_latent_sent_from_one_tab_appears_in_the_other_in_a_browser(browser, launch, tmp_path):
    src = save_latent(tmp_path / "mine.safetensors", torch.zeros(1, 4, 8))
    with gr.Blocks() as demo:
        with gr.Tab("one"):
            m1 = gr.Dropdown(["g1", "g2"], value="g1", label="Generator")
            f1 = gr.File(value=str(src), elem_id="latent-one")
            S.session_row(m1, f1, "one")
        with gr.Tab("two"):
            m2 = gr.Dropdown(["g1", "g2"], value="g2", label="Generator", elem_id="model-two")
            f2 = gr.File(elem_id="latent-two")
            S.session_row(m2, f2, "two")
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.goto(launch(demo.queue()))
    page.get_by_role("button", name="Send to the other editing tabs").first.click()
    page.get_by_role("tab", name="two").click()
    page.locator("#latent-two").get_by_text(".safetensors").wait_for()
    assert "mine" in page.locator("#latent-two").inner_text()  # the file name is split over two elements
    assert page.locator("#model-two input").input_value() == "g1"  # the generator the latent was made for
    page.get_by_role("button", name="Undo").last.click()  # back to an empty session: tab two keeps its file
    page.get_by_text("Session: empty").last.wait_for()
    page.close()


def _run(coroutine):
    """``asyncio.run`` in a thread of its own: a session-wide Playwright browser keeps an event loop
    running in the main thread."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()

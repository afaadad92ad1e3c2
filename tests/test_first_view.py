"""A tab's first view (hub.ui.first_view): it fills the tab when the page opens, and when it arrives late
it leaves alone what the user already put in (a latent from the session row, an uploaded picture)."""

from __future__ import annotations

import gradio as gr

from hub.ui.first_view import empty, first_view, keep_filled


def test_empty_values_are_told_from_filled_ones():
    assert all(empty(v) for v in (None, "", [], (), {}, (None, None),
                                  {"background": None, "layers": [], "composite": None}))
    assert not any(empty(v) for v in ("x.safetensors", 0, [None, "a"], {"background": "face.png", "layers": []}))


def test_keep_filled_skips_what_the_user_filled():
    kept = keep_filled(("example.png", "example.safetensors", "note"), [None, "mine.safetensors", None], 3)
    assert kept[0] == "example.png" and kept[2] == "note"
    assert isinstance(kept[1], dict) and kept[1].get("__type__") == "update"
    assert all(u.get("__type__") == "update" for u in keep_filled(None, [None] * 3, 3))  # a failed first view
    assert keep_filled(("before", "after"), [None], 1) == (("before", "after"),)  # one output: the value whole


def _events(blocks):
    return [fn for fn in blocks.fns.values() if fn.fn is not None]


def test_a_late_first_view_keeps_a_latent_loaded_meanwhile():
    with gr.Blocks() as blocks:
        picture, latent = gr.Image(type="pil"), gr.File(type="filepath")
        pair, status, go = gr.ImageSlider(type="pil"), gr.Markdown(), gr.Button()
        go.click(lambda p, f: ((p, p), "done"), [picture, latent], [pair, status])
        first_view(lambda: ("face.png", "example.safetensors", ("a.png", "b.png"), "example"),
                   [picture, latent, pair, status])
    fetch, apply = _events(blocks)[-2:]
    assert fetch.inputs == [] and fetch.outputs[0].__class__ is gr.State
    # The second step reads the picture and the latent as they are when the result is ready; the result
    # boxes (no input of any event) stay outputs only, so they do not turn into upload boxes.
    assert apply.inputs[0] is fetch.outputs[0] and apply.inputs[1:] == [picture, latent]
    assert apply.outputs == [picture, latent, pair, status]
    result = fetch.fn()
    shown = apply.fn(result, None, "/tmp/from-the-session.safetensors")
    assert shown[0] == "face.png" and shown[1].get("__type__") == "update" and shown[3] == "example"
    assert apply.fn(result, None, None)[1] == "example.safetensors"  # nothing loaded: the example's latent


def test_a_tab_whose_outputs_nobody_sets_opens_in_one_event():
    with gr.Blocks() as blocks:
        gallery = gr.Gallery()
        first_view(lambda: ["a.png"], gallery)
    (only,) = _events(blocks)
    assert only.inputs == [] and only.outputs == [gallery] and only.fn() == ["a.png"]


def test_a_failing_first_view_leaves_the_tab_as_it_is():
    def broken():
        raise RuntimeError("no weights")

    with gr.Blocks() as blocks:
        picture, go = gr.Image(type="pil"), gr.Button()
        go.click(lambda p: p, picture, picture)
        first_view(broken, picture)
    fetch, apply = _events(blocks)[-2:]
    assert fetch.fn() is None and apply.fn(None, None).get("__type__") == "update"

"""Hostile input through the API never takes the hub down and always gets a plain sentence.

The real app (every installed plugin) is served on 127.0.0.1 and every public endpoint, found from
``view_api`` (so new endpoints are covered without editing this test), is called once per bad value
of each of its inputs, the others at their defaults: the corpus (tests/fuzz_corpus.py) of unreadable
and odd images (huge, a 4000x1 line, CMYK, 16-bit, float TIFF, palette, grey+alpha, animated,
EXIF-rotated...) in every image and editor slot and every file slot, malformed latent files in every
file slot, a list where one file goes and one file where a list goes, and out-of-range, NaN, infinite,
wrong-type and oversized values in every slider, number, checkbox, text box and choice (NaN and
infinities through a raw HTTP call, since ``gradio_client`` refuses to serialise them). Each call must end in a
result or a ``gr.Error`` sentence (never Gradio's "has not enabled verbose error reporting", never a
traceback), and the server must still answer a normal request at the end, under its memory ceiling.
Bad values run under a 10 s time budget, so a value that is accepted (a negative weight, say) runs
only a cheap job to its end; the readable odd images run under a budget too small for anything, so
each is decoded and checked by the server and then refused before any work. Then, with that tiny
budget, every endpoint that declares a budget (``Demo.budgets``) must be refused with the sentence
naming the limit.
"""

from __future__ import annotations

import math
import os

import pytest

from fuzz_corpus import BAD_VALUES, write_bad_images, write_bad_latents, write_good_image, write_odd_images

GENERIC = "has not enabled verbose error reporting"


def _baseline(param, image, editor):
    kind = param["component"]
    if kind == "Image":
        return image
    if kind == "Imageeditor":
        return editor
    if param.get("parameter_has_default"):
        return param["parameter_default"]
    return {"Textbox": "", "Number": 0, "Checkbox": False, "File": None}.get(kind, param.get("example_input"))


@pytest.mark.slow
def test_every_endpoint_answers_bad_input_with_a_sentence(tmp_path, monkeypatch):
    from gradio_client import Client, handle_file

    from hub.testing import call_raw, launch_for_test, make_app, upload_raw
    from hub.ui import budget

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    good_path = write_good_image(tmp_path / "good.png")
    good = handle_file(str(good_path))
    editor = {"background": good, "layers": [], "composite": None}
    unreadable = {name: handle_file(str(p)) for name, p in write_bad_images(tmp_path / "corpus").items()}
    odd = {name: handle_file(str(p)) for name, p in write_odd_images(tmp_path / "odd").items()}
    latents = {name: handle_file(str(p)) for name, p in write_bad_latents(tmp_path / "latents").items()}
    assert len(unreadable) + len(odd) >= 30
    app = make_app(entry_points=True)
    failures: list[str] = []
    calls = 0

    def judge(name: str, what: str, message: str, kind: str = "") -> None:
        if not message.strip() or GENERIC in message or "Traceback" in message:
            failures.append(f"{name} {what}: {kind}: {message[:160]}")

    def call(client, name, args, what):
        nonlocal calls
        calls += 1
        try:
            client.predict(*args, api_name=name)
        except Exception as exc:  # the refusal is what we want; its words are what we check
            judge(name, what, str(exc), type(exc).__name__)

    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        assert len(endpoints) > 20
        good_raw = upload_raw(url, str(good_path))
        raw_base = {"Image": good_raw, "Imageeditor": {"background": good_raw, "layers": [], "composite": None}}
        values, raw_values, readable = [], [], []  # calls made after the file corpus, under tighter budgets
        for name, endpoint in endpoints.items():
            params = endpoint["parameters"]
            base = [_baseline(p, good, editor) for p in params]
            for i, param in enumerate(params):
                kind = param["component"]
                many = "list" in str(param.get("python_type", {}).get("type", "")).lower()

                def as_value(f, kind=kind, many=many):
                    if kind == "Imageeditor":
                        return {"background": f, "layers": [], "composite": None}
                    return [f] if many else f

                bad = []
                if kind in ("Image", "Imageeditor"):
                    bad = [(as_value(f), label) for label, f in unreadable.items()]
                elif kind == "File":
                    bad = [(as_value(f), label) for label, f in {**unreadable, **latents}.items()]
                    bad.append((good, "one file, not a list") if many else ([good, good], "a list, not one file"))
                if kind in ("Image", "Imageeditor", "File"):
                    readable += [(name, i, base, as_value(f), label) for label, f in odd.items()]
                for value in BAD_VALUES.get(kind, []):
                    finite = not isinstance(value, float) or math.isfinite(value)
                    (values if finite else raw_values).append((name, i, base, value, repr(value)[:30]))
                for value, label in bad:  # refused by the checks or by the handler that reads the file
                    args = list(base)
                    args[i] = value
                    call(client, name, args, f"{param['label']!r} <- {label}")
        monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "10")  # read per request: an accepted value runs cheaply
        for name, i, base, value, label in values:
            args = list(base)
            args[i] = value
            call(client, name, args, f"input {i} <- {label}")
        for name, i, base, value, label in raw_values:  # NaN and infinities: gradio_client cannot send them
            params = endpoints[name]["parameters"]
            args = [raw_base.get(p["component"], b) if p["component"] != "File" else None for p, b in zip(params, base)]
            args[i] = value
            calls += 1
            ok, message = call_raw(url, name, args)
            if not ok:
                judge(name, f"input {i} <- {label}", message, "raw")
        # A readable image may be a real job (an inversion at its default steps); with a budget too small
        # for anything, each is still decoded and checked by the server, then refused before any work.
        monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "0.001")
        for name, i, base, value, label in readable:
            args = list(base)
            args[i] = value
            call(client, name, args, f"input {i} <- {label}")
        monkeypatch.delenv("GANHUB_BUDGET_SECONDS")
        alive = client.predict(*[_baseline(p, good, editor) for p in endpoints["/stylegan2_generate"]["parameters"]],
                               api_name="/stylegan2_generate")
        assert budget.rss_bytes() < budget.limits().max_rss_bytes
        monkeypatch.setenv("GANHUB_BUDGET_SECONDS", "0.001")  # read per request: nothing declared fits
        budgeted = [name for name in endpoints if budget.expected_for(name.strip("/")) is not None]
        for name in budgeted:
            try:
                client.predict(*[_baseline(p, good, editor) for p in endpoints[name]["parameters"]], api_name=name)
                failures.append(f"{name}: ran although over its time budget")
            except Exception as exc:
                if "GANHUB_BUDGET_SECONDS" not in str(exc):
                    failures.append(f"{name} over budget: {type(exc).__name__}: {str(exc)[:160]}")
    assert alive is not None
    assert len(budgeted) >= 15
    assert len(raw_values) > 50 and calls > 1000
    assert failures == [], f"{len(failures)} of {calls} bad calls got no sentence:\n" + "\n".join(failures[:40])

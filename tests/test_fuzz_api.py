"""Hostile input through the API never takes the hub down and always gets a plain sentence.

The real app (every installed plugin) is served on 127.0.0.1 and every public endpoint, found from
``view_api`` (so new endpoints are covered without editing this test), is called once per bad value
of each of its inputs, the others at their defaults: the corpus of unreadable images
(tests/fuzz_corpus.py) in every image and editor slot, and out-of-range, non-finite, wrong-type and
oversized values in every slider, number, checkbox, text box and choice. Each call must end in a
result or a ``gr.Error`` sentence (never Gradio's "has not enabled verbose error reporting", never a
traceback), and the server must still answer a normal request at the end, under its memory ceiling.
Then, with a time budget too small for anything, every endpoint that declares a budget
(``Demo.budgets``) must be refused with the sentence naming the limit, before any work.
"""

from __future__ import annotations

import os

import pytest

from fuzz_corpus import BAD_VALUES, write_bad_images, write_good_image

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

    from hub.testing import launch_for_test, make_app
    from hub.ui import budget

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    good = handle_file(str(write_good_image(tmp_path / "good.png")))
    editor = {"background": good, "layers": [], "composite": None}
    corpus = {name: handle_file(str(p)) for name, p in write_bad_images(tmp_path / "corpus").items()}
    app = make_app(entry_points=True)
    failures: list[str] = []
    calls = 0
    with launch_for_test(app) as url:
        client = Client(url, verbose=False)
        endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
        assert len(endpoints) > 20
        for name, endpoint in endpoints.items():
            params = endpoint["parameters"]
            base = [_baseline(p, good, editor) for p in params]
            for i, param in enumerate(params):
                kind = param["component"]
                if kind in ("Image", "Imageeditor"):
                    bad = [({"background": f, "layers": [], "composite": None} if kind == "Imageeditor" else f, label)
                           for label, f in corpus.items()]
                else:
                    bad = [(v, repr(v)[:30]) for v in BAD_VALUES.get(kind, [])]
                for value, label in bad:
                    args = list(base)
                    args[i] = value
                    calls += 1
                    try:
                        client.predict(*args, api_name=name)
                    except Exception as exc:  # the refusal is what we want; its words are what we check
                        message = str(exc)
                        if not message.strip() or GENERIC in message or "Traceback" in message:
                            failures.append(f"{name} {param['label']!r} <- {label}: {type(exc).__name__}: {message[:160]}")
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
    assert calls > 300
    assert failures == [], f"{len(failures)} of {calls} bad calls got no sentence:\n" + "\n".join(failures[:40])

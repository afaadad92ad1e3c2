"""The API of the full hub names each parameter and output after its label, and an input whose handler
has a default is optional through the API (gradio_client's ``view_api`` is what a user reads)."""

from __future__ import annotations

import inspect
import os
import re

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def api():
    """(app, view_api dict) of the full hub (every installed plugin), served offline."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from gradio_client import Client

    from hub.testing import launch_for_test, make_app

    app = make_app(entry_points=True)
    with launch_for_test(app) as url:
        yield app, Client(url, verbose=False).view_api(print_info=False, return_format="dict")


def test_every_parameter_and_output_is_named_after_its_label(api):
    _, info = api
    endpoints = info["named_endpoints"]
    assert len(endpoints) > 20
    unnamed = {}
    for name, endpoint in sorted(endpoints.items()):
        bad = [p["parameter_name"] for p in endpoint["parameters"] if re.fullmatch(r"param_\d+", p["parameter_name"])]
        bad += [r["label"] for r in endpoint["returns"] if re.fullmatch(r"value_\d+", str(r["label"]))]
        if bad:
            unnamed[name] = bad
    assert not unnamed, f"unnamed API values (name the handler's parameters, label the outputs): {unnamed}"


def _handler_defaults(fn) -> dict[str, object]:
    """Parameter name -> default of the function a handler calls in the end (through wrappers and partials)."""
    import functools

    target = inspect.unwrap(fn)
    while isinstance(target, functools.partial):
        target = inspect.unwrap(target.func)
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return {}
    return {n: p.default for n, p in signature.parameters.items() if p.default is not inspect.Parameter.empty}


def test_an_input_with_a_default_is_optional_through_the_api(api):
    app, info = api
    endpoints = info["named_endpoints"]
    required = {}
    for fn in app.fns.values():
        endpoint = endpoints.get(f"/{fn.api_name}")
        if fn.fn is None or endpoint is None:
            continue
        defaults = _handler_defaults(fn.fn)
        wrong = [p["parameter_name"] for p in endpoint["parameters"]
                 if p["parameter_name"] in defaults and not p["parameter_has_default"]]
        if wrong:
            required[fn.api_name] = wrong
    assert not required, f"inputs with a default in the handler that the API requires: {required}"

"""Kit for plugin authors' tests: a hub or an app with chosen plugins, and a launched app.

    from hub.testing import make_hub, make_app, use_plugins, launch_for_test

    def test_my_plugin_registers():
        hub = make_hub([my_plugin], strict=True)       # only my plugin, errors raise
        assert "my_model" in hub.models.names()

    def test_my_tab_answers():
        with launch_for_test(make_app([my_plugin])) as url:
            from gradio_client import Client
            Client(url).predict(..., api_name="/my_plugin_run")

A plugin is a module, an object with hookimpls, a ``(name, plugin)`` pair or a dotted
module path. Entry points are off unless asked for, so a test sees only what it names.
"""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any, Iterable, Iterator

from hub.plugins import BUILTIN_MANIFEST, Hub, set_default_hub

from hub.conformance import check_model  # noqa: E402  (re-exported for plugin authors)

__all__ = ["make_hub", "make_app", "use_plugins", "use_hub", "launch_for_test", "free_port", "check_model",
           "call_raw", "upload_raw"]

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def make_hub(
    plugins: Iterable[Any] = (),
    *,
    entry_points: bool = False,
    strict: bool = False,
    allow: Iterable[str] | None = None,
    block: Iterable[str] | None = None,
    manifest: Any = BUILTIN_MANIFEST,
    cache_bytes: int | None = None,
) -> Hub:
    """A fresh, loaded hub with ``plugins`` (and the installed entry points when asked)."""
    return Hub(entry_points=entry_points, plugins=list(plugins), allow=allow, block=block,
               strict=strict, manifest=manifest, cache_bytes=cache_bytes)


def make_app(plugins: Iterable[Any] = (), *, hub: Hub | None = None, **hub_kwargs: Any) -> Any:
    """``build_app`` over :func:`make_hub` (or over ``hub``); the hub is ``app.ganhub``."""
    from hub.app import build_app

    return build_app(hub=hub if hub is not None else make_hub(plugins, **hub_kwargs))


@contextlib.contextmanager
def use_hub(hub: Hub) -> Iterator[Hub]:
    """Make ``hub`` the process-wide hub (``hub.get_model`` …) inside the block."""
    previous = set_default_hub(hub)
    try:
        yield hub
    finally:
        set_default_hub(previous)


@contextlib.contextmanager
def use_plugins(*plugins: Any, entry_points: bool = False, strict: bool = True) -> Iterator[Hub]:
    """Register ``plugins`` for one test: a fresh default hub with them, restored afterwards."""
    with use_hub(make_hub(plugins, entry_points=entry_points, strict=strict)) as hub:
        yield hub


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def launch_for_test(app: Any, *, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on a free local port without blocking; yields its URL and closes it after."""
    from hub.app import launch_settings

    _, url, _ = app.launch(server_name=host, server_port=port or free_port(host), prevent_thread_lock=True,
                           quiet=True, share=False, inbrowser=False, **launch_settings())
    try:
        yield url
    finally:
        app.close()


def call_raw(url: str, api_name: str, data: list[Any], *, timeout: float = 600) -> tuple[bool, str]:
    """Call an endpoint the way a hostile client can and ``gradio_client`` cannot: the JSON body may
    hold ``NaN`` and ``Infinity`` (``gradio_client`` refuses to serialise them, the server parses them).
    Files must already be on the server (``upload_raw``). Returns ``(True, result JSON)`` or
    ``(False, the error message the server sent)``; a message of "" means the server sent none."""
    import json

    import httpx

    base = url.rstrip("/")
    name = api_name.strip("/")
    posted = httpx.post(f"{base}/gradio_api/call/{name}", content=json.dumps({"data": data}),
                        headers={"content-type": "application/json"}, timeout=timeout)
    if posted.status_code != 200:
        return False, posted.text
    event = posted.json()["event_id"]
    stream = httpx.get(f"{base}/gradio_api/call/{name}/{event}", timeout=timeout).text
    kind, payload = "", ""
    for line in stream.splitlines():  # the last event wins: "complete" or "error"
        if line.startswith("event:"):
            kind = line.split(":", 1)[1].strip()
        elif line.startswith("data:"):
            payload = line.split(":", 1)[1].strip()
    if kind == "complete":
        return True, payload
    try:
        message = json.loads(payload) if payload else ""
    except ValueError:
        message = payload
    if isinstance(message, dict):
        message = message.get("error") or ""
    return False, str(message or "")


def upload_raw(url: str, path: str) -> dict[str, Any]:
    """Upload ``path`` to a launched app; returns the file value an API call sends for it."""
    import httpx

    with open(path, "rb") as f:
        sent = httpx.post(f"{url.rstrip('/')}/gradio_api/upload", files={"files": (os.path.basename(path), f)})
    sent.raise_for_status()
    return {"path": sent.json()[0], "meta": {"_type": "gradio.FileData"}, "orig_name": os.path.basename(path)}

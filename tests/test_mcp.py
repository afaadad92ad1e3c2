"""Every public action of the full hub is an MCP tool: the tool list is the documented list of public
actions (docs/plugins.md), a cheap tool answers through the MCP protocol, and each handler's docstring
describes its inputs (the tool descriptions are what an agent reads)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "plugins.md"

pytestmark = pytest.mark.slow


def documented_actions() -> list[str]:
    """The names in the "Public actions" table of docs/plugins.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Public actions", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Za-z0-9_]+)` \|", section, flags=re.M)


@pytest.fixture(scope="module")
def served():
    """The full hub (every installed plugin), offline, served with Gradio's MCP server."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from hub.app import launch_settings
    from hub.testing import free_port, make_app

    app = make_app(entry_points=True)
    _, url, _ = app.launch(server_name="127.0.0.1", server_port=free_port("127.0.0.1"), prevent_thread_lock=True,
                           quiet=True, share=False, inbrowser=False, **launch_settings(mcp=True))
    try:
        yield app, url.rstrip("/")
    finally:
        app.close()


def test_the_mcp_tools_are_exactly_the_documented_public_actions(served):
    import httpx

    from hub.app import public_actions

    app, url = served
    schema = httpx.get(f"{url}/gradio_api/mcp/schema", timeout=60).json()
    tools = sorted(tool["name"] for tool in schema)
    assert tools == [name for name, _ in public_actions(app)], "a tool is not named after its {plugin}_{action} api name"
    documented = sorted(documented_actions())
    missing, extra = sorted(set(tools) - set(documented)), sorted(set(documented) - set(tools))
    assert not missing and not extra, (
        f"docs/plugins.md 'Public actions' is out of date: not documented {missing}, documented but gone {extra}; "
        "regenerate the table with `ganhub plugins --actions`")
    for tool in schema:  # the wiring events (first views, presets, Stop) are private, never tools
        assert tool["meta"]["endpoint_name"] == tool["name"]


def test_a_cheap_tool_answers_through_the_mcp_protocol(served):
    import anyio
    from mcp import ClientSession
    from mcp.client.streamable_http import streamablehttp_client

    _, url = served

    async def call():
        async with streamablehttp_client(f"{url}/gradio_api/mcp/") as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = {tool.name for tool in (await session.list_tools()).tools}
                assert "stylegan2_generate" in listed
                return await session.call_tool("stylegan2_generate", {"model": "stylegan2-emoji64", "seeds": "3"})

    # In a thread of its own: a session-wide Playwright browser keeps an event loop in the main thread.
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(anyio.run, call).result()
    assert not result.isError, result.content
    kinds = [item.type for item in result.content]
    assert "image" in kinds or any("png" in getattr(item, "text", "") for item in result.content), kinds


def _undocumented_inputs(app) -> dict[str, list[str]]:
    """api name -> what is wrong with its handler's docstring (no docstring, no Args:, inputs not described)."""
    from gradio import utils

    info = app.get_api_info()["named_endpoints"]
    problems: dict[str, list[str]] = {}
    for fn in app.fns.values():
        if fn.fn is None or fn.api_visibility != "public" or not isinstance(fn.api_name, str):
            continue
        doc = fn.fn.__doc__ or ""
        names = [p["parameter_name"] for p in info.get(f"/{fn.api_name}", {}).get("parameters", [])]
        if not doc.strip():
            problems[fn.api_name] = ["no docstring"]
            continue
        if not re.search(r"^\s*Args:\s*$", doc, flags=re.M) and names:
            problems[fn.api_name] = ["no Args: block"]
            continue
        _, described, _ = utils.get_function_description(fn.fn)
        absent = [n for n in names if not (described.get(n) or "").strip()]
        if absent:
            problems[fn.api_name] = [f"Args: does not describe {', '.join(absent)}"]
    return problems


def test_every_public_handler_documents_each_input(served):
    app, _ = served
    problems = _undocumented_inputs(app)
    assert not problems, "\n".join(f"{name}: {'; '.join(why)}" for name, why in sorted(problems.items()))

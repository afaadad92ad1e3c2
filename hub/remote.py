"""Remote tabs: mount another GAN Hub Space's endpoints as a tab, through gradio_client.

The scale-out answer of GAN Hub is one Space per plugin, each on its own hardware (docs/deploy.md).
A hub can then *show* a technique that runs elsewhere: opt in per plugin with

    GANHUB_REMOTE="srgan=owner/ganhub-srgan,text_to_image=https://my-host:7860"

or a YAML file named by ``GANHUB_REMOTE_FILE`` (``{plugin: "owner/space"}`` or
``{plugin: {src: ..., endpoints: ["/srgan_upscale"]}}``). Each entry becomes a tab
"<plugin> (remote)" whose endpoints are the remote Space's public endpoints named ``/<plugin>_*``
(GAN Hub namespaces every api name by plugin), with inputs and outputs built from the remote API
description. Its api names are ``remote_<plugin>_<action>``. The tab says, in plain words, that
requests from it leave this machine. Nothing happens without the env var or file: the module is a
plugin (entry point ``remote = "hub.remote"``) that registers no tab when unconfigured.

Set ``GANHUB_DISABLE=<plugin>`` as well when the remote tab replaces the local one.
"""

from __future__ import annotations

import functools
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from hub.api import Demo
from hub import hookimpl

__all__ = ["RemoteTarget", "remote_config", "remote_demos", "register_demos", "NOTICE"]

#: The words every remote tab starts with (tests look for them).
NOTICE = "Requests from this tab leave this machine"
#: Inputs that are files on the way out (gradio_client must upload them).
FILE_COMPONENTS = {"Image", "File", "Audio", "Video", "Model3D", "UploadButton"}


@dataclass(frozen=True)
class RemoteTarget:
    plugin: str
    src: str  # "owner/space" or a URL
    endpoints: tuple[str, ...] = ()  # empty: every public "/<plugin>_*" endpoint


def _parse_env(raw: str) -> dict[str, RemoteTarget]:
    targets = {}
    for item in filter(None, (part.strip() for part in raw.split(","))):
        plugin, sep, src = item.partition("=")
        if not sep or not plugin.strip() or not src.strip():
            raise ValueError(f"GANHUB_REMOTE item {item!r} is not 'plugin=owner/space' or 'plugin=URL'")
        targets[plugin.strip()] = RemoteTarget(plugin.strip(), src.strip())
    return targets


def _parse_file(path: Path) -> dict[str, RemoteTarget]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: expected a mapping plugin -> 'owner/space' or {{src, endpoints}}")
    targets = {}
    for plugin, value in data.items():
        if isinstance(value, str):
            targets[plugin] = RemoteTarget(plugin, value)
        elif isinstance(value, Mapping) and isinstance(value.get("src"), str):
            endpoints = tuple("/" + e.lstrip("/") for e in value.get("endpoints") or ())
            targets[plugin] = RemoteTarget(plugin, value["src"], endpoints)
        else:
            raise ValueError(f"{path}: entry {plugin!r} needs a 'src' (owner/space or URL)")
    return targets


def remote_config(env: Mapping[str, str] | None = None) -> dict[str, RemoteTarget]:
    """``{plugin: RemoteTarget}`` from ``GANHUB_REMOTE_FILE`` then ``GANHUB_REMOTE`` (which wins)."""
    env = os.environ if env is None else env
    targets: dict[str, RemoteTarget] = {}
    if env.get("GANHUB_REMOTE_FILE"):
        targets.update(_parse_file(Path(env["GANHUB_REMOTE_FILE"]).expanduser()))
    if env.get("GANHUB_REMOTE"):
        targets.update(_parse_env(env["GANHUB_REMOTE"]))
    return targets


# ----------------------------------------------------------------------------- the tab
_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _client(src: str) -> Any:
    """One gradio_client per remote (it holds the remote's config); 15 s to answer."""
    from gradio_client import Client

    with _clients_lock:
        if src not in _clients:
            token = os.environ.get("HF_TOKEN") or None
            _clients[src] = Client(src, token=token, verbose=False, httpx_kwargs={"timeout": 15},
                                   analytics_enabled=False)
        return _clients[src]


def _label(param: Mapping[str, Any]) -> str:
    return str(param.get("label") or param.get("parameter_name") or "value")


def _input_kind(param: Mapping[str, Any]) -> str:
    """How a remote parameter is shown here: image, editor, file, bool, number, enum, text or json."""
    kind, schema = param.get("component", ""), param.get("type") or {}
    if kind == "Image":
        return "image"
    if kind == "ImageEditor":
        return "editor"
    if kind in FILE_COMPONENTS:
        return "file"
    if kind == "Checkbox" or schema.get("type") == "boolean":
        return "bool"
    if kind in ("Slider", "Number") or schema.get("type") in ("number", "integer"):
        return "number"
    if schema.get("enum"):
        return "enum"
    if kind in ("Textbox", "Dropdown", "Radio") or schema.get("type") == "string":
        return "text"
    return "json"


def _input(param: Mapping[str, Any]) -> Any:
    import gradio as gr

    label, kind = _label(param), _input_kind(param)
    default = param.get("parameter_default") if param.get("parameter_has_default") else None
    if kind == "image":
        return gr.Image(type="filepath", label=label)
    if kind == "editor":
        return gr.ImageEditor(type="filepath", label=label)
    if kind == "file":
        return gr.File(type="filepath", label=label)
    if kind == "bool":
        return gr.Checkbox(value=bool(default), label=label)
    if kind == "number":
        return gr.Number(value=default, label=label)
    if kind == "enum":
        return gr.Dropdown(choices=list(param["type"]["enum"]), value=default, label=label, allow_custom_value=True)
    if kind == "text":
        return gr.Textbox(value=default, label=label)
    return gr.Textbox(value=json.dumps(default) if default is not None else None, label=f"{label} (JSON)")


def _output(param: Mapping[str, Any]) -> Any:
    import gradio as gr

    kind, label = param.get("component", ""), _label(param)
    if kind in ("Image", "ImageEditor", "AnnotatedImage"):
        return gr.Image(type="filepath", format="png", label=label)
    if kind == "Gallery":
        return gr.Gallery(label=label, format="png")
    if kind in FILE_COMPONENTS:
        return gr.File(label=label)
    if kind in ("Markdown", "HTML"):
        return gr.Markdown(label=label)
    if kind in ("Textbox", "Number", "Label"):
        return gr.Textbox(label=label)
    return gr.JSON(label=label)


def _encode(param: Mapping[str, Any], value: Any) -> Any:
    """A local component value -> what gradio_client sends (files are uploaded through handle_file)."""
    from gradio_client import handle_file

    kind = _input_kind(param)
    if value is None:
        return None
    if kind == "editor" and isinstance(value, Mapping):
        def wrap(item: Any) -> Any:
            return handle_file(item) if isinstance(item, str) else item

        return {"background": wrap(value.get("background")), "layers": [wrap(v) for v in value.get("layers") or []],
                "composite": wrap(value.get("composite"))}
    if kind in ("image", "file") and isinstance(value, str):
        return handle_file(value)
    if kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _decode(param: Mapping[str, Any], value: Any) -> Any:
    if param.get("component") == "Gallery" and isinstance(value, list):
        return [(item.get("image"), item.get("caption")) if isinstance(item, Mapping) else item for item in value]
    if param.get("component") in ("Textbox", "Number", "Label") and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
    return value


def _endpoints(target: RemoteTarget, api: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    named = api.get("named_endpoints") or {}
    if target.endpoints:
        return [(name, named[name]) for name in target.endpoints if name in named]
    prefix = f"/{target.plugin}_"
    return sorted((name, info) for name, info in named.items() if name.startswith(prefix))


def _build_tab(ctx: Any, target: RemoteTarget) -> None:
    import gradio as gr

    where = target.src if "://" in target.src else f"the Hugging Face Space `{target.src}`"
    gr.Markdown(f"**{NOTICE}.** The inputs you give here (images, text, numbers) are sent over the network "
                f"to {where} and processed there, under that Space's terms and privacy policy; nothing in "
                "this tab runs on this machine. Remove this plugin from `GANHUB_REMOTE` to keep everything "
                "local.", elem_classes=["ganhub-remote-notice"])
    try:
        client = _client(target.src)
        api = client.view_api(print_info=False, return_format="dict") or {}
    except Exception as exc:  # unreachable, private, not a Gradio app: say so in the tab
        gr.Markdown(f"The remote app could not be reached: `{type(exc).__name__}: {exc}`. Restart the hub "
                    "once it is up, or remove it from GANHUB_REMOTE.")
        return
    endpoints = _endpoints(target, api)
    if not endpoints:
        gr.Markdown(f"The remote app answered but has no public endpoint named `/{target.plugin}_*`.")
        return
    limit = int(os.environ.get("GANHUB_REMOTE_CONCURRENCY", "4"))
    for endpoint, info in endpoints:
        params = [p for p in info.get("parameters", []) if p.get("component") != "State"]
        returns = list(info.get("returns", []))
        action = endpoint.lstrip("/")
        with gr.Group():
            gr.Markdown(f"#### `{endpoint}` on the remote app")
            with gr.Row():
                inputs = [_input(p) for p in params]
            button = gr.Button(f"Run {action} remotely", variant="primary")
            with gr.Row():
                outputs = [_output(r) for r in returns]

        def call(*values: Any, _endpoint: str = endpoint, _params: Sequence = tuple(params),
                 _returns: Sequence = tuple(returns)) -> Any:
            try:
                result = _client(target.src).predict(*[_encode(p, v) for p, v in zip(_params, values)],
                                                      api_name=_endpoint)
            except Exception as exc:
                raise gr.Error(f"The remote app ({target.src}) failed on {_endpoint}: {exc}") from exc
            results = list(result) if len(_returns) > 1 else [result]
            decoded = [_decode(r, v) for r, v in zip(_returns, results)]
            return decoded if len(decoded) > 1 else (decoded[0] if decoded else None)

        button.click(call, inputs, outputs or None, api_name=ctx.api_name(action),
                     concurrency_id=f"remote_{target.plugin}", concurrency_limit=limit)


def remote_demos(targets: Mapping[str, RemoteTarget]) -> list[Demo]:
    return [Demo(id=f"remote_{plugin}", title=f"{plugin} (remote)", order=900,
                 build=functools.partial(_build_tab, target=target),
                 description=f"The {plugin} endpoints of {target.src}, called through gradio_client. "
                             f"{NOTICE}.")
            for plugin, target in sorted(targets.items())]


@hookimpl
def register_demos(register):
    for demo in remote_demos(remote_config()):
        register(demo)

"""The app shell: one tab per demo, a "Plugins & weights" tab, namespaced api names, the queue.

``build_app()`` never fails because of a plugin: a tab whose ``build(ctx)`` raises is
recorded on its plugin and shows the error inside the tab; the other tabs are unaffected.
Every public event must take its ``api_name`` from ``ctx.api_name(action)``; Gradio
silently renames duplicates, so the shell checks every public name against the ones it
handed out and records any stray one as an error on the plugin that made it.
"""

from __future__ import annotations

import html
import inspect
import os
import re
import sys
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

import gradio as gr

from hub.api import DEFAULT_GPU_SECONDS, Demo
from hub.models import gpu
from hub.plugins import Hub, get_hub, set_default_hub

__all__ = ["HEAVY", "QUICK", "COMPUTE_GROUPS", "PLUGINS_TAB_ID", "build_app", "public_api_names", "public_actions", "status_tables", "DemoContextImpl",
           "gpu_duration"]

#: ``concurrency_id`` of the events of heavy demos (``Demo.heavy``: an optimisation per request, minutes
#: on a CPU); the queue runs one at a time.
HEAVY = "heavy"
#: ``concurrency_id`` of the compute events of the other demos (a sample, a translation, an upscale:
#: seconds), so that they never wait behind a long optimisation; also one at a time.
QUICK = "quick"
#: Both compute groups: every event in one goes through the ZeroGPU shim.
COMPUTE_GROUPS = (HEAVY, QUICK)
HEAVY_LIMIT = 1
#: Concurrency of the other (light) events, each on its own queue.
LIGHT_LIMIT = 2
PLUGINS_TAB_ID = "plugins-and-weights"
#: A tab that takes longer than this to build gets a notice in the Plugins tab.
SLOW_BUILD_SECONDS = 1.0
#: Modules a tab must not import while it is built (they cost seconds of start-up).
HEAVY_MODULES = ("torch",)


def _api_prefix(plugin: str) -> str:
    """The ``{plugin}`` part of the plugin's api names."""
    return re.sub(r"\W+", "_", plugin).strip("_") or "plugin"


class DemoContextImpl:
    """What ``Demo.build(ctx)`` receives (implements ``hub.api.DemoContext``).

    ``heavy_concurrency_id`` is the compute queue of the demo: ``HEAVY`` for a heavy demo, ``QUICK``
    for the others, so a 1 s sample does not wait behind a 15-minute inversion of another tab."""

    def __init__(self, hub: Hub, demo: Demo, issued: dict[str, str]) -> None:
        self.hub = hub
        self.demo = demo
        self.heavy_concurrency_id = HEAVY if demo.heavy else QUICK
        self.plugin = demo.plugin
        self._prefix = _api_prefix(demo.plugin)
        self._issued = issued  # app-wide: api name -> plugin that asked for it

    def api_name(self, action: str) -> str:
        """``"{plugin}_{action}"``; asking twice for the same name anywhere in the app raises."""
        if not action or not re.fullmatch(r"[A-Za-z0-9_]+", action):
            raise ValueError(f"api action {action!r} must be letters, digits and underscores")
        name = f"{self._prefix}_{action}"
        if name in self._issued:
            raise ValueError(f"api name {name!r} is already used by plugin {self._issued[name]!r}; "
                             f"pick another action than {action!r}")
        self._issued[name] = self.plugin
        return name

    def get_model(self, name: str) -> Any:
        """The model, loaded once; a missing weight or name becomes a ``gr.Error`` the user can read."""
        from hub.models import UnknownModelError
        from hub.weights import WeightUnavailable

        try:
            return self.hub.models.get_model(name)
        except (UnknownModelError, WeightUnavailable) as exc:  # a sha mismatch is a WeightUnavailable too
            raise gr.Error(str(exc)) from exc

    def models_for(self, interface: str) -> list[str]:
        return self.hub.models.models_for(interface)

    def related_name(self, name: str, role: str) -> str | None:
        from hub.models import UnknownModelError

        try:
            return self.hub.models.spec(name).related.get(role)
        except UnknownModelError as exc:
            raise gr.Error(str(exc)) from exc

    def related_model(self, name: str, role: str) -> Any | None:
        target = self.related_name(name, role)
        return None if target is None else self.get_model(target)

    def weight_path(self, weight_id: str) -> Path:
        from hub.weights import WeightUnavailable

        try:
            return Path(self.hub.weights.resolve(weight_id))
        except (KeyError, WeightUnavailable) as exc:
            raise gr.Error(str(exc).strip("'\"")) from exc


def public_api_names(blocks: gr.Blocks, fn_ids: Sequence[int] | None = None) -> list[str]:
    """api names of the events a client can call (backend function, not private)."""
    fns = blocks.fns.values() if fn_ids is None else [blocks.fns[i] for i in fn_ids]
    return [fn.api_name for fn in fns
            if fn.fn is not None and fn.api_visibility != "private" and isinstance(fn.api_name, str)]


def public_actions(blocks: gr.Blocks) -> list[tuple[str, str]]:
    """``(api name, first line of its handler's docstring)`` of every public action, sorted: the API's
    endpoints and, with ``--mcp``, the MCP tools (docs/plugins.md lists them). "undocumented" events
    (what ``gr.Examples`` loads) answer a client that names them but are not listed, so not here."""
    rows = []
    for fn in blocks.fns.values():
        if fn.fn is not None and fn.api_visibility == "public" and isinstance(fn.api_name, str):
            doc = inspect.getdoc(fn.fn) or ""
            rows.append((fn.api_name, doc.strip().splitlines()[0] if doc.strip() else ""))
    return sorted(rows)


def gpu_duration(handler: Callable[..., Any], declared: Any) -> Callable[..., float] | float:
    """ZeroGPU's duration for ``handler`` from its demo's declaration: a number as is; a function gets
    the handler's arguments bound to its parameter names. Raises ``ValueError`` when the declaration
    names a parameter the handler does not have (a renamed parameter must not go unnoticed)."""
    if declared is None:
        return DEFAULT_GPU_SECONDS
    if not callable(declared):
        return float(declared)
    signature = inspect.signature(handler)
    missing = [name for name in getattr(declared, "params", ()) if name not in signature.parameters]
    if missing:
        raise ValueError(f"gpu_seconds names parameters {missing} that {getattr(handler, '__name__', handler)} "
                         f"does not take (it takes {list(signature.parameters)})")

    def duration(*args: Any, **kwargs: Any) -> float:
        try:
            bound = signature.bind_partial(*args, **kwargs).arguments
        except TypeError:
            return DEFAULT_GPU_SECONDS
        return float(declared(**bound))

    return duration


def _error_box(demo: Demo, message: str) -> None:
    gr.Markdown(
        f"### This tab failed to build\n\nPlugin **{demo.plugin}** raised while building "
        f"demo `{demo.id}`. The other tabs work. Details are in the *Plugins & weights* tab.\n\n"
        f"```text\n{message}\n```",
        elem_classes=["ganhub-error"],
    )


def _build_tab(blocks: gr.Blocks, hub: Hub, demo: Demo, issued: dict[str, str]) -> None:
    before = set(blocks.fns)
    mine_before = {name for name, owner in issued.items() if owner == demo.plugin}
    heavy_before = {name for name in HEAVY_MODULES if name in sys.modules}
    start = time.perf_counter()
    try:
        demo.build(DemoContextImpl(hub, demo, issued))
    except Exception as exc:
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        _error_box(demo, text)
        hub.record_error(demo.plugin, f"tab {demo.id!r} failed to build: {exc!r}", exc)
        return
    finally:
        seconds = time.perf_counter() - start
        if demo.plugin in hub.statuses:
            hub.statuses[demo.plugin].load_seconds += seconds
        imported = [name for name in HEAVY_MODULES if name in sys.modules and name not in heavy_before]
        if imported:
            hub.notices.append(f"tab {demo.id!r} ({demo.plugin}) imported {', '.join(imported)} while building "
                               f"({seconds:.1f} s): import heavy modules inside event handlers, so start-up "
                               "stays fast")
        elif seconds > SLOW_BUILD_SECONDS:
            hub.notices.append(f"tab {demo.id!r} ({demo.plugin}) took {seconds:.1f} s to build")
    mine = {name for name, owner in issued.items() if owner == demo.plugin} - mine_before
    stray = [name for name in public_api_names(blocks, [i for i in blocks.fns if i not in before])
             if name not in mine]
    if stray:
        hub.record_error(
            demo.plugin,
            f"tab {demo.id!r} has public events whose api_name did not come from ctx.api_name(...): "
            f"{', '.join(stray)} (name them with ctx.api_name, or pass api_visibility='private')",
        )


def _device_text() -> str:
    from hub.models import choose_device

    try:
        device = choose_device()
    except Exception as exc:  # an unavailable GANHUB_DEVICE: say it here rather than crash
        return f"**Device:** not usable: {exc}"
    preference = os.environ.get("GANHUB_DEVICE") or "auto: CUDA, then MPS, then CPU"
    return f"**Device in use:** `{device}` ({preference})"


def _offline() -> str:
    """Why the Hub cannot be used, or "": HF_HUB_OFFLINE, or an endpoint that does not answer."""
    from hub.weights import hf_endpoint, hf_offline
    from hub.weights.env import _endpoint_reachable

    if hf_offline():
        return "HF_HUB_OFFLINE is set"
    endpoint = hf_endpoint()
    if not _endpoint_reachable(endpoint):
        return f"the Hugging Face Hub at {endpoint} does not answer"
    return ""


def _size(nbytes: Any) -> str:
    if not isinstance(nbytes, (int, float)) or nbytes <= 0:
        return ""
    return f"{nbytes / 2**20:.1f} MB" if nbytes >= 2**20 else f"{nbytes / 1024:.0f} kB"


def status_tables(hub: Hub) -> tuple[str, list[list[str]], list[list[str]], list[list[str]]]:
    """(markdown header, plugin rows, weight rows, model rows) for the Plugins & weights tab."""
    from hub.plugins import describe

    lines = [_device_text()]
    weight_rows = []
    missing = 0
    for spec in hub.weights.specs():
        try:
            st = hub.weights.status(spec.id)
            where, message = st.where, st.message or ""
            row = [st.id, str(st.source or ""), where, _size(st.size), st.license, message]
        except Exception as exc:
            where = "error"
            row = [spec.id, spec.repo_id or "", where, _size(spec.size), spec.license, repr(exc)]
        missing += where == "missing"
        weight_rows.append(row)
    offline = _offline()
    if offline:
        lines.append(f"**Offline** ({offline}): weights come only from the override folder, "
                     "the embedded copies and the local cache; anything else says it is not available offline.")
    if missing:
        lines.append(f"**{missing} weight file(s) not available locally**; they download on first use when "
                     "the Hugging Face Hub is reachable.")
    lines += [f"**Notice:** {html.escape(notice)}" for notice in hub.notices]
    broken = [name for name, st in hub.statuses.items() if st.state == "error"]
    if broken:
        lines.append(f"**Plugins with errors:** {', '.join(broken)} (tracebacks below)")
    for name in broken:
        body = "\n\n".join(hub.statuses[name].errors)
        lines.append(f"<details><summary>{html.escape(name)}: {len(hub.statuses[name].errors)} error(s)</summary>"
                     f"\n\n```text\n{body}\n```\n</details>")
    loaded = {name: device for name, device in hub.models.cached()}
    model_rows = [[spec.name, spec.plugin, spec.family, spec.interface, ", ".join(spec.weights),
                   "yes" if spec.offline else "no", loaded.get(spec.name, "")] for spec in hub.models.specs()]
    return "\n\n".join(lines), describe(hub.statuses), weight_rows, model_rows


def _plugins_tab(hub: Hub) -> tuple[Any, list[Any]]:
    with gr.Tab("Plugins & weights", id=PLUGINS_TAB_ID, elem_id=f"tab-{PLUGINS_TAB_ID}"):
        header = gr.Markdown("Loading status…", elem_id="ganhub-status", label="Hub status")
        plugins = gr.Dataframe(
            headers=["plugin", "version", "load ms", "state", "registered", "problem"],
            label="Plugins", interactive=False, wrap=True,
        )
        weights = gr.Dataframe(
            headers=["weight id", "source", "resolved from", "size", "license", "message"],
            label="Weights", interactive=False, wrap=True,
        )
        models = gr.Dataframe(
            headers=["model", "plugin", "family", "interface", "weights", "offline", "loaded on"],
            label="Models", interactive=False, wrap=True,
        )
        refresh = gr.Button("Refresh", size="sm")

    def report() -> tuple[Any, ...]:
        """The hub's state: the device, each plugin's state and errors, where each weight resolves from,
        and which models are registered and loaded. Takes no input.
        """
        return status_tables(hub)

    outputs = [header, plugins, weights, models]
    # Filled on page load, not at start-up: the device check imports torch.
    refresh.click(report, None, outputs, api_name="hub_status")
    return report, outputs


def build_app(
    plugins: Sequence[str] | None = None,
    hub: Hub | None = None,
    *,
    strict: bool | None = None,
    title: str = "GAN Hub",
) -> gr.Blocks:
    """The whole hub as a ``gr.Blocks`` (queued, not launched).

    ``plugins`` is an allowlist of entry-point names for a fresh hub (like ``--plugins``);
    ``hub`` uses an existing one; with neither, the process-wide hub from the environment.
    """
    if hub is None:
        if plugins is not None or strict is not None:
            hub = Hub(allow=list(plugins) if plugins is not None else None, strict=strict)
            set_default_hub(hub)  # so that hub.get_model() in handlers sees the same models
        else:
            hub = get_hub()
    elif strict is not None:
        hub.strict = strict
    hub.load()
    issued: dict[str, str] = {"hub_status": "hub"}
    with gr.Blocks(title=title, analytics_enabled=False) as blocks:
        gr.Markdown(f"# {title}\nGAN image-editing techniques, one tab each. "
                    "Every tab is a plugin; see *Plugins & weights* for what is installed.")
        with gr.Tabs():
            for demo in hub.sorted_demos():
                with gr.Tab(demo.title, id=demo.id, elem_id=f"tab-{demo.id}"):
                    before = set(blocks.fns)
                    _build_tab(blocks, hub, demo, issued)
                    # in the tab itself: Gradio attaches an event defined in another tab to nothing
                    _expected_time_hints(blocks, demo, [i for i in blocks.fns if i not in before])
            report, outputs = _plugins_tab(hub)
        blocks.load(report, None, outputs, api_visibility="private")
    from hub.ui.validation import guard_inputs

    guard_inputs(blocks)  # every public input is checked on the server, whoever wrote the tab
    declared = {f"{_api_prefix(demo.plugin)}_{action}": (demo, value)
                for demo in hub.sorted_demos() for action, value in demo.gpu_seconds.items()}
    for fn in blocks.fns.values():
        if fn.concurrency_id in COMPUTE_GROUPS:
            fn.concurrency_limit = HEAVY_LIMIT
            # Every heavy event goes through the ZeroGPU shim, its duration the one its demo declared
            # for that action; a plugin that decorated its handler with hub.gpu(duration=...) keeps its
            # own (gpu() skips marked fns).
            if fn.fn is not None:
                demo, value = declared.get(fn.api_name, (None, None))
                try:
                    duration = gpu_duration(fn.fn, value)
                except ValueError as exc:
                    hub.record_error(demo.plugin, f"demo {demo.id!r}: {exc}")
                    duration = DEFAULT_GPU_SECONDS
                fn.fn = gpu(duration=duration)(fn.fn)
                fn.fn = _budgeted(hub, fn)  # outside the shim: a refused request takes no GPU slot
    _stoppable_handlers(blocks)
    _name_api_values(blocks)
    _mark_results(blocks)
    from hub.ui.budget import on_session_end

    blocks.unload(on_session_end)  # a session's result folders go when the session ends
    names = public_api_names(blocks)
    assert len(names) == len(set(names)), f"duplicate api names: {sorted(names)}"
    blocks.ganhub = hub  # type: ignore[attr-defined]  # tests and the CLI reach the hub through the app
    blocks.ganhub_api_names = dict(issued)  # type: ignore[attr-defined]
    env_limit = os.environ.get("GRADIO_DEFAULT_CONCURRENCY_LIMIT")
    return blocks.queue(default_concurrency_limit="not_set" if env_limit else LIGHT_LIMIT, max_size=queue_max_size())


def _slug(text: str) -> str:
    return re.sub(r"\W+", "_", text.lower()).strip("_")


def _name_api_values(blocks: gr.Blocks) -> None:
    """Name every input and output of the public API after its label, where Gradio would not.

    Gradio names a parameter after the handler's parameter, so a handler taking ``*values`` shows
    ``param_6``…; it names an output after its component's label, so an unlabelled status line shows
    ``value_54``. Such a parameter takes its component's label (``"gender:man"`` -> ``gender_man``);
    an unlabelled output gets a label from its ``elem_id`` or its kind ("Status" for a Markdown line;
    a Markdown does not show its label)."""
    for fn in blocks.fns.values():
        if fn.fn is None or fn.api_visibility == "private":
            continue
        names = list(fn.input_parameter_names or [])
        names += [None] * (len(fn.inputs) - len(names))
        taken = {n for n in names if n}
        named: dict[str, Any] = {}
        for i, block in enumerate(fn.inputs):
            if names[i] is None:
                base = _slug(str(getattr(block, "label", "") or "")) or f"{type(block).__name__.lower()}_input"
                name, k = base, 2
                while name in taken or not name.isidentifier():
                    name, k = (f"{base}_{k}" if base.isidentifier() else f"input_{base}_{k}"), k + 1
                names[i] = name
                taken.add(name)
                named[name] = block
        fn.input_parameter_names = names
        _document_inputs(fn.fn, named)
        for block in fn.outputs:
            if getattr(block, "label", "x") is None and not getattr(block, "skip_api", True):
                elem_id = getattr(block, "elem_id", None)
                block.label = (elem_id.replace("-", " ").replace("_", " ").capitalize() if elem_id else
                               "Status" if isinstance(block, gr.Markdown) else type(block).__name__)


def _input_description(block: Any) -> str:
    """What an input named after its label takes, in words: its label, info, range or choices."""
    words = [str(getattr(block, "label", "") or type(block).__name__)]
    if getattr(block, "info", None):
        words.append(str(block.info))
    if isinstance(block, gr.Slider):
        words.append(f"a number from {block.minimum:g} to {block.maximum:g}")
    choices = [c[1] if isinstance(c, (tuple, list)) else c for c in getattr(block, "choices", None) or []]
    if choices:
        words.append("one of " + ", ".join(map(str, choices[:12])) + (", …" if len(choices) > 12 else ""))
    return "; ".join(words) + "."


def _document_inputs(handler: Any, named: dict[str, Any]) -> None:
    """Add an ``Args:`` line for each input named after its label (a handler taking ``*values`` cannot
    document them itself), so the MCP tool and the API page describe every input. Idempotent."""
    if not named or handler is None:
        return
    doc = inspect.cleandoc(handler.__doc__ or "")
    lines = doc.splitlines()
    described = {ln.strip().split(":", 1)[0] for ln in lines if ":" in ln}
    extra = [f"    {name}: {_input_description(block)}" for name, block in named.items() if name not in described]
    if not extra:
        return
    end = next((i for i, ln in enumerate(lines) if ln.strip().startswith("Returns:")), len(lines))
    if not any(ln.strip().startswith(("Args:", "Parameters:", "Arguments:")) for ln in lines[:end]):
        extra.insert(0, "Args:")
    lines[end:end] = extra
    try:
        handler.__doc__ = "\n".join(lines)
        handler.__signature__ = _signature_with(handler, named)
    except (AttributeError, TypeError, ValueError):  # a builtin or a partial: cannot be set
        pass


def _signature_with(handler: Any, named: dict[str, Any]) -> inspect.Signature:
    """The handler's signature with its ``*values`` spelled out as the inputs named after their labels
    (each defaulting to its component's start value), so that Gradio and its MCP server, which read only the
    parameters a signature names, find the ``Args:`` line of each."""
    signature = inspect.signature(handler)
    params = list(signature.parameters.values())
    star = next((i for i, p in enumerate(params) if p.kind is p.VAR_POSITIONAL), None)
    if star is None:
        return signature
    def default(block: Any) -> Any:  # a scalar start value; a file's is no default to show
        value = getattr(block, "value", None)
        return value if isinstance(value, (bool, int, float, str)) else None

    spelled = [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default(block))
               for name, block in named.items()]
    return signature.replace(parameters=params[:star] + spelled + params[star + 1:])


#: The CSS class of every image-like component that shows a result (an output of some event and not an
#: input box): browser tests and the screenshot script find a tab's rendered result by it.
RESULT_CLASS = "ganhub-result"


#: The CSS class of every image-like component: a 64 px emoji fills its box, enlarged pixel by pixel.
PIXEL_CLASS = "ganhub-pixels"
#: The hub's only style sheet (passed to ``launch`` by ``launch_settings``): Gradio shows an image
#: smaller than its box at its own size ("scale-down"), so a 64 px input was a thumbnail in a large box;
#: here an input (an upload box) fills its box, and every enlarged image keeps hard pixel edges. Results
#: are enlarged by whole factors on the server (``hub.ui.show``). Downloads keep the true size.
HUB_CSS = f"""
.{PIXEL_CLASS} img, .{PIXEL_CLASS} canvas {{ image-rendering: pixelated; }}
.{PIXEL_CLASS} .image-container .upload-container, .{PIXEL_CLASS} .upload-container .image-frame {{
  width: 100% !important; height: 100% !important; }}
.{PIXEL_CLASS} .upload-container .image-frame img {{ width: 100% !important; height: 100% !important;
  object-fit: contain; }}
"""


def _add_class(block: Any, name: str) -> None:
    classes = list(block.elem_classes or [])
    if name not in classes:
        block.elem_classes = classes + [name]


def _mark_results(blocks: gr.Blocks) -> None:
    kinds = (gr.Image, gr.Gallery, gr.ImageSlider, gr.AnnotatedImage, gr.ImageEditor)
    seen = {block._id: block for fn in blocks.fns.values() for block in (*fn.inputs, *fn.outputs)
            if isinstance(block, kinds)}
    outputs = {block._id for fn in blocks.fns.values() for block in fn.outputs}
    for block in seen.values():
        _add_class(block, PIXEL_CLASS)
        if block._id in outputs and block.interactive is not True and not isinstance(block, gr.ImageEditor):
            _add_class(block, RESULT_CLASS)


#: The concurrency group of the expected-time labels: never waits behind the jobs it describes.
HINT_CONCURRENCY_ID = "ganhub-hint"
#: A job expected to be shorter than this gets no time on its button (a sample, a translation).
HINT_MIN_SECONDS = 10.0


def _timed_label(base: str, declared: Any, params: Sequence[str], values: Sequence[Any]) -> str:
    """``"Invert (~40 s)"``: a button's label with its job's expected time on this machine."""
    from hub.ui import budget

    try:
        cost = budget.expected(declared, **dict(zip(params, values)))
    except Exception:  # a value the declaration cannot read (an empty box while typing): no time
        cost = None
    if cost is None or cost.seconds < HINT_MIN_SECONDS:
        return base
    return f"{base} (~{budget._duration(cost.seconds)})"


def _expected_time_hints(blocks: gr.Blocks, demo: Demo, fn_ids: Sequence[int]) -> None:
    """Show each compute job's expected time on this machine on its button before it runs ("Invert
    (~40 s)"), from its demo's declared budget (``Demo.budgets``, ``hub.ui.budget.expected``) and the
    inputs the budget reads (steps, sizes): set at build time from their defaults, again when the page
    opens (the device may be known by then) and whenever one of them changes. While the job waits,
    Gradio's status line shows its place in the queue. Called inside the tab: Gradio attaches an event
    defined in another tab to nothing."""
    from hub.ui import budget

    budgets = {f"{_api_prefix(demo.plugin)}_{action}": declared for action, declared in demo.budgets.items()}
    for fn in [blocks.fns[i] for i in fn_ids]:
        declared = budgets.get(fn.api_name) if isinstance(fn.api_name, str) else None
        if fn.fn is None or fn.concurrency_id not in COMPUTE_GROUPS or declared is None:
            continue
        names = list(fn.input_parameter_names or [])
        params = [name for name in budget._declared_params(declared) if name in names]
        inputs = [fn.inputs[names.index(name)] for name in params]
        buttons = [blocks.blocks[block_id] for block_id, _ in fn.targets
                   if isinstance(blocks.blocks.get(block_id), gr.Button) and isinstance(blocks.blocks[block_id].value, str)]
        for button in buttons:
            base = button.value
            button.value = _timed_label(base, declared, params, [getattr(b, "value", None) for b in inputs])

            def relabel(*values: Any, base: str = base, declared: Any = declared, params: list = params) -> Any:
                return gr.update(value=_timed_label(base, declared, params, values))

            relabel._ganhub_stop = True  # type: ignore[attr-defined]  # a label, not a job: not wrapped
            changes = [b.change for b in inputs if hasattr(b, "change")]
            if changes:
                gr.on(changes, relabel, inputs=inputs, outputs=button, api_visibility="private",
                      show_progress="hidden", preprocess=False, trigger_mode="always_last",
                      concurrency_id=HINT_CONCURRENCY_ID, concurrency_limit=None)
            blocks.load(relabel, inputs=inputs, outputs=button, api_visibility="private", show_progress="hidden",
                        preprocess=False, concurrency_id=HINT_CONCURRENCY_ID, concurrency_limit=None)


def _stoppable_handlers(blocks: gr.Blocks) -> None:
    """Run every handler in a stop scope of its own (``hub.ui.stop_button`` stops it at its next module
    call), and name each public one after its api name: the MCP server names a tool after the
    handler's ``__name__``, and the tool list must be the hub's ``{plugin}_{action}`` actions."""
    from hub.ui.streaming import stoppable

    for fn in blocks.fns.values():
        if fn.fn is None:
            continue
        public = fn.api_visibility != "private" and isinstance(fn.api_name, str)
        fn.fn = stoppable(fn.fn, fn._id, len(fn.outputs), name=fn.api_name if public else None)


def _budgeted(hub: Hub, fn: Any) -> Callable[..., Any]:
    """``fn.fn`` behind its demo's declared budget (``Demo.budgets``, see ``hub.ui.budget``): refused
    before it starts when it would exceed this machine's limits or the server's memory ceiling, and
    stopped at its time budget. A declaration naming a parameter the handler lacks is recorded on the
    plugin and left out (the request still gets the memory ceiling and the deadline)."""
    from hub.ui import budget

    value, owner = None, None
    for demo in hub.sorted_demos():
        for action, declared in demo.budgets.items():
            if f"{_api_prefix(demo.plugin)}_{action}" == fn.api_name:
                value, owner = declared, demo
    if owner is not None:
        try:
            budget.check_params(fn.fn, value)
        except ValueError as exc:
            hub.record_error(owner.plugin, f"demo {owner.id!r}: {exc}")
            value = None
    if isinstance(fn.api_name, str):
        budget.register(fn.api_name, value)
    return budget.budgeted(fn.fn, value)


def _env_int(name: str, default: int) -> int:
    try:
        value = int(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def queue_max_size() -> int:
    """Requests that may wait in the queue (``GANHUB_QUEUE_MAX_SIZE``, default 32); past it a request
    is turned away at once with Gradio's "queue is full" instead of waiting behind hours of work."""
    return _env_int("GANHUB_QUEUE_MAX_SIZE", 32)


def serve_settings(blocks: gr.Blocks) -> gr.Blocks:
    """Settings of a served hub (``python app.py``, a Space), not of apps built in a test process:
    Gradio's copies of uploads and results are swept every 10 minutes once an hour old. (Gradio also
    clears them when the server stops, and shares content-addressed files between apps, so several
    apps of one process must not each own the sweep.)"""
    blocks.delete_cache = (600, 3600)
    return blocks


def launch_settings(mcp: bool | None = None) -> dict[str, Any]:
    """What every launch of the hub passes to ``Blocks.launch``: the upload size limit
    (``GANHUB_MAX_UPLOAD``, default 25 MB; larger uploads are refused before they reach a handler), the
    hub's style sheet ``HUB_CSS``, and
    with ``mcp`` Gradio's MCP server: every public ``{plugin}_{action}`` becomes a tool at
    ``/gradio_api/mcp/`` (``None``: Gradio's own default, the ``GRADIO_MCP_SERVER`` variable)."""
    settings: dict[str, Any] = {"max_file_size": os.environ.get("GANHUB_MAX_UPLOAD") or "25mb", "ssr_mode": False,
                                "css": HUB_CSS}
    if mcp is not None:
        settings["mcp_server"] = mcp
    return settings

"""Hugging Face Spaces, generated: ``ganhub spaces build`` writes ``spaces/<plugin>/`` and ``spaces/hub/``.

Every Space folder holds three generated files (never edit them; edit this module and re-run):

* ``app.py`` — a thin wrapper: :func:`space_app` = ``hub.app.build_app`` over a hub restricted to the
  Space's plugins (the technique plugin plus the model plugins its demos need), showing only the
  technique's tabs. Run from a checkout (``python spaces/srgan/app.py``) it puts the checkout first on
  ``sys.path`` and uses its ``weights/``, exactly like ``python app.py``; env ``GANHUB_SPACE_NO_LAUNCH=1``
  builds the app without launching it (tests).
* ``requirements.txt`` — :data:`GANHUB_REQUIREMENT` (this project, pinned), plus the plugin's own
  distribution for a third-party plugin; nothing else (gradio comes from ``sdk_version``).
* ``README.md`` — the Spaces YAML front matter and a model card generated from the registry, the
  weights manifest and the ``weights/*.md`` cards.

What a Space needs is derived from the registry, not from a list: a plugin gets a Space when it
registers demos; it *needs* the plugins that registered the models its demos name (``Demo.models``:
model names or ``"interface:X"``), followed transitively through ``ModelSpec.related``; its weights are
those models' weights, the ``related["directions"]`` weight ids, and the core's VGG weights when the
plugin's run-time sources use ``hub.nn.vgg``/``hub.nn.inversion`` (a static scan). A plugin that fails
to import at generation time is reported and its committed folder is left as it is (``--check`` says so,
and does not fail for it); the ``hub`` Space is then generated without that plugin's weights, so the
check will flag ``spaces/hub`` until the plugin imports again — as it should.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import re
import shutil
import sys
import threading
from dataclasses import dataclass, field
from importlib.metadata import entry_points, version as dist_version
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml

import hub
from hub.api import Demo, ModelSpec, WeightSpec

__all__ = [
    "GANHUB_REQUIREMENT",
    "SpacePlan",
    "BuildReport",
    "plan_spaces",
    "render_space",
    "build_spaces",
    "space_app",
    "launch_space",
    "preload_conversions",
    "apply_queue_settings",
    "heavy_handlers",
    "stage_space",
    "add_spaces_cli",
]

REPO_ROOT = Path(hub.__file__).resolve().parent.parent
SPACES_DIR = REPO_ROOT / "spaces"
HUB_SPACE = "hub"
DIST = "ganhub"

#: THE one place that says how a Space installs this project. ``{version}`` is ``hub.__version__``.
#: A release on PyPI is the default; to deploy from git, pass ``--requirement``, e.g.
#: ``"ganhub @ git+https://github.com/<you>/ganhub@<commit>"`` (the committed spaces/ use the default).
GANHUB_REQUIREMENT = "ganhub=={version}"

COLORS = ("red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray")

#: The card of the ``hub`` Space (all tabs); each plugin's own Space card is its ``Demo.space``.
HUB_CARD: dict[str, Any] = dict(
    emoji="🧪", short="GAN image-editing techniques, one tab each",
    tags=["image-editing", "stylegan2", "super-resolution", "style-transfer"],
    papers=[], limits=[])


# ----------------------------------------------------------------------------- planning
@dataclass
class SpacePlan:
    """Everything one Space folder is generated from."""

    name: str
    title: str
    plugins: dict[str, str]  # plugin -> module path, technique first (the app loads exactly these)
    tabs: list[str]  # plugins whose demos are shown
    demos: list[Demo]
    models: list[ModelSpec]
    weights: list[WeightSpec]
    hardware: str
    hardware_why: str
    requirements: list[str]
    card: dict[str, Any]
    docs: dict[str, str] = field(default_factory=dict)  # plugin -> first paragraph of its docstring
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)  # per tab plugin (the hub Space has many)


@dataclass
class BuildReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    differing: dict[str, str] = field(default_factory=dict)  # path -> diff summary
    skipped: dict[str, str] = field(default_factory=dict)  # plugin -> why (import error ...)
    stale: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differing and not self.stale


def _entry_points() -> dict[str, Any]:
    found: dict[str, Any] = {}
    for ep in entry_points(group="ganhub"):
        found.setdefault(ep.name, ep)
    return found


def builtin_plugins() -> list[str]:
    """Entry-point names declared by this project's own distribution (``ganhub``)."""
    return sorted(name for name, ep in _entry_points().items() if ep.dist is not None and ep.dist.name == DIST)


def generation_hub(names: Iterable[str] | None = None) -> Any:
    """A hub over every installed entry point (or ``names``), deaf to GANHUB_PLUGINS/GANHUB_DISABLE."""
    from hub.plugins import Hub

    allow = sorted(_entry_points()) if names is None else list(names)
    return Hub(allow=allow, block=[], strict=False)


def _module(hub_: Any, plugin: str) -> Any:
    return hub_.pm.get_plugin(plugin) if hub_.pm.has_plugin(plugin) else None


def _first_paragraph(text: str | None) -> str:
    return " ".join((text or "").strip().split("\n\n", 1)[0].split())


def _needs(hub_: Any, demos: Sequence[Demo]) -> tuple[list[ModelSpec], list[str]]:
    """Models reachable from the demos (``Demo.models`` then ``related``), and extra weight ids."""
    registry = hub_.models
    names = set(registry.names())
    seen: dict[str, ModelSpec] = {}
    extra_weights: list[str] = []
    todo: list[str] = []
    for demo in demos:
        for item in demo.models:
            todo += registry.models_for(item.split(":", 1)[1]) if item.startswith("interface:") else [item]
    while todo:
        name = todo.pop(0)
        if name in seen or name not in names:
            continue
        spec = seen[name] = registry.spec(name)
        for target in spec.related.values():
            if target in names:
                todo.append(target)
            elif target not in extra_weights:
                extra_weights.append(target)  # e.g. related["directions"]: a weight id
    return sorted(seen.values(), key=lambda s: s.name), extra_weights


def _rel(path: str) -> str:
    """A manifest path relative to the repository root (the manifest stores them absolute once parsed)."""
    try:
        return Path(path).resolve().relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return Path(path).name


def _hardware(demos: Sequence[Demo]) -> tuple[str, str]:
    heavy = sorted({d.plugin for d in demos if d.heavy})
    if heavy:
        return "zero-a10g", (f"{', '.join(heavy)} run(s) a per-request optimisation (GAN inversion or "
                             "image optimisation): a GPU makes it interactive, and ZeroGPU gives one per call")
    return "cpu-basic", "one forward pass per request on small models: 2 vCPU answer in seconds"


def _card(hub_: Any, plugin: str) -> dict[str, Any]:
    """The plugin's Space card: the ``space`` of its first demo that declares one."""
    for demo in hub_.sorted_demos():
        if demo.plugin == plugin and demo.space:
            return dict(demo.space)
    return {}


def _requirements(hub_: Any, plugins: Iterable[str], requirement: str) -> list[str]:
    lines = [requirement]
    eps = _entry_points()
    for plugin in plugins:
        ep = eps.get(plugin)
        if ep is not None and ep.dist is not None and ep.dist.name != DIST:
            line = f"{ep.dist.name}=={ep.dist.version}"
            if line not in lines:
                lines.append(line)
    return lines


def _plan(hub_: Any, name: str, tab_plugins: list[str], requirement: str, title: str | None = None) -> SpacePlan:
    demos = [d for d in hub_.sorted_demos() if d.plugin in tab_plugins]
    models, extra = _needs(hub_, demos)
    from hub.plugins import CORE

    # the core's own models (the VGG taps) come with the core, not with a plugin
    plugin_order = list(tab_plugins) + sorted({m.plugin for m in models} - set(tab_plugins) - {CORE})
    modules = {p: getattr(_module(hub_, p), "__name__", None) or _entry_points()[p].value for p in plugin_order}
    weight_ids: list[str] = []
    for spec in models:
        weight_ids += [w for w in spec.weights if w not in weight_ids]
    weight_ids += [w for w in extra if w not in weight_ids]
    known = {spec.id: spec for spec in hub_.weights.specs()}
    weights = sorted((known[w] for w in weight_ids if w in known), key=lambda s: s.id)
    hardware, why = _hardware(demos)
    cards = {p: _card(hub_, p) for p in tab_plugins}
    card = dict(HUB_CARD) if name == HUB_SPACE else cards[tab_plugins[0]]
    if title is None:
        title = " · ".join(d.title for d in demos) or name
    docs = {p: _first_paragraph(getattr(_module(hub_, p), "__doc__", "")) for p in tab_plugins}
    return SpacePlan(name=name, title=title, plugins=modules, tabs=list(tab_plugins), demos=demos,
                     models=models, weights=weights, hardware=hardware, hardware_why=why,
                     requirements=_requirements(hub_, plugin_order, requirement), card=card, docs=docs,
                     cards=cards)


def plan_spaces(hub_: Any = None, *, plugins: Sequence[str] | None = None, include_hub: bool | None = None,
                requirement: str | None = None) -> tuple[list[SpacePlan], dict[str, str]]:
    """Plans for the Spaces to generate, and ``{plugin: why}`` for those that could not be planned.

    Default: every built-in plugin that registers demos, plus the ``hub`` Space. ``plugins`` names
    the plugins (built-in or third-party) to plan instead; then no ``hub`` Space unless asked.
    """
    hub_ = hub_ if hub_ is not None else generation_hub()
    requirement = (requirement or GANHUB_REQUIREMENT).format(version=hub.__version__)
    wanted = list(plugins) if plugins else builtin_plugins()
    include_hub = not plugins if include_hub is None else include_hub
    skipped: dict[str, str] = {}
    plans = []
    for plugin in wanted:
        status = hub_.statuses.get(plugin)
        if status is None:
            skipped[plugin] = "no installed package provides this plugin (entry-point group 'ganhub')"
        elif not hub_.pm.has_plugin(plugin):
            skipped[plugin] = (status.errors[0].splitlines()[0] if status.errors else status.state)
        elif not status.registered["demos"]:
            skipped[plugin] = "registers no demos (a model plugin only): no Space of its own"
        else:
            if status.errors:
                skipped[plugin] = "partly broken: " + status.errors[0].splitlines()[0]
                continue
            plans.append(_plan(hub_, plugin, [plugin], requirement))
    if include_hub:
        tabs = [p for p in builtin_plugins() if hub_.pm.has_plugin(p) and hub_.statuses[p].registered["demos"]]
        plan = _plan(hub_, HUB_SPACE, tabs, requirement, title="GAN Hub")
        plan.plugins = {p: _entry_points()[p].value for p in builtin_plugins()}  # all, even broken ones
        plans.append(plan)
    return plans, skipped


# ----------------------------------------------------------------------------- rendering
def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _colors(name: str) -> tuple[str, str]:
    digest = hashlib.sha256(name.encode()).digest()
    first = COLORS[digest[0] % len(COLORS)]
    second = COLORS[(digest[0] + 1 + digest[1] % (len(COLORS) - 1)) % len(COLORS)]
    return first, second


def _hub_sources(weights: Sequence[WeightSpec]) -> tuple[list[str], list[str], list[str]]:
    """(models, datasets, preload_from_hub entries ``"repo_id file1,file2 revision"``)."""
    models = sorted({w.repo_id for w in weights if w.repo_id and w.repo_type == "model"})
    datasets = sorted({w.repo_id for w in weights if w.repo_id and w.repo_type == "dataset"})
    groups: dict[tuple[str, str], list[str]] = {}
    for w in weights:
        if w.repo_id and w.repo_type == "model":  # preload_from_hub takes model repos
            groups.setdefault((w.repo_id, w.revision or ""), []).append(w.filename)
    preload = [" ".join(part for part in (repo, ",".join(sorted(files)), rev) if part)
               for (repo, rev), files in sorted(groups.items())]
    return models, datasets, preload


def front_matter(plan: SpacePlan) -> dict[str, Any]:
    card = plan.card
    color_from, color_to = card.get("colors") or _colors(plan.name)
    models, datasets, preload = _hub_sources(plan.weights)
    base = ["gan", "ganhub", "gradio", "mcp-server"]  # mcp-server: the Space serves its actions as MCP tools
    tags = base + [t for t in card.get("tags", []) if t not in base]
    if plan.name != HUB_SPACE and plan.name not in tags:
        tags.append(plan.name.replace("_", "-"))
    meta: dict[str, Any] = {
        "title": _short(f"GAN Hub: {plan.title}" if plan.name != HUB_SPACE else plan.title, 60),
        "emoji": card.get("emoji", "🎨"),
        "colorFrom": color_from,
        "colorTo": color_to,
        "sdk": "gradio",
        "sdk_version": dist_version("gradio"),
        "python_version": f"{sys.version_info.major}.{sys.version_info.minor}",
        "app_file": "app.py",
        "pinned": False,
        "short_description": _short(card.get("short") or (plan.demos[0].description if plan.demos else plan.title)),
        "license": card.get("license", "apache-2.0"),
        "tags": tags,
        "suggested_hardware": plan.hardware,
    }
    if models:
        meta["models"] = models
    if datasets:
        meta["datasets"] = datasets
    if preload:
        meta["preload_from_hub"] = preload
    return meta


def _weight_card_sections(weight: WeightSpec) -> tuple[str, str]:
    """(title line, limits section text) of ``weights/<id>.md`` next to the embedded file, if any."""
    if not weight.embedded:
        return "", ""
    card = (REPO_ROOT / weight.embedded).with_suffix(".md")
    if not card.is_file():
        return "", ""
    text = card.read_text(encoding="utf-8")
    title = text.splitlines()[0].lstrip("# ").strip() if text.strip() else ""
    match = re.search(r"^##+ [^\n]*limit[^\n]*\n(.*?)(?=^#{1,2} |\Z)", text, re.S | re.M | re.I)
    return title, match.group(1).strip() if match else ""


def _size(nbytes: int | None) -> str:
    if not nbytes:
        return "?"
    return f"{nbytes / 2**20:.1f} MB" if nbytes >= 2**20 else f"{nbytes / 1024:.0f} kB"


def readme(plan: SpacePlan) -> str:
    meta = front_matter(plan)
    out = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000).rstrip(), "---", ""]
    add = out.append
    add(f"# {meta['emoji']} {plan.title if plan.name == HUB_SPACE else 'GAN Hub: ' + plan.title}\n")
    add(f"<!-- Generated by `ganhub spaces build` from the plugin registry and weights_manifest.yaml. "
        f"Do not edit: change hub/spaces.py, the plugin or the manifest, and re-run. -->\n")
    if plan.name == HUB_SPACE:
        add("The whole GAN Hub as one Space: every built-in technique plugin as a tab, "
            "plus the *Plugins & weights* tab (what loaded, where each weight resolved, the device).\n")
    else:
        add(f"One technique of GAN Hub as its own Space: the **{plan.name}** plugin"
            + (f", with the model plugin(s) it needs ({', '.join(p for p in plan.plugins if p != plan.name)})"
               if len(plan.plugins) > 1 else "") + ". The app is the hub's own `build_app()`, restricted to "
            "these plugins; the *Plugins & weights* tab shows what loaded.\n")
    add("## What it does\n")
    for plugin in plan.tabs:
        if plan.name == HUB_SPACE:
            add(f"### {plugin}\n")
        if plan.docs.get(plugin):
            add(plan.docs[plugin] + "\n")
        for demo in (d for d in plan.demos if d.plugin == plugin):
            add(f"- **{demo.title}** (`{demo.id}`): {' '.join(demo.description.split()) or 'no description'}")
        add("")
    papers = [p for plugin in plan.tabs for p in plan.cards.get(plugin, {}).get("papers", [])]
    if papers:
        add("## Papers\n")
        for paper in dict.fromkeys(papers):
            add(f"- {paper}")
        add("")
    add("## Models and weights\n")
    if plan.models:
        add("| model | plugin | interface | weights | works offline |\n| --- | --- | --- | --- | --- |")
        for spec in plan.models:
            add(f"| `{spec.name}` | {spec.plugin} | {spec.interface} | {', '.join(spec.weights) or '—'} | "
                f"{'yes (embedded)' if spec.offline else 'no (Hugging Face Hub)'} |")
        add("")
    if plan.weights:
        add("| weight | source | licence | size | format |\n| --- | --- | --- | --- | --- |")
        for w in plan.weights:
            if w.repo_id:
                rev = f"@{w.revision[:12]}" if w.revision else ""
                source = f"[{w.repo_id}](https://huggingface.co/{w.repo_id}) `{w.filename}`{rev}"
                if w.embedded:
                    source += " (embedded copy)"
            else:
                source = f"embedded: `{_rel(w.embedded)}`" if w.embedded else "—"
            add(f"| `{w.id}` | {source} | {w.license} | {_size(w.size)} | {w.format} |")
        add("")
        nc = sorted({w.license for w in plan.weights if re.search(r"(^|-)nc(-|$)|non-?commercial", w.license, re.I)})
        if nc:
            add(f"**Licences:** the code is Apache-2.0; some Hub weights are under non-commercial licences "
                f"({', '.join(nc)}): use them accordingly.\n")
        pickles = [w.id for w in plan.weights if w.format == "pickle"]
        if pickles:
            add("Upstream pickle checkpoints (" + ", ".join(f"`{p}`" for p in pickles) + ") are never loaded "
                "by the app: run `ganhub weights convert ID` once to turn one into verified safetensors.\n")
    else:
        add("This Space loads no weights.\n")
    cards = [(w, *_weight_card_sections(w)) for w in plan.weights]
    cards = [c for c in cards if c[1] or c[2]]
    if cards:
        add("### Embedded weights: model cards\n")
        for w, title, limits in cards:
            add(f"- `{w.id}`: {title} — full card: `{Path(_rel(w.embedded)).with_suffix('.md').as_posix()}`")
        add("")
    add("## Limits\n")
    for plugin in plan.tabs:
        for limit in plan.cards.get(plugin, {}).get("limits", []):
            add(f"- {limit}")
    for w, title, limits in cards:
        if limits:
            add(f"\nFrom the card of `{w.id}`:\n")
            add("\n".join("> " + line if line.strip() else ">" for line in limits.splitlines()))
    add("")
    add("## Hardware\n")
    add(f"Suggested: `{plan.hardware}`: {plan.hardware_why}. Queue and concurrency settings per tier: "
        "docs/deploy.md in the GAN Hub repository.\n")
    add("## Run it\n")
    add(f"From a checkout of GAN Hub: `python spaces/{plan.name}/app.py` (offline, CPU, embedded weights; "
        f"http://127.0.0.1:7860). On Spaces the requirement `{plan.requirements[0]}` installs the hub; "
        "`ganhub spaces stage` adds the embedded weights this Space needs.\n")
    return "\n".join(out)


def app_py(plan: SpacePlan) -> str:
    plugins = "".join(f"    {name!r}: {module!r},\n" for name, module in plan.plugins.items())
    tabs = "None" if plan.name == HUB_SPACE else repr(plan.tabs)
    return f'''"""GAN Hub Space {plan.name!r}: {plan.title}.

Generated by `ganhub spaces build` (hub/spaces.py); do not edit. The same build_app() as
`python app.py`, restricted to the plugins below. `python spaces/{plan.name}/app.py` in a checkout
uses that checkout and its weights/; GANHUB_SPACE_NO_LAUNCH=1 builds the app without serving it.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if (HERE.parent.parent / "hub" / "__init__.py").is_file():  # spaces/<name>/app.py inside a checkout
    sys.path.insert(0, str(HERE.parent.parent))

from hub.spaces import launch_space, space_app  # noqa: E402

#: plugin name -> module; the app loads exactly these.
PLUGINS = {{
{plugins}}}
#: plugins whose tabs are shown (None: all of them).
TABS = {tabs}

demo = space_app(PLUGINS, tabs=TABS, here=HERE, title={plan.title if plan.name == HUB_SPACE else "GAN Hub: " + plan.title!r})

if __name__ == "__main__" and not os.environ.get("GANHUB_SPACE_NO_LAUNCH"):
    launch_space(demo)
'''


def render_space(plan: SpacePlan) -> dict[str, str]:
    """``{file name: text}`` of one Space folder."""
    return {
        "app.py": app_py(plan),
        "README.md": readme(plan),
        "requirements.txt": "\n".join(plan.requirements) + "\n",
    }


def _diff_summary(path: Path, old: str, new: str) -> str:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), f"committed/{path.name}",
                                      f"generated/{path.name}", n=0, lineterm=""))
    shown = lines[:12] + ([f"... {len(lines) - 12} more diff lines"] if len(lines) > 12 else [])
    return "\n".join(shown)


def build_spaces(out: Path | str | None = None, *, check: bool = False, plugins: Sequence[str] | None = None,
                 requirement: str | None = None, include_hub: bool | None = None, hub_: Any = None) -> BuildReport:
    """Write (or, with ``check``, compare) every planned Space folder under ``out`` (default ``spaces/``)."""
    out = Path(out) if out is not None else SPACES_DIR
    plans, skipped = plan_spaces(hub_, plugins=plugins, include_hub=include_hub, requirement=requirement)
    report = BuildReport(skipped=skipped)
    for plan in plans:
        for filename, text in render_space(plan).items():
            path = out / plan.name / filename
            rel = path.relative_to(out.parent) if out.parent in path.parents else path
            old = path.read_text(encoding="utf-8") if path.is_file() else None
            if old == text:
                report.unchanged.append(str(rel))
            elif check:
                report.differing[str(rel)] = ("missing" if old is None else _diff_summary(path, old, text))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                report.written.append(str(rel))
    if not plugins and out.is_dir():  # folders no plugin generates any more (not the skipped ones)
        names = {p.name for p in plans} | set(skipped)
        report.stale = sorted(str(d) for d in out.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))
                              and d.name not in names)
    return report


# ----------------------------------------------------------------------------- the Space at run time
def _int_env(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else None


def apply_queue_settings(blocks: Any) -> Any:
    """Per-hardware-tier knobs (docs/deploy.md): GANHUB_HEAVY_CONCURRENCY, GANHUB_QUEUE_MAX_SIZE.

    ``GRADIO_DEFAULT_CONCURRENCY_LIMIT`` (the light events) is read by ``build_app`` itself.
    """
    from hub.app import COMPUTE_GROUPS

    heavy = _int_env("GANHUB_HEAVY_CONCURRENCY")
    if heavy is not None:
        for fn in blocks.fns.values():
            if fn.concurrency_id in COMPUTE_GROUPS:
                fn.concurrency_limit = heavy
    max_size = _int_env("GANHUB_QUEUE_MAX_SIZE")
    if max_size is not None and getattr(blocks, "_queue", None) is not None:
        blocks._queue.max_size = max_size
    return blocks


def space_hub(plugins: Mapping[str, str], *, tabs: Sequence[str] | None = None, here: Path | None = None) -> Any:
    """The hub of a Space: exactly ``plugins``; only ``tabs``' demos are shown (None: all).

    Installed entry points are used when they match ``plugins`` (versions show in the Plugins tab);
    otherwise the modules are registered directly (a checkout that is not pip-installed). A
    ``weights_manifest.yaml`` next to ``app.py`` (a staged Space) replaces the built-in one.
    """
    from hub.plugins import BUILTIN_MANIFEST, Hub, set_default_hub

    manifest = BUILTIN_MANIFEST
    if here is not None and (Path(here) / "weights_manifest.yaml").is_file():
        manifest = Path(here) / "weights_manifest.yaml"
    eps = _entry_points()
    if all(name in eps and eps[name].value == module for name, module in plugins.items()):
        hub_ = Hub(allow=list(plugins), manifest=manifest)
    else:
        hub_ = Hub(entry_points=False, plugins=list(plugins.items()), manifest=manifest)
    if tabs is not None:
        for demo_id in [d for d, demo in hub_.demos.items() if demo.plugin not in tabs]:
            del hub_.demos[demo_id]
    set_default_hub(hub_)  # hub.get_model() in handlers sees the Space's models
    return hub_


def space_app(plugins: Mapping[str, str], *, tabs: Sequence[str] | None = None, here: Path | None = None,
              title: str = "GAN Hub") -> Any:
    """``build_app`` over :func:`space_hub`, with the queue settings of the hardware tier applied."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from hub.app import build_app

    return apply_queue_settings(build_app(hub=space_hub(plugins, tabs=tabs, here=here), title=title))


def preload_conversions(hub_: Any) -> threading.Thread | None:
    """Convert, once and in the background, the pinned upstream pickles among the weights this Space's
    demos may load (the files its ``preload_from_hub`` put in the HF cache): nobody runs
    ``ganhub weights convert`` on a Space. Progress goes to the log and to a line of the Plugins tab;
    a request for such a model meanwhile waits for its conversion rather than starting another.
    Returns the thread (None when there is nothing to convert)."""
    store = hub_.weights
    models, extra = _needs(hub_, list(hub_.demos.values()))
    ids = sorted({w for m in models for w in m.weights} | set(extra))
    todo = [w for w in ids if w in store and store.pinned_pickle(w) and store.status(w).where != "converted"]
    if not todo:
        return None
    index = len(hub_.notices)
    hub_.notices.append(f"Converting {len(todo)} pinned Hub weight(s) to safetensors in the background: "
                        f"{', '.join(todo)}")

    def line(text: str) -> None:
        hub_.notices[index] = text
        print(f"ganhub: {text}", file=sys.stderr, flush=True)

    def work() -> None:
        done = []
        for i, wid in enumerate(todo, 1):
            def report(text: str, i: int = i) -> None:
                line(f"start-up conversion {i}/{len(todo)}: {text}")

            try:
                if store.auto_convert(wid, report=report) is not None:
                    done.append(wid)
                else:
                    report(f"'{wid}' not converted (the Hub cannot be reached); it converts on first use")
            except Exception as exc:  # a sha256 mismatch: refused, said, and the other weights go on
                report(f"'{wid}' refused: {exc}")
        line(f"Start-up conversions: {len(done)} of {len(todo)} pinned Hub weight(s) converted"
             + (f" ({', '.join(done)})" if done else "") + "; see the log for the others." * (len(done) < len(todo)))

    thread = threading.Thread(target=work, name="ganhub-preload-conversions", daemon=True)
    thread.start()
    return thread


def launch_space(blocks: Any, **kwargs: Any) -> Any:
    """Serve like ``python app.py --mcp``: GRADIO_SERVER_NAME/PORT (Spaces sets 0.0.0.0:7860), no SSR, and
    Gradio's MCP server (every public action a tool; ``GRADIO_MCP_SERVER=false`` turns it off)."""
    for notice in blocks.ganhub.notices:
        print(f"ganhub: notice: {notice}", file=sys.stderr)
    for name, errors in blocks.ganhub.errors.items():
        print(f"ganhub: plugin {name!r}: {errors[0].splitlines()[0]}", file=sys.stderr)
    preload_conversions(blocks.ganhub)
    from hub.app import launch_settings, serve_settings

    mcp = os.environ.get("GRADIO_MCP_SERVER", "true").strip().lower() not in ("0", "false", "no", "off")
    for key, value in launch_settings(mcp=mcp and _mcp_available()).items():
        kwargs.setdefault(key, value)
    return serve_settings(blocks).launch(**kwargs)


def _mcp_available() -> bool:
    """Whether ``gradio[mcp]`` is installed (a Space's requirements carry it; an old one may not)."""
    import importlib.util

    return importlib.util.find_spec("mcp") is not None


def heavy_handlers(blocks: Any) -> list[str]:
    """``plugin api_name -> handler`` for every event on a compute queue (what ZeroGPU must wrap)."""
    import inspect

    from hub.app import COMPUTE_GROUPS

    rows = []
    for fn in blocks.fns.values():
        if fn.concurrency_id in COMPUTE_GROUPS and fn.fn is not None:
            target = inspect.unwrap(fn.fn)
            rows.append(f"{fn.api_name}: {getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}")
    return sorted(rows)


def stage_space(name: str, dest: Path | str, *, source: Path | str | None = None) -> list[str]:
    """Copy ``spaces/<name>/`` plus the manifest and the embedded weights (and cards) it needs into
    ``dest``: the folder to push as the Space repository (``hf upload owner/space dest --repo-type space``)."""
    source = Path(source) if source is not None else SPACES_DIR
    dest = Path(dest)
    folder = source / name
    if not (folder / "app.py").is_file():
        raise FileNotFoundError(f"{folder} has no app.py: run `ganhub spaces build` first")
    plans, skipped = plan_spaces(plugins=None if name == HUB_SPACE else [name], include_hub=name == HUB_SPACE)
    plan = next((p for p in plans if p.name == name), None)
    if plan is None:
        raise RuntimeError(f"cannot plan Space {name!r}: {skipped.get(name, 'unknown plugin')}")
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for file in ("app.py", "README.md", "requirements.txt"):
        shutil.copy2(folder / file, dest / file)
        copied.append(file)
    shutil.copy2(REPO_ROOT / "weights_manifest.yaml", dest / "weights_manifest.yaml")
    copied.append("weights_manifest.yaml")
    for w in plan.weights:
        if not w.embedded:
            continue
        for path in (REPO_ROOT / w.embedded, (REPO_ROOT / w.embedded).with_suffix(".md")):
            if path.is_file():
                target = dest / path.relative_to(REPO_ROOT)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target)
                copied.append(target.relative_to(dest).as_posix())
    return copied


# ----------------------------------------------------------------------------- command line
def _cmd_build(args: argparse.Namespace) -> int:
    plugins = [p for item in args.plugin or [] for p in item.split(",") if p]
    report = build_spaces(args.out, check=args.check, plugins=plugins or None, requirement=args.requirement,
                          include_hub=True if args.hub else None)
    for plugin, why in sorted(report.skipped.items()):
        print(f"skipped {plugin}: {why}" + ("" if plugins else " (its committed folder, if any, is left as is)"))
    for path in report.written:
        print(f"wrote {path}")
    if args.check:
        for path, summary in sorted(report.differing.items()):
            print(f"DIFFERS {path}:\n{summary}")
        for path in report.stale:
            print(f"STALE {path}: no plugin generates it any more (delete it)")
        if not report.ok:
            print(f"{len(report.differing)} file(s) differ from what `ganhub spaces build` generates; "
                  "run it and commit spaces/", file=sys.stderr)
            return 1
        print(f"spaces up to date ({len(report.unchanged)} files)")
    else:
        for path in report.stale:
            print(f"stale {path}: no plugin generates it any more (delete it)")
        print(f"{len(report.written)} file(s) written, {len(report.unchanged)} unchanged")
    if plugins and any(p in report.skipped for p in plugins):
        return 2
    return 0


def _cmd_stage(args: argparse.Namespace) -> int:
    for path in stage_space(args.name, args.dest):
        print(f"staged {path}")
    return 0


def add_spaces_cli(commands: Any) -> None:
    """``ganhub spaces build [--check] [--out DIR] [--plugin NAME]`` and ``ganhub spaces stage NAME DIR``."""
    spaces = commands.add_parser("spaces", help="generate the Hugging Face Spaces (spaces/*)")
    sub = spaces.add_subparsers(dest="spaces_command", required=True, metavar="ACTION")
    build = sub.add_parser("build", help="regenerate spaces/<plugin>/ and spaces/hub/ from the registry")
    build.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 with a diff summary when a committed file differs")
    build.add_argument("--out", type=Path, default=SPACES_DIR, help=f"output folder (default {SPACES_DIR})")
    build.add_argument("--plugin", action="append", metavar="NAME",
                       help="only this plugin (repeatable, or a comma list; third-party plugins too)")
    build.add_argument("--hub", action="store_true", help="with --plugin: also generate the hub Space")
    build.add_argument("--requirement", default=None,
                       help=f"how the Space installs GAN Hub (default {GANHUB_REQUIREMENT!r}; {{version}} is "
                            "replaced); for a deployment, not for the committed spaces/")
    build.set_defaults(func=_cmd_build)
    stage = sub.add_parser("stage", help="copy a Space folder + the embedded weights it needs, ready to push")
    stage.add_argument("name")
    stage.add_argument("dest", type=Path)
    stage.set_defaults(func=_cmd_stage)


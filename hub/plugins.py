"""The plugin manager: discovery through entry points, isolation, allow/block lists, status.

A :class:`Hub` is a pluggy ``PluginManager`` (project ``"ganhub"``) plus the registries
the plugins fill: weights (``hub.weights.WeightStore``), models (``hub.models.ModelRegistry``),
demos and trainers. Loading goes plugin by plugin and hook by hook, each step in its own
``try``: an import error, a raising hook, a duplicate id or a misspelled hook is recorded
on that plugin's :class:`PluginStatus` and the others carry on. ``strict=True`` turns
every such record into a :class:`PluginError` instead (CI, plugin authors, ``--strict``).

Plugins are found only through the entry-point group ``ganhub``; the built-ins are
declared in our own pyproject, exactly like a third-party package declares its own.
"""

from __future__ import annotations

import dataclasses
import difflib
import importlib
import logging
import os
import re
import threading
import time
import traceback
import types
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pluggy

import hub
from hub import hookspecs
from hub.api import INTERFACE_VGG_FEATURES, DatasetSpec, Demo, ModelSpec, TrainerSpec, WeightSpec
from hub.weights.env import BUILTIN_MANIFEST  # the core's own weights; each plugin registers its own

__all__ = [
    "ENTRY_POINT_GROUP",
    "BUILTIN_MANIFEST",
    "PluginError",
    "PluginStatus",
    "Hub",
    "get_hub",
    "set_default_hub",
    "reset_default_hub",
    "env_list",
    "get_model",
    "related_model",
    "models_for",
    "resolve_weight",
    "load_safetensors",
]

log = logging.getLogger("ganhub.plugins")

ENTRY_POINT_GROUP = "ganhub"
#: Pseudo-plugin under which the core's own registrations (the built-in manifest) are recorded.
CORE = "hub"

# Hooks in the order they are called: weights first, so models can be checked against them.
HOOKS = ("register_weights", "register_models", "register_demos", "register_trainers", "register_datasets")


def _vgg_builder(arch: str) -> Callable[[Mapping[str, Path]], Any]:
    def build(paths: Mapping[str, Path]) -> Any:
        from hub.nn.vgg import vgg_features  # resolves the ImageNet weights where reachable, else the embedded

        return vgg_features(arch)

    return build


def core_models() -> list[ModelSpec]:
    """What the core itself registers: the VGG feature taps that perceptual and style losses use."""
    return [ModelSpec(name=arch, family="vgg", interface=INTERFACE_VGG_FEATURES, build=_vgg_builder(arch),
                      weights=(f"{arch}-random",), related={"imagenet": f"{arch}-tv-in1k"},
                      description=f"{arch.upper()} feature taps of the losses: ImageNet weights from the Hub where "
                                  f"reachable, else the embedded seeded random {arch.upper()}")
            for arch in ("vgg19", "vgg16")]


class PluginError(RuntimeError):
    """A plugin failed while the hub runs in strict mode."""


@dataclass
class PluginStatus:
    """What the Plugins tab and ``ganhub plugins`` show for one plugin."""

    name: str
    version: str = ""
    source: str = ""  # "entry point plugins.srgan (ganhub 0.1.0)", "registered directly", ...
    state: str = "ok"  # "ok" | "error" | "disabled"
    load_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # each: a sentence, then the traceback if any
    registered: dict[str, list[str]] = field(
        default_factory=lambda: {"weights": [], "models": [], "demos": [], "trainers": [], "datasets": []}
    )

    @property
    def ok(self) -> bool:
        return self.state == "ok"

    def summary(self) -> str:
        """``"2 models, 1 demo"``: what the plugin registered, for tables."""
        parts = []
        for kind, ids in self.registered.items():
            if ids:
                word = kind if len(ids) != 1 else kind[:-1]
                parts.append(f"{len(ids)} {word}")
        return ", ".join(parts) or "nothing"


def env_list(name: str) -> list[str] | None:
    """Comma list from the environment; ``None`` when unset, ``[]`` when set but empty."""
    raw = os.environ.get(name)
    if raw is None:
        return None
    return [item.strip() for item in raw.split(",") if item.strip()]


def _plugin_default_name(plugin: Any) -> str:
    if isinstance(plugin, types.ModuleType):
        parts = plugin.__name__.split(".")
        # ``plugins.srgan.plugin`` is the srgan plugin's registration module: name it after its package
        return parts[-2] if parts[-1] == "plugin" and len(parts) > 1 else parts[-1]
    name = getattr(plugin, "name", None)
    if isinstance(name, str) and name:
        return name
    cls = plugin if isinstance(plugin, type) else type(plugin)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


def _plugin_dir(plugin: Any) -> Path | None:
    file = getattr(plugin, "__file__", None)
    if file is None:
        module = getattr(type(plugin), "__module__", None)
        file = getattr(importlib.import_module(module), "__file__", None) if module else None
    return Path(file).resolve().parent if file else None


class Hub:
    """Plugins and everything they registered.

    ``allow``/``block`` filter entry points by name (default: env ``GANHUB_PLUGINS``, an
    allowlist where set-but-empty means none, and ``GANHUB_DISABLE``). ``plugins`` are
    registered directly, after the entry points: modules, objects, ``(name, obj)`` pairs
    or dotted module paths (imported in their own try, like entry points).
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        plugins: Iterable[Any] = (),
        allow: Iterable[str] | None = None,
        block: Iterable[str] | None = None,
        strict: bool | None = None,
        manifest: str | Path | None = BUILTIN_MANIFEST,
        store: Any = None,
        cache_bytes: int | None = None,
        load: bool = True,
    ) -> None:
        from hub.models import ModelRegistry  # light: torch is imported on first load only
        from hub.weights import WeightStore

        if strict is None:
            strict = os.environ.get("GANHUB_STRICT", "").lower() in {"1", "true", "yes"}
        self.strict = strict
        self.allow = list(allow) if allow is not None else env_list("GANHUB_PLUGINS")
        self.block = list(block) if block is not None else (env_list("GANHUB_DISABLE") or [])
        self.use_entry_points = entry_points
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.statuses: dict[str, PluginStatus] = {}
        self.notices: list[str] = []  # hub-wide messages (unknown allowlist names, manifest problems)
        self.weights = store if store is not None else WeightStore()
        self.models = ModelRegistry(self.weights, cache_bytes=cache_bytes)
        self.demos: dict[str, Demo] = {}
        self.trainers: dict[str, TrainerSpec] = {}
        self.datasets: dict[str, DatasetSpec] = {}
        self.trace = os.environ.get("GANHUB_TRACE_PLUGINS", "").lower() in {"1", "true", "yes"}
        self._manifest = Path(manifest) if manifest is not None else None
        self._direct = list(plugins)
        self._lock = threading.RLock()
        self.loaded = False
        if load:
            self.load()

    # ------------------------------------------------------------------ loading
    def load(self) -> "Hub":
        """Discover, import and register every plugin once; safe to call again (no-op)."""
        with self._lock:
            if self.loaded:
                return self
            self.loaded = True
            core = self.statuses[CORE] = PluginStatus(CORE, hub.__version__, "the hub core")
            if self._manifest is not None:
                start = time.perf_counter()
                self._call_register(CORE, "weights", self._manifest)
                for spec in core_models():
                    if all(wid in self.weights for wid in spec.weights):
                        self._call_register(CORE, "models", spec)
                core.load_seconds = time.perf_counter() - start
            if self.use_entry_points:
                self._load_entry_points()
            for item in self._direct:
                name, plugin = item if isinstance(item, tuple) else (None, item)
                self._add_plugin(plugin, name=name, source="registered directly")
            self._register_all()
        return self

    def _load_entry_points(self) -> None:
        found = {}
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in found:
                if found[ep.name].value != ep.value:
                    self._error(ep.name, f"two packages declare the plugin name {ep.name!r}: "
                                f"{found[ep.name].value} and {ep.value}; the second is ignored")
                continue
            found[ep.name] = ep
        if self.allow is not None:
            for name in self.allow:
                if name not in found:
                    self.notices.append(
                        f"GANHUB_PLUGINS names {name!r}, but no installed package provides it "
                        f"(installed: {', '.join(sorted(found)) or 'none'})"
                    )
        for name, ep in found.items():
            dist = ep.dist
            version = dist.version if dist is not None else ""
            source = f"entry point {ep.value}" + (f" ({dist.name} {version})" if dist is not None else "")
            why = ""
            if name in self.block:
                why = "disabled by GANHUB_DISABLE"
            elif self.allow is not None and name not in self.allow:
                why = "not in GANHUB_PLUGINS"
            if why:
                self.statuses[name] = PluginStatus(name, version, f"{source}; {why}", state="disabled")
                continue
            status = self._status(name, version=version, source=source)
            start = time.perf_counter()
            try:
                plugin = ep.load()
            except Exception as exc:
                status.load_seconds = time.perf_counter() - start
                self._error(name, f"import of {ep.value} failed: {exc!r}", exc)
                continue
            status.load_seconds = time.perf_counter() - start
            self._register_with_pm(name, plugin)

    def _add_plugin(self, plugin: Any, *, name: str | None = None, source: str = "") -> str | None:
        label = name
        if isinstance(plugin, str):  # a dotted module path: import it like an entry point would
            path, label = plugin, label or plugin.rsplit(".", 1)[-1]
            status = self._status(label, source=f"module {path}")
            start = time.perf_counter()
            try:
                plugin = importlib.import_module(path)
            except Exception as exc:
                status.load_seconds = time.perf_counter() - start
                self._error(label, f"import of {path} failed: {exc!r}", exc)
                return None
            status.load_seconds = time.perf_counter() - start
        label = label or _plugin_default_name(plugin)
        status = self._status(label, source=source)
        if not status.version:
            status.version = str(getattr(plugin, "__version__", "") or "")
        return label if self._register_with_pm(label, plugin) else None

    def _register_with_pm(self, name: str, plugin: Any) -> bool:
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:  # wrong hook signature, the same object twice, a taken name
            self._error(name, f"pluggy refused the plugin: {exc}", exc)
            return False
        return True

    def _register_all(self) -> None:
        order = [name for name in self.statuses if self.pm.has_plugin(name)]
        for hook_name in HOOKS:
            caller = getattr(self.pm.hook, hook_name)
            kind = hook_name.split("_", 1)[1]
            impls = caller.get_hookimpls()
            for plugin_name in order:
                for impl in impls:
                    if impl.plugin_name != plugin_name:
                        continue
                    start = time.perf_counter()
                    register = self._make_register(plugin_name, kind)
                    if self.trace:
                        log.info("hook %s -> plugin %s (%s)", hook_name, plugin_name,
                                 getattr(impl.function, "__module__", "?"))
                    try:
                        impl.function(*[{"register": register}[arg] for arg in impl.argnames])
                    except PluginError:
                        raise
                    except Exception as exc:
                        self._error(plugin_name, f"hook {hook_name} raised {exc!r}", exc)
                    finally:
                        self.statuses[plugin_name].load_seconds += time.perf_counter() - start
        self._check_pending()
        self._check_model_weights()

    def _check_pending(self) -> None:
        """Like pluggy's ``check_pending``, but recorded per plugin instead of raised at the first."""
        known = [name for name in HOOKS]
        for name, caller in vars(self.pm.hook).items():
            if name.startswith("_") or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                close = difflib.get_close_matches(name, known, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                self._error(impl.plugin_name, f"{name!r} is not a ganhub hook, so it is never called.{hint} "
                            f"Hooks: {', '.join(known)}")

    def _check_model_weights(self) -> None:
        known = {spec.id for spec in self.weights.specs()}
        for spec in self.models.specs():
            missing = [wid for wid in spec.weights if wid not in known]
            if missing:
                self._error(spec.plugin, f"model {spec.name!r} needs weight ids that no plugin registered: "
                            f"{', '.join(missing)}")

    # -------------------------------------------------------------- registering
    def _make_register(self, plugin: str, kind: str) -> Callable[[Any], None]:
        def register(item: Any) -> None:
            self._call_register(plugin, kind, item)

        register.__name__ = f"register_{kind}"
        return register

    def _call_register(self, plugin: str, kind: str, item: Any) -> None:
        """One ``register(item)`` call; a refusal is recorded on ``plugin`` (raised when strict)."""
        try:
            getattr(self, f"_add_{kind}")(plugin, item)
        except PluginError:
            raise
        except Exception as exc:
            what = getattr(item, "id", None) or getattr(item, "name", None) or item
            self._error(plugin, f"register {kind[:-1]} {what!r} refused: {exc}", exc, tb=False)

    def _add_weights(self, plugin: str, item: WeightSpec | str | Path) -> None:
        status = self.statuses[plugin]
        if isinstance(item, WeightSpec):
            self.weights.add(item, plugin=plugin)
            status.registered["weights"].append(item.id)
        elif isinstance(item, (str, Path)):
            path = Path(item)
            if not path.is_absolute():  # relative manifests are relative to the plugin's package
                base = _plugin_dir(self.pm.get_plugin(plugin)) if self.pm.has_plugin(plugin) else None
                path = (base or Path.cwd()) / path
            before = {spec.id for spec in self.weights.specs()}
            try:
                self.weights.add_manifest(path, plugin=plugin)
            finally:  # a manifest can add some entries and then refuse a duplicate
                status.registered["weights"] += [s.id for s in self.weights.specs() if s.id not in before]
        else:
            raise TypeError(f"expected a WeightSpec or a manifest path, got {type(item).__name__}")

    def _add_models(self, plugin: str, item: ModelSpec) -> None:
        if not isinstance(item, ModelSpec):
            raise TypeError(f"expected a ModelSpec, got {type(item).__name__}")
        self.models.add(dataclasses.replace(item, plugin=plugin, offline=self._works_offline(item)))
        self.statuses[plugin].registered["models"].append(item.name)

    def _works_offline(self, spec: ModelSpec) -> bool:
        """Derived from the weights, not declared: every weight the model needs is registered with an
        embedded copy (weights register before models, so all of them are known here). A model with no
        weight files keeps what its plugin says."""
        if not spec.weights:
            return spec.offline
        return all(wid in self.weights and self.weights.spec(wid).embedded for wid in spec.weights)

    def _add_demos(self, plugin: str, item: Demo) -> None:
        if not isinstance(item, Demo):
            raise TypeError(f"expected a Demo, got {type(item).__name__}")
        if item.id in self.demos:
            raise ValueError(f"demo id {item.id!r} is already registered by plugin {self.demos[item.id].plugin!r}")
        self.demos[item.id] = dataclasses.replace(item, plugin=plugin)
        self.statuses[plugin].registered["demos"].append(item.id)

    def _add_named(self, plugin: str, item: Any, kind: type, registry: dict, what: str, key: str) -> None:
        """Add a command spec (a trainer, a dataset builder) under its unique ``name``."""
        if not isinstance(item, kind):
            raise TypeError(f"expected a {kind.__name__}, got {type(item).__name__}")
        if item.name in registry:
            raise ValueError(f"{what} {item.name!r} is already registered by plugin {registry[item.name].plugin!r}")
        registry[item.name] = dataclasses.replace(item, plugin=plugin)
        self.statuses[plugin].registered[key].append(item.name)

    def _add_trainers(self, plugin: str, item: TrainerSpec) -> None:
        self._add_named(plugin, item, TrainerSpec, self.trainers, "trainer", "trainers")

    def _add_datasets(self, plugin: str, item: DatasetSpec) -> None:
        self._add_named(plugin, item, DatasetSpec, self.datasets, "dataset", "datasets")

    # ----------------------------------------------------------------- status
    def _status(self, name: str, *, version: str = "", source: str = "") -> PluginStatus:
        status = self.statuses.get(name)
        if status is None:
            status = self.statuses[name] = PluginStatus(name, version, source)
        return status

    def _error(self, plugin: str, message: str, exc: BaseException | None = None, *, tb: bool = True) -> None:
        """Record ``message`` (and the traceback of ``exc``) on ``plugin``; raise when strict."""
        status = self._status(plugin or "unknown")
        text = message
        if exc is not None and tb:
            text += "\n" + "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()
        status.errors.append(text)
        status.state = "error"
        if self.strict:
            raise PluginError(f"plugin {plugin!r}: {message}") from exc

    def record_error(self, plugin: str, message: str, exc: BaseException | None = None) -> None:
        """Record a failure found after loading (e.g. a tab build in ``build_app``)."""
        self._error(plugin, message, exc)

    @property
    def errors(self) -> dict[str, list[str]]:
        """``{plugin: [error, ...]}`` for every plugin with at least one error."""
        return {name: s.errors for name, s in self.statuses.items() if s.errors}

    def sorted_demos(self) -> list[Demo]:
        """Demos in tab order: by ``(order, id)``."""
        return sorted(self.demos.values(), key=lambda demo: (demo.order, demo.id))

    def get_model(self, name: str, device: Any = None) -> Any:
        return self.models.get_model(name, device)

    def models_for(self, interface: str) -> list[str]:
        return self.models.models_for(interface)

    def __repr__(self) -> str:
        states = ", ".join(f"{n}:{s.state}" for n, s in self.statuses.items())
        return f"<Hub {states}>"


# ------------------------------------------------------------ process-wide default
_default: Hub | None = None
_default_lock = threading.RLock()
_building = threading.local()


def get_hub() -> Hub:
    """The process-wide hub, built on first use from the installed entry points and the env."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                if getattr(_building, "active", False):  # a hook asked for the hub it is part of
                    raise RuntimeError("get_hub() was called while the hub is still loading its plugins "
                                       "(from a hook?); resolve weights and load models on first use instead")
                _building.active = True
                try:
                    _default = Hub()
                finally:
                    _building.active = False
    return _default


def set_default_hub(new: Hub | None) -> Hub | None:
    """Install ``new`` as the process-wide hub (``None`` clears it); returns the previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, new
    return previous


def reset_default_hub() -> None:
    set_default_hub(None)


# ------------------------------------------------- facades over the process-wide hub
# The one Hub is built here and handed down (to the app shell, the CLI, the Spaces); these thin
# facades are for scripts and notebooks, and are what ``hub.get_model`` and friends resolve to.
def get_model(name: str, device: Any = None) -> Any:
    """Load (once) and return the model registered as ``name`` in the process-wide hub."""
    return get_hub().models.get_model(name, device)


def related_model(name: str, role: str, device: Any = None) -> Any | None:
    """The process-wide hub's companion of ``name`` in ``role`` (e.g. its "encoder"), or None."""
    return get_hub().models.related_model(name, role, device)


def models_for(interface: str) -> list[str]:
    """Names of the process-wide hub's models that implement ``interface``, default first."""
    return get_hub().models.models_for(interface)


def resolve_weight(weight_id: str) -> Path:
    """Verified local path of a weight registered in the process-wide hub."""
    return get_hub().weights.resolve(weight_id)


def load_safetensors(id_or_path: str | Path, device: str = "cpu") -> dict[str, Any]:
    """Tensors of a safetensors file, or of a weight id registered in the process-wide hub."""
    from hub.weights import load_safetensors as load

    return load(id_or_path, device=device, store=get_hub().weights)


def describe(statuses: Mapping[str, PluginStatus]) -> list[list[str]]:
    """Rows ``[name, version, load ms, state, registered, first error line]`` for tables."""
    rows = []
    for status in statuses.values():
        first = status.errors[0].splitlines()[0] if status.errors else ""
        if status.state == "disabled":
            first = status.source.rsplit("; ", 1)[-1]
        rows.append([status.name, status.version, f"{status.load_seconds * 1000:.0f}", status.state,
                     status.summary(), first])
    return rows

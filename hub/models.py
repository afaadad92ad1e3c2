"""Models: the registry of specs, loading on first use, a byte-bounded LRU cache, the device.

Nothing here imports torch at module level: ``import hub.models`` is cheap, and torch
is loaded by the first :func:`choose_device` or :meth:`ModelRegistry.get_model` call.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from hub.api import ModelSpec

if TYPE_CHECKING:
    import torch

__all__ = [
    "DEFAULT_CACHE_MB",
    "DuplicateModelError",
    "UnknownModelError",
    "ModelRegistry",
    "module_nbytes",
    "choose_device",
    "gpu",
]

log = logging.getLogger(__name__)
DEFAULT_CACHE_MB = 2048
_F = TypeVar("_F", bound=Callable[..., Any])


class DuplicateModelError(ValueError):
    """A second model spec under a name that is already taken."""


#: Exceptions a builder raises on a damaged or mismatched weight file (safetensors, torch, Python).
_UNREADABLE = {"SafetensorError", "HeaderTooLarge", "RuntimeError", "OSError", "ValueError", "EOFError",
               "KeyError", "UnpicklingError"}


class UnknownModelError(KeyError):
    """No model is registered under that name."""

    def __str__(self) -> str:  # KeyError quotes its message; we want a plain sentence
        return str(self.args[0]) if self.args else ""


def module_nbytes(model: Any) -> int:
    """Bytes held by a module's parameters and buffers (0 for objects that are not modules)."""
    tensors = []
    if hasattr(model, "parameters") and hasattr(model, "buffers"):
        tensors = [*model.parameters(), *model.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def apply_thread_setting() -> int | None:
    """Env ``GANHUB_THREADS`` (``--threads``) -> ``torch.set_num_threads``; called before a model loads.

    Why: torch uses one OpenMP thread per core, and when other processes hold the cores those
    threads wait for each other at every op (measured here: 2 threads 5-15x slower than 1 under load).
    """
    value = os.environ.get("GANHUB_THREADS", "").strip()
    if not value:
        return None
    try:
        threads = int(value)
    except ValueError:
        raise RuntimeError(f"GANHUB_THREADS must be a whole number of threads, not {value!r}") from None
    if threads < 1:
        raise RuntimeError(f"GANHUB_THREADS must be at least 1, not {threads}")
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def choose_device(preferred: "str | torch.device | None" = None) -> "torch.device":
    """``preferred`` (or env ``GANHUB_DEVICE``) when given and not ``"auto"``; else CUDA, MPS, CPU.

    A device that was asked for explicitly but is not there raises a RuntimeError that
    says so, rather than silently running somewhere else.
    """
    import torch

    wanted = preferred if preferred is not None else os.environ.get("GANHUB_DEVICE") or "auto"
    if isinstance(wanted, torch.device):
        return wanted
    wanted = str(wanted).strip().lower()
    if wanted != "auto":
        device = torch.device(wanted)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {wanted!r} was requested, but CUDA is not available here; use 'cpu' or 'auto'")
        if device.type == "mps" and not (torch.backends.mps.is_available()):
            raise RuntimeError(f"device {wanted!r} was requested, but MPS is not available here; use 'cpu' or 'auto'")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def _cache_bytes_from_env() -> int:
    raw = os.environ.get("GANHUB_MODEL_CACHE_MB", "").strip()
    megabytes = float(raw) if raw else DEFAULT_CACHE_MB
    return int(megabytes * 1024 * 1024)


class ModelRegistry:
    """Model specs by name, and the modules loaded from them.

    Loaded modules are kept in an LRU cache keyed by ``(name, device)`` and bounded by
    the bytes of their parameters and buffers (``cache_bytes``, default env
    ``GANHUB_MODEL_CACHE_MB`` or 2048 MB). The most recently loaded module always stays,
    even when it alone is over the bound. Thread-safe: concurrent requests for the same
    model load it once.
    """

    def __init__(self, store: Any, cache_bytes: int | None = None) -> None:
        self.store = store
        self.cache_bytes = cache_bytes if cache_bytes is not None else _cache_bytes_from_env()
        self._specs: dict[str, ModelSpec] = {}
        self._cache: OrderedDict[tuple[str, str], tuple[Any, int]] = OrderedDict()
        self._lock = threading.RLock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        self.loads = 0  # how many times a builder ran (tests and the Plugins tab read it)

    # ---------------------------------------------------------------- specs
    def add(self, spec: ModelSpec) -> None:
        with self._lock:
            if spec.name in self._specs:
                owner = self._specs[spec.name].plugin
                raise DuplicateModelError(f"model {spec.name!r} is already registered by plugin {owner!r}")
            self._specs[spec.name] = spec

    def spec(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise UnknownModelError(f"no model is registered as {name!r} (registered: {known})") from None

    def specs(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def names(self) -> list[str]:
        return list(self._specs)

    def models_for(self, interface: str) -> list[str]:
        """Names registered under ``interface``; models that work offline come first (the default)."""
        matching = [spec for spec in self._specs.values() if spec.interface == interface]
        return [spec.name for spec in sorted(matching, key=lambda spec: not spec.offline)]

    # -------------------------------------------------------------- loading
    def get_model(self, name: str, device: "str | torch.device | None" = None) -> Any:
        """The module built from ``name``'s verified weights, on ``device``, in eval mode, frozen."""
        spec = self.spec(name)
        apply_thread_setting()
        target = choose_device(device)
        key = (name, str(target))
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key][0]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:  # one load per key; others wait for it and then find it cached
            with self._lock:
                if key in self._cache:
                    self._cache.move_to_end(key)
                    return self._cache[key][0]
            paths = {weight_id: self.store.resolve(weight_id) for weight_id in spec.weights}
            try:
                model = spec.build(paths)
            except Exception as exc:
                # A file that passed its sha256 check (or a user override, which has none) but does not
                # load: say which model and files, plainly, rather than a safetensors traceback.
                from hub.weights import WeightUnavailable

                if isinstance(exc, WeightUnavailable) or type(exc).__name__ not in _UNREADABLE:
                    raise
                files = ", ".join(str(p) for p in paths.values())
                raise WeightUnavailable(f"The weights of model '{name}' could not be read ({files}): "
                                        f"{str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__}. "
                                        "Replace or remove the file and try again.", next(iter(paths), None)) from exc
            if hasattr(model, "to") and hasattr(model, "parameters"):
                model = model.to(target).eval()
                for parameter in model.parameters():
                    parameter.requires_grad_(False)
            nbytes = module_nbytes(model)
            with self._lock:
                self.loads += 1
                self._cache[key] = (model, nbytes)
                self._evict(keep=key)
                self._loading.pop(key, None)
            log.info("loaded model %s on %s (%.1f MB)", name, target, nbytes / 2**20)
        return model

    def related_model(self, name: str, role: str, device: "str | torch.device | None" = None) -> Any | None:
        """``name``'s companion model in ``role`` (``ModelSpec.related``: "encoder", "classifier", ...),
        loaded like ``get_model``; None when ``name`` names no such companion. Load errors propagate."""
        companion = self.spec(name).related.get(role)
        return self.get_model(companion, device) if companion else None

    def _evict(self, keep: tuple[str, str]) -> None:
        while self.cached_bytes() > self.cache_bytes and len(self._cache) > 1:
            oldest = next(iter(self._cache))
            if oldest == keep:
                self._cache.move_to_end(oldest)
                continue
            del self._cache[oldest]
            log.info("evicted model %s on %s from the cache", *oldest)

    def cached(self) -> list[tuple[str, str]]:
        """``(name, device)`` keys of loaded modules, least recently used first."""
        with self._lock:
            return list(self._cache)

    def cached_bytes(self) -> int:
        with self._lock:
            return sum(nbytes for _, nbytes in self._cache.values())

    def clear(self) -> None:
        with self._lock:
            self._cache.clear()


def _zero_gpu() -> Any | None:
    """The ``spaces`` module on a ZeroGPU Space, else None (no hard dependency on it)."""
    if not os.environ.get("SPACES_ZERO_GPU") or importlib.util.find_spec("spaces") is None:
        return None
    try:
        import spaces
    except Exception:  # a broken install must not take the hub down
        log.warning("SPACES_ZERO_GPU is set but the spaces package does not import; running without it")
        return None
    if not callable(getattr(spaces, "GPU", None)):
        # e.g. this repo's own spaces/ folder shadowing the package when run from a checkout
        log.warning("SPACES_ZERO_GPU is set but %s is not Hugging Face's spaces package", spaces.__file__)
        return None
    return spaces


#: Set on every handler that went through ``gpu``, so the app shell does not wrap it twice.
GPU_MARK = "_ganhub_gpu"


def gpu(duration: "int | float | Callable[..., int | float]" = 60) -> Callable[[_F], _F]:
    """Decorate a GPU-bound handler: ``spaces.GPU(duration=...)`` on a ZeroGPU Space, else nothing.

    ``duration`` is seconds, or a callable that gets the handler's arguments and returns
    seconds (ZeroGPU's dynamic duration). Elsewhere the handler is returned unchanged, so a
    generator stays a generator and Gradio still streams it.
    """
    if not (callable(duration) or isinstance(duration, (int, float))):
        raise TypeError(f"duration must be seconds or a callable, got {type(duration).__name__}")
    spaces = _zero_gpu()

    def decorate(fn: _F) -> _F:
        if getattr(fn, GPU_MARK, False):
            return fn  # already decorated by its plugin, with its own duration
        wrapped = fn if spaces is None else spaces.GPU(duration=duration)(fn)  # generators stay generators
        try:
            setattr(wrapped, GPU_MARK, True)
        except (AttributeError, TypeError):  # builtins and some callables refuse attributes
            pass
        return wrapped

    return decorate

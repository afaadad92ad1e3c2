"""Per-request budgets: refuse what would cost more than the machine allows, stop what runs past it.

A demo declares what each heavy action costs on the reference machine (``Demo.budgets``: a
``hub.api.Budget`` or a function of the handler's arguments by parameter name). The app shell wraps
every heavy event with ``budgeted(fn, declared)``, so that, before any work:

* the declared cost is scaled to this machine (``expected``) and compared with its limits
  (``limits()``): a request expected to take longer than ``GANHUB_BUDGET_SECONDS`` or to allocate more
  than ``GANHUB_BUDGET_MEMORY_MB`` is refused with a sentence naming the limit;
* the server's resident memory plus the request's is compared with the process ceiling
  ``GANHUB_MAX_RSS_MB``: past it the request is refused (the server never grows past it by our doing);

and while it runs, its ``Deadline`` of ``GANHUB_BUDGET_SECONDS`` sets the job's stop flag once passed
(``hub.nn.stop``: checked at every module call), so the job ends as after a Stop, ``hub.ui.stream``
keeping the run's result so far; a generator that calls no module is closed between two yields. The
tab kit's "expected time on this machine" comes from ``expected_for`` and ``expected_text``.

Defaults: on a CPU, the reference machine itself (a 2-core CPU with 24 GiB shared by several users):
300 s and 4 GiB per request, a ceiling of half the machine's memory up to 12 GiB. On CUDA (a ZeroGPU
slice included) the reference seconds are divided by ``GANHUB_BUDGET_SPEEDUP`` (default 10, the ratio
of the reference step costs to ``hub.api.GPU_SECONDS_PER_STEP`` rounded down), with 300 s (ZeroGPU's
own ceiling, ``hub.api.MAX_GPU_SECONDS``) and 16 GiB per request.
"""

from __future__ import annotations

import functools
import gc
import inspect
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from hub.api import MAX_GPU_SECONDS, Budget

__all__ = ["Limits", "Deadline", "limits", "estimate", "expected", "expected_text", "admit", "budgeted",
           "rss_bytes", "register", "expected_for", "session_folders", "remove_session_files", "on_session_end",
           "check_params"]

GIB = 1 << 30
#: Past its deadline, a generator that does not check it itself (``hub.ui.stream`` does) is closed
#: after this many more seconds, so a run that checks can still hand back its result.
GRACE_SECONDS = 5.0


def _env_float(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if math.isfinite(value) and value > 0 else default


def _total_memory() -> float:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return 24.0 * GIB


def _device() -> str:
    """"zerogpu", "cuda" or "cpu", without importing torch where it is not loaded yet."""
    if os.environ.get("SPACES_ZERO_GPU"):
        return "zerogpu"
    wanted = (os.environ.get("GANHUB_DEVICE") or "").lower()
    if wanted.startswith(("cpu", "cuda")):
        return wanted[:4]
    torch = sys.modules.get("torch")  # loaded by the first event; before it (a tab's time hint), say cpu
    try:
        return "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
    except Exception:
        return "cpu"


@dataclass(frozen=True)
class Limits:
    """One request's limits on this machine, and the server's memory ceiling."""

    device: str
    seconds: float
    memory_bytes: float
    max_rss_bytes: float
    speedup: float


def limits() -> Limits:
    """This machine's limits, read from the environment now."""
    device = _device()
    cpu = device == "cpu"
    return Limits(
        device=device,
        seconds=_env_float("GANHUB_BUDGET_SECONDS", 300.0 if cpu else float(MAX_GPU_SECONDS)),
        memory_bytes=_env_float("GANHUB_BUDGET_MEMORY_MB", 4096 if cpu else 16384) * 2**20,
        max_rss_bytes=_env_float("GANHUB_MAX_RSS_MB", min(12 * 1024, _total_memory() / 2 / 2**20)) * 2**20,
        speedup=1.0 if cpu else _env_float("GANHUB_BUDGET_SPEEDUP", 10.0),
    )


def estimate(declared: Any, **arguments: Any) -> Budget | None:
    """The declared cost on the reference machine: a ``Budget`` as is, a function called with the
    handler's arguments by name; None when nothing is declared."""
    if declared is None:
        return None
    value = declared(**arguments) if callable(declared) else declared
    if isinstance(value, (int, float)):
        value = Budget(float(value))
    seconds, memory = float(value.seconds), float(value.memory_bytes)
    return Budget(seconds if math.isfinite(seconds) else math.inf, memory if math.isfinite(memory) else math.inf)


def expected(declared: Any, **arguments: Any) -> Budget | None:
    """The declared cost on this machine (seconds divided by its speed-up over the reference)."""
    cost = estimate(declared, **arguments)
    if cost is None:
        return None
    return Budget(cost.seconds / limits().speedup, cost.memory_bytes)


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds > 7 * 86400:
        return "more than a week"
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _size(nbytes: float) -> str:
    return "more than a terabyte" if not math.isfinite(nbytes) or nbytes > 1024 * GIB else f"{nbytes / GIB:.1f} GB"


def expected_text(cost: Budget | None) -> str:
    """"about 40 s on this machine (cpu)", for a tab to show beside its Run button."""
    if cost is None:
        return ""
    return f"about {_duration(cost.seconds)} on this machine ({limits().device})"


# --------------------------------------------------------------------------- admission


def rss_bytes() -> float:
    """The server process's resident memory now (Linux /proc; elsewhere its peak so far)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return float(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return float(peak if sys.platform == "darwin" else peak * 1024)


def admit(cost: Budget | None, what: str = "This request") -> "Deadline":
    """Refuse (``gr.Error``) a request whose cost on this machine is over its limits, or that would take
    the server past its memory ceiling; otherwise its deadline."""
    import gradio as gr

    limit = limits()
    if cost is not None:
        if cost.seconds > limit.seconds:
            raise gr.Error(f"{what} would take {_duration(cost.seconds)} on this machine ({limit.device}), over its "
                           f"time budget of {_duration(limit.seconds)} per request (GANHUB_BUDGET_SECONDS): "
                           "use fewer steps, a smaller image, batch or blur, or a larger tile.")
        if cost.memory_bytes > limit.memory_bytes:
            raise gr.Error(f"{what} would need about {_size(cost.memory_bytes)} of memory, over the budget of "
                           f"{_size(limit.memory_bytes)} per request (GANHUB_BUDGET_MEMORY_MB): use a smaller "
                           "image, batch, tile or blur.")
    need = cost.memory_bytes if cost is not None and limit.device == "cpu" else 0.0  # else device memory
    if rss_bytes() + need > limit.max_rss_bytes:
        gc.collect()  # freed tensors of earlier requests may still be waiting for the collector
        now = rss_bytes()
        if now + need > limit.max_rss_bytes:
            raise gr.Error(f"The server is using {_size(now)} of its {_size(limit.max_rss_bytes)} memory ceiling "
                           f"(GANHUB_MAX_RSS_MB){f' and this request needs about {_size(need)} more' if need else ''}; "
                           "try again in a moment or with smaller settings.")
    return Deadline(limit.seconds)


# --------------------------------------------------------------------------- deadlines


class Deadline:
    """A request's time budget, from its start: ``expired()`` once ``seconds`` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.start = time.monotonic()
        self.tripped = False  # the budget stopped the job (not the user, not its own end)

    def remaining(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def expired(self) -> bool:
        return self.remaining() <= 0

    def notice(self) -> str:
        return (f"Stopped at the time budget of {_duration(self.seconds)} per request (GANHUB_BUDGET_SECONDS); "
                "the result so far is kept where the tab can keep it.")


def _stop_kit() -> Any:
    """``hub.nn.stop`` (the Stop button's flag, checked at every module call), or None without it."""
    try:
        from hub.nn import stop
    except ImportError:
        return None
    return stop


def _deadline_scope(deadline: Deadline) -> Any:
    """A stop scope whose flag is set when the user stops the job (the shell's own flag, if any) or
    when ``deadline`` expires: a torch job then ends at its next module call, a loop that calls
    ``hub.nn.stop.check_stop()`` at its next step, and a streaming run keeps the state it reached."""
    import contextlib

    stop = _stop_kit()
    if stop is None:
        return contextlib.nullcontext()
    outer = getattr(stop, "_current", lambda: None)()  # the Stop button's flag of this job

    class DeadlineFlag(stop.StopFlag):
        def is_set(self) -> bool:
            if outer is not None and outer.is_set():
                return True
            if deadline.expired():
                deadline.tripped = True
                return True
            return False

    return stop.stop_scope(DeadlineFlag())


def _stopped_type() -> type[BaseException]:
    stop = _stop_kit()
    return stop.RunStopped if stop is not None else _NeverRaised


class _NeverRaised(BaseException):
    pass


# --------------------------------------------------------------------------- session files


_SESSIONS: dict[str, set[str]] = {}
OUTPUT_PREFIX = "ganhub-out-"  # hub.images' output root: each result folder is one level under it


def _session_hash() -> str | None:
    try:
        from gradio.context import LocalContext

        request = LocalContext.request.get(None)
    except Exception:
        return None
    return getattr(request, "session_hash", None) if request is not None else None


def _result_folders(value: Any, found: set[str], depth: int = 0) -> set[str]:
    """Result folders (of ``hub.images.output_folder``) named by the paths inside a handler's output."""
    if depth > 4:
        return found
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if len(text) < 4096 and OUTPUT_PREFIX in text:
            folder = Path(text).parent
            if folder.parent.name.startswith(OUTPUT_PREFIX):
                found.add(str(folder))
    elif isinstance(value, dict):
        for item in value.values():
            _result_folders(item, found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for item in value[:256]:
            _result_folders(item, found, depth + 1)
    elif hasattr(value, "path") and not isinstance(value, type):
        _result_folders(getattr(value, "path", None), found, depth + 1)
    return found


def _remember(session: str | None, output: Any) -> None:
    if session:
        folders = _result_folders(output, set())
        if folders:
            _SESSIONS.setdefault(session, set()).update(folders)


def session_folders(session: str) -> set[str]:
    """The result folders handed to one session so far."""
    return set(_SESSIONS.get(session, ()))


def remove_session_files(request: Any = None) -> int:
    """Remove the result folders of the session that ended (the app's ``unload`` listener); returns how
    many. Gradio's own copies are swept by ``delete_cache`` (``hub.app.serve_settings``)."""
    session = getattr(request, "session_hash", None) if request is not None else None
    removed = 0
    for folder in _SESSIONS.pop(session, set()) if session else ():
        if Path(folder).parent.name.startswith(OUTPUT_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def on_session_end(request: Any = None) -> None:
    """The app's ``unload`` listener: ``remove_session_files``, returning nothing (it has no outputs)."""
    remove_session_files(request)


# --------------------------------------------------------------------------- the wrapper


_DECLARED: dict[str, Any] = {}


def register(api_name: str, declared: Any) -> None:
    """Remember an action's declaration under its api name (the shell does this), for ``expected_for``."""
    _DECLARED[api_name] = declared


def expected_for(api_name: str, **arguments: Any) -> Budget | None:
    """``expected`` for a registered api name (``"srgan_upscale"``), e.g. for a tab's time hint."""
    return expected(_DECLARED.get(api_name), **arguments)


def _arguments(signature: inspect.Signature | None, args: tuple, kwargs: dict) -> dict[str, Any]:
    if signature is None:
        return {}
    try:
        return dict(signature.bind_partial(*args, **kwargs).arguments)
    except TypeError:
        return {}


def _cost(declared: Any, signature: inspect.Signature | None, args: tuple, kwargs: dict) -> Budget | None:
    import gradio as gr

    try:
        return expected(declared, **_arguments(signature, args, kwargs))
    except gr.Error:
        raise
    except Exception as exc:  # a declaration that cannot judge these values: the handler will say why
        if isinstance(exc, (OverflowError, MemoryError)):
            return Budget(math.inf, math.inf)
        return None


def _declared_params(declared: Any) -> tuple[str, ...]:
    """The handler parameters a declaration reads: ``params`` of ``hub.steps_budget``'s, else the named
    parameters of a plain function (its ``**_`` takes the others)."""
    if hasattr(declared, "params"):
        return tuple(declared.params)
    if not inspect.isfunction(declared):
        return ()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return tuple(name for name, p in inspect.signature(declared).parameters.items() if p.kind in kinds)


def check_params(handler: Callable[..., Any], declared: Any) -> None:
    """Raise ``ValueError`` when a declaration names parameters that ``handler`` does not take."""
    try:
        names = inspect.signature(handler).parameters
    except (TypeError, ValueError):
        return
    missing = [name for name in _declared_params(declared) if name not in names]
    if missing:
        raise ValueError(f"budgets names parameters {missing} that {getattr(handler, '__name__', handler)} "
                         f"does not take (it takes {list(names)})")


def budgeted(fn: Callable[..., Any], declared: Any = None) -> Callable[..., Any]:
    """``fn`` behind the budget: refused before it starts when over the limits, stopped at its deadline
    (each step runs in a ``_deadline_scope``), its result folders remembered for its session. A
    generator that does not end within ``GRACE_SECONDS`` of its deadline is closed between two yields.
    A generator stays a generator, and the signature (Gradio reads ``progress`` and request parameters
    from it) stays ``fn``'s."""
    try:
        signature: inspect.Signature | None = inspect.signature(fn)
    except (TypeError, ValueError):
        signature = None
    stopped = _stopped_type()

    def warn_if_tripped(deadline: Deadline) -> None:
        if deadline.tripped:
            import gradio as gr

            gr.Warning(deadline.notice())

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream_within(*args: Any, **kwargs: Any) -> Iterator[Any]:
            deadline = admit(_cost(declared, signature, args, kwargs))
            session = _session_hash()
            inner = fn(*args, **kwargs)
            sentinel = object()
            try:
                while True:
                    try:
                        with _deadline_scope(deadline):  # per step: each may run on another worker thread
                            item = next(inner, sentinel)
                    except stopped:
                        warn_if_tripped(deadline)
                        raise
                    if item is sentinel:
                        warn_if_tripped(deadline)
                        return
                    _remember(session, item)
                    yield item
                    if deadline.remaining() < -GRACE_SECONDS:
                        deadline.tripped = True
                        warn_if_tripped(deadline)
                        return
            finally:
                inner.close()

        return stream_within

    @functools.wraps(fn)
    def call_within(*args: Any, **kwargs: Any) -> Any:
        deadline = admit(_cost(declared, signature, args, kwargs))
        session = _session_hash()
        try:
            with _deadline_scope(deadline):
                output = fn(*args, **kwargs)
        except stopped:
            warn_if_tripped(deadline)
            raise
        _remember(session, output)
        return output

    return call_within

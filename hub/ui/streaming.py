"""Long jobs in a tab: progress, previews, and a Stop that stops within one layer's time.

* ``stream(run, progress, finish, n_extra)`` drives a streaming run (``hub.nn.inversion.StreamingRun``
  or any generator of progress items) from a Gradio generator handler: a preview and a status line
  per item, then ``finish(result)``. After a Stop, ``finish`` gets the partial result (an inversion's
  latent at the step reached, ``completed=False``), so the user keeps what the run had found.
* ``stop_button(button, *events)`` makes ``button`` stop those events for the session that pressed it:
  it sets the job's stop flag, the job's thread raises ``hub.nn.stop.RunStopped`` at its next module
  call, and the job ends, freeing its queue slot, within a fraction of a second. Use it instead of
  ``button.click(None, None, None, cancels=[event])``: Gradio's ``cancels`` interrupts a generator only
  between two yields (seconds apart), lets a plain function run to its end, and throws away the
  generator's partial result.
* ``stoppable(fn, ...)``: the app shell wraps every event handler with it (``build_app``), so each job
  runs inside its own stop scope; tabs do not call it.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from typing import Any, Callable, Iterator

import gradio as gr

from hub.ui.components import show

__all__ = ["stream", "stop_button", "stoppable", "request_stop", "STOP_CONCURRENCY_ID", "finished", "with_before",
           "quiet"]

#: The Stop buttons' own concurrency group: a Stop never queues behind the job it stops.
STOP_CONCURRENCY_ID = "ganhub-stop"

_jobs_lock = threading.Lock()
#: (session hash, event fn id) -> the stop flag of that session's running job of that event
_jobs: dict[tuple[str, int], Any] = {}


def _session() -> str | None:
    from gradio.context import LocalContext

    request = LocalContext.request.get(None)
    return getattr(request, "session_hash", None) if request is not None else None


def _begin(fn_id: int) -> tuple[tuple[str, int] | None, Any]:
    from hub.nn.stop import StopFlag

    flag = StopFlag()
    session = _session()
    key = (session, fn_id) if session else None
    if key is not None:
        with _jobs_lock:
            _jobs[key] = flag  # a new job of this event in this session: an old Stop does not stop it
    return key, flag


def _end(key: tuple[str, int] | None, flag: Any) -> None:
    if key is not None:
        with _jobs_lock:
            if _jobs.get(key) is flag:
                del _jobs[key]


def request_stop(session: str, fn_ids: Any = None) -> int:
    """Set the stop flag of ``session``'s running jobs of ``fn_ids`` (None: all of them); returns how many."""
    with _jobs_lock:
        flags = [flag for (s, fid), flag in _jobs.items() if s == session and (fn_ids is None or fid in fn_ids)]
    for flag in flags:
        flag.set()
    return len(flags)


def _fn_ids(events: Any) -> set[int]:
    """The ids of the events' functions: a Gradio 6 ``Dependency`` (what ``.click()`` returns) is a dict
    whose ``"id"`` is its function's id in ``blocks.fns`` (its ``.fn`` is the user's function)."""
    ids = set()
    for event in events:
        if not (isinstance(event, dict) and isinstance(event.get("id"), int)):
            raise TypeError(f"stop_button takes the events a .click()/.submit() returned, not {event!r}")
        ids.add(event["id"])
    return ids


def stop_button(button: gr.Button, *events: Any) -> Any:
    """Make ``button`` stop ``events`` (what ``.click(...)`` returned) for the session that presses it.

    The job ends at its next module call and keeps its partial result (``stream`` hands it to
    ``finish``); the queue slot is free within a fraction of a second. Returns the Stop event.
    """
    targets = _fn_ids(events)

    def stop(request: gr.Request) -> None:
        session = getattr(request, "session_hash", None)
        if session:
            request_stop(session, targets)

    stop._ganhub_stop = True  # type: ignore[attr-defined]  # build_app leaves it unwrapped
    return button.click(stop, None, None, api_visibility="private", show_progress="hidden",
                        concurrency_id=STOP_CONCURRENCY_ID, concurrency_limit=None)


def _stopped_outputs(n_outputs: int) -> Any:
    gr.Warning("Stopped.")
    if n_outputs <= 0:
        return None
    return gr.skip() if n_outputs == 1 else tuple(gr.skip() for _ in range(n_outputs))


def stoppable(fn: Callable[..., Any], fn_id: int, n_outputs: int, name: str | None = None) -> Callable[..., Any]:
    """``fn`` run inside a stop scope of its own (see ``stop_button``), named ``name`` (the MCP tool
    name is the handler's ``__name__``). A generator stays a generator; a stopped plain function leaves
    its outputs as they were; a stopped generator leaves its last yield on screen."""
    from hub.nn.stop import RunStopped, stop_scope, suspended

    if getattr(fn, "_ganhub_stop", False):
        return fn
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Iterator[Any]:
            key, flag = _begin(fn_id)
            gen = fn(*args, **kwargs)
            try:
                while True:
                    with stop_scope(flag):  # each step may run on another worker thread: scope it per step
                        try:
                            item = next(gen)
                        except StopIteration:
                            return
                        except RunStopped:
                            gr.Warning("Stopped.")
                            return
                        except gr.Error as exc:
                            quiet(exc, name or getattr(fn, "__name__", "handler"))
                            raise
                    yield item
            finally:
                with suspended():  # closing runs the handler's finally blocks (a run's close(): no stop there)
                    gen.close()
                _end(key, flag)
    elif inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        wrapper = fn  # no async handler in the hub; left as it is
        return wrapper
    else:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            key, flag = _begin(fn_id)
            try:
                with stop_scope(flag):
                    return fn(*args, **kwargs)
            except RunStopped:
                return _stopped_outputs(n_outputs)
            except gr.Error as exc:
                quiet(exc, name or getattr(fn, "__name__", "handler"))
                raise
            finally:
                _end(key, flag)
    wrapper.__doc__ = _doc_of(fn)
    if name:
        wrapper.__name__ = wrapper.__qualname__ = name
    return wrapper


def quiet(exc: gr.Error, where: str) -> gr.Error:
    """A user's error (a ``gr.Error`` sentence) is one line in the server log, not a traceback: Gradio
    prints the traceback of every ``gr.Error`` unless told not to. Any other exception keeps its
    traceback, since that is a bug."""
    if getattr(exc, "print_exception", False):
        exc.print_exception = False
        print(f"ganhub: {where}: refused: {str(exc.message)[:300]}", file=sys.stderr, flush=True)
    return exc


def _doc_of(fn: Callable[..., Any]) -> str:
    """The docstring of the function a handler calls in the end: through ``functools.wraps`` wrappers
    and ``functools.partial`` (whose own ``__doc__`` is partial's), which tabs use to pass ``ctx``."""
    target = inspect.unwrap(fn)
    while isinstance(target, functools.partial):
        target = inspect.unwrap(target.func)
    return getattr(target, "__doc__", None) or ""


def stream(gen: Iterator, progress, finish: Callable[[Any], tuple], n_extra: int):
    """Drive a run's progress generator: yield (preview, status, *no-change) per progress item, then
    ``finish(result)``. A Stop ends the run at the step it is on and ``finish`` gets the result it
    reached (an inversion's partial latent); a run that keeps nothing leaves its last preview with a
    "stopped" status. ValueErrors from the API become plain sentences."""
    from hub.images import to_pil
    from hub.nn.inversion import StreamingRun
    from hub.nn.stop import suspended

    run = gen if isinstance(gen, StreamingRun) else StreamingRun(gen)
    keep = (gr.update(),) * n_extra
    step = total = 0
    try:
        for p in run:
            step, total = p.step, p.total
            progress((p.step, p.total), desc=p.stage)
            psnr = p.losses.get("psnr")
            extra = f" · PSNR to target {psnr:.2f} dB" if psnr is not None else ""
            yield (show(to_pil(p.image)), f"**{p.stage}** · step {p.step}/{p.total}{extra}", *keep)
    except ValueError as exc:
        raise gr.Error(str(exc).splitlines()[0]) from None
    finally:
        with suspended():
            run.close()
    if run.stopped and run.result is None:
        yield (gr.update(), f"**Stopped** at step {step}/{total}; nothing to keep yet.", *keep)
        return
    with suspended():  # finishing (a render, a PNG) must not be stopped half-way
        out = finish(run.result)
    yield out


def finished(res: Any, note: str) -> str:
    """The status line of a run's result: "done · note", or after a Stop, that the partial result is kept
    (``res.extras["stopped"]``, set by the run)."""
    if res.extras.get("stopped"):
        return f"**Stopped**: the result so far is kept · {note}"
    return f"done · {note}"


def with_before(before: Any, updates: Iterator[tuple]) -> Iterator[tuple]:
    """``stream``'s yields with each preview (a PIL image first in the tuple) paired with ``before``, for a
    before/after slider (``hub.ui.before_after``); other yields pass as they are."""
    from PIL import Image

    for out in updates:
        yield ((before, out[0]) if isinstance(out[0], Image.Image) else out[0], *out[1:])

"""A result on first view: a tab opens with its example already rendered.

``first_view(fn, outputs)`` runs ``fn`` (no inputs: it closes over the tab's example) when a page
opens, and fills ``outputs`` with what it returns. The result is computed once per process and kept
for ``FIRST_VIEW_TTL_S`` seconds (result files are swept after an hour), so start-up stays fast
and a second visitor pays nothing. The load events share one small concurrency group, so a
page's first views never queue behind a long optimisation.

A first view may arrive late (a cold start, a busy queue): by then the user may have put something of
their own into one of its outputs (a latent from the session row, an uploaded picture). Those are kept:
the result is fetched first, then applied in a second step that reads the outputs' values as they are
at that moment and leaves alone each one the user can set (an input of the tab's events) that is no
longer empty.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Sequence

import gradio as gr

__all__ = ["first_view", "quiet_progress", "FIRST_VIEW_CONCURRENCY_ID", "FIRST_VIEW_TTL_S"]

log = logging.getLogger(__name__)

FIRST_VIEW_CONCURRENCY_ID = "ganhub-first-view"
#: Seconds a rendered first view is reused; shorter than the result folders' sweep (an hour).
FIRST_VIEW_TTL_S = 20 * 60


class _Memo:
    """One cached result of a no-argument function, recomputed after ``ttl`` seconds."""

    def __init__(self, fn: Callable[[], Any], ttl: float) -> None:
        self.fn, self.ttl = fn, ttl
        self.lock = threading.Lock()
        self.value: Any = None
        self.at = -float("inf")

    def __call__(self) -> Any:
        with self.lock:
            if time.monotonic() - self.at > self.ttl:
                self.value = self.fn()
                self.at = time.monotonic()
            return self.value


def quiet_progress(*_: Any, **__: Any) -> None:
    """A progress callback that shows nothing: a first view runs a tab's handler with no request listening."""


def empty(value: Any) -> bool:
    """Whether a component's value holds nothing: None, "", an empty container, or a container of empty
    values (an image editor with no background, no layers and no composite)."""
    if value is None or (isinstance(value, str) and not value):
        return True
    if isinstance(value, dict):
        return all(empty(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(empty(v) for v in value)
    return False


def _settable(outputs: Sequence[gr.components.Component], root: gr.Blocks) -> list[int]:
    """Indices of the outputs a user can fill (an input of an event wired so far, or interactive) that
    start empty: the ones a late first view must not overwrite once they hold something."""
    inputs = {block._id for fn in root.fns.values() for block in fn.inputs}
    return [i for i, c in enumerate(outputs)
            if (c._id in inputs or getattr(c, "interactive", None) is True) and empty(getattr(c, "value", None))]


def keep_filled(result: Any, current: Sequence[Any], n: int) -> tuple:
    """The first view's ``result`` (``n`` values; None: it failed) with ``gr.update()`` wherever the
    matching ``current`` value (of the settable outputs, in order) is no longer empty."""
    if result is None:
        return tuple(gr.update() for _ in range(n))
    values = tuple(result) if n > 1 else (result,)
    return tuple(gr.update() if not empty(now) else value for value, now in zip(values, current))


def first_view(fn: Callable[[], Any], outputs: Sequence[gr.components.Component] | gr.components.Component,
               ttl: float = FIRST_VIEW_TTL_S) -> None:
    """Fill ``outputs`` with ``fn()`` when the page opens (cached; never an API endpoint).

    Call it after wiring the tab's events: an output that is an input of one of them (a picture, a
    latent file) is left as it is when the user filled it before the first view arrived.
    A failing first view leaves the outputs empty and logs one line: the tab still works, and its
    buttons say what is wrong when pressed.
    """
    root = gr.context.Context.root_block
    if root is None:
        raise RuntimeError("first_view() must be called while a tab is being built inside gr.Blocks")
    memo = _Memo(fn, ttl)
    many = isinstance(outputs, (list, tuple))
    targets = list(outputs) if many else [outputs]
    n = len(targets)

    def compute():
        try:
            return memo()
        except Exception as exc:  # a first view is a courtesy: never a traceback on page load
            log.warning("first view of %s failed: %s", getattr(fn, "__qualname__", fn), exc)
            return None

    def render():
        result = compute()
        if result is None:
            return tuple(gr.update() for _ in range(n)) if many else gr.update()
        return result

    quick = dict(api_visibility="private", show_progress="minimal")
    watched = _settable(targets, root)
    if not watched:
        root.load(render, None, outputs, **quick, concurrency_id=FIRST_VIEW_CONCURRENCY_ID, concurrency_limit=2)
        return

    # Two steps: the second event's inputs are read in the browser when it starts, i.e. after the result
    # is ready, so it sees what the user put in meanwhile (the first event's inputs would be the values
    # at page load).
    result = gr.State()

    def apply(result_value, *current):
        now = dict(zip(watched, current))
        out = keep_filled(result_value, [now.get(i) for i in range(n)], n)
        return out[0] if n == 1 else out

    root.load(compute, None, result, **quick, concurrency_id=FIRST_VIEW_CONCURRENCY_ID, concurrency_limit=2).then(
        apply, [result] + [targets[i] for i in watched], outputs, **quick, concurrency_limit=None)

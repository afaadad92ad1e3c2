"""A result on first view: a tab opens with its example already rendered.

``first_view(fn, outputs)`` runs ``fn`` (no inputs: it closes over the tab's example) when a page
opens, and fills ``outputs`` with what it returns. The result is computed once per process and kept
for ``FIRST_VIEW_TTL_S`` seconds (result files are swept after an hour), so start-up stays fast
and a second visitor pays nothing. The load events share one small concurrency group, so a
page's first views never queue behind a long optimisation.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Sequence

import gradio as gr

__all__ = ["first_view", "FIRST_VIEW_CONCURRENCY_ID", "FIRST_VIEW_TTL_S"]

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


def first_view(fn: Callable[[], Any], outputs: Sequence[gr.components.Component] | gr.components.Component,
               ttl: float = FIRST_VIEW_TTL_S) -> None:
    """Fill ``outputs`` with ``fn()`` when the page opens (cached; never an API endpoint).

    A failing first view leaves the outputs empty and logs one line: the tab still works, and its
    buttons say what is wrong when pressed.
    """
    root = gr.context.Context.root_block
    if root is None:
        raise RuntimeError("first_view() must be called while a tab is being built inside gr.Blocks")
    memo = _Memo(fn, ttl)
    many = isinstance(outputs, (list, tuple))
    n = len(outputs) if many else 1

    def render():
        try:
            return memo()
        except Exception as exc:  # a first view is a courtesy: never a traceback on page load
            log.warning("first view of %s failed: %s", getattr(fn, "__qualname__", fn), exc)
            return tuple(gr.update() for _ in range(n)) if many else gr.update()

    root.load(render, None, list(outputs) if many else outputs, api_visibility="private",
              show_progress="minimal", concurrency_id=FIRST_VIEW_CONCURRENCY_ID, concurrency_limit=2)

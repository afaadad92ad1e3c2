"""Stop a long job within one layer's time: the stop flag of the calling thread, checked at every
module call.

Gradio's ``cancels`` interrupts a generator only between two yields and a plain function not at all,
so an optimisation that previews every 10 steps (seconds on a loaded CPU), or a job that does not
stream, holds its queue slot long after Stop. Instead the app shell runs every event inside
``stop_scope(flag)``: ``stop_requested()`` reads the flag of the calling thread, and one global
forward pre-hook on every ``torch.nn.Module`` raises ``RunStopped`` once the flag is set, so any
torch job ends at the next layer it calls, whoever wrote its loop. A loop that calls no module (numpy,
OpenCV) calls ``check_stop()`` at each step. ``StreamingRun`` catches ``RunStopped`` and keeps the
state reached.

Importing this module does not import torch: the hook is installed by the first scope that runs
while torch is loaded (every event of the hub does, after the first one imported it).
"""

from __future__ import annotations

import sys
import threading
from contextlib import contextmanager
from typing import Iterator

__all__ = ["RunStopped", "StopFlag", "stop_scope", "stop_requested", "check_stop", "suspended"]


class RunStopped(BaseException):
    """The user pressed Stop. A ``BaseException``, so that an API's ``except Exception`` does not take
    it for a failure and carry on."""


class StopFlag(threading.Event):
    """Set by a Stop button (another thread); read by the job's thread at every module call."""


_local = threading.local()
_hook_lock = threading.Lock()
_hooked = False


def _current() -> StopFlag | None:
    return getattr(_local, "flag", None)


def stop_requested() -> bool:
    """True when the job running in this thread was asked to stop (False outside any scope)."""
    flag = _current()
    return flag is not None and flag.is_set()


def check_stop() -> None:
    """Raise ``RunStopped`` if this thread's job was asked to stop: call it at each step of a loop
    that calls no ``torch.nn.Module`` (those are checked by the hook)."""
    if stop_requested():
        raise RunStopped("stopped by the user")


def _forward_pre_hook(module, args) -> None:  # noqa: ARG001  (torch's hook signature)
    flag = getattr(_local, "flag", None)
    if flag is not None and flag.is_set():
        raise RunStopped("stopped by the user")


def _install_hook() -> None:
    global _hooked
    if _hooked or "torch" not in sys.modules:
        return
    with _hook_lock:
        if not _hooked:
            import torch

            torch.nn.modules.module.register_module_forward_pre_hook(_forward_pre_hook)
            _hooked = True


@contextmanager
def stop_scope(flag: StopFlag | None) -> Iterator[StopFlag | None]:
    """Run the body with ``flag`` as this thread's stop flag (``None``: not stoppable); restores the
    previous one after. Do not yield inside it: a generator's next step may run on another thread."""
    _install_hook()
    previous = _current()
    _local.flag = flag
    try:
        yield flag
    finally:
        _local.flag = previous


@contextmanager
def suspended() -> Iterator[None]:
    """Run the body with no stop flag: to compute the partial result after a stop (which calls the
    same modules that the hook would stop again)."""
    with stop_scope(None):
        yield

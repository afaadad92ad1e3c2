"""Run control shared by every trainer: the common flags and when to stop.

A run ends on the first of: its step count, its wall-clock minutes, a ``STOP`` file in its run
folder (``touch ~/.cache/ganhub/train/<name>/STOP``), or SIGTERM/SIGINT. The loop finishes its step,
checkpoints and returns, so a run resumes where it stopped.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from hub.nn.training import DEVICE_HELP, StopRequest, stop_on_signals

__all__ = ["RunControl", "LossLog", "add_common_args", "cache_dir", "log"]


def cache_dir(name: str) -> Path:
    """``$GANHUB_TRAIN_DIR/<name>`` or ``~/.cache/ganhub/train/<name>``: outside the repo."""
    root = os.environ.get("GANHUB_TRAIN_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "ganhub", "train")
    return Path(root) / name


def add_common_args(parser: argparse.ArgumentParser, name: str, *, steps: int | None, every: int | None = 200,
                    threads: int = 1) -> argparse.ArgumentParser:
    """The flags every trainer takes, with this trainer's defaults (``steps=None``: no step limit)."""
    parser.add_argument("--steps", type=int, default=steps,
                        help=f"total steps of the run (default {steps if steps is not None else 'no limit'})")
    parser.add_argument("--minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    parser.add_argument("--threads", type=int, default=threads, help=f"torch CPU threads (default {threads})")
    parser.add_argument("--device", default=None, help=DEVICE_HELP)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--every", type=int, default=every,
                        help="checkpoint every N steps" + (f" (default {every})" if every else ""))
    parser.add_argument("--out", type=Path, default=cache_dir(name), help="run folder, outside the repo")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing checkpoint and start over")
    return parser


class RunControl:
    """``while control.running(step): ...``; ``control.seconds`` is this process's training time.

    ``steps=None`` sets no step limit. ``checkpoint_due(step)`` is true every ``every`` steps and
    every ``every_minutes`` of wall time, whichever comes first; ``add_time(state, device)`` adds
    the time spent since its last call to a checkpoint's counters.
    """

    def __init__(self, out: str | Path, steps: int | None, minutes: float | None = None, stop: StopRequest | None = None,
                 every: int | None = None, every_minutes: float | None = None) -> None:
        self.out = Path(out)
        self.steps = steps
        self.deadline = time.monotonic() + minutes * 60 if minutes else None
        self.stop = stop if stop is not None else stop_on_signals()
        self.started = time.monotonic()
        self.reason = ""
        self.every, self.every_minutes = every, every_minutes
        self._last_checkpoint = self.started
        self._marks = (time.process_time(), time.time())

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def running(self, step: int) -> bool:
        if self.steps is not None and step >= self.steps:
            self.reason = "steps"
        elif self.stop:
            self.reason = "signal"
        elif self.deadline is not None and time.monotonic() >= self.deadline:
            self.reason = "minutes"
        elif (self.out / "STOP").exists():
            self.reason = "STOP file"
        else:
            return True
        return False

    def checkpoint_due(self, step: int) -> bool:
        due = bool(self.every and step % self.every == 0) or (
            self.every_minutes is not None and time.monotonic() - self._last_checkpoint >= self.every_minutes * 60)
        if due:
            self._last_checkpoint = time.monotonic()
        return due

    def add_time(self, state: dict, device: str = "cpu") -> dict:
        """Add this process's time since the last call to ``state``: ``cpu_seconds`` (process CPU time
        on the CPU), ``cuda_seconds`` (wall time on an accelerator, stated apart on cards) and
        ``wall_seconds``."""
        cpu, wall = time.process_time(), time.time()
        if str(device).split(":")[0] == "cpu":
            state["cpu_seconds"] = state.get("cpu_seconds", 0.0) + cpu - self._marks[0]
        else:
            state["cuda_seconds"] = state.get("cuda_seconds", 0.0) + wall - self._marks[1]
        state["wall_seconds"] = state.get("wall_seconds", 0.0) + wall - self._marks[1]
        self._marks = (cpu, wall)
        return state


def log(message: str) -> None:
    """A trainer's log line, time-stamped and flushed (runs log to a file in the background)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


class LossLog:
    """Running means of a trainer's loss terms over a window of ``seconds``.

    ``add(terms)`` each step; when ``due()``, ``line(step, lr)`` is the log line (means and steps/s)
    and ``reset()`` starts the next window; ``means()`` goes into a checkpoint's history.
    """

    def __init__(self, seconds: float = 60.0) -> None:
        self.seconds = seconds
        self.reset()

    def reset(self) -> None:
        self.sums: dict[str, float] = {}
        self.count = 0
        self.started = time.time()

    def add(self, terms: dict) -> None:
        for name, value in terms.items():
            self.sums[name] = self.sums.get(name, 0.0) + float(value)
        self.count += 1

    def due(self) -> bool:
        return time.time() - self.started >= self.seconds

    def means(self) -> dict[str, float]:
        return {name: round(total / max(1, self.count), 5) for name, total in self.sums.items()}

    def line(self, step: int, lr: float) -> str:
        terms = " ".join(f"{name} {value:.4f}" for name, value in self.means().items())
        return f"step {step} {terms} lr {lr:.2e} | {self.count / max(1e-9, time.time() - self.started):.2f} it/s"

"""What every GAN trainer's loop repeats around its own losses: resuming, and the tail of each step.

    resumed = resume_run(out, modules, optimizers, steps=args.steps, config=config, networks=("G", "D"),
                         fresh=args.fresh)
    loop = GANLoop(RunControl(out, args.steps, args.minutes), args.every, checkpoint)
    while loop.running(step):
        ...  # the trainer's own D and G updates
        step += 1
        loop.after_step(step, lr, {"d": loss_d.item(), ...})
    loop.finish(step)

``checkpoint`` is the trainer's own function (it knows what its state holds); ``loop.losses`` (a
``LossLog``) gives it the running means for the run's history. The checkpoint format is the trainer's,
through ``hub.training.checkpoint``, so runs saved before this module existed resume unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from hub.training.checkpoint import latest_checkpoint, load_checkpoint
from hub.training.run import LossLog, RunControl, log

__all__ = ["Resumed", "NetworkMismatch", "resume_run", "GANLoop"]


class NetworkMismatch(ValueError):
    """The latest checkpoint was trained with other networks than the ones built now."""


@dataclass
class Resumed:
    """Where a run starts: step 0 of a new run, or the latest checkpoint's step and records."""

    step: int = 0
    cpu_s: float = 0.0
    wall_s: float = 0.0
    history: list = field(default_factory=list)
    #: ``[[from_step, steps], ...]``: a resumed run with another ``--steps`` re-plans its schedule from there
    schedule: list = field(default_factory=list)
    state: dict | None = None
    path: Path | None = None


def resume_run(out: str | Path, modules: Mapping[str, Any], optimizers: Mapping[str, Any], *, steps: int,
               config: Mapping[str, Any], networks: Sequence[str], fresh: bool = False) -> Resumed:
    """Load the latest checkpoint of ``out`` into ``modules`` / ``optimizers`` (unless ``fresh``).

    Raises ``NetworkMismatch`` when the checkpoint's config differs from ``config`` in any key of
    ``networks`` (the networks' own configs). A new ``steps`` appends ``[step, steps]`` to the schedule.
    """
    ckpt = None if fresh else latest_checkpoint(out)
    if ckpt is None:
        return Resumed(schedule=[[0, steps]])
    state = load_checkpoint(ckpt, modules, optimizers)
    if any(state["config"][k] != config[k] for k in networks):
        raise NetworkMismatch(f"{ckpt} was trained with other networks: {state['config']}")
    step = int(state["step"])
    schedule = state.get("schedule", [[0, state["config"]["steps"]]])
    if schedule[-1][1] != steps:
        schedule.append([step, steps])
    log(f"resumed from {ckpt} at step {step}")
    return Resumed(step, state["cpu_s"], state["wall_s"], state.get("history", []), schedule, state, Path(ckpt))


class GANLoop:
    """Run control, the loss log line and the periodic checkpoint of a step-counting trainer."""

    def __init__(self, control: RunControl, every: int, checkpoint: Callable[[], None], window: float = 60.0) -> None:
        self.control, self.every, self.checkpoint = control, every, checkpoint
        self.losses = LossLog(window)

    def running(self, step: int) -> bool:
        return self.control.running(step)

    def after_step(self, step: int, lr: float, terms: Mapping[str, float]) -> None:
        """Log the window's means when due, checkpoint every ``every`` steps (with that window's means)."""
        self.losses.add(dict(terms))
        due = self.losses.due()
        if due:
            log(self.losses.line(step, lr))
        if self.every and step % self.every == 0:
            self.checkpoint()
        if due:
            self.losses.reset()

    def finish(self, step: int) -> None:
        """The last checkpoint and the line saying why the run stopped."""
        self.checkpoint()
        log(f"stopped at step {step} ({self.control.reason})")

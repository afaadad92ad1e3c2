"""What every trainer does: train on a device (pick it, allow TF32 there, move the nets and their
optimiser state to it) and stop cleanly on a signal. The trainers keep their random draws on CPU
generators, so a run is the same stream on any device."""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # run control needs no torch; placing nets imports it
    import torch

#: The trainers' --device help: the choice is hub.models.choose_device's.
DEVICE_HELP = "cpu, cuda, cuda:1, mps or auto (default: $GANHUB_DEVICE, else auto: CUDA, MPS, CPU)"


def place_for_training(preferred: "str | torch.device | None", nets: Iterable[torch.nn.Module],
                       optimizers: Iterable[torch.optim.Optimizer] = ()) -> torch.device:
    """Move ``nets`` to ``hub.models.choose_device(preferred)`` (CUDA when there is one) and return it.

    ``Module.to`` keeps the Parameter objects, so optimisers built before the move still hold them;
    their state, loaded on the CPU, follows because ``Optimizer.load_state_dict`` casts each state
    tensor to its parameter's device. On CUDA, matmuls and convolutions may use TF32 (what cuDNN
    already does for convolutions by default; the 10-bit mantissa is far below these losses' noise).
    """
    import torch

    from hub.models import choose_device

    device = choose_device(preferred)
    for net in nets:
        net.to(device)
    if device.type != "cpu":
        for opt in optimizers:
            opt.load_state_dict(opt.state_dict())
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return device


class StopRequest:
    """Truthy once SIGTERM (a session ending) or SIGINT (Ctrl-C) arrived: the training loop finishes
    its step, checkpoints and returns, so a run outlives the process that trains it."""

    def __init__(self) -> None:
        self.signal: int | None = None

    def __bool__(self) -> bool:
        return self.signal is not None

    def _request(self, signum: int, _frame) -> None:
        print(f"signal {signum}: checkpointing and stopping", flush=True)
        self.signal = signum


def stop_on_signals() -> StopRequest:
    """A StopRequest set by SIGTERM and SIGINT (handlers install only in the main thread)."""
    stop = StopRequest()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            signal.signal(sig, stop._request)
        except ValueError:  # not in the main thread (tests)
            pass
    return stop

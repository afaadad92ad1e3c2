"""Driving a streaming run from a Gradio generator handler: progress, previews, and a Stop that stops."""

from __future__ import annotations

from typing import Any, Callable, Iterator

import gradio as gr

from hub.ui.components import show


def stream(gen: Iterator, progress, finish: Callable[[Any], tuple], n_extra: int):
    """Drive a run's progress generator: yield (preview, status, *no-change) per progress item, then
    ``finish(result)``. Stop (Gradio closing this generator) closes the run, so its optimisation
    ends at the step it is on; ValueErrors from the API become plain sentences."""
    from hub.images import to_pil
    from hub.nn.inversion import StreamingRun

    run = gen if isinstance(gen, StreamingRun) else StreamingRun(gen)
    keep = (gr.update(),) * n_extra
    try:
        for p in run:
            progress((p.step, p.total), desc=p.stage)
            psnr = p.losses.get("psnr")
            extra = f" · PSNR to target {psnr:.2f} dB" if psnr is not None else ""
            yield (show(to_pil(p.image)), f"**{p.stage}** · step {p.step}/{p.total}{extra}", *keep)
    except ValueError as exc:
        raise gr.Error(str(exc).splitlines()[0]) from None
    finally:
        run.close()
    yield finish(run.result)

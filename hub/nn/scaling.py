"""How the papers' settings map onto our models, without torch (tabs read these while they build).

Image2StyleGAN(++) publish step counts for a 1024 px StyleGAN on a GPU and W+ layer indices out of
18; our embedded models are 64 px, with fewer W+ rows, on a CPU. ``hub.nn.inversion`` documents the
choices; this module only holds the arithmetic.
"""

from __future__ import annotations

from typing import Sequence

PAPER_NUM_WS = 18  # W+ rows of the 1024 px StyleGAN the papers use
STEP_DIVISOR = 5  # published step counts / 5 at 64 px on CPU (see hub.nn.inversion's docstring)


def scale_steps(paper_steps: int, divisor: int = STEP_DIVISOR) -> int:
    """A published step count (1024 px, GPU) scaled to our 64 px CPU models: ``paper / divisor``."""
    return max(1, int(round(paper_steps / divisor)))


def scale_layers(ranges: Sequence[tuple[int, int]], num_ws: int, paper_num_ws: int = PAPER_NUM_WS) -> tuple[int, ...]:
    """Map the paper's 1-based inclusive W+ row ranges (of 18) to 0-based rows of our ``num_ws``.

    Row l -> round((l - 1) * (num_ws - 1) / (paper_num_ws - 1)); a range keeps every row between
    its mapped ends, so a non-empty paper range never maps to nothing.
    """
    out: set[int] = set()
    scale = (num_ws - 1) / (paper_num_ws - 1)
    for first, last in ranges:
        if not (1 <= first <= last <= paper_num_ws):
            raise ValueError(f"paper layer range {first}-{last} outside 1-{paper_num_ws}")
        a, b = int(round((first - 1) * scale)), int(round((last - 1) * scale))
        out.update(range(a, b + 1))
    return tuple(sorted(out))

"""Inpainting defaults, torch-free (the tab reads them while it builds; ``plugins.inpainting.api``
re-exports them)."""

from __future__ import annotations

from hub.nn.scaling import scale_steps

PAPER_W_STEPS, PAPER_NOISE_STEPS = 200, 1000  # Image2StyleGAN++ inpainting (1024 px, GPU)
W_STEPS = scale_steps(PAPER_W_STEPS)  # 40
NOISE_STEPS = scale_steps(PAPER_NOISE_STEPS)  # 200
INIT_RANGE = 0.4  # the paper's U[-0.4, 0.4]
#: fills of "Variations" (one batch): 4 took 70 s on one thread at load average ~10 on the 2-core machine
VARIATIONS = 3
MSE2_WEIGHT = 10.0  # lambda_mse2 = 1e-4 / 1e-5
METHODS = ("telea", "ns")

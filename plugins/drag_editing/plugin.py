"""Registration of the drag-editing plugin: the "Drag" tab (no weights of its own).

Cheap to import: no torch, no gradio; the tab's module is imported when the app builds it.
"""

from __future__ import annotations

from hub import Demo, hookimpl, steps_gpu_seconds
from hub.api import INTERFACE_LATENT_GENERATOR


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🫳", short="DragGAN: drag points on a generated or inverted image",
    tags=["draggan", "image-editing", "stylegan2"],
    papers=["Pan et al., *Drag Your GAN: Interactive Point-based Manipulation on the Generative Image "
            "Manifold*, SIGGRAPH 2023, [arXiv:2305.10973](https://arxiv.org/abs/2305.10973)"],
    limits=["Every drag is an optimisation of the W+ code: slow on CPU, and it can only move what the "
            "generator can draw; on the 64 px embedded model handles move a few pixels, not whole parts."])


def _build(ctx):
    from plugins.drag_editing.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    from hub.api import steps_budget

    register(Demo(
        id="drag_editing", title="Drag", build=_build, order=45,
        description="DragGAN: click handle and target points (and paint the region allowed to move) on a "
                    "generated or inverted image; the W+ code is optimised until each handle reaches its target.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}", "vgg19", "vgg16"), heavy=True,
        gpu_seconds={"drag": steps_gpu_seconds("max_steps")}, space=SPACE,
        budgets={"drag": steps_budget(max_steps=0.35)}))  # 16-36 s per 100 steps (docs/editing_results.md)

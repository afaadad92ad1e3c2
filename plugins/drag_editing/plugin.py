"""Registration of the drag-editing plugin: the "Drag" tab (no weights of its own).

Cheap to import: no torch, no gradio; the tab's module is imported when the app builds it.
"""

from __future__ import annotations

from hub import Demo, hookimpl
from hub.api import INTERFACE_LATENT_GENERATOR


def _build(ctx):
    from plugins.drag_editing.ui import build

    build(ctx)


@hookimpl
def register_demos(register):
    register(Demo(
        id="drag_editing", title="Drag", build=_build, order=45,
        description="DragGAN: click handle and target points (and paint the region allowed to move) on a "
                    "generated or inverted image; the W+ code is optimised until each handle reaches its target.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}",)))

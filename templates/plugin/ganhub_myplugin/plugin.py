"""Registration of the ``myplugin`` plugin: only the hookimpls live here, and they import nothing heavy.

The entry point names this module; the shape is the built-in plugins' (``plugins/<name>/plugin.py``
with the plugin's own ``weights.yaml`` beside it).
"""

from __future__ import annotations

from pathlib import Path

from hub import Demo, hookimpl


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))  # empty until you ship weights


def _build_tab(ctx):
    from ganhub_myplugin.ui import build  # gradio components are created only when the app builds

    build(ctx)


@hookimpl
def register_demos(register):
    register(Demo(id="myplugin-posterize", title="Posterize", build=_build_tab, order=1000,
                  description="Reduce every channel to a few levels"))


# A model plugin also implements register_models (see docs/plugins.md), naming weights of weights.yaml:
#
# @hookimpl
# def register_models(register):
#     register(ModelSpec(name="myplugin-gen", family="mine", interface="LatentGenerator",
#                        build=_build_generator, weights=("myplugin-gen-64",)))

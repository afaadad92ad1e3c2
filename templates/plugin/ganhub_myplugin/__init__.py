"""GAN Hub plugin ``myplugin``: only the hookimpls live here, and they import nothing heavy."""

from __future__ import annotations

from hub import Demo, hookimpl

__version__ = "0.1.0"


def _build_tab(ctx):
    from ganhub_myplugin.ui import build  # gradio components are created only when the app builds

    build(ctx)


@hookimpl
def register_demos(register):
    register(Demo(id="myplugin-posterize", title="Posterize", build=_build_tab, order=1000,
                  description="Reduce every channel to a few levels"))


# A model plugin also implements register_weights / register_models (see docs/plugins.md):
#
# @hookimpl
# def register_weights(register):
#     register(Path(__file__).parent / "weights.yaml")
#
# @hookimpl
# def register_models(register):
#     register(ModelSpec(name="myplugin-gen", family="mine", interface="LatentGenerator",
#                        build=_build_generator, weights=("myplugin-gen-64",)))

"""Attribute vectors: seed 000's mean-difference directions (smiling, glasses, hair colour ...),
shipped precomputed per model, applied with one slider per attribute to an inverted photo or a
random sample; plus user-defined directions from two uploaded sets ("with" / "without").

Technique plugin: one tab, no models. Works with every ``LatentGenerator`` whose ModelSpec names
``related["directions"]`` (a weight id); the user-defined direction works with any generator.
API: ``plugins.attribute_vectors.api``; computing/exporting: ``plugins.attribute_vectors.directions``.
"""

from __future__ import annotations

from pathlib import Path

from hub import INTERFACE_LATENT_GENERATOR, Demo, hookimpl



def _build(ctx):
    from plugins.attribute_vectors.ui import build

    build(ctx)


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))


@hookimpl
def register_demos(register):
    register(Demo(
        id="attribute_vectors",
        title="Attribute vectors",
        build=_build,
        order=21,
        description="Sliders along attribute directions (mean latent with minus without the attribute) "
                    "on an inverted photo or a random sample; define your own from two image sets.",
        models=(f"interface:{INTERFACE_LATENT_GENERATOR}",),
    ))

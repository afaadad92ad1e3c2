"""Every built-in model with an embedded weight passes its interface's conformance check (hub.conformance),
and the checks catch a model that breaks its Protocol."""

from __future__ import annotations

import pytest
import torch

from hub.api import (INTERFACE_LATENT_GENERATOR, INTERFACE_STYLE_TRANSFER, INTERFACE_SUPER_RESOLVER)
from hub.conformance import CHECKS
from hub.testing import check_model, make_hub


@pytest.fixture(scope="module")
def hub():
    return make_hub(entry_points=True)


def _offline_models(hub):
    return [s for s in hub.models.specs() if s.interface in CHECKS and s.offline]


def test_every_embedded_builtin_model_conforms(hub):
    checked = []
    for spec in _offline_models(hub):
        model = hub.models.get_model(spec.name)
        options = {}
        if spec.interface in ("LatentEncoder", "Discriminator"):
            generator = next(s for s in hub.models.specs() if s.related.get("encoder") == spec.name
                             or s.related.get("discriminator") == spec.name)
            G = hub.models.get_model(generator.name)
            options = {"resolution": G.resolution}
            if spec.interface == "LatentEncoder":
                options.update(num_ws=G.num_ws, w_dim=G.w_dim)
        check_model(spec.interface, model, **options)
        checked.append(spec.interface)
    assert {"LatentGenerator", "LatentEncoder", "Discriminator", "AttributeClassifier", "SuperResolver",
            "StyleTransfer", "TextToImage"} <= set(checked), checked


def test_the_checks_catch_a_broken_model(hub):
    G = hub.models.get_model("stylegan2-emoji64")

    class WrongNoise:
        def __getattr__(self, name):
            return getattr(G, name)

        def make_noise(self, batch=1, generator=None):
            return G.make_noise(batch, generator)[::-1]  # the layers' order reversed

    with pytest.raises(AssertionError, match="noise map"):
        check_model(INTERFACE_LATENT_GENERATOR, WrongNoise())

    class Shrinks(torch.nn.Module):
        scale = 4

        def forward(self, x):
            return x

    with pytest.raises(AssertionError, match="shape"):
        check_model(INTERFACE_SUPER_RESOLVER, Shrinks())

    class Unbounded(torch.nn.Module):
        def forward(self, content, style, alpha=1.0):
            return content * 100

    with pytest.raises(AssertionError, match="not about"):
        check_model(INTERFACE_STYLE_TRANSFER, Unbounded())
    with pytest.raises(KeyError, match="no conformance check"):
        check_model("Teapot", object())

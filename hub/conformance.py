"""Conformance checks: does a built model behave as its interface's Protocol says (hub.api)?

``check_model(interface, model)`` runs the check of that interface and raises ``AssertionError`` with a
sentence naming what is wrong: shapes, value ranges, attributes, the order of noise maps and layers,
whether ``activation_edit`` really edits. ``hub.testing`` re-exports it for plugin authors' tests; the
built-in models and the example plugin pass it (tests/test_conformance.py). Inputs are small and
seeded, so a check takes a fraction of a second on a CPU for the embedded models.
"""

from __future__ import annotations

from typing import Any, Callable

from hub.api import (INTERFACE_ATTRIBUTE_CLASSIFIER, INTERFACE_DISCRIMINATOR, INTERFACE_LATENT_ENCODER,
                     INTERFACE_LATENT_GENERATOR, INTERFACE_STYLE_TRANSFER, INTERFACE_SUPER_RESOLVER,
                     INTERFACE_TEXT_TO_IMAGE)

__all__ = ["check_model", "CHECKS"]


def _image(x, shape, what: str) -> None:
    import torch

    assert isinstance(x, torch.Tensor), f"{what} returned {type(x).__name__}, not a tensor"
    assert tuple(x.shape) == tuple(shape), f"{what} returned shape {tuple(x.shape)}, expected {tuple(shape)}"
    assert torch.isfinite(x).all(), f"{what} returned NaN or infinite values"
    # GANs' raw outputs overshoot a little (consumers clamp); an image mostly outside [-1, 1] is a
    # wrong range (e.g. [0, 255] or [0, 1] shifted), not overshoot
    outside = (x.abs() > 1.5).float().mean().item()
    assert outside < 0.05, (f"{what} returned {outside:.0%} of its values outside [-1.5, 1.5] "
                            f"(range [{x.min():.2f}, {x.max():.2f}]), not about [-1, 1]")


def _seeded(*shape):
    """A seeded, smooth image batch in [-1, 1] (noise upsampled: models meet images, not white noise)."""
    import torch
    import torch.nn.functional as F

    n, c, h, w = shape
    coarse = torch.rand(n, c, max(2, h // 4), max(2, w // 4), generator=torch.Generator().manual_seed(0)) * 1.6 - 0.8
    return F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)


def check_latent_generator(G: Any) -> None:
    import torch

    for attr in ("resolution", "z_dim", "w_dim", "num_ws", "num_layers", "layer_resolutions"):
        assert hasattr(G, attr), f"a LatentGenerator has `{attr}`"
    assert len(G.layer_resolutions) == G.num_layers, "layer_resolutions has one entry per synthesis layer"
    assert tuple(G.w_avg.shape) == (G.w_dim,), f"w_avg is [w_dim], got {tuple(G.w_avg.shape)}"
    with torch.no_grad():
        z = torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(0))
        w = G.mapping(z)
        assert tuple(w.shape) == (2, G.w_dim), f"mapping gives [N, w_dim], got {tuple(w.shape)}"
        near = G.mapping(z, truncation_psi=0.0)
        assert torch.allclose(near, G.w_avg.expand_as(near), atol=1e-4), "truncation_psi=0 gives w_avg"
        ws = G.mapping(z, truncation_psi=0.7)[:, None].repeat(1, G.num_ws, 1)  # how the tabs sample
        noise = G.make_noise(2, generator=torch.Generator().manual_seed(1))
        assert len(noise) == G.num_layers, f"make_noise gives one map per layer, got {len(noise)}"
        for i, (n, r) in enumerate(zip(noise, G.layer_resolutions)):
            assert tuple(n.shape[-2:]) == (r, r), f"noise map {i} is {tuple(n.shape[-2:])}, layer {i} is {r} px"
        image, acts = G.synthesis(ws, noise=noise, return_activations=True)
        _image(image, (2, 3, G.resolution, G.resolution), "synthesis")
        assert len(acts) == G.num_layers, "return_activations gives one activation per layer"
        for i, (a, r) in enumerate(zip(acts, G.layer_resolutions)):
            assert a.shape[-1] == r, f"activation {i} is {a.shape[-1]} px, layer_resolutions says {r}"
        same = G.synthesis(ws, noise=noise)
        assert torch.allclose(same, image, atol=1e-5), "synthesis with the same W+ and noise is deterministic"
        edited = G.synthesis(ws, noise=noise, activation_edit=lambda i, a: a * 0 if i == 0 else a)
        assert not torch.allclose(edited, image), "activation_edit replaces a layer's activation"


def check_latent_encoder(encoder: Any, resolution: int = 64, num_ws: int | None = None, w_dim: int | None = None) -> None:
    import torch

    with torch.no_grad():
        out = encoder(_seeded(2, 3, resolution, resolution))
    assert isinstance(out, torch.Tensor) and out.dim() == 3 and out.shape[0] == 2, \
        f"an encoder gives [N, num_ws, w_dim], got {getattr(out, 'shape', type(out))}"
    if num_ws is not None:
        assert tuple(out.shape[1:]) == (num_ws, w_dim), f"the encoder's W+ is {tuple(out.shape[1:])}, its generator's {(num_ws, w_dim)}"
    assert torch.isfinite(out).all(), "the encoder returned NaN or infinite values"


def check_discriminator(D: Any, resolution: int = 64) -> None:
    import torch

    with torch.no_grad():
        out = D(_seeded(3, 3, resolution, resolution))
    assert isinstance(out, torch.Tensor) and out.numel() == 3, f"a discriminator gives one logit per image, got {tuple(out.shape)}"
    assert torch.isfinite(out).all(), "the discriminator returned NaN or infinite values"


def check_attribute_classifier(C: Any) -> None:
    import torch

    assert C.attributes, "an AttributeClassifier names its attributes and their classes"
    with torch.no_grad():
        x = _seeded(2, 3, 48, 48)  # any size: it resizes
        logits, predicted = C(x), C.predict(x)
    for name, classes in C.attributes.items():
        assert tuple(logits[name].shape) == (2, len(classes)), f"logits of {name} are [N, {len(classes)}]"
        p = predicted[name]
        assert p.dtype == torch.long and ((p >= 0) & (p < len(classes))).all(), f"predict({name}) gives class indices"


def check_super_resolver(model: Any, size: int = 12) -> None:
    import torch

    scale = int(model.scale)
    with torch.no_grad():
        out = model(_seeded(1, 3, size, size + 4))
    _image(out, (1, 3, size * scale, (size + 4) * scale), f"a x{scale} super-resolver")


def check_style_transfer(model: Any, size: int = 32) -> None:
    import torch

    with torch.no_grad():
        content, style = _seeded(1, 3, size, size), _seeded(1, 3, size + 8, size + 8).flip(-1)
        out = model(content, style, 1.0)
    _image(out, (1, 3, size, size), "style transfer")


def check_text_to_image(model: Any) -> None:
    import torch

    with torch.no_grad():
        emb = model.encode(["a face", "a man with red hair"])
        out = model(torch.randn(2, model.z_dim, generator=torch.Generator().manual_seed(0)), emb)
    assert out.dim() == 4 and tuple(out.shape[:2]) == (2, 3) and out.shape[-1] == out.shape[-2], \
        f"text to image gives [N, 3, R, R], got {tuple(out.shape)}"
    _image(out, tuple(out.shape), "text to image")


CHECKS: dict[str, Callable[..., None]] = {
    INTERFACE_LATENT_GENERATOR: check_latent_generator,
    INTERFACE_LATENT_ENCODER: check_latent_encoder,
    INTERFACE_DISCRIMINATOR: check_discriminator,
    INTERFACE_ATTRIBUTE_CLASSIFIER: check_attribute_classifier,
    INTERFACE_SUPER_RESOLVER: check_super_resolver,
    INTERFACE_STYLE_TRANSFER: check_style_transfer,
    INTERFACE_TEXT_TO_IMAGE: check_text_to_image,
}


def check_model(interface: str, model: Any, **options: Any) -> None:
    """Run ``interface``'s conformance check on ``model`` (raises AssertionError with what is wrong)."""
    if interface not in CHECKS:
        raise KeyError(f"no conformance check for interface {interface!r}; known: {', '.join(sorted(CHECKS))}")
    CHECKS[interface](model, **options)

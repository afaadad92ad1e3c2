"""hub.nn.vgg / losses / adain: layer taps, embedded weights, key conversion, loss maths."""

import math

import pytest
import torch

from hub.nn import adain as A
from hub.nn import losses as L
from hub.nn.vgg import (VGGFeatures, convert_timm_vgg, embedded_state_dict, layer_channels, layer_names,
                        vgg_features, vgg_source)


def smooth_image(seed=0, size=64):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 3, size // 8, size // 8, generator=g)
    return torch.nn.functional.interpolate(x, size=size, mode="bilinear", align_corners=False).tanh()


def test_layer_names_follow_torchvision_indices():
    v19, v16 = layer_names("vgg19"), layer_names("vgg16")
    assert len(v19) == 37 and len(v16) == 31  # torchvision features lengths
    assert v19.index("conv1_1") == 0 and v19.index("relu1_1") == 1 and v19.index("pool1") == 4
    assert v19.index("conv4_2") == 21 and v19.index("conv5_4") == 34
    assert v16.index("conv3_3") == 14 and v16.index("relu5_3") == 29
    assert layer_channels("vgg16", "conv3_3") == 256 and layer_channels("vgg19", "relu5_1") == 512


def test_forward_taps_shapes_and_truncation():
    m = VGGFeatures("vgg16", ("conv1_1", "conv1_2", "conv2_2", "conv3_3"))
    assert len(m.features) == layer_names("vgg16").index("conv3_3") + 1
    out = m(smooth_image(size=32))
    assert list(out) == ["conv1_1", "conv1_2", "conv2_2", "conv3_3"]
    assert out["conv2_2"].shape == (1, 128, 16, 16) and out["conv3_3"].shape == (1, 256, 8, 8)
    with pytest.raises(ValueError):
        VGGFeatures("vgg16", ("conv5_4",))  # vgg16 has only 3 convs in block 5


def test_embedded_weights_are_deterministic_and_well_scaled():
    a = embedded_state_dict("vgg19", 23)
    b = VGGFeatures("vgg19", ("relu4_1",)).features.state_dict()
    assert torch.equal(a["features.19.weight"], b["19.weight"])
    feats = VGGFeatures("vgg19", ("relu1_1", "relu4_1"))(smooth_image(size=64))
    for f in feats.values():  # data-dependent init: activations neither vanish nor explode
        assert 0.05 < f.std().item() < 5 and 0.2 < (f > 0).float().mean().item() < 0.8


def test_timm_key_conversion_loads_identically():
    src = VGGFeatures("vgg16", ("relu2_2",), pool="avg")
    timm_like = {f"features.{k}": v.clone() for k, v in src.features.state_dict().items()}
    timm_like["pre_logits.fc1.weight"] = torch.zeros(4096, 512, 7, 7)
    timm_like["head.fc.weight"] = torch.zeros(1000, 4096)
    torch.nn.init.normal_(timm_like["features.2.weight"])  # differs from the embedded weights
    dst = VGGFeatures("vgg16", ("relu2_2",), weights=convert_timm_vgg(timm_like), pool="avg")
    x = smooth_image(size=32)
    assert torch.equal(dst.features[2].weight, timm_like["features.2.weight"])
    assert not torch.allclose(dst(x)["relu2_2"], src(x)["relu2_2"])


def test_vgg_features_cached_frozen_and_reports_source():
    m = vgg_features("vgg19", ("relu1_1",))
    assert m is vgg_features("vgg19", ("relu1_1",))
    assert not m.training and not any(p.requires_grad for p in m.parameters())
    assert isinstance(vgg_source("vgg19"), str) and "vgg19" in vgg_source("vgg19")


def test_gram_and_masks():
    f = torch.randn(2, 4, 5, 6)
    flat = f.reshape(2, 4, 30)
    assert torch.allclose(L.gram_matrix(f), flat @ flat.transpose(1, 2) / 120, atol=1e-6)
    assert torch.allclose(L.gram_matrix(f, torch.ones(5, 6)), L.gram_matrix(f), atol=1e-6)
    x, y = torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8)
    y[..., :, 4:] = 2.0
    left = torch.zeros(8, 8)
    left[:, :4] = 1
    assert L.masked_mse(x, y, left).item() == 0 and L.masked_mse(x, y, 1 - left).item() == pytest.approx(4.0)
    assert L.masked_mse(x, y, torch.ones(8, 8)).item() == pytest.approx(L.masked_mse(x, y).item())
    fa, fb = {"a": x, "b": x[..., ::2, ::2]}, {"a": y, "b": y[..., ::2, ::2]}
    assert L.perceptual_loss(fa, fb, mask=left).item() == 0  # the 8x8 mask is resized to 4x4
    assert L.perceptual_loss(fa, fb).item() == pytest.approx(4.0)


def test_style_and_mean_std_losses():
    g = torch.Generator().manual_seed(1)
    a = {"l": torch.randn(1, 8, 6, 6, generator=g)}
    b = {"l": torch.randn(1, 8, 6, 6, generator=g) * 3 + 1}
    assert L.style_loss(a, a).item() < 1e-10 and L.style_loss(a, b).item() > 0
    assert L.style_loss(a, {"l": L.gram_matrix(b["l"])}).item() == pytest.approx(L.style_loss(a, b).item())
    moved = {"l": A.adain(a["l"], b["l"])}
    assert L.mean_std_loss(moved, b).item() < 1e-8 < L.mean_std_loss(a, b).item()
    assert L.tv_loss(torch.ones(1, 3, 5, 5)).item() == 0


def test_adain_and_masked_adain():
    g = torch.Generator().manual_seed(2)
    c = torch.randn(1, 4, 8, 8, generator=g)
    s1, s2 = torch.randn(1, 4, 5, 5, generator=g) * 2 + 3, torch.randn(1, 4, 6, 6, generator=g) * 0.5 - 1
    full = torch.ones(8, 8)
    assert torch.allclose(A.masked_adain(c, [s1], [full]), A.adain(c, s1), atol=1e-5)
    assert torch.allclose(A.adain(c, A.mean_std(s1)), A.adain(c, s1))
    left = torch.zeros(8, 8)
    left[:, :4] = 1
    out = A.masked_adain(c, [s1, s2], [left, 1 - left])
    for region, style in ((out[..., :4], s1), (out[..., 4:], s2)):
        m, s = A.mean_std(region)
        ms, ss = A.mean_std(style)
        assert torch.allclose(m, ms, atol=1e-4) and torch.allclose(s, ss, atol=1e-3)


def test_gan_losses_and_r1():
    zero = torch.zeros(4)
    assert L.nonsaturating_g_loss(zero).item() == pytest.approx(math.log(2))
    assert L.d_loss(zero, zero).item() == pytest.approx(2 * math.log(2))
    w = torch.tensor([1.0, -2.0, 3.0])
    x = torch.randn(5, 3, requires_grad=True)
    assert L.r1_penalty(x @ w, x).item() == pytest.approx(14.0)  # ||grad||^2 of a linear D

"""Map the public AdaIN checkpoints onto our modules (called by ``ganhub weights convert ID``).

The PyTorch port of AdaIN (naoto0804/pytorch-AdaIN, release v0.0.0, converted from the authors' Torch
models) ships two plain state dicts of ``nn.Sequential`` modules, so their keys are layer indices:

* ``vgg_normalised.pth``: the whole "normalised" VGG-19 (a 1x1 colour conv at index 0, then reflection
  pad / 3x3 conv / ReLU triples and ceil-mode max pools up to relu5_4). Only the convs up to relu4_1 are
  used by AdaIN: indices 0, 2, 5, 9, 12, 16, 19, 22, 25, 29. The rest is dropped, which also makes the
  converted file ~14 MB instead of ~80 MB.
* ``decoder.pth``: the mirrored decoder, convs at indices 1, 5, 8, 11, 14, 18, 21, 25, 28.

Our ``PublicVGGEncoder`` and ``PublicDecoder`` (plugins/style_transfer/adain.py) keep the same
Sequential layout under ``net``, so the mapping is a prefix plus a strict shape check.
"""

from __future__ import annotations

import re
from typing import Mapping

import torch

#: Sequential index -> (out, in, k) of every conv our modules use.
ENCODER_CONVS: dict[int, tuple[int, int, int]] = {
    0: (3, 3, 1), 2: (64, 3, 3), 5: (64, 64, 3), 9: (128, 64, 3), 12: (128, 128, 3),
    16: (256, 128, 3), 19: (256, 256, 3), 22: (256, 256, 3), 25: (256, 256, 3), 29: (512, 256, 3),
}
DECODER_CONVS: dict[int, tuple[int, int, int]] = {
    1: (256, 512, 3), 5: (256, 256, 3), 8: (256, 256, 3), 11: (256, 256, 3), 14: (128, 256, 3),
    18: (128, 128, 3), 21: (64, 128, 3), 25: (64, 64, 3), 28: (3, 64, 3),
}


def _strip(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in state.items():
        for prefix in ("module.", "net.", "_orig_mod."):
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def _map(state: Mapping[str, torch.Tensor], convs: Mapping[int, tuple[int, int, int]], what: str,
         allow_extra_index_above: int | None) -> dict[str, torch.Tensor]:
    sd = _strip(state)
    out: dict[str, torch.Tensor] = {}
    for index, (cout, cin, k) in convs.items():
        for name, shape in (("weight", (cout, cin, k, k)), ("bias", (cout,))):
            key = f"{index}.{name}"
            if key not in sd:
                raise KeyError(f"{what}: the checkpoint has no '{key}'; is this the pytorch-AdaIN {what} file? "
                               f"(keys found: {', '.join(sorted(sd)[:6])} ...)")
            value = sd[key]
            if tuple(value.shape) != shape:
                raise ValueError(f"{what}: '{key}' has shape {tuple(value.shape)}, expected {shape}")
            out[f"net.{key}"] = value.detach().float().contiguous()
    for key in sd:
        head = key.split(".")[0]
        if not head.isdigit():
            raise KeyError(f"{what}: unexpected key '{key}' (expected Sequential indices like '2.weight')")
        index = int(head)
        if index not in convs and (allow_extra_index_above is None or index <= allow_extra_index_above):
            raise KeyError(f"{what}: unexpected key '{key}'")
    return out


def adain_vgg_normalised_to_encoder(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``vgg_normalised.pth`` -> ``PublicVGGEncoder`` keys (``net.N.weight``), convs up to relu4_1 only."""
    return _map(state, ENCODER_CONVS, "vgg_normalised", allow_extra_index_above=max(ENCODER_CONVS))


def adain_decoder_to_decoder(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``decoder.pth`` -> ``PublicDecoder`` keys (``net.N.weight``)."""
    return _map(state, DECODER_CONVS, "AdaIN decoder", allow_extra_index_above=None)


# ------------------------------------------------------------------------------------------------
# Fast neural style (pytorch/examples fast_neural_style: candy, mosaic, rain_princess, udnie)

#: InstanceNorm2d buffers an older torch saved in those files (running stats IN never uses in eval).
_STALE_IN_BUFFER = re.compile(r"(^|\.)in\d+\.(running_mean|running_var|num_batches_tracked)$")


def fast_neural_style_to_transformer(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A ``fast_neural_style`` ``TransformerNet`` state dict -> our ``TransformerNet`` (same names, full width).

    Drops the InstanceNorm running-stat keys (``in1.running_mean``, ``res1.in2.running_var`` ...) and a
    ``module.`` prefix, then requires exactly our keys and shapes at the published 32-64-128 widths.
    """
    from plugins.style_transfer.fast_models import TransformerNet

    sd = {}
    for key, value in state.items():
        key = key[len("module."):] if key.startswith("module.") else key
        if _STALE_IN_BUFFER.search(key):
            continue
        sd[key] = value
    own = TransformerNet().state_dict()
    missing, unexpected = sorted(set(own) - set(sd)), sorted(set(sd) - set(own))
    if missing or unexpected:
        raise KeyError(f"fast_neural_style checkpoint does not match TransformerNet: missing {missing[:4]}, "
                       f"unexpected {unexpected[:4]}")
    out = {}
    for key, ref in own.items():
        if tuple(sd[key].shape) != tuple(ref.shape):
            raise ValueError(f"fast_neural_style '{key}' has shape {tuple(sd[key].shape)}, expected {tuple(ref.shape)}")
        out[key] = sd[key].detach().float().contiguous()
    return out

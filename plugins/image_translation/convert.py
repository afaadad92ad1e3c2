"""Map the official pix2pix / CycleGAN generators onto ours (``ganhub weights convert ID``; state dict -> state dict).

junyanz/pytorch-CycleGAN-and-pix2pix saves ``netG`` as a plain state dict (``latest_net_G.pth``, and the
released ``<name>.pth`` files are the same thing): the U-Net (``--netG unet_256``, batch norm, pix2pix)
as nested ``model.model.0.weight`` (outermost down conv), ``model.model.1.model.1.weight`` (next level
down), ``model.model.1.model.3....`` (deeper), ``model.model.3.weight`` (outermost up conv); the ResNet
(``--netG resnet_9blocks``, instance norm, CycleGAN) as a flat ``model.1.weight``,
``model.10.conv_block.1.weight`` ... ``model.26.weight``. Our ``UNetGenerator`` and ``ResNetGenerator``
use exactly these names, so conversion is a clean-up and a strict check:

* ``module.`` prefixes (a ``DataParallel`` save) are stripped;
* ``running_mean``/``running_var``/``num_batches_tracked`` of instance norms (checkpoints saved by
  PyTorch < 0.4, which upstream patches away at load time) are dropped;
* a batch norm's missing ``num_batches_tracked`` (the same old saves) is added as 0;
* the result is loaded strictly into the network its shapes describe, so a foreign layout fails here,
  at conversion, not at run time.
"""

from __future__ import annotations

from typing import Mapping

import torch

__all__ = ["official_to_unet", "official_to_resnet", "official_generator"]


def _strip(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in sd.items():
        for prefix in ("module.", "_orig_mod."):
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def _fix_norm_buffers(sd: dict[str, torch.Tensor], batch_norm: bool) -> dict[str, torch.Tensor]:
    stats = ("running_mean", "running_var", "num_batches_tracked")
    if not batch_norm:
        return {k: v for k, v in sd.items() if k.rsplit(".", 1)[-1] not in stats}
    out = dict(sd)
    for k in sd:
        if k.endswith(".running_mean"):
            nbt = k[: -len("running_mean")] + "num_batches_tracked"
            out.setdefault(nbt, torch.tensor(0, dtype=torch.long))
    return out


def _affine_norms(sd: Mapping[str, torch.Tensor]) -> bool:
    """Batch norm leaves 1-D affine weights; upstream's instance norm (affine=False) leaves none."""
    return any(k.endswith(".weight") and v.dim() == 1 for k, v in sd.items())


def _check(sd: dict[str, torch.Tensor], kind: str) -> dict[str, torch.Tensor]:
    """Refuse anything a strict load into the generator its shapes describe would refuse."""
    from plugins.image_translation.models import empty_generator_for, layout_mismatch

    with torch.device("meta"):
        net = empty_generator_for(sd)
    problem = layout_mismatch(net, sd)
    if problem:
        raise KeyError(f"not an official {kind} generator state dict ({problem})")
    return sd


def official_to_unet(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """pix2pix ``unet_256`` / ``unet_128`` ``netG`` (any ngf, batch or instance norm) -> ``UNetGenerator``."""
    sd = _strip(state_dict)
    if "model.model.0.weight" not in sd:
        raise KeyError("not a pix2pix U-Net: no model.model.0.weight")
    return _check(_fix_norm_buffers(sd, _affine_norms(sd)), "U-Net")


def official_to_resnet(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """CycleGAN ``resnet_9blocks`` / ``resnet_6blocks`` ``netG`` -> ``ResNetGenerator``. A batch-norm
    ResNet has affine weights beside its running statistics; an instance-norm one has none."""
    sd = _strip(state_dict)
    if "model.1.weight" not in sd:
        raise KeyError("not a CycleGAN ResNet generator: no model.1.weight")
    return _check(_fix_norm_buffers(sd, _affine_norms(sd)), "ResNet")


def official_generator(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Either layout, told apart by its first key."""
    sd = _strip(state_dict)
    return official_to_unet(sd) if "model.model.0.weight" in sd else official_to_resnet(sd)

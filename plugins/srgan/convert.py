"""Map public SR checkpoints onto our modules (called by ``ganhub weights convert ID``; state dict -> state dict).

* ``srgan_pytorch_to_srresnet``: the SRGAN-PyTorch port (Lornatang; Hub mirror goodfellowliu/SRGAN-PyTorch,
  ``SRResNet_x4-SRGAN_ImageNet.pth.tar`` / ``SRGAN_x4-...``): ``conv1.0`` (9x9) + ``conv1.1`` (PReLU),
  ``trunk.N.rcb.{0,1,2,3,4}`` (conv, BN, PReLU, conv, BN), ``conv2.{0,1}``, ``upsampling.N.upsample_block.{0,2}``,
  ``conv3``. The older release of the same port names them ``conv_block1/2/3``. -> ``SRResNet`` (io_range "0,1").
* ``srgan_pytorch_to_discriminator``: its discriminator (``features.K``, ``classifier.{0,2}``) -> ``SRGANDiscriminator``.
* ``esrgan_old_to_rrdbnet``: the original ESRGAN layouts -> ``RRDBNet``: the 2018 release
  (``model.0``, ``model.1.sub.N.RDB1.conv1.0``, ``model.1.sub.23``, ``model.3/6/8/10``) and the 2019 one
  (``conv_first``, ``RRDB_trunk.N.RDB1.conv1``, ``trunk_conv``, ``upconv1/2``, ``HRconv``, ``conv_last``).
  Real-ESRGAN's own files (``conv_first``, ``body.N.rdb1.conv1``, ``conv_body``, ``conv_up1`` ...) need no
  conversion: ``RRDBNet`` uses their names, and ``esrgan_old_to_rrdbnet`` passes them through unchanged.
"""

from __future__ import annotations

import re
from typing import Mapping

import torch


def _strip_prefixes(sd: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    out = {}
    for k, v in sd.items():
        for prefix in ("module.", "_orig_mod."):
            if k.startswith(prefix):
                k = k[len(prefix):]
        out[k] = v
    return out


def srgan_pytorch_to_srresnet(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    sd = _strip_prefixes(state_dict)
    if any(k.startswith("conv_block1.") for k in sd):  # the port's older names
        sd = {re.sub(r"^conv_block([123])\.", r"conv\1.", k): v for k, v in sd.items()}
    out: dict[str, torch.Tensor] = {}
    rcb = {"0": "conv1", "1": "bn1", "2": "act", "3": "conv2", "4": "bn2"}
    for k, v in sd.items():
        if k.startswith("conv1.0."):
            out["head." + k[len("conv1.0."):]] = v
        elif k.startswith("conv1.1."):
            out["head_act." + k[len("conv1.1."):]] = v
        elif m := re.match(r"trunk\.(\d+)\.rcb\.(\d)\.(.+)", k):
            out[f"blocks.{m[1]}.{rcb[m[2]]}.{m[3]}"] = v
        elif k.startswith("conv2.0."):
            out["body_conv." + k[len("conv2.0."):]] = v
        elif k.startswith("conv2.1."):
            out["body_bn." + k[len("conv2.1."):]] = v
        elif m := re.match(r"upsampling\.(\d+)\.upsample_block\.(\d)\.(.+)", k):
            out[f"upsample.{m[1]}.{ {'0': 'conv', '2': 'act'}[m[2]] }.{m[3]}"] = v
        elif k.startswith("conv3."):
            out["tail." + k[len("conv3."):]] = v
        else:
            raise KeyError(f"unexpected key in an SRGAN-PyTorch generator checkpoint: {k}")
    return out


def srgan_pytorch_to_discriminator(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """``features`` is a flat Sequential (conv, [BN], LReLU, ...); ours groups each layer as features.L.{conv,bn}."""
    sd = _strip_prefixes(state_dict)
    conv_idx = sorted({int(k.split(".")[1]) for k in sd if k.startswith("features.") and sd[k].dim() == 4})
    out: dict[str, torch.Tensor] = {}
    for k, v in sd.items():
        parts = k.split(".")
        if parts[0] == "features":
            idx = int(parts[1])
            layer = max(i for i, c in enumerate(conv_idx) if c <= idx)
            kind = "conv" if idx == conv_idx[layer] else "bn"
            out[f"features.{layer}.{kind}.{'.'.join(parts[2:])}"] = v
        elif parts[0] == "classifier":
            out[f"{ {'0': 'dense1', '2': 'dense2'}[parts[1]] }.{'.'.join(parts[2:])}"] = v
        else:
            raise KeyError(f"unexpected key in an SRGAN-PyTorch discriminator checkpoint: {k}")
    return out


_OLD_TAIL = {"model.0": "conv_first", "model.3": "conv_up1", "model.6": "conv_up2", "model.8": "conv_hr",
             "model.10": "conv_last", "trunk_conv": "conv_body", "upconv1": "conv_up1", "upconv2": "conv_up2",
             "HRconv": "conv_hr"}


def esrgan_old_to_rrdbnet(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    sd = _strip_prefixes(state_dict)
    if "conv_first.weight" in sd and any(k.startswith("body.") for k in sd):
        return dict(sd)  # already Real-ESRGAN / basicsr names
    trunk_blocks = {int(m[1]) for k in sd if (m := re.match(r"model\.1\.sub\.(\d+)\.RDB", k))}
    trunk_conv = f"model.1.sub.{max(trunk_blocks) + 1}" if trunk_blocks else None
    out: dict[str, torch.Tensor] = {}
    for k, v in sd.items():
        if m := re.match(r"(?:model\.1\.sub|RRDB_trunk)\.(\d+)\.RDB(\d)\.conv(\d)(?:\.0)?\.(weight|bias)$", k):
            out[f"body.{m[1]}.rdb{m[2]}.conv{m[3]}.{m[4]}"] = v
            continue
        base, _, param = k.rpartition(".")
        if trunk_conv and base == trunk_conv:
            out[f"conv_body.{param}"] = v
        elif base in _OLD_TAIL:
            out[f"{_OLD_TAIL[base]}.{param}"] = v
        elif base in ("conv_first", "conv_last"):
            out[k] = v
        else:
            raise KeyError(f"unexpected key in an ESRGAN checkpoint: {k}")
    return out


def srresnet_to_srgan_pytorch(state_dict: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of ``srgan_pytorch_to_srresnet`` (used by the tests to build a checkpoint in the public layout)."""
    rcb = {"conv1": "0", "bn1": "1", "act": "2", "conv2": "3", "bn2": "4"}
    out = {}
    for k, v in state_dict.items():
        p = k.split(".")
        if p[0] == "head":
            out["conv1.0." + ".".join(p[1:])] = v
        elif p[0] == "head_act":
            out["conv1.1." + ".".join(p[1:])] = v
        elif p[0] == "blocks":
            out[f"trunk.{p[1]}.rcb.{rcb[p[2]]}." + ".".join(p[3:])] = v
        elif p[0] == "body_conv":
            out["conv2.0." + ".".join(p[1:])] = v
        elif p[0] == "body_bn":
            out["conv2.1." + ".".join(p[1:])] = v
        elif p[0] == "upsample":
            out[f"upsampling.{p[1]}.upsample_block.{ {'conv': '0', 'act': '2'}[p[2]] }." + ".".join(p[3:])] = v
        elif p[0] == "tail":
            out["conv3." + ".".join(p[1:])] = v
    return out

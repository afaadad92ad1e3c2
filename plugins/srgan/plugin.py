"""Super-resolution: SRResNet and SRGAN (Ledig et al. 2017), plus the public ESRGAN-family weights (RRDBNet).

Model plugin and technique plugin at once: it registers the SR models (interface ``SuperResolver``:
an ``nn.Module`` mapping a [-1, 1] LR image to a ``scale``-times larger [-1, 1] image, with a
``scale`` attribute), the "Super-resolution" tab and the ``srgan`` trainer. The Python API is
``plugins.srgan.api.upscale(image, scale, module)``. Importing this package loads neither torch nor gradio.
Its weight entries live in ``plugins/srgan/weights.yaml``, the embedded files in ``weights/`` beside it.
"""

from __future__ import annotations

from pathlib import Path

from hub import Demo, ModelSpec, TrainerSpec, hookimpl
from hub.api import INTERFACE_SUPER_RESOLVER


#: The card of this plugin's generated Space (``ganhub spaces build``).
SPACE = dict(
    emoji="🔍", short="SRResNet / SRGAN / ESRGAN x2-x4 super-resolution",
    tags=["super-resolution", "srgan", "esrgan"],
    papers=["Ledig et al., *Photo-Realistic Single Image Super-Resolution Using a GAN*, CVPR 2017, "
            "[arXiv:1609.04802](https://arxiv.org/abs/1609.04802)",
            "Wang et al., *ESRGAN: Enhanced Super-Resolution GANs*, ECCV Workshops 2018, "
            "[arXiv:1809.00219](https://arxiv.org/abs/1809.00219)",
            "Wang et al., *Real-ESRGAN*, ICCV Workshops 2021, [arXiv:2107.10833](https://arxiv.org/abs/2107.10833)"],
    limits=["The embedded SRResNet is small and briefly trained on CPU; the Hub models are far better "
            "but some are non-commercial (see the licences) and pickles need a one-time conversion."],
)


def _load(path):
    from safetensors.torch import load_file

    return load_file(str(path))


def _build_srresnet(weight_id: str, io_range: str = "-1,1"):
    def build(paths):
        from plugins.srgan.models import SRResNet, srresnet_config_from_state_dict

        sd = _load(paths[weight_id])
        net = SRResNet(**srresnet_config_from_state_dict(sd), io_range=io_range)
        net.load_state_dict(sd, strict=True)
        return net

    return build


def _build_rrdbnet(weight_id: str):
    def build(paths):
        from plugins.srgan.models import RRDBNet, rrdbnet_config_from_state_dict

        sd = _load(paths[weight_id])
        net = RRDBNet(**rrdbnet_config_from_state_dict(sd))
        net.load_state_dict(sd, strict=True)
        return net

    return build


def model_specs() -> list[ModelSpec]:
    """Every SR model this plugin registers."""
    def spec(name, wid, build, description):
        return ModelSpec(name=name, family="srgan", interface=INTERFACE_SUPER_RESOLVER, build=build,
                         weights=(wid,), description=description)

    specs = [
        spec("srgan-srresnet-x4", "srgan-srresnet-x4", _build_srresnet("srgan-srresnet-x4"),
             "Embedded SRResNet x4 (MSE), trained on CPU on offline photos; see plugins/srgan/weights/srgan-srresnet-x4.md"),
        spec("srgan-srgan-x4", "srgan-srgan-x4", _build_srresnet("srgan-srgan-x4"),
             "Embedded SRGAN x4 (VGG54 + adversarial), fine-tuned from the SRResNet; see plugins/srgan/weights/srgan-srgan-x4.md"),
        spec("srgan-realesrgan-x4plus", "srgan-realesrgan-x4plus", _build_rrdbnet("srgan-realesrgan-x4plus"),
             "Real-ESRGAN x4plus (RRDBNet 23 blocks, BSD-3-Clause), Hub safetensors loaded as published"),
        spec("srgan-esrgan-x4", "srgan-esrgan-x4", _build_rrdbnet("srgan-esrgan-x4"),
             "ESRGAN x4 (Wang et al. 2018), original pickle converted with `ganhub weights convert srgan-esrgan-x4`"),
        spec("srgan-remacri-x4", "srgan-remacri-x4", _build_rrdbnet("srgan-remacri-x4"),
             "4x Remacri, a community ESRGAN-architecture model (CC-BY-NC-SA-4.0), Hub safetensors in the ESRGAN layout"),
        spec("srgan-srresnet-x4-imagenet", "srgan-srresnet-x4-imagenet",
             _build_srresnet("srgan-srresnet-x4-imagenet", io_range="0,1"),
             "SRResNet x4 16x64 trained on ImageNet by the SRGAN-PyTorch port (Apache-2.0); convert first"),
        spec("srgan-srgan-x4-imagenet", "srgan-srgan-x4-imagenet",
             _build_srresnet("srgan-srgan-x4-imagenet", io_range="0,1"),
             "SRGAN x4 16x64 trained on ImageNet by the SRGAN-PyTorch port (Apache-2.0); convert first"),
        spec("srgan-srresnet-x2-imagenet", "srgan-srresnet-x2-imagenet",
             _build_srresnet("srgan-srresnet-x2-imagenet", io_range="0,1"),
             "SRResNet x2 16x64 trained on ImageNet by the SRGAN-PyTorch port (Apache-2.0); convert first"),
    ]
    return specs


@hookimpl
def register_weights(register):
    register(str(Path(__file__).with_name("weights.yaml")))


@hookimpl
def register_models(register):
    for spec in model_specs():
        register(spec)


def _build_tab(ctx):
    from plugins.srgan.ui import build

    build(ctx)


def _upscale_budget(photo=None, scale=4, degrade_first=False, tile=256, **_):
    """What an upscale costs (``Demo.budgets``): the LR pixels the model computes (every tile with its
    24 px context, overlapping its neighbours by 16 px) at ~20 us each on the reference CPU (the
    x4 SRResNet's card: 256 -> 1024 in 0.75 s at 2 idle threads, ~11 us), and the activations of one
    tile at the output scale (64 channels, three alive) plus the output canvas."""
    import math
    import os

    from hub.api import BASE_SECONDS, Budget

    scale = max(1, int(scale or 4))
    width, height = getattr(photo, "size", (0, 0))
    limit = int(os.environ.get("GANHUB_SR_MAX_INPUT_SIDE") or 1024)  # a larger photo is resized or cropped to it
    if max(width, height) > limit:
        width, height = width * limit // max(width, height), height * limit // max(width, height)
    if degrade_first:
        width, height = width // scale, height // scale
    tile = int(tile or 0)
    if tile <= 0 or (width <= tile and height <= tile):
        computed = one_tile = width * height
    else:
        step = tile - min(16, tile // 2)
        tiles = (math.ceil(max(width - tile, 0) / step) + 1) * (math.ceil(max(height - tile, 0) / step) + 1)
        one_tile = (tile + 48) ** 2
        computed = tiles * one_tile
    out = width * height * scale * scale
    return Budget(BASE_SECONDS + computed * 20e-6, one_tile * scale * scale * 64 * 4 * 3 + out * 4 * 8)


@hookimpl
def register_demos(register):
    register(Demo(
        id="srgan",
        title="Super-resolution",
        build=_build_tab,
        order=60,
        description="Upscale photos x2/x4 with SRResNet, SRGAN or Hub ESRGAN-family weights; tiled for any "
                    "size; compare against bicubic; 'degrade then restore' shows PSNR/SSIM as in the paper.",
        models=(f"interface:{INTERFACE_SUPER_RESOLVER}",),
        budgets={"upscale": _upscale_budget},
        space=SPACE,
    ))


@hookimpl
def register_trainers(register):
    register(TrainerSpec(name="srgan", main="plugins.srgan.train:main",
                         help="SRResNet (--stage 1, MSE) then SRGAN (--stage 2); --export writes plugins/srgan/weights/srgan-*"))

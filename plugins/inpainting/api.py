"""GAN-prior inpainting (Image2StyleGAN++ Sec. 6, "Image inpainting") as a Python API, with OpenCV's
classical inpainting (Telea 2004 / Navier-Stokes, Bertalmio et al. 2001) as the baseline beside it.

    from hub import get_model
    from plugins.inpainting import api
    G = get_model("stylegan2-emoji64")
    image, hole = api.hole_from_alpha("face_with_transparent_hole.png")
    run = api.Run(api.inpaint(G, image, hole))
    for p in run: print(p.step, p.total)
    out = run.result.extras["composite"]          # PIL: input pixels outside the hole, GAN fill inside
    fills = api.variations(G, image, hole, n=4)    # N fills from random starts in U[-0.4, 0.4]
    base = api.classical_inpaint(image, hole, "telea")

Algorithm (paper's defaults, scaled as ``plugins.i2s_plusplus.api`` explains):

* the hole M (1 = missing; from the brush or from transparent pixels) is grown by res/32 px and
  blurred (sigma res/32 px): M_blur+; the known pixels are 1 - M_blur+;
* W_l from w_avg (the mean face) on the paper's W+ rows 1-9 and 17-18 of 18 only (rows 10-16 keep
  w_avg), 200 / 5 = 40 steps, MSE + perceptual (lambda 1e-5 each -> 1) over 1 - M_blur+;
* or, with ``encoder`` (``init="encoder"``, what the tab and ``inpaint`` do when the model has an
  encoder): W_l starts from En(classical fill), the encoder's W+ of the image with its hole filled by
  OpenCV Telea, so that the rows W_l leaves alone hold this image's code instead of the mean face's.
  Not the paper's start (it has no encoder); on held-out emoji it is the difference between losing
  to Telea inside the hole and beating it (docs/i2s_plusplus_results.md);
* Mk_n, 1000 / 5 = 200 steps, MSE over 1 - M_blur+ and lambda_mse2 = 1e-4 (-> 10, ten times the
  other terms as in the paper) over M_blur+ towards the W_l result (our reading of the paper's
  second term: the noise restores detail around the hole without re-painting the fill);
* "Variations": starts w_avg + U[-0.4, 0.4] per W+ entry (the paper's U[-0.4, 0.4]), all N fills
  optimised together as one batch (independent latents; ~2.7x the time of one fill for N = 4);
* steps: the paper's 200 + 1000 divided by the engine's 5 (40 + 200): one fill takes ~10-25 s on the
  shared 2-core CPU, inside the < 60 s bar, so unlike the other Image2StyleGAN++ applications it
  keeps the engine's scaling (``PAPER_W_STEPS`` / ``PAPER_NOISE_STEPS`` give the paper's counts);
* the output is composited at the INPUT's resolution: the input's own pixels wherever the hole mask
  is < 0.5, the generator's fill (resized) inside, so pixels outside the hole are returned
  bit-identical (max abs diff 0).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator, Sequence

import numpy as np
import torch

from hub.nn import inversion as inv
from plugins.inpainting.defaults import (  # torch-free: the tab reads them while it builds
    INIT_RANGE, METHODS, MSE2_WEIGHT, NOISE_STEPS, PAPER_NOISE_STEPS, PAPER_W_STEPS, W_STEPS,
)
from plugins.i2s_plusplus.api import (
    INPAINT_PAPER_ROWS,
    EditResult,
    M_blur_plus,
    Progress,
    Run,
    _stage,
    _start_state,
    default_sigma,
    image_tensor,
    mask_tensor,
    paper_rows,
    render,
)

__all__ = [
    "PAPER_W_STEPS",
    "PAPER_NOISE_STEPS",
    "W_STEPS",
    "NOISE_STEPS",
    "INIT_RANGE",
    "MSE2_WEIGHT",
    "Run",
    "Progress",
    "EditResult",
    "enclosed",
    "hole_from_alpha",
    "hole_from_editor",
    "prepare",
    "inpaint",
    "variations",
    "variations_stream",
    "composite",
    "classical_inpaint",
    "psnr_in",
    "max_abs_outside",
]



def enclosed(transparent: np.ndarray) -> np.ndarray:
    """The pixels of ``transparent`` (bool [H,W]) that do not reach the image's border through
    transparent pixels (4-connected): a hole cut into a picture, not the transparent background
    around an emoji or a sticker, which is the picture's background (shown on white)."""
    import cv2

    count, labels = cv2.connectedComponents(np.ascontiguousarray(transparent, np.uint8), connectivity=4)
    border = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    return transparent & ~np.isin(labels, border[border > 0])


def hole_from_alpha(source: Any) -> tuple[Any, np.ndarray]:
    """An RGBA image whose enclosed transparent pixels are the hole -> (PIL RGB on white, hole [H,W]
    float in {0, 1}). Transparent pixels connected to the border are background, not hole (an emoji
    PNG's transparent surroundings); to fill a region at the edge, paint it in the tab."""
    from hub.images import mask_from_alpha

    img, missing = mask_from_alpha(source, what="image with a transparent hole")
    return img, enclosed(missing >= 0.5).astype(np.float32)


def hole_from_editor(value: Any) -> tuple[Any, np.ndarray]:
    """A ``gr.ImageEditor`` value -> (PIL RGB on white, hole [H,W]). What is painted is the hole; with
    nothing painted, the uploaded image's enclosed transparent pixels are (``hole_from_alpha``), never
    its transparent background."""
    from hub.images import mask_from_editor

    bg, hole = mask_from_editor(value, what="image")
    if float(hole.max()) <= 0 and isinstance(value, dict) and value.get("background") is not None:
        return hole_from_alpha(value["background"])
    return bg, hole


def prepare(image: Any, hole: Any) -> tuple[Any, np.ndarray]:
    """(PIL RGB, binary hole bool [H,W] at the image's size). The hole is ``hole >= 0.5``."""
    from PIL import Image

    from hub.images import load_image

    img = image if isinstance(image, Image.Image) else load_image(image, what="image")
    img = img.convert("RGB")
    h = np.asarray(hole, np.float32)
    if h.ndim == 3:
        h = h.mean(-1)
    if h.shape != (img.height, img.width):
        h = np.asarray(Image.fromarray((h * 255).astype(np.uint8)).resize(img.size, Image.NEAREST), np.float32) / 255
    binary = h >= 0.5
    if not binary.any():
        raise ValueError("the hole is empty: paint over the region to fill (or upload a PNG with transparent pixels)")
    if binary.all():
        raise ValueError("the hole covers the whole image: nothing is left to inpaint from")
    return img, binary


def _square(img, hole):
    """Generators are square: inpaint on the image as is if square, else refuse with a clear message."""
    if img.width != img.height:
        raise ValueError(f"the image is {img.width}x{img.height}; crop it to a square first (the generator is square)")
    return img, hole


def composite(image: Any, hole: np.ndarray, fill: torch.Tensor):
    """Input pixels where ``hole`` is False, ``fill`` (tensor in [-1,1], resized to the image) inside.
    Exact outside: the result's pixels there are the input's bytes."""
    from PIL import Image

    from hub.images import to_pil

    src = np.asarray(image.convert("RGB"))
    f = to_pil(fill)
    if f.size != image.size:
        f = f.resize(image.size, Image.Resampling.LANCZOS if f.width > image.width else Image.Resampling.BICUBIC)
    out = np.where(hole[:, :, None], np.asarray(f), src)
    return Image.fromarray(out.astype(np.uint8), "RGB")


def _fill(G: Any, image: Any, hole: Any, count: int, *, rows: Sequence[int] | None, w_steps: int,
          noise_steps: int, noise_lr: float, grow: int | None, sigma: float | None, mse: float, perceptual: float,
          mse2: float, init: str, init_range: float, seed: int, yield_every: int,
          features: Callable | None, encoder: Callable | None = None, init_latent: Any = None) -> Iterator[Progress]:
    """``count`` fills of one hole optimised together as one batch (each its own W+ and noise, drawn
    from ``seed``); returns (EditResult of the batch, list of PIL composites)."""
    from plugins.i2s_plusplus.api import side_by_side

    img, binary = _square(*prepare(image, hole))
    x = image_tensor(G, img)
    R = int(G.resolution)
    m = (mask_tensor(binary.astype(np.float32), R, x.device) > 0).float()  # any hole pixel counts at 64 px
    grow = max(1, int(round(R / 32))) if grow is None else int(grow)
    mbp = M_blur_plus(m, grow, default_sigma(G) if sigma is None else float(sigma))
    known = 1 - mbp
    rows = paper_rows(G, INPAINT_PAPER_ROWS) if rows is None else tuple(rows)
    x_in = torch.where(m > 0, torch.zeros_like(x), x)  # the hole's content never enters a loss
    x_in = x_in.expand(int(count), -1, -1, -1).contiguous()
    state: dict = {"ws": None, "noise": None}
    if init_latent is not None:  # a latent of this image from another tab: W_l starts from it
        start = _start_state(G, init_latent)
        state["ws"] = start["ws"].expand(int(count), -1, -1).clone()
        state["noise"] = None if count != 1 or start["noise"] is None else [n.clone() for n in start["noise"]]
        init = "w_avg"  # not used: the stages start from state["ws"]
    elif init == "encoder":
        if encoder is None:
            raise ValueError("init='encoder' needs the model's encoder (this model has none); use init='w_avg'")
        filled = image_tensor(G, classical_inpaint(img, binary, "telea"))
        state["ws"] = inv.encode(encoder, filled, int(G.num_ws)).expand(int(count), -1, -1).clone()
        init = "w_avg"  # not used: the stages start from state["ws"]
    total = w_steps + noise_steps

    def batch_preview(gen):
        for p in gen:
            yield p._replace(image=side_by_side(p.image))

    if w_steps:
        phase = inv.phase_wl(w_steps, layers=rows, mse=mse, perceptual=perceptual)
        yield from batch_preview(_stage(G, x_in, phase, state, 0, total, yield_every, seed=seed, init=init,
                                        init_range=init_range, masks={"mse": known, "perceptual": known},
                                        features=features))
    elif state["ws"] is None and not state.get("stopped"):  # the start W_l would have used: w_avg, or w_avg + U[-r, r] (as the engine draws it)
        cfg = inv.InversionConfig(init=init, init_range=init_range, seed=seed)
        start = inv.invert(G, x_in, cfg)
        state["ws"], state["noise"] = start.ws, start.noise
    if noise_steps and not state.get("stopped"):
        anchor = render(G, state["ws"], state["noise"])
        yield from batch_preview(_stage(G, x_in, inv.phase_mkn(noise_steps, lr=noise_lr, mse=mse, mse2=mse2), state,
                                        w_steps, total, yield_every, seed=seed, second=anchor,
                                        masks={"mse": known, "mse2": mbp}))
    if state["ws"] is None:  # stopped before the first step: the start, w_avg
        state["ws"] = G.w_avg.detach().reshape(1, 1, -1).repeat(int(count), int(G.num_ws), 1)
    res_img = render(G, state["ws"], state["noise"])
    composites = [composite(img, binary, res_img[k:k + 1]) for k in range(int(count))]
    stopped = bool(state.get("stopped"))
    res = EditResult(image=res_img, ws=state["ws"], noise=state["noise"], history=state.get("history", []),
                     completed=not stopped, extras={"composite": composites[0], "hole": binary, "mask_blur_plus": mbp,
                                                    "rows": rows, "stopped": stopped})
    return res, composites


def inpaint(G: Any, image: Any, hole: Any, *, rows: Sequence[int] | None = None, w_steps: int = W_STEPS,
            noise_steps: int = NOISE_STEPS, noise_lr: float = 5.0, grow: int | None = None, sigma: float | None = None,
            mse: float = 1.0, perceptual: float = 1.0, mse2: float = MSE2_WEIGHT, init: str | None = None,
            encoder: Callable | None = None, init_range: float = INIT_RANGE, seed: int = 0, yield_every: int = 10,
            features: Callable | None = None, init_latent: Any = None) -> Iterator[Progress]:
    """Fill ``hole`` (1 = missing) of ``image``: W_l on the paper's rows 1-9 + 17-18 (scaled), then Mk_n.
    W_l starts from ``init``: "encoder" (En of the Telea-filled image; needs ``encoder``), "w_avg"
    (the paper's) or "uniform" (w_avg + U[-init_range, init_range]); None = "encoder" when an
    ``encoder`` is given, else "w_avg". Yields ``Progress``; returns an ``EditResult`` whose
    ``extras["composite"]`` is the PIL output (exact outside). ``init_latent`` (a latent of this image,
    e.g. from another tab: tensor, {"ws", "noise"} or a result) replaces the start. After a Stop the
    result is the state reached (``extras["stopped"]``)."""
    init = ("encoder" if encoder is not None else "w_avg") if init is None else init
    res, _ = yield from _fill(G, image, hole, 1, rows=rows, w_steps=w_steps, noise_steps=noise_steps,
                              noise_lr=noise_lr, grow=grow, sigma=sigma, mse=mse, perceptual=perceptual, mse2=mse2,
                              init=init, init_range=init_range, seed=seed, yield_every=yield_every, features=features,
                              encoder=encoder, init_latent=init_latent)
    return res


def variations_stream(G: Any, image: Any, hole: Any, n: int = 4, *, init_range: float = INIT_RANGE,
                      seed: int = 0, rows: Sequence[int] | None = None, w_steps: int = W_STEPS,
                      noise_steps: int = NOISE_STEPS, noise_lr: float = 5.0, grow: int | None = None,
                      sigma: float | None = None, mse: float = 1.0, perceptual: float = 1.0,
                      mse2: float = MSE2_WEIGHT, yield_every: int = 10,
                      features: Callable | None = None) -> Iterator[Progress]:
    """``n`` fills from random starts w_avg + U[-init_range, init_range] (one draw per fill from
    ``seed``), optimised together as one batch: each fill has its own W+ and noise, and the batch
    costs ~2.7x one fill for n = 4 on one CPU thread instead of 4x. Yields ``Progress`` (the preview
    shows every fill side by side); returns a list of ``EditResult`` (one per fill, each with its
    ``extras["composite"]``)."""
    if int(n) < 1:
        raise ValueError("variations need n >= 1")
    gen = _fill(G, image, hole, int(n), rows=rows, w_steps=w_steps, noise_steps=noise_steps, noise_lr=noise_lr,
                grow=grow, sigma=sigma, mse=mse, perceptual=perceptual, mse2=mse2, init="uniform",
                init_range=init_range, seed=seed, yield_every=yield_every, features=features)
    try:
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                res, composites = stop.value
                break
            yield p._replace(stage=f"{int(n)} variations: {p.stage}")
    finally:
        gen.close()
    out = []
    for k, comp in enumerate(composites):
        out.append(EditResult(image=res.image[k:k + 1], ws=res.ws[k:k + 1],
                              noise=None if res.noise is None else [t[k:k + 1] for t in res.noise],
                              history=res.history, extras=dict(res.extras, composite=comp)))
    return out


def variations(G: Any, image: Any, hole: Any, n: int = 4, **kwargs: Any) -> list:
    """The PIL composites of ``variations_stream`` run to the end."""
    run = Run(variations_stream(G, image, hole, n, **kwargs))
    run.run()
    return [r.extras["composite"] for r in run.result]


def classical_inpaint(image: Any, hole: Any, method: str = "telea", radius: int = 3):
    """OpenCV ``cv2.inpaint`` (``INPAINT_TELEA`` or ``INPAINT_NS``), composited exactly like ours."""
    import cv2
    from PIL import Image

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, not {method!r}")
    img, binary = prepare(image, hole)
    flag = cv2.INPAINT_TELEA if method == "telea" else cv2.INPAINT_NS
    src = np.ascontiguousarray(np.asarray(img))
    out = cv2.inpaint(src, binary.astype(np.uint8) * 255, int(radius), flag)
    out = np.where(binary[:, :, None], out, src)
    return Image.fromarray(out.astype(np.uint8), "RGB")


def psnr_in(a: Any, b: Any, region: np.ndarray) -> float:
    """PSNR (dB, 8-bit peak) between two RGB images over the pixels where ``region`` ([H, W] bool) is
    True: the hub's one PSNR (``hub.training.metrics.psnr``), whose ceiling (120 dB) an exact match reads."""
    from hub.training.metrics import psnr

    region = np.asarray(region, bool)
    if not region.any():
        raise ValueError("psnr_in needs a region with at least one pixel")
    nchw = [torch.from_numpy(np.asarray(x, np.float64)).permute(2, 0, 1)[None] for x in (a, b)]
    return float(psnr(*nchw, torch.from_numpy(region)[None, None], data_range=255.0))


def max_abs_outside(a: Any, b: Any, hole: np.ndarray) -> int:
    d = np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16))
    return int(d[~hole].max()) if (~hole).any() else 0

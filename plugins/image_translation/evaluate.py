"""Held-out quality of the embedded models, with the baselines the cards report beside them.

Pix2Pix (``evaluate_pix2pix``): every held-out Noto emoji (base emoji never trained on) -> its line map
``sketch.edges`` -> the generator (dropout off: flip-averaged as ``api.translate`` does by default, and a
single forward pass; and dropout noise seed 0) -> PSNR / SSIM against the true emoji. Baselines measured the same way: the mean training emoji, and the nearest training emoji by
edge map (L2 between Gaussian-blurred (sigma 1.5) line maps, so a stroke one pixel off still counts as near).

CycleGAN (``evaluate_cyclegan``): held-out code points only. Cycle reconstruction PSNR each way
(F(G(x)) vs x, G(F(y)) vs y) beside how far the translation itself moved the image (PSNR of G(x) vs x);
closeness of G(Noto) to the same code point's real Twemoji against the identity baseline (the Noto
emoji itself), and of F(Twemoji) to the real Noto likewise; and the share of translations a small domain
classifier, trained on the two train splits only, labels as the target style (identity: the inputs).

Every generator runs as the API runs it: averaged with its mirrored pass (``api.flip_averaged``); the
single forward pass is reported beside it. Both return plain dicts (numbers rounded for cards); ``benchmarks/image_translation_quality.py`` prints them.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from hub.images import batch_to_tensor

__all__ = ["evaluate_pix2pix", "evaluate_cyclegan", "train_domain_classifier", "DomainClassifier",
           "pix2pix_grid", "sketch_grid", "cyclegan_grid"]


def _metrics(pred: torch.Tensor, truth: torch.Tensor) -> dict[str, float]:
    from hub.training import psnr, ssim

    return {"psnr": round(float(psnr(pred.clamp(-1, 1), truth).mean()), 2),
            "ssim": round(float(ssim(pred.clamp(-1, 1), truth).mean()), 4)}


@torch.no_grad()
def _run(net, x: torch.Tensor, batch: int = 64) -> torch.Tensor:
    return torch.cat([net(x[i:i + batch]) for i in range(0, len(x), batch)])


def _blurred(lines: np.ndarray) -> np.ndarray:
    import cv2

    ink = (lines < 128).astype(np.float32)
    return np.stack([cv2.GaussianBlur(a, (0, 0), 1.5) for a in ink]).reshape(len(ink), -1)


def evaluate_pix2pix(model, resolution: int = 64) -> dict[str, Any]:
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.image_translation.api import load_model
    from plugins.image_translation.models import set_dropout_noise
    from plugins.image_translation.sketch import edges, to_input

    m = load_model(model)
    train, _ = load_emoji_arrays(resolution, "train")
    held, held_meta = load_emoji_arrays(resolution, "heldout")
    truth = batch_to_tensor(held)
    held_lines = np.stack([edges(a) for a in held])
    x = to_input(held_lines)
    m.eval()
    out = _run(m, x)
    flip_avg = (out + _run(m, x.flip(-1)).flip(-1)) / 2  # what api.translate returns by default (noise off)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        set_dropout_noise(m, True)
        try:
            noisy = _run(m, x)
        finally:
            set_dropout_noise(m, False)
    mean = batch_to_tensor(train).mean(0, keepdim=True).expand_as(truth)
    train_lines = np.stack([edges(a) for a in train])
    a, b = _blurred(held_lines), _blurred(train_lines)
    d = (a ** 2).sum(1)[:, None] - 2 * a @ b.T + (b ** 2).sum(1)[None]
    nearest = batch_to_tensor(train[d.argmin(1)])
    return {
        "heldout_images": len(held), "heldout_bases": len({r["base_name"] for r in held_meta}),
        "train_images": len(train),
        "model_flip_average": _metrics(flip_avg, truth), "model": _metrics(out, truth),
        "model_noise_seed0": _metrics(noisy, truth),
        "mean_train_emoji": _metrics(mean, truth), "nearest_train_by_edges": _metrics(nearest, truth),
        "_tensors": {"lines": held_lines, "out": flip_avg, "truth": truth, "nearest": nearest},
    }


# ---------------------------------------------------------------------------------------------
# CycleGAN

class DomainClassifier(torch.nn.Module):
    """Four stride-2 convs and a linear layer: Noto (0) or Twemoji (1)."""

    def __init__(self, width: int = 16):
        super().__init__()
        layers, c = [], 3
        for w in (width, width * 2, width * 4, width * 8):
            layers += [torch.nn.Conv2d(c, w, 3, 2, 1), torch.nn.BatchNorm2d(w), torch.nn.LeakyReLU(0.2)]
            c = w
        self.features = torch.nn.Sequential(*layers, torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.head = torch.nn.Linear(c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x)).squeeze(1)


def _augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Flips, +-3 px shifts and, on half the batches, a light Gaussian blur (sigma 0.3-0.7): so that the
    classifier judges the drawing style (palette, shading, outlines), not how sharply each set was resampled."""
    import torchvision.transforms.functional as TF

    n = len(x)
    flip = torch.rand(n, generator=gen) < 0.5
    x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    dx, dy = (torch.randint(-3, 4, (2,), generator=gen)).tolist()
    x = torch.roll(x, (dy, dx), (2, 3))
    if float(torch.rand((), generator=gen)) < 0.5:
        sigma = 0.3 + 0.4 * float(torch.rand((), generator=gen))
        x = TF.gaussian_blur(x, [5, 5], [sigma, sigma])
    return x


def train_domain_classifier(resolution: int = 64, steps: int = 1500, batch: int = 64, seed: int = 0,
                            log=None) -> DomainClassifier:
    """The judge of the CycleGAN's style: trained on the Noto and Twemoji train splits only, seeded."""
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.emoji.twemoji import load_twemoji_arrays

    xs, _ = load_emoji_arrays(resolution, "train")
    ys, _ = load_twemoji_arrays(resolution, "train")
    data = torch.cat([batch_to_tensor(xs), batch_to_tensor(ys)])
    labels = torch.cat([torch.zeros(len(xs)), torch.ones(len(ys))])
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    clf = DomainClassifier()
    opt = torch.optim.Adam(clf.parameters(), lr=1e-3)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
    clf.train()
    for step in range(steps):
        idx = torch.randint(0, len(data), (batch,), generator=gen)
        logits = clf(_augment(data[idx], gen))
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        if log and (step + 1) % 100 == 0:
            log(f"domain classifier step {step + 1}: loss {loss.item():.4f}")
    return clf.eval()


@torch.no_grad()
def _twemoji_share(clf: DomainClassifier, x: torch.Tensor) -> float:
    return float((torch.cat([clf(x[i:i + 128]) for i in range(0, len(x), 128)]) > 0).float().mean())


def evaluate_cyclegan(model, resolution: int = 64, classifier: DomainClassifier | None = None, log=None) -> dict[str, Any]:
    from plugins.emoji.dataset import load_emoji_arrays
    from plugins.emoji.twemoji import load_twemoji_arrays
    from plugins.image_translation.api import load_model

    m = load_model(model).eval()
    noto_all, _ = load_emoji_arrays(resolution, "all")
    tw, tw_meta = load_twemoji_arrays(resolution, "heldout")
    y = batch_to_tensor(tw)
    x = batch_to_tensor(noto_all[[r["noto_index"] for r in tw_meta]])  # the same code points, Noto style
    from plugins.image_translation.api import flip_averaged

    single_y, single_x = _run(m.G, x), _run(m.F, y)  # one forward pass each
    G = lambda t: flip_averaged(m.G, t)  # noqa: E731  (as api.translate / api.cycle run them)
    F = lambda t: flip_averaged(m.F, t)  # noqa: E731
    fake_y, fake_x = _run(G, x), _run(F, y)
    rec_x, rec_y = _run(F, fake_y), _run(G, fake_x)
    clf = classifier or train_domain_classifier(resolution, log=log)
    return {
        "heldout_pairs": len(tw_meta), "heldout_bases": len({r["base_name"] for r in tw_meta}),
        "cycle_noto": _metrics(rec_x, x), "translation_moved_noto": _metrics(fake_y, x),
        "cycle_twemoji": _metrics(rec_y, y), "translation_moved_twemoji": _metrics(fake_x, y),
        "G_noto_vs_true_twemoji": _metrics(fake_y, y), "identity_noto_vs_true_twemoji": _metrics(x, y),
        "F_twemoji_vs_true_noto": _metrics(fake_x, x), "identity_twemoji_vs_true_noto": _metrics(y, x),
        "single_pass": {"G_noto_vs_true_twemoji": _metrics(single_y, y), "F_twemoji_vs_true_noto": _metrics(single_x, x)},
        "classifier": {
            "real_noto_as_noto": round(1 - _twemoji_share(clf, x), 4),
            "real_twemoji_as_twemoji": round(_twemoji_share(clf, y), 4),
            "G_noto_as_twemoji": round(_twemoji_share(clf, fake_y), 4),
            "F_twemoji_as_noto": round(1 - _twemoji_share(clf, fake_x), 4),
            "identity_noto_as_twemoji": round(_twemoji_share(clf, x), 4),
            "identity_twemoji_as_noto": round(1 - _twemoji_share(clf, y), 4),
            "single_pass_G_noto_as_twemoji": round(_twemoji_share(clf, single_y), 4),
            "single_pass_F_twemoji_as_noto": round(1 - _twemoji_share(clf, single_x), 4),
        },
        "_tensors": {"x": x, "y": y, "fake_y": fake_y, "fake_x": fake_x, "rec_x": rec_x, "rec_y": rec_y},
    }


# ---------------------------------------------------------------------------------------------
# Grids

def _uint8(t: torch.Tensor) -> np.ndarray:
    return ((t.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()


def _rows(rows: list[np.ndarray], scale: int = 2, gap: int = 2):
    from PIL import Image

    n, h, w, _ = rows[0].shape
    sheet = np.full((len(rows) * (h + gap) - gap, n * (w + gap) - gap, 3), 255, np.uint8)
    for r, row in enumerate(rows):
        for c in range(n):
            sheet[r * (h + gap):r * (h + gap) + h, c * (w + gap):c * (w + gap) + w] = row[c]
    im = Image.fromarray(sheet)
    return im.resize((im.width * scale, im.height * scale), Image.Resampling.NEAREST)


def pix2pix_grid(result: dict[str, Any], n: int = 12, seed: int = 0):
    """Rows: held-out edge maps, the model's outputs, the true emoji, the nearest-neighbour baseline."""
    t = result["_tensors"]
    idx = np.random.default_rng(seed).choice(len(t["lines"]), n, replace=False)
    lines = np.repeat(t["lines"][idx][..., None], 3, axis=3)
    return _rows([lines, _uint8(t["out"][idx]), _uint8(t["truth"][idx]), _uint8(t["nearest"][idx])])


def sketch_grid(model, n: int = 8, seed: int = 0, noise_samples: int = 2):
    """Rows: script-drawn sketches (not edges of any emoji), the line maps the model saw, then outputs
    from ``noise_samples`` dropout seeds."""
    from PIL import Image

    from plugins.image_translation.api import samples
    from plugins.image_translation.sketch import hand_drawn_sketches

    drawings = hand_drawn_sketches(n, seed)
    res = 64
    raw = np.stack([np.asarray(Image.fromarray(d).resize((res, res), Image.Resampling.LANCZOS)) for d in drawings])
    seen, outs = [], [[] for _ in range(noise_samples)]
    for d in drawings:
        lines, imgs = samples(model, d, noise_samples, source="lines", seed=0)
        seen.append(np.asarray(lines.convert("RGB")))
        for k, im in enumerate(imgs):
            outs[k].append(np.asarray(im))
    return _rows([raw, np.stack(seen)] + [np.stack(o) for o in outs])


def cyclegan_grid(result: dict[str, Any], n: int = 10, seed: int = 0):
    """Rows: Noto, G(Noto), F(G(Noto)), true Twemoji; Twemoji, F(Twemoji), G(F(Twemoji)), true Noto."""
    t = result["_tensors"]
    idx = np.random.default_rng(seed).choice(len(t["x"]), n, replace=False)
    u = lambda k: _uint8(t[k][idx])  # noqa: E731
    return _rows([u("x"), u("fake_y"), u("rec_x"), u("y"), u("y"), u("fake_x"), u("rec_y"), u("x")])

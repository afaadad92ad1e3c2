"""The quality bars of the lapgan plugin, as public functions over modules and tensors.

* ``frechet_distance`` between two feature sets, in the feature space of the emoji attribute
  classifier's penultimate layer (``AttributeClassifier.embed``: global-average-pooled 256-d features of
  plugins/emoji/weights/emoji-attribute-classifier.safetensors), against the held-out emoji.
* ``coarse_preservation``: an image's 8x8 -> the cascade -> the 64 px output (as the 8-bit PNG a
  person downloads) -> its 8x8 again; mean absolute error to the input's 8x8, in 1/255 units.
* ``bandpass_energy``: mean squared band-pass content sum_k ||h_k||^2 / pixels of 64 px images (how
  much detail the pyramid finds above the 8x8), for the cascade's output and for bicubic upsampling.

``card_figures`` computes every figure of the model card; ``benchmarks/lapgan_quality.py`` prints them
(with the embedded StyleGAN2 too).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch

from plugins.lapgan.api import bicubic_baseline, refine, sample, to_coarse
from plugins.lapgan.models import downsample, laplacian_pyramid

__all__ = ["FEATURE_LAYERS", "heldout_images", "load_judge", "classifier_features", "frechet_distance",
           "fid_against_heldout", "lapgan_and_baseline_samples", "stylegan2_samples", "quantize", "coarse_preservation",
           "bandpass_energy", "conditional_accuracy", "card_figures", "ms_per_image"]


def heldout_images() -> torch.Tensor:
    """The held-out emoji (never trained on) as [N, 3, 64, 64] in [-1, 1]."""
    from plugins.emoji.dataset import load_emoji_arrays

    images, _ = load_emoji_arrays(64, "heldout")
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def load_judge():
    """The embedded emoji attribute classifier (the shared judge), on the CPU, eval mode."""
    from hub import resolve_weight
    from plugins.emoji.classifier import WEIGHT_ID, load_classifier

    return load_classifier(resolve_weight(WEIGHT_ID))


#: Layers of the classifier: the penultimate layer (``embed``, 256-d at 4x4 pooled) and, more sensitive to
#: detail, the output of its second stage (``features[:5]``, 96 channels at 16x16, pooled).
FEATURE_LAYERS = ("penultimate", "stage2")


@torch.no_grad()
def classifier_features(classifier, images: torch.Tensor, batch: int = 250, layer: str = "penultimate") -> np.ndarray:
    """Globally average-pooled features [N, D] (float64) of [-1, 1] images, as 8-bit PNGs would give them."""
    if layer not in FEATURE_LAYERS:
        raise ValueError(f"layer must be one of {FEATURE_LAYERS}, not {layer!r}")

    def embed(x):
        return classifier.embed(x) if layer == "penultimate" else classifier.features[:5](x).mean(dim=(2, 3))

    feats = [embed(quantize(images[i:i + batch])).double().cpu().numpy() for i in range(0, len(images), batch)]
    return np.concatenate(feats)


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + tr(C_a + C_b - 2 (C_a C_b)^1/2) of two feature sets [N, D]."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    c_a, c_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    # tr (C_a C_b)^1/2 = sum of sqrt eigenvalues of C_a^1/2 C_b C_a^1/2 (symmetric PSD, stable)
    w, v = np.linalg.eigh(c_a)
    root_a = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root_a @ c_b @ root_a)
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(c_a) + np.trace(c_b) - 2 * np.sqrt(np.clip(middle, 0, None)).sum())


def quantize(images: torch.Tensor) -> torch.Tensor:
    """Round [-1, 1] images to the 8-bit values a PNG holds (and back to [-1, 1])."""
    return ((images.clamp(-1, 1) + 1) * 127.5).round() / 127.5 - 1


def fid_against_heldout(classifier, images: torch.Tensor, heldout: np.ndarray | None = None) -> float:
    if heldout is None:
        heldout = classifier_features(classifier, heldout_images())
    return frechet_distance(classifier_features(classifier, images), heldout)


@torch.no_grad()
def lapgan_and_baseline_samples(model, n: int, seed: int = 0, batch: int = 250,
                                detail_strength: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` unconditional LAPGAN samples (at ``detail_strength``; the same z whatever it is) and, from the
    SAME 8x8 images Ĩ_3, the no-refinement baseline (bicubic upsampling to 64 px)."""
    out, base = [], []
    for i, start in enumerate(range(0, n, batch)):
        r = sample(model, min(batch, n - start), seed=seed * 10_000 + i, detail_strength=detail_strength)
        out.append(r.images)
        base.append(bicubic_baseline(r.coarse))
    return torch.cat(out), torch.cat(base)


@torch.no_grad()
def stylegan2_samples(generator, n: int, seed: int = 0, truncation_psi: float = 1.0, batch: int = 100) -> torch.Tensor:
    """``n`` samples of a LatentGenerator (e.g. stylegan2-emoji64), resized to 64 px if needed."""
    import torch.nn.functional as F

    gen = torch.Generator().manual_seed(seed)
    device = next(generator.parameters()).device
    out = []
    for start in range(0, n, batch):
        z = torch.randn(min(batch, n - start), generator.z_dim, generator=gen).to(device)
        x = generator.synthesis(generator.mapping(z, truncation_psi)).float().cpu()
        if x.shape[-1] != 64:
            x = F.interpolate(x, size=(64, 64), mode="bilinear", antialias=True, align_corners=False)
        out.append(x.clamp(-1, 1))
    return torch.cat(out)


@torch.no_grad()
def coarse_preservation(model, images: torch.Tensor, seed: int = 0) -> dict[str, float]:
    """Each image's 8x8 through the cascade and back: per-image mean absolute error (1/255 units) between
    the 8x8 of the 8-bit output and the input's 8x8; ``mean`` and ``max`` over the images."""
    coarse = to_coarse(images)
    out = quantize(refine(model, coarse, 3, seed).images)
    again = out
    while again.shape[-1] > coarse.shape[-1]:
        again = downsample(again)
    mae = (again - coarse).abs().flatten(1).mean(1) * 127.5
    return {"mean": float(mae.mean()), "max": float(mae.max())}


def bandpass_energy(images: torch.Tensor) -> float:
    """Mean over images of sum_k ||h_k||^2 / (3 * 64 * 64), h_k the band-pass images of the pyramid
    (levels 64, 32, 16): what the image holds above its 8x8, in [-1, 1] units squared."""
    bands, _ = laplacian_pyramid(images.float(), 3)
    per_image = sum(h.pow(2).flatten(1).sum(1) for h in bands) / (3 * 64 * 64)
    return float(per_image.mean())


@torch.no_grad()
def conditional_accuracy(model, classifier, n: int = 64, seed: int = 0) -> dict[str, float]:
    """How often the judge reads the requested class in class-conditional samples: skin tones light..dark
    (asked with kind "person", where tones occur) and the three kinds; mean over the classes."""
    from plugins.lapgan.api import KINDS, SKIN_TONES

    def hits(attr, index, **cond):
        pred = classifier.predict(quantize(sample(model, n, seed, **cond).images))[attr]
        return float((pred == index).float().mean())

    tones = [hits("skin_tone", i, skin_tone=i, kind="person") for i in range(1, len(SKIN_TONES))]
    kinds = [hits("kind", i, kind=i) for i in range(len(KINDS))]
    return {"skin_tone": float(np.mean(tones)), "kind": float(np.mean(kinds))}


def card_figures(model, n_generated: int = 1000, seed: int = 0, stylegan2=None,
                 log: Callable[[str], Any] = print, detail_strength: float | None = None) -> dict[str, Any]:
    """Every figure of the model card, measured on the held-out emoji (``fid_*`` in the classifier's
    feature space; ``stylegan2`` optional: a LatentGenerator measured the same way). ``fid_lapgan`` is
    the paper's cascade (detail strength 1); with ``detail_strength`` also ``fid_lapgan_s`` /
    ``fid2_lapgan_s``: the same z and 8x8 images with every generated residual scaled by it. The figures
    that refine or sample otherwise (held-out 8x8s refined, coarse kept, band-pass energy of the
    refinement, variation, conditioning) use the API's default strength, what the tab shows."""
    judge = load_judge()
    held = heldout_images()
    held_feat = classifier_features(judge, held)
    held_stage2 = classifier_features(judge, held, layer="stage2")

    def fid2(x):
        return frechet_distance(classifier_features(judge, x, layer="stage2"), held_stage2)

    from plugins.emoji.dataset import load_emoji_arrays

    train, _ = load_emoji_arrays(64, "train")
    # a seeded random subset: rows come in runs of one base's skin tones, so a stride would pick one tone
    pick = np.sort(np.random.default_rng(seed).permutation(len(train))[:n_generated])
    train = torch.from_numpy(train[pick]).permute(0, 3, 1, 2)
    train = train.float().div(127.5).sub(1.0)
    lap, base = lapgan_and_baseline_samples(model, n_generated, seed)
    figures = {
        "n_generated": n_generated, "n_heldout": len(held),
        "fid_lapgan": fid_against_heldout(judge, lap, held_feat),
        "fid_baseline": fid_against_heldout(judge, base, held_feat),
        "fid_train": fid_against_heldout(judge, train, held_feat),
        "fid_heldout_bicubic": fid_against_heldout(judge, bicubic_baseline(to_coarse(held)), held_feat),
    }
    held_bicubic = bicubic_baseline(to_coarse(held))
    held_refined = refine(model, to_coarse(held), 3, seed).images  # the true 8x8s, detail from the cascade
    figures["fid_heldout_refined"] = fid_against_heldout(judge, held_refined, held_feat)
    figures.update({"fid2_lapgan": fid2(lap), "fid2_baseline": fid2(base), "fid2_train": fid2(train),
                    "fid2_heldout_bicubic": fid2(held_bicubic), "fid2_heldout_refined": fid2(held_refined)})
    if detail_strength is not None:
        lap_s, _ = lapgan_and_baseline_samples(model, n_generated, seed, detail_strength=detail_strength)
        figures.update({"detail_strength": float(detail_strength),
                        "fid_lapgan_s": fid_against_heldout(judge, lap_s, held_feat), "fid2_lapgan_s": fid2(lap_s)})
    if stylegan2 is not None:
        sg = stylegan2_samples(stylegan2, n_generated, seed)
        figures["fid_stylegan2"] = fid_against_heldout(judge, sg, held_feat)
        figures["fid2_stylegan2"] = fid2(sg)
    log(f"Fréchet distances: {figures}")
    keep = coarse_preservation(model, held, seed)
    refined = refine(model, to_coarse(held), 3, seed).images
    figures.update({
        "coarse_mae_mean": keep["mean"], "coarse_mae_max": keep["max"],
        "energy_refined": bandpass_energy(quantize(refined)),
        "energy_bicubic": bandpass_energy(quantize(bicubic_baseline(to_coarse(held)))),
        "energy_real": bandpass_energy(held),
        "energy_samples": bandpass_energy(quantize(lap)),
    })
    gen = torch.Generator().manual_seed(seed)
    noise_images = torch.rand(32, 3, 64, 64, generator=gen) * 2 - 1  # far from any emoji
    keep_noise = coarse_preservation(model, noise_images, seed)
    figures.update({"coarse_mae_noise_mean": keep_noise["mean"], "coarse_mae_noise_max": keep_noise["max"]})
    # how much the finer levels vary for one coarse image: pixel std over 16 draws, averaged
    from plugins.lapgan.api import variations

    spread = [variations(model, 16, seed=s, coarse_seed=s).images.std(0).mean().item() for s in range(8)]
    figures["variation_std"] = float(np.mean(spread)) * 127.5
    acc = conditional_accuracy(model, judge, seed=seed)
    figures.update({"cond_skin_tone": acc["skin_tone"], "cond_kind": acc["kind"]})
    log(f"coarse, detail and conditioning: {figures}")
    return figures


@torch.no_grad()
def ms_per_image(model, batch: int = 1, repeats: int = 30, seed: int = 0, levels: int = 3) -> dict[str, float]:
    """Median ms per image of ``sample`` (the whole cascade, 8x8 to 64 px) at ``batch``: ``wall`` clock and
    ``cpu`` (this process's CPU time: the cost without other jobs' load on a shared machine)."""
    import time

    sample(model, batch, seed, levels=levels)  # warm-up
    wall, cpu = [], []
    for i in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        sample(model, batch, seed + i, levels=levels)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {"wall": float(np.median(wall)) * 1000 / batch, "cpu": float(np.median(cpu)) * 1000 / batch}

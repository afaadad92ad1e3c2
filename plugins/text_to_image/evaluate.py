"""Compositional evaluation of text-to-image, judged by the embedded emoji attribute classifier.

For every prompt naming a gender (man, woman, person), a hair type (red, curly, white, blond, bald)
and a skin tone (light .. dark): ``samples`` images (seeds 0..n-1); a sample passes when the
classifier finds ALL THREE named attributes. Combinations fall in three groups:
  seen      - some training image has the combination;
  withheld  - the compositional hold-out (``plugins.emoji.dataset.compositional_holdout``): never trained on;
  held-out  - base emoji of the held-out split (e.g. "woman: red hair"): also never trained on.
The text-to-image bars: seen >= 70 %, withheld >= 50 %. Also reported: the classifier on the REAL images
of each group (its own ceiling), determinism (same prompt + seed twice) and the mean pairwise pixel
distance between seeds (different seeds must give visibly different images).
``benchmarks/text_to_image_eval.py`` is the command line; the trainer's export fills the card with it.
"""

from __future__ import annotations

import itertools

import torch

GENDERS = ("man", "woman", "person")
HAIRS = ("red", "curly", "white", "blond", "bald")
TONES = ("light", "medium-light", "medium", "medium-dark", "dark")


def prompt_for(gender: str, hair: str, tone: str) -> str:
    if hair == "bald":
        return f"a bald {gender} with {tone} skin tone"
    return f"a {gender} with {hair} hair and {tone} skin tone"


def combination_groups() -> dict[tuple[str, str, str], str]:
    """(gender, hair, tone) -> "seen" | "withheld" | "held-out" from the dataset's own records."""
    from plugins.emoji.dataset import SKIN_TONES, compositional_holdout, load_emoji_arrays

    _, meta = load_emoji_arrays(64, "all")
    groups = {}
    for g, h, t in itertools.product(GENDERS, HAIRS, TONES):
        recs = [m for m in meta if m["kind"] == "person" and m["gender"] == g and m["hair"] == h
                and m["skin_tone"] == SKIN_TONES.index(t)]
        if any(m["split"] == "train" and not compositional_holdout(m) for m in recs):
            groups[(g, h, t)] = "seen"
        elif any(compositional_holdout(m) for m in recs):
            groups[(g, h, t)] = "withheld"
        elif recs:
            groups[(g, h, t)] = "held-out"
    return groups


def load_judge():
    from plugins.emoji.classifier import load_classifier

    from plugins.emoji.classifier import EMBEDDED as path

    if not path.exists():
        raise FileNotFoundError(f"{path} is missing (the StyleGAN2 issue's attribute classifier)")
    return load_classifier(path)


def _hits(judge, x: torch.Tensor, gender: str, hair: str, tone: str) -> dict[str, torch.Tensor]:
    from plugins.emoji.dataset import GENDERS as G_NAMES, HAIR_TYPES, SKIN_TONES

    pred = judge.predict(x)
    ok = {"gender": pred["gender"] == G_NAMES.index(gender), "hair": pred["hair"] == HAIR_TYPES.index(hair),
          "skin_tone": pred["skin_tone"] == SKIN_TONES.index(tone)}
    ok["all"] = ok["gender"] & ok["hair"] & ok["skin_tone"]
    return ok


@torch.no_grad()
def evaluate(model, samples_per_prompt: int = 32, judge=None, truncation: float | None = None) -> dict:
    """Rates per group (samples and real images), per withheld combination, determinism and diversity."""
    from plugins.emoji.dataset import SKIN_TONES, load_emoji_arrays
    from plugins.text_to_image.api import generate_tensor

    judge = judge or load_judge()
    groups = combination_groups()
    images, meta = load_emoji_arrays(64, "all")
    per_combo, real = {}, {}
    for (g, h, t), group in groups.items():
        x = generate_tensor(prompt_for(g, h, t), n=samples_per_prompt, seed=0, truncation=truncation, model=model)
        per_combo[(g, h, t)] = {k: v.float().mean().item() for k, v in _hits(judge, x, g, h, t).items()}
        idx = [i for i, m in enumerate(meta) if m["kind"] == "person" and m["gender"] == g and m["hair"] == h
               and m["skin_tone"] == SKIN_TONES.index(t)]
        xr = torch.from_numpy(images[idx]).permute(0, 3, 1, 2).float() / 127.5 - 1
        real[(g, h, t)] = _hits(judge, xr, g, h, t)["all"].float().mean().item()
    summary = {}
    for group in ("seen", "withheld", "held-out"):
        keys = [k for k, v in groups.items() if v == group]
        if keys:
            summary[group] = {
                "combinations": len(keys),
                **{a: sum(per_combo[k][a] for k in keys) / len(keys) for a in ("all", "gender", "hair", "skin_tone")},
                "real_images_all": sum(real[k] for k in keys) / len(keys),
            }
    # Determinism and diversity.
    probe = ["a woman with curly hair and dark skin tone", "bald man, light skin tone", "grinning face"]
    same = max((generate_tensor(p, 4, 7, model=model) - generate_tensor(p, 4, 7, model=model)).abs().max().item()
               for p in probe)
    dists = []
    for p in probe:
        x = (generate_tensor(p, 8, 100, model=model).clamp(-1, 1) + 1) * 127.5
        d = (x[:, None] - x[None]).abs().mean(dim=(2, 3, 4))
        dists.append(d[~torch.eye(8, dtype=torch.bool)].mean().item())
    return {"summary": summary, "per_combo": per_combo, "groups": groups, "real": real,
            "samples_per_prompt": samples_per_prompt, "truncation": truncation, "same_seed_max_abs_diff": same,
            "mean_pairwise_pixel_distance": sum(dists) / len(dists)}


def format_table(res: dict) -> str:
    lines = [f"{res['samples_per_prompt']} samples per prompt (seeds 0..{res['samples_per_prompt'] - 1}, "
             f"truncation {res.get('truncation') or 'off'}); "
             "prompt \"a {gender} with {hair} hair and {tone} skin tone\" (\"a bald {gender} with ...\").", "",
             "| combinations | n | all three named attributes found | gender | hair | skin tone | bar | real images (classifier ceiling) |",
             "|---|---|---|---|---|---|---|---|"]
    bars = {"seen": ">= 70 %", "withheld": ">= 50 %", "held-out": "-"}
    for group, s in res["summary"].items():
        lines.append(f"| {group} | {s['combinations']} | **{100 * s['all']:.1f} %** | {100 * s['gender']:.1f} % | "
                     f"{100 * s['hair']:.1f} % | {100 * s['skin_tone']:.1f} % | {bars[group]} | {100 * s['real_images_all']:.0f} % |")
    verdict = {g: res["summary"][g]["all"] >= b for g, b in (("seen", 0.7), ("withheld", 0.5)) if g in res["summary"]}
    lines += ["", "Bars: " + ", ".join(f"{g} {'MET' if ok else 'NOT MET'}" for g, ok in verdict.items()) + ".",
              "", "Withheld combinations, one by one:", "",
              "| gender | hair | skin tone | all three | real images |", "|---|---|---|---|---|"]
    for k, group in res["groups"].items():
        if group == "withheld":
            lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {100 * res['per_combo'][k]['all']:.0f} % | {100 * res['real'][k]:.0f} % |")
    lines += ["", f"Same prompt and seed twice: max |difference| = {res['same_seed_max_abs_diff']:.1e}. "
              f"Different seeds: mean pairwise pixel distance {res['mean_pairwise_pixel_distance']:.1f} / 255 "
              "(mean |a - b| over pixels and channels, 8 seeds x 3 prompts)."]
    return "\n".join(lines)

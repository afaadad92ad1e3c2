"""Ship a trained run: the generator(s) as float16 safetensors beside ``weights.yaml``, the model card
with the held-out figures (``evaluate``), the sample grids, and the manifest entry rehashed.

    ganhub train pix2pix --export        # pix2pix-edges2emoji64.{safetensors,md,png} + -sketches.png
    ganhub train cyclegan --export       # cyclegan-noto-twemoji64.{safetensors,md,png}
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

PLUGIN_DIR = Path(__file__).resolve().parent
MANIFEST = PLUGIN_DIR / "weights.yaml"
WEIGHTS = PLUGIN_DIR / "weights"


def _log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _half(sd) -> dict:
    return {k: (v.half() if v.is_floating_point() else v).contiguous() for k, v in sd.items()}


def _state(run: Path) -> tuple[Path, dict[str, Any]]:
    from hub.training import latest_checkpoint

    ckpt = latest_checkpoint(run)
    if ckpt is None:
        raise SystemExit(f"no checkpoint in {run}: train first")
    return ckpt, json.loads((ckpt / "state.json").read_text())


def _schedule(state: dict[str, Any]) -> dict[str, Any]:
    from plugins.image_translation.defaults import lr_at

    cfg = state["config"]
    step = state["step"]
    changes = state.get("schedule", [])[1:]
    ended = " (the run ended on its time budget)" if step < cfg["steps"] else ""
    if changes:
        ended += "; " + ", ".join(f"at step {at} the schedule was set to {n} steps" for at, n in changes)
    return {"ended": ended,
            "last_lr": lr_at(max(0, step - 1), cfg["steps"], cfg["lr"], cfg["decay_from"])}


#: How the CycleGAN pair shipped at commit f59c04f was trained (a warm-started run continues it).
SHIPPED_CYCLEGAN = ("3400 steps from scratch (`ganhub train cyclegan --threads 1 --minutes 40 --steps 1000 --every 100`, "
                    "resumed with --steps 1800, 2600 and 3400), 0.51 CPU hours; held out, F(Twemoji) was labelled Noto "
                    "in 89.1 % and G(Noto) Twemoji in 93.0 %")


def _cyclegan_bars(r: dict[str, Any]) -> str:
    c = r["classifier"]
    checks = [
        ("G closer than identity (PSNR)", r["G_noto_vs_true_twemoji"]["psnr"] > r["identity_noto_vs_true_twemoji"]["psnr"]),
        ("G closer than identity (SSIM)", r["G_noto_vs_true_twemoji"]["ssim"] > r["identity_noto_vs_true_twemoji"]["ssim"]),
        ("F closer than identity (PSNR)", r["F_twemoji_vs_true_noto"]["psnr"] > r["identity_twemoji_vs_true_noto"]["psnr"]),
        ("F closer than identity (SSIM)", r["F_twemoji_vs_true_noto"]["ssim"] > r["identity_twemoji_vs_true_noto"]["ssim"]),
        ("G(Noto) >= 90 % Twemoji", c["G_noto_as_twemoji"] >= 0.9),
        ("F(Twemoji) >= 90 % Noto", c["F_twemoji_as_noto"] >= 0.9),
    ]
    return "; ".join(f"{name}: {'met' if ok else '**not met**'}" for name, ok in checks) + "."


def _fmt(d: dict[str, float]) -> str:
    return f"{d['psnr']:.2f} dB / {d['ssim']:.4f}"


def export_pix2pix(run: Path | str) -> int:
    from safetensors.torch import load_file

    from hub.training import export_embedded
    from plugins.image_translation.api import build_pix2pix
    from plugins.image_translation.evaluate import evaluate_pix2pix, pix2pix_grid, sketch_grid
    from plugins.image_translation.defaults import PIX2PIX_EMBEDDED as WEIGHT_ID

    ckpt, state = _state(Path(run))
    cfg = state["config"]
    tensors = _half(load_file(str(ckpt / "G.safetensors")))
    meta = {"config": json.dumps(cfg["G"]), "resolution": str(cfg["resolution"]), "source": "lines",
            "step": str(state["step"]), "cpu_s": f"{state['cpu_s']:.0f}"}
    tmp = WEIGHTS / f".{WEIGHT_ID}.eval.safetensors"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    from safetensors.torch import save_file

    save_file(tensors, str(tmp), metadata=meta)  # evaluate exactly what ships (float16)
    model = build_pix2pix(tmp, name=WEIGHT_ID).eval()
    tmp.unlink()
    _log("evaluating on the held-out emoji")
    r = evaluate_pix2pix(model, cfg["resolution"])
    pix2pix_grid(r).save(WEIGHTS / f"{WEIGHT_ID}.png")
    sketch_grid(model).save(WEIGHTS / f"{WEIGHT_ID}-sketches.png")
    g = cfg["G"]
    d = cfg["D"]
    from plugins.image_translation.models import receptive_field

    base = max(r["mean_train_emoji"]["psnr"], r["nearest_train_by_edges"]["psnr"])
    sched = state.get("schedule", [[0, cfg["steps"]]])
    commands = [f"ganhub train pix2pix --threads 1 --minutes 40 --steps {sched[0][1]} --every 200"]
    commands += [f"ganhub train pix2pix --threads 1 --steps {n} --every 200      # resumed at step {at}" for at, n in sched[1:]]
    card = PIX2PIX_CARD.format(
        **_schedule(state), train_commands="\n".join(commands), step=state["step"], steps=cfg["steps"],
        decay_at=round(cfg.get("decay_from", 0.5) * cfg["steps"]), batch=cfg["batch"], cpu_h=state["cpu_s"] / 3600,
        wall_h=state["wall_s"] / 3600, threads=state["threads"], train=cfg["train_images"], ngf=g["ngf"],
        num_downs=g["num_downs"], ngf2=2 * g["ngf"], dropout=g["dropout_levels"], ndf=d["ndf"], n_layers=d["n_layers"],
        rf=receptive_field(d["n_layers"]), lam=cfg["lambda_l1"], lr=cfg["lr"], seed=cfg["seed"],
        n=r["heldout_images"], bases=r["heldout_bases"], model=_fmt(r["model"]), flip=_fmt(r["model_flip_average"]),
        bar_api="met" if r["model_flip_average"]["psnr"] > base else "**not met**",
        bar_single="met" if r["model"]["psnr"] > base else "**not met**", noisy=_fmt(r["model_noise_seed0"]),
        mean=_fmt(r["mean_train_emoji"]), nearest=_fmt(r["nearest_train_by_edges"]),
        params=sum(v.numel() for v in tensors.values() if v.is_floating_point()) / 1e6,
        metrics=json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, indent=1))
    path = export_embedded(WEIGHT_ID, tensors, card, MANIFEST, metadata=meta)
    _log(f"exported {path}: model {_fmt(r['model'])}, mean {_fmt(r['mean_train_emoji'])}, "
         f"nearest {_fmt(r['nearest_train_by_edges'])}")
    return 0


def export_cyclegan(run: Path | str, classifier: Path | str | None = None) -> int:
    """The latest checkpoint of ``run`` -> the embedded pair, card and grid. ``classifier``: a saved
    ``evaluate.DomainClassifier`` (``train_domain_classifier``'s seeded result) instead of training it again."""
    from safetensors.torch import load_file, save_file

    from hub.training import export_embedded
    from plugins.image_translation.api import build_cyclegan
    from plugins.image_translation.evaluate import cyclegan_grid, evaluate_cyclegan

    weight_id = "cyclegan-noto-twemoji64"
    ckpt, state = _state(Path(run))
    cfg = state["config"]
    tensors = {f"G.{k}": v for k, v in _half(load_file(str(ckpt / "G.safetensors"))).items()}
    tensors.update({f"F.{k}": v for k, v in _half(load_file(str(ckpt / "F.safetensors"))).items()})
    meta = {"config": json.dumps(cfg["G"]), "resolution": str(cfg["resolution"]), "domains": "noto,twemoji",
            "step": str(state["step"]), "cpu_s": f"{state['cpu_s']:.0f}"}
    tmp = WEIGHTS / f".{weight_id}.eval.safetensors"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(tmp), metadata=meta)
    model = build_cyclegan([tmp], name=weight_id).eval()
    tmp.unlink()
    _log("training the domain classifier (train splits) and evaluating on held-out code points")
    judge = None
    if classifier:
        from plugins.image_translation.evaluate import DomainClassifier

        judge = DomainClassifier()
        judge.load_state_dict(load_file(str(classifier)))
        judge.eval()
    r = evaluate_cyclegan(model, cfg["resolution"], classifier=judge, log=_log)
    cyclegan_grid(r).save(WEIGHTS / f"{weight_id}.png")
    c = r["classifier"]
    g = cfg["G"]
    from plugins.image_translation.models import receptive_field

    sched = state.get("schedule", [[0, cfg["steps"]]])
    warm = cfg.get("init_from")
    first = "--init-from-embedded " if warm else ""
    commands = [f"ganhub train cyclegan --threads 1 {first}--steps {sched[0][1]} --every 100"]
    commands += [f"ganhub train cyclegan --threads 1 --steps {n} --every 100      # resumed at step {at}" for at, n in sched[1:]]
    if cfg.get("decay_from", 0.5) != 0.5:  # the schedule the run ended on (the last command's)
        commands[-1] = commands[-1].replace(" --every 100", f" --decay-from {cfg['decay_from']:g} --every 100", 1)
    earlier = (f"\n\nThis run continued an earlier one: G and F started from the shipped `{warm['weights']}` (sha256 "
               f"`{warm['sha256'][:16]}...`), itself {SHIPPED_CYCLEGAN}; the discriminators, their optimiser and the "
               f"image pools started fresh, and the learning rate schedule (constant, then linear decay) restarted. "
               f"The figures above are this run's alone." if warm else "")
    card = CYCLEGAN_CARD.format(
        **_schedule(state), train_commands="\n".join(commands), step=state["step"], steps=cfg["steps"],
        decay_at=round(cfg.get("decay_from", 0.5) * cfg["steps"]), batch=cfg["batch"], cpu_h=state["cpu_s"] / 3600,
        wall_h=state["wall_s"] / 3600, threads=state["threads"], nx=cfg["train_images"]["X"], ny=cfg["train_images"]["Y"],
        ngf=g["ngf"], blocks=g["n_blocks"], ndf=cfg["D_X"]["ndf"], n_layers=cfg["D_X"]["n_layers"],
        rf=receptive_field(cfg["D_X"]["n_layers"]), lam=cfg["lambda_cycle"], lam_id=cfg["lambda_identity"],
        pool=cfg["pool"], lr=cfg["lr"], seed=cfg["seed"], n=r["heldout_pairs"], bases=r["heldout_bases"],
        cyc_x=_fmt(r["cycle_noto"]), moved_x=_fmt(r["translation_moved_noto"]),
        cyc_y=_fmt(r["cycle_twemoji"]), moved_y=_fmt(r["translation_moved_twemoji"]),
        g_true=_fmt(r["G_noto_vs_true_twemoji"]), id_g=_fmt(r["identity_noto_vs_true_twemoji"]),
        f_true=_fmt(r["F_twemoji_vs_true_noto"]), id_f=_fmt(r["identity_twemoji_vs_true_noto"]),
        c_real_x=100 * c["real_noto_as_noto"], c_real_y=100 * c["real_twemoji_as_twemoji"],
        c_g=100 * c["G_noto_as_twemoji"], c_f=100 * c["F_twemoji_as_noto"],
        c_id_g=100 * c["identity_noto_as_twemoji"], c_id_f=100 * c["identity_twemoji_as_noto"],
        single_g=_fmt(r["single_pass"]["G_noto_vs_true_twemoji"]), single_f=_fmt(r["single_pass"]["F_twemoji_vs_true_noto"]),
        c_single_g=100 * c["single_pass_G_noto_as_twemoji"], c_single_f=100 * c["single_pass_F_twemoji_as_noto"],
        bars=_cyclegan_bars(r), epochs=state["step"] * cfg["batch"] / cfg["train_images"]["X"], earlier=earlier,
        params=sum(v.numel() for v in tensors.values() if v.is_floating_point()) / 2e6,
        metrics=json.dumps({k: v for k, v in r.items() if not k.startswith("_")}, indent=1))
    path = export_embedded(weight_id, tensors, card, MANIFEST, metadata=meta)
    _log(f"exported {path}: {json.dumps({k: v for k, v in r.items() if not k.startswith('_')})}")
    return 0


PIX2PIX_CARD = """# pix2pix-edges2emoji64

Pix2Pix (Isola et al. 2017) trained here: a line drawing or edge map (64x64, black strokes on white) ->
a Noto-style emoji (64x64 RGB). Embedded in GAN Hub, float16, {params:.2f} M parameters.

![held-out edge maps, outputs, truths, nearest-neighbour baseline](pix2pix-edges2emoji64.png)

Rows: held-out line maps (`sketch.edges`), this model's outputs (dropout off, flip-averaged as
`api.translate` returns them), the true emoji, the nearest training emoji by edge map (the baseline).

![script-drawn sketches, the line maps the model saw, two dropout samples](pix2pix-edges2emoji64-sketches.png)

Rows: sketches drawn by a script (`sketch.hand_drawn_sketches`: wobbly circles, eyes, mouths, brows,
glasses, hats; never edges of an emoji), the line maps the model saw (`sketch.sketch_lines`), outputs
from dropout seeds 0 and 1.

## Data

Pairs built from the Noto emoji set (`python -m plugins.emoji.dataset --resolution 64`, docs/data.md): its
{train} "train" images; the held-out split (whole base emoji with all their skin tones) is never read in
training. Each step draws a fresh line map of each emoji (`sketch.training_edges`): Canny with random
thresholds (35-110, high 2-3x) and blur, stroke width 1/2/3 px (50/35/15 %), a +-4 degree, +-1.5 px, +-5 %
affine and an elastic wobble, each stroke but the outline dropped with probability 0-0.25; the pair is
flipped together half the time.

## Architecture and objective (published defaults, scaled)

* Generator: U-Net, {num_downs} levels (64 px -> 1x1 as 8 levels do at 256 px), ngf {ngf} (published 64):
  C{ngf}-C{ngf2}... down, skip connections, dropout 0.5 in {dropout} decoder levels above the innermost
  (published 3), batch norm. Keys as upstream's `netG`, so official U-Nets load in the same class.
* Discriminator: PatchGAN, {n_layers} stride-2 layers, ndf {ndf}: a **{rf}x{rf} receptive field** (53 % of
  the image; the paper's 70x70 is 27 % of 256 px, and its 16x16 patch, the same share at our size,
  judged texture only), conditioned on the line map.
* Loss: cGAN (non-saturating) + {lam:g} * L1; D loss halved. Adam lr {lr:g}, betas (0.5, 0.999), batch
  {batch}, constant for the first {decay_at} of {steps} steps, then linear decay; seed {seed}.

## Command and cost

```
python -m plugins.emoji.dataset --resolution 64
{train_commands}
ganhub train pix2pix --export
```

Step {step} of {steps}{ended}: {cpu_h:.2f} CPU hours ({wall_h:.2f} h wall, {threads} thread, on a 2-core
machine shared with other jobs); the learning rate at the last step was {last_lr:.2g}.{earlier}

## Held-out quality ({n} images of {bases} base emoji never trained on)

PSNR / SSIM against the true emoji, each input the held-out emoji's `sketch.edges` line map:

| | PSNR / SSIM |
|---|---|
| **this model**, as `api.translate` runs it (dropout off, averaged with the mirrored pass) | **{flip}** |
| this model, one forward pass (dropout off) | {model} |
| this model, one forward pass, dropout noise seed 0 | {noisy} |
| baseline: mean training emoji | {mean} |
| baseline: nearest training emoji by edge map | {nearest} |

The mirrored-pass average (the model was trained on flipped pairs too) halves the GAN's pixel-level
artefacts; it costs a second forward pass (a few ms) and is what the API and the tab use
(`flip_average=False` gives the single pass). Bar (PSNR above both baselines): {bar_api} as the API
runs it, {bar_single} for the single pass. `python benchmarks/image_translation_quality.py --pix2pix`
reproduces every figure.

## Limits

64 px and a small CPU budget: outputs are soft, fine details (hands, props) blur, and colour is the
model's guess (a line map does not say skin tone or hair colour; it falls back on the common yellow
face or a medium tone). Dropout noise varies the outputs only a little, as the paper found. A sketch is
cropped to its strokes and centred like the dataset's emoji; sketches far from faces and people give
face-like blobs.

<details><summary>All figures (JSON)</summary>

```
{metrics}
```
</details>
"""

CYCLEGAN_CARD = """# cyclegan-noto-twemoji64

CycleGAN (Zhu et al. 2017) trained here on unpaired emoji: G maps Noto Color Emoji style to Twemoji
style, F maps back, at 64 px. Embedded in GAN Hub, one float16 file holding `G.*` and `F.*`,
{params:.2f} M parameters per generator.

![held-out Noto, G, F(G), true Twemoji; Twemoji, F, G(F), true Noto](cyclegan-noto-twemoji64.png)

Rows: held-out Noto emoji, G(x), F(G(x)), the real Twemoji of the same code point; then held-out
Twemoji, F(y), G(F(y)), the real Noto (generators flip-averaged, as the API runs them).

## Data

X: the Noto set's {nx} "train" images (`python -m plugins.emoji.dataset --resolution 64`). Y: the Twemoji
set's {ny} "train" images (`python -m plugins.emoji.twemoji --resolution 64`: npm `emoji-datasource-twitter`
16.0.0, CC-BY 4.0, the same code points and held-out split). Unpaired: each step draws the X batch and
the Y batch with independent generators, each image flipped on its own coin; the code-point
correspondence is read only by the evaluation below. Held-out base emoji are never read in training.

## Architecture and objective (published defaults, scaled)

* Generators: ResNet c7s1-{ngf}, d, d, R x {blocks}, u, u, c7s1-3 (ngf {ngf}, {blocks} blocks; published ngf 64,
  6 blocks at 128 px, 9 at 256 px), instance norm, reflection padding; keys as upstream's `netG`.
* Discriminators: PatchGAN, ndf {ndf}, {n_layers} stride-2 layers: a {rf}x{rf} receptive field (published
  70x70 at 256 px), instance norm.
* Loss: LSGAN, cycle {lam:g} x L1 both ways, identity {lam_id:g} x {lam:g} x L1; pools of {pool} fakes; Adam lr
  {lr:g}, betas (0.5, 0.999), batch {batch} (published 1), constant for the first {decay_at} of {steps} steps,
  then linear decay; seed {seed}.

## Command and cost

```
python -m plugins.emoji.twemoji --resolution 64
{train_commands}
ganhub train cyclegan --export
```

Step {step} of {steps}{ended}: {cpu_h:.2f} CPU hours ({wall_h:.2f} h wall, {threads} thread, on a 2-core
machine shared with other jobs); the learning rate at the last step was {last_lr:.2g}.

## Held-out quality ({n} code points of {bases} base emoji never trained on)

| | this model | identity baseline |
|---|---|---|
| cycle F(G(x)) vs Noto x (PSNR / SSIM) | {cyc_x} | (how far G moved it: G(x) vs x {moved_x}) |
| cycle G(F(y)) vs Twemoji y | {cyc_y} | (how far F moved it: F(y) vs y {moved_y}) |
| G(Noto) vs the same code point's real Twemoji | **{g_true}** | Noto itself: {id_g} |
| F(Twemoji) vs the same code point's real Noto | **{f_true}** | Twemoji itself: {id_f} |
| domain classifier: G(Noto) labelled Twemoji | **{c_g:.1f} %** | Noto itself: {c_id_g:.1f} % |
| domain classifier: F(Twemoji) labelled Noto | **{c_f:.1f} %** | Twemoji itself: {c_id_f:.1f} % |

The domain classifier (`evaluate.DomainClassifier`: four stride-2 convs, trained 1500 steps on the two
train splits only, with flips, shifts and a light random blur so that it judges the drawing style rather
than resampling sharpness) labels {c_real_x:.1f} % of real held-out Noto and {c_real_y:.1f} % of real
held-out Twemoji correctly. Every generator runs as `api.translate` / `api.cycle` run it, averaged
with its mirrored pass (the training flipped images too; the average halves pixel-level GAN
artefacts). One forward pass each: G(Noto) vs true Twemoji {single_g}, F(Twemoji) vs true Noto
{single_f}; labelled as the target style {c_single_g:.1f} % and {c_single_f:.1f} %.
`python benchmarks/image_translation_quality.py --cyclegan` reproduces every figure.

Bars (closer to the truth than identity on PSNR and SSIM both ways; at least 90 % labelled as the
target style both ways): {bars}

## Limits

A small, short run at 64 px (ngf 16, {step} steps of 4 images per domain, about {epochs:.0f} passes over
each set): the generators mostly recolour and reshade (Noto's gradients and outlines <-> Twemoji's flat
fills), keep the source layout where the two styles draw an emoji differently (hair shapes, props, the
people's proportions), and leave a fine pixel texture that costs SSIM against Twemoji's flat fills.

<details><summary>All figures (JSON)</summary>

```
{metrics}
```
</details>
"""

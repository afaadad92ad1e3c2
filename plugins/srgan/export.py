"""``python -m plugins.srgan.train --export``: latest checkpoints -> plugins/srgan/weights/srgan-*.safetensors, cards, figures, sha256.

Safe while training runs: it reads the checkpoint that ``latest.json`` points to (training keeps the two
newest), writes every file to a temporary name first and renames it into place.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from hub.training import atomic_write, export_embedded, latest_checkpoint, render_card
from hub.weights import sha256_file
from plugins.srgan.checkpoints import WEIGHT_IDS, load_generator

#: The plugin's own manifest: the embedded entries are rehashed there, the Hub entries are left alone.
MANIFEST = Path(__file__).resolve().with_name("weights.yaml")
CARD_TEMPLATE = Path(__file__).resolve().with_name("card_template.md")
VGG_NOTE_TEMPLATE = Path(__file__).resolve().with_name("card_vgg_note.md")  # stage 2: which VGG the loss used


def _time_256(net, threads: int = 2) -> float:
    import torch
    from PIL import Image

    from plugins.srgan.infer import upscale

    torch.set_num_threads(threads)
    img = Image.new("RGB", (256, 256))
    upscale(img, 4, net, tile=0)
    best = 1e9
    for _ in range(2):
        t = time.perf_counter()
        upscale(img, 4, net)
        best = min(best, time.perf_counter() - t)
    return best


def write_card(wid: str, stage: int, state: dict, cfg: dict, rows_md: str, mean: dict, t256: float,
               sha: str, size: int) -> str:
    from plugins.srgan.data import HELD_OUT

    name = "SRResNet" if stage == 1 else "SRGAN"
    cpu_h = state.get("cpu_s", 0) / 3600
    wall_h = state.get("elapsed_s", 0) / 3600
    bic, own = mean["bicubic"], mean[name]
    init_text = ("`models.passthrough_init_`: zero-init residual branches and six head channels wired as a "
                 "bilinear-quality interpolator, so the net starts near bicubic instead of from noise (the paper "
                 "uses a random init and 10^6 iterations; a random-init run here reached only -0.8 dB vs bicubic "
                 "after 894 iterations, ~80 CPU-minutes)" if state.get("init") == "passthrough" else
                 "PyTorch default (random)" if stage == 1 else f"generator from {state.get('init_from')}")
    lr_note = (" (paper 1e-4; 4e-4 while the budget allowed only ~10^3 CPU iterations, then the paper's 1e-4)"
               if any(lr != 1e-4 for _, lr in state.get("lr_history") or []) else " (the paper's value)")
    history = state.get("lr_history") or [[0, state["lr"]]]
    if stage == 1:
        g = (state.get("config") or {}).get("G", {})
        flags = (f"--stage 1{' --init passthrough' if state.get('init') == 'passthrough' else ''}"
                 f" --channels {g.get('channels', 32)} --blocks {g.get('num_blocks', 8)}")
        commands = "\n".join(f"    nice -n 10 python -m plugins.srgan.train {flags} --lr {lr:g}   # from step {at}"
                             for at, lr in history)
    else:
        commands = f"    nice -n 10 python -m plugins.srgan.train --stage 2 --batch {state['batch']}"
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    lr_text = ", ".join(f"{lr:g} from step {at}" for at, lr in state.get("lr_history") or [[0, state["lr"]]])
    vgg = state.get("vgg") or "(stage 1 uses no VGG)"
    lw = state.get("loss_weights") or {}
    loss = ("MSE on [-1,1] pixels (the paper's SRResNet-MSE)" if stage == 1 else
            f"VGG19 {lw.get('vgg_layer')} (phi_5,4) feature MSE with features x {lw.get('vgg_rescale'):.5f} (1/12.75) "
            f"+ {lw.get('adv')} x -log D(G(LR)) + {lw.get('tv')} x TV; discriminator {state['config'].get('D')}")
    extra = "\n" + render_card(VGG_NOTE_TEMPLATE, vgg=vgg) if stage == 2 else ""
    gain = own[0] - bic[0]
    gap_note = ("." if gain >= 1.0 or stage == 2 else
                f"; the +1.0 dB-over-bicubic bar is NOT met yet ({gain:+.2f} dB at this step; still rising slowly).")
    texture_note = ("PSNR-oriented: smooth, no invented texture." if stage == 1 else
                    "GAN textures are invented: never use them where detail must be true (text, faces, evidence). "
                    "After only hundreds of adversarial steps the added texture is mostly fine grain with some "
                    "sub-pixel (checkerboard) pattern, not yet realistic texture; the random-VGG content loss (above) "
                    "is part of why.")
    return render_card(
        CARD_TEMPLATE, wid=wid, name=name, stage_text="stage 1, MSE" if stage == 1 else "stage 2, adversarial",
        cfg=cfg, state=state, params=state.get("params", "see file"), init_text=init_text, loss=loss, lr_text=lr_text,
        lr_note=lr_note, from_text=("from " + state["init_from"]) if state.get("init_from") else "", cpu_h=cpu_h,
        wall_h=wall_h, held_out=", ".join(HELD_OUT), sha=sha, size=size, commands=commands, load=load, t256=t256,
        bic=bic, own=own, gain=gain, rows_md=rows_md, extra=extra, gap_note=gap_note, texture_note=texture_note)


def export(args) -> int:
    import torch

    from plugins.srgan.evaluate import crop_figure, evaluate, markdown_table, summary

    torch.set_num_threads(2)
    nets, states, cfgs = {}, {}, {}
    for stage in (1, 2):
        ckpt = latest_checkpoint(args.out / f"stage{stage}")
        if ckpt is None:
            print(f"stage {stage}: no checkpoint in {args.out / f'stage{stage}'}; skipped")
            continue
        net, cfg = load_generator(ckpt)
        nets[stage], cfgs[stage] = net.eval(), cfg
        states[stage] = json.loads((ckpt / "state.json").read_text())
        states[stage]["params"] = sum(p.numel() for p in net.parameters())
        print(f"stage {stage}: {ckpt} (step {states[stage]['step']})")
    if not nets:
        return 1
    names = {1: "SRResNet", 2: "SRGAN"}
    rows = evaluate({names[s]: n for s, n in nets.items()})
    mean = summary(rows)
    for stage in (1, 2):
        wid = WEIGHT_IDS[stage]
        if stage not in nets:
            continue  # a stage with no checkpoint here keeps its committed file, card and manifest entry
        net = nets[stage]
        sd = {k: v.detach().contiguous() for k, v in net.state_dict().items()}
        t256 = _time_256(net)
        stage_rows = [r for r in rows if r["method"] in ("bicubic", names[stage])]

        def card(path: Path, stage: int = stage, wid: str = wid, t256: float = t256, stage_rows=stage_rows) -> str:
            return write_card(wid, stage, states[stage], cfgs[stage], markdown_table(stage_rows), mean, t256,
                              sha256_file(path), path.stat().st_size)

        out = export_embedded(wid, sd, card, MANIFEST, metadata={
            "config": json.dumps(cfgs[stage]), "step": str(states[stage]["step"]),
            "cpu_s": f"{states[stage].get('cpu_s', 0.0):.0f}", "elapsed_s": f"{states[stage].get('elapsed_s', 0.0):.0f}",
            "lr_history": json.dumps(states[stage].get("lr_history") or [])})
        fig_models = {names[s]: nets[s] for s in sorted(nets) if s <= stage}
        atomic_write(out.with_suffix(".png"), lambda tmp: crop_figure(fig_models).save(tmp, format="PNG", optimize=True))
        print(f"{wid}: {out} sha256 {sha256_file(out)} size {out.stat().st_size}; 256->1024 {t256:.2f} s; "
              f"held-out {mean[names[stage]][0]:.2f} dB vs bicubic {mean['bicubic'][0]:.2f} dB")
    print(markdown_table(rows))
    print(f"rehashed the exported entries of {MANIFEST}")
    return 0

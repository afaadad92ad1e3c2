"""The "Inversion & W+ editing" tab: thin Gradio wiring over ``plugins.wplus_editing.api``.

Latents travel between the sub-tabs as safetensors files in three slots (A, B, C), so the user
can download any of them and upload it again later to continue editing.
"""

from __future__ import annotations


import gradio as gr

from hub.ui import (PREVIEW_SIZE, load_slot, loss_frame, model_dropdown, parse_rows, related_model, show, user_error,
                    write_latent)
from hub.ui import generator as get_generator


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.wplus_editing import api

    return api


# ------------------------------------------------------------------------------ the tab


def build(ctx) -> None:
    from plugins.wplus_editing.defaults import INIT_CHOICES, METHODS

    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    gr.Markdown(
        "Find the latent code of an image (Image2StyleGAN W+, then Image2StyleGAN++ noise), then edit it. "
        "Inverted latents land in slot **A**, **B** or **C** below; every slot is a downloadable "
        "`.safetensors` file you can upload again to continue."
    )
    model = model_dropdown(ctx)
    with gr.Row():
        slot_a = gr.File(label="Latent A", file_types=[".safetensors"], type="filepath", height=90)
        slot_b = gr.File(label="Latent B", file_types=[".safetensors"], type="filepath", height=90)
        slot_c = gr.File(label="Latent C", file_types=[".safetensors"], type="filepath", height=90)

    # ------------------------------------------------------------------ invert
    with gr.Tab("Invert"):
        with gr.Row():
            with gr.Column():
                image = gr.Image(label="Image to invert", type="pil", image_mode="RGB", height=256)
                method = gr.Radio(list(METHODS), value="optimisation", label="Method",
                                  info="optimisation from w_avg/random; encoder alone; hybrid = encoder then optimisation")
                with_noise = gr.Checkbox(True, label="W+ then noise (Image2StyleGAN++ best quality)")
                into = gr.Radio(["A", "B", "C"], value="A", label="Store the latent in slot")
                with gr.Accordion("Advanced", open=False):
                    space = gr.Radio(["w+", "w", "z"], value="w+", label="Latent space")
                    steps = gr.Slider(0, 3000, value=1000, step=10, label="Latent steps (paper 5000 / 5)")
                    noise_steps = gr.Slider(0, 3000, value=600, step=10, label="Noise steps (paper 3000 / 5)")
                    lr = gr.Number(0.01, label="Adam lr (Image2StyleGAN 0.01)")
                    noise_lr = gr.Number(5.0, label="Noise lr (Image2StyleGAN++ Mk_n: 5)")
                    mse_w = gr.Number(1.0, label="MSE weight (paper 1e-5, normalised to 1)")
                    perc_w = gr.Number(1.0, label="Perceptual weight, VGG-16 conv1_1..conv3_3 (paper 1e-5 -> 1)")
                    lat_w = gr.Number(0.0, label="Latent L2 ||w - w0||^2 weight")
                    noise_reg = gr.Number(0.0, label="Noise regulariser weight (StyleGAN2 autocorrelation)")
                    init = gr.Radio(list(INIT_CHOICES), value="w_avg", label="Start (optimisation)")
                    seed = gr.Number(0, precision=0, label="Seed")
                    every = gr.Slider(1, 100, value=10, step=1, label="Preview every N steps")
                    continue_from = gr.File(label="Continue from a latent (.safetensors)",
                                            file_types=[".safetensors"], type="filepath")
                with gr.Row():
                    run_btn = gr.Button("Invert", variant="primary")
                    stop_btn = gr.Button("Stop")
            with gr.Column():
                recon = gr.Image(label="Reconstruction", format="png", type="pil", height=256)
                status = gr.Markdown()
                plot = gr.LinePlot(x="step", y="loss", color="term", label="Loss", height=220)
                latent_out = gr.File(label="Latent (.safetensors)")

        def do_invert(model_name, img, method_, noise_on, into_, space_, steps_, nsteps_, lr_, nlr_, mse_, perc_,
                      latw_, nreg_, init_, seed_, every_, cont, progress=gr.Progress()):
            G = get_generator(ctx, model_name)
            if img is None:
                raise gr.Error("Upload an image to invert.")
            encoder = related_model(ctx, model_name, "encoder") if method_ != "optimisation" else None
            if method_ != "optimisation" and encoder is None and not cont:
                raise gr.Error(f"{model_name} has no encoder available; use the optimisation method.")
            start = load_slot(G, cont, "to continue from") if cont else None
            try:
                run = _api().invert_stream(
                    G, img, method=method_, encoder=encoder, init_latent=start, space=space_, steps=int(steps_),
                    noise_steps=int(nsteps_) if noise_on else 0, lr=float(lr_), noise_lr=float(nlr_),
                    mse=float(mse_), perceptual=float(perc_), latent=float(latw_), noise_reg=float(nreg_),
                    init=init_, seed=int(seed_ or 0), yield_every=int(every_))
            except ValueError as exc:
                raise user_error(exc) from None
            from hub.images import to_pil

            total = max(1, run.config.total_steps)
            history: list[dict] = []
            keep = (gr.update(),) * 4
            try:
                for step, im, losses in run:
                    history.append(dict(losses, step=step))
                    progress((step, total), desc="inverting")
                    yield (show(to_pil(im)), f"step {step}/{total} · PSNR **{losses.get('psnr', 0):.2f} dB**",
                           loss_frame(history), *keep)
            except ValueError as exc:
                raise user_error(exc) from None
            res = run.result
            path = write_latent(G, res, model_name, f"latent_{into_}")
            note = f"done: {len(res.history)} steps · PSNR **{res.psnr:.2f} dB** · stored in slot {into_}"
            slots_out = [gr.update(), gr.update(), gr.update()]
            slots_out["ABC".index(into_)] = path
            yield (show(to_pil(res.image)), note, loss_frame(res.history), path, *slots_out)

        inv_event = run_btn.click(
            do_invert,
            [model, image, method, with_noise, into, space, steps, noise_steps, lr, noise_lr, mse_w, perc_w,
             lat_w, noise_reg, init, seed, every, continue_from],
            [recon, status, plot, latent_out, slot_a, slot_b, slot_c], api_name=ctx.api_name("invert"), **heavy)
        stop_btn.click(None, None, None, cancels=[inv_event], api_visibility="private")

        with gr.Row():
            rand_seed = gr.Number(0, precision=0, label="Random sample seed")
            psi0 = gr.Slider(0, 1, value=0.7, step=0.05, label="psi")
            rand_btn = gr.Button("Random sample into the slot above")

        def do_random(model_name, seed_, psi_, into_):
            G = get_generator(ctx, model_name)
            latent = _api().random_latent(G, int(seed_ or 0), float(psi_))
            path = write_latent(G, latent, model_name, f"random_{int(seed_ or 0)}")
            out = [gr.update(), gr.update(), gr.update()]
            out["ABC".index(into_)] = path
            return (show(_api().render_pil(G, latent)), f"random sample, seed {int(seed_ or 0)}, psi {psi_}", path, *out)

        rand_btn.click(do_random, [model, rand_seed, psi0, into], [recon, status, latent_out, slot_a, slot_b, slot_c],
                       api_name=ctx.api_name("random_sample"), **heavy)

    # ------------------------------------------------------------------ morph
    with gr.Tab("Morph A → B"):
        with gr.Row():
            with gr.Column():
                t = gr.Slider(0, 1, value=0.5, step=0.01, label="t (0 = A, 1 = B)")
                frames = gr.Slider(2, 48, value=16, step=1, label="GIF frames")
                gif_btn = gr.Button("Make GIF", variant="primary")
            morph_img = gr.Image(label="Morph at t", format="png", type="pil", height=256)
            gif_out = gr.Image(label="Morph (animated GIF)", type="filepath", height=256)
        gif_file = gr.File(label="Download GIF")

        def do_morph(model_name, a, b, t_):
            G = get_generator(ctx, model_name)
            return show(_api().morph(G, load_slot(G, a, "A"), load_slot(G, b, "B"), float(t_)))

        def do_gif(model_name, a, b, n):
            G = get_generator(ctx, model_name)
            fr = _api().morph_frames(G, load_slot(G, a, "A"), load_slot(G, b, "B"), int(n), bounce=True)
            path = _api().save_gif(fr, scale=max(1, PREVIEW_SIZE // fr[0].width))
            return path, path

        t.release(do_morph, [model, slot_a, slot_b, t], morph_img, api_name=ctx.api_name("morph"), **heavy)
        gif_btn.click(do_gif, [model, slot_a, slot_b, frames], [gif_out, gif_file],
                      api_name=ctx.api_name("morph_gif"), **heavy)

    # ------------------------------------------------------------------ mix
    with gr.Tab("Style mixing"):
        gr.Markdown("Rows of A's W+ replaced by B's: **coarse** (4-8 px: pose, shape), **middle** (16-32 px: "
                    "features), **fine** (64 px and up: colours, texture).")
        with gr.Row():
            with gr.Column():
                group = gr.Radio(["coarse", "middle", "fine"], value="fine", label="Take from B")
                rows = gr.Textbox(label="…or rows (e.g. 0-3, 8)", placeholder="overrides the choice above")
                mix_btn = gr.Button("Mix", variant="primary")
            mix_img = gr.Image(label="A with B's styles", format="png", type="pil", height=256)
            mix_file = gr.File(label="Mixed latent")

        def do_mix(model_name, a, b, group_, rows_):
            G = get_generator(ctx, model_name)
            layers = parse_rows(rows_, G) if (rows_ or "").strip() else group_
            out = _api().mix(G, load_slot(G, a, "A"), load_slot(G, b, "B"), layers)
            return show(_api().render_pil(G, out)), write_latent(G, out, model_name, "mixed")

        mix_btn.click(do_mix, [model, slot_a, slot_b, group, rows], [mix_img, mix_file],
                      api_name=ctx.api_name("mix"), **heavy)

    # ------------------------------------------------------------------ transfer + truncation
    with gr.Tab("Transfer & truncation"):
        gr.Markdown("Expression / attribute transfer **A + λ (C − B)**: B → C shows the change "
                    "(e.g. neutral → smiling), A receives it. Truncation pulls A towards the mean face.")
        with gr.Row():
            with gr.Column():
                lam = gr.Slider(-2, 3, value=1.0, step=0.05, label="λ")
                t_rows = gr.Textbox(label="Rows (empty = all)")
                tr_btn = gr.Button("Transfer", variant="primary")
                psi = gr.Slider(-1, 1.5, value=0.7, step=0.05, label="Truncation ψ (on A)")
                trunc_btn = gr.Button("Truncate")
            tr_img = gr.Image(label="Result", format="png", type="pil", height=256)
            tr_file = gr.File(label="Result latent")

        def do_transfer(model_name, a, b, c, lam_, rows_):
            G = get_generator(ctx, model_name)
            out = _api().transfer(load_slot(G, a, "A"), load_slot(G, b, "B"), load_slot(G, c, "C"), float(lam_),
                               parse_rows(rows_, G))
            return show(_api().render_pil(G, out)), write_latent(G, out, model_name, "transfer")

        def do_truncate(model_name, a, psi_):
            G = get_generator(ctx, model_name)
            out = _api().truncate(G, load_slot(G, a, "A"), float(psi_))
            return show(_api().render_pil(G, out)), write_latent(G, out, model_name, "truncated")

        tr_btn.click(do_transfer, [model, slot_a, slot_b, slot_c, lam, t_rows], [tr_img, tr_file],
                     api_name=ctx.api_name("transfer"), **heavy)
        trunc_btn.click(do_truncate, [model, slot_a, psi], [tr_img, tr_file],
                        api_name=ctx.api_name("truncate"), **heavy)

    # ------------------------------------------------------------------ iGAN scribble edit
    with gr.Tab("Scribble edit (iGAN)"):
        gr.Markdown("Seed 000's constrained edit: **v\\* = argmin U(G(v)) + λ₁‖v − v₀‖² − λ₂ D(G(v))**, "
                    "U = the colour of your strokes. Load latent A into the canvas, paint, run.")
        with gr.Row():
            with gr.Column():
                load_btn = gr.Button("Load latent A into the canvas")
                editor = gr.ImageEditor(label="Paint colour strokes", type="pil", image_mode="RGB", height=320,
                                        brush=gr.Brush(colors=["#e53935", "#fdd835", "#43a047", "#1e88e5",
                                                               "#8e24aa", "#000000", "#ffffff", "#6d4c41"],
                                                       color_mode="defaults"),
                                        sources=("upload", "clipboard"), layers=False)
                with gr.Accordion("Advanced", open=False):
                    e_steps = gr.Slider(10, 1000, value=200, step=10, label="Steps (1000 / 5)")
                    e_lr = gr.Number(0.01, label="Adam lr")
                    lam1 = gr.Number(0.1, label="λ₁ latent L2")
                    lam2 = gr.Number(0.0, label="λ₂ realism (needs the model's discriminator)")
                    preserve = gr.Number(0.0, label="Keep the rest: MSE to the start outside the strokes (not in iGAN)")
                    e_rows = gr.Textbox(value="", label="W+ rows that may move (empty = all; 'middle' = Image2StyleGAN++ 4-6/18)")
                with gr.Row():
                    edit_btn = gr.Button("Edit", variant="primary")
                    edit_stop = gr.Button("Stop")
            with gr.Column():
                edit_img = gr.Image(label="Edited", format="png", type="pil", height=256)
                edit_status = gr.Markdown()
                edit_file = gr.File(label="Edited latent")

        def do_load(model_name, a):
            G = get_generator(ctx, model_name)
            return show(_api().render_pil(G, load_slot(G, a, "A")), 320)

        load_btn.click(do_load, [model, slot_a], editor, api_visibility="private", **heavy)

        def do_edit(model_name, a, value, steps_, lr_, l1, l2, keep, rows_):
            from hub.images import scribbles_from_editor, to_pil

            G = get_generator(ctx, model_name)
            start = load_slot(G, a, "A")
            _, colours, mask = scribbles_from_editor(value, what="canvas")
            target, m = downsample_strokes(colours, mask, int(G.resolution))
            disc = related_model(ctx, model_name, "discriminator") if float(l2) else None
            if float(l2) and disc is None:
                raise gr.Error(f"{model_name} has no discriminator available; set λ₂ to 0.")
            try:
                run = _api().constrained_edit(G, start, target, m, steps=int(steps_), lr=float(lr_),
                                           lam_latent=float(l1), lam_realism=float(l2), discriminator=disc,
                                           layers=parse_rows(rows_, G), preserve=float(keep))
            except ValueError as exc:
                raise user_error(exc) from None
            for step, im, losses in run:
                yield show(to_pil(im)), f"step {step}/{int(steps_)} · stroke MSE {losses.get('mse', 0):.4f}", None
            res = run.result
            yield show(to_pil(res.image)), "done", write_latent(G, res, model_name, "igan_edit")

        edit_event = edit_btn.click(do_edit, [model, slot_a, editor, e_steps, e_lr, lam1, lam2, preserve, e_rows],
                                    [edit_img, edit_status, edit_file], api_name=ctx.api_name("scribble_edit"),
                                    **heavy)
        edit_stop.click(None, None, None, cancels=[edit_event], api_visibility="private")


def downsample_strokes(colours, mask, size: int):
    """Canvas strokes -> (colour target [1,3,size,size] in [-1,1], mask [size,size]) by area averaging,
    colours premultiplied by the mask so that stroke edges keep their colour."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    m = torch.from_numpy(np.asarray(mask, np.float32))[None, None]
    c = torch.from_numpy(np.asarray(colours, np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    m_small = F.interpolate(m, size=(size, size), mode="area")
    c_small = F.interpolate(c * m, size=(size, size), mode="area") / m_small.clamp_min(1e-6)
    if float(m_small.max()) <= 0:
        raise gr.Error("Paint at least one stroke on the canvas.")
    return c_small.clamp(-1, 1), m_small[0, 0].numpy()

"""The "Image2StyleGAN++ local edits" tab: thin Gradio wiring over ``plugins.i2s_plusplus.api``.

Every application streams its progress, has a Stop button and its advanced parameters in a
collapsed accordion, and returns a PNG (display + download). Masks come from the alpha of the
layers painted in ``gr.ImageEditor`` (image_mode RGBA, type pil), via ``hub.images``.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from hub.ui import (PREVIEW_SIZE, editor_mask, generator, mask_editor, model_dropdown, need, png, related_model,
                    show, step_preset, steps_slider, stream)
from hub.ui import parse_indices as ints

EXAMPLES = Path(__file__).parent / "examples"
PREVIEW = PREVIEW_SIZE
EMBED_LABEL = "Embedding steps (W+, all rows, from the encoder when the model has one; paper: not given)"
PALETTE = ["#e53935", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#000000", "#ffffff", "#6d4c41"]


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.i2s_plusplus import api

    return api


# ------------------------------------------------------------------------------ helpers


def example(name: str) -> str | None:
    p = EXAMPLES / name
    return str(p) if p.is_file() else None


# ------------------------------------------------------------------------------ the tab


def build(ctx) -> None:
    from plugins.i2s_plusplus import defaults

    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    gr.Markdown(
        "**Image2StyleGAN++** edits an embedded image *locally*: masked W+ optimisation (W_l), masked noise "
        "optimisation (Mk_n), masked style transfer (M_st) and activation-tensor operations (I_att). Defaults "
        "are the paper's, scaled to this model (W+ rows proportionally from 18; step counts / 5 for the "
        "crossover, / 10 for scribbles and local style, / 20 for the reconstruction, so that each edit takes "
        "under a minute on a CPU; *Paper (slow)* in Advanced restores the published counts). "
        "Inpainting has its own tab."
    )
    model = model_dropdown(ctx)
    outs_common = dict(format="png", type="pil", height=PREVIEW)

    def stop(button, event):
        button.click(None, None, None, cancels=[event],
                    api_visibility="private")

    # ------------------------------------------------------------------ 1 reconstruction
    with gr.Tab("Improved reconstruction"):
        gr.Markdown("Algorithm 2: W+ (Image2StyleGAN), **then** noise maps (never jointly) — the engine's "
                    "\"best quality\" mode, the same as *Inversion & W+ editing* with noise on.")
        with gr.Row():
            with gr.Column():
                r_img = gr.Image(label="Image", type="pil", image_mode="RGB", height=PREVIEW)
                with gr.Accordion("Advanced", open=False):
                    r_w = steps_slider(defaults.RECONSTRUCT_W_STEPS, "W+ steps (paper 5000; default / 20)", 5000)
                    r_n = steps_slider(defaults.RECONSTRUCT_NOISE_STEPS, "Noise steps (paper 3000; default / 20)", 3000)
                    step_preset([r_w, r_n], [defaults.RECONSTRUCT_W_STEPS, defaults.RECONSTRUCT_NOISE_STEPS],
                                [defaults.PAPER_STEPS["reconstruct"]["w"], defaults.PAPER_STEPS["reconstruct"]["noise"]])
                    r_p = gr.Number(1.0, label="Perceptual weight λ_p (paper 1e-5 → 1, MSE 1e-5 → 1)")
                    r_init = gr.Radio(["w_avg", "random"], value="w_avg", label="Start")
                    r_seed = gr.Number(0, precision=0, label="Seed")
                with gr.Row():
                    r_go = gr.Button("Reconstruct", variant="primary")
                    r_stop = gr.Button("Stop")
            with gr.Column():
                r_out = gr.Image(label="Reconstruction", **outs_common)
                r_status = gr.Markdown()
                r_file = gr.File(label="PNG")
        gr.Examples([[e] for e in [example("face_a.png"), example("face_d.png")] if e], [r_img],
                    api_visibility="private")

        def do_reconstruct(name, img, w, n, p, init, seed, progress=gr.Progress()):
            G = generator(ctx, name)
            gen = _api().reconstruct(G, need(img, "an image"), w_steps=int(w), noise_steps=int(n), perceptual=float(p),
                                  init=init, seed=int(seed or 0))

            def finish(res):
                return show(res.pil), f"done · PSNR **{res.extras['psnr']:.2f} dB**", png(res.pil, "reconstruction")

            yield from stream(gen, progress, finish, 1)

        ev = r_go.click(do_reconstruct, [model, r_img, r_w, r_n, r_p, r_init, r_seed], [r_out, r_status, r_file],
                        api_name=ctx.api_name("reconstruct"), **heavy)
        stop(r_stop, ev)

    # ------------------------------------------------------------------ 2 crossover
    with gr.Tab("Crossover"):
        gr.Markdown("Algorithm 3: paint on **image B** the region to take; it goes into **image A** with a "
                    "blurred mask (M_blur), W_l then Mk_n, so the seam disappears. The hard paste is shown beside it.")
        with gr.Row():
            with gr.Column():
                c_a = gr.Image(label="Image A (receives)", type="pil", image_mode="RGB", height=PREVIEW)
                c_b = mask_editor("Image B: paint the region to take")
                with gr.Accordion("Advanced", open=False):
                    c_w = steps_slider(defaults.CROSSOVER_STEPS, "W_l steps (paper 1000; default / 5)")
                    c_n = steps_slider(defaults.CROSSOVER_STEPS, "Mk_n steps (paper 1000; default / 5)")
                    step_preset([c_w, c_n], [defaults.CROSSOVER_STEPS] * 2,
                                [defaults.PAPER_STEPS["crossover"]["w"], defaults.PAPER_STEPS["crossover"]["noise"]])
                    c_sigma = gr.Number(None, label="M_blur sigma in px (empty: resolution / 32)")
                    c_mse = gr.Number(1.0, label="λ_mse1 (to A outside the mask; paper 1e-5 → 1)")
                    c_mse2 = gr.Number(1.0, label="λ_mse2 (to B inside the mask; paper 1e-5 → 1)")
                    c_p = gr.Number(1.0, label="λ_p perceptual to A outside (paper 1e-5 → 1)")
                    c_nlr = gr.Number(5.0, label="Noise Adam lr (paper 5)")
                    c_seed = gr.Number(0, precision=0, label="Seed")
                with gr.Row():
                    c_go = gr.Button("Cross over", variant="primary")
                    c_stop = gr.Button("Stop")
            with gr.Column():
                c_out = gr.Image(label="Crossover", **outs_common)
                c_status = gr.Markdown()
                c_paste = gr.Image(label="Naive paste (for comparison)", **outs_common)
                c_file = gr.File(label="PNG")
        gr.Examples([[a, b] for a, b in [(example("face_a.png"), example("face_c.png"))] if a and b], [c_a, c_b],
                    api_visibility="private")

        def do_crossover(name, a, b_value, w, n, sigma, mse, mse2, p, nlr, seed, progress=gr.Progress()):
            G = generator(ctx, name)
            b_img, mask = editor_mask(b_value, "image B")
            a_img = need(a, "image A")
            gen = _api().crossover(G, a_img, b_img, mask, w_steps=int(w), noise_steps=int(n),
                                sigma=None if sigma in (None, "") else float(sigma), mse=float(mse), mse2=float(mse2),
                                perceptual=float(p), noise_lr=float(nlr), seed=int(seed or 0))

            def finish(res):
                from hub.images import to_pil

                ta, tb = _api().image_tensor(G, a_img), _api().image_tensor(G, b_img)
                paste = _api().naive_paste(ta, tb, res.extras["mask"])
                seam, seam0 = _api().seam_energy(res.image, res.extras["mask"]), _api().seam_energy(paste, res.extras["mask"])
                note = f"done · seam gradient energy **{seam:.4f}** (naive paste {seam0:.4f})"
                return show(res.pil), note, show(to_pil(paste)), png(res.pil, "crossover")

            yield from stream(gen, progress, finish, 2)

        ev = c_go.click(do_crossover, [model, c_a, c_b, c_w, c_n, c_sigma, c_mse, c_mse2, c_p, c_nlr, c_seed],
                        [c_out, c_status, c_paste, c_file], api_name=ctx.api_name("crossover"), **heavy)
        stop(c_stop, ev)

    # ------------------------------------------------------------------ 4 scribbles
    with gr.Tab("Local edits (scribbles)"):
        gr.Markdown("Paint colour strokes on the photo. The photo is embedded, then only the **middle W+ rows** "
                    "(paper 4–6 of 18, scaled) move towards your strokes, then the noise restores the detail. "
                    "For iGAN's constrained edit (Zhu et al. 2016) (latent L2 + discriminator realism), use the "
                    "**Scribble edit (iGAN)** sub-tab of *Inversion & W+ editing*.")
        with gr.Row():
            with gr.Column():
                s_ed = mask_editor("Photo: paint colour strokes", PALETTE)
                with gr.Accordion("Advanced", open=False):
                    s_rows = gr.Textbox(label="W+ rows that move (empty: paper 4–6 of 18 scaled)")
                    s_e = steps_slider(defaults.EMBED_STEPS, EMBED_LABEL)
                    s_w = steps_slider(defaults.APP_STEPS, "W_l steps (paper 1000; default / 10)")
                    s_n = steps_slider(defaults.SCRIBBLE_NOISE_STEPS, "Mk_n steps (paper 1000)")
                    step_preset([s_e, s_w, s_n],
                                [defaults.EMBED_STEPS, defaults.APP_STEPS, defaults.SCRIBBLE_NOISE_STEPS],
                                [defaults.PAPER_STEPS["scribbles"]["w"], defaults.PAPER_STEPS["scribbles"]["w"],
                                 defaults.PAPER_STEPS["scribbles"]["noise"]])
                    s_mse = gr.Number(1.0, label="λ_mse1 outside the strokes (to the photo)")
                    s_mse2 = gr.Number(1.0, label="λ_mse2 inside the strokes (to their colour)")
                    s_p = gr.Number(1.0, label="λ_p perceptual outside the strokes")
                    s_nlr = gr.Number(5.0, label="Noise Adam lr (paper 5)")
                    s_seed = gr.Number(0, precision=0, label="Seed")
                with gr.Row():
                    s_go = gr.Button("Edit", variant="primary")
                    s_stop = gr.Button("Stop")
            with gr.Column():
                s_out = gr.Image(label="Edited", **outs_common)
                s_status = gr.Markdown()
                s_file = gr.File(label="PNG")
        gr.Examples([[e] for e in [example("face_b.png")] if e], [s_ed],
                    api_visibility="private")

        def do_scribble(name, value, rows, e, w, n, mse, mse2, p, nlr, seed, progress=gr.Progress()):
            from hub.images import scribbles_from_editor

            G = generator(ctx, name)
            if value is None or (isinstance(value, dict) and value.get("background") is None):
                raise gr.Error("Upload a photo into the editor first.")
            bg, colours, strokes = scribbles_from_editor(value, what="photo")
            if float(strokes.max()) <= 0:
                raise gr.Error("Paint at least one colour stroke on the photo.")
            gen = _api().scribble_edit(G, bg, colours, strokes, rows=ints(rows, G.num_ws, "W+ rows"),
                                    embed_steps=int(e), w_steps=int(w), noise_steps=int(n), mse=float(mse),
                                    mse2=float(mse2), perceptual=float(p), noise_lr=float(nlr), seed=int(seed or 0),
                                    encoder=related_model(ctx, name, "encoder"))

            def finish(res):
                return show(res.pil), f"done · rows {list(res.extras['rows'])} moved", png(res.pil, "scribble_edit")

            yield from stream(gen, progress, finish, 1)

        ev = s_go.click(do_scribble, [model, s_ed, s_rows, s_e, s_w, s_n, s_mse, s_mse2, s_p, s_nlr, s_seed],
                        [s_out, s_status, s_file], api_name=ctx.api_name("scribbles"), **heavy)
        stop(s_stop, ev)

    # ------------------------------------------------------------------ 5 local style transfer
    with gr.Tab("Local style transfer"):
        gr.Markdown("Paint on **image 1** the region to restyle; it takes the style (Gram matrix of VGG-16 "
                    "conv3_3) of **image 2** via M_st, the rest of image 1 is kept, then noise.")
        with gr.Row():
            with gr.Column():
                l_ed = mask_editor("Image 1: paint the region to restyle")
                l_style = gr.Image(label="Image 2 (style)", type="pil", image_mode="RGB", height=PREVIEW)
                with gr.Accordion("Advanced", open=False):
                    l_sw = gr.Number(0.05, label="λ_s style weight (paper 5e-7 → 0.05 beside MSE 1e-5 → 1)")
                    l_rows = gr.Textbox(label="W+ rows that move in M_st (empty: all)")
                    l_e = steps_slider(defaults.EMBED_STEPS, EMBED_LABEL)
                    l_w = steps_slider(defaults.APP_STEPS, "M_st steps (paper 1000; default / 10)")
                    l_n = steps_slider(defaults.APP_STEPS, "Mk_n steps (paper 1000; default / 10)")
                    step_preset([l_e, l_w, l_n], [defaults.EMBED_STEPS, defaults.APP_STEPS, defaults.APP_STEPS],
                                [defaults.PAPER_STEPS["local_style"]["w"], defaults.PAPER_STEPS["local_style"]["w"],
                                 defaults.PAPER_STEPS["local_style"]["noise"]])
                    l_mse = gr.Number(1.0, label="λ_mse1 outside the region")
                    l_p = gr.Number(1.0, label="λ_p perceptual outside the region")
                    l_nlr = gr.Number(5.0, label="Noise Adam lr (paper 5)")
                    l_seed = gr.Number(0, precision=0, label="Seed")
                with gr.Row():
                    l_go = gr.Button("Transfer style", variant="primary")
                    l_stop = gr.Button("Stop")
            with gr.Column():
                l_out = gr.Image(label="Result", **outs_common)
                l_status = gr.Markdown()
                l_file = gr.File(label="PNG")
        gr.Examples([[a, b] for a, b in [(example("face_b.png"), example("face_d.png"))] if a and b], [l_ed, l_style],
                    api_visibility="private")

        def do_style(name, value, style, sw, rows, e, w, n, mse, p, nlr, seed, progress=gr.Progress()):
            G = generator(ctx, name)
            bg, mask = editor_mask(value, "image 1")
            gen = _api().local_style(G, bg, need(style, "the style image (image 2)"), mask,
                                  rows=ints(rows, G.num_ws, "W+ rows"), embed_steps=int(e), w_steps=int(w),
                                  noise_steps=int(n), style_weight=float(sw), mse=float(mse), perceptual=float(p),
                                  noise_lr=float(nlr), seed=int(seed or 0),
                                  encoder=related_model(ctx, name, "encoder"))
            yield from stream(gen, progress, lambda res: (show(res.pil), "done", png(res.pil, "local_style")), 1)

        ev = l_go.click(do_style, [model, l_ed, l_style, l_sw, l_rows, l_e, l_w, l_n, l_mse, l_p, l_nlr, l_seed],
                        [l_out, l_status, l_file], api_name=ctx.api_name("local_style"), **heavy)
        stop(l_stop, ev)

    # ------------------------------------------------------------------ 6 attribute-level feature transfer
    with gr.Tab("Feature transfer (activations)"):
        gr.Markdown("Both images are embedded; then image 1 is generated again with the **activation tensor** of "
                    "image 2 copied in under your mask at an early synthesis layer (the paper's layer 4 of 18, "
                    "scaled). Paint the region on **image 2**.")
        with gr.Row():
            with gr.Column():
                f_1 = gr.Image(label="Image 1 (base)", type="pil", image_mode="RGB", height=PREVIEW)
                f_2 = mask_editor("Image 2: paint the region whose features to copy")
                with gr.Accordion("Advanced", open=False):
                    f_layer = gr.Number(None, precision=0, label="Synthesis layer (empty: paper's 4 of 18 scaled)")
                    f_mode = gr.Radio(["spatial", "average", "channel"], value="spatial",
                                      label="I_att operation (spatial copy is the paper's best)")
                    f_alpha = gr.Slider(0, 1, value=0.5, step=0.05, label="Averaging λ (A's share)")
                    f_ch = gr.Textbox(label="Channels for channel-wise copy (e.g. 0-63)")
                    f_e = steps_slider(defaults.EMBED_STEPS, "Embedding steps (W+; both images in one batch)")
                    f_n = steps_slider(0, "Noise steps per image (Mk_n)")
                    f_seed = gr.Number(0, precision=0, label="Seed")
                with gr.Row():
                    f_go = gr.Button("Transfer features", variant="primary")
                    f_stop = gr.Button("Stop")
            with gr.Column():
                f_out = gr.Image(label="Image 1 with image 2's features", **outs_common)
                f_status = gr.Markdown()
                with gr.Row():
                    f_r1 = gr.Image(label="Image 1 embedded", **dict(outs_common, height=128))
                    f_r2 = gr.Image(label="Image 2 embedded", **dict(outs_common, height=128))
                f_file = gr.File(label="PNG")
        gr.Examples([[a, b] for a, b in [(example("face_b.png"), example("face_a.png"))] if a and b], [f_1, f_2],
                    api_visibility="private")

        def do_features(name, img1, value, layer, mode, alpha, ch, e, n, seed, progress=gr.Progress()):
            from hub.images import to_pil

            G = generator(ctx, name)
            bg, mask = editor_mask(value, "image 2")
            if layer not in (None, "") and not 0 <= int(layer) < G.num_layers:
                raise gr.Error(f"Layer {int(layer)} does not exist: this generator has layers 0-{G.num_layers - 1}.")
            channels = None
            if mode == "channel":
                channels = ints(ch, 4096, "Channels")
                if not channels:
                    raise gr.Error("Channel-wise copy needs channels, e.g. 0-63.")
            gen = _api().feature_transfer(G, need(img1, "image 1"), bg, mask, layer=None if layer in (None, "") else
                                       int(layer), mode=mode, alpha=float(alpha), channels=channels,
                                       embed_steps=int(e), noise_steps=int(n), seed=int(seed or 0))

            def finish(res):
                note = f"done · activations copied at layer {res.extras['layer']} " \
                       f"({G.layer_resolutions[res.extras['layer']]} px)"
                return (show(res.pil), note, show(to_pil(res.extras["image_1"]), 128),
                        show(to_pil(res.extras["image_2"]), 128), png(res.pil, "feature_transfer"))

            yield from stream(gen, progress, finish, 3)

        ev = f_go.click(do_features, [model, f_1, f_2, f_layer, f_mode, f_alpha, f_ch, f_e, f_n, f_seed],
                        [f_out, f_status, f_r1, f_r2, f_file], api_name=ctx.api_name("feature_transfer"), **heavy)
        stop(f_stop, ev)

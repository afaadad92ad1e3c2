"""The "Inpainting (GAN prior)" tab: thin Gradio wiring over ``plugins.inpainting.api``.

The hole is what you paint with the brush or, if nothing is painted, the transparent pixels of the
uploaded PNG. The GAN fill, the "Variations" gallery and OpenCV's classical fill are composited the
same way: the input's own pixels outside the hole, exactly.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from hub.ui import PREVIEW_SIZE as PREVIEW
from hub.ui import generator, model_dropdown, png, related_model, show, step_preset, stream

EXAMPLES = Path(__file__).parent / "examples"
START_ENCODER = "encoder of the Telea-filled image"
START_W_AVG = "w_avg (paper)"


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.inpainting import api

    return api


def build(ctx) -> None:
    from plugins.inpainting import defaults

    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    gr.Markdown(
        "**Image2StyleGAN++ inpainting.** Paint over the region to fill, or upload a PNG whose missing part is "
        "transparent. The mask is grown and blurred (M_blur+); only the paper's W+ rows 1–9 and 17–18 of 18 "
        "(scaled) move, then the noise maps. They start from the encoder's code of the image with its hole "
        "filled by OpenCV Telea (when the model has an encoder; the paper starts from the mean face, one click "
        "away under Advanced). Pixels outside the hole come back unchanged."
    )
    model = model_dropdown(ctx)
    with gr.Row():
        with gr.Column():
            editor = gr.ImageEditor(label="Image: paint the hole (or upload a PNG with transparent pixels)",
                                    type="pil", image_mode="RGBA", height=320, format="png",
                                    sources=("upload", "clipboard"), layers=False, transforms=(),
                                    brush=gr.Brush(colors=["#ff00ff"], color_mode="defaults"))
            with gr.Accordion("Advanced", open=False):
                w_steps = gr.Slider(0, 1000, value=defaults.W_STEPS, step=5, label="W_l steps (paper 200; default / 5)")
                n_steps = gr.Slider(0, 2000, value=defaults.NOISE_STEPS, step=10,
                                    label="Mk_n steps (paper 1000; default / 5)")
                step_preset([w_steps, n_steps], [defaults.W_STEPS, defaults.NOISE_STEPS],
                            [defaults.PAPER_W_STEPS, defaults.PAPER_NOISE_STEPS])
                rows = gr.Textbox(label="W+ rows that move (empty: paper 1–9 + 17–18 of 18, scaled)")
                grow = gr.Number(None, precision=0, label="Grow the hole by px for M_blur+ (empty: resolution / 32)")
                sigma = gr.Number(None, label="M_blur+ blur sigma px (empty: resolution / 32)")
                mse = gr.Number(1.0, label="λ_mse1 on the known pixels (paper 1e-5 → 1)")
                perc = gr.Number(1.0, label="λ_p perceptual on the known pixels (paper 1e-5 → 1)")
                mse2 = gr.Number(defaults.MSE2_WEIGHT,
                                 label="λ_mse2 noise stage, hole kept near the W_l fill (paper 1e-4 → 10)")
                noise_lr = gr.Number(5.0, label="Noise Adam lr (paper 5)")
                n_var = gr.Slider(2, 8, value=4, step=1, label="Variations: number of fills (one batch)")
                init_range = gr.Number(defaults.INIT_RANGE, label="Variations: start w_avg + U[-r, r] (paper r = 0.4)")
                baseline = gr.Radio(["telea", "ns"], value="telea", label="Classical baseline (OpenCV)")
                start = gr.Radio([START_ENCODER, START_W_AVG], value=START_ENCODER, label="Start of W_l")
                seed = gr.Number(0, precision=0, label="Seed")
            with gr.Row():
                go = gr.Button("Inpaint", variant="primary")
                var_btn = gr.Button("Variations")
                stop_btn = gr.Button("Stop")
        with gr.Column():
            out = gr.Image(label="GAN fill (composited)", format="png", type="pil", height=PREVIEW)
            status = gr.Markdown()
            base_img = gr.Image(label="OpenCV baseline", format="png", type="pil", height=PREVIEW)
            gallery = gr.Gallery(label="Variations", columns=4, height=200, format="png")
            out_file = gr.File(label="PNG")
    gr.Examples([[str(p)] for p in sorted(EXAMPLES.glob("*.png"))], [editor], label="Held-out emoji with holes",
                    api_visibility="private")

    def read(name, value):
        G = generator(ctx, name)
        if value is None or (isinstance(value, dict) and value.get("background") is None):
            raise gr.Error("Upload an image into the editor first.")
        img, hole = _api().hole_from_editor(value)
        if float(hole.max()) < 0.5:
            raise gr.Error("No hole: paint over the region to fill, or upload a PNG with transparent pixels.")
        if img.width != img.height:
            raise gr.Error(f"The image is {img.width}x{img.height}; crop it to a square (the generator is square).")
        return G, img, hole

    def options(rows_, grow_, sigma_, mse_, perc_, mse2_, nlr_, w_, n_, G):
        from hub.ui import parse_indices as ints

        return dict(rows=ints(rows_, G.num_ws, "W+ rows"), grow=None if grow_ in (None, "") else int(grow_),
                    sigma=None if sigma_ in (None, "") else float(sigma_), mse=float(mse_), perceptual=float(perc_),
                    mse2=float(mse2_), noise_lr=float(nlr_), w_steps=int(w_), noise_steps=int(n_))

    def do_inpaint(name, value, w_, n_, rows_, grow_, sigma_, mse_, perc_, mse2_, nlr_, base_, seed_, start_,
                   progress=gr.Progress()):
        G, img, hole = read(name, value)
        opts = options(rows_, grow_, sigma_, mse_, perc_, mse2_, nlr_, w_, n_, G)
        encoder = related_model(ctx, name, "encoder") if start_ != START_W_AVG else None
        start_note = "start: En(Telea fill)" if encoder is not None else "start: w_avg"
        try:
            baseline_img = _api().classical_inpaint(img, hole, base_)
        except ValueError as exc:
            raise gr.Error(str(exc)) from None
        gen = _api().inpaint(G, img, hole, seed=int(seed_ or 0), encoder=encoder, **opts)

        def finish(res):
            comp = res.extras["composite"]
            return (show(comp), f"done · {int((hole >= 0.5).sum())} hole pixels filled; the rest is the input's "
                                f"· {start_note}",
                    show(baseline_img), png(comp, "inpainted"))

        yield None, "running…", show(baseline_img), gr.update()
        yield from stream(gen, progress, finish, 2)

    def do_variations(name, value, w_, n_, rows_, grow_, sigma_, mse_, perc_, mse2_, nlr_, k_, r_, seed_,
                      progress=gr.Progress()):
        G, img, hole = read(name, value)
        opts = options(rows_, grow_, sigma_, mse_, perc_, mse2_, nlr_, w_, n_, G)
        gen = _api().variations_stream(G, img, hole, int(k_), init_range=float(r_), seed=int(seed_ or 0), **opts)

        def finish(results):
            fills = [show(r.extras["composite"], 128) for r in results]
            return (show(results[0].extras["composite"]), f"done · {len(fills)} fills from w_avg + U[-{r_}, {r_}]",
                    fills)

        yield from stream(gen, progress, finish, 1)

    ev1 = go.click(do_inpaint, [model, editor, w_steps, n_steps, rows, grow, sigma, mse, perc, mse2, noise_lr,
                                baseline, seed, start], [out, status, base_img, out_file],
                   api_name=ctx.api_name("inpaint"), **heavy)
    ev2 = var_btn.click(do_variations, [model, editor, w_steps, n_steps, rows, grow, sigma, mse, perc, mse2, noise_lr,
                                        n_var, init_range, seed], [out, status, gallery],
                        api_name=ctx.api_name("variations"), **heavy)
    stop_btn.click(None, None, None, cancels=[ev1, ev2],
                    api_visibility="private")

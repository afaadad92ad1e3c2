"""The "Attribute vectors" tab: thin Gradio wiring over ``plugins.attribute_vectors.api``."""

from __future__ import annotations

import gradio as gr

from hub.ui import generator as get_generator
from hub.ui import load_slot, model_dropdown, parse_rows, related_model, show, user_error, write_latent

MAX_SLIDERS = 24


def _api():
    """The torch-backed APIs, imported at the first event (building the tab must not import torch)."""
    from plugins.attribute_vectors import api

    return api


def _wapi():
    from plugins.wplus_editing import api

    return api


def _directions(ctx, model: str | None) -> tuple[list[str], dict]:
    """(sorted direction names, metadata) of a model's shipped directions, read without torch."""
    from safetensors import safe_open

    from plugins.attribute_vectors.defaults import DIRECTIONS_FORMAT as FORMAT

    if not model:
        return [], {}
    try:
        weight_id = ctx.related_name(model, "directions")
        if not weight_id:
            return [], {}
        with safe_open(str(ctx.weight_path(weight_id)), "numpy") as f:
            meta = dict(f.metadata() or {})
            names = sorted(k[len("direction."):] for k in f.keys() if k.startswith("direction."))
    except Exception:
        return [], {}
    return (names, meta) if meta.get("format") == FORMAT else ([], {})


def _slider_updates(names: list[str]):
    out = []
    for i in range(MAX_SLIDERS):
        if i < len(names):
            out.append(gr.update(visible=True, label=names[i], value=0))
        else:
            out.append(gr.update(visible=False, value=0))
    return out


def _describe(classifier, G, latent) -> str:
    """The attribute classifier's reading of an image (if the model has one)."""
    if classifier is None:
        return ""
    import torch

    with torch.no_grad():
        names = classifier.predict_names(_wapi().render(G, latent))[0]
    return " · ".join(f"{k}: **{v}**" for k, v in names.items())


def build(ctx) -> None:
    heavy = dict(concurrency_id=ctx.heavy_concurrency_id, concurrency_limit=1)
    gr.Markdown("Move a face along **attribute directions**: d = mean latent of faces *with* the attribute − mean "
                "latent of faces *without* it (the attribute vector z_long of White 2016, in W+). Start from a random sample or an "
                "uploaded photo (inverted first), then use the sliders.")
    model = model_dropdown(ctx)
    first = model.value if isinstance(model.value, str) else None
    names0 = _directions(ctx, first)[0]
    source_note = gr.Markdown(_source_text(_directions(ctx, first)[1]))
    latent_path = gr.State(None)
    custom_dir = gr.State(None)
    with gr.Row():
        with gr.Column():
            with gr.Tab("Random sample"):
                seed = gr.Number(0, precision=0, label="Seed")
                psi = gr.Slider(0, 1, value=0.7, step=0.05, label="Truncation ψ")
                sample_btn = gr.Button("Sample", variant="primary")
            with gr.Tab("Upload a photo"):
                photo = gr.Image(label="Photo", type="pil", image_mode="RGB", height=200)
                inv_steps = gr.Slider(0, 2000, value=400, step=20,
                                      label="W+ steps (hybrid when the model has an encoder)")
                with gr.Row():
                    invert_btn = gr.Button("Invert", variant="primary")
                    stop_btn = gr.Button("Stop")
            latent_file = gr.File(label="…or a latent (.safetensors) from the W+ editing tab",
                                  file_types=[".safetensors"], type="filepath", height=90)
            start_img = gr.Image(label="Start", format="png", type="pil", height=200)
            start_attrs = gr.Markdown()
        with gr.Column():
            sliders = []
            with gr.Group():
                for i in range(MAX_SLIDERS):
                    sliders.append(gr.Slider(-3, 3, value=0, step=0.1, label=names0[i] if i < len(names0) else f"d{i}",
                                             visible=i < len(names0)))
            custom_alpha = gr.Slider(-3, 3, value=0, step=0.1, label="custom (your direction)")
            with gr.Row():
                layers = gr.Radio(["all", "coarse", "middle", "fine"], value="all", label="Rows that move")
                rows = gr.Textbox(label="…or rows (e.g. 4-9)")
            apply_btn = gr.Button("Apply", variant="primary")
            result = gr.Image(label="Edited", format="png", type="pil", height=256)
            result_attrs = gr.Markdown()
            result_file = gr.File(label="Edited latent")
    with gr.Accordion("Your own direction from two image sets", open=False):
        with gr.Row():
            with_set = gr.File(label="Images WITH the attribute", file_count="multiple", file_types=["image"])
            without_set = gr.File(label="Images WITHOUT it", file_count="multiple", file_types=["image"])
        set_steps = gr.Slider(0, 1000, value=200, step=20, label="W+ steps per set (0 = encoder alone)")
        set_btn = gr.Button("Compute direction")
        set_status = gr.Markdown()
        set_file = gr.File(label="Direction (.safetensors)")

    def on_model(model_name):
        names, meta = _directions(ctx, model_name)
        return (_source_text(meta), *_slider_updates(names))

    model.change(on_model, model, [source_note, *sliders], api_visibility="private")

    def set_start(G, model_name, latent, note=""):
        path = write_latent(G, latent, model_name, "start")
        clf = related_model(ctx, model_name, "classifier")
        return show(_wapi().render_pil(G, latent)), (note + "  \n" if note else "") + _describe(clf, G, latent), path

    def do_sample(model_name, seed_, psi_):
        G = get_generator(ctx, model_name)
        latent = _api().random_face(G, int(seed_ or 0), float(psi_))
        return set_start(G, model_name, latent, f"random sample {int(seed_ or 0)}")

    sample_btn.click(do_sample, [model, seed, psi], [start_img, start_attrs, latent_path],
                     api_name=ctx.api_name("sample"), **heavy)

    def do_invert(model_name, img, steps_, progress=gr.Progress()):
        from hub.images import to_pil

        G = get_generator(ctx, model_name)
        if img is None:
            raise gr.Error("Upload a photo first.")
        enc = related_model(ctx, model_name, "encoder")
        method = "hybrid" if enc is not None else "optimisation"
        if int(steps_) == 0:
            if enc is None:
                raise gr.Error(f"{model_name} has no encoder: use more than 0 steps.")
            method = "encoder"
        run = _wapi().invert_stream(G, img, method=method, encoder=enc, steps=int(steps_), noise_steps=0,
                                 yield_every=20)
        for step, im, losses in run:
            progress((step, max(1, int(steps_))), desc=method)
            yield show(to_pil(im)), f"{method}: step {step} · PSNR {losses.get('psnr', 0):.2f} dB", gr.update()
        res = run.result
        yield set_start(G, model_name, res, f"{method} inversion, PSNR {res.psnr:.2f} dB")

    inv_event = invert_btn.click(do_invert, [model, photo, inv_steps], [start_img, start_attrs, latent_path],
                                 api_name=ctx.api_name("invert"), **heavy)
    stop_btn.click(None, None, None, cancels=[inv_event], api_visibility="private")

    def do_upload(model_name, path):
        if not path:
            return gr.update(), gr.update(), gr.update()
        G = get_generator(ctx, model_name)
        return set_start(G, model_name, load_slot(G, path, "file"), "uploaded latent")

    latent_file.upload(do_upload, [model, latent_file], [start_img, start_attrs, latent_path],
                       api_visibility="private", **heavy)

    def do_apply(model_name, path, layers_, rows_, custom, custom_a, *alphas):
        G = get_generator(ctx, model_name)
        if not path:
            raise gr.Error("Sample a face or invert a photo first.")
        start = load_slot(G, path, "start")
        try:
            weight_id = ctx.related_name(model_name, "directions")
            dirs = _api().load_directions(ctx.weight_path(weight_id))[0] if weight_id else {}
        except (LookupError, ValueError, gr.Error):
            dirs = {}
        names = sorted(dirs)
        chosen = {n: float(a) for n, a in zip(names, alphas) if a}
        if custom is not None and custom_a:
            dirs = dict(dirs, custom=custom)
            chosen["custom"] = float(custom_a)
        lay = parse_rows(rows_, G) if (rows_ or "").strip() else layers_
        try:
            out = _api().apply_directions(G, start, dirs, chosen, lay)
        except (ValueError, KeyError) as exc:
            raise user_error(exc) from None
        clf = related_model(ctx, model_name, "classifier")
        note = ", ".join(f"{k} {v:+.1f}" for k, v in chosen.items()) or "no slider moved"
        return (show(_wapi().render_pil(G, out)), note + "  \n" + _describe(clf, G, out),
                write_latent(G, out, model_name, "attribute_edit"))

    apply_btn.click(do_apply, [model, latent_path, layers, rows, custom_dir, custom_alpha, *sliders],
                    [result, result_attrs, result_file], api_name=ctx.api_name("apply"), **heavy)

    def do_sets(model_name, pos, neg, steps_):
        G = get_generator(ctx, model_name)
        if not pos or not neg:
            raise gr.Error("Upload at least one image to each set.")
        enc = related_model(ctx, model_name, "encoder")
        if int(steps_) == 0 and enc is None:
            raise gr.Error(f"{model_name} has no encoder: use more than 0 steps.")
        try:
            d = _api().direction_from_sets(G, [getattr(f, "name", f) for f in pos], [getattr(f, "name", f) for f in neg],
                                        encoder=enc, steps=int(steps_))
        except ValueError as exc:
            raise user_error(exc) from None
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp(prefix="ganhub-direction-"))
        path = _api().save_directions(folder / "custom_direction.safetensors", {"custom": d}, model=model_name,
                                   source=f"direction_from_sets ({len(pos)} with, {len(neg)} without)",
                                   counts={"custom": [len(pos), len(neg)]})
        return d, f"direction from {len(pos)} vs {len(neg)} images, |d| = {float(d.norm()):.3f}: use the *custom* slider", str(path)

    set_btn.click(do_sets, [model, with_set, without_set, set_steps], [custom_dir, set_status, set_file],
                  api_name=ctx.api_name("direction_from_sets"), **heavy)


def _source_text(meta: dict) -> str:
    if not meta:
        return "_This model ships no attribute directions; define your own below._"
    return f"Directions: {meta.get('latents', meta.get('source', '?'))}."

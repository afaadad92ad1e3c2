"""The W+ editing tab's handlers: module-level functions over ``plugins.wplus_editing.api``.

Each public handler's first parameter is the tab's context (bound by ``ui.py``); the others are the
tab's inputs, described in its ``Args:`` block (the API page and the MCP tool read these). Latents
travel as files: slots A, B and C hold GAN Hub latent .safetensors files; a PTI latent carries its
generator's weight delta in the same file, and every edit of it renders through the tuned generator
(``hub.ui.open_latent``) and keeps the delta in the file it writes (``hub.ui.write_edit``).
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from hub.ui import load_slot, loss_frame, related_model, show, user_error, write_latent
from hub.ui import generator as get_generator
from plugins.wplus_editing.defaults import TAB_TUNING_LR

EXAMPLES = Path(__file__).parent / "examples"
SLOTS = "ABC"
#: the example put in slots A, B and C when the tab opens (encoded, so it takes a fraction of a second)
FIRST_VIEW_EXAMPLES = ("man_beard.png", "woman_red_hair.png", "person_white_hair.png")


def _api():
    """The torch-backed API, imported at the first event (building the tab must not import torch)."""
    from plugins.wplus_editing import api

    return api


def _slot_updates(into: str, path: str) -> list:
    out = [gr.update()] * len(SLOTS)
    out[SLOTS.index(into)] = path
    return out


def _render(G, latent):
    return show(_api().render_pil(G, latent))


def _write_result(G, res, model: str, name: str) -> str:
    """A PTI result is written with its weight delta (one file); any other latent as a plain file."""
    api = _api()
    if isinstance(res, api.PTIResult):
        from hub.images import output_folder

        return str(api.save_pti(output_folder() / f"{name}.safetensors", res, G=G, model=model))
    return write_latent(G, res, model, name)


def invert(ctx, model: str, image, method: str, with_noise: bool, into: str, space: str, steps: float,
           noise_steps: float, lr: float, noise_lr: float, mse: float, perceptual: float, latent_weight: float,
           noise_reg: float, init: str, seed: float, preview_every: float, continue_from: str | None = None,
           tuning_steps: float = 350, tuning_lr: float = TAB_TUNING_LR, progress=gr.Progress()):
    """Find the latent code that makes the generator draw this image, streaming the reconstruction.

    Args:
        model: name of a registered LatentGenerator (e.g. stylegan2-emoji64).
        image: the image to invert (any size; centre-cropped to a square).
        method: optimisation | encoder | hybrid (encoder then optimisation) | pti (Pivotal Tuning: optimise a pivot, then tune the generator's weights around it).
        with_noise: after the latent, also optimise the noise maps (Image2StyleGAN++; not used by pti).
        into: slot A, B or C that receives the latent file.
        space: latent space optimised: w+ (one code per layer), w (one code) or z.
        steps: latent optimisation steps (the pivot's steps for pti).
        noise_steps: noise optimisation steps (with with_noise).
        lr: Adam learning rate of the latent (Image2StyleGAN: 0.01).
        noise_lr: learning rate of the noise maps (Image2StyleGAN++: 5).
        mse: weight of the pixel MSE.
        perceptual: weight of the VGG-16 perceptual loss.
        latent_weight: weight of the L2 pull towards the starting latent.
        noise_reg: weight of the noise regulariser (StyleGAN2 autocorrelation).
        init: start of optimisation: w_avg (the mean face) or random (and of pti's pivot on a model without an encoder; with one, the pivot starts from the encoder's W+).
        seed: random seed.
        preview_every: show the reconstruction every this many steps.
        continue_from: optional latent file (.safetensors) to start from instead.
        tuning_steps: generator tuning steps of pti (paper: 350).
        tuning_lr: Adam learning rate of pti's generator tuning (paper: 3e-4 for 350 steps).
    """
    G = get_generator(ctx, model)
    if image is None:
        raise gr.Error("Upload an image to invert.")
    pti = method == "pti"
    start = load_slot(G, continue_from, "to continue from") if continue_from else None
    # pti's pivot starts, as hybrid does, from the encoder's guess where there is one and no latent to continue
    encoder = related_model(ctx, model, "encoder") if method in ("encoder", "hybrid") or pti and start is None else None
    if method in ("encoder", "hybrid") and encoder is None and start is None:
        raise gr.Error(f"{model} has no encoder available; use the optimisation or pti method.")
    if pti and encoder is not None:
        init = "encoder"  # a pivot near the image in fewer steps (the new user's path in docs/)
    try:
        run = _api().invert_stream(
            G, image, method=method, encoder=encoder, init_latent=start, space=space, steps=int(steps),
            noise_steps=int(noise_steps) if with_noise and not pti else 0, tuning_steps=int(tuning_steps), lr=float(lr),
            noise_lr=float(noise_lr), mse=float(mse), perceptual=float(perceptual), latent=float(latent_weight),
            noise_reg=float(noise_reg), init=init, seed=int(seed or 0), yield_every=int(preview_every),
            tuning_lr=float(tuning_lr))
    except ValueError as exc:
        raise user_error(exc) from None
    from hub.images import to_pil

    total = max(1, run.config.total_steps)
    history: list[dict] = []
    keep = (gr.update(),) * 4
    try:
        for step, im, losses in run:
            history.append(dict(losses, step=step))
            stage = ("tuning the generator" if losses.get("stage") else "finding the pivot") if pti else "inverting"
            progress((step, total), desc=stage)
            yield (show(to_pil(im)), f"{stage}: step {step}/{total} · PSNR **{losses.get('psnr', 0):.2f} dB**",
                   loss_frame(history), *keep)
    except ValueError as exc:
        raise user_error(exc) from None
    finally:
        run.close()
    res = run.result
    if res is None:
        yield (gr.update(), "Stopped before any result.", *keep)
        return
    path = _write_result(G, res, model, f"latent_{into}")
    done = "done" if getattr(res, "completed", True) else "stopped"
    note = f"{done}: {len(res.history)} steps · PSNR **{res.psnr:.2f} dB** · stored in slot {into}"
    if pti and res.tuning_steps:
        note += (f" (pivot {res.pivot_psnr:.2f} dB, then {res.tuning_steps} tuning steps; the file carries the tuned "
                 "generator's weight delta, and every editing tab renders through it)")
    elif pti:
        note += " (the pivot only: stopped before the generator was tuned)"
    yield (show(to_pil(res.image)), note, loss_frame(res.history), path, *_slot_updates(into, path))


def random_sample(ctx, model: str, seed: float = 0, psi: float = 0.7, into: str = "A"):
    """Draw a random sample of the generator into a slot.

    Args:
        model: name of a registered LatentGenerator.
        seed: random seed of the sample.
        psi: truncation (1 = no truncation, smaller = closer to the mean face).
        into: slot A, B or C that receives the latent file.
    """
    G = get_generator(ctx, model)
    latent = _api().random_latent(G, int(seed or 0), float(psi))
    path = write_latent(G, latent, model, f"random_{int(seed or 0)}")
    return (_render(G, latent), f"random sample, seed {int(seed or 0)}, psi {psi}", path, *_slot_updates(into, path))


def clear_edits(n: int):
    """``n`` empty values: a new latent (an inversion, a sample, an upload) clears the edits made from
    the old one, so no result on screen belongs to a latent that is gone."""
    return (None,) * n


def first_view(ctx, model: str | None):
    """The tab's opening state: the bundled examples in slots A, B, C (encoded when the generator has an
    encoder: a fraction of a second; random samples otherwise), A's image and its reconstruction on screen."""
    from PIL import Image

    G = get_generator(ctx, model)
    encoder = related_model(ctx, model, "encoder")
    photos = [Image.open(EXAMPLES / name).convert("RGB") for name in FIRST_VIEW_EXAMPLES]
    paths, images = [], []
    for i, photo in enumerate(photos):
        if encoder is not None:
            latent = _api().invert(G, photo, method="encoder", encoder=encoder)
        else:
            latent = _api().random_latent(G, i, 0.7)
        paths.append(write_latent(G, latent, model, f"example_{SLOTS[i]}"))
        images.append(_render(G, latent))
    if encoder is not None:
        note = ("Slots A, B, C hold three held-out emoji as the encoder alone finds them (one pass, a rough "
                "likeness); A is shown. Press **Invert** (hybrid or pti) for a close one, or edit these.")
    else:
        note = "Slots A, B, C hold three random samples (this generator has no encoder); A is shown."
    return (photos[0] if encoder is not None else None, images[0], note, paths[0], *paths)

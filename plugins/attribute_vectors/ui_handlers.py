"""The Attribute vectors tab's handlers: module-level functions over ``plugins.attribute_vectors.api``.

Each public handler takes the tab's ``DemoContext`` first (bound with ``hub.ui.bind``), then the inputs by
name; its docstring's ``Args:`` block is what the API page and the MCP tool list show. Torch is
imported at the first event, never while the tab builds.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

import hub.ui as kit

MAX_SLIDERS = 24
FIRST_SEED = 3  # the example face the tab opens with
ROW_CAPTIONS = ["-3σ", "-2σ", "-1σ", "start", "+1σ", "+2σ", "+3σ"]
METHODS = {"SeFa (closed form, milliseconds)": "sefa", "GANSpace (PCA of sampled W, seconds)": "ganspace"}
#: What the sample, invert and latent-upload actions put in the edit outputs: the previous edit is
#: cleared, so it is never shown beside a start it was not made from.
CLEARED_EDIT = (None, "", None)


def _api():
    from plugins.attribute_vectors import api

    return api


def _wapi():
    from plugins.wplus_editing import api

    return api


# ------------------------------------------------------------------------------- directions and sliders


def labelled_directions(ctx, model: str | None) -> tuple[list[str], dict]:
    """(sorted direction names, metadata) of a model's shipped directions, read without torch."""
    from safetensors import safe_open

    from plugins.attribute_vectors.defaults import DIRECTIONS_FORMAT

    if not model:
        return [], {}
    try:
        weight_id = ctx.related_name(model, "directions")
        if not weight_id:
            return [], {}
        with safe_open(str(ctx.weight_path(weight_id)), "numpy") as f:
            meta = dict(f.metadata() or {})
            names = sorted(k[len("direction."):] for k in f.keys() if k.startswith("direction."))
    except Exception:  # a missing or tampered file: the tab offers label-free and own directions only
        return [], {}
    return (names, meta) if meta.get("format") == DIRECTIONS_FORMAT else ([], {})


def source_text(meta: dict) -> str:
    if not meta:
        return "_This model ships no labelled directions: find label-free ones, or define your own below._"
    return f"Labelled directions from {meta.get('latents', meta.get('source', '?'))}; each slider step is one σ."


def slider_updates(names: list[str]) -> list:
    return [gr.update(visible=True, label=names[i], value=0) if i < len(names) else gr.update(visible=False, value=0)
            for i in range(MAX_SLIDERS)]


def change_model(ctx, model: str):
    """New generator: its labelled directions as sliders, the kept label-free ones dropped."""
    names, meta = labelled_directions(ctx, model)
    return (source_text(meta), {}, *slider_updates(names))


def _all_directions(ctx, G, model: str, kept: dict) -> dict:
    """{name: sigma-scaled W+ direction}: the shipped labelled ones, then the kept label-free ones."""
    out = {}
    weight_id = ctx.related_name(model, "directions")
    if weight_id:
        try:
            dirs, meta = _api().load_directions(ctx.weight_path(weight_id))
            scaled = _api().sigma_directions(G, dirs, meta)[0]
            out.update({name: scaled[name] for name in sorted(scaled)})  # the sliders' order
        except (LookupError, ValueError, gr.Error):
            pass
    for name, spec in (kept or {}).items():
        out[name] = _api().labelfree_directions(G, spec["method"], spec["layers"]).wplus(int(spec["component"]))
    return out


# ------------------------------------------------------------------------------- the start latent


def _describe(ctx, G, model: str, latent) -> str:
    """The attribute classifier's reading of an image (if the model has one)."""
    clf = kit.related_model(ctx, model, "classifier")
    if clf is None:
        return ""
    import torch

    with torch.no_grad():
        names = clf.predict_names(_wapi().render(G, latent))[0]
    return " · ".join(f"{k}: **{v}**" for k, v in names.items())


def _start(ctx, G, model: str, latent, note: str) -> tuple:
    """Outputs of a new start latent: image, reading, the start file (as State and as the tab's
    session file), and the previous edit cleared."""
    path = kit.write_latent(G, latent, model, "start")
    return (kit.show(_wapi().render_pil(G, latent)), note + "  \n" + _describe(ctx, G, model, latent), path, path,
            *CLEARED_EDIT)


def _same_file(a, b) -> bool:
    import hashlib
    from pathlib import Path

    if not a or not b or not Path(a).is_file() or not Path(b).is_file():
        return False
    return hashlib.sha256(Path(a).read_bytes()).digest() == hashlib.sha256(Path(b).read_bytes()).digest()


def sample_face(ctx, model: str, seed: float = 0, psi: float = 0.7):
    """Draw a random face to edit.

    Args:
        model: name of a registered LatentGenerator.
        seed: whole-number seed of the sample.
        psi: truncation ψ, 0-1 (lower: closer to the average face).
    """
    G = kit.generator(ctx, model)
    seed = int(seed or 0)
    return _start(ctx, G, model, _api().random_face(G, seed, float(psi)), f"random sample {seed}")


def invert_photo(ctx, model: str, photo, steps: float = 400, progress=gr.Progress()):
    """Find the latent of an uploaded photo (encoder, then W+ optimisation), streaming its progress.

    Args:
        model: name of a registered LatentGenerator.
        photo: the image to edit (centre-cropped to a square).
        steps: W+ optimisation steps, 0-2000 (0 = the encoder alone, where the model has one).
    """
    from hub.images import to_pil

    G = kit.generator(ctx, model)
    kit.need(photo, "a photo")
    enc = kit.related_model(ctx, model, "encoder")
    method = "hybrid" if enc is not None else "optimisation"
    if int(steps) == 0:
        if enc is None:
            raise gr.Error(f"{model} has no encoder: use more than 0 steps.")
        method = "encoder"
    run = _wapi().invert_stream(G, photo, method=method, encoder=enc, steps=int(steps), noise_steps=0, yield_every=20)
    for step, im, losses in run:
        if progress is not None:
            progress((step, max(1, int(steps))), desc=method)
        status = f"{method}: step {step} · PSNR {losses.get('psnr', 0):.2f} dB"
        yield (kit.show(to_pil(im)), status, gr.update(), gr.update(), *CLEARED_EDIT)
    res = run.result
    yield _start(ctx, G, model, res, f"{method} inversion, PSNR {res.psnr:.2f} dB")


def load_latent_file(ctx, model: str, path, start_path):
    """Start from a latent file (uploaded, or put there by the session); a PTI file renders through its
    tuned generator. Nothing happens when it holds the current start already."""
    if not path or _same_file(path, start_path):
        return (gr.update(),) * 6
    G, latent = _open(ctx, model, path)
    note = "PTI latent (its tuned generator)" if latent["meta"].get("pti") == "1" else "latent file"
    return (kit.show(_wapi().render_pil(G, latent)), note + "  \n" + _describe(ctx, G, model, latent), path,
            *CLEARED_EDIT)


def _open(ctx, model: str, path):
    """(generator to render with, latent) of a latent file: a PTI file brings its tuned generator."""
    latent, G = kit.open_latent(kit.generator(ctx, model), path, "start")
    return G, latent


# ------------------------------------------------------------------------------- edits


def apply_sliders(ctx, model: str, start_path, layers: str = "all", rows: str = "", custom=None,
                  custom_alpha: float = 0, kept: dict | None = None, *alphas: float):
    """Move the start face along the directions whose sliders are not at 0 (in standard deviations).

    Args:
        model: name of a registered LatentGenerator.
        layers: W+ rows that move: all, coarse, middle or fine.
        rows: explicit W+ rows instead, e.g. "4-9" (empty: use layers).
        custom_alpha: strength of your own direction (from two image sets), in σ, -3 to 3.
        alphas: one strength per shown slider (labelled directions, then kept label-free ones), in σ, -3 to 3.
    """
    if not start_path:
        raise gr.Error("Sample a face or invert a photo first.")
    G, start = _open(ctx, model, start_path)
    dirs = _all_directions(ctx, G, model, kept or {})
    chosen = {n: float(a) for n, a in zip(list(dirs), alphas) if a}
    if custom is not None and custom_alpha:
        dirs["custom"] = _api().sigma_directions(G, {"custom": custom})[0]["custom"]
        chosen["custom"] = float(custom_alpha)
    lay = kit.parse_rows(rows, G) if (rows or "").strip() else layers
    try:
        out = _api().apply_directions(G, start, dirs, chosen, lay)
    except (ValueError, KeyError) as exc:
        raise kit.user_error(exc) from None
    note = ", ".join(f"{k} {v:+.1f}σ" for k, v in chosen.items()) or "no slider moved"
    before, after = _wapi().render_pil(G, start), _wapi().render_pil(G, out)
    return ((kit.show(before), kit.show(after)), note + "  \n" + _describe(ctx, G, model, out),
            kit.write_edit(G, out, model, "attribute_edit"))


def _labelfree(G, method: str, layers: str):
    try:
        return _api().labelfree_directions(G, METHODS.get(method, method), (layers or "all").strip().lower())
    except ValueError as exc:
        raise kit.user_error(exc) from None


def row_along(ctx, model: str, start_path, method: str = "SeFa (closed form, milliseconds)", layers: str = "all",
              component: float = 0):
    """Show the start face at -3σ … +3σ along one label-free direction.

    Args:
        model: name of a registered LatentGenerator.
        method: SeFa (eigenvectors of the style weights) or GANSpace (principal components of sampled W).
        layers: W+ rows the direction moves: all, coarse, middle, fine, or a range such as "0-3".
        component: which direction, 0-9 (0 changes the image most).
    """
    if not start_path:
        raise gr.Error("Sample a face or invert a photo first.")
    G, start = _open(ctx, model, start_path)
    d = _labelfree(G, method, layers)
    k = int(component)
    if not 0 <= k < len(d):
        raise gr.Error(f"Component {k} does not exist: choose 0-{len(d) - 1}.")
    images = _api().row_along(G, start, d.wplus(k))
    status = f"{d.names[k]} on rows {d.layers[0]}-{d.layers[-1]}: σ = {float(d.sigmas[k]):.3f}"
    return [(kit.show(im), cap) for im, cap in zip(images, ROW_CAPTIONS)], status


def keep_component(ctx, model: str, method: str, layers: str, component: float, name: str, kept: dict | None):
    """Keep a label-free direction as a named slider beside the labelled ones."""
    name = (name or "").strip()
    if not name:
        raise gr.Error("Name the direction first (what does it change?).")
    labelled = labelled_directions(ctx, model)[0]
    kept = dict(kept or {})
    if name in labelled or name == "custom":
        raise gr.Error(f"{name!r} is taken; choose another name.")
    _labelfree(kit.generator(ctx, model), method, layers)  # check the rows now, not at Apply
    kept[name] = {"method": METHODS.get(method, method), "layers": (layers or "all").strip().lower(),
                  "component": int(component)}
    names = labelled + list(kept)
    if len(names) > MAX_SLIDERS:
        raise gr.Error(f"At most {MAX_SLIDERS} sliders: this model already shows {len(names) - 1}.")
    return (kept, f"Kept **{name}** as a slider.", *slider_updates(names))


def use_edit(edit_path):
    """Make the edited latent the new start (then *Send* takes it to the other tabs)."""
    if not edit_path:
        raise gr.Error("Apply an edit first.")
    return edit_path


def first_row(ctx, model: str):
    """The tab's first view: the example face and SeFa component 0 along it."""
    start = sample_face(ctx, model, FIRST_SEED, 0.7)
    gallery, status = row_along(ctx, model, start[2])
    return (*start[:4], gallery, status)


def direction_from_sets(ctx, model: str, with_images, without_images, steps: float = 200):
    """Make your own direction: mean latent of the images WITH an attribute minus that of those WITHOUT it.

    Args:
        model: name of a registered LatentGenerator.
        with_images: images that have the attribute.
        without_images: images that lack it.
        steps: W+ optimisation steps per set, 0-1000 (0 = the encoder alone).
    """
    G = kit.generator(ctx, model)
    if not with_images or not without_images:
        raise gr.Error("Upload at least one image to each set.")
    enc = kit.related_model(ctx, model, "encoder")
    if int(steps) == 0 and enc is None:
        raise gr.Error(f"{model} has no encoder: use more than 0 steps.")
    files = [[getattr(f, "name", f) for f in group] for group in (with_images, without_images)]
    try:
        d = _api().direction_from_sets(G, files[0], files[1], encoder=enc, steps=int(steps))
    except ValueError as exc:
        raise kit.user_error(exc) from None
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.mkdtemp(prefix="ganhub-direction-"))
    n_with, n_without = len(files[0]), len(files[1])
    path = _api().save_directions(folder / "custom_direction.safetensors", {"custom": d}, model=model,
                                  source=f"direction_from_sets ({n_with} with, {n_without} without)",
                                  counts={"custom": [n_with, n_without]})
    return d, f"Direction from {n_with} vs {n_without} images: use the *custom* slider (in σ).", str(path)

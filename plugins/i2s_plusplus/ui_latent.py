"""The Image2StyleGAN++ and Inpainting tabs' latent file: where an edit starts, and what the tab shows.

The session row (``hub.ui.session_row``) puts a latent from another editing tab into the tab's latent file,
and every edit writes its result there (tagged with the tab's name), so it can be sent on.
"""

from __future__ import annotations

import gradio as gr

from hub.ui import generator, need, open_latent

#: Written into the latents this tab makes: its own result does not replace the pictures being edited.
TAB = "i2s_plusplus"


def _api():
    from plugins.i2s_plusplus import api

    return api


def editor_value(background, layer: str | None = None) -> dict:
    """A ``gr.ImageEditor`` value: ``background`` (path or PIL) with one painted layer (a path) or none."""
    return {"background": background, "layers": [layer] if layer else [], "composite": None}


def start_from(ctx, model: str, latent: str | None, image, what: str):
    """(generator, latent {"ws", "noise"} to start from or None, the image to edit). The latent is the start
    when ``image`` is empty (its image is edited) or is the latent's own image; an image uploaded since is
    embedded afresh. A PTI latent comes with its tuned generator (``hub.ui.open_latent``)."""
    G = generator(ctx, model)
    if not latent:
        return G, None, need(image, what)
    found, G = open_latent(G, latent, "")
    start = {"ws": found["ws"], "noise": found["noise"]}
    drawn = latent_image(G, start)
    if image is None:
        return G, start, drawn
    same = _api().image_tensor(G, image).sub(_api().image_tensor(G, drawn)).abs().mean() < 2 / 255
    return G, (start if bool(same) else None), image


def latent_image(G, start):
    """The image a latent draws (PIL)."""
    from hub.images import to_pil

    return to_pil(_api().render(G, start["ws"], start["noise"]))


def latent_to_inputs(ctx, model: str, latent: str | None, n_images: int, n_editors: int, tab: str = TAB) -> tuple:
    """The latent's image into the tab's image inputs and editors' backgrounds, when the latent came from
    elsewhere (the session row, an upload); a result of this tab (``tab`` in its metadata) or no latent
    leaves the pictures being edited as they are."""
    keep = tuple(gr.update() for _ in range(n_images + n_editors))
    if not latent:
        return keep
    G = generator(ctx, model)
    found, G = open_latent(G, latent, "")
    if found["meta"].get("tab") == tab:
        return keep
    drawn = latent_image(G, {"ws": found["ws"], "noise": found["noise"]})
    return (drawn,) * n_images + tuple(editor_value(drawn) for _ in range(n_editors))

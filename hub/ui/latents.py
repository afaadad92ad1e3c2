"""Latent files as the slots tabs hand each other: any latent downloaded from one tab loads in another."""

from __future__ import annotations

import gradio as gr

from hub.ui.inputs import user_error


def load_slot(G, path, what: str) -> dict:
    """The latent in file ``path`` for generator ``G`` ({"ws", "noise", "meta"}); a readable error otherwise."""
    from hub.nn.latents import LatentFileError, load_latent

    if not path:
        raise gr.Error(f"Latent {what} is empty: invert an image (or draw a random sample) into slot {what} first.")
    try:
        return load_latent(path, G)
    except (LatentFileError, ValueError) as exc:
        raise user_error(exc) from None


def write_latent(G, latent, model: str, name: str, **meta) -> str:
    """Save ``latent`` as ``<name>.safetensors`` in its own output folder (a clean download name)."""
    from hub.images import output_folder, safe_name
    from hub.nn.latents import save_latent_of

    return str(save_latent_of(output_folder() / f"{safe_name(name)}.safetensors", latent, G=G, model=model, **meta))

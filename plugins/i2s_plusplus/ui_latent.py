"""The Image2StyleGAN++ tab's latent file: the tab's name in the latents it writes, so that its own result
does not replace the pictures being edited (``hub.ui.latent_to_inputs``).

Where an edit starts and what the tab shows are the kit's (``hub.ui.session``): the Inpainting tab uses the
same, with its own name.
"""

from __future__ import annotations

from hub.ui import latent_to_inputs as session_latent_to_inputs

#: Written into the latents this tab makes: its own result does not replace the pictures being edited.
TAB = "i2s_plusplus"


def latent_to_inputs(ctx, model: str, latent: str | None, n_images: int, n_editors: int) -> tuple:
    """``hub.ui.latent_to_inputs`` for this tab: a latent from elsewhere shows in its pictures, its own
    results leave them as they are."""
    return session_latent_to_inputs(ctx, model, latent, n_images, n_editors, TAB)

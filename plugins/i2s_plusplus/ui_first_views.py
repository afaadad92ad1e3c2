"""What each Image2StyleGAN++ sub-tab shows when the page opens: its first example, run with a few steps
(seconds on a CPU; ``hub.ui.first_view`` caches it), as (the example's inputs, the result column)."""

from __future__ import annotations

from hub.ui import quiet_progress as _quiet

#: Steps per stage of a first view: enough to show what the action does, not its quality.
STEPS = 10
NOTE = f"*Example, run with {STEPS} steps per stage; press the button for the full run.* "


def _last(gen, has_latent: bool = True) -> tuple:
    """The final yield of a handler, without its latent file (a first view writes no latent)."""
    out = None
    for out in gen:
        pass
    out = tuple(out)
    out = out[:3] + out[4:] if has_latent else out
    return (out[0], NOTE + out[1], *out[2:])


def _rgb(name: str):
    from PIL import Image

    from plugins.i2s_plusplus.ui_handlers import example

    return Image.open(example(name)).convert("RGB")


def reconstruct(ctx, model: str) -> tuple:
    from plugins.i2s_plusplus import ui_handlers as h

    return (h.example("face_a.png"),
            *_last(h.reconstruct(ctx, model, _rgb("face_a.png"), 2 * STEPS, STEPS, progress=_quiet)))


def crossover(ctx, model: str) -> tuple:
    from plugins.i2s_plusplus import ui_handlers as h

    b = h.editor_value(h.example("face_d.png"), h.example("face_d_mouth_layer.png"))
    return (h.example("face_b.png"), b,
            *_last(h.crossover(ctx, model, _rgb("face_b.png"), b, STEPS, STEPS, progress=_quiet)))


def scribbles(ctx, model: str) -> tuple:
    from plugins.i2s_plusplus import ui_local_handlers as lh
    from plugins.i2s_plusplus.ui_handlers import editor_value, example

    photo = editor_value(example("face_b.png"), example("face_b_cheeks_layer.png"))
    return (photo, *_last(lh.scribbles(ctx, model, photo, "", STEPS, STEPS, STEPS, progress=_quiet)))


def local_style(ctx, model: str) -> tuple:
    from plugins.i2s_plusplus import ui_local_handlers as lh
    from plugins.i2s_plusplus.ui_handlers import editor_value, example

    first = editor_value(example("face_b.png"), example("face_d_forehead_layer.png"))
    return (first, example("face_d.png"),
            *_last(lh.local_style(ctx, model, first, _rgb("face_d.png"), embed_steps=STEPS, w_steps=STEPS,
                                  noise_steps=STEPS, progress=_quiet)))


def feature_transfer(ctx, model: str) -> tuple:
    from plugins.i2s_plusplus import ui_local_handlers as lh
    from plugins.i2s_plusplus.ui_handlers import editor_value, example

    second = editor_value(example("face_c.png"), example("face_c_mouth_layer.png"))
    return (example("face_b.png"), second,
            *_last(lh.feature_transfer(ctx, model, _rgb("face_b.png"), second, embed_steps=STEPS, progress=_quiet),
                   has_latent=False))

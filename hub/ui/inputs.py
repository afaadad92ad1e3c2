"""Reading a tab's inputs: required values, masks, row and index lists; errors as plain sentences."""

from __future__ import annotations

from typing import Any

import gradio as gr


def user_error(exc: Exception) -> gr.Error:
    """The first line of an exception, as the sentence the user sees."""
    return gr.Error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)


def need(value, what: str):
    if value is None:
        raise gr.Error(f"Upload {what} first.")
    return value


def generator(ctx, name: str | None):
    """The chosen generator, loaded; a readable error when none is chosen or it cannot be had."""
    if not name:
        raise gr.Error("Choose a generator first (no LatentGenerator is registered).")
    return ctx.get_model(name)


def related_model(ctx, model: str, role: str):
    """The companion model (encoder, discriminator, classifier) of ``model``, or None."""
    try:
        return ctx.related_model(model, role)
    except Exception:  # an unknown model or a missing/tampered companion weight: the tab goes on without it
        return None


def editor_mask(value: Any, what: str):
    """(background PIL RGB, mask [H,W]) of an editor value, with a plain sentence when empty."""
    from hub.images import mask_from_editor

    if value is None or (isinstance(value, dict) and value.get("background") is None):
        raise gr.Error(f"Upload {what} into the editor first.")
    bg, mask = mask_from_editor(value, what=what)
    if float(mask.max()) <= 0:
        raise gr.Error(f"Paint the region on {what} with the brush first.")
    return bg, mask


def _ranges(text: str, what: str, groups: dict[str, Any] | None = None) -> set[int]:
    out: set[int] = set()
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if groups and part in groups:
            out.update(groups[part])
            continue
        try:
            if "-" in part:
                a, b = (int(v) for v in part.split("-", 1))
                out.update(range(a, b + 1))
            else:
                out.add(int(part))
        except ValueError:
            hint = ", or coarse / middle / fine" if groups else ""
            raise gr.Error(f"{what} {text!r}: write numbers like '2,3' or '0-4'{hint}.") from None
    return out


def parse_indices(text: str, upper: int, what: str) -> tuple[int, ...] | None:
    """"" -> None; "2,3" / "0-4, 8-9" -> sorted ints, each checked against ``upper``."""
    text = (text or "").strip()
    if not text:
        return None
    out = _ranges(text, what)
    bad = sorted(r for r in out if not 0 <= r < upper)
    if bad:
        raise gr.Error(f"{what} {bad} do not exist: valid values are 0-{upper - 1}.")
    return tuple(sorted(out))


def parse_rows(text: str, G) -> tuple[int, ...] | None:
    """W+ rows: "" or "all" -> None (all rows); "coarse|middle|fine" -> that group; "2,3" / "0-4, 8-9"."""
    from hub.nn.inversion import layer_groups

    text = (text or "").strip().lower()
    if not text or text == "all":
        return None
    rows = _ranges(text, "Rows", layer_groups(G))
    bad = sorted(r for r in rows if not 0 <= r < G.num_ws)
    if bad:
        raise gr.Error(f"Rows {bad} do not exist: this model has W+ rows 0-{G.num_ws - 1}.")
    return tuple(sorted(rows))

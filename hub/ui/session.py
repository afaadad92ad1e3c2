"""One editing session across the tabs: a latent made in one tab is one click away in every other.

Every editing tab (W+ editing, Attribute vectors, Image2StyleGAN++, Inpainting, Drag) keeps its
latents as files (``hub.ui.write_latent``), so a file downloaded from one tab uploads into any other.
The session adds the one-click path and an undo: the app holds ONE ``gr.State`` per browser session
(``session_state()``), a short history of latent files, newest last. A tab shows it with

    from hub.ui import session_row
    session_row(model_dropdown, latent_file)          # under the tab's latent gr.File

which renders "Send to the other editing tabs" (push the tab's latent), "Use the session's latent"
(put the current one into the tab's file) and "Undo" (drop the newest), plus one status line.
Whenever the session changes, every tab's latent file and generator dropdown follow it, so a send
reaches every tab at once and an undo takes every tab back. These events are private (never API
endpoints or MCP tools).

A latent from Pivotal Tuning Inversion carries its generator's weight delta in the same file
(``hub.nn.pti.save_pti``). ``open_latent(G, path)`` is the one place a tab reads a latent file for
rendering: it returns the latent and the generator to render it with, the tuned one when the file
carries a delta (tuned copies are cached, so a slider does not copy the network per move).
``write_edit(G, latent, model, name)`` writes an edited latent; when ``G`` came from a PTI file the
delta goes along, so an edit of a tuned image stays tuned in the next tab.

A tab that edits pictures (rather than latents) meets the session in two places: ``start_from(ctx,
model, latent, image, what)`` says whether an edit starts from the tab's latent (only when the picture
is that latent's own image: a picture uploaded since is embedded afresh), and ``latent_to_inputs``
puts a latent's image into the tab's pictures when the latent came from elsewhere (a result of the
tab itself, tagged ``tab=`` in its metadata, leaves the pictures being edited alone).

The history itself is plain data (``new_session``, ``push``, ``current``, ``undo`` on a dict), tested
without a browser. ``HISTORY`` entries are kept; the files live in result folders, which are swept
after ``GANHUB_OUTPUT_MINUTES`` (an hour by default), so an entry whose file is gone is dropped.
"""

from __future__ import annotations

import shutil
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import gradio as gr

from hub.ui.inputs import generator, need

__all__ = ["HISTORY", "new_session", "push", "current", "undo", "describe", "session_state", "session_row",
           "open_latent", "write_edit", "editor_value", "latent_image", "start_from", "latent_to_inputs"]

#: How many latents the session remembers (Undo goes back this far).
HISTORY = 10
_STATE_ATTR = "_ganhub_session_state"
_PTI_SOURCE_ATTR = "_ganhub_pti_source"


# ------------------------------------------------------------------------------ the history (plain data)


def new_session() -> dict:
    """An empty session: ``{"history": [entry, ...]}``, newest last."""
    return {"history": []}


def _history(session: dict | None) -> list[dict]:
    return [e for e in (session or {}).get("history", []) if Path(e["path"]).exists()]


def push(session: dict | None, path: str, model: str, source: str, limit: int = HISTORY) -> dict:
    """A new session with ``path`` (a latent file) as the current latent; the oldest beyond ``limit``
    are forgotten. ``model``: the generator it was made for; ``source``: the tab it came from.
    The input session is not modified (Gradio compares old and new values)."""
    entry = {"path": str(path), "model": model or "", "source": source, "pti": _has_delta(path)}
    return {"history": (_history(session) + [entry])[-max(1, int(limit)):]}


def current(session: dict | None) -> dict | None:
    """The newest entry whose file still exists ({"path", "model", "source", "pti"}), or None."""
    hist = _history(session)
    return hist[-1] if hist else None


def undo(session: dict | None) -> dict:
    """A new session without its newest entry (an empty one stays empty)."""
    return {"history": _history(session)[:-1]}


def describe(session: dict | None) -> str:
    """One status line: how many latents the session holds and where the current one came from."""
    hist = _history(session)
    if not hist:
        return "Session: empty. *Send* a latent from any editing tab to use it in the others."
    e = hist[-1]
    tuned = " (PTI: renders through its tuned generator)" if e["pti"] else ""
    return (f"Session: {len(hist)} latent{'s' if len(hist) > 1 else ''}; current **{Path(e['path']).name}** "
            f"from {e['source']}, for {e['model'] or 'any generator'}{tuned}.")


def _has_delta(path: str) -> bool:
    try:
        from safetensors import safe_open

        with safe_open(str(path), "pt") as f:
            return (f.metadata() or {}).get("pti") == "1"
    except Exception:  # not a latent file: push() keeps it, and loading it will say what is wrong
        return False


# ------------------------------------------------------------------------------ Gradio wiring


def session_state() -> gr.State:
    """The app's one session ``gr.State`` (created on the first call while the app is built, and
    stored on the root Blocks, so that every tab shares it; each browser session has its own value)."""
    root = gr.context.Context.root_block
    if root is None:
        raise RuntimeError("session_state() must be called while a tab is being built inside gr.Blocks")
    state = getattr(root, _STATE_ATTR, None)
    if state is None:
        state = gr.State(new_session())
        setattr(root, _STATE_ATTR, state)
    return state


def _own_copy(path: str) -> str:
    """The session keeps its own copy: the tab's file may be replaced or swept by Gradio."""
    from hub.images import output_folder, safe_name

    dst = output_folder() / f"{safe_name(Path(path).stem, 'latent')}.safetensors"
    shutil.copyfile(path, dst)
    return str(dst)


def session_row(model: gr.Dropdown, latent: gr.File, label: str = "") -> gr.Markdown:
    """The session's buttons and status line for one tab, wired to ``latent`` (a ``gr.File`` holding a
    latent .safetensors path) and ``model`` (the tab's generator dropdown). ``label``: how the tab is
    named in the status line (default: the dropdown's tab title is unknown here, so "a tab")."""
    state = session_state()
    source = label or "an editing tab"
    names = {c[1] if isinstance(c, (tuple, list)) else c for c in (model.choices or [])}
    with gr.Row(variant="compact"):
        send = gr.Button("Send to the other editing tabs", size="sm")
        use = gr.Button("Use the session's latent", size="sm")
        back = gr.Button("Undo", size="sm")
    status = gr.Markdown(describe(None))

    def on_send(session, path, model_name):
        if not path:
            raise gr.Error("There is no latent here to send yet: invert an image or load a latent file first.")
        return push(session, _own_copy(path), model_name, source)

    def follow(session):
        entry = current(session)
        if entry is None:
            return gr.update(), gr.update(), describe(session)
        pick = gr.update(value=entry["model"]) if entry["model"] in names else gr.update()
        return entry["path"], pick, describe(session)

    def on_use(session):
        if current(session) is None:
            raise gr.Error("The session is empty: press *Send to the other editing tabs* in a tab that has a latent.")
        return follow(session)

    private = dict(api_visibility="private", show_progress="hidden")
    send.click(on_send, [state, latent, model], state, **private)
    back.click(undo, state, state, **private)
    use.click(on_use, state, [latent, model, status], **private)
    state.change(follow, state, [latent, model, status], **private)
    return status


# ------------------------------------------------------------------------------ PTI: latent + tuned generator

_TUNED: OrderedDict[tuple, Any] = OrderedDict()
_TUNED_LOCK = threading.Lock()
_TUNED_KEEP = 4


def open_latent(G: Any, path: str | None, what: str = "") -> tuple[dict, Any]:
    """(latent {"ws", "noise", "meta"}, generator to render it with) for the latent file ``path``:
    ``G`` itself, or for a PTI file ``G`` with the file's weight delta applied (refused, with a
    sentence, when the delta was tuned from another generator). Empty or unreadable files raise
    ``gr.Error`` like ``hub.ui.load_slot``."""
    from hub.ui.latents import load_slot

    latent = load_slot(G, path, what)
    if latent["meta"].get("pti") != "1":
        return latent, G
    p = Path(path)
    key = (str(p.resolve()), p.stat().st_mtime_ns, p.stat().st_size, id(G))
    with _TUNED_LOCK:
        if key in _TUNED:
            _TUNED.move_to_end(key)
            return latent, _TUNED[key]
    from hub.nn.latents import LatentFileError
    from hub.nn.pti import load_pti
    from hub.ui.inputs import user_error

    try:
        _, tuned = load_pti(p, G)
    except (LatentFileError, ValueError) as exc:
        raise user_error(exc) from None
    object.__setattr__(tuned, _PTI_SOURCE_ATTR, str(p))
    with _TUNED_LOCK:
        _TUNED[key] = tuned
        while len(_TUNED) > _TUNED_KEEP:
            _TUNED.popitem(last=False)
    return latent, tuned


def write_edit(G: Any, latent: Any, model: str, name: str, **meta: Any) -> str:
    """``hub.ui.write_latent``, plus the weight delta when ``G`` is a tuned generator from
    ``open_latent``: the edited latent still renders through the tuned weights in every tab."""
    from hub.ui.latents import write_latent

    path = write_latent(G, latent, model, name, **meta)
    source = getattr(G, _PTI_SOURCE_ATTR, None)
    if source and Path(source).exists():
        _carry_delta(source, path)
    return path


def _carry_delta(source: str, dest: str) -> None:
    """Copy the ``delta.*`` tensors and the PTI metadata of ``source`` into the latent file ``dest``."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from hub.nn.pti import DELTA_PREFIX

    with safe_open(source, "pt") as f:
        src_meta = dict(f.metadata() or {})
    with safe_open(dest, "pt") as f:
        meta = dict(f.metadata() or {})
    meta.update({k: v for k, v in src_meta.items() if k in ("pti", "pti_base", "pti_steps", "delta_dtype")})
    tensors = load_file(dest)
    tensors.update({k: v for k, v in load_file(source).items() if k.startswith(DELTA_PREFIX)})
    tmp = Path(dest).with_name(f".{Path(dest).name}.tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(dest)


# ------------------------------------------------------------------------------ a latent in a picture-editing tab


def editor_value(background: Any, layer: str | None = None) -> dict:
    """A ``gr.ImageEditor`` value: ``background`` (path or PIL) with one painted layer (a path) or none."""
    return {"background": background, "layers": [layer] if layer else [], "composite": None}


def latent_image(G: Any, latent: dict) -> Any:
    """The picture (PIL, true size) that ``latent`` ({"ws", "noise"}) draws through ``G``: one forward
    pass, never interrupted by a Stop (it shows the result a Stop kept)."""
    import torch

    from hub.images import to_pil
    from hub.nn.stop import suspended

    with torch.no_grad(), suspended():
        noise = latent.get("noise")
        out = G.synthesis(latent["ws"], noise=None if noise is None else list(noise))
    return to_pil((out[0] if isinstance(out, tuple) else out).clamp(-1, 1))


def _same_picture(G: Any, image: Any, drawn: Any) -> bool:
    """Whether ``image`` is ``drawn`` (a latent's image), up to resizing and 8-bit rounding: under one
    grey level apart on average at the generator's resolution."""
    from hub.images import to_tensor

    size = int(G.resolution)
    return bool((to_tensor(image, size=size) - to_tensor(drawn, size=size)).abs().mean() < 2 / 255)


def start_from(ctx: Any, model: str, latent: str | None, image: Any, what: str) -> tuple[Any, dict | None, Any]:
    """(generator, latent {"ws", "noise"} to start from or None, the picture to edit) of an edit. The latent
    is the start when ``image`` is empty (its picture is edited) or is the latent's own picture; a
    picture uploaded since is embedded afresh. A PTI latent comes with its tuned generator
    (``open_latent``). ``what`` names the picture in the error when both are empty."""
    G = generator(ctx, model)
    if not latent:
        return G, None, need(image, what)
    found, G = open_latent(G, latent, "")
    start = {"ws": found["ws"], "noise": found["noise"]}
    drawn = latent_image(G, start)
    if image is None:
        return G, start, drawn
    return G, (start if _same_picture(G, image, drawn) else None), image


def latent_to_inputs(ctx: Any, model: str, latent: str | None, n_images: int, n_editors: int, tab: str) -> tuple:
    """The latent's picture into a tab's ``n_images`` image inputs and ``n_editors`` editors' backgrounds,
    when the latent came from elsewhere (the session row, an upload); a result of the tab itself
    (``tab`` in its metadata, as ``write_edit(..., tab=tab)`` writes it) or no latent leaves the
    pictures being edited as they are."""
    keep = tuple(gr.update() for _ in range(n_images + n_editors))
    if not latent:
        return keep
    found, G = open_latent(generator(ctx, model), latent, "")
    if found["meta"].get("tab") == tab:
        return keep
    drawn = latent_image(G, {"ws": found["ws"], "noise": found["noise"]})
    return (drawn,) * n_images + tuple(editor_value(drawn) for _ in range(n_editors))

"""Server-side checks of every public input, before Gradio's own preprocessing.

``gradio_client`` skips the browser, so a slider's range and step, a number's precision, a text box's
length and an image picker's file type are enforced by nobody but the server. ``guard_inputs(blocks)``
(the app shell calls it on the whole app, so every plugin's tab gets it without writing it) wraps the
``preprocess`` of each component that feeds a public event with a check of the raw value the client
sent. A value that fails is refused with a ``gr.Error`` sentence naming the input and the rule;
anything Gradio's own preprocessing then raises becomes a sentence too, never a traceback.

Checked per kind: sliders (a finite number in [minimum, maximum], whole where the step is whole),
numbers (finite, in their bounds, whole at precision 0, and within ``MAX_MAGNITUDE``), checkboxes (a
boolean), text (a string of at most ``max_length`` or ``GANHUB_MAX_TEXT`` characters, no control
characters), and images of ``gr.Image``, ``gr.ImageEditor`` and ``gr.Sketchpad`` (decoded through
``hub.images`` with its pixel and decompression-bomb limits). Choices are checked by Gradio itself
against the choices the session holds. Before any of that, the shape of each value is checked against
what its component's data model takes (``guard_requests``): a single file sent to a multiple-file input,
a list to a single-file one, or more than ``MAX_FILES`` files, is refused with a sentence, since Gradio
would otherwise fail inside its own model validation, before any component's ``preprocess`` runs.
What is in a file is checked by the handler that reads it.
"""

from __future__ import annotations

import math
import os
import re
from typing import Any, Callable, Iterable

import gradio as gr

from hub.ui.streaming import quiet

__all__ = ["guard_inputs", "guard_requests", "checker_for", "MAX_MAGNITUDE", "MAX_FILES",
           "max_text"]

#: The largest magnitude an unbounded number may have (seeds, counts); past it the request is refused.
MAX_MAGNITUDE = 1e15
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_GUARDED = "_ganhub_guarded"
#: The most files one multiple-file input may receive in a request.
MAX_FILES = 64


def max_text() -> int:
    """The longest text accepted where a text box sets no ``max_length``: ``GANHUB_MAX_TEXT`` (10 000)."""
    try:
        return max(1, int(os.environ.get("GANHUB_MAX_TEXT", "10000")))
    except ValueError:
        return 10_000


def _label(block: Any) -> str:
    label = getattr(block, "label", None)
    return str(label) if label else type(block).__name__


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise gr.Error(f"{what} must be a number, not {type(value).__name__} {str(value)[:40]!r}.")
    if not math.isfinite(value):
        raise gr.Error(f"{what} must be a finite number, not {value}.")
    return float(value)


def _whole(value: float, what: str) -> None:
    if not float(value).is_integer():
        raise gr.Error(f"{what} must be a whole number, not {value}.")


def _slider(block: Any) -> Callable[[Any], None]:
    low, high, step = block.minimum, block.maximum, block.step
    whole = step is not None and float(step).is_integer() and float(low).is_integer()

    def check(value: Any) -> None:
        what = _label(block)
        number = _number(value, what)
        if not low <= number <= high:
            raise gr.Error(f"{what} must be between {low:g} and {high:g}, not {number:g}.")
        if whole:
            _whole(number, what)

    return check


def _number_box(block: Any) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value is None:
            return  # an empty box: the handler says whether it is optional
        what = _label(block)
        number = _number(value, what)
        low, high = block.minimum, block.maximum
        if low is not None and number < low or high is not None and number > high:
            bounds = f"at least {low:g}" if high is None else f"at most {high:g}" if low is None else \
                f"between {low:g} and {high:g}"
            raise gr.Error(f"{what} must be {bounds}, not {number:g}.")
        if abs(number) > MAX_MAGNITUDE:
            raise gr.Error(f"{what} is too large ({number:g}); use a number below {MAX_MAGNITUDE:g}.")
        if block.precision == 0:
            _whole(number, what)

    return check


def _checkbox(block: Any) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if not isinstance(value, bool):
            raise gr.Error(f"{_label(block)} must be true or false, not {str(value)[:40]!r}.")

    return check


def _textbox(block: Any) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        if value is None:
            return
        what = _label(block)
        if not isinstance(value, str):
            raise gr.Error(f"{what} must be text, not {type(value).__name__}.")
        limit = getattr(block, "max_length", None) or max_text()
        if len(value) > limit:
            raise gr.Error(f"{what} is {len(value):,} characters long; at most {limit:,} are accepted.")
        if _CONTROL.search(value):
            raise gr.Error(f"{what} contains control characters; send plain text.")

    return check


def _paths(payload: Any) -> Iterable[str]:
    """The local file paths inside an image or editor payload (dicts or Gradio's data models)."""
    if payload is None:
        return
    if isinstance(payload, (list, tuple)):
        for item in payload:
            yield from _paths(item)
        return
    get = payload.get if isinstance(payload, dict) else (lambda key, default=None: getattr(payload, key, default))
    path = get("path")
    if isinstance(path, str) and path:
        yield path
    for key in ("background", "composite", "layers"):
        inner = get(key)
        if inner is not None:
            yield from _paths(inner)


def _image(block: Any) -> Callable[[Any], None]:
    def check(payload: Any) -> None:
        from hub.images import check_image_file

        for path in _paths(payload):
            check_image_file(path, what=_label(block).lower())

    return check


def checker_for(block: Any) -> Callable[[Any], None] | None:
    """The check of one component's raw value, or None for kinds checked elsewhere."""
    kinds: list[tuple[type, Callable[[Any], Callable[[Any], None]]]] = [
        (gr.Slider, _slider), (gr.Number, _number_box), (gr.Checkbox, _checkbox), (gr.Textbox, _textbox),
        (gr.Image, _image), (gr.ImageEditor, _image),
    ]
    for kind, make in kinds:
        if isinstance(block, kind):
            return make(block)
    return None


def _guard(block: Any) -> bool:
    if getattr(block, _GUARDED, False):
        return False
    check = checker_for(block)
    original = block.preprocess

    def preprocess(payload: Any) -> Any:
        try:
            return _checked(payload)
        except gr.Error as exc:
            raise quiet(exc, f"input {_label(block)!r}") from None

    def _checked(payload: Any) -> Any:
        if check is not None:
            try:
                check(payload)
            except gr.Error:
                raise
            except Exception as exc:  # hub.images' own refusals are sentences already
                raise gr.Error(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        try:
            return original(payload)
        except gr.Error:
            raise
        except Exception as exc:
            raise gr.Error(f"{_label(block)}: the value sent could not be read "
                           f"({type(exc).__name__}: {str(exc).splitlines()[0][:120] if str(exc) else 'no detail'}).") from None

    block.preprocess = preprocess
    setattr(block, _GUARDED, True)
    return True


def _file_shape(block: Any, value: Any) -> None:
    """A file input gets what its ``file_count`` says: one file, or a list of at most ``MAX_FILES``."""
    if value is None or not isinstance(block, gr.File):
        return
    what = _label(block)
    many = getattr(block, "file_count", "single") in ("multiple", "directory")
    is_list = isinstance(value, (list, tuple))
    if many and not is_list:
        raise gr.Error(f"{what} takes a list of files, not a single one.")
    if not many and is_list:
        raise gr.Error(f"{what} takes one file, not a list.")
    if many and len(value) > MAX_FILES:
        raise gr.Error(f"{what} takes at most {MAX_FILES} files, not {len(value)}.")


def _model_shape(block: Any, value: Any) -> None:
    """The raw value fits the component's data model (what Gradio validates before ``preprocess``)."""
    model = getattr(block, "data_model", None)
    if value is None or model is None:
        return
    from pydantic import ValidationError

    try:
        model.model_validate(value, context={"validate_meta": True})
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {}
        raise gr.Error(f"{_label(block)}: the value sent is not what this input takes "
                       f"({first.get('msg', 'unreadable')}).") from None


def guard_requests(blocks: gr.Blocks) -> bool:
    """Before Gradio preprocesses a public event's inputs, for each one: guard the per-session copy
    Gradio reads instead of the component after an event sent it ``gr.update(...)`` (a new instance
    built from its constructor arguments, which ``guard_inputs`` never saw; it gets the same checks,
    against its own possibly updated range), then check the raw value's shape against that component
    (``_file_shape``, ``_model_shape``), which Gradio's own model validation would otherwise refuse
    with no sentence. Returns False if already installed."""
    original = blocks.preprocess_data
    if getattr(original, _GUARDED, False):
        return False

    async def preprocess_data(block_fn: Any, inputs: list[Any], state: Any, explicit_call: bool = False) -> Any:
        if block_fn.fn is not None and block_fn.api_visibility != "private":
            props = getattr(block_fn, "component_prop_inputs", ()) or ()
            for i, (block, value) in enumerate(zip(block_fn.inputs, inputs)):
                if getattr(block, "stateful", False) or i in props:
                    continue
                current = state[block._id] if state is not None and block._id in state else block
                if current is not block and isinstance(current, gr.components.Component):
                    _guard(current)
                try:
                    _file_shape(current, value)
                    _model_shape(current, value)
                except gr.Error as exc:
                    raise quiet(exc, f"input {_label(current)!r}") from None
        return await original(block_fn, inputs, state, explicit_call)

    setattr(preprocess_data, _GUARDED, True)
    blocks.preprocess_data = preprocess_data  # type: ignore[method-assign]
    return True


def guard_inputs(blocks: gr.Blocks) -> int:
    """Guard every input component of every public event of ``blocks``; returns how many were wrapped."""
    guarded = 0
    for fn in blocks.fns.values():
        if fn.fn is None or fn.api_visibility == "private":
            continue
        for block in fn.inputs:
            guarded += _guard(block)
    guard_requests(blocks)
    return guarded

"""The tab kit: what every technique tab builds with, so that a tab is layout and wiring only.

* ``hub.ui.components``: the generator dropdown, nearest-neighbour display of small images, PNG
  output, the mask editor (``brush_px=FINE_BRUSH_PX`` for 64 px pictures), step sliders with a Fast /
  Paper preset, the loss plot's frame, the plain-words intro with its "About" accordion, a
  before/after slider that shows the whole picture, ``bind(ctx, fn)`` (a handler with the tab's
  context, its name and docstring kept for the API page);
* ``hub.ui.first_view``: a tab opens with its example rendered (computed once, cached; a late one
  leaves what the user already put in); ``quiet_progress`` for running a handler there;
* ``hub.ui.inputs``: plain-sentence errors, required inputs, the mask of an editor value, the W+ row
  parser ("coarse", "0-4, 8") and index lists;
* ``hub.ui.latents``: latent files as slots (load with a readable error, write for download);
* ``hub.ui.session``: one editing session across the tabs (send a latent to every editing tab, undo;
  ``open_latent`` renders a PTI latent through its tuned generator, ``write_edit`` keeps its delta);
  for tabs that edit pictures, ``start_from`` (an edit starts from the tab's latent when it edits
  that latent's picture), ``latent_to_inputs`` (a latent from elsewhere shows in the pictures),
  ``latent_image`` and ``editor_value``;
* ``hub.ui.streaming``: drive a streaming run (``hub.nn.inversion.StreamingRun``) with progress, and a
  Stop that stops. Wire a tab's Stop button with ``stop_button(stop, event, ...)`` (not
  ``stop.click(None, None, None, cancels=[event])``): the job ends at its next module call (the
  app shell runs every handler in a stop scope, ``hub.nn.stop``), its queue slot is free within a
  fraction of a second, and ``stream(...)`` hands ``finish`` the partial result (an inversion's
  latent at the step reached). A loop that calls no torch module calls ``hub.nn.stop.check_stop()``
  at each step. ``with_before(before, stream(...))`` pairs each preview with the picture before, for
  the before/after slider; ``finished(result, note)`` is the status line (done, or stopped and kept).

Importing it imports gradio but not torch: tabs build at start-up, torch loads at the first event.
"""

from hub.ui.components import (FAST, FINE_BRUSH_PX, PAPER, PREVIEW_SIZE, before_after, bind, intro, loss_frame,
                               mask_editor, model_dropdown, png, show, step_preset, steps_slider)
from hub.ui.first_view import first_view, quiet_progress
from hub.ui.inputs import editor_mask, generator, need, parse_indices, parse_rows, related_model, user_error
from hub.ui.latents import load_slot, write_latent
from hub.ui.session import (editor_value, latent_image, latent_to_inputs, open_latent, session_row, session_state,
                            start_from, write_edit)
from hub.ui.streaming import finished, stop_button, stream, with_before

__all__ = [
    "FAST", "FINE_BRUSH_PX", "PAPER", "PREVIEW_SIZE", "before_after", "bind", "first_view", "intro", "loss_frame",
    "mask_editor", "model_dropdown", "png", "show", "step_preset", "steps_slider", "quiet_progress",
    "editor_mask", "generator", "need", "parse_indices", "parse_rows", "related_model", "user_error",
    "load_slot", "write_latent", "stream", "stop_button", "finished", "with_before",
    "open_latent", "session_row", "session_state", "write_edit",
    "editor_value", "latent_image", "start_from", "latent_to_inputs",
]

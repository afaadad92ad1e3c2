"""Drag editing (DragGAN, Pan et al. 2023) for every registered ``LatentGenerator``: the "Drag" tab.

The technique lives in ``hub.nn.drag`` (usable without Gradio); ``plugins.drag_editing.api`` adds the
image/latent plumbing and ``plugins.drag_editing.ui`` the tab. Registration: ``plugin.py``.
"""

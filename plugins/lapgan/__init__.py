"""LAPGAN (Denton et al. 2015): coarse-to-fine generation on a Laplacian pyramid, at 64 px on emoji.

A cascade of GANs, one per pyramid level: an unconditional (optionally class-conditional) GAN makes the
8x8 image Ĩ_3, and at 16, 32 and 64 px a conditional generator adds the band-pass residual
h_k = G_k(z_k, u(Ĩ_{k+1})) to the upsampled coarser image, Ĩ_k = u(Ĩ_{k+1}) + h_k.

``plugin.py`` registers the weight, the ``lapgan-emoji64`` model, the "LAPGAN" tab and the ``lapgan``
trainer; ``api.py`` is the Python API (``sample``, ``refine``, ``pyramid``, ``variations``); ``models.py``
the networks and the pyramid; ``train.py`` the trainer; ``evaluate.py`` the quality bars; ``ui.py`` the tab.
Importing this package loads neither torch nor gradio.
"""

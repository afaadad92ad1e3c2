"""Image-to-image translation: Pix2Pix (paired; Isola et al. 2017) and CycleGAN (unpaired; Zhu et al. 2017).

* ``models``: U-Net and ResNet generators in the official PyTorch layout, the PatchGAN, the image pool.
* ``sketch``: line maps (``edges``, ``sketch_lines``, the training augmentation, script-drawn sketches).
* ``api``: ``translate``, ``samples``, ``edges``, ``cycle``, usable without Gradio.
* ``train_pix2pix`` / ``train_cyclegan``: the trainers (``ganhub train pix2pix|cyclegan``).
* ``evaluate``: the held-out quality figures and baselines; ``export``: weights, cards and grids.
* ``convert``: the official ``latest_net_G.pth`` layouts -> ours (``ganhub weights convert``).

Registration lives in ``plugins.image_translation.plugin`` (the entry point). Importing this package
loads nothing heavy.
"""

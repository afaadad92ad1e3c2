"""GAN-prior inpainting: complete a masked image with a StyleGAN-like generator.

Registration (hookimpls only) lives in ``plugins.inpainting.plugin``; the technique in ``api.py``."""

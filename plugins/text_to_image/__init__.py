"""Text to image: GAN-INT-CLS (Reed et al. 2016) on emoji captions.

Registration (hookimpls only) lives in ``plugins.text_to_image.plugin``; the technique in ``api.py``."""

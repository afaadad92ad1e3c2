"""Attribute vectors: latent directions as sliders.

Registration (hookimpls only) lives in ``plugins.attribute_vectors.plugin``; the technique in ``api.py``."""

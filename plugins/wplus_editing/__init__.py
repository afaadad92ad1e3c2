"""W+ editing: inversion into a StyleGAN-like generator and latent editing.

Registration (hookimpls only) lives in ``plugins.wplus_editing.plugin``; the technique in ``api.py``."""

"""Super-resolution: SRResNet, SRGAN and the public ESRGAN-family weights.

Registration (hookimpls only) lives in ``plugins.srgan.plugin``; the technique in ``api.py``."""

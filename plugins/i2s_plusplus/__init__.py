"""Image2StyleGAN++: masked W+ and noise optimisation for crossover, scribbles and local edits.

Registration (hookimpls only) lives in ``plugins.i2s_plusplus.plugin``; the technique in ``api.py``."""

"""Style transfer: AdaIN, fast feed-forward style transfer (Johnson et al. 2016), Gatys and texture synthesis.

Registration (hookimpls only) lives in ``plugins.style_transfer.plugin``; the techniques in ``adain.py``,
``fast.py``, ``gatys.py`` and ``texture.py``."""

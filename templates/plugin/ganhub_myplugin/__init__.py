"""GAN Hub plugin ``myplugin``. Its registration (hookimpls only) is ``ganhub_myplugin.plugin``."""

__version__ = "0.1.0"

"""Choices of the W+ editing technique, light to import (the tab and the API both read them)."""

#: The three ways back to the latent (optimisation, a trained encoder, or the encoder then optimisation),
#: and where optimisation starts (``api.inversion_config``).
METHODS = ("optimisation", "encoder", "hybrid")
INIT_CHOICES = ("w_avg", "random")

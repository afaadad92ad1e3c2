"""Choices of the W+ editing technique, light to import (the tab and the API both read them)."""

#: The four ways back to the latent (optimisation, a trained encoder, the encoder then optimisation, and
#: Pivotal Tuning Inversion: optimisation to a pivot, then the generator's weights tuned around it), and
#: where optimisation starts (``api.inversion_config``).
METHODS = ("optimisation", "encoder", "hybrid", "pti")
INIT_CHOICES = ("w_avg", "random")

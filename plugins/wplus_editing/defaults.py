"""Choices of the W+ editing technique, light to import (the tab and the API both read them)."""

#: The four ways back to the latent (optimisation, a trained encoder, the encoder then optimisation, and
#: Pivotal Tuning Inversion: optimisation to a pivot, then the generator's weights tuned around it), and
#: where optimisation starts (``api.inversion_config``).
METHODS = ("optimisation", "encoder", "hybrid", "pti")
INIT_CHOICES = ("w_avg", "random")
#: The tab's PTI tuning lr. The paper's 3e-4 is meant for its 350 tuning steps; at the tab's fast step
#: counts 2e-3 reconstructs and edits better (``docs/editing_results.md``, the new user's path). The
#: API keeps the paper's value as its default.
TAB_TUNING_LR = 2e-3

"""Constants of the attribute-vectors technique, light to import (the tab reads them without torch)."""

#: The ``format`` metadata of a directions safetensors file.
DIRECTIONS_FORMAT = "ganhub-directions"

#: Sliders span +- this many standard deviations of the training codes' projection on a direction
#: (as ``hub.nn.directions.SLIDER_SIGMAS``).
SLIDER_SIGMAS = 3.0

"""Constants of the attribute-vectors technique, light to import (the tab reads them without torch)."""

#: The ``format`` metadata of a directions safetensors file.
DIRECTIONS_FORMAT = "ganhub-directions"

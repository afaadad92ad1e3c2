"""Constants of the text-to-image technique, light to import (registration, tab and API read them)."""

MODEL_NAME = "text-to-image-emoji64"
MAX_PROMPT_CHARS = 300  # a caption, not an essay: longer prompts get a plain error

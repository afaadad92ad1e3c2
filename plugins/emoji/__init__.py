"""The emoji data of GAN Hub: the dataset builder (faces and people rendered from Noto Color Emoji,
labelled from their Unicode names; ``plugins.emoji.dataset``) and the attribute classifier that judges
every emoji generator's samples and edits (``plugins.emoji.classifier``, trained by
``plugins.emoji.train_classifier``). Registration lives in ``plugins.emoji.plugin``."""

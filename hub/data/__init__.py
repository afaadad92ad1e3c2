"""Dataset builders. Each builds offline, reproducibly, into a cache folder outside the repo.

``hub.data.emoji``: faces and people rendered from Debian's Noto Color Emoji font, labelled from
their Unicode names (see docs/data.md).
"""

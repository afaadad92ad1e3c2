"""Constants and the learning-rate schedule the image-translation registration, tab, trainers and export
share, light to import."""

INTERFACE_PIX2PIX = "PairedTranslator"
INTERFACE_CYCLEGAN = "UnpairedTranslator"
PIX2PIX_EMBEDDED = "pix2pix-edges2emoji64"
CYCLEGAN_EMBEDDED = "cyclegan-noto-twemoji64"


def lr_at(step: int, steps: int, lr: float, decay_from: float) -> float:
    """Both papers' schedule: ``lr`` until ``decay_from`` of the run, then linearly down to 0 at the end."""
    start = int(steps * decay_from)
    if step < start:
        return lr
    return lr * max(0.0, 1.0 - (step - start) / max(1, steps - start))

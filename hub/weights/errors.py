"""Why a weight cannot be had: each error carries a sentence that says what to do."""

from __future__ import annotations

from pathlib import Path



# --------------------------------------------------------------------------- errors


class WeightUnavailable(Exception):
    """A weight file cannot be had; ``str(e)`` is a user-facing sentence saying what to do."""

    def __init__(self, message: str, weight_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.weight_id = weight_id

    def __str__(self) -> str:
        return self.message


class WeightIntegrityError(WeightUnavailable):
    """A file's sha256 differs from the one recorded: it is refused."""

    def __init__(self, message: str, weight_id: str | None = None, path: Path | None = None,
                 expected: str | None = None, actual: str | None = None) -> None:
        super().__init__(message, weight_id)
        self.path, self.expected, self.actual = path, expected, actual


class DuplicateWeightError(ValueError):
    """Two plugins registered the same weight id."""


class ManifestError(ValueError):
    """A manifest file does not follow the schema in weights_manifest.yaml's header."""



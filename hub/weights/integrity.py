"""sha256 of weight files and of their tensors; a file is hashed once per process unless it changes."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path

from hub.weights.env import log
from hub.weights.errors import WeightIntegrityError


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def tensors_sha256(path: str | Path) -> str:
    """sha256 of a safetensors file's tensors (names, dtypes, shapes, bytes), ignoring its metadata.

    Two exports of the same weights can differ byte-wise: the writer does not keep the metadata's key
    order. Use this to ask "same network?" (e.g. which generator an encoder was trained against) and
    ``sha256_file`` to check that a file is intact.
    """
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(header_len))
        header.pop("__metadata__", None)
        digest = hashlib.sha256(json.dumps(header, sort_keys=True).encode())
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def replace_unless_same_tensors(new: str | Path, dest: str | Path) -> bool:
    """Move the freshly written safetensors ``new`` onto ``dest``, unless ``dest`` already holds the same tensors.

    Re-exporting unchanged weights then leaves the committed file (and its manifest sha256) as it was,
    instead of a byte-different copy. Returns True when ``dest`` was replaced.
    """
    new, dest = Path(new), Path(dest)
    if dest.is_file() and tensors_sha256(dest) == tensors_sha256(new):
        new.unlink()
        return False
    os.replace(new, dest)
    return True


# (realpath) -> (mtime_ns, size, inode, sha256): a file is hashed once per process unless it changes.
_VERIFIED: dict[str, tuple[int, int, int, str]] = {}
_VERIFIED_LOCK = threading.Lock()


def _digest_cached(path: Path) -> str:
    real = os.path.realpath(path)
    st = os.stat(real)
    key = (st.st_mtime_ns, st.st_size, st.st_ino)
    with _VERIFIED_LOCK:
        hit = _VERIFIED.get(real)
    if hit is not None and hit[:3] == key:
        return hit[3]
    digest = sha256_file(real)
    with _VERIFIED_LOCK:
        _VERIFIED[real] = (*key, digest)
    return digest


def _check_digest(spec_id: str, path: Path, expected: str | None, fix: str) -> None:
    """Refuse ``path`` unless its sha256 is ``expected`` (None: nothing recorded, allowed with a log line)."""
    if not expected:
        log.warning("weight %s: no sha256 recorded for %s; loading it unchecked", spec_id, path)
        return
    actual = _digest_cached(path)
    if actual != expected.lower():
        raise WeightIntegrityError(
            f"Weight '{spec_id}': the file {path} does not match its recorded sha256 "
            f"(expected {expected}, got {actual}), so it was not loaded. {fix}",
            spec_id, path, expected, actual)



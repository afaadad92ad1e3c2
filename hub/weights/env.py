"""Where the Hub and the caches are, read from the environment at call time, and whether the Hub answers."""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit


log = logging.getLogger("ganhub.weights")

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The core's own manifest: at the top of a checkout; in an installed wheel, the copy the build put
#: in ``hub/_core/`` (see setup.py), with the core's embedded weights beside it.
BUILTIN_MANIFEST = next((p for p in (REPO_ROOT / "weights_manifest.yaml",
                                     Path(__file__).resolve().parents[1] / "_core" / "weights_manifest.yaml")
                         if p.is_file()), REPO_ROOT / "weights_manifest.yaml")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
FORMATS = ("safetensors", "pickle")
WHERE = ("override", "embedded", "cache", "downloaded", "converted", "missing")


# --------------------------------------------------------------------------- env, hashing


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def hf_offline() -> bool:
    """``HF_HUB_OFFLINE`` read now (huggingface_hub itself reads it only at import)."""
    return _truthy(os.environ.get("HF_HUB_OFFLINE")) or _truthy(os.environ.get("TRANSFORMERS_OFFLINE"))


def hf_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or "https://huggingface.co").rstrip("/")


def hf_cache_dir() -> Path:
    """The standard HF hub cache, computed from the environment now."""
    for name in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if os.environ.get(name):
            return Path(os.path.expandvars(os.environ[name])).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "huggingface")
    return Path(os.path.expandvars(home)).expanduser() / "hub"


def ganhub_cache_dir() -> Path:
    return Path(os.environ.get("GANHUB_CACHE") or Path.home() / ".cache" / "ganhub").expanduser()


_PROBES: dict[str, tuple[float, bool]] = {}


def _endpoint_reachable(endpoint: str, timeout: float | None = None) -> bool:
    """A quick TCP connect to the endpoint, cached 30 s.

    huggingface_hub retries connection errors with back-off (~20 s); a dead network should
    cost the user a couple of seconds, not twenty. Behind a proxy we cannot tell, so say yes.
    """
    if any(os.environ.get(k) for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")):
        return True
    now = time.monotonic()
    hit = _PROBES.get(endpoint)
    if hit and now - hit[0] < 30:
        return hit[1]
    parts = urlsplit(endpoint)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    timeout = timeout if timeout is not None else float(os.environ.get("GANHUB_NET_TIMEOUT", "3"))
    try:
        with socket.create_connection((parts.hostname or "", port), timeout=timeout):
            ok = True
    except OSError:
        ok = False
    _PROBES[endpoint] = (now, ok)
    return ok


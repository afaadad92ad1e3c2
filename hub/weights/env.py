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


def _answers(sock: socket.socket, parts, timeout: float) -> bool:
    """Whether the server behind a connected socket answers within ``timeout``: over https its TLS
    handshake, over http the first byte of the reply to a ``HEAD /``. A server that accepts connections
    and never answers (a stalled proxy, a tarpit) would otherwise hold a request for minutes."""
    sock.settimeout(timeout)
    try:
        if parts.scheme == "https":
            import ssl

            with ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname or ""):
                return True
        sock.sendall(f"HEAD / HTTP/1.0\r\nHost: {parts.hostname}\r\n\r\n".encode("ascii", "replace"))
        sock.recv(1)  # a reply or a close: either way the server is alive
        return True
    except socket.timeout:
        return False
    except OSError:  # reset, or a TLS failure: it answered, just not the way we hoped; let the client say
        return True


def _endpoint_reachable(endpoint: str, timeout: float | None = None) -> bool:
    """A quick connect to the endpoint, and a check that it answers, cached 30 s.

    huggingface_hub retries connection errors with back-off (~20 s), and a server that accepts and
    never answers held a request for ~390 s (its retry of a metadata request waits 60 s a try, whatever
    HF_HUB_ETAG_TIMEOUT says); a dead network should cost the user a few seconds. Behind a proxy we
    cannot tell, so say yes.
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
        with socket.create_connection((parts.hostname or "", port), timeout=timeout) as sock:
            ok = _answers(sock, parts, timeout)
    except OSError:
        ok = False
    _PROBES[endpoint] = (now, ok)
    return ok


#: Timeouts of huggingface_hub's requests where the environment sets none (its own defaults are 10 s;
#: both are read when huggingface_hub is imported, so they are set when this module is).
HUB_TIMEOUTS = {"HF_HUB_ETAG_TIMEOUT": "10", "HF_HUB_DOWNLOAD_TIMEOUT": "20"}
for _name, _seconds in HUB_TIMEOUTS.items():
    os.environ.setdefault(_name, _seconds)

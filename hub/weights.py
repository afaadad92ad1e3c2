"""Weights are data: the manifest says where each file comes from, this module gets it safely.

Resolution order for a weight id (first hit wins; every file is sha256-checked before its
first load in the process):

1. the user override folder (env ``GANHUB_WEIGHTS_DIR``): ``<id>.safetensors`` or the spec's
   file name. The user's own file, so it is not held to the manifest's digest (logged);
2. the embedded file (``weights/…`` next to the manifest) when it is *the same file* as the
   Hub copy (or there is no Hub copy);
3. for upstream files that need a converter: the conversion cache
   (``$GANHUB_CACHE/converted/<id>.safetensors``, written by ``ganhub weights convert ID``);
4. the Hugging Face cache (``try_to_load_from_cache``: no HTTP at all);
5. a Hub download (``hf_hub_download`` into the standard HF cache, ``endpoint=HF_ENDPOINT``
   read at call time);
6. an embedded *stand-in* (an entry whose ``embedded_sha256`` differs from the Hub file's
   ``sha256``: a smaller local model used when the Hub copy cannot be had), with a notice.

Offline (``HF_HUB_OFFLINE=1``, or the endpoint does not answer) never crashes: step 5 is
skipped, step 6 is taken with a notice, or ``WeightUnavailable`` says what to do.
Only safetensors are loaded at run time; ``convert`` is the one place a pickle is read,
with ``torch.load(weights_only=True)``.

Run ``python -m hub.weights --help`` (or ``ganhub weights --help``) for the command line.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import re
import socket
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence
from urllib.parse import urlsplit

from hub.api import WeightSpec

if TYPE_CHECKING:
    import torch

__all__ = [
    "WeightStore",
    "WeightStatus",
    "WeightUnavailable",
    "WeightIntegrityError",
    "DuplicateWeightError",
    "ManifestError",
    "load_manifest",
    "default_store",
    "set_default_store",
    "resolve_weight",
    "load_safetensors",
    "sha256_file",
    "pick_state_dict",
    "rehash_manifest",
    "add_weights_cli",
    "main",
]

log = logging.getLogger("ganhub.weights")

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_MANIFEST = REPO_ROOT / "weights_manifest.yaml"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
FORMATS = ("safetensors", "pickle")
WHERE = ("override", "embedded", "cache", "downloaded", "converted", "missing")


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


# --------------------------------------------------------------------------- manifest

_ENTRY_KEYS = {"id", "source", "embedded", "sha256", "size", "license", "format", "converter",
               "description", "embedded_sha256", "embedded_size"}
_SOURCE_KEYS = {"repo_id", "filename", "revision", "repo_type"}


@dataclass(frozen=True)
class _Standin:
    """An embedded file that is not the Hub file: used only when the Hub copy cannot be had."""

    sha256: str | None
    size: int | None


def _parse_entry(raw: Any, index: int, base: Path, origin: str) -> tuple[WeightSpec, _Standin | None]:
    where = f"{origin}: weights[{index}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where} is a {type(raw).__name__}, expected a mapping with an 'id'")
    unknown = set(raw) - _ENTRY_KEYS
    if unknown:
        raise ManifestError(f"{where} ({raw.get('id')}): unknown keys {sorted(unknown)}")
    wid = raw.get("id")
    if not isinstance(wid, str) or not wid.strip():
        raise ManifestError(f"{where}: 'id' must be a non-empty string")
    where = f"{origin}: weight '{wid}'"
    source = raw.get("source") or {}
    if not isinstance(source, dict) or set(source) - _SOURCE_KEYS:
        raise ManifestError(f"{where}: 'source' must be null or a mapping of {sorted(_SOURCE_KEYS)}")
    if source and not (source.get("repo_id") and source.get("filename")):
        raise ManifestError(f"{where}: 'source' needs both repo_id and filename")
    embedded = raw.get("embedded")
    if embedded is not None:
        embedded_path = Path(str(embedded)).expanduser()
        embedded = str(embedded_path if embedded_path.is_absolute() else (base / embedded_path).resolve())
    if not source and not embedded:
        raise ManifestError(f"{where}: needs a 'source', an 'embedded' path, or both")
    fmt = raw.get("format") or "safetensors"
    if fmt not in FORMATS:
        raise ManifestError(f"{where}: format must be one of {FORMATS}, not {fmt!r}")
    for key in ("sha256", "embedded_sha256"):
        value = raw.get(key)
        if value is not None and not _HEX64.match(str(value).lower()):
            raise ManifestError(f"{where}: {key} must be 64 hex digits")
    for key in ("size", "embedded_size"):
        if raw.get(key) is not None and not isinstance(raw.get(key), int):
            raise ManifestError(f"{where}: {key} must be an integer number of bytes")
    repo_type = source.get("repo_type") or "model"
    if repo_type not in ("model", "dataset", "space"):
        raise ManifestError(f"{where}: repo_type must be model, dataset or space")
    revision = source.get("revision")
    filename = source.get("filename") or (Path(embedded).name if embedded else f"{wid}.safetensors")
    spec = WeightSpec(
        id=wid, filename=str(filename), repo_id=source.get("repo_id"),
        revision=str(revision) if revision is not None else None, repo_type=repo_type,
        sha256=str(raw["sha256"]).lower() if raw.get("sha256") else None,
        license=str(raw.get("license") or "unknown"), format=fmt, embedded=embedded,
        size=raw.get("size"), converter=raw.get("converter"), description=str(raw.get("description") or ""),
    )
    standin = None
    converted = fmt == "pickle" or bool(raw.get("converter"))
    if "embedded_sha256" in raw or "embedded_size" in raw or (converted and embedded and source):
        if not (embedded and source):
            raise ManifestError(f"{where}: embedded_sha256 only makes sense with both a source and an embedded file")
        sha = raw.get("embedded_sha256")
        standin = _Standin(str(sha).lower() if sha else None, raw.get("embedded_size"))
    return spec, standin


def load_manifest(path: str | Path) -> list[WeightSpec]:
    """Parse a manifest into specs (``embedded`` made absolute, relative to the manifest's folder)."""
    return [spec for spec, _ in _load_manifest(Path(path))]


def _load_manifest(path: Path) -> list[tuple[WeightSpec, _Standin | None]]:
    import yaml

    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ManifestError(f"manifest {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"manifest {path} is not valid YAML: {exc}") from None
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise ManifestError(f"manifest {path}: top level must be a mapping with 'weights:'")
    entries = doc.get("weights") or []
    if not isinstance(entries, list):
        raise ManifestError(f"manifest {path}: 'weights' must be a list")
    base = path.resolve().parent
    return [_parse_entry(raw, i, base, str(path)) for i, raw in enumerate(entries)]


# --------------------------------------------------------------------------- the store


@dataclass
class WeightStatus:
    """Where a weight stands, for the Plugins & weights tab and ``ganhub weights list``."""

    id: str
    source: str
    where: str  # override | embedded | cache | downloaded | converted | missing
    size: int | None
    license: str
    path: Path | None = None
    message: str = ""
    plugin: str = ""

    def as_row(self) -> list[Any]:
        return [self.id, self.source, self.where, _human(self.size), self.license, self.message]


def _human(size: int | None) -> str:
    if size is None:
        return "?"
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return "?"


def _source_str(spec: WeightSpec) -> str:
    if not spec.repo_id:
        return "embedded only"
    prefix = "" if spec.repo_type == "model" else f"{spec.repo_type}s/"
    return f"hf://{prefix}{spec.repo_id}/{spec.filename}@{spec.revision or 'main'}"


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


class WeightStore:
    """All known weight specs, and their safe resolution to local verified files.

    ``cache_dir`` is the Hugging Face hub cache (default: the standard one, from the env at
    call time); ``override_dir`` the user's folder (default env ``GANHUB_WEIGHTS_DIR``);
    ``converted_dir`` where conversions go (default ``$GANHUB_CACHE/converted``).
    """

    def __init__(self, cache_dir: str | Path | None = None, override_dir: str | Path | None = None,
                 converted_dir: str | Path | None = None) -> None:
        self._cache_dir = Path(cache_dir) if cache_dir else None
        self._override_dir = Path(override_dir) if override_dir else None
        self._converted_dir = Path(converted_dir) if converted_dir else None
        self._specs: dict[str, WeightSpec] = {}
        self._plugins: dict[str, str] = {}
        self._standins: dict[str, _Standin] = {}
        self._resolved: dict[str, tuple[Path, str, str]] = {}  # id -> (path, where, notice)
        self._lock = threading.RLock()

    # -- registration ------------------------------------------------------------------

    def add(self, spec: WeightSpec, plugin: str = "", *, _standin: _Standin | None = None) -> None:
        """Register ``spec``; the same id from another plugin raises ``DuplicateWeightError``."""
        if not isinstance(spec, WeightSpec):
            raise TypeError(f"expected a WeightSpec, got {type(spec).__name__}")
        with self._lock:
            old = self._specs.get(spec.id)
            if old is not None:
                if old == spec and self._plugins[spec.id] == plugin:
                    return  # the same manifest registered twice: harmless
                raise DuplicateWeightError(
                    f"weight id '{spec.id}' is registered by plugin '{self._plugins[spec.id] or '?'}' "
                    f"and again by plugin '{plugin or '?'}'; weight ids must be unique (namespace them by family)")
            self._specs[spec.id] = spec
            self._plugins[spec.id] = plugin
            if _standin is not None:
                self._standins[spec.id] = _standin

    def add_manifest(self, path: str | Path, plugin: str = "") -> list[str]:
        """Register every entry of a manifest; all-or-nothing on schema errors. Returns the ids."""
        parsed = _load_manifest(Path(path))
        ids = [spec.id for spec, _ in parsed]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise DuplicateWeightError(f"manifest {path} lists {sorted(dupes)} more than once")
        with self._lock:
            for spec, _ in parsed:  # check every id first: a refused manifest adds nothing
                old = self._specs.get(spec.id)
                if old is not None and not (old == spec and self._plugins[spec.id] == plugin):
                    raise DuplicateWeightError(
                        f"weight id '{spec.id}' is registered by plugin '{self._plugins[spec.id] or '?'}' and again "
                        f"by plugin '{plugin or '?'}' (manifest {path}); weight ids must be unique")
            for spec, standin in parsed:
                self.add(spec, plugin, _standin=standin)
        return ids

    def specs(self) -> list[WeightSpec]:
        return list(self._specs.values())

    def ids(self) -> list[str]:
        return list(self._specs)

    def plugin_of(self, weight_id: str) -> str:
        return self._plugins.get(weight_id, "")

    def __contains__(self, weight_id: object) -> bool:
        return weight_id in self._specs

    def spec(self, weight_id: str) -> WeightSpec:
        try:
            return self._specs[weight_id]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise WeightUnavailable(f"Unknown weight id '{weight_id}' (known: {known}).", weight_id) from None

    # -- locations ---------------------------------------------------------------------

    def hf_cache(self) -> Path:
        return self._cache_dir or hf_cache_dir()

    def override_dir(self) -> Path | None:
        if self._override_dir:
            return self._override_dir
        env = os.environ.get("GANHUB_WEIGHTS_DIR")
        return Path(env).expanduser() if env else None

    def converted_dir(self) -> Path:
        return self._converted_dir or ganhub_cache_dir() / "converted"

    def converted_path(self, weight_id: str) -> Path:
        from hub.images import safe_join

        return safe_join(self.converted_dir(), f"{weight_id}.safetensors")

    def _needs_conversion(self, spec: WeightSpec) -> bool:
        return spec.format == "pickle" or bool(spec.converter)

    def _standin(self, spec: WeightSpec) -> _Standin | None:
        """The embedded file's own digest when it is a stand-in (not the Hub file), else None."""
        if not (spec.embedded and spec.repo_id):
            return None
        sha = getattr(spec, "embedded_sha256", None)  # a future WeightSpec field, if the contract grows one
        if sha:
            return _Standin(sha, getattr(spec, "embedded_size", None))
        standin = self._standins.get(spec.id)
        if standin is not None:
            return standin
        if self._needs_conversion(spec):
            return _Standin(None, None)  # a converted upstream file is never byte-identical to ours
        return None

    def _override_file(self, spec: WeightSpec) -> Path | None:
        folder = self.override_dir()
        if folder is None or not folder.is_dir():
            return None
        names = [f"{spec.id}.safetensors"]
        base = Path(spec.filename).name
        # The upstream file name too, unless it is in a foreign layout (needs the converter) or
        # ambiguous ("model.safetensors" of two repos must not both pick up one user file).
        if (base.endswith(".safetensors") and not self._needs_conversion(spec)
                and sum(Path(s.filename).name == base for s in self._specs.values()) == 1):
            names.append(base)
        for name in names:
            try:
                from hub.images import safe_join

                candidate = safe_join(folder, name)
            except ValueError:
                continue
            if candidate.is_file():
                return candidate
        return None

    def _converted_file(self, spec: WeightSpec) -> tuple[Path, str | None] | None:
        path = self.converted_path(spec.id)
        if not path.is_file():
            return None
        sidecar = path.with_suffix(".json")
        try:
            info = json.loads(sidecar.read_text())
            return path, info.get("sha256")
        except (OSError, ValueError):
            return path, None

    def _cached_file(self, spec: WeightSpec) -> Path | None:
        """The HF-cache copy at the pinned revision: reads the cache folder, makes no request."""
        if not spec.repo_id:
            return None
        from huggingface_hub import try_to_load_from_cache

        try:
            hit = try_to_load_from_cache(spec.repo_id, spec.filename, cache_dir=str(self.hf_cache()),
                                         revision=spec.revision, repo_type=spec.repo_type)
        except Exception:  # a malformed cache must not break resolution
            log.debug("cache lookup failed for %s", spec.id, exc_info=True)
            return None
        return Path(hit) if isinstance(hit, str) and os.path.isfile(hit) else None

    # -- resolution --------------------------------------------------------------------

    def resolve(self, weight_id: str, *, download: bool = True) -> Path:
        """The verified local path of ``weight_id`` (see the module docstring for the order).

        ``download=False`` behaves as if offline (used by ``verify``).
        """
        with self._lock:
            path, where, notice = self._resolve(self.spec(weight_id), download)
            self._resolved[weight_id] = (path, where, notice)
            return path

    def _resolve(self, spec: WeightSpec, download: bool = True) -> tuple[Path, str, str]:
        override = self._override_file(spec)
        if override is not None:
            log.info("weight %s: using the user override %s (not held to the manifest's sha256)", spec.id, override)
            return override, "override", f"user override {override}"

        standin = self._standin(spec)
        embedded = Path(spec.embedded) if spec.embedded else None
        if embedded is not None and standin is None:
            if embedded.is_file():
                _check_digest(spec.id, embedded, spec.sha256,
                              f"Restore it (`git checkout -- {_rel(embedded)}`), or if you re-exported it on purpose, "
                              f"run `ganhub weights rehash --id {spec.id}`; or delete it to use the Hub copy.")
                return embedded, "embedded", ""
            log.info("weight %s: embedded file %s is missing; trying the Hub", spec.id, embedded)

        if self._needs_conversion(spec):
            return self._resolve_converted(spec, standin, download)

        cached = self._cached_file(spec)
        if cached is not None:
            _check_digest(spec.id, cached, spec.sha256,
                          f"Delete {cached} and run `ganhub weights fetch {spec.id}`.")
            return cached, "cache", ""

        try:
            path = self._download(spec, offline=not download)
        except WeightUnavailable as exc:
            return self._fall_back(spec, standin, exc)
        _check_digest(spec.id, path, spec.sha256, "The download is corrupt or the file changed upstream: run "
                      f"`ganhub weights fetch {spec.id} --force`, or pin the manifest's revision to a commit.")
        return path, "downloaded", ""

    def _resolve_converted(self, spec: WeightSpec, standin: _Standin | None, download: bool) -> tuple[Path, str, str]:
        found = self._converted_file(spec)
        if found is not None:
            path, sha = found
            if not sha:
                raise WeightIntegrityError(
                    f"Weight '{spec.id}': the converted file {path} has no sha256 record next to it; "
                    f"run `ganhub weights convert {spec.id}` again.", spec.id, path)
            _check_digest(spec.id, path, sha, f"Run `ganhub weights convert {spec.id}` again.")
            return path, "converted", ""
        if spec.format == "safetensors":  # foreign layout: converting needs no pickle, so do it now
            try:
                return self.convert(spec.id, download=download), "converted", ""
            except WeightUnavailable as exc:
                return self._fall_back(spec, standin, exc)
        exc = WeightUnavailable(
            f"Weight '{spec.id}' is an upstream {spec.format} checkpoint; GAN Hub loads only safetensors. "
            f"Run `ganhub weights convert {spec.id}` once (it downloads {_source_str(spec)} and converts it).",
            spec.id)
        return self._fall_back(spec, standin, exc)

    def _fall_back(self, spec: WeightSpec, standin: _Standin | None, exc: WeightUnavailable) -> tuple[Path, str, str]:
        embedded = Path(spec.embedded) if spec.embedded else None
        if standin is None or embedded is None or not embedded.is_file():
            raise exc
        _check_digest(spec.id, embedded, standin.sha256,
                      f"Restore it (`git checkout -- {_rel(embedded)}`) or run `ganhub weights rehash --id {spec.id}`.")
        notice = f"Using the embedded copy of '{spec.id}' ({_rel(embedded)}) because the Hub copy is unavailable: {exc}"
        log.warning(notice)
        _ui_notice(notice)
        return embedded, "embedded", notice

    def _download(self, spec: WeightSpec, force: bool = False, offline: bool = False) -> Path:
        """``hf_hub_download`` with every failure turned into a ``WeightUnavailable`` sentence."""
        if not spec.repo_id:
            raise WeightUnavailable(f"Weight '{spec.id}' has no Hub source and its embedded file is missing"
                                    f" ({spec.embedded}); reinstall GAN Hub or restore the file.", spec.id)
        where = f"{_source_str(spec)}"
        todo = (f"To use it, connect to the internet and run `ganhub weights fetch {spec.id}`, "
                f"or put the file at $GANHUB_WEIGHTS_DIR/{spec.id}.safetensors.")
        if offline or hf_offline():
            raise WeightUnavailable(f"Weight '{spec.id}' is not available offline: "
                                    f"{'HF_HUB_OFFLINE is set' if hf_offline() else 'downloads are off'} and "
                                    f"{where} is not in the Hugging Face cache ({self.hf_cache()}). {todo}", spec.id)
        endpoint = hf_endpoint()
        if not _endpoint_reachable(endpoint):
            raise WeightUnavailable(f"Weight '{spec.id}' is not available offline: {endpoint} cannot be reached "
                                    f"and {where} is not in the Hugging Face cache. {todo}", spec.id)
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import (
            EntryNotFoundError,
            GatedRepoError,
            HfHubHTTPError,
            LocalEntryNotFoundError,
            OfflineModeIsEnabled,
            RepositoryNotFoundError,
            RevisionNotFoundError,
        )

        try:
            path = hf_hub_download(spec.repo_id, spec.filename, revision=spec.revision, repo_type=spec.repo_type,
                                   cache_dir=str(self.hf_cache()), endpoint=endpoint, force_download=force,
                                   library_name="ganhub")
        except GatedRepoError:
            raise WeightUnavailable(f"Weight '{spec.id}': the Hub repo '{spec.repo_id}' is gated; accept its terms "
                                    "on the Hub and log in (`hf auth login`), then retry.", spec.id) from None
        except RepositoryNotFoundError:
            raise WeightUnavailable(f"Weight '{spec.id}': the Hub repository '{spec.repo_id}' ({spec.repo_type}) was not "
                                    "found at " f"{endpoint} (it may have been renamed, deleted or made private). "
                                    "Check the manifest's repo_id, or log in if it is private.", spec.id) from None
        except RevisionNotFoundError:
            raise WeightUnavailable(f"Weight '{spec.id}': revision '{spec.revision}' does not exist in the Hub repository "
                                    f"'{spec.repo_id}'. Check the manifest's revision.", spec.id) from None
        except LocalEntryNotFoundError as exc:  # the network failed half-way (before EntryNotFoundError: a subclass)
            raise WeightUnavailable(f"Weight '{spec.id}' is not available offline: the Hub could not be reached "
                                    f"({_root_cause(exc)}). {todo}", spec.id) from None
        except EntryNotFoundError:
            raise WeightUnavailable(f"Weight '{spec.id}': the file '{spec.filename}' is not in the Hub repository "
                                    f"'{spec.repo_id}' at revision '{spec.revision or 'main'}'. Check the manifest's "
                                    "filename and revision.", spec.id) from None
        except (OfflineModeIsEnabled, ConnectionError, TimeoutError) as exc:
            raise WeightUnavailable(f"Weight '{spec.id}' is not available offline ({exc}). {todo}", spec.id) from None
        except HfHubHTTPError as exc:
            raise WeightUnavailable(f"Weight '{spec.id}': the Hub answered with an error for {where} "
                                    f"({str(exc).splitlines()[0]}). Retry later.", spec.id) from None
        except OSError as exc:
            raise WeightUnavailable(f"Weight '{spec.id}' could not be downloaded from {where}: {exc}", spec.id) from None
        except Exception as exc:  # httpx errors and anything else the network stack throws
            if type(exc).__module__.startswith(("httpx", "httpcore", "httpx2")):
                raise WeightUnavailable(f"Weight '{spec.id}' is not available offline: the Hub could not be "
                                        f"reached ({type(exc).__name__}: {exc}). {todo}", spec.id) from None
            raise
        log.info("weight %s: downloaded %s", spec.id, where)
        return Path(path)

    # -- status, fetch, verify ---------------------------------------------------------

    def status(self, weight_id: str) -> WeightStatus:
        """Where ``weight_id`` resolves, cheaply: no network and no hashing of unverified files."""
        spec = self.spec(weight_id)

        def make(where: str, path: Path | None, message: str = "", size: int | None = None) -> WeightStatus:
            if size is None and path is not None and path.is_file():
                size = path.stat().st_size
            return WeightStatus(spec.id, _source_str(spec), where, size if size is not None else spec.size,
                                spec.license, path, message, self.plugin_of(spec.id))

        if weight_id in self._resolved:
            path, where, notice = self._resolved[weight_id]
            if path.is_file():
                return make(where, path, notice or "verified")
        override = self._override_file(spec)
        if override is not None:
            return make("override", override, "user override")
        standin = self._standin(spec)
        embedded = Path(spec.embedded) if spec.embedded else None
        if embedded is not None and standin is None and embedded.is_file():
            return make("embedded", embedded)
        if self._needs_conversion(spec):
            found = self._converted_file(spec)
            if found is not None:
                return make("converted", found[0])
        else:
            cached = self._cached_file(spec)
            if cached is not None:
                return make("cache", cached)
        if standin is not None and embedded is not None and embedded.is_file():
            reason = ("not converted yet: run `ganhub weights convert " + spec.id + "`"
                      if self._needs_conversion(spec) else
                      "offline, the Hub copy is not cached" if hf_offline() else "the Hub copy is downloaded on first use")
            return make("embedded", embedded, f"embedded stand-in ({reason})", embedded.stat().st_size)
        if not spec.repo_id:
            return make("missing", None, f"embedded file missing: {spec.embedded}")
        if spec.format == "pickle":
            return make("missing", None, f"needs `ganhub weights convert {spec.id}`")
        if hf_offline():
            return make("missing", None, "not available offline (HF_HUB_OFFLINE is set and it is not cached)")
        return make("missing", None, "downloaded from the Hub on first use")

    def statuses(self) -> list[WeightStatus]:
        return [self.status(i) for i in self._specs]

    def fetch(self, ids: Iterable[str] | None = None, force: bool = False) -> list[WeightStatus]:
        """Make each weight available locally: resolve it (downloading Hub copies into the HF cache).

        Upstream files that need a converter are only downloaded (and checked); ``convert``
        turns them into safetensors. ``force`` downloads again even when cached.
        """
        out = []
        for wid in list(ids) if ids else self.ids():
            spec = self.spec(wid)
            try:
                if self._needs_conversion(spec) and spec.repo_id:
                    path = self._raw_upstream(spec, force=force)
                    status = self.status(wid)
                    if status.where != "converted":
                        status = dataclasses.replace(
                            status, message=f"upstream file ready at {path}; now run `ganhub weights convert {wid}`")
                elif force and spec.repo_id:
                    path = self._download(spec, force=True)
                    _check_digest(spec.id, path, spec.sha256, "The download is corrupt or the file changed upstream.")
                    self._resolved[wid] = (path, "downloaded", "")
                    status = self.status(wid)
                else:
                    self.resolve(wid)
                    status = self.status(wid)
            except WeightUnavailable as exc:
                status = dataclasses.replace(self.status(wid), message=str(exc))
            out.append(status)
        return out

    def _raw_upstream(self, spec: WeightSpec, force: bool = False, local: Path | None = None,
                      download: bool = True) -> Path:
        """The upstream file itself (cache or download), sha256-checked against the manifest."""
        if local is not None:
            path = Path(local)
        else:
            path = None if force else self._cached_file(spec)
            if path is None:
                path = self._download(spec, force=force, offline=not download)
        _check_digest(spec.id, path, spec.sha256,
                      f"Delete {path} and run `ganhub weights fetch {spec.id} --force`, or check the manifest.")
        return path

    def verify(self, ids: Iterable[str] | None = None) -> list[WeightStatus]:
        """Hash every local copy resolution would use (no downloads); message 'ok', 'MISMATCH …' or why missing."""
        out = []
        for wid in list(ids) if ids else self.ids():
            status = self.status(wid)
            if status.path is None:
                out.append(status)
                continue
            with _VERIFIED_LOCK:  # re-read the file: verify means "hash it now"
                _VERIFIED.pop(os.path.realpath(status.path), None)
            self._resolved.pop(wid, None)
            try:
                path = self.resolve(wid, download=False)
                out.append(dataclasses.replace(self.status(wid), path=path, message="ok"))
            except WeightIntegrityError as exc:
                out.append(dataclasses.replace(status, message=f"MISMATCH: {exc}"))
            except WeightUnavailable as exc:
                out.append(dataclasses.replace(status, message=str(exc)))
        return out

    # -- conversion --------------------------------------------------------------------

    def convert(self, weight_id: str, source_file: str | Path | None = None, force: bool = False,
                download: bool = True) -> Path:
        """Upstream checkpoint -> our safetensors in the conversion cache; returns its path.

        Downloads (or takes ``source_file``), checks the upstream sha256, reads it (pickles
        with ``torch.load(weights_only=True)``, the only ``torch.load`` in GAN Hub), picks the
        state dict, maps it with the spec's converter and writes ``<id>.safetensors`` plus a
        ``<id>.json`` record with its sha256.
        """
        spec = self.spec(weight_id)
        if not spec.converter and spec.format != "safetensors":
            raise WeightUnavailable(f"Weight '{spec.id}' is a {spec.format} file with no converter in its manifest "
                                    "entry, so it cannot be converted.", spec.id)
        out = self.converted_path(spec.id)
        if out.is_file() and not force and source_file is None:
            found = self._converted_file(spec)
            if found and found[1]:
                _check_digest(spec.id, out, found[1], f"Run `ganhub weights convert {spec.id} --force`.")
                return out
        raw = self._raw_upstream(spec, local=Path(source_file) if source_file else None, download=download)
        upstream_sha = _digest_cached(raw)
        checkpoint = _read_checkpoint(raw, spec)
        converter_ref, _, key = (spec.converter or "").partition("#")
        state = pick_state_dict(checkpoint, key or None)
        if converter_ref:
            converted = _import_ref(converter_ref)(state)
        else:
            converted = state
        tensors = _as_tensor_dict(converted, spec.id)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        from safetensors.torch import save_file

        save_file(tensors, str(tmp), metadata={"ganhub_id": spec.id, "source": _source_str(spec),
                                               "source_sha256": upstream_sha, "converter": spec.converter or ""})
        digest = sha256_file(tmp)
        os.replace(tmp, out)
        record = {"id": spec.id, "sha256": digest, "size": out.stat().st_size, "source": _source_str(spec),
                  "source_sha256": upstream_sha, "converter": spec.converter, "tensors": len(tensors)}
        sidecar = out.with_suffix(".json")
        sidecar.write_text(json.dumps(record, indent=2) + "\n")
        with _VERIFIED_LOCK:
            st = out.stat()
            _VERIFIED[os.path.realpath(out)] = (st.st_mtime_ns, st.st_size, st.st_ino, digest)
        self._resolved[spec.id] = (out, "converted", "")
        log.info("weight %s: converted %s -> %s (sha256 %s)", spec.id, raw, out, digest)
        return out


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}"


def _ui_notice(message: str) -> None:
    """Show ``message`` as a Gradio toast when called inside a Gradio event; the log has it anyway."""
    if "gradio" not in sys.modules:
        return
    try:
        from gradio.context import LocalContext

        if LocalContext.blocks.get(None) is not None and LocalContext.event_id.get(None) is not None:
            import gradio as gr

            gr.Warning(message)
    except Exception:
        log.debug("could not show a Gradio notice", exc_info=True)


def _import_ref(ref: str) -> Callable[[Any], Any]:
    import importlib

    module_name, _, attr = ref.partition(":")
    if not module_name or not attr:
        raise WeightUnavailable(f"converter {ref!r} must look like 'package.module:function'")
    obj: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def _read_checkpoint(path: Path, spec: WeightSpec) -> Any:
    import torch

    if spec.format == "safetensors" or _is_safetensors(path):
        from safetensors.torch import load_file

        return load_file(str(path))
    try:
        # Numpy scalars (e.g. a saved "best_psnr") are plain data; allow them and nothing else.
        with torch.serialization.safe_globals(_numpy_scalar_globals()):
            return torch.load(path, map_location="cpu", weights_only=True)  # the only torch.load in GAN Hub
    except Exception as exc:
        raise WeightUnavailable(
            f"Weight '{spec.id}': {path} cannot be read as a weights-only checkpoint ({type(exc).__name__}: "
            f"{str(exc).splitlines()[0] if str(exc) else ''}). GAN Hub never unpickles arbitrary objects.",
            spec.id) from None


def _numpy_scalar_globals() -> list[Any]:
    import numpy as np

    core = getattr(np, "_core", None) or np.core
    names = ("float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool")
    return [core.multiarray.scalar, np.dtype, *{type(np.dtype(n)) for n in names}]


def _is_safetensors(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(9)
        return len(head) == 9 and int.from_bytes(head[:8], "little") < (1 << 30) and head[8:9] == b"{"
    except OSError:
        return False


def pick_state_dict(checkpoint: Any, key: str | None = None) -> dict[str, Any]:
    """The state dict inside an upstream checkpoint.

    ``key`` (from a converter ref ``"module:function#g_ema"``) picks it explicitly; otherwise a
    flat ``{name: tensor}`` mapping is used as is, else the first of ``state_dict``,
    ``params_ema``, ``params``, ``model``, ``g_ema`` found.
    """
    import torch

    if not isinstance(checkpoint, Mapping):
        raise WeightUnavailable(f"the checkpoint is a {type(checkpoint).__name__}, not a mapping of tensors")
    if key:
        if key not in checkpoint:
            raise WeightUnavailable(f"the checkpoint has no '{key}' entry (it has: {', '.join(map(str, checkpoint))})")
        return pick_state_dict(checkpoint[key])
    if any(isinstance(v, torch.Tensor) for v in checkpoint.values()):
        return {k: v for k, v in checkpoint.items() if isinstance(v, torch.Tensor)}
    for candidate in ("state_dict", "params_ema", "params", "model", "g_ema"):
        if isinstance(checkpoint.get(candidate), Mapping):
            return pick_state_dict(checkpoint[candidate])
    raise WeightUnavailable(f"no state dict found in the checkpoint (top-level keys: {', '.join(map(str, checkpoint))}); "
                            "name one in the converter ref, e.g. 'module:function#g_ema'")


def _as_tensor_dict(obj: Any, weight_id: str) -> dict[str, "torch.Tensor"]:
    import torch

    if not isinstance(obj, Mapping) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise WeightUnavailable(f"the converter for '{weight_id}' must return a mapping of name -> tensor")
    # safetensors refuses shared storage and non-contiguous tensors: give each its own memory.
    return {str(k): v.detach().to("cpu").contiguous().clone() for k, v in obj.items()}


# --------------------------------------------------------------------------- process-wide store

_DEFAULT_STORE: WeightStore | None = None
_DEFAULT_LOCK = threading.Lock()


def set_default_store(store: WeightStore | None) -> None:
    """Install the process-wide store (the hub does this once it has collected every manifest)."""
    global _DEFAULT_STORE
    _DEFAULT_STORE = store


def default_store() -> WeightStore:
    """The process-wide store: the one the hub installed, else the hub's own (``hub.plugins.get_hub().weights``),
    else one holding only the built-in manifest."""
    global _DEFAULT_STORE
    if _DEFAULT_STORE is not None:
        return _DEFAULT_STORE
    try:
        from hub import plugins as _plugins  # core-shell's module: loads every plugin's manifest

        get_hub = getattr(_plugins, "get_hub", None)
        if get_hub is not None:
            store = getattr(get_hub(), "weights", None)
            if isinstance(store, WeightStore):
                return store
    except ImportError:
        pass
    with _DEFAULT_LOCK:
        if _DEFAULT_STORE is None:
            store = WeightStore()
            if BUILTIN_MANIFEST.is_file():
                store.add_manifest(BUILTIN_MANIFEST, plugin="hub")
            _DEFAULT_STORE = store
    return _DEFAULT_STORE


def resolve_weight(weight_id: str) -> Path:
    """Verified local path of a registered weight; raises ``WeightUnavailable`` with what to do."""
    return default_store().resolve(weight_id)


def load_safetensors(id_or_path: str | Path, device: str = "cpu") -> dict[str, "torch.Tensor"]:
    """Tensors of a registered weight id (resolved and verified) or of a safetensors file path."""
    from safetensors.torch import load_file

    text = str(id_or_path)
    is_path = isinstance(id_or_path, Path) or text.endswith(".safetensors") or os.sep in text
    if is_path and not (isinstance(id_or_path, str) and id_or_path in default_store()):
        path = Path(text).expanduser()
        if not path.is_file():
            raise WeightUnavailable(f"No weight file at {path}.")
    else:
        path = resolve_weight(text)
    if not _is_safetensors(path):
        raise WeightUnavailable(f"{path} is not a safetensors file; GAN Hub loads only safetensors at run time "
                                "(upstream checkpoints go through `ganhub weights convert ID`).")
    return load_file(str(path), device=device)


# --------------------------------------------------------------------------- rehash


def rehash_manifest(manifest: str | Path, ids: Sequence[str] | None = None) -> list[tuple[str, str, int]]:
    """Rewrite sha256 and size of embedded entries in place, keeping comments and layout.

    For a stand-in entry (one that has ``embedded_sha256``) those keys are rewritten instead,
    since ``sha256`` describes the Hub file. Returns ``(id, sha256, size)`` for each entry rewritten.
    """
    import yaml

    manifest = Path(manifest)
    parsed = _load_manifest(manifest)
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    doc = yaml.safe_load("".join(lines)) or {}
    raw_entries = doc.get("weights") or []
    done = []
    for (spec, standin), raw in zip(parsed, raw_entries):
        if ids and spec.id not in ids:
            continue
        if not spec.embedded:
            continue
        path = Path(spec.embedded)
        if not path.is_file():
            raise ManifestError(f"weight '{spec.id}': embedded file {path} does not exist; cannot rehash it")
        digest, size = sha256_file(path), path.stat().st_size
        sha_key, size_key = ("embedded_sha256", "embedded_size") if standin is not None else ("sha256", "size")
        start, end, indent = _entry_block(lines, spec.id)
        for key, value in ((sha_key, digest), (size_key, str(size))):
            lines, end = _set_key(lines, start, end, indent, key, value)
        done.append((spec.id, digest, size))
    text = "".join(lines)
    check = {s.id: (st, s) for s, st in _parse_text(text, manifest)}
    for wid, digest, size in done:  # the text edit must agree with a real YAML parse
        standin, spec = check[wid]
        got = (standin.sha256, standin.size) if standin is not None else (spec.sha256, spec.size)
        if got != (digest, size):
            raise ManifestError(f"rehash of '{wid}' in {manifest} did not produce the expected YAML; edit it by hand")
    tmp = manifest.with_name(f".{manifest.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, manifest)
    return done


def _parse_text(text: str, origin: Path) -> list[tuple[WeightSpec, _Standin | None]]:
    tmp = origin.with_name(f".{origin.name}.check")
    tmp.write_text(text, encoding="utf-8")
    try:
        return _load_manifest(tmp)
    finally:
        tmp.unlink(missing_ok=True)


_ITEM = re.compile(r"^(\s*)-\s+(.*)$")


def _entry_block(lines: list[str], weight_id: str) -> tuple[int, int, str]:
    """(first line, end line, key indentation) of the list item whose id is ``weight_id``."""
    id_pat = re.compile(r"^(\s*-\s+|\s+)id:\s*['\"]?" + re.escape(weight_id) + r"['\"]?\s*(#.*)?$")
    for i, line in enumerate(lines):
        m = id_pat.match(line.rstrip("\n"))
        if not m:
            continue
        start = i
        while start >= 0 and not _ITEM.match(lines[start]):
            start -= 1
        item = _ITEM.match(lines[start])
        dash_indent = len(item.group(1))
        key_indent = " " * (len(item.group(0)) - len(item.group(2)))
        end = start + 1
        while end < len(lines):
            text = lines[end]
            stripped = text.strip()
            if stripped and not stripped.startswith("#"):
                indent = len(text) - len(text.lstrip(" "))
                if indent <= dash_indent:
                    break
            end += 1
        while end > start + 1 and lines[end - 1].strip().startswith("#"):
            end -= 1  # trailing comments belong to the next section header
        return start, end, key_indent
    raise ManifestError(f"cannot find the entry for '{weight_id}' in the manifest text (flow-style YAML?); edit it by hand")


def _set_key(lines: list[str], start: int, end: int, indent: str, key: str, value: str) -> tuple[list[str], int]:
    import yaml

    if key.endswith("sha256") and not isinstance(yaml.safe_load(value), str):
        value = f'"{value}"'  # an all-digit (or 123e45-like) digest would otherwise parse as a number
    pat = re.compile(r"^(\s*-\s+|" + re.escape(indent) + r")" + re.escape(key) + r":[^#\n]*?(\s*#.*)?$")
    for i in range(start, end):
        m = pat.match(lines[i].rstrip("\n"))
        if m:
            comment = m.group(2) or ""
            lines[i] = f"{m.group(1)}{key}: {value}{comment}\n"
            return lines, end
    anchor = end  # insert after 'embedded:' when there is one, else at the end of the entry
    for i in range(start, end):
        if re.match(r"^(\s*-\s+|" + re.escape(indent) + r")embedded:", lines[i]):
            anchor = i + 1
    if anchor > 0 and not lines[anchor - 1].endswith("\n"):
        lines[anchor - 1] += "\n"
    lines.insert(anchor, f"{indent}{key}: {value}\n")
    return lines, end + 1


# --------------------------------------------------------------------------- command line


def _store_for(args: argparse.Namespace) -> WeightStore:
    manifests = getattr(args, "manifest", None)
    if manifests:
        store = WeightStore()
        for m in manifests:
            store.add_manifest(m, plugin=Path(m).stem)
        return store
    return default_store()


def _print_table(rows: list[list[Any]], header: list[str]) -> None:
    cells = [header] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header) - 1)]
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)) + "  " + r[-1])


def cmd_list(args: argparse.Namespace) -> int:
    statuses = _store_for(args).statuses()
    _print_table([s.as_row() for s in statuses], ["id", "source", "where", "size", "license", "note"])
    return 0


def cmd_fetch(args: argparse.Namespace) -> int:
    statuses = _store_for(args).fetch(args.ids or None, force=args.force)
    _print_table([s.as_row() for s in statuses], ["id", "source", "where", "size", "license", "note"])
    return 0 if all(s.where != "missing" or "convert" in s.message for s in statuses) else 1


def cmd_verify(args: argparse.Namespace) -> int:
    results = _store_for(args).verify(args.ids or None)
    bad = 0
    for s in results:
        state = "ok" if s.message == "ok" else ("MISSING" if s.path is None else "FAIL")
        bad += state == "FAIL"
        print(f"{state:8} {s.id:32} {s.where:10} {s.path or ''}" + ("" if state == "ok" else f"\n         {s.message}"))
    return 1 if bad else 0


def cmd_convert(args: argparse.Namespace) -> int:
    store = _store_for(args)
    try:
        path = store.convert(args.id, source_file=args.source_file, force=args.force)
    except WeightUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    record = json.loads(path.with_suffix(".json").read_text())
    print(f"wrote {path}\nsha256 {record['sha256']}\nsize {record['size']}")
    return 0


def cmd_rehash(args: argparse.Namespace) -> int:
    try:
        done = rehash_manifest(args.manifest_file, args.ids or None)
    except ManifestError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for wid, digest, size in done:
        print(f"{wid}: sha256 {digest} size {size}")
    return 0


def add_weights_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``weights list | fetch [ID…] | verify [ID…] | convert ID | rehash [MANIFEST]``; each sets ``func(args) -> int``."""
    weights = subparsers.add_parser("weights", help="list, fetch, verify and convert weight files",
                                    description="Weight files: where they resolve, download, check, convert.")
    sub = weights.add_subparsers(dest="weights_command", metavar="COMMAND", required=True)

    def common(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument("--manifest", action="append", metavar="YAML",
                       help="use only this manifest (repeatable) instead of every installed plugin's")
        return p

    common(sub.add_parser("list", help="every weight, its source and where it resolves")).set_defaults(func=cmd_list)
    p = common(sub.add_parser("fetch", help="download weights into the Hugging Face cache"))
    p.add_argument("ids", nargs="*", metavar="ID")
    p.add_argument("--force", action="store_true", help="download again even when cached")
    p.set_defaults(func=cmd_fetch)
    p = common(sub.add_parser("verify", help="check the sha256 of every local copy (no downloads)"))
    p.add_argument("ids", nargs="*", metavar="ID")
    p.set_defaults(func=cmd_verify)
    p = common(sub.add_parser("convert", help="upstream checkpoint -> safetensors (the only pickle reader)"))
    p.add_argument("id", metavar="ID")
    p.add_argument("--from", dest="source_file", metavar="FILE", help="a local copy of the upstream file")
    p.add_argument("--force", action="store_true", help="convert again even when converted")
    p.set_defaults(func=cmd_convert)
    p = sub.add_parser("rehash", help="rewrite sha256/size of embedded entries in a manifest, in place")
    p.add_argument("manifest_file", nargs="?", default=str(BUILTIN_MANIFEST), metavar="MANIFEST")
    p.add_argument("--id", dest="ids", action="append", metavar="ID", help="only this entry (repeatable)")
    p.set_defaults(func=cmd_rehash)
    return weights


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hub.weights list|fetch|verify|convert|rehash …`` (same as ``ganhub weights …``)."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m hub.weights")
    sub = parser.add_subparsers(dest="command", required=True)
    add_weights_cli(sub)
    args = parser.parse_args(["weights", *(argv if argv is not None else sys.argv[1:])])
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

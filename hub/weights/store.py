"""The weight store: every registered spec, where each resolves, download, verify and convert."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from hub.api import WeightSpec
from hub.weights.convert import _as_tensor_dict, _import_ref, _read_checkpoint, pick_state_dict
from hub.weights.env import REPO_ROOT, _endpoint_reachable, ganhub_cache_dir, hf_cache_dir, hf_endpoint, hf_offline, log
from hub.weights.errors import DuplicateWeightError, WeightIntegrityError, WeightUnavailable
from hub.weights.integrity import _VERIFIED, _VERIFIED_LOCK, _check_digest, _digest_cached, sha256_file
from hub.weights.manifest import _load_manifest, _Standin


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
        return f"upstream file {spec.filename} (not on the Hub)" if spec.format == "pickle" and not spec.embedded \
            else "embedded only"
    prefix = "" if spec.repo_type == "model" else f"{spec.repo_type}s/"
    return f"hf://{prefix}{spec.repo_id}/{spec.filename}@{spec.revision or 'main'}"


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
        self._convert_locks: dict[str, threading.Lock] = {}  # one conversion of a weight at a time

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

        ``download=False`` behaves as if offline (used by ``verify``). A pinned upstream pickle that is
        not converted yet is converted first, once (``auto_convert``), when the Hub can be reached.
        """
        if download:
            self.auto_convert(weight_id)  # outside the store's lock: other weights resolve meanwhile
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

    # -- automatic conversion of pinned upstream pickles --------------------------------

    def pinned_pickle(self, weight_id: str) -> bool:
        """True for an upstream pickle on the Hub whose manifest entry pins both its revision (a commit)
        and its sha256: the only kind converted without a person running ``ganhub weights convert``."""
        spec = self.spec(weight_id)
        return (spec.format == "pickle" and bool(spec.converter) and bool(spec.repo_id) and _is_commit(spec.revision)
                and bool(spec.sha256))

    def _wants_auto_conversion(self, spec: WeightSpec) -> bool:
        if not self.pinned_pickle(spec.id) or self._converted_file(spec) is not None:
            return False
        if self._override_file(spec) is not None:
            return False
        if spec.embedded and self._standin(spec) is None and Path(spec.embedded).is_file():
            return False  # the embedded file is the weight itself
        return not hf_offline() and (self._cached_file(spec) is not None or _endpoint_reachable(hf_endpoint()))

    def auto_convert(self, weight_id: str, report: Any = None) -> Path | None:
        """Convert a pinned upstream pickle once, where it is first needed; returns the converted file,
        or None when there is nothing to do (not such a pickle, already converted, or offline).

        The same path as ``ganhub weights convert ID`` (``convert``: download into the HF cache, refuse
        a file whose sha256 is not the pinned one, ``torch.load(weights_only=True)``, the converter,
        safetensors plus a sha256 record). Visible: a log line before and after, and ``report(text)``
        (default: a Gradio notice and progress line when called inside an event). A sha256 mismatch
        raises ``WeightIntegrityError``; a Hub that cannot be reached leaves resolution to its fallbacks.
        """
        spec = self.spec(weight_id)
        if not self._wants_auto_conversion(spec):
            return None
        with self._lock:
            lock = self._convert_locks.setdefault(spec.id, threading.Lock())
        with lock:
            found = self._converted_file(spec)
            if found is not None:  # converted by another request while this one waited
                return found[0]
            say = report or _ui_progress
            size = f" ({_human(spec.size)})" if spec.size else ""
            start = f"Converting '{spec.id}' once: the pinned upstream pickle {_source_str(spec)}{size} → safetensors"
            log.warning("weight %s: %s", spec.id, start)
            say(start + " …")
            import time

            t0 = time.perf_counter()
            try:
                out = self.convert(spec.id)
            except WeightIntegrityError:
                raise
            except WeightUnavailable as exc:
                log.warning("weight %s: automatic conversion not possible: %s", spec.id, exc)
                say(f"'{spec.id}' could not be converted: {exc}")
                return None
            except Exception as exc:  # the converter failed on this file: a sentence, not a traceback
                log.exception("weight %s: the converter %s failed", spec.id, spec.converter)
                raise WeightUnavailable(f"Weight '{spec.id}': converting {_source_str(spec)} failed in "
                                        f"{spec.converter} ({type(exc).__name__}: {exc}).", spec.id) from None
            done = f"Converted '{spec.id}' in {time.perf_counter() - t0:.0f} s: {out} (sha256 recorded)"
            log.warning("weight %s: %s", spec.id, done)
            say(done)
            return out

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
        unpinned = ("" if self.pinned_pickle(spec.id) else
                    " It is not converted automatically because its manifest entry does not pin "
                    + " and ".join(k for k, v in (("a commit as its revision", _is_commit(spec.revision)),
                                                  ("a sha256", spec.sha256)) if not v) + ".")
        how = (f"Run `ganhub weights convert {spec.id}` once (it downloads {_source_str(spec)} and converts it)."
               + unpinned if spec.repo_id else
               f"It is not on the Hugging Face Hub ({spec.filename}): get it from its publisher and run "
               f"`ganhub weights convert {spec.id} --from FILE` once.")
        exc = WeightUnavailable(
            f"Weight '{spec.id}' is an upstream {spec.format} checkpoint; GAN Hub loads only safetensors. {how}",
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
        if not spec.repo_id and not spec.embedded and spec.format == "pickle":
            raise WeightUnavailable(f"Weight '{spec.id}' is an upstream file that is not on the Hugging Face Hub "
                                    f"({spec.filename}); get it from its publisher and run "
                                    f"`ganhub weights convert {spec.id} --from FILE` once.", spec.id)
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
        auto = self.pinned_pickle(spec.id) and not hf_offline()
        if standin is not None and embedded is not None and embedded.is_file():
            reason = ("not converted yet: converted from the Hub on first use" if auto else
                      "not converted yet: run `ganhub weights convert " + spec.id + "`"
                      if self._needs_conversion(spec) else
                      "offline, the Hub copy is not cached" if hf_offline() else "the Hub copy is downloaded on first use")
            return make("embedded", embedded, f"embedded stand-in ({reason})", embedded.stat().st_size)
        if not spec.repo_id:
            return make("missing", None, f"embedded file missing: {spec.embedded}")
        if auto:
            return make("missing", None, "pinned upstream pickle: downloaded and converted to safetensors on first use")
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
            convert = _import_ref(converter_ref)
            # A converter that needs more than the selected state dict (e.g. rosinality's latent_avg,
            # which sits beside g_ema) says so with ``wants_source`` and gets the whole checkpoint too.
            converted = convert(state, source=checkpoint) if getattr(convert, "wants_source", False) else convert(state)
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


def _is_commit(revision: str | None) -> bool:
    """A revision that names one commit (40 hex digits), not a branch or tag that can move."""
    import re

    return bool(revision) and re.fullmatch(r"[0-9a-f]{40}", str(revision)) is not None


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _root_cause(exc: BaseException) -> str:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return f"{type(exc).__name__}: {exc}"


def _ui_progress(message: str) -> None:
    """Show a conversion's progress: a Gradio toast and, when the handler has a progress bar, its
    description; outside an event only the log has it."""
    if "gradio" not in sys.modules:
        return
    try:
        from gradio.context import LocalContext

        if LocalContext.blocks.get(None) is None or LocalContext.event_id.get(None) is None:
            return
        import gradio as gr

        gr.Info(message, duration=10)
        progress = LocalContext.progress.get(None)
        if progress is not None:
            progress(None, desc=message)
    except Exception:
        log.debug("could not show a Gradio progress line", exc_info=True)


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



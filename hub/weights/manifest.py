"""The manifest schema: YAML entries -> ``WeightSpec``s, with embedded paths made absolute."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hub.api import WeightSpec
from hub.weights.env import _HEX64, FORMATS
from hub.weights.errors import ManifestError


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
    if source and not source.get("filename"):
        raise ManifestError(f"{where}: 'source' needs a filename")
    if source and not source.get("repo_id") and raw.get("format") != "pickle":
        # only an upstream pickle may name a file that is not on the Hub: the user brings it to convert
        raise ManifestError(f"{where}: 'source' needs a repo_id (only a pickle converted with --from may omit it)")
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



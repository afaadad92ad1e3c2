"""Rewrite an embedded entry's sha256 and size in a manifest, in place, keeping comments and layout."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Sequence

from hub.api import WeightSpec
from hub.weights.errors import ManifestError
from hub.weights.integrity import sha256_file
from hub.weights.manifest import _load_manifest, _Standin


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



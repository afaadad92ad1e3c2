"""Export a trained network as an embedded weight of the plugin that owns it.

``export_embedded`` writes ``<plugin>/weights/<id>.safetensors`` (unchanged tensors keep the file, so
its sha256 stays), renders its model card ``<id>.md`` from a Markdown template with ``str.format``
fields, and rewrites the entry's sha256 and size in the plugin's ``weights.yaml``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Mapping

__all__ = ["atomic_write", "export_embedded", "render_card"]


def atomic_write(path: str | Path, data: bytes | str | Callable[[Path], None]) -> Path:
    """Write ``path`` under a temporary name and rename it: readers see the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if callable(data):
        data(tmp)
    elif isinstance(data, str):
        tmp.write_text(data, encoding="utf-8")
    else:
        tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def render_card(template: str | Path, **fields: Any) -> str:
    """A model card from a Markdown template file (or its text) with ``{field}`` placeholders."""
    text = Path(template).read_text(encoding="utf-8") if isinstance(template, Path) or (
        isinstance(template, str) and template.endswith(".md") and "\n" not in template) else str(template)
    return text.format(**fields)


def export_embedded(weight_id: str, tensors: Mapping[str, Any], card: str | Callable[[Path], str],
                    manifest: str | Path | None = None, metadata: Mapping[str, str] | None = None, *,
                    folder: str | Path | None = None) -> Path:
    """Write ``weight_id`` where ``manifest`` says it is embedded, its card, and rehash the entry.

    The manifest must already hold an entry for ``weight_id`` whose ``embedded`` path names the file.
    With ``folder`` instead, ``<folder>/<weight_id>.safetensors`` and its card are written and no
    manifest is touched (an export to look at, or a test's). ``card`` is the card's text, or a
    function of the written file's path that returns it (for cards that quote the file's digest or
    re-measure what was written). Returns the safetensors path.
    """
    from safetensors.torch import save_file

    from hub.weights import load_manifest, rehash_manifest, replace_unless_same_tensors

    if folder is not None:
        dest = Path(folder) / f"{weight_id}.safetensors"
    else:
        if manifest is None:
            raise ValueError("export_embedded needs the owning plugin's manifest, or a folder")
        manifest = Path(manifest)
        spec = {s.id: s for s in load_manifest(manifest)}.get(weight_id)
        if spec is None or not spec.embedded:
            raise ValueError(f"{manifest} has no embedded entry '{weight_id}'; add one before exporting")
        dest = Path(spec.embedded)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.new")
    save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=dict(metadata or {}))
    os.chmod(tmp, 0o644)  # package data: readable by every user of an install
    replace_unless_same_tensors(tmp, dest)
    atomic_write(dest.with_suffix(".md"), card(dest) if callable(card) else card)
    if folder is None:
        rehash_manifest(manifest, [weight_id])
    return dest

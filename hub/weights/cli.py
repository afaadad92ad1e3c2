"""``ganhub weights list | fetch | verify | convert | rehash``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Callable

from hub.weights.env import BUILTIN_MANIFEST
from hub.weights.errors import ManifestError, WeightUnavailable
from hub.weights.rehash import rehash_manifest
from hub.weights.store import WeightStore


# --------------------------------------------------------------------------- command line


def _store_for(args: argparse.Namespace) -> WeightStore:
    manifests = getattr(args, "manifest", None)
    if manifests:
        store = WeightStore()
        for m in manifests:
            store.add_manifest(m, plugin=Path(m).stem)
        return store
    factory = getattr(args, "store_factory", None)
    if factory is not None:  # the shell's: every installed plugin's weights
        return factory()
    store = WeightStore()
    store.add_manifest(BUILTIN_MANIFEST, plugin="hub")
    return store


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


def add_weights_cli(subparsers: Any, store_factory: Callable[[], WeightStore] | None = None) -> argparse.ArgumentParser:
    """Add ``weights list | fetch [ID…] | verify [ID…] | convert ID | rehash [MANIFEST]``; each sets ``func(args) -> int``.

    ``store_factory`` builds the store the commands act on (the shell passes the hub's, with every
    plugin's weights); without it only the core manifest is read.
    """
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
    weights.set_defaults(store_factory=store_factory)
    return weights



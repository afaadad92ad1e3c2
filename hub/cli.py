"""The ``ganhub`` command: serve, plugins, train, weights, data.

    ganhub serve [--host H] [--port P] [--plugins a,b] [--device cpu] [--share] [--strict] [--mcp]
    ganhub plugins [--verbose]            table of plugin statuses (exit 1 if any has an error)
    ganhub plugins --actions              every public action (API endpoint, MCP tool), markdown rows
    ganhub train NAME [args…]             a trainer registered by a plugin
    ganhub weights list|fetch|verify|convert …   (hub.weights.add_weights_cli)
    ganhub data NAME [args…]              a plugin's DatasetSpec, e.g. ``ganhub data emoji``
    ganhub spaces build [--check] [--out DIR] [--plugin NAME]   (hub.spaces: generate spaces/*)
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Sequence

__all__ = ["main", "serve", "add_serve_arguments"]


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                        help="interface to listen on (default 127.0.0.1; 0.0.0.0 to expose it)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                        help="port (default 7860)")
    parser.add_argument("--plugins", default=None,
                        help="comma list of plugins to load (sets GANHUB_PLUGINS; empty loads none)")
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1, mps or auto (sets GANHUB_DEVICE)")
    parser.add_argument("--threads", type=int, default=None,
                        help="CPU threads for torch per job (sets GANHUB_THREADS; default: half the cores, at "
                             "least 1, since a heavy and a quick job may run at once). On a machine shared with "
                             "other jobs, 1 is often several times faster")
    parser.add_argument("--share", action="store_true", help="also open a public gradio.live link (off by default)")
    parser.add_argument("--strict", action="store_true", help="any plugin error is fatal (sets GANHUB_STRICT)")
    parser.add_argument("--mcp", action="store_true",
                        help="also serve every public action as an MCP tool at /gradio_api/mcp/ (needs gradio[mcp])")


def default_threads() -> int:
    """Torch threads per job when the server is not told: half the cores, at least one."""
    return max(1, (os.cpu_count() or 2) // 2)


def apply_env(args: argparse.Namespace) -> None:
    """Flags become env vars so that everything (including a fresh default hub) sees them."""
    if getattr(args, "plugins", None) is not None:
        os.environ["GANHUB_PLUGINS"] = args.plugins
    if getattr(args, "device", None):
        os.environ["GANHUB_DEVICE"] = args.device
    if getattr(args, "threads", None):
        os.environ["GANHUB_THREADS"] = str(args.threads)
    elif hasattr(args, "threads"):
        # The served hub runs a heavy and a quick job side by side; torch's default (one thread per core,
        # for each job) oversubscribes the cores, and threads then wait for each other at every op.
        os.environ.setdefault("GANHUB_THREADS", str(default_threads()))
    if getattr(args, "strict", False):
        os.environ["GANHUB_STRICT"] = "1"
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


def serve(args: argparse.Namespace) -> int:
    apply_env(args)
    from hub.plugins import Hub, PluginError, set_default_hub

    try:
        hub = Hub()  # plugins load before gradio is imported: a strict failure exits fast
        set_default_hub(hub)
        from hub.app import build_app

        blocks = build_app(hub=hub)
    except PluginError as exc:
        print(f"ganhub: {exc} (--strict makes plugin errors fatal)", file=sys.stderr)
        return 2
    for notice in hub.notices:
        print(f"ganhub: notice: {notice}", file=sys.stderr)
    for name, errors in blocks.ganhub.errors.items():
        print(f"ganhub: plugin {name!r} has {len(errors)} error(s): {errors[0].splitlines()[0]}", file=sys.stderr)
    from hub.app import launch_settings, serve_settings

    serve_settings(blocks).launch(server_name=args.host, server_port=args.port, share=args.share,
                                  **launch_settings(mcp=args.mcp or None))
    return 0


def _plugins(args: argparse.Namespace) -> int:
    apply_env(args)
    from hub.plugins import Hub, describe

    hub = Hub()
    if args.actions:  # the list in docs/plugins.md ("Public actions"), from the built app
        from hub.app import build_app, public_actions

        for name, summary in public_actions(build_app(hub=hub)):
            print(f"| `{name}` | {summary.replace('|', '/')} |")
        return 1 if hub.errors else 0
    rows = [["plugin", "version", "load ms", "state", "registered", "problem"], *describe(hub.statuses)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)), row[-1])
    for notice in hub.notices:
        print(f"notice: {notice}")
    if args.verbose:
        for name, errors in hub.errors.items():
            for error in errors:
                print(f"\n--- {name} ---\n{error}")
    return 1 if hub.errors else 0


def _train(args: argparse.Namespace) -> int:
    from hub.plugins import get_hub

    trainers = get_hub().trainers
    if args.name in (None, "list"):  # (--help is argparse's own)
        for name in sorted(trainers):
            print(f"{name:20s} {trainers[name].help}  ({trainers[name].plugin})")
        print("ganhub train NAME --help shows a trainer's own options")
        return 0
    if args.name not in trainers:
        known = ", ".join(sorted(trainers)) or "none (no plugin registered a trainer)"
        print(f"ganhub train: no trainer {args.name!r}; available: {known}", file=sys.stderr)
        return 2
    result = trainers[args.name].main(list(args.args))
    return int(result or 0)


def _data(args: argparse.Namespace) -> int:
    from hub.plugins import get_hub

    datasets = get_hub().datasets
    if args.name in (None, "list"):
        for name in sorted(datasets):
            print(f"{name:20s} {datasets[name].help}  ({datasets[name].plugin})")
        return 0
    if args.name not in datasets:
        known = ", ".join(sorted(datasets)) or "none (no plugin registered a dataset builder)"
        print(f"ganhub data: no dataset builder {args.name!r}; available: {known}", file=sys.stderr)
        return 2
    return int(datasets[args.name].main(list(args.args)) or 0)


def _hub_store():
    from hub.plugins import get_hub

    return get_hub().weights


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ganhub", description="GAN Hub: GAN image-editing demos as plugins")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser("serve", help="start the web app")
    add_serve_arguments(serve_parser)
    serve_parser.set_defaults(func=serve)

    plugins_parser = commands.add_parser("plugins", help="list plugins and their status")
    plugins_parser.add_argument("--plugins", default=None, help="comma allowlist, as for serve")
    plugins_parser.add_argument("-v", "--verbose", action="store_true", help="print tracebacks")
    plugins_parser.add_argument("--actions", action="store_true",
                                help="print every public action (API endpoint and MCP tool) as markdown table rows")
    plugins_parser.set_defaults(func=_plugins)

    train_parser = commands.add_parser("train", help="run a trainer registered by a plugin")
    train_parser.add_argument("name", nargs="?", help="a trainer (none or 'list': list them)")
    train_parser.add_argument("args", nargs=argparse.REMAINDER)
    train_parser.set_defaults(func=_train)

    data_parser = commands.add_parser("data", help="build a dataset registered by a plugin")
    data_parser.add_argument("name", nargs="?", help="a dataset builder (none or 'list': list them)")
    data_parser.add_argument("args", nargs=argparse.REMAINDER)
    data_parser.set_defaults(func=_data)

    # `ganhub weights …` belongs to hub.weights; it adds its own subcommands here.
    try:
        from hub.weights import add_weights_cli
    except ImportError:
        add_weights_cli = None
    if add_weights_cli is not None:
        add_weights_cli(commands, store_factory=_hub_store)
    # `ganhub spaces build|stage …` belongs to hub.spaces (the Hugging Face Spaces generator).
    from hub.spaces import add_spaces_cli

    add_spaces_cli(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `train`/`data` pass everything after NAME through untouched (including --help).
    if len(argv) >= 2 and argv[0] in {"train", "data"}:
        namespace = argparse.Namespace(command=argv[0], name=argv[1], args=argv[2:])
        return (_train if argv[0] == "train" else _data)(namespace)
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())

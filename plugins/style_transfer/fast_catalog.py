"""Which fast-style models there are: the registered ones and the user's own, found without torch
(the tab lists them while it builds; ``plugins.style_transfer.fast`` loads them)."""

from __future__ import annotations

from pathlib import Path


def user_models_dir() -> Path:
    """Where ``ganhub train fast-style --style IMAGE`` puts the models it makes ($GANHUB_CACHE/fast-style)."""
    import os

    return Path(os.environ.get("GANHUB_CACHE", Path.home() / ".cache" / "ganhub")) / "fast-style"


def user_models() -> dict[str, Path]:
    """Models made by ``ganhub train fast-style`` ($GANHUB_CACHE/fast-style/*.safetensors)."""
    d = user_models_dir()
    return {f"fast-style-user-{p.stem}": p for p in sorted(d.glob("*.safetensors"))} if d.is_dir() else {}


def list_models(registered=()) -> dict[str, str]:
    """{model name: one line} of every fast-style model found: the registered ones whose weights can be had
    now (embedded; public once converted) and the user's own."""
    out = {}
    for name in registered:
        out[name] = name
    for name, path in user_models().items():
        out[name] = f"{name} (yours: {path})"
    return out

"""The whole plugin contract. docs/plugins.md mirrors it; tests/test_hookspecs_docs.py checks both agree.

Every hook receives a ``register`` callback and calls it once per thing it provides.
The hub records which plugin registered what, so ids collide loudly, never silently.
"""

from __future__ import annotations

from typing import Callable

import pluggy

from hub.api import DatasetSpec, Demo, ModelSpec, TrainerSpec, WeightSpec

PROJECT = "ganhub"
hookspec = pluggy.HookspecMarker(PROJECT)


@hookspec
def register_weights(register: Callable[[WeightSpec | str], None]) -> None:
    """Register weight files: a ``WeightSpec``, or the path of a manifest YAML listing many."""


@hookspec
def register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register loadable models: name, family, interface, builder and the weight ids it needs."""


@hookspec
def register_demos(register: Callable[[Demo], None]) -> None:
    """Register Gradio tabs: each ``Demo`` builds its components inside the tab the hub opens."""


@hookspec
def register_trainers(register: Callable[[TrainerSpec], None]) -> None:
    """Register training commands, run as ``ganhub train NAME [args…]``."""


@hookspec
def register_datasets(register: Callable[[DatasetSpec], None]) -> None:
    """Register dataset builders, run as ``ganhub data NAME [args…]``."""

"""A trainer's or dataset builder's ``main`` may be a ``"package.module:function"`` string, imported on call."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from hub.api import DatasetSpec, EntryPoint, TrainerSpec


def _module(tmp_path, monkeypatch, name: str, body: str) -> None:
    (tmp_path / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)


def test_a_string_main_is_imported_only_when_called(tmp_path, monkeypatch):
    _module(tmp_path, monkeypatch, "ganhub_lazy_trainer", "CALLS = []\ndef main(argv):\n    CALLS.append(argv)\n    return 3\n")
    spec = TrainerSpec(name="lazy", main="ganhub_lazy_trainer:main")
    assert "ganhub_lazy_trainer" not in sys.modules
    assert spec.main == EntryPoint("ganhub_lazy_trainer:main")
    assert spec.main(("--steps", "2")) == 3
    assert sys.modules["ganhub_lazy_trainer"].CALLS == [["--steps", "2"]]


def test_the_registry_copy_keeps_the_entry_point(tmp_path, monkeypatch):
    _module(tmp_path, monkeypatch, "ganhub_lazy_data", "def build(argv):\n    return len(argv)\n")
    spec = dataclasses.replace(DatasetSpec(name="lazy", main="ganhub_lazy_data:build"), plugin="p")
    assert spec.main == EntryPoint("ganhub_lazy_data:build") and spec.main(["a", "b"]) == 2


def test_a_callable_main_is_kept_as_it_is():
    def main(argv):
        return 0

    assert TrainerSpec(name="t", main=main).main is main
    assert DatasetSpec(name="d", main=main).main is main


@pytest.mark.parametrize("target", ["no_colon", "pkg.mod:", ":main", "pkg..mod:main", "pkg.mod:main()", "a b:c"])
def test_a_malformed_string_is_refused_at_registration(target):
    with pytest.raises(ValueError, match="package.module:function"):
        TrainerSpec(name="bad", main=target)


def test_a_missing_function_is_named_when_called(tmp_path, monkeypatch):
    _module(tmp_path, monkeypatch, "ganhub_lazy_empty", "")
    spec = TrainerSpec(name="empty", main="ganhub_lazy_empty:main")
    with pytest.raises(AttributeError, match="ganhub_lazy_empty:main"):
        spec.main([])
    with pytest.raises(ModuleNotFoundError):
        TrainerSpec(name="gone", main="ganhub_no_such_module:main").main([])


def test_every_builtin_command_resolves_to_a_function():
    """A typo in a built-in's ``"module:function"`` would otherwise show only when someone runs it."""
    from hub.plugins import Hub

    hub = Hub(strict=True)
    specs = list(hub.trainers.values()) + list(hub.datasets.values())
    assert {"stylegan2", "emoji-classifier", "attribute-directions"} <= set(hub.trainers)
    assert "emoji" in hub.datasets
    for spec in specs:
        main = spec.main.resolve() if isinstance(spec.main, EntryPoint) else spec.main
        assert callable(main), spec.name

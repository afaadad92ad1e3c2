"""Discovery and isolation: every way a plugin can fail is recorded and the rest still load."""

from __future__ import annotations

from pathlib import Path

import pytest

import ganhub_fixture_plugins as fx
from hub.api import WeightSpec
from hub.plugins import CORE, Hub, PluginError, get_hub, set_default_hub
from hub.testing import make_hub

BROKEN_DIST = Path(__file__).resolve().parent / "fixtures" / "broken_dist"


def test_good_plugins_register_everything():
    hub = make_hub([fx.ImageFx(), fx.TinyModels()], strict=True)
    assert set(hub.demos) == {"imagefx-invert", "imagefx-blur"}
    assert hub.models.names() == ["vgg19", "vgg16", "tiny-a", "tiny-b", "tiny-c"]  # the core's VGG taps first
    assert set(hub.trainers) == {"tiny"}
    assert hub.errors == {}
    assert hub.demos["imagefx-blur"].plugin == "imagefx"  # the registry fills in the owner
    assert hub.models.spec("tiny-a").plugin == "tiny"
    assert hub.trainers["tiny"].plugin == "tiny"
    status = hub.statuses["tiny"]
    assert status.ok and status.registered["models"] == ["tiny-a", "tiny-b", "tiny-c"]
    assert status.summary() == "3 models, 1 trainer"
    assert [d.id for d in hub.sorted_demos()] == ["imagefx-invert", "imagefx-blur"]


def test_builtin_manifest_is_loaded_into_the_store():
    hub = make_hub([])
    import yaml

    from hub.plugins import BUILTIN_MANIFEST

    listed = [entry["id"] for entry in (yaml.safe_load(BUILTIN_MANIFEST.read_text())["weights"] or [])]
    assert [spec.id for spec in hub.weights.specs()] == listed
    assert hub.statuses[CORE].registered["weights"] == listed
    assert hub.statuses[CORE].registered["models"] == ["vgg19", "vgg16"]
    assert hub.models.spec("vgg19").offline and hub.models.spec("vgg19").related == {"imagenet": "vgg19-tv-in1k"}


def test_raising_hook_is_recorded_and_the_plugins_other_hooks_still_run():
    hub = make_hub([fx.RaisingHook(), fx.ImageFx()])
    status = hub.statuses["raising"]
    assert status.state == "error"
    assert "models hook exploded" in status.errors[0] and "Traceback" in status.errors[0]
    assert "raising-ok" in hub.demos  # its demos hook ran anyway
    assert hub.statuses["imagefx"].ok and "imagefx-invert" in hub.demos


def test_duplicate_ids_are_refused_and_blamed_on_the_late_comer():
    hub = make_hub([fx.ImageFx(), fx.TinyModels(), fx.Duplicates()])
    errors = "\n".join(hub.statuses["duplicates"].errors)
    assert "'tiny-a' is already registered by plugin 'tiny'" in errors
    assert "'imagefx-invert' is already registered by plugin 'imagefx'" in errors
    assert "trainer 'tiny' is already registered" in errors
    assert hub.demos["imagefx-invert"].plugin == "imagefx" and hub.models.spec("tiny-a").plugin == "tiny"
    assert "duplicates-fresh" in hub.demos  # its other registrations stand
    assert hub.statuses["imagefx"].ok and hub.statuses["tiny"].ok


class _Weights:
    def __init__(self, name, weight_id):
        self.name, self.weight_id = name, weight_id

    from hub import hookimpl

    @hookimpl
    def register_weights(self, register):
        register(WeightSpec(id=self.weight_id, filename="x.safetensors", repo_id="someone/x"))


def test_duplicate_weight_id_is_refused():
    hub = make_hub([_Weights("first", "fixture-w"), _Weights("second", "fixture-w")])
    assert hub.statuses["first"].ok and hub.statuses["first"].registered["weights"] == ["fixture-w"]
    assert hub.statuses["second"].state == "error" and "fixture-w" in hub.statuses["second"].errors[0]
    assert [s.id for s in hub.weights.specs()].count("fixture-w") == 1


def test_misspelled_hook_is_caught_by_check_pending():
    hub = make_hub([fx.Misspelled(), fx.ImageFx()])
    (error,) = hub.statuses["misspelled"].errors
    assert "'register_model' is not a ganhub hook" in error and "Did you mean 'register_models'" in error
    assert "never" not in hub.models.names() and hub.statuses["imagefx"].ok


@pytest.mark.parametrize(
    "plugin, needle",
    [
        (fx.WrongSignature(), "reg"),
        (fx.WrongType(), "expected a ModelSpec, got Demo"),
        (fx.MissingWeights(), "ghost-weights"),
    ],
)
def test_other_contract_violations_are_recorded(plugin, needle):
    hub = make_hub([plugin, fx.ImageFx()])
    assert hub.statuses[plugin.name].state == "error"
    assert needle in hub.statuses[plugin.name].errors[0]
    assert hub.statuses["imagefx"].ok


@pytest.mark.parametrize("plugin", [fx.RaisingHook(), fx.Misspelled(), fx.Duplicates(), fx.WrongType()])
def test_strict_makes_any_plugin_error_fatal(plugin):
    plugins = [fx.ImageFx(), fx.TinyModels(), plugin]
    with pytest.raises(PluginError, match=plugin.name):
        make_hub(plugins, strict=True)


def test_strict_from_env(monkeypatch):
    monkeypatch.setenv("GANHUB_STRICT", "1")
    with pytest.raises(PluginError):
        Hub(entry_points=False, plugins=[fx.RaisingHook()])


def test_module_path_that_fails_to_import_is_recorded():
    hub = make_hub(["ganhub_no_such_plugin_module", fx.ImageFx()])
    status = hub.statuses["ganhub_no_such_plugin_module"]
    assert status.state == "error" and "ModuleNotFoundError" in status.errors[0]
    assert "imagefx-invert" in hub.demos


def test_module_plugin_is_named_after_its_module():
    hub = make_hub(["ganhub_fixture_module_plugin"], strict=True)
    assert hub.statuses["ganhub_fixture_module_plugin"].version == "1.2.3"
    assert "module-demo" in hub.demos


# ------------------------------------------------------------- entry points
def test_entry_point_that_raises_on_import_is_recorded(monkeypatch):
    monkeypatch.syspath_prepend(str(BROKEN_DIST))  # a fake installed dist with a `ganhub` entry point
    hub = Hub(allow=["broken_fixture"], block=[], plugins=[fx.ImageFx()])
    status = hub.statuses["broken_fixture"]
    assert status.state == "error"
    assert "fails on import on purpose" in status.errors[0]
    assert status.version == "0.1" and "ganhub_broken_plugin" in status.source
    assert hub.statuses["imagefx"].ok and "imagefx-invert" in hub.demos
    # everything else that is installed is listed as disabled, not loaded
    others = [s for n, s in hub.statuses.items() if n not in {"broken_fixture", "imagefx", CORE}]
    assert others and all(s.state == "disabled" for s in others)


def test_broken_entry_point_does_not_stop_the_app(monkeypatch):
    from hub.app import build_app

    monkeypatch.syspath_prepend(str(BROKEN_DIST))
    app = build_app(hub=Hub(allow=["broken_fixture"], block=[], plugins=[fx.ImageFx()]))
    assert app.ganhub.statuses["broken_fixture"].state == "error"
    assert "imagefx_invert" in app.ganhub_api_names


def test_allowlist_env_empty_means_none(monkeypatch):
    monkeypatch.syspath_prepend(str(BROKEN_DIST))
    monkeypatch.setenv("GANHUB_PLUGINS", "")
    hub = Hub()
    loaded = [n for n, s in hub.statuses.items() if s.state != "disabled"]
    assert loaded == [CORE]
    assert hub.statuses["broken_fixture"].state == "disabled"


def test_blocklist_env_and_unknown_allowlist_name(monkeypatch):
    monkeypatch.syspath_prepend(str(BROKEN_DIST))
    monkeypatch.setenv("GANHUB_PLUGINS", "broken_fixture,no_such_plugin")
    monkeypatch.setenv("GANHUB_DISABLE", "broken_fixture")
    hub = Hub()
    assert hub.statuses["broken_fixture"].state == "disabled"
    assert "GANHUB_DISABLE" in hub.statuses["broken_fixture"].source
    assert any("no_such_plugin" in notice for notice in hub.notices)
    assert hub.errors == {}


def test_strict_entry_point_import_error(monkeypatch):
    monkeypatch.syspath_prepend(str(BROKEN_DIST))
    with pytest.raises(PluginError, match="broken_fixture"):
        Hub(allow=["broken_fixture"], strict=True)


def test_default_hub_is_lazy_and_replaceable(monkeypatch):
    monkeypatch.setenv("GANHUB_PLUGINS", "")
    previous = set_default_hub(None)
    try:
        first = get_hub()
        assert get_hub() is first and first.loaded
        mine = make_hub([fx.TinyModels()])
        set_default_hub(mine)
        assert get_hub() is mine
    finally:
        set_default_hub(previous)


def test_use_plugins_registers_for_one_block_only():
    from hub.testing import use_plugins

    before = get_hub.__globals__["_default"]
    with use_plugins(fx.TinyModels()) as hub:
        assert get_hub() is hub and "tiny-a" in hub.models.names()
    assert get_hub.__globals__["_default"] is before


def test_the_plugin_template_registers_strictly(monkeypatch):
    root = Path(__file__).resolve().parent.parent
    monkeypatch.syspath_prepend(str(root / "templates" / "plugin"))
    import ganhub_myplugin.plugin as ganhub_myplugin  # the registration module, as the entry point names it

    from hub.testing import make_app

    app = make_app([("myplugin", ganhub_myplugin)], strict=True)
    assert "myplugin_posterize" in app.ganhub_api_names
    assert app.ganhub.statuses["myplugin"].registered["weights"] == []  # its own (empty) weights.yaml


class _AsksForTheHub:
    name = "reentrant"

    from hub import hookimpl

    @hookimpl
    def register_models(self, register):
        get_hub()


def test_a_hook_that_asks_for_the_default_hub_fails_instead_of_deadlocking(monkeypatch):
    from hub.plugins import set_default_hub

    monkeypatch.setenv("GANHUB_PLUGINS", "")
    previous = set_default_hub(None)
    try:
        import hub.plugins as plugins

        original = plugins.Hub

        class WithReentrant(original):
            def __init__(self, **kwargs):
                super().__init__(plugins=[_AsksForTheHub()], **kwargs)

        monkeypatch.setattr(plugins, "Hub", WithReentrant)
        hub = get_hub()
        assert "still loading" in hub.statuses["reentrant"].errors[0]
    finally:
        set_default_hub(previous)

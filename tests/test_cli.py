"""The ``ganhub`` command and ``python app.py``."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import ganhub_fixture_plugins as fx
from hub.cli import main
from hub.testing import free_port, use_plugins

ROOT = Path(__file__).resolve().parent.parent
BROKEN_DIST = ROOT / "tests" / "fixtures" / "broken_dist"


def test_plugins_table(monkeypatch, capsys):
    monkeypatch.setenv("GANHUB_PLUGINS", "")
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:4] == ["plugin", "version", "load", "ms"]
    assert any(line.startswith("hub ") and " ok " in line for line in out.splitlines())


def test_plugins_table_reports_a_broken_plugin(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(BROKEN_DIST))
    assert main(["plugins", "--plugins", "broken_fixture", "-v"]) == 1
    out = capsys.readouterr().out
    assert "broken_fixture" in out and "error" in out and "Traceback" in out


def test_train_dispatches_to_the_plugins_trainer(capsys):
    with use_plugins(fx.TinyModels()):
        assert main(["train", "tiny", "--steps", "3", "--help"]) == 0
        assert fx.TRAINER_CALLS[-1] == ["--steps", "3", "--help"]  # passed through untouched
        assert main(["train", "nope"]) == 2
    assert "no trainer 'nope'; available: tiny" in capsys.readouterr().err
    with use_plugins(fx.TinyModels()):
        assert main(["train"]) == 0  # no name: the list, with each trainer's help and plugin
    assert capsys.readouterr().out.startswith("tiny ")


def test_every_builtin_trainer_is_registered(monkeypatch, capsys):
    """A trainer a built-in plugin ships is a TrainerSpec, the attribute classifier's and the directions job included."""
    monkeypatch.delenv("GANHUB_PLUGINS", raising=False)
    monkeypatch.delenv("GANHUB_DISABLE", raising=False)
    with use_plugins(entry_points=True):  # the installed built-ins
        assert main(["train"]) == 0
    names = {line.split()[0] for line in capsys.readouterr().out.splitlines() if line.strip()}
    assert {"stylegan2", "stylegan2-encoder", "emoji-classifier", "attribute-directions", "srgan", "text_to_image",
            "adain"} <= names, names


def test_data_dispatches_to_registered_dataset_builders(capsys, monkeypatch):
    from hub import DatasetSpec, hookimpl

    calls = []

    class Cats:
        @hookimpl
        def register_datasets(self, register):
            register(DatasetSpec(name="cats", main=lambda argv: calls.append(list(argv)) or 0, help="cat faces"))

    with use_plugins(Cats()):
        assert main(["data", "cats", "--resolution", "32"]) == 0
        assert calls == [["--resolution", "32"]]
        assert main(["data", "no_such_dataset"]) == 2
        assert "no dataset builder 'no_such_dataset'; available: cats" in capsys.readouterr().err
        assert main(["data"]) == 0
        assert capsys.readouterr().out.startswith("cats ")


def test_weights_subcommand_is_delegated(capsys):
    pytest.importorskip("hub.weights").add_weights_cli  # provided by hub/weights.py
    assert main(["weights", "list", "--manifest", str(ROOT / "weights_manifest.yaml")]) == 0
    assert capsys.readouterr().out.split()[:3] == ["id", "source", "where"]


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("serve", "plugins", "train", "weights", "data"):
        assert command in out


def _env(**extra):
    env = dict(os.environ, GRADIO_ANALYTICS_ENABLED="False", PYTHONPATH=os.pathsep.join(
        [str(BROKEN_DIST), str(ROOT), os.environ.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


@pytest.mark.slow
def test_python_app_py_serves_with_a_plugin_that_fails_to_import():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port), "--plugins", "broken_fixture", "--device", "cpu"],
        cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status = time.monotonic() + 90, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.2)
        assert status == 200, "the hub did not start"
        from gradio_client import Client

        header, plugins, _, _ = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(api_name="/hub_status")
        rows = {row[0]: row for row in plugins["data"]}
        assert rows["broken_fixture"][3] == "error" and "fails on import on purpose" in rows["broken_fixture"][5]
        assert "`cpu`" in header
    finally:
        process.terminate()
        output = process.communicate(timeout=30)[0]
    assert "plugin 'broken_fixture' has 1 error(s)" in output


def test_strict_start_fails_fast_on_a_broken_plugin():
    result = subprocess.run([sys.executable, "app.py", "--plugins", "broken_fixture", "--strict",
                             "--port", str(free_port())], cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=90)
    assert result.returncode == 2
    assert "broken_fixture" in result.stderr and "--strict" in result.stderr


def test_the_served_hub_defaults_to_half_the_cores_per_job(monkeypatch):
    from hub.cli import apply_env, build_parser, default_threads

    monkeypatch.delenv("GANHUB_THREADS", raising=False)
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert default_threads() == 1
    apply_env(build_parser().parse_args(["serve"]))
    assert os.environ["GANHUB_THREADS"] == "1"
    monkeypatch.setenv("GANHUB_THREADS", "3")  # the user's own setting wins over the default
    apply_env(build_parser().parse_args(["serve"]))
    assert os.environ["GANHUB_THREADS"] == "3"
    apply_env(build_parser().parse_args(["serve", "--threads", "2"]))
    assert os.environ["GANHUB_THREADS"] == "2"
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert default_threads() == 8

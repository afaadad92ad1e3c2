"""Shared test setup: the core fixture plugins are importable, Gradio stays offline and quiet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
sys.path.insert(0, str(FIXTURES))  # ganhub_fixture_plugins (fixture plugins for the core tests)
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")


@pytest.fixture
def launch():
    """``url = launch(app)``: serve a Blocks on a free 127.0.0.1 port until the test ends."""
    from contextlib import ExitStack

    from hub.testing import launch_for_test

    with ExitStack() as stack:
        yield lambda app: stack.enter_context(launch_for_test(app))


CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (no browser download); skipped where either is missing."""
    import shutil

    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.skip("chromium is not installed (apt-get install chromium)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _restore_plugin_env():
    """`ganhub --plugins X` sets GANHUB_PLUGINS in-process (for the app it starts); keep that out of later tests."""
    saved = {k: os.environ.get(k) for k in ("GANHUB_PLUGINS", "GANHUB_DISABLE")}
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def terminate_when_training():
    """``run(argv, ready, env=None) -> (returncode, output)``: start ``python -m argv`` in the repo, wait
    for an output line starting with ``ready`` (it is training), send SIGTERM as a session ending does,
    and collect the rest. For the trainers' checkpoint-on-signal tests."""
    import signal
    import subprocess

    def run(argv, ready, env=None):
        proc = subprocess.Popen([sys.executable, "-m", *argv], cwd=Path(__file__).resolve().parents[1],
                                env=dict(os.environ, PYTHONUNBUFFERED="1", **(env or {})),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            for line in proc.stdout:
                if line.startswith(ready):
                    break
            proc.send_signal(signal.SIGTERM)
            output = proc.communicate(timeout=120)[0]
            return proc.returncode, output
        finally:
            if proc.poll() is None:
                proc.kill()

    return run

"""docs/plugins.md's author's path, walked: every command of its author-path blocks runs here, from
templates/plugin/ to an installed plugin, a wheel, a generated Space that is served, and its tab
answering through gradio_client. The plugin is installed into the current environment and
uninstalled at the end."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
import yaml
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "plugins.md"


def _block(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:begin -->\s*```bash\n(.*?)```\s*<!-- {name}:end -->", text, re.S)
    assert match, f"docs/plugins.md lacks the {name} block"
    return match.group(1)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("GANHUB_PLUGINS", "GANHUB_DISABLE", "SPACES_ZERO_GPU",
                                                            "GANHUB_SPACE_NO_LAUNCH", "PYTHONPATH")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"  # pip, ganhub, python: ours
    env.update(GANHUB=str(ROOT), HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False", PIP_NO_INDEX="1",
               PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


def test_the_documented_blocks_name_the_stable_api_and_the_commands():
    text = DOC.read_text(encoding="utf-8")
    assert "`hub` top level" in text or "from hub import" in text
    assert "templates/plugin" in _block("author-path") and "ganhub spaces build --plugin" in _block("author-path")
    assert _block("author-path-serve").strip().startswith("python ")


@pytest.mark.slow
def test_author_path_from_template_to_a_served_space(tmp_path):
    from gradio_client import Client, handle_file

    from hub.testing import free_port

    script, serve, cleanup = _block("author-path"), _block("author-path-serve"), _block("author-path-cleanup")
    project = tmp_path / "ganhub-cats"
    server = None
    try:
        walk = subprocess.run(["bash", "-e", "-x", "-c", script], cwd=tmp_path, env=_env(), capture_output=True,
                              text=True, timeout=900)
        assert walk.returncode == 0, walk.stdout[-4000:] + walk.stderr[-4000:]
        assert re.search(r"^cats\s+0\.1\.0\s+\d+\s+ok\b", walk.stdout, re.M), walk.stdout  # ganhub plugins
        assert re.search(r"\d+ passed", walk.stdout), walk.stdout  # the template's own tests
        assert (project / "dist" / "ganhub_cats-0.1.0-py3-none-any.whl").is_file()
        space = project / "space" / "cats"
        assert (space / "requirements.txt").read_text().split() == ["ganhub==0.1.0", "ganhub-cats==0.1.0"]
        meta = yaml.safe_load((space / "README.md").read_text(encoding="utf-8").split("---\n")[1])
        from test_spaces import schema_errors

        assert schema_errors(meta) == [] and meta["sdk"] == "gradio"
        assert "'cats': 'ganhub_cats.plugin'" in (space / "app.py").read_text()

        port = free_port()
        server = subprocess.Popen(["bash", "-c", serve], cwd=project, env=_env(GRADIO_SERVER_PORT=str(port)),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  start_new_session=True)
        url, deadline = f"http://127.0.0.1:{port}/", time.time() + 240
        while time.time() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(1)
        else:
            pytest.fail(f"the Space did not answer: {server.stdout.read() if server.poll() is not None else ''}")
        ramp = np.tile(np.linspace(0, 255, 48, dtype=np.float32), (16, 1))
        source = tmp_path / "ramp.png"
        Image.fromarray(np.stack([ramp] * 3, axis=2).astype(np.uint8)).save(source)
        out = Client(url, verbose=False).predict(handle_file(str(source)), 2, api_name="/cats_posterize")
        assert set(np.unique(np.asarray(Image.open(out))).tolist()) == {0, 255}
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        subprocess.run(["bash", "-e", "-c", cleanup], cwd=tmp_path, env=_env(), capture_output=True, timeout=300)
    from importlib.metadata import PackageNotFoundError, distribution

    with pytest.raises(PackageNotFoundError):
        distribution("ganhub-cats")

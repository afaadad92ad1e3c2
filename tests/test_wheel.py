"""A built wheel carries every embedded weight and works offline in a clean venv outside the checkout.

``pip wheel .`` then ``pip install --no-deps`` into a new venv in a temporary folder. The venv borrows
the test venv's third-party packages (torch, gradio ...) through a ``.pth`` line, which adds that
folder to ``sys.path`` without running its ``.pth`` files, so the checkout's editable install stays
out and ``hub`` and ``plugins`` can come only from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import json, os, sys
import hub
from hub.plugins import Hub
checkout = os.environ["CHECKOUT"]
h = Hub(allow=["emoji", "stylegan2", "srgan", "text_to_image", "attribute_vectors", "style_transfer"])
embedded = [s for s in h.weights.specs() if s.embedded]
verified = [st.id for st in h.weights.verify([s.id for s in embedded]) if st.where == "embedded"]
G = h.models.get_model("stylegan2-emoji64")
import torch
with torch.no_grad():
    img = G.synthesis(G.mapping(torch.randn(1, G.z_dim)))
print(json.dumps({
    "hub": hub.__file__, "errors": h.errors, "embedded": sorted(s.id for s in embedded),
    "outside": sorted(s.id for s in embedded if s.embedded.startswith(checkout)),
    "verified": sorted(verified), "image": list(img.shape),
}))
"""


@pytest.mark.slow
def test_built_wheel_carries_the_embedded_weights_and_works_offline(tmp_path):
    wheels = tmp_path / "wheels"
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # setuptools would pack stale files left there
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(ROOT)], check=True, cwd=tmp_path)
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    wheel = next(wheels.glob("ganhub-*.whl"))
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "borrowed-third-party.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, cwd=tmp_path)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "CHECKOUT": str(ROOT), "GANHUB_CACHE": str(tmp_path / "cache"),
           "HF_HOME": str(tmp_path / "hf")}
    env.pop("PYTHONPATH", None)
    out = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["hub"].startswith(str(site)), report["hub"]
    assert report["errors"] == {}
    assert {"vgg19-random", "emoji-attribute-classifier", "stylegan2-emoji64", "srgan-srresnet-x4",
            "text-to-image-emoji64", "stylegan2-emoji64-directions"} <= set(report["embedded"])
    assert report["outside"] == [], "an embedded path points into the checkout"
    assert report["verified"] == report["embedded"], "every embedded file is in the wheel and sha256-checked"
    assert report["image"] == [1, 3, 64, 64]

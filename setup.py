"""Build hook: the wheel carries the core's manifest and embedded weights.

In a checkout they sit at the top level (``weights_manifest.yaml``, ``weights/``), outside every
package, so setuptools would leave them out of the wheel; this copies them into ``hub/_core/``,
where ``hub.weights.env.BUILTIN_MANIFEST`` finds them when there is no checkout around the code.
Everything else is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithCoreWeights(build_py):
    def run(self):
        super().run()
        dest = Path(self.build_lib) / "hub" / "_core"
        (dest / "weights").mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "weights_manifest.yaml", dest / "weights_manifest.yaml")
        for path in sorted((ROOT / "weights").iterdir()):
            if path.suffix in (".safetensors", ".md", ".png"):
                shutil.copy2(path, dest / "weights" / path.name)


setup(cmdclass={"build_py": BuildPyWithCoreWeights})

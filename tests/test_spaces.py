"""spaces/* are generated: the committed folders equal what `ganhub spaces build` writes, every front
matter follows the Spaces configuration reference, and every Space's app.py builds (no ZeroGPU, no
`spaces` package); one Space is launched for real and answers HTTP 200."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

import pytest
import yaml

from hub import spaces as gen
from hub.cli import main as ganhub

ROOT = Path(__file__).resolve().parent.parent
SPACES = ROOT / "spaces"
COMMITTED = sorted(p.parent.name for p in SPACES.glob("*/app.py"))

# --- the Spaces configuration reference (huggingface.co/docs/hub/spaces-config-reference), as a schema:
# key -> (type, allowed values or None). Written from the reference; anything else is refused.
COLOURS = {"red", "yellow", "green", "blue", "indigo", "purple", "pink", "gray"}
HARDWARE = {"cpu-basic", "cpu-upgrade", "zero-a10g", "t4-small", "t4-medium", "l4x1", "l4x4", "l40sx1", "l40sx4",
            "l40sx8", "a10g-small", "a10g-large", "a10g-largex2", "a10g-largex4", "a100-large", "a100x4", "a100x8"}
SCHEMA: dict[str, tuple[type, object]] = {
    "title": (str, None), "emoji": (str, None), "colorFrom": (str, COLOURS), "colorTo": (str, COLOURS),
    "sdk": (str, {"gradio", "docker", "static", "streamlit"}), "python_version": (str, None),
    "sdk_version": (str, None), "suggested_hardware": (str, HARDWARE),
    "suggested_storage": (str, {"small", "medium", "large"}), "app_file": (str, None), "app_port": (int, None),
    "base_path": (str, None), "fullWidth": (bool, None), "header": (str, {"mini", "default"}),
    "short_description": (str, None), "models": (list, None), "datasets": (list, None), "tags": (list, None),
    "thumbnail": (str, None), "pinned": (bool, None), "hf_oauth": (bool, None), "hf_oauth_scopes": (list, None),
    "hf_oauth_expiration_minutes": (int, None), "hf_oauth_authorized_org": ((str, list), None),
    "disable_embedding": (bool, None), "startup_duration_timeout": (str, None), "custom_headers": (dict, None),
    "preload_from_hub": (list, None), "license": (str, None), "app_build_command": (str, None),
}
REQUIRED = {"title", "emoji", "colorFrom", "colorTo", "sdk", "sdk_version", "python_version", "app_file",
            "short_description", "license", "tags", "suggested_hardware"}
REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def front_matter(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    match = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert match, f"{path} does not start with a --- YAML block ---"
    return yaml.safe_load(match.group(1))


def schema_errors(meta: dict) -> list[str]:
    errors = [f"unknown key {key!r}" for key in meta if key not in SCHEMA]
    errors += [f"missing {key!r}" for key in sorted(REQUIRED - set(meta))]
    for key, value in meta.items():
        if key not in SCHEMA:
            continue
        kind, allowed = SCHEMA[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            errors.append(f"{key}: {value!r} is not {kind}")
        elif allowed is not None and value not in allowed:
            errors.append(f"{key}: {value!r} not one of {sorted(allowed)}")
        elif isinstance(value, list) and not all(isinstance(v, str) for v in value):
            errors.append(f"{key}: every item must be a string")
    if len(meta.get("short_description", "")) > 60:
        errors.append("short_description is longer than 60 characters")
    if not re.fullmatch(r"3\.\d+(\.\d+)?", str(meta.get("python_version", ""))):
        errors.append("python_version must be 3.x or 3.x.x")
    if meta.get("app_file") and not meta["app_file"].endswith(".py"):
        errors.append("a gradio Space's app_file is a .py file")
    for repo in meta.get("models", []) + meta.get("datasets", []):
        if not REPO_ID.match(repo):
            errors.append(f"{repo!r} is not a Hub repo id")
    for item in meta.get("preload_from_hub", []):  # "repo_id[ file1,file2[ revision]]"
        parts = item.split(" ")
        if not (1 <= len(parts) <= 3 and REPO_ID.match(parts[0])):
            errors.append(f"preload_from_hub item {item!r} is not 'repo_id files revision'")
        elif len(parts) == 3 and not re.fullmatch(r"[0-9a-f]{40}|[\w.-]+", parts[2]):
            errors.append(f"preload_from_hub revision in {item!r}")
    return errors


def test_schema_refuses_bad_front_matter():
    good = front_matter(SPACES / "hub" / "README.md")
    assert schema_errors(good) == []
    assert schema_errors({**good, "colorFrom": "orange"})
    assert schema_errors({**good, "suggested_hardware": "gpu-large"})
    assert schema_errors({**good, "pinned": "no"})
    assert schema_errors({**good, "short_description": "x" * 61})
    assert schema_errors({**good, "preload_from_hub": ["not a repo"]})
    assert schema_errors({**good, "sdk_versoin": "6"})
    assert schema_errors({k: v for k, v in good.items() if k != "sdk"})


def test_committed_spaces_equal_what_the_command_generates(capsys):
    assert "hub" in COMMITTED and len(COMMITTED) >= 2, COMMITTED
    assert ganhub(["spaces", "build", "--check"]) == 0, capsys.readouterr().out


def test_check_fails_with_a_diff_summary_when_a_folder_was_edited(tmp_path, capsys):
    out = tmp_path / "spaces"
    shutil.copytree(SPACES, out)
    readme = out / "hub" / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("sdk: gradio", "sdk: docker"), encoding="utf-8")
    (out / COMMITTED[0] / "requirements.txt").unlink()
    assert ganhub(["spaces", "build", "--check", "--out", str(out)]) == 1
    text = capsys.readouterr().out
    assert "DIFFERS" in text and "+sdk: gradio" in text and "-sdk: docker" in text
    assert f"{COMMITTED[0]}/requirements.txt" in text and "missing" in text
    assert ganhub(["spaces", "build", "--out", str(out)]) == 0  # regenerating repairs both
    assert ganhub(["spaces", "build", "--check", "--out", str(out)]) == 0


@pytest.mark.parametrize("name", COMMITTED)
def test_front_matter_follows_the_spaces_reference(name):
    meta = front_matter(SPACES / name / "README.md")
    assert schema_errors(meta) == []
    assert meta["sdk"] == "gradio" and meta["app_file"] == "app.py"
    assert meta["sdk_version"] == version("gradio")  # the version the tests run with
    for item in meta.get("preload_from_hub", []):
        assert item.split(" ")[0] in meta["models"]


def test_spaces_are_derived_from_the_registry_and_manifest():
    plans, skipped = gen.plan_spaces()
    by_name = {plan.name: plan for plan in plans}
    hub_ = gen.generation_hub()
    technique = {name for name in gen.builtin_plugins()
                 if hub_.pm.has_plugin(name) and hub_.statuses[name].registered["demos"]}
    assert technique <= set(by_name) | set(skipped) and "hub" in by_name
    assert set(COMMITTED) <= set(by_name) | set(skipped)
    if "wplus_editing" in by_name:  # a technique without models needs the plugin that provides them
        plan = by_name["wplus_editing"]
        assert "stylegan2" in plan.plugins and plan.tabs == ["wplus_editing"]
        assert "stylegan2-emoji64" in {w.id for w in plan.weights}
    for plan in plans:
        meta = gen.front_matter(plan)
        hub_repos = {w.repo_id for w in plan.weights if w.repo_id and w.repo_type == "model"}
        assert set(meta.get("models", [])) == hub_repos  # every model repo the Space may download
        spaces = {w.repo_id for w in plan.weights if w.repo_id and w.repo_type == "space"}
        assert not spaces & set(meta.get("models", [])), "a file hosted in a Space repo is not declared as a model"
        pinned = [w for w in plan.weights if w.repo_id and w.revision and w.repo_type == "model"]  # preloadable
        for w in pinned:
            assert any(i.startswith(w.repo_id + " ") and i.endswith(" " + w.revision) and w.filename in i
                       for i in meta["preload_from_hub"]), w.id
        requirements = (SPACES / plan.name / "requirements.txt").read_text().split()
        assert requirements == [gen.GANHUB_REQUIREMENT.format(version=gen.hub.__version__)]


def test_readme_is_a_model_card():
    text = (SPACES / "hub" / "README.md").read_text(encoding="utf-8")
    for heading in ("## What it does", "## Papers", "## Models and weights", "## Limits", "## Hardware"):
        assert heading in text
    for name in COMMITTED:
        body = (SPACES / name / "README.md").read_text(encoding="utf-8")
        assert "| weight | source | licence |" in body or "loads no weights" in body


# A subprocess in which `import spaces` fails (the package absent, whatever is installed) and
# SPACES_ZERO_GPU is unset: each generated app.py is run as __main__ with GANHUB_SPACE_NO_LAUNCH=1.
_BUILD_ALL = r"""
import json, runpy, sys
class NoSpaces:
    def find_spec(self, name, path=None, target=None):
        if name == "spaces" or name.startswith("spaces."):
            raise ModuleNotFoundError("No module named 'spaces' (hidden by the test)", name=name)
sys.meta_path.insert(0, NoSpaces())
result = {}
for app in sys.argv[1:]:
    demo = runpy.run_path(app, run_name="__main__")["demo"]
    result[app] = {"demos": sorted(demo.ganhub.demos),
                   "errors": {p: [e.splitlines()[0] for e in errs] for p, errs in demo.ganhub.errors.items()},
                   "api": sorted(demo.ganhub_api_names)}
assert "spaces" not in sys.modules or sys.modules["spaces"] is None
print("RESULT" + json.dumps(result))
"""


def test_every_space_app_builds_without_zerogpu_and_without_the_spaces_package(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SPACES_ZERO_GPU", "GANHUB_PLUGINS", "GANHUB_DISABLE")}
    env.update(GANHUB_SPACE_NO_LAUNCH="1", HF_HUB_OFFLINE="1", GRADIO_ANALYTICS_ENABLED="False")
    apps = [str(SPACES / name / "app.py") for name in COMMITTED]
    proc = subprocess.run([sys.executable, "-c", _BUILD_ALL, *apps], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    plans = {plan.name: plan for plan in gen.plan_spaces()[0]}
    for name in COMMITTED:
        built = result[str(SPACES / name / "app.py")]
        expected = sorted(d.id for d in plans[name].demos) if name in plans else None
        assert built["demos"] and (expected is None or built["demos"] == expected), (name, built)
        # the Space's own plugins import and register cleanly (a tab's own mistakes are its plugin's tests' job)
        broken = {p: e for p, errs in built["errors"].items() for e in errs if e.startswith(("import of", "hook "))}
        assert not broken or name == "hub", (name, broken)


@pytest.mark.slow
def test_one_space_launches_and_answers_http_200(tmp_path):
    from hub.testing import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("SPACES_ZERO_GPU", "GANHUB_SPACE_NO_LAUNCH")}
    env.update(GRADIO_SERVER_PORT=str(port), GRADIO_SERVER_NAME="127.0.0.1", HF_HUB_OFFLINE="1")
    proc = subprocess.Popen([sys.executable, str(SPACES / "stylegan2" / "app.py")], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline, status = time.time() + 240, None
        while time.time() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(1)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer in time"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/config", timeout=10) as response:
            config = json.load(response)
        assert "stylegan2_generate" in json.dumps(config)
        from gradio_client import Client  # the embedded generator answers, offline, on the CPU

        gallery, grid = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "stylegan2-emoji64", "0-1", 0.7, None, "coarse", api_name="/stylegan2_generate")
        assert len(gallery) == 2 and Path(grid).is_file()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_stage_copies_the_embedded_weights_a_space_needs(tmp_path):
    name = "stylegan2" if "stylegan2" in COMMITTED else COMMITTED[0]
    copied = gen.stage_space(name, tmp_path / "space")
    assert {"app.py", "README.md", "requirements.txt", "weights_manifest.yaml"} <= set(copied)
    plan = next(p for p in gen.plan_spaces(plugins=[name])[0] if p.name == name)
    for w in plan.weights:
        if w.embedded and Path(w.embedded).is_file():
            # the repository's layout: each plugin's weights under plugins/<name>/weights/, the core's in weights/
            rel = Path(w.embedded).resolve().relative_to(gen.REPO_ROOT)
            assert (tmp_path / "space" / rel).is_file(), w.id


_FAKE_SPACES = '''
import functools, inspect
def GPU(fn=None, duration=60):
    def mark(f):
        if inspect.isgeneratorfunction(f):
            @functools.wraps(f)
            def wrapper(*a, **k):
                yield from f(*a, **k)
        else:
            @functools.wraps(f)
            def wrapper(*a, **k):
                return f(*a, **k)
        wrapper.zero_gpu_duration = duration
        return wrapper
    return mark(fn) if callable(fn) else mark
'''
_LIST_HEAVY = r"""
import json, runpy, sys
demo = runpy.run_path(sys.argv[1], run_name="__main__")["demo"]
from hub.app import HEAVY
rows = {fn.api_name: hasattr(fn.fn, "zero_gpu_duration") for fn in demo.fns.values()
        if fn.concurrency_id == HEAVY and fn.fn is not None}
# the duration of an optimisation handler, for the default step counts and for ten times fewer
durations = {}
for fn in demo.fns.values():
    d = getattr(fn.fn, "zero_gpu_duration", None)
    if callable(d):
        labels = [getattr(b, "label", "") or "" for b in fn.inputs]
        values = [getattr(b, "value", None) for b in fn.inputs]
        fewer = [v / 10 if "steps" in l.lower() and isinstance(v, (int, float)) else v for l, v in zip(labels, values)]
        durations[fn.api_name] = [d(*values), d(*fewer)]
print("RESULT" + json.dumps({"rows": rows, "durations": durations}))
"""


@pytest.mark.slow
def test_on_zerogpu_every_heavy_handler_goes_through_spaces_gpu(tmp_path):
    """With SPACES_ZERO_GPU set and a stand-in `spaces` package, the hub Space builds, and every event
    on the heavy queue is wrapped by spaces.GPU (through hub.gpu)."""
    (tmp_path / "fake" / "spaces").mkdir(parents=True)
    (tmp_path / "fake" / "spaces" / "__init__.py").write_text(_FAKE_SPACES)
    env = {k: v for k, v in os.environ.items() if k not in ("GANHUB_PLUGINS", "GANHUB_DISABLE")}
    env.update(SPACES_ZERO_GPU="1", GANHUB_SPACE_NO_LAUNCH="1", HF_HUB_OFFLINE="1",
               PYTHONPATH=str(tmp_path / "fake"), GANHUB_DEVICE="cpu")
    proc = subprocess.run([sys.executable, "-c", _LIST_HEAVY, str(SPACES / "hub" / "app.py")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.split("RESULT", 1)[1])
    rows, durations = result["rows"], result["durations"]
    assert rows, "no heavy events at all"
    # durations come from the job: more steps ask ZeroGPU for more seconds
    assert "i2s_plusplus_reconstruct" in durations and "inpainting_inpaint" in durations, sorted(durations)
    for name, (default, fewer) in durations.items():
        assert default > fewer > 0, (name, default, fewer)
    undecorated = sorted(name for name, wrapped in rows.items() if not wrapped)
    assert not undecorated, f"heavy handlers not decorated with hub.gpu: {undecorated}"

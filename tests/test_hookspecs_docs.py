"""docs/plugins.md documents exactly the hooks in hub/hookspecs.py, and the stable API is hub.__all__."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import hub
from hub import hookspecs

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugins.md"


def _section(name: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name}:begin -->(.*?)<!-- {name}:end -->", text, re.S)
    assert match, f"docs/plugins.md lacks the <!-- {name}:begin/end --> section"
    return match.group(1)


def _documented_hooks() -> dict[str, tuple[list[str], str]]:
    """``{hook: ([argument names], one-line description)}`` from the delimited docs section."""
    hooks = {}
    pattern = re.compile(r"^### `(\w+)\(([^)]*)\)`\s*\n\s*\n> (.+)$", re.M)
    for name, args, line in pattern.findall(_section("hooks")):
        assert name not in hooks, f"{name} documented twice"
        hooks[name] = ([a.strip() for a in args.split(",") if a.strip()], line.strip())
    return hooks


def _spec_hooks() -> dict[str, tuple[list[str], str]]:
    hooks = {}
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(fn, f"{hookspecs.PROJECT}_spec"):
            doc = inspect.getdoc(fn) or ""
            hooks[name] = (list(inspect.signature(fn).parameters), doc.splitlines()[0] if doc else "")
    return hooks


def test_every_hook_is_documented_with_its_arguments_and_docstring():
    specs, docs = _spec_hooks(), _documented_hooks()
    assert specs, "no hookspecs found"
    assert sorted(docs) == sorted(specs), "hooks in docs/plugins.md differ from hub/hookspecs.py"
    for name, (args, line) in specs.items():
        assert docs[name][0] == args, f"{name}: documented arguments {docs[name][0]} != {args}"
        assert docs[name][1] == line, f"{name}: documented summary differs from the docstring"


def test_every_documented_hook_has_an_example():
    section = _section("hooks")
    for name in _spec_hooks():
        body = section.split(f"### `{name}(", 1)[1].split("\n### ", 1)[0]
        assert "```python" in body and "@hookimpl" in body and f"def {name}(" in body, name


def test_stable_api_list_matches_hub_all():
    documented = set(re.findall(r"`(\w+)`", _section("api")))
    assert documented == set(hub.__all__)

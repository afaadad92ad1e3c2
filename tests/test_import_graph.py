"""The project's imports run one way: no cycles, no upward imports, nothing imports benchmarks/.

A benchmark is a thin command line over public functions: it imports no private name (``_x``), edits
no ``sys.path`` (the editable install puts ``hub`` and ``plugins`` on the path) and imports no other
benchmark.

Every ``import`` and ``from … import`` in hub/ and plugins/ counts, deferred ones (inside functions)
included, since a deferred import is still a dependency. Layers, lowest first (docs/architecture.md):

    contract  hub (the package facade), hub.api, hub.hookspecs
    images    hub.images
    weights   hub.weights.*
    models    hub.models
    nn        hub.nn.*              (shared building blocks: VGG taps, losses, the inversion engine)
    plugins   hub.plugins           (the plugin manager: the one Hub)
    shell     hub.app, hub.ui.*, hub.cli, hub.spaces*, hub.training.*, hub.remote, hub.testing, hub.conformance
    plugin    plugins.*             (built-in and third-party alike)

A module may import its own layer or any layer below it. ``__main__`` modules are entry scripts
that nothing imports, so they may call the shell.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS = [
    ("contract", ("hub", "hub.api", "hub.hookspecs")),
    ("images", ("hub.images",)),
    ("weights", ("hub.weights",)),
    ("models", ("hub.models",)),
    ("nn", ("hub.nn",)),
    ("plugin manager", ("hub.plugins",)),
    ("shell", ("hub.app", "hub.ui", "hub.cli", "hub.spaces", "hub.training", "hub.remote", "hub.testing",
               "hub.conformance")),
    ("plugin", ("plugins",)),
]


def layer_of(module: str) -> int:
    best, best_len = None, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            below = module.startswith(prefix + ".") and prefix != "hub"  # "hub" is the facade itself only
            if (module == prefix or below) and len(prefix) > best_len:
                best, best_len = index, len(prefix)
    assert best is not None, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return best


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    modules = {}
    for base in ("hub", "plugins"):
        for path in (root / base).rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, name: str) -> set[str]:
    """Dotted targets of every import in the file (``from a import b`` gives ``a`` and ``a.b``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def dependency_graph(root: Path = ROOT) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``({module: {project modules it imports}}, {module: {benchmarks modules it imports}})``."""
    modules = project_modules(root)
    graph: dict[str, set[str]] = {}
    benchmarks: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for target in imports_of(path, name):
            if target == "benchmarks" or target.startswith("benchmarks."):
                benchmarks.setdefault(name, set()).add(target)
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                deps.add(target)
        graph[name] = deps
    return graph, benchmarks


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for module, deps in sorted(graph.items()):
        if module.endswith(".__main__"):
            continue
        for dep in sorted(deps):
            if layer_of(dep) > layer_of(module):
                bad.append(f"{module} ({LAYERS[layer_of(module)][0]}) imports {dep} ({LAYERS[layer_of(dep)][0]})")
    return bad


def _private(dotted: str | None) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in (dotted or "").split("."))


def _edits_sys_path(node: ast.AST) -> bool:
    """``sys.path.insert(…)`` and friends, ``sys.path = …``, ``sys.path[:0] = …``, ``site.addsitedir(…)``."""
    def is_sys_path(expr: ast.AST) -> bool:
        return (isinstance(expr, ast.Attribute) and expr.attr == "path" and isinstance(expr.value, ast.Name)
                and expr.value.id == "sys")

    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if is_sys_path(node.func.value):
            return node.func.attr in {"insert", "append", "extend", "remove", "pop", "clear"}
        return (node.func.attr == "addsitedir" and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "site")
    if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return any(is_sys_path(t.value if isinstance(t, ast.Subscript) else t) for t in targets)
    return False


def benchmark_offences(root: Path = ROOT) -> list[str]:
    """What keeps a benchmark from being a thin CLI over public functions, one line each."""
    folder = root / "benchmarks"
    siblings = {path.stem for path in folder.glob("*.py")} | {"benchmarks"}
    bad = []
    for path in sorted(folder.rglob("*.py")):
        where = path.relative_to(root).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                modules = names = [alias.name for alias in node.names]
            else:
                if _edits_sys_path(node):
                    bad.append(f"{where}:{node.lineno} edits sys.path")
                continue
            bad += [f"{where}:{node.lineno} imports the private {name}" for name in names if _private(name)]
            bad += [f"{where}:{node.lineno} imports the benchmark {module}" for module in modules
                    if not getattr(node, "level", 0) and module.split(".")[0] in siblings]
    return bad


def test_the_project_has_no_import_cycle():
    graph, _ = dependency_graph()
    assert cycles(graph) == []


def test_no_module_imports_a_higher_layer():
    graph, _ = dependency_graph()
    assert upward_imports(graph) == []


def test_nothing_imports_benchmarks():
    _, benchmarks = dependency_graph()
    assert benchmarks == {}


def test_benchmarks_are_thin_clis_over_public_functions():
    assert benchmark_offences() == []


@pytest.mark.parametrize("files,expected", [
    ({"hub/__init__.py": "", "hub/nn/__init__.py": "", "hub/nn/a.py": "def f():\n    from hub.nn import b\n",
      "hub/nn/b.py": "from hub.nn.a import f\n"}, "cycle"),
    ({"hub/__init__.py": "", "hub/weights.py": "def f():\n    import hub.app\n", "hub/app.py": ""}, "upward"),
    ({"hub/__init__.py": "", "plugins/__init__.py": "", "plugins/x/__init__.py": "",
      "plugins/x/train.py": "from benchmarks.x_eval import evaluate\n"}, "benchmarks"),
    ({"benchmarks/x_speed.py": "def main():\n    from plugins.x.fast import _load_file\n"}, "thin CLI"),
    ({"benchmarks/x_speed.py": "import plugins.x._kernels\n"}, "thin CLI"),
    ({"benchmarks/x_speed.py": "import sys\nsys.path.insert(0, '..')\n"}, "thin CLI"),
    ({"benchmarks/x_speed.py": "import sys\nsys.path[:0] = ['..']\n"}, "thin CLI"),
    ({"benchmarks/x_speed.py": "from x_quality import grid\n", "benchmarks/x_quality.py": ""}, "thin CLI"),
])
def test_the_checks_catch_what_they_are_for(tmp_path, files, expected):
    """The four checks fail on the shapes the restructure removed (a deferred import counts)."""
    (tmp_path / "plugins").mkdir()
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    graph, benchmarks = dependency_graph(tmp_path)
    found = {"cycle": bool(cycles(graph)), "upward": bool(upward_imports(graph)), "benchmarks": bool(benchmarks),
             "thin CLI": bool(benchmark_offences(tmp_path))}
    assert [kind for kind, hit in found.items() if hit] == [expected]


def cross_tab_imports(graph: dict[str, set[str]]) -> list[str]:
    """A plugin's tab module (``plugins.<a>.ui*``) importing another plugin's tab module: what two tabs
    share belongs in the tab kit, ``hub.ui``."""
    def tab_of(module: str) -> str | None:
        parts = module.split(".")
        return parts[1] if len(parts) >= 3 and parts[0] == "plugins" and parts[2].startswith("ui") else None

    return [f"{module} imports {dep}" for module, deps in sorted(graph.items()) for dep in sorted(deps)
            if tab_of(module) and tab_of(dep) and tab_of(dep) != tab_of(module)]


def test_no_tab_imports_another_plugins_tab():
    graph, _ = dependency_graph()
    assert cross_tab_imports(graph) == []


@pytest.mark.parametrize("text,caught", [
    ("def first():\n    from plugins.y.ui_subtabs import bind\n", True),  # deferred, as the inpainting tab had it
    ("from plugins.y import ui_handlers as h\n", True),
    ("from plugins.x.ui_handlers import read\nfrom plugins.y.api import render\nfrom hub.ui import bind\n", False),
])
def test_the_cross_tab_check_catches_a_tab_importing_another(tmp_path, text, caught):
    """Its own plugin's tab modules, another plugin's API and the kit are fine; another plugin's tab is not."""
    files = {"hub/__init__.py": "", "hub/ui/__init__.py": "", "plugins/__init__.py": "", "plugins/x/__init__.py": "",
             "plugins/x/ui_handlers.py": "", "plugins/x/ui.py": text, "plugins/y/__init__.py": "",
             "plugins/y/api.py": "", "plugins/y/ui_subtabs.py": "", "plugins/y/ui_handlers.py": ""}
    for rel, body in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(body)
    graph, _ = dependency_graph(tmp_path)
    assert bool(cross_tab_imports(graph)) is caught, cross_tab_imports(graph)

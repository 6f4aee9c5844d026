"""The shape of the package: no import cycles, dependencies pointing one way, a light root.

Imports are read from the source with :mod:`ast`, function-level (lazy) ones
included, so a cycle held open by a lazy import fails here too.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sim"

LAYERS = ["version", "core", "benchmarks", "protocols", "engine", "report", "experiments", "ui", "cli"]
"""Subpackages from the bottom up: a module may import from its own layer and the ones below."""

HEAVY = ("mesa", "pandas", "pyarrow", "pydantic", "solara", "dask", "matplotlib", "scipy", "SALib", "ema_workbench")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules imported anywhere in the file (``from sim.x import y`` counts ``sim.x.y`` if a module)."""
    tree = ast.parse(path.read_text())
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name.startswith("sim"):
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    graph = {}
    for name, path in mods.items():
        # a package's __init__ importing its own submodules is how it re-exports them, not a dependency cycle
        graph[name] = {m for m in imports_of(path, known) if m != name and not (name != "sim" and m == "sim")}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A cycle as a list of modules, or None (depth-first search)."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt.startswith(node + "."):  # a package importing its own submodule (re-export)
                continue
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def layer(module: str) -> int:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else -1


def test_find_cycle_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_lazy_or_not():
    assert find_cycle(import_graph()) is None


def test_dependencies_point_one_way():
    wrong = []
    for module, targets in import_graph().items():
        if module == "sim":
            continue
        for target in targets:
            if target != "sim" and layer(target) > layer(module):
                wrong.append(f"{module} -> {target}")
    assert not wrong, "imports that point up the layers: " + ", ".join(sorted(wrong))


def test_every_module_has_a_layer():
    assert all(layer(m) >= 0 for m in modules() if m != "sim")


def test_nothing_imports_the_package_root():
    """The root only re-exports; importing it from inside would tie every layer to every other."""
    offenders = sorted(m for m, targets in import_graph().items() if "sim" in targets and m != "sim")
    assert not offenders


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout
    return {line.split(".")[0] for line in out.split()}


def test_import_sim_is_light():
    loaded = _loaded_after("import sim")
    assert not loaded & set(HEAVY)


def test_help_imports_no_heavy_library():
    code = "sys.argv = ['negsim', '--help']\nfrom sim.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    loaded = _loaded_after(code)
    assert not loaded & set(HEAVY)


def test_public_names_load_lazily():
    import sim

    for name in sim.__all__:
        assert getattr(sim, name) is not None


def _all_of(path: Path) -> set[str] | None:
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "__all__":
            return set(ast.literal_eval(node.value))
    return None


def test_imported_names_are_public_and_listed_in_all():
    """A name another module imports is public (no leading underscore) and in its module's ``__all__``."""
    mods = modules()
    wrong = []
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or not (node.module or "").startswith("sim") or node.level:
                continue
            target = mods.get(node.module)
            if target is None or node.module == "sim":
                continue
            exported = _all_of(target)
            for alias in node.names:
                if f"{node.module}.{alias.name}" in mods:
                    continue  # a submodule
                if alias.name.startswith("_") and alias.name != "__version__":
                    wrong.append(f"{name} imports private {node.module}.{alias.name}")
                elif exported is None or alias.name not in exported:
                    wrong.append(f"{name} imports {node.module}.{alias.name}, not in its __all__")
    assert not wrong, "\n".join(sorted(wrong))


def test_every_module_declares_all():
    missing = sorted(name for name, path in modules().items() if _all_of(path) is None and path.stat().st_size > 0)
    assert not missing, missing

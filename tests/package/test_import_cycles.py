"""No import cycle in the product (render.py, training/, scenes/), so that the rule keeps itself.

Every import counts, wherever it is written: at the top of a module, inside a function, under
``if TYPE_CHECKING:``, in a ``try``. Relative imports are resolved, and ``from pkg import
name`` points at the module ``pkg.name`` when there is one (else at ``pkg``). Only what a
module names counts: that importing ``pkg.sub`` first runs ``pkg/__init__.py`` is Python's
business, not a dependency of ours (or every package that re-exports its modules would be a
cycle). The graph is read with :mod:`ast`; nothing is imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("render.py", "training", "scenes")

# Imports known to close a cycle, each with the reason it is still there. Delete an entry
# when its import goes; the test fails while an entry names an import that no longer exists.
ALLOWED: set[tuple[str, str]] = set()  # no known cycle: none may be allowed


def module_files(root: Path = ROOT, product: tuple[str, ...] = PRODUCT) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the product under ``root``."""
    out: dict[str, Path] = {}
    for top in product:
        path = root / top
        files = [path] if path.suffix == ".py" else sorted(path.rglob("*.py"))
        for f in files:
            parts = list(f.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = f
    return out


def _package_of(name: str, path: Path) -> str:
    """The package a module's relative imports start from."""
    return name if path.name == "__init__.py" else name.rpartition(".")[0]


def _owner(name: str, modules: dict[str, Path]) -> str | None:
    """``name`` if it is a module of the product, else the nearest enclosing one (or None)."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The product modules that module ``name`` (file ``path``) imports, anywhere in it."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = _package_of(name, path)
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            # `from pkg import module` imports the module; `from pkg import name`, the package.
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        out.update(t for t in map(lambda t: _owner(t, modules), targets) if t and t != name)
    return out


def import_graph(root: Path = ROOT, product: tuple[str, ...] = PRODUCT) -> dict[str, set[str]]:
    modules = module_files(root, product)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that ends where it starts) for each strongly connected group of
    modules, found with Tarjan's algorithm (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return [_cycle_in(set(group), graph) for group in groups]


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest cycle through the first module of a strongly connected group (breadth first)."""
    first = min(group)
    parent: dict[str, str] = {}
    queue = [first]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph[node] & group):
            if child == first:
                path = [node]
                while path[-1] != first:
                    path.append(parent[path[-1]])
                return [first, *reversed(path[:-1]), first]
            if child not in parent:
                parent[child] = node
                queue.append(child)
    raise AssertionError(f"no cycle through {first}")  # cannot happen in a strongly connected group


def without(graph: dict[str, set[str]], edges: set[tuple[str, str]]) -> dict[str, set[str]]:
    return {name: {t for t in targets if (name, t) not in edges} for name, targets in graph.items()}


# ---------------------------------------------------------------------------- the product
def test_the_product_has_no_import_cycle():
    found = cycles(without(import_graph(), ALLOWED))
    assert not found, "import cycles (each import counts, in functions and under TYPE_CHECKING too):\n" + \
        "\n".join(" -> ".join(c) for c in found)


def test_every_allowed_import_still_exists():
    graph = import_graph()
    stale = sorted(edge for edge in ALLOWED if edge[1] not in graph.get(edge[0], set()))
    assert not stale, f"delete these entries of ALLOWED, the imports are gone: {stale}"


def test_the_graph_sees_the_whole_product():
    graph = import_graph()
    assert {"render", "training", "training.trace", "scenes", "scenes.story.story", "scenes.web.serve"} <= set(graph)
    assert "training.trace" in graph["scenes.story.story"]
    assert not any(t.startswith("scenes") for name, ts in graph.items() if name.startswith("training") for t in ts)


# ---------------------------------------------------------------------------- the checker itself
def _package(tmp_path: Path, files: dict[str, str]) -> dict[str, set[str]]:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return import_graph(tmp_path, ("pkg",))


@pytest.mark.parametrize("closing", [
    "from pkg.a import f\n",                                                   # at the top
    "def g():\n    from pkg.a import f\n",                                     # in a function
    "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import f\n",  # for type hints only
    "try:\n    from pkg.a import f\nexcept ImportError:\n    f = None\n",       # in a try
    "from ..a import f\n",                                                     # relative
    "from .. import a\n",                                                      # relative, a module by name
    "from pkg import a\n",                                                     # from pkg import module
    "import pkg.a as other\n",
])
def test_a_cycle_is_found_however_it_is_written(tmp_path, closing):
    graph = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "from pkg.sub.b import g\ndef f(): pass\n",
                                "pkg/sub/__init__.py": "", "pkg/sub/b.py": closing})
    assert cycles(graph) == [["pkg.a", "pkg.sub.b", "pkg.a"]]


def test_a_package_importing_its_own_modules_is_no_cycle(tmp_path):
    graph = _package(tmp_path, {"pkg/__init__.py": "from pkg.a import f\nfrom pkg.b import g\n",
                                "pkg/a.py": "def f(): pass\n", "pkg/b.py": "from pkg.a import f\ndef g(): pass\n"})
    assert graph["pkg"] == {"pkg.a", "pkg.b"} and graph["pkg.b"] == {"pkg.a"}
    assert cycles(graph) == []


def test_an_allowed_import_breaks_only_its_own_cycle(tmp_path):
    graph = _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\nimport pkg.c\n",
                                "pkg/b.py": "import pkg.a\n", "pkg/c.py": "def f():\n    import pkg.a\n"})
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert cycles(without(graph, {("pkg.b", "pkg.a")})) == [["pkg.a", "pkg.c", "pkg.a"]]

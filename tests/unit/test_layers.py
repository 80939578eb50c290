"""The arrows between our packages, read from the source: every import of every module, also those inside
functions, so a late import cannot hide an arrow back or a circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "desk", "port_charges", "notifications", "status_tracker", "core", "agency_mocks", "mobile_mock",
            "erp_mock")

# The house from the top floor down: a room may import only the rooms below it. app is three rooms: the
# processes (scheduler, dispatcher, CLI, demo), the top (create_app, configuration, metrics, logs) and the web
# application (API, console, sign-in); the others are packages.
FLOORS = ("app.processes", "app", "app.web", "desk", "port_charges", "notifications", "status_tracker", "core")
# The stand-ins for the agencies, for FCM and the phone, and for a company's ERP import nothing of the product.
APART = ("agency_mocks", "mobile_mock", "erp_mock")
# The domain packages run in processes without a web app.
NO_FLASK = ("desk", "port_charges", "notifications", "status_tracker", "core")


def _room(module: str) -> str:
    parts = module.split(".")
    if parts[0] == "app" and len(parts) > 1 and f"app.{parts[1]}" in FLOORS:
        return f"app.{parts[1]}"
    return parts[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


MODULES = _modules()


def _imported_names(name: str, path: Path) -> list[str]:
    """Every dotted name imported by the module (relative imports resolved); `from x import y` gives x.y
    so that importing a submodule counts as importing it."""
    is_package = path.name == "__init__.py"
    names = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            names += [f"{base}.{alias.name}" for alias in node.names]
    return names


def _resolve(dotted: str) -> str | None:
    """The longest prefix of `dotted` that is one of our modules (a name imported from it is not a module)."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in MODULES:
            return candidate
    return None


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        targets = {_resolve(imported) for imported in _imported_names(name, path)}
        graph[name] = {target for target in targets if target and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One concrete circle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_circle_in(graph, component) for component in components]


def _circle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & component):
                if target == start:
                    return [*paths[node], start]
                if target not in paths:
                    paths[target] = [*paths[node], target]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no circle in {component}")


def test_the_walk_sees_every_package_and_late_imports() -> None:
    graph = _graph()
    assert {name.split(".")[0] for name in graph} == set(PACKAGES)
    # app/__init__ imports the API blueprints; a function-level import is read too (cli → demo).
    assert "app.web.api.clearances.routes" in {target for targets in graph.values() for target in targets}
    assert sum(len(targets) for targets in graph.values()) > 200


def test_no_arrow_points_back() -> None:
    wrong = []
    for name, targets in _graph().items():
        room = _room(name)
        for target in sorted(targets):
            other = _room(target)
            if other == room:
                continue
            if room in APART or other in APART or FLOORS.index(other) < FLOORS.index(room):
                wrong.append(f"{name} -> {target}")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_the_floors_are_each_used() -> None:
    """Every floor has modules, so a rename cannot leave the layering test checking an empty room."""
    assert {_room(name) for name in MODULES} == set(FLOORS) | set(APART)


def test_the_domain_packages_never_import_flask() -> None:
    wrong = []
    for name, path in MODULES.items():
        if _room(name) not in NO_FLASK:
            continue
        for imported in _imported_names(name, path):
            top = imported.split(".")[0]
            if top == "flask" or top.startswith("flask_"):
                wrong.append(f"{name} -> {imported}")
    assert not wrong, "Flask in a domain package:\n" + "\n".join(wrong)


def test_no_import_circle() -> None:
    circles = _cycles(_graph())
    assert not circles, "import circles:\n" + "\n".join(" -> ".join(circle) for circle in circles)


def test_the_circle_finder_reports_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]

"""The stream package keeps one job per file: no import cycle between its modules, and no
class reaching into another object's private members."""

from __future__ import annotations

import ast
from pathlib import Path

import topichub.topics.stream as package

PACKAGE = Path(package.__file__).parent
PREFIX = "topichub.topics.stream."
JOBS = {
    "frames", "feed", "subscription", "replay", "hub", "registry", "opening", "endpoints",
    "sse", "websocket", "cursor", "group_hook", "stepping",
}  # fmt: skip


def runtime_imports(tree: ast.Module) -> set[str]:
    """Modules of the package imported when the module runs (not under TYPE_CHECKING)."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PREFIX):
            found.add(node.module.removeprefix(PREFIX))
        elif isinstance(node, ast.Import):
            found |= {a.name.removeprefix(PREFIX) for a in node.names if a.name.startswith(PREFIX)}
    return found


def modules() -> dict[str, ast.Module]:
    return {
        path.stem: ast.parse(path.read_text())
        for path in sorted(PACKAGE.glob("*.py"))
        if path.stem != "__init__"
    }


def test_the_package_has_one_module_per_job() -> None:
    assert set(modules()) == JOBS


def test_no_import_cycle_between_the_modules() -> None:
    graph = {name: runtime_imports(tree) for name, tree in modules().items()}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        assert name not in path, f"import cycle: {' -> '.join([*path, name])}"
        if name in done:
            return
        for target in graph.get(name, ()):
            visit(target, [*path, name])
        done.add(name)

    for name in graph:
        visit(name, [])


def test_no_class_reaches_into_another_objects_private_members() -> None:
    offenders = []
    for name, tree in modules().items():
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
                and not (isinstance(node.value, ast.Name) and node.value.id in {"self", "cls"})
            ):
                offenders.append(f"{name}.py:{node.lineno} {ast.unparse(node)}")
    assert offenders == []

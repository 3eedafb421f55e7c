"""Imports run one way: our packages form no cycle, and a module imports ours at its top, where
a reader sees what it depends on. An import inside a function hides a dependency (it once hid a
cycle between dlib_port and training), so it needs a comment saying why (e.g. TensorFlow kept out
of start-up)."""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from graphlib import CycleError, TopologicalSorter

from tests.test_repo_paths import tracked_text_files

PACKAGES = ("service", "infra", "training", "evaluation", "dlib_port", "bench", "devstack",
            "rehearse", "freshcheck", "toolchain")  # fmt: skip
OURS = (*PACKAGES, "tests", "scripts")


def python_files() -> Iterator[tuple[str, ast.Module, list[str]]]:
    """(path, syntax tree, lines) of each tracked Python file."""
    for relative, text in tracked_text_files():
        if relative.endswith(".py"):
            yield relative, ast.parse(text), text.splitlines()


def module_name(relative: str) -> str:
    dotted = relative.removesuffix(".py").replace("/", ".")
    return dotted.removesuffix(".__init__")


def top_level_imports(tree: ast.Module) -> set[str]:
    """Modules imported when the module runs (typing-only imports left out)."""
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, ast.If) and "TYPE_CHECKING" in ast.unparse(statement.test):
            continue
        for node in (
            ast.walk(statement) if isinstance(statement, (ast.If, ast.Try)) else [statement]
        ):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def graphs() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Which of our modules each of our modules imports, and the same between packages."""
    trees = {module_name(r): tree for r, tree, _ in python_files() if r.startswith(PACKAGES)}
    modules = {m: (top_level_imports(tree) & trees.keys()) - {m} for m, tree in trees.items()}
    packages: dict[str, set[str]] = defaultdict(set)
    for module, imported in modules.items():
        packages[module.split(".")[0]] |= {i.split(".")[0] for i in imported}
    return modules, {p: found - {p} for p, found in packages.items()}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_our_modules_and_packages_import_each_other_one_way() -> None:
    modules, packages = graphs()
    assert packages["bench"] >= {"service", "devstack"}  # the graph is really read
    assert cycle(modules) is None
    assert cycle(packages) is None


def has_comment_above(lines: list[str], node: ast.Import | ast.ImportFrom) -> bool:
    """A comment on the import's line, or in the run of imports and comments just above it."""
    number = node.lineno - 1
    if "#" in lines[number]:
        return True
    while number > 0 and lines[number - 1].strip().startswith(("#", "import ", "from ")):
        number -= 1
        if lines[number].strip().startswith("#"):
            return True
    return False


def unexplained_function_imports() -> list[str]:
    """`path:line: import` of each import of our code inside a function without a comment."""
    found = set()
    for relative, tree, lines in python_files():
        functions = (
            f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)
        )
        for node in (n for f in functions for n in ast.walk(f)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if any(n.split(".")[0] in OURS for n in names) and not has_comment_above(lines, node):
                found.add(f"{relative}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    return sorted(found)


def test_our_modules_are_imported_inside_a_function_only_with_a_comment_saying_why() -> None:
    assert unexplained_function_imports() == []

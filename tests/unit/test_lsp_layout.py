"""The language server's layout, checked on its real import graph (read with ``ast``, imports
inside functions and under ``TYPE_CHECKING`` included): ``server`` knows no feature, features do
not know each other, and nothing imports in a circle. import-linter checks the first two as well
(``make lint``); this test says which edge broke, and also sees the circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

from testpaths import REPO

PACKAGE = "inkmod_lsp"
FEATURES = f"{PACKAGE}.features"


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted((REPO / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The innermost module of the package that ``name`` (a module or a name in one) is."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside.update(id(sub) for stmt in node.body for sub in ast.walk(stmt))
    return inside


def _imports(module: str, *, typing: bool = True) -> set[str]:
    """Modules of the package that ``module`` imports (``typing``: count ``TYPE_CHECKING``)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = set() if typing else _type_checking_nodes(tree)
    here = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join(parent + ([node.module] if node.module else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        for name in names:
            target = _resolve(name)
            if target is not None and target != module:
                found.add(target)
    return found


def _reachable(start: str, *, typing: bool = True) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        for target in _imports(todo.pop(), typing=typing):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _is_feature(module: str) -> bool:
    return module.startswith(f"{FEATURES}.")


def test_the_layout_has_the_modules_the_architecture_names() -> None:
    for name in ("__main__", "setup", "server", "runtime", "daemon_link", "documents"):
        assert f"{PACKAGE}.{name}" in MODULES
    for name in ("convert", "config", "constants"):
        assert f"{PACKAGE}.{name}" in MODULES
    features = sorted(m.rpartition(".")[2] for m in MODULES if _is_feature(m))
    assert features == [
        "code_actions",
        "commands",
        "diagnostics",
        "hover",
        "lifecycle",
        "rewrite",
    ]


def test_the_server_imports_no_feature_even_indirectly() -> None:
    reached = _reachable(f"{PACKAGE}.server")
    assert sorted(m for m in reached if _is_feature(m) or m == f"{PACKAGE}.setup") == []


def test_no_feature_imports_another_feature() -> None:
    crossings = sorted(
        (module, target)
        for module in MODULES
        if _is_feature(module)
        for target in _imports(module)
        if _is_feature(target)
    )
    assert crossings == []


def test_nothing_below_the_features_reaches_them() -> None:
    """Only ``setup`` (and ``__main__`` through it) may know the features."""
    top = {f"{PACKAGE}.setup", f"{PACKAGE}.__main__", FEATURES}
    below = [m for m in MODULES if m not in top and not _is_feature(m)]
    reaching = sorted(m for m in below if any(_is_feature(t) for t in _reachable(m)))
    assert reaching == []


def test_no_import_cycle_at_run_time() -> None:
    """Imports that run (``TYPE_CHECKING`` ones aside: annotations need the owner's type)."""
    cycles = sorted(m for m in MODULES if m in _reachable(m, typing=False))
    assert cycles == []


def test_setup_registers_every_command_once() -> None:
    from inkmod_lsp import constants, setup

    assert sorted(setup.COMMANDS) == sorted(constants.COMMANDS)
    assert len(set(constants.COMMANDS)) == len(constants.COMMANDS)


def test_every_handler_annotation_resolves_at_run_time() -> None:
    """pygls reads a handler's annotations to parse its arguments: a name imported only for
    type checking made every ``inkmod.rewrite`` command call fail with "Invalid Params: name
    'InkmodLanguageServer' is not defined" (caught by the VS Code integration test)."""
    import typing

    from inkmod_lsp import setup

    for name, handler in setup.COMMANDS.items():
        hints = typing.get_type_hints(handler)
        assert "ls" in hints, name

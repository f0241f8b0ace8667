"""`--fix` turns the seed's before-port into the after-port's pattern."""

from __future__ import annotations

import ast
from pathlib import Path

from session_lint.engine import lint_source
from session_lint.fix.api import fix_source

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
BEFORE = FIXTURES / "before" / "runtime_before.py"
AFTER = FIXTURES / "after" / "runtime_after.py"


def _resolver_sources(source: str) -> dict[str, list[list[str]]]:
    """Per function: the names passed to each resolver call, in order."""
    found: dict[str, list[list[str]]] = {}
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef):
            continue
        calls = [
            node
            for node in ast.walk(function)
            if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "resolve_session_id"
        ]
        found[function.name] = [
            [arg.id for arg in call.args if isinstance(arg, ast.Name)] for call in calls
        ]
    return found


def test_fixed_before_port_compiles_lints_clean_and_is_stable() -> None:
    fixed = fix_source(BEFORE.read_bytes(), path=str(BEFORE))
    compile(fixed, str(BEFORE), "exec")
    assert lint_source(fixed, path=str(BEFORE)) == []
    assert fix_source(fixed, path=str(BEFORE)) == fixed


def test_fixed_dispatch_functions_resolve_like_the_after_port() -> None:
    fixed = fix_source(BEFORE.read_text())
    after = _resolver_sources(AFTER.read_text())
    for name, resolutions in _resolver_sources(fixed).items():
        if after.get(name):
            assert resolutions == after[name], name


def test_fixed_builder_paths_overwrite_the_payload_session() -> None:
    fixed = fix_source(BEFORE.read_text())
    tree = ast.parse(fixed)
    overwrites = {
        function.name
        for function in ast.walk(tree)
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Subscript)
        and ast.unparse(node.targets[0]) == "payload['session_id']"
    }
    assert {"call", "call_class", "stream"} <= overwrites

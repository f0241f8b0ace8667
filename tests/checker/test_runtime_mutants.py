"""The checker catches the bug class when it is put back into the reference runtime.

``runtime/paths.py`` implements every call path correctly, once for the synchronous and
the asyncio API, and gives no finding. Each mutant here breaks ONE call path the way the
seed's bridge was broken: the payload builder or the routing helper is handed the ambient
session, the resolver loses the ref, or routing gets the raw override. The checker must
flag each mutant inside the broken function, with the rule that names the mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import pytest

from session_lint.engine import lint_source
from session_lint.fix.api import fix_source

CALLS = Path(__file__).resolve().parents[2] / "runtime" / "paths.py"
AMBIENT_IMPORT = "from runtime.context import current_session_id\n"
SINKS = {"execute", "execute_stream"}


def _ambient() -> cst.Call:
    return cst.Call(cst.Name("current_session_id"))


def _is_call_to(node: cst.CSTNode, name: str) -> bool:
    return (
        isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == name
    )


def _names_session(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "session_id"


class _Mutator(cst.CSTTransformer):
    """Applies ``mutate`` to the calls of one function only; counts what it changed."""

    def __init__(self, function: str, mutate: Callable[[cst.Call], cst.Call]) -> None:
        self.function = function
        self.mutate = mutate
        self.inside = 0
        self.changed = 0

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.name.value == self.function or self.inside:
            self.inside += 1

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        if self.inside:
            self.inside -= 1
        return updated_node

    def leave_Call(self, original_node: cst.Call, updated_node: cst.Call) -> cst.BaseExpression:
        if not self.inside:
            return updated_node
        mutated = self.mutate(updated_node)
        if mutated is not updated_node:
            self.changed += 1
        return mutated


def ambient_into_payload_builder(call: cst.Call) -> cst.Call:
    """``*_payload(..., session_id)`` gets ``current_session_id()`` instead."""
    if not (isinstance(call.func, cst.Name) and call.func.value.endswith("_payload")):
        return call
    args = [
        arg.with_changes(value=_ambient()) if _names_session(arg.value) else arg
        for arg in call.args
    ]
    return call.with_changes(args=args) if args != list(call.args) else call


def ambient_into_routing(call: cst.Call) -> cst.Call:
    """``ensure_session_opt(opts, session_id)`` gets ``current_session_id()`` instead."""
    if not _is_call_to(call, "ensure_session_opt") or len(call.args) != 2:
        return call
    return call.with_changes(args=[call.args[0], call.args[1].with_changes(value=_ambient())])


def resolver_loses_ref(call: cst.Call) -> cst.Call:
    """``resolve_session_id(runtime_opts, ref)`` loses its ref."""
    if not _is_call_to(call, "resolve_session_id") or len(call.args) != 2:
        return call
    return call.with_changes(args=[call.args[0].with_changes(comma=cst.MaybeSentinel.DEFAULT)])


def raw_override_as_routing(call: cst.Call) -> cst.Call:
    """``client.execute(tool, payload, routing_opts)`` routes with the raw ``runtime_opts``."""
    if not (isinstance(call.func, cst.Attribute) and call.func.attr.value in SINKS):
        return call
    last = call.args[-1]
    if not (isinstance(last.value, cst.Name) and last.value.value == "routing_opts"):
        return call
    return call.with_changes(
        args=[*call.args[:-1], last.with_changes(value=cst.Name("runtime_opts"))]
    )


@dataclass(frozen=True)
class Mutant:
    function: str
    mutation: Callable[[cst.Call], cst.Call]
    expected: str

    @property
    def id(self) -> str:
        return f"{self.function}-{self.mutation.__name__}"


def _dispatching_functions(module: cst.Module) -> Iterator[cst.FunctionDef]:
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and any(
            sink in module.code_for_node(statement) for sink in (".execute(", ".execute_stream(")
        ):
            yield statement


def _mutants() -> list[Mutant]:
    module = cst.parse_module(CALLS.read_text(encoding="utf-8"))
    found: list[Mutant] = []
    for function in _dispatching_functions(module):
        text = module.code_for_node(function)
        name = function.name.value
        if "_payload(" in text and name != "release_session":  # its session is the caller's
            found.append(Mutant(name, ambient_into_payload_builder, "SES001"))
        if "ensure_session_opt(runtime_opts, session_id)" in text and name != "release_session":
            found.append(Mutant(name, ambient_into_routing, "SES001"))
        if "resolve_session_id(runtime_opts, " in text:
            found.append(Mutant(name, resolver_loses_ref, "SES004"))
        if "runtime_opts" in text and "routing_opts)" in text and name != "release_session":
            found.append(Mutant(name, raw_override_as_routing, "SES006"))
    return found


MUTANTS = _mutants()


def test_every_path_of_the_seed_has_mutants() -> None:
    broken = {mutant.function for mutant in MUTANTS}
    for path in ("call", "call_dynamic", "get_module_attr", "call_class", "call_method"):
        assert path in broken
    for path in ("get_attr", "set_attr", "stream", "stream_next", "release_ref"):
        assert path in broken
    assert {m.function for m in MUTANTS if m.mutation is resolver_loses_ref} >= {
        "call_method",
        "get_attr",
        "set_attr",
        "stream_next",
        "release_ref",
    }


def test_the_unmutated_runtime_is_clean() -> None:
    assert lint_source(CALLS.read_bytes(), path=str(CALLS)) == []


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda mutant: mutant.id)
def test_a_broken_path_is_flagged_where_it_breaks(mutant: Mutant) -> None:
    module = cst.parse_module(CALLS.read_text(encoding="utf-8"))
    mutator = _Mutator(mutant.function, mutant.mutation)
    mutated = module.visit(mutator)
    assert mutator.changed, f"{mutant.id}: the mutation did not apply"
    source = AMBIENT_IMPORT + mutated.code
    start, end = _line_span(source, mutant.function)
    diagnostics = lint_source(source, path="calls_mutant.py")
    inside = [d for d in diagnostics if start <= d.line <= end]
    assert mutant.expected in {d.code for d in inside}, (
        f"{mutant.id}: expected {mutant.expected} in lines {start}-{end}, got "
        f"{[(d.line, d.code) for d in diagnostics]}"
    )


def test_routing_after_an_unseen_builder_gets_no_automatic_fix() -> None:
    # the payload comes from `function_payload(...)` in another module: that it carries
    # the session key is inferred, so reading it back for routing would be a guess
    module = cst.parse_module(CALLS.read_text(encoding="utf-8"))
    mutated = module.visit(_Mutator("call", raw_override_as_routing)).code
    (missing,) = [d for d in lint_source(mutated) if d.code == "SES006"]
    assert missing.fix is None
    assert fix_source(mutated) == mutated


def _line_span(source: str, function: str) -> tuple[int, int]:
    lines = source.splitlines()
    start = next(i for i, line in enumerate(lines, 1) if line.startswith(f"def {function}("))
    end = next(
        (i - 1 for i, line in enumerate(lines[start:], start + 1) if line.startswith("def ")),
        len(lines),
    )
    return start, end

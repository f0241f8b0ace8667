"""Statements: blocks, branches, loops, try, assignments and deletions, path by path."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from session_lint.core.values import (
    TOP,
    Callee,
    Fixed,
    Mapping,
    RefParameter,
    Session,
    Slot,
    Value,
)
from session_lint.flow.core import LoopFrame, State, _dedupe, _names_in
from session_lint.flow.expressions import ExpressionEvaluator
from session_lint.flow.work import WORK


class StatementExecutor(ExpressionEvaluator):
    # ----------------------------------------------------------------- statements
    def exec_block(self, body: Sequence[cst.BaseStatement], states: list[State]) -> list[State]:
        for statement in body:
            if not states:
                break
            states = _dedupe(self.exec_statement(statement, states))
        return states

    def _suite(self, suite: cst.BaseSuite, states: list[State]) -> list[State]:
        if isinstance(suite, cst.IndentedBlock):
            return self.exec_block(suite.body, states)
        assert isinstance(suite, cst.SimpleStatementSuite)
        for small in suite.body:  # `if x: return y` on one line
            states = [s for state in states for s in self.exec_small(small, state)]
        return states

    def exec_statement(self, node: cst.BaseStatement, states: list[State]) -> list[State]:
        WORK.statements += len(states)
        if isinstance(node, cst.SimpleStatementLine):
            for small in node.body:
                states = [s for state in states for s in self.exec_small(small, state)]
            return states
        if isinstance(node, cst.If):
            return self._exec_if(node, states)
        if isinstance(node, cst.For | cst.While):
            return self._exec_loop(node, states)
        if isinstance(node, cst.Try | cst.TryStar):
            return self._exec_try(node, states)
        if isinstance(node, cst.With):
            for state in states:
                for item in node.items:
                    value = self.eval(item.item, state)
                    if item.asname is not None:
                        self.bind(item.asname.name, value, state)
            return self._suite(node.body, states)
        if isinstance(node, cst.Match):
            out: list[State] = [dict(s) for s in states]
            for state in states:
                self.eval(node.subject, state)
            for case in node.cases:
                out.extend(self._suite(case.body, [dict(s) for s in states]))
            return out
        if isinstance(node, cst.FunctionDef):
            self._exec_def(node, states)
            return states
        if isinstance(node, cst.ClassDef):
            if self.check:
                self._suite(node.body, [dict(s) for s in states])
            return states
        return states

    def _exec_def(self, node: cst.FunctionDef, states: list[State]) -> None:
        info = self.ctx.index.by_node.get(node)
        if self.check and info is not None and info.contains_dispatch:
            type(self)(self.ctx, info, check=True).run_function([dict(s) for s in states])
        for state in states:
            state[node.name.value] = TOP

    def _exec_if(self, node: cst.If, states: list[State]) -> list[State]:
        for state in states:
            self.eval(node.test, state)
        taken = self._suite(node.body, [dict(s) for s in states])
        orelse = node.orelse
        if isinstance(orelse, cst.If):
            return taken + self._exec_if(orelse, states)
        if isinstance(orelse, cst.Else):
            return taken + self._suite(orelse.body, states)
        return taken + states

    def _exec_loop(self, node: cst.For | cst.While, states: list[State]) -> list[State]:
        """Iterate the body over the abstract states until the loop head sees nothing new,
        so what one iteration binds reaches the next (a retry's rebuilt payload). The
        lattice is finite; past ``MAX_LOOP_ROUNDS`` the names that still change are unknown."""
        head = [dict(s) for s in states]
        for state in head:
            self.eval(node.iter if isinstance(node, cst.For) else node.test, state)
        seen = _dedupe(head)
        keys = {_key(s) for s in seen}
        frontier = seen
        breaks: list[State] = []
        for _ in range(MAX_LOOP_ROUNDS):
            entry = [dict(s) for s in frontier]
            for state in entry:
                if isinstance(node, cst.For):
                    self.bind(node.target, self.element_of(node.iter, state), state)
                elif isinstance(node, cst.While):
                    self.eval(node.test, state)
            frame = LoopFrame()
            self.loop_frames.append(frame)
            after = self._suite(node.body, entry)
            self.loop_frames.pop()
            breaks.extend(frame.breaks)
            frontier = [s for s in _dedupe([*after, *frame.continues]) if _key(s) not in keys]
            if not frontier:
                break
            keys.update(_key(s) for s in frontier)
            seen = [*seen, *frontier]
        else:
            seen = [_widened(seen)]
        # `while True:` leaves only through `break` (or return/raise)
        endless = isinstance(node, cst.While) and _is_true(node.test)
        finished = [] if endless else _dedupe(seen)
        if node.orelse is not None and finished:
            finished = self._suite(node.orelse.body, finished)
        return [*finished, *breaks]

    def _exec_try(self, node: cst.Try | cst.TryStar, states: list[State]) -> list[State]:
        """Handlers start from every state the body passed through, statement by
        statement: an exception may leave it anywhere."""
        raised = [dict(s) for s in states]
        current = [dict(s) for s in states]
        body = node.body
        statements = body.body if isinstance(body, cst.IndentedBlock) else None
        if statements is None:
            current = self._suite(body, current)
            raised.extend(current)
        else:
            for statement in statements:
                if not current:
                    break
                current = _dedupe(self.exec_statement(statement, current))
                raised.extend(dict(s) for s in current)
        raised = _dedupe(raised)
        after_body = current
        out: list[State] = []
        for handler in node.handlers:
            handler_states = [dict(s) for s in raised]
            if handler.name is not None:
                for state in handler_states:
                    self.bind(handler.name.name, TOP, state)
            out.extend(self._suite(handler.body, handler_states))
        if node.orelse is not None:
            after_body = self._suite(node.orelse.body, after_body)
        out.extend(after_body)
        if node.finalbody is not None:
            out = self._suite(node.finalbody.body, _dedupe(out))
        return out

    def exec_small(self, node: cst.BaseSmallStatement, state: State) -> list[State]:
        """Evaluate one small statement on one path; the paths that go on after it."""
        if isinstance(node, cst.Assign):
            value = self.eval(node.value, state)
            for target in node.targets:
                self.assign(target.target, node.value, value, state)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self.assign(node.target, node.value, self.eval(node.value, state), state)
        elif isinstance(node, cst.AugAssign):
            self._exec_aug_assign(node, state)
        elif isinstance(node, cst.Expr):
            self.eval(node.value, state)
        elif isinstance(node, cst.Return):
            self.returns.append(self.eval(node.value, state) if node.value else TOP)
            return []
        elif isinstance(node, cst.Raise):
            if node.exc is not None:
                self.eval(node.exc, state)
            return []
        elif isinstance(node, cst.Break):
            if self.loop_frames:
                self.loop_frames[-1].breaks.append(state)
            return []
        elif isinstance(node, cst.Continue):
            if self.loop_frames:
                self.loop_frames[-1].continues.append(state)
            return []
        elif isinstance(node, cst.Del):
            self._delete(node.target, state)
        elif isinstance(node, cst.Assert):
            self.eval(node.test, state)
        return [state]

    def _exec_aug_assign(self, node: cst.AugAssign, state: State) -> None:
        value = self.eval(node.value, state)
        target = node.target
        if isinstance(target, cst.Name):
            current = state.get(target.value, TOP)
            if isinstance(node.operator, cst.BitOrAssign):
                state[target.value] = self.merge(self.as_mapping(current), value)
            else:
                state[target.value] = TOP
        else:
            self.eval(target, state)

    def _delete(self, target: cst.BaseExpression, state: State) -> None:
        if isinstance(target, cst.Name):
            state.pop(target.value, None)
        elif isinstance(target, cst.Tuple | cst.List):
            for element in target.elements:
                self._delete(element.value, state)
        elif isinstance(target, cst.Subscript):
            key = self._subscript_key(target)
            if self.names.is_session_key(key) and isinstance(target.value, cst.Name):
                self._set_slot(target.value.value, Slot.ABSENT, state)

    # ----------------------------------------------------------------- binding
    def assign(
        self, target: cst.BaseExpression, source: cst.BaseExpression, value: Value, state: State
    ) -> None:
        if (
            isinstance(target, cst.Tuple | cst.List)
            and isinstance(value, Fixed)
            and len(value.elements) == len(target.elements)
            and not any(isinstance(e, cst.StarredElement) for e in target.elements)
        ):
            # `a, b = b, a` and `kwargs, runtime_opts = self.split_runtime(opts)`
            for element, item in zip(target.elements, value.elements, strict=True):
                self.bind(element.value, item, state)
            return
        if isinstance(target, cst.Tuple | cst.List) and not isinstance(
            source, cst.Tuple | cst.List
        ):
            # `kwargs, idempotent, extra, runtime_opts = split_opts(opts)`: a name reserved for
            # overrides, unpacked from a call, holds the caller's override options
            for element in target.elements:
                inner = element.value
                if isinstance(inner, cst.Name) and inner.value in self.names.override_names:
                    self.bind(inner, Mapping(Slot.MAYBE, override=""), state)
                else:
                    self.bind(inner, TOP, state)
            return
        if value is TOP and isinstance(target, cst.Name):
            value = self._normalised_ref(target.value, source, state) or value
        if (
            value is TOP
            and isinstance(source, cst.Name | cst.Attribute)
            and self.names_a_function(source)
        ):
            value = Callee(source)  # `getter = sessions.current_session_id`
        if isinstance(target, cst.Name):
            value = self._kept_override(target.value, source, value, state)
        self.bind(target, value, state)

    def _kept_override(
        self, name: str, source: cst.BaseExpression, value: Value, state: State
    ) -> Value:
        """`runtime_opts = dict(runtime_opts, timeout=5)`, `runtime_opts = normalise(
        runtime_opts)`: an override rebuilt from itself is still the caller's override."""
        current = state.get(name)
        if not isinstance(current, Mapping) or not current.override:
            return value
        if isinstance(value, Session | RefParameter) or name not in _names_in(source):
            return value
        slot = value.slot if isinstance(value, Mapping) else current.slot
        return Mapping(slot, override=current.override)

    def _normalised_ref(
        self, name: str, source: cst.BaseExpression, state: State
    ) -> RefParameter | None:
        """`ref = coerce_ref(ref)`, `wire_ref = to_wire(ref)`: a ref name bound from a call on
        a ref is still that ref, and passing either name to the resolver passes it."""
        if not isinstance(source, cst.Call):
            return None
        receiver = [source.func.value] if isinstance(source.func, cst.Attribute) else []
        for operand in (*receiver, *(arg.value for arg in source.args)):
            value = state.get(operand.value) if isinstance(operand, cst.Name) else None
            if isinstance(value, RefParameter) and (
                name == value.name or name in self.names.ref_names
            ):
                return value
        return None


MAX_LOOP_ROUNDS = 8


def _key(state: State) -> frozenset[tuple[str, Value]]:
    return frozenset(state.items())


def _widened(states: Sequence[State]) -> State:
    """One state for a loop that did not settle: a name keeps its value only where every
    state agrees on it, and is unknown elsewhere."""
    names = {name for state in states for name in state}
    widened: State = {}
    for name in names:
        values = {state.get(name, TOP) for state in states}
        widened[name] = values.pop() if len(values) == 1 else TOP
    return widened


def _is_true(test: cst.BaseExpression) -> bool:
    return (isinstance(test, cst.Name) and test.value == "True") or (
        isinstance(test, cst.Integer) and test.value not in {"0", "0x0"}
    )

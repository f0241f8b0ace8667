"""Calls: the ambient getter, the resolver, routing helpers, mapping methods, and the
same-module functions and methods a call reaches."""

from __future__ import annotations

from dataclasses import replace

import libcst as cst

from session_lint.core.values import (
    TOP,
    Callee,
    Fixed,
    Items,
    Mapping,
    Origin,
    RefParameter,
    Session,
    Slot,
    SlotValue,
    Value,
    Via,
)
from session_lint.flow import dispatch
from session_lint.flow.classes import (
    default_factory,
    field_default,
    find_member,
    is_record_class,
    linearised,
    record_fields,
)
from session_lint.flow.core import EvaluatorBase, State, _names_in, value_of
from session_lint.flow.index import FunctionInfo
from session_lint.flow.portable import ImportedFunction

# a function the call reaches: the module's own, or one of another module of the project
Target = FunctionInfo | ImportedFunction

_PARTIAL = frozenset({"functools.partial", "partial"})
_COPIES = frozenset({"dict", "copy.copy", "copy.deepcopy"})
# a record copied with fields replaced: `dataclasses.replace(p, session_id=sid)`
_RECORD_COPIES = frozenset({"dataclasses.replace", "attrs.evolve", "attr.evolve"})


class CallEvaluator(EvaluatorBase):
    # ----------------------------------------------------------------- calls
    def _eval_call(self, node: cst.Call, state: State) -> Value:
        func = node.func
        held = state.get(func.value) if isinstance(func, cst.Name) else None
        receiver: Value = TOP
        if isinstance(func, cst.Attribute):
            receiver = self.eval(func.value, state)
        elif not isinstance(func, cst.Name):
            self.eval(func, state)
        values = [self.eval(arg.value, state) for arg in node.args]
        call = node
        if isinstance(held, Callee):
            # an alias or partial: the call it stands for, reported where it is written
            call = cst.Call(func=held.func, args=[*held.args, *node.args])
            values = [*held.values, *values]
            if isinstance(held.func, cst.Attribute) and isinstance(held.func.value, cst.Name):
                receiver = state.get(held.func.value.value, TOP)
        return self._eval_known_call(node, call, receiver, values, state)

    def _eval_known_call(
        self, node: cst.Call, call: cst.Call, receiver: Value, values: list[Value], state: State
    ) -> Value:
        func = call.func
        if isinstance(func, cst.Lambda):
            return self._call_lambda(func, call, values, state)
        names = self.names
        qualified = names.table.qualify(func)
        if names.is_sink_call(call):
            if self.check:
                dispatch.check(self, call, values, state, node)
            return TOP
        if names.resolver.matches(qualified):
            return Session(
                Origin.RESOLVED,
                self.ctx.text(call).partition("(")[2],
                node,
                missing=self._missing_sources(call, state),
            )
        if names.ambient.matches(qualified):
            return Session(Origin.AMBIENT, f"{self.ctx.text(func)}()", node)
        if self._reads_ambient(func, call):
            return Session(Origin.AMBIENT, self.ctx.text(call), node)
        if names.routing_helpers.matches(qualified):
            if len(call.args) >= 2:
                return Mapping(self.to_session(values[1], call.args[1].value))
            return Mapping(Slot.UNKNOWN)
        if qualified in _PARTIAL and call.args and call.args[0].keyword is None:
            return self._partial(call, values)
        if isinstance(func, cst.Attribute):
            result = self._mapping_method(func, call, receiver, values, state)
            if result is not None:
                return result
        if (
            qualified in _COPIES
            or qualified in _RECORD_COPIES
            or (qualified or "").rsplit(".", 1)[-1] == "asdict"
        ):
            return self._eval_dict_call(call, values)
        target = self._call_target(func)
        if target is not None:
            result = self.instantiate(target, node, values, state, call)
            if result is not TOP or isinstance(target, FunctionInfo):
                return result
            # another module's function we learnt nothing from: as if we could not see it
        record = self._record_class(func)
        if record is not None:
            return self._construct(record, node, call, values)
        return self._handed_a_session(call, values)

    def _reads_ambient(self, func: cst.BaseExpression, call: cst.Call) -> bool:
        """A configured ContextVar's ``.get()`` or a configured environment variable's
        ``os.environ.get(NAME)`` / ``os.getenv(NAME)``."""
        if not isinstance(func, cst.Attribute) or func.attr.value not in {"get", "getenv"}:
            return False
        names = self.names
        if func.attr.value == "get" and names.context_vars.matches(names.table.qualify(func.value)):
            return True
        if not names.ambient_env or not call.args:
            return False
        key = self.key_of(call.args[0].value)
        if key not in names.ambient_env:
            return False
        if func.attr.value == "getenv":
            return names.table.qualify(func) == "os.getenv"
        return self.is_environ(func.value)

    def is_environ(self, node: cst.BaseExpression) -> bool:
        """``os.environ`` (also imported as ``from os import environ``)."""
        return bool(self.names.ambient_env) and self.names.table.qualify(node) == "os.environ"

    def _call_lambda(
        self, func: cst.Lambda, call: cst.Call, values: list[Value], state: State
    ) -> Value:
        """A lambda held in a local, called: its body with the arguments bound."""
        inner = dict(state)
        params = func.params.params
        plain = [v for a, v in zip(call.args, values, strict=True) if a.keyword is None]
        for index, param in enumerate(params):
            inner[param.name.value] = plain[index] if index < len(plain) else TOP
        return self.eval(func.body, inner)

    @staticmethod
    def _partial(call: cst.Call, values: list[Value]) -> Value:
        inner = values[0]
        if isinstance(inner, Callee):  # a partial of an alias or of a partial
            return Callee(inner.func, (*inner.args, *call.args[1:]), (*inner.values, *values[1:]))
        return Callee(call.args[0].value, tuple(call.args[1:]), tuple(values[1:]))

    def names_a_function(self, node: cst.BaseExpression) -> bool:
        """Does ``node`` (a name or attribute, not called) stand for a function we follow?"""
        names = self.names
        qualified = names.table.qualify(node)
        if (
            names.ambient.matches(qualified)
            or names.resolver.matches(qualified)
            or names.routing_helpers.matches(qualified)
        ):
            return True
        if names.names_a_sink(node):
            return True
        return self._call_target(node) is not None or self._record_class(node) is not None

    # ----------------------------------------------------------------- record classes
    def _record_class(self, func: cst.BaseExpression) -> cst.ClassDef | None:
        if not isinstance(func, cst.Name):
            return None
        index = self.ctx.index
        cls = index.classes.get(index.table.aliases.get(func.value, func.value))
        return cls if cls is not None and is_record_class(cls) else None

    def _construct(
        self, cls: cst.ClassDef, node: cst.Call, call: cst.Call, values: list[Value]
    ) -> Value:
        """A dataclass/attrs payload: its session field is the argument given for it, else
        its default (`field(default_factory=current_session_id)` is the ambient session)."""
        key = self.names.session_key
        fields = record_fields(self.ctx.index, cls)
        position = [name for name, _ in fields].index(key) if key in dict(fields) else None
        if position is None:
            return Mapping(Slot.ABSENT)
        plain = [(a, v) for a, v in zip(call.args, values, strict=True) if a.keyword is None]
        for arg, value in zip(call.args, values, strict=True):
            if arg.keyword is not None and arg.keyword.value == key:
                return Mapping(self.to_session(value, arg.value))
        if position < len(plain) and not any(a.star for a, _ in plain[: position + 1]):
            arg, value = plain[position]
            return Mapping(self.to_session(value, arg.value))
        default = dict(fields)[key]
        if default is None:
            return Mapping(Slot.UNKNOWN)
        factory = default_factory(default)
        if factory is not None:
            ambient = self.names.ambient.matches(self.names.table.qualify(factory))
        else:
            expression = field_default(default)
            value = self.eval(expression, {}) if expression is not None else TOP
            ambient = isinstance(value, Session) and value.is_ambient
        if ambient:
            return Mapping(Session(Origin.AMBIENT, cls.name.value, node, Via.BUILDER))
        return Mapping(Slot.UNKNOWN)

    def _handed_a_session(self, node: cst.Call, values: list[Value]) -> Value:
        """A call we cannot see into that is handed a session is taken to build a mapping
        carrying it: that is what `function_payload(..., session_id)` from another module or
        an unconfigured routing helper does. A `session_id=` keyword decides; otherwise the
        one known session (ambient, resolved or a session parameter) among the positional
        arguments."""
        key = self.names.session_key
        for arg, value in zip(node.args, values, strict=True):
            if arg.keyword is not None and arg.keyword.value == key:
                return Mapping(self.to_session(value, arg.value), assumed=True)
        sessions = {
            value
            for arg, value in zip(node.args, values, strict=True)
            if arg.keyword is None
            and not arg.star
            and isinstance(value, Session)
            and value.origin is not Origin.OPAQUE  # any other expression: not known a session
        }
        if len(sessions) == 1:
            return Mapping(sessions.pop(), assumed=True)
        return TOP

    def _eval_dict_call(self, node: cst.Call, values: list[Value]) -> Value:
        slot: SlotValue = Slot.ABSENT
        override: str | None = None
        for arg, value in zip(node.args, values, strict=True):
            if arg.keyword is None:
                slot = self._merged_slot(slot, self.as_mapping(value).slot)
                if len(node.args) == 1 and isinstance(value, Mapping):
                    override = value.override
            elif self.names.is_session_key(arg.keyword.value):
                slot = self.to_session(value, arg.value)
        return Mapping(slot, override=override)

    def _mapping_method(
        self,
        func: cst.Attribute,
        node: cst.Call,
        receiver: Value,
        values: list[Value],
        state: State,
    ) -> Value | None:
        method = func.attr.value
        names = self.names
        key = self.key_of(node.args[0].value) if node.args else None
        owner = func.value.value if isinstance(func.value, cst.Name) else None
        if method in {"get", "pop"} and key == names.runtime_key:
            return Mapping(Slot.MAYBE, override="")
        if method in {"get", "pop"} and names.is_session_key(key):
            result = self.read_session(receiver, node)
            if method == "pop" and owner is not None and isinstance(receiver, Mapping):
                self._set_slot(owner, Slot.ABSENT, state)
            return result
        if method == "setdefault" and names.is_session_key(key) and len(values) >= 2:
            current = self.as_mapping(receiver).slot
            slot = current if isinstance(current, Session) else self.to_session(values[1], None)
            if owner is not None:
                self._set_slot(owner, slot, state)
            return value_of(slot)
        if method == "copy" and not node.args and isinstance(receiver, Mapping):
            return receiver
        copied = self._record_method(method, node, receiver, values, owner, state)
        if copied is not None:
            return copied
        if method == "update" and owner is not None:
            mapping = self.as_mapping(receiver)
            slot = mapping.slot
            for arg, value in zip(node.args, values, strict=True):
                if arg.keyword is None:
                    slot = self._merged_slot(slot, self.as_mapping(value).slot)
                elif names.is_session_key(arg.keyword.value):
                    slot = self.to_session(value, arg.value)
            if slot != mapping.slot or isinstance(receiver, Mapping):
                self._set_slot(owner, slot, state)
            return TOP
        return None

    def _record_method(
        self,
        method: str,
        node: cst.Call,
        receiver: Value,
        values: list[Value],
        owner: str | None,
        state: State,
    ) -> Value | None:
        """Copies and writes of request objects and metadata lists: ``_replace`` and
        ``model_copy(update=...)`` copy the receiver with fields replaced, ``CopyFrom``
        (protobuf) and ``.append``/``.extend`` (a list of pairs) write the receiver."""
        given = list(zip(node.args, values, strict=True))
        if method in {"_replace", "model_copy"}:
            slot = self.as_mapping(receiver).slot
            for arg, value in given:
                keyword = arg.keyword.value if arg.keyword is not None else None
                if method == "_replace" and self.names.is_session_key(keyword):
                    slot = self.to_session(value, arg.value)
                elif method == "model_copy" and keyword == "update":
                    slot = self._merged_slot(slot, self.as_mapping(value).slot)
            return Mapping(slot)
        if owner is None or len(given) != 1 or given[0][0].keyword is not None:
            return None
        arg, value = given[0]
        if method == "CopyFrom":
            self._set_slot(owner, self.as_mapping(value).slot, state)
            return TOP
        if method in {"append", "extend"}:
            if method == "append" and isinstance(arg.value, cst.Tuple):
                value = self.pairs_of(cst.List([cst.Element(arg.value)]), state) or TOP
            if (
                isinstance(value, Mapping)
                and value.pairs
                and (isinstance(receiver, Mapping) or isinstance(value.slot, Session))
            ):
                merged = self._merged_slot(self.as_mapping(receiver).slot, value.slot)
                state[owner] = Mapping(merged, pairs=True)
            return TOP
        return None

    def pairs_of(self, node: cst.List | cst.Tuple, state: State) -> Mapping | None:
        raise NotImplementedError  # the expression part reads pair lists

    def _missing_sources(self, node: cst.Call, state: State) -> tuple[str, ...]:
        """Overrides and refs in scope that the resolver call does not receive."""
        passed: set[str] = set()
        for arg in node.args:
            for name in _names_in(arg.value):
                value = state.get(name)
                if isinstance(value, Mapping) and value.override:
                    passed.add(value.override)
                elif isinstance(value, RefParameter):
                    passed.add(value.name)
        overrides, refs = self.sources_in_scope(state)
        return tuple(name for name in overrides + refs if name not in passed)

    @staticmethod
    def sources_in_scope(state: State) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Names of the overrides and of the refs in scope."""
        overrides = {v.override for v in state.values() if isinstance(v, Mapping) and v.override}
        refs = {v.name for v in state.values() if isinstance(v, RefParameter)}
        return tuple(sorted(overrides)), tuple(sorted(refs))

    def sources_seen_so_far(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Like ``sources_in_scope``, over every path and point evaluated so far."""
        return self.sources_in_scope(self.sources_seen)

    # ----------------------------------------------------------------- same-module functions
    def _call_target(self, func: cst.BaseExpression) -> Target | None:
        if isinstance(func, cst.Name):
            scope = self.info
            while scope is not None:
                if func.value in scope.nested:
                    return scope.nested[func.value]
                scope = scope.parent
            functions = self.ctx.index.module_functions
            aliased = self.ctx.index.table.aliases.get(func.value, func.value)
            found = functions.get(func.value) or functions.get(aliased)
            if found is not None or aliased == func.value:
                return found  # the module's own, or a local or builtin name
            return self._imported_function(func)
        if isinstance(func, cst.Attribute):
            return self._method_target(func) or self._imported_function(func)
        return None

    def _imported_function(self, func: cst.Name | cst.Attribute) -> ImportedFunction | None:
        """A function (or ``Class.method``) another module of the project defines."""
        qualified = self.imported_name(func)
        imports = self.ctx.imports if qualified is not None else None
        return imports.function(qualified) if imports is not None and qualified else None

    def imported_name(self, node: cst.BaseExpression) -> str | None:
        """The dotted name ``node`` stands for when an import binds its head (``build``,
        ``payloads.build``); ``None`` for a local, ``self.x`` or a builtin."""
        base = node
        while isinstance(base, cst.Attribute):
            base = base.value
        if not isinstance(base, cst.Name) or base.value not in self.names.table.aliases:
            return None
        return self.names.table.qualify(node)

    def _method_target(self, node: cst.Attribute) -> Target | None:
        """``self.m``, ``cls.m``, ``Class.m`` and ``super().m``, through the same-module
        bases and mixins."""
        base = node.value
        above = False
        if isinstance(base, cst.Call) and isinstance(base.func, cst.Name):
            if base.func.value != "super":
                return None
            above, base = True, cst.Name("self")
        if not isinstance(base, cst.Name):
            return None
        owner: cst.ClassDef | None = None
        if base.value in {"self", "cls"}:
            scope = self.info
            while scope is not None and scope.owner_class is None:
                scope = scope.parent
            owner = scope.owner_class if scope is not None else None
        else:
            owner = self.ctx.index.classes.get(base.value)
        if owner is None:
            return None
        found = find_member(self.ctx.index, owner, node.attr.value, above=above)
        if found is not None:
            return found
        return self._inherited_member(owner, node.attr.value)

    def _inherited_member(self, owner: cst.ClassDef, name: str) -> ImportedFunction | None:
        """A method or property of a base or mixin imported from another module."""
        for current in linearised(self.ctx.index, owner):
            for base in current.bases:
                qualified = self.imported_name(base.value) if base.keyword is None else None
                imports = self.ctx.imports if qualified is not None else None
                if imports is None or qualified is None:
                    continue  # a same-module class (searched already), a builtin, `metaclass=`
                found = imports.member(qualified, name)
                if found is not None:
                    return found
        return None

    def instantiate(
        self,
        target: Target,
        node: cst.CSTNode,
        values: list[Value] | None,
        state: State,
        call: cst.Call | None = None,
    ) -> Value:
        """The abstract result of calling a function, from its summary; ``call`` gives the
        arguments when they differ from ``node``'s (a partial). Another module's function is
        reported here, at the call, under its dotted name."""
        result = self.ctx.summary_of(target) if isinstance(target, FunctionInfo) else TOP
        call = call or (node if isinstance(node, cst.Call) else None)
        if isinstance(target, ImportedFunction):
            result = _in_caller_scope(at_call(target.summary, node), target, call)
        if isinstance(result, Session):
            return value_of(self._instantiate_session(result, target, node, call, values))
        if isinstance(result, Mapping) and isinstance(result.slot, Session):
            slot = result.slot
            if slot.is_ambient:
                return Mapping(Session(Origin.AMBIENT, target.label, node, Via.BUILDER))
            return Mapping(self._instantiate_session(slot, target, node, call, values))
        return result

    def _instantiate_session(
        self,
        session: Session,
        target: Target,
        node: cst.CSTNode,
        call: cst.Call | None,
        values: list[Value] | None,
    ) -> SlotValue:
        if session.is_ambient:
            name = f"{target.label}()" if values is not None else self.ctx.text(node)
            return Session(Origin.AMBIENT, name, node)
        if session.origin is Origin.PARAMETER and call is not None and values is not None:
            argument = _argument_for(target, call, session.key)
            if argument is None:
                return Slot.UNKNOWN
            index = call.args.index(argument)
            return self.to_session(values[index], argument.value)
        return session


def at_call(value: Value, node: cst.CSTNode) -> Value:
    """An imported summary's sessions, which carry no node of their module, placed at the
    call that reaches them: that is where they are reported and fixed."""
    if isinstance(value, Session) and value.node is None:
        return replace(value, node=node)
    if isinstance(value, Mapping) and isinstance(value.slot, Session):
        return replace(value, slot=at_call(value.slot, node))  # type: ignore[arg-type]
    if isinstance(value, Items):
        return Items(at_call(value.element, node))
    if isinstance(value, Fixed):
        return Fixed(tuple(at_call(element, node) for element in value.elements))
    return value


def _in_caller_scope(value: Value, target: ImportedFunction, call: cst.Call | None) -> Value:
    """A resolution the imported function makes without some of its parameters (a
    resolver wrapper dropping the override it is handed) drops, in the caller, what the
    caller passes for them: the wrapper's parameter names mean nothing at the call."""
    session = value.slot if isinstance(value, Mapping) else value
    if not isinstance(session, Session) or not session.missing:
        return value
    missing: list[str] = []
    for name in session.missing:
        argument = _argument_for(target, call, name) if call is not None else None
        if argument is not None and isinstance(argument.value, cst.Name):
            missing.append(argument.value.value)
    moved = replace(session, missing=tuple(missing))
    return replace(value, slot=moved) if isinstance(value, Mapping) else moved


def _argument_for(target: Target, call: cst.Call, parameter: str) -> cst.Arg | None:
    positional = list(target.positional)
    if target.is_method and positional and isinstance(call.func, cst.Attribute):
        positional = positional[1:]  # bound method: self/cls is not in the call
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == parameter:
            return arg
    plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if parameter in positional:
        index = positional.index(parameter)
        if index < len(plain):
            return plain[index]
    return None

"""The class hierarchy within one module: methods and properties found through bases and
mixins, ``super()``, and the session field of a dataclass or attrs payload class."""

from __future__ import annotations

import libcst as cst

from session_lint.flow.index import FunctionInfo, ModuleIndex
from session_lint.flow.names import dotted_name

_RECORD_DECORATORS = frozenset({"dataclass", "define", "frozen", "mutable", "s", "attrs"})
_FACTORY_KEYWORDS = ("default_factory", "factory")


def bases_of(index: ModuleIndex, cls: cst.ClassDef) -> list[cst.ClassDef]:
    """The bases of ``cls`` defined in the same module, left to right."""
    found: list[cst.ClassDef] = []
    for base in cls.bases:
        if base.keyword is None and isinstance(base.value, cst.Name):
            defined = index.classes.get(base.value.value)
            if defined is not None and defined is not cls:
                found.append(defined)
    return found


def linearised(index: ModuleIndex, cls: cst.ClassDef) -> list[cst.ClassDef]:
    """``cls`` and its same-module ancestors, depth first, each once: the order Python's
    MRO gives for the usual mixin trees (a diamond may differ, and then either member is
    a method Python could run)."""
    order: list[cst.ClassDef] = []
    stack = [cls]
    while stack:
        current = stack.pop()
        if current in order:
            continue
        order.append(current)
        stack.extend(reversed(bases_of(index, current)))
    return order


def find_member(
    index: ModuleIndex, cls: cst.ClassDef, name: str, *, above: bool = False
) -> FunctionInfo | None:
    """The method or property ``name`` of ``cls`` (or of the first ancestor defining it);
    ``above`` starts after ``cls`` itself, as ``super()`` does."""
    for current in linearised(index, cls)[1 if above else 0 :]:
        member = index.methods.get(current, {}).get(name)
        if member is not None:
            return member
    return None


def is_record_class(cls: cst.ClassDef) -> bool:
    """A ``@dataclass`` or attrs class, whose constructor takes its fields."""
    for decorator in cls.decorators:
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        dotted = dotted_name(expression)
        if dotted is not None and dotted.rsplit(".", 1)[-1] in _RECORD_DECORATORS:
            return True
    return False


def record_fields(
    index: ModuleIndex, cls: cst.ClassDef
) -> list[tuple[str, cst.BaseExpression | None]]:
    """The fields of a record class in constructor order (bases first), with the
    expression that gives each one's default."""
    fields: dict[str, cst.BaseExpression | None] = {}
    for current in reversed(linearised(index, cls)):
        for statement in current.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    fields[small.target.value] = small.value
                elif (  # attrs' older spelling: `session_id = attr.ib(factory=...)`
                    isinstance(small, cst.Assign)
                    and len(small.targets) == 1
                    and isinstance(small.targets[0].target, cst.Name)
                    and _is_attrib(small.value)
                ):
                    fields[small.targets[0].target.value] = small.value
    return list(fields.items())


def default_factory(default: cst.BaseExpression) -> cst.BaseExpression | None:
    """``X`` of ``field(default_factory=X)`` / ``attrs.field(factory=X)``."""
    if isinstance(default, cst.Call):
        for arg in default.args:
            if arg.keyword is not None and arg.keyword.value in _FACTORY_KEYWORDS:
                return arg.value
    return None


def field_default(default: cst.BaseExpression) -> cst.BaseExpression | None:
    """The default expression of a field: ``field(default=X)`` or a plain ``= X``."""
    if isinstance(default, cst.Call):
        dotted = dotted_name(default.func) or ""
        if dotted.rsplit(".", 1)[-1] in {"field", "ib", "attrib"}:
            for arg in default.args:
                if arg.keyword is not None and arg.keyword.value == "default":
                    return arg.value
            return None
    return default


def _is_attrib(value: cst.BaseExpression) -> bool:
    if not isinstance(value, cst.Call):
        return False
    dotted = dotted_name(value.func) or ""
    return dotted.rsplit(".", 1)[-1] in {"ib", "attrib"}

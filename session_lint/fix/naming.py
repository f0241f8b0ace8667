"""How a fix names the resolver in the module it edits, and which import it needs.

The resolver is named as the module already calls or imports it (an alias is reused);
otherwise it is imported from its configured module (`resolver = "pkg.mod.fn"` gives
`from pkg.mod import fn`). A bare configured name that nothing in the file imports has no
module we could honestly write, so no fix is offered and the finding says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst

from session_lint.flow.index import ModuleIndex
from session_lint.flow.names import Names

ImportRequest = tuple[str, str, int]  # module, name, leading dots


@dataclass(frozen=True)
class ResolverName:
    callee: str  # how the call is spelt: `resolve_session_id`, `sessions.resolve_session_id`
    needed_import: ImportRequest | None


def resolver_name(
    module: cst.Module,
    names: Names,
    index: ModuleIndex,
    resolver_calls: Sequence[cst.Call],
    taken: frozenset[str],
) -> ResolverName | str:
    """How this module can name the resolver, or why it cannot. ``taken``: names bound at
    module level, which an added import must not shadow."""
    for call in resolver_calls[:1]:
        return ResolverName(module.code_for_node(call.func), None)  # as the module calls it
    for local, qualified in names.table.aliases.items():
        if names.resolver.matches(qualified):
            return ResolverName(local, None)  # imported, maybe under an alias, not yet called
    short = names.resolver_name
    if short in index.module_functions:
        return ResolverName(short, None)
    home, _, _ = names.resolver_path.rpartition(".")
    if not home:
        return (
            f"`{short}` is not imported in this file and its module is not configured; "
            f'set `resolver = "package.module.{short}"` or import it'
        )
    for local, qualified in names.table.aliases.items():
        if qualified == home:  # `import pkg.mod as m`, `from pkg import mod`
            return ResolverName(f"{local}.{short}", None)
    if short in taken:
        return f"`{short}` already names something else in this file; import the resolver"
    return ResolverName(short, (home, short, 0))

"""Hypothesis strategies that build dispatch functions known to be buggy or clean.

Each generated module is assembled from independent choices (import style, override and
ref sources, how the session is obtained, how the payload and routing are built, branches,
async). Whether the result is buggy follows from those choices alone, by construction, so
a test can check that the checker flags exactly the buggy ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st


@dataclass(frozen=True)
class Generated:
    source: str
    buggy: bool
    function: str  # name of the dispatching function
    fixable: bool = True  # the module names the resolver (imports or calls it)

    def function_span(self) -> tuple[int, int]:
        """First and last line (1-based) of the dispatching function."""
        lines = self.source.splitlines()
        start = next(i for i, line in enumerate(lines) if f"def {self.function}(" in line)
        end = start + 1
        while end < len(lines) and (lines[end].startswith(" ") or not lines[end].strip()):
            end += 1
        return start + 1, end


@dataclass(frozen=True)
class _Names:
    ambient: str  # how the ambient getter is called
    resolver: str  # how the resolver is called
    imports: str
    imports_resolver: bool = True  # else only a call of it names it


_IMPORT_STYLES = [
    _Names(
        "current_session_id",
        "resolve_session_id",
        "from runtime import current_session_id, resolve_session_id\n",
    ),
    _Names(
        "cur",
        "resolve",
        "from runtime import current_session_id as cur, resolve_session_id as resolve\n",
    ),
    _Names("rt.current_session_id", "rt.resolve_session_id", "import runtime as rt\n", False),
    _Names(
        "current_session_id",
        "resolve_session_id",
        "from runtime import current_session_id\n",
        False,
    ),
]


@st.composite
def dispatch_modules(draw: st.DrawFn) -> Generated:
    names = draw(st.sampled_from(_IMPORT_STYLES))
    override = draw(st.sampled_from(["none", "parameter", "popped"]))
    has_ref = draw(st.booleans())
    is_async = draw(st.booleans())
    function = draw(st.sampled_from(["call", "dispatch", "run_method", "_send"]))
    sid = draw(st.sampled_from(["sid", "session_id", "resolved"]))
    payload_var = draw(st.sampled_from(["payload", "body"]))
    sink = draw(st.sampled_from(["execute", "execute_stream"]))

    sources = (["runtime_opts"] if override != "none" else []) + (["ref"] if has_ref else [])
    resolver_args = ", ".join(
        (["runtime_opts"] if override != "none" else ["None"] if has_ref else [])
        + (["ref"] if has_ref else [])
    )
    session_choices = ["resolved", "ambient"]
    if sources:
        session_choices += ["dropped"]
    if override != "none":
        session_choices += ["hand_rolled"]
    session_style = draw(st.sampled_from(session_choices))
    payload_style = draw(st.sampled_from(["literal", "dict_call", "update", "builder"]))
    builder_override = draw(st.sampled_from(["always", "on_one_branch", "never"]))
    routing_style = draw(st.sampled_from(["literal", "dict_merge", "helper", "read_back"]))

    params = ["client", "name"]
    if has_ref:
        params.append("ref")
    if override == "parameter":
        params.append("runtime_opts")
    if payload_style == "builder" and builder_override == "on_one_branch":
        params.append("fast")
    if override == "popped":
        params.append("**opts")

    body: list[str] = []
    if override == "popped":
        body.append('runtime_opts = opts.pop("__runtime__", None) or {}')
    buggy = False
    if session_style == "resolved":
        body.append(f"{sid} = {names.resolver}({resolver_args})")
    elif session_style == "ambient":
        body.append(f"{sid} = {names.ambient}()")
        buggy = True
    elif session_style == "dropped":
        body.append(f"{sid} = {names.resolver}()")
        buggy = True
    else:
        body.append(f'{sid} = runtime_opts.get("session_id") or {names.ambient}()')
        buggy = True

    if payload_style == "literal":
        body.append(f'{payload_var} = {{"function": name, "session_id": {sid}}}')
    elif payload_style == "dict_call":
        body.append(f"{payload_var} = dict(function=name, session_id={sid})")
    elif payload_style == "update":
        body.append(f'{payload_var} = {{"function": name}}')
        body.append(f"{payload_var}.update(session_id={sid})")
    else:
        body.append(f"{payload_var} = build_payload(name)")
        if builder_override == "always":
            body.append(f'{payload_var}["session_id"] = {sid}')
        elif builder_override == "on_one_branch":
            body.append("if not fast:")
            body.append(f'    {payload_var}["session_id"] = {sid}')
            buggy = True
        else:
            buggy = True

    if routing_style == "literal":
        routing = f'{{"session_id": {sid}}}'
    elif routing_style == "dict_merge" and override != "none":
        routing = f"dict(runtime_opts, session_id={sid})"
    elif routing_style == "helper":
        routing = f"ensure_session_opt({'runtime_opts' if override != 'none' else '{}'}, {sid})"
    elif routing_style == "read_back":
        routing = f'{{"session_id": {payload_var}["session_id"]}}'
    else:
        routing = f'{{"timeout": 5, "session_id": {sid}}}'

    awaited = "await " if is_async else ""
    extra = ", print" if sink == "execute_stream" else ""
    body.append(
        f'return {awaited}client.{sink}("snakebridge.call", {payload_var}{extra}, {routing})'
    )

    lines = [names.imports, "", ""]
    if payload_style == "builder":
        lines += [
            "def build_payload(name):",
            f'    return {{"function": name, "session_id": {names.ambient}()}}',
            "",
            "",
        ]
    lines += [
        "def ensure_session_opt(opts, session_id):",
        '    return {**opts, "session_id": session_id}',
        "",
        "",
        f"{'async ' if is_async else ''}def {function}({', '.join(params)}):",
        *(f"    {line}" for line in body),
        "",
        "",
        "def unrelated(value):",
        "    # a neighbour that no fix may touch",
        "    return value * 2",
        "",
    ]
    calls_resolver = session_style in ("resolved", "dropped")
    return Generated("\n".join(lines), buggy, function, names.imports_resolver or calls_resolver)

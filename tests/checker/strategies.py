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


_REBUILDS = {
    # what the back edge carries into the next attempt, and whether that is a bug
    "ambient_builder": (["payload = build_payload(name)"], True),
    "ambient_read": (["sid = current_session_id()"], True),
    "ambient_or_error": (["sid = err.new_session or current_session_id()"], True),
    "builder_overridden": (["payload = build_payload(name)", 'payload["session_id"] = sid'], False),
    "resolve_again": (["sid = resolve_session_id(runtime_opts)"], False),
    "nothing": (["pass"], False),
}


@st.composite
def retry_modules(draw: st.DrawFn) -> Generated:
    """A correct dispatch wrapped in a generated loop or retry; what the loop's back edge
    carries into the next attempt decides whether it is buggy."""
    loop = draw(st.sampled_from(["for", "while_true", "while_counter", "async_for"]))
    placement = draw(st.sampled_from(["handler", "end_of_body", "finally"]))
    choices = (
        sorted(_REBUILDS)
        if placement == "handler"
        else [name for name in sorted(_REBUILDS) if name != "ambient_or_error"]
    )
    rebuild = draw(st.sampled_from(choices))
    leave = draw(st.sampled_from(["return", "break"]))
    payload_inside = draw(st.booleans())
    function = draw(st.sampled_from(["call_with_retry", "send", "_attempt"]))
    statements, buggy = _REBUILDS[rebuild]
    if rebuild == "ambient_builder" and payload_inside:
        buggy = False  # the next attempt builds its payload afresh before dispatching

    is_async = loop == "async_for"
    awaited = "await " if is_async else ""
    dispatch = f'{awaited}client.execute("snakebridge.call", payload, {{"session_id": sid}})'
    body = ["sid = resolve_session_id(runtime_opts)"]
    if not payload_inside:
        body.append('payload = {"function": name, "session_id": sid}')
    header = {
        "for": "for _attempt in range(3):",
        "while_true": "while True:",
        "while_counter": "while attempts < 3:",
        "async_for": "async for _attempt in attempts_of(3):",
    }[loop]
    if loop == "while_counter":
        body.append("attempts = 0")
    body.append(header)
    inner: list[str] = []
    if loop == "while_counter":
        inner.append("attempts += 1")
    if payload_inside:
        inner.append('payload = {"function": name, "session_id": sid}')
    inner.append("try:")
    inner += [f"    return {dispatch}"] if leave == "return" else [f"    {dispatch}", "    break"]
    inner.append("except Retry as err:" if placement == "handler" else "except Retry:")
    inner += [f"    {line}" for line in statements] if placement == "handler" else ["    pass"]
    if placement == "finally":
        inner.append("finally:")
        inner += [f"    {line}" for line in statements]
    if placement == "end_of_body":
        inner += statements
    body += [f"    {line}" for line in inner]
    body.append("return None")

    lines = [
        "from runtime import current_session_id, resolve_session_id",
        "",
        "",
        "class Retry(Exception):",
        "    new_session = None",
        "",
        "",
        "def build_payload(name):",
        '    return {"function": name, "session_id": current_session_id()}',
        "",
        "",
        f"{'async ' if is_async else ''}def {function}(client, name, runtime_opts):",
        *(f"    {line}" for line in body),
        "",
    ]
    # a payload built once before the loop and a routing session rebound inside it need
    # two places for one local: no automatic fix, and the finding says why
    fixable = payload_inside or rebuild not in ("ambient_read", "ambient_or_error")
    return Generated("\n".join(lines), buggy, function, fixable)

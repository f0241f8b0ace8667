from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class AmbientSessionAtDispatch(Rule):
    """## What it does
    Flags a dispatch whose payload or routing session comes from the ambient session
    getter (`current_session_id()`), directly, through a local, or through a same-module
    wrapper or property that returns it.

    ## Why is this bad?
    The ambient session ignores the caller's explicit `__runtime__={"session_id": ...}`
    override and the session of a ref being used. The worker then stores or looks up
    refs under a session the caller did not choose, and the pool may route the call to
    a worker that never saw them: refs are silently lost.

    ## Options
    `ambient`, `resolver`, `session-key`, `sinks`, `override-names`, `ref-names`.

    ## Fix safety
    The fix is safe: it replaces the ambient read by `resolve_session_id(...)` with every
    override and ref in scope. With none of them set, the resolver returns exactly what the
    ambient getter did; with one set, the call now uses the session the caller asked for,
    which is the repair.
    When the dispatch needs the session in several places, the fix resolves once into one
    local (a name already bound once to the resolution, or a new name that collides with
    nothing) and uses it everywhere. The resolver is named as the file already imports it,
    else imported from its configured module (`resolver = "pkg.mod.fn"` adds `from pkg.mod
    import fn`). No fix is offered, and the message says why, when only a bare resolver
    name is configured and the file does not import it, when two overrides or refs are in
    scope, or when the override was reassigned before the resolver.
    """

    CODE = "SES001"
    NAME = "ambient-session-at-dispatch"
    FIX = "sometimes"
    FIX_TITLE = "Resolve the session with every override and ref in scope"
    MESSAGE = (
        "session from the ambient getter `{source}` reaches a dispatch; "
        "resolve it once with `{resolver}({overrides})` and use that value for payload and routing"
    )
    VALID = (
        Valid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def get_module_attr(client, module, attr, runtime_opts):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            '    payload = {"python_module": module, "attr": attr, "session_id": session_id}\n'
            '    routing = {**runtime_opts, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, routing)\n'
        ),
        Valid(
            "def release_session(client, session_id):\n"
            '    payload = {"session_id": session_id}\n'
            '    return client.execute("snakebridge.release_session", payload, {"session_id": session_id})\n'
        ),
        Valid(
            "from runtime import current_session_id\n"
            "\n"
            "\n"
            "def describe():\n"
            '    return {"session_id": current_session_id()}\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import current_session_id, resolve_session_id\n"
            "\n"
            "\n"
            "def get_module_attr(client, module, attr, runtime_opts):\n"
            "    session_id = current_session_id()\n"
            '    payload = {"python_module": module, "attr": attr, "session_id": session_id}\n'
            '    routing = {**runtime_opts, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, routing)\n',
            lines=(5,),
            expected_fix=(
                "from runtime import current_session_id, resolve_session_id\n"
                "\n"
                "\n"
                "def get_module_attr(client, module, attr, runtime_opts):\n"
                "    session_id = resolve_session_id(runtime_opts)\n"
                '    payload = {"python_module": module, "attr": attr, "session_id": session_id}\n'
                '    routing = {**runtime_opts, "session_id": session_id}\n'
                '    return client.execute("snakebridge.call", payload, routing)\n'
            ),
        ),
        Invalid(
            "from runtime import resolve_session_id, sessions as s\n"
            "\n"
            "\n"
            "async def ping(client):\n"
            '    payload = {"helper": "ping", "session_id": s.current_session_id()}\n'
            '    return await client.execute("snakebridge.call", payload, {"session_id": payload["session_id"]})\n',
            lines=(5,),
            expected_fix=(
                "from runtime import resolve_session_id, sessions as s\n"
                "\n"
                "\n"
                "async def ping(client):\n"
                '    payload = {"helper": "ping", "session_id": resolve_session_id()}\n'
                '    return await client.execute("snakebridge.call", payload, {"session_id": payload["session_id"]})\n'
            ),
        ),
        Invalid(
            "from runtime import current_session_id as cur, resolve_session_id\n"
            "\n"
            "\n"
            "class Bridge:\n"
            "    @property\n"
            "    def session(self):\n"
            "        return cur()\n"
            "\n"
            "    def ping(self, client):\n"
            "        sid = self.session\n"
            '        return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n',
            lines=(10,),
            expected_fix=(
                "from runtime import current_session_id as cur, resolve_session_id\n"
                "\n"
                "\n"
                "class Bridge:\n"
                "    @property\n"
                "    def session(self):\n"
                "        return cur()\n"
                "\n"
                "    def ping(self, client):\n"
                "        sid = resolve_session_id()\n"
                '        return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n'
            ),
        ),
    )

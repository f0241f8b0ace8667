from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class AmbientBuilderNotOverridden(Rule):
    """## What it does
    Flags a dispatch whose payload comes from a payload builder that embeds the ambient
    session, when the dispatching function does not overwrite the payload's session with
    the resolved one before dispatching.

    ## Why is this bad?
    The builder reads `current_session_id()` when it builds the payload, so the payload
    carries the ambient session even when the caller passed an explicit override or a
    ref of another session. The worker stores the call's refs under the wrong session.
    This is the seed bug of `call/4`, `call_class/4`, `call_helper/3` and `stream/5`.

    ## Options
    `ambient`, `session-key`, `sinks`.

    ## Fix safety
    The fix is safe: before `payload = builder(...)` it inserts `session_id =
    resolve_session_id(<overrides in scope>)` (or reuses such a local already assigned
    earlier in the block), and after it `payload["session_id"] = session_id`. A statement
    that only read the session back out of that payload is removed, and other read-backs
    take the local. No fix is offered when the builder call is not a plain assignment.
    When the dispatch needs the session in several places, the fix resolves once into one
    local (a name already bound once to the resolution, or a new name that collides with
    nothing) and uses it everywhere. The resolver is named as the file already imports it,
    else imported from its configured module (`resolver = "pkg.mod.fn"` adds `from pkg.mod
    import fn`). No fix is offered, and the message says why, when only a bare resolver
    name is configured and the file does not import it, when two overrides or refs are in
    scope, or when the override was reassigned before the resolver.
    """

    CODE = "SES002"
    NAME = "ambient-builder-not-overridden"
    FIX = "sometimes"
    FIX_TITLE = "Resolve once, then overwrite the payload's session after the builder"
    MESSAGE = (
        "payload from `{builder}()` carries the ambient session; set "
        '`payload["{key}"]` to the session resolved once with `{resolver}(...)` before dispatching'
    )
    ELIXIR_MESSAGE = (
        "payload from `{builder}()` carries the ambient session; pipe it into "
        '`Map.put("{key}", session_id)` with the session resolved once by `{resolver}(...)` '
        "before dispatching"
    )
    VALID = (
        Valid(
            "from runtime import current_session_id, resolve_session_id\n"
            "\n"
            "\n"
            "def base_payload(module, function):\n"
            '    return {"python_module": module, "function": function, "session_id": current_session_id()}\n'
            "\n"
            "\n"
            "def call(client, module, function, runtime_opts):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            "    payload = base_payload(module, function)\n"
            '    payload["session_id"] = session_id\n'
            '    return client.execute("snakebridge.call", payload, dict(runtime_opts, session_id=session_id))\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import current_session_id, resolve_session_id\n"
            "\n"
            "\n"
            "def base_payload(module, function):\n"
            '    return {"python_module": module, "function": function, "session_id": current_session_id()}\n'
            "\n"
            "\n"
            "def call(client, module, function, runtime_opts):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            "    payload = base_payload(module, function)\n"
            '    return client.execute("snakebridge.call", payload, dict(runtime_opts, session_id=session_id))\n',
            lines=(10,),
            expected_fix=(
                "from runtime import current_session_id, resolve_session_id\n"
                "\n"
                "\n"
                "def base_payload(module, function):\n"
                '    return {"python_module": module, "function": function, "session_id": current_session_id()}\n'
                "\n"
                "\n"
                "def call(client, module, function, runtime_opts):\n"
                "    session_id = resolve_session_id(runtime_opts)\n"
                "    payload = base_payload(module, function)\n"
                '    payload["session_id"] = session_id\n'
                '    return client.execute("snakebridge.call", payload, dict(runtime_opts, session_id=session_id))\n'
            ),
        ),
        Invalid(
            "from runtime import current_session_id, resolve_session_id\n"
            "\n"
            "\n"
            "def base_payload(function):\n"
            '    payload = {"function": function}\n'
            '    payload["session_id"] = current_session_id()\n'
            "    return payload\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts, fast):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            "    payload = base_payload(function)\n"
            "    if not fast:\n"
            "        payload.update(session_id=session_id)\n"
            '    return client.execute("snakebridge.call", payload, dict(runtime_opts, session_id=session_id))\n',
            lines=(12,),
            expected_fix=(
                "from runtime import current_session_id, resolve_session_id\n"
                "\n"
                "\n"
                "def base_payload(function):\n"
                '    payload = {"function": function}\n'
                '    payload["session_id"] = current_session_id()\n'
                "    return payload\n"
                "\n"
                "\n"
                "def call(client, function, runtime_opts, fast):\n"
                "    session_id = resolve_session_id(runtime_opts)\n"
                "    payload = base_payload(function)\n"
                '    payload["session_id"] = session_id\n'
                "    if not fast:\n"
                "        payload.update(session_id=session_id)\n"
                '    return client.execute("snakebridge.call", payload, dict(runtime_opts, session_id=session_id))\n'
            ),
        ),
    )

from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class MissingRoutingSession(Rule):
    """## What it does
    Flags a dispatch whose payload carries a session while the routing options are
    never given one (an empty mapping, or the caller's raw `runtime_opts`).

    ## Why is this bad?
    Without a routing session the pool picks any worker, which is not the one holding
    the session's refs; when the caller passed no override, the raw `runtime_opts` has
    no session either. The payload's session then names refs the chosen worker lacks.

    ## Options
    `session-key`, `sinks`, `routing-helpers`.

    ## Fix safety
    The fix is safe: the routing options become `{**opts, "session_id":
    payload["session_id"]}`, so the call is routed to the worker that owns the payload's
    session. Offered when the payload is a local variable.
    """

    CODE = "SES006"
    NAME = "missing-routing-session"
    FIX = "sometimes"
    FIX_TITLE = "Give routing the payload's session"
    MESSAGE = (
        "payload carries a session but routing gets none; pass the same session to "
        "routing, e.g. `ensure_session_opt(runtime_opts, session_id)`"
    )
    VALID = (
        Valid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            '    payload = {"function": function, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, ensure_session_opt(runtime_opts, session_id))\n'
        ),
        Valid(
            "def call(client, function, runtime_opts):\n"
            '    return client.execute("snakebridge.call", {"function": function}, runtime_opts)\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            '    payload = {"function": function, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, runtime_opts)\n',
            lines=(7,),
            expected_fix=(
                "from runtime import resolve_session_id\n"
                "\n"
                "\n"
                "def call(client, function, runtime_opts):\n"
                "    session_id = resolve_session_id(runtime_opts)\n"
                '    payload = {"function": function, "session_id": session_id}\n'
                '    return client.execute("snakebridge.call", payload, {**runtime_opts, "session_id": payload["session_id"]})\n'
            ),
        ),
    )

from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class SplitSession(Rule):
    """## What it does
    Flags a dispatch whose payload session and routing session are different values.

    ## Why is this bad?
    The worker stores and finds refs under the payload's session, while the pool picks
    the worker by the routing session. When they differ, a ref is created on one worker
    under one session and looked up later on another: it is lost.

    ## Options
    `resolver`, `session-key`, `sinks`.

    ## Fix safety
    There is no automatic fix yet: resolve once into a local and give the local to both
    the payload and the routing options.
    """

    CODE = "SES005"
    NAME = "split-session"
    MESSAGE = (
        "payload session and routing session are different values; resolve once with "
        "`{resolver}(...)` and give the same value to both"
    )
    VALID = (
        Valid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            '    payload = {"function": function, "session_id": resolve_session_id(runtime_opts)}\n'
            '    routing = {"session_id": resolve_session_id(runtime_opts)}\n'
            '    return client.execute("snakebridge.call", payload, routing)\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, session_id, runtime_opts):\n"
            '    payload = {"function": function, "session_id": session_id}\n'
            "    routing = dict(runtime_opts, session_id=resolve_session_id(runtime_opts))\n"
            '    return client.execute("snakebridge.call", payload, routing)\n',
            lines=(7,),
        ),
    )

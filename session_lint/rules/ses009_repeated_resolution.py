from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class RepeatedResolution(Rule):
    """## What it does
    Opt-in, strict: flags a dispatch whose payload and routing sessions come from two
    separate resolver calls, even with the same arguments.

    ## Why is this bad?
    Two calls with the same arguments give the same value today, so this is not a bug
    on its own; but the pair drifts apart as soon as one call is edited, and an
    auto-session created between them would differ. One resolved local is clearer.

    ## Options
    `resolver`.

    ## Fix safety
    There is no automatic fix yet: assign the resolved session to a local once.
    """

    CODE = "SES009"
    NAME = "repeated-session-resolution"
    MESSAGE = (
        "session resolved twice for one dispatch; resolve once into a local and use it for both"
    )
    DEFAULT_ENABLED = False
    VALID = (
        Valid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            "    sid = resolve_session_id(runtime_opts)\n"
            '    return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            '    payload = {"session_id": resolve_session_id(runtime_opts)}\n'
            '    routing = {"session_id": resolve_session_id(runtime_opts)}\n'
            '    return client.execute("snakebridge.call", payload, routing)\n',
            lines=(7,),
        ),
    )

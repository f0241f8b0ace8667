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
    The fix is safe: the two calls give one value today, and one local bound once before
    both (a name that collides with nothing in scope, or a local the function already binds
    once to one of the calls) now gives it to payload and routing. No fix is offered when
    no single place comes before both uses on every path without leaving a loop.
    """

    CODE = "SES009"
    NAME = "repeated-session-resolution"
    FIX = "sometimes"
    FIX_TITLE = "Resolve once into one local used by payload and routing"
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
            expected_fix=(
                "from runtime import resolve_session_id\n"
                "\n"
                "\n"
                "def call(client, function, runtime_opts):\n"
                "    session_id = resolve_session_id(runtime_opts)\n"
                '    payload = {"session_id": session_id}\n'
                '    routing = {"session_id": session_id}\n'
                '    return client.execute("snakebridge.call", payload, routing)\n'
            ),
        ),
    )

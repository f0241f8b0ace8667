from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class HandRolledPrecedence(Rule):
    """## What it does
    Flags a hand-written session precedence that falls back on the ambient getter, such
    as `runtime_opts.get("session_id") or current_session_id()`, when it feeds a dispatch.

    ## Why is this bad?
    A hand-rolled chain skips sources (usually the ref's session), accepts invalid values
    (`""`, an int) that the resolver rejects, and drifts from the one precedence order
    the project relies on: explicit override > ref > context > auto-session.

    ## Options
    `ambient`, `resolver`.

    ## Fix safety
    The fix is unsafe (applied with `--unsafe-fixes`): `resolve_session_id(...)` also
    honours the ref's session and rejects invalid values (`""`, an int) that the chain
    accepted, so behaviour can change beyond the repair.
    """

    CODE = "SES007"
    NAME = "hand-rolled-session-precedence"
    FIX = "sometimes"
    FIX_TITLE = "Replace the hand-rolled chain by the resolver"
    MESSAGE = (
        "hand-rolled session precedence ends in the ambient getter; use `{resolver}({overrides})`"
    )
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
            "from runtime import current_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            '    sid = runtime_opts.get("session_id") or current_session_id()\n'
            '    return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n',
            lines=(5,),
            expected_fix=(
                "from runtime import resolve_session_id, current_session_id\n"
                "\n"
                "\n"
                "def call(client, function, runtime_opts):\n"
                "    sid = resolve_session_id(runtime_opts)\n"
                '    return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n'
            ),
        ),
    )

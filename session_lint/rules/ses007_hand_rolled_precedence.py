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
    When the dispatch needs the session in several places, the fix resolves once into one
    local (a name already bound once to the resolution, or a new name that collides with
    nothing) and uses it everywhere. The resolver is named as the file already imports it,
    else imported from its configured module (`resolver = "pkg.mod.fn"` adds `from pkg.mod
    import fn`). No fix is offered, and the message says why, when only a bare resolver
    name is configured and the file does not import it, when two overrides or refs are in
    scope, or when the override was reassigned before the resolver.
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
            "from runtime import current_session_id, resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, runtime_opts):\n"
            '    sid = runtime_opts.get("session_id") or current_session_id()\n'
            '    return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n',
            lines=(5,),
            expected_fix=(
                "from runtime import current_session_id, resolve_session_id\n"
                "\n"
                "\n"
                "def call(client, function, runtime_opts):\n"
                "    sid = resolve_session_id(runtime_opts)\n"
                '    return client.execute("snakebridge.call", {"session_id": sid}, {"session_id": sid})\n'
            ),
        ),
    )

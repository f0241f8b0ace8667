from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class AmbientPayloadBuilder(Rule):
    """## What it does
    Opt-in, strict: flags a payload builder, a function that does not dispatch itself,
    whose returned mapping embeds the ambient session.

    ## Why is this bad?
    Such a builder is correct only while every caller remembers to overwrite the
    session it embeds. Taking the resolved session as a parameter removes the trap. The
    rule is off by default because the seed's fixed runtime keeps such builders, with
    every caller overriding.

    ## Options
    `ambient`, `session-key`.

    ## Fix safety
    There is no automatic fix: the builder's signature changes.
    """

    CODE = "SES008"
    NAME = "ambient-payload-builder"
    MESSAGE = (
        "builder returns a payload holding the ambient session; take the session "
        "resolved by the caller as a parameter"
    )
    DEFAULT_ENABLED = False
    VALID = (
        Valid(
            "def base_payload(function, session_id):\n"
            '    return {"function": function, "session_id": session_id}\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import current_session_id\n"
            "\n"
            "\n"
            "def base_payload(function):\n"
            '    return {"function": function, "session_id": current_session_id()}\n',
            lines=(5,),
        ),
    )

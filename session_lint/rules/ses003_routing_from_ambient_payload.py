from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class RoutingFromAmbientPayload(Rule):
    """## What it does
    Flags a routing session read back out of a payload whose session is the ambient one
    (`payload.get("session_id")`, `payload["session_id"]`).

    ## Why is this bad?
    Reading the routing session back from the payload makes routing follow the ambient
    session too: an explicit `__runtime__` override is dropped from both sides at once,
    so the bug cannot even be seen as a mismatch. Reading back is fine once the payload's
    session has been set to the resolved value.

    ## Options
    `ambient`, `session-key`, `routing-helpers`.

    ## Fix safety
    The fix is safe and comes with the fix of the payload builder (SES002): the payload's
    session is overwritten with the resolved local, and the read-back takes that local
    (or is removed when it only re-read it). Without a fixable builder call, no fix.
    """

    CODE = "SES003"
    NAME = "routing-from-ambient-payload"
    FIX = "sometimes"
    FIX_TITLE = "Route with the session resolved once"
    MESSAGE = (
        "routing session is read back from a payload holding the ambient session; "
        "pass the session resolved once with `{resolver}(...)` instead"
    )
    VALID = (
        Valid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, payload, runtime_opts):\n"
            '    payload["session_id"] = resolve_session_id(runtime_opts)\n'
            '    routing = ensure_session_opt(runtime_opts, payload.get("session_id"))\n'
            '    return client.execute("snakebridge.call", payload, routing)\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import current_session_id, resolve_session_id\n"
            "\n"
            "\n"
            "def helper_payload(helper):\n"
            '    return {"helper": helper, "session_id": current_session_id()}\n'
            "\n"
            "\n"
            "def call_helper(client, helper, runtime_opts):\n"
            "    payload = helper_payload(helper)\n"
            '    session_id = payload.get("session_id")\n'
            "    runtime_opts = ensure_session_opt(runtime_opts, session_id)\n"
            '    return client.execute("snakebridge.call", payload, runtime_opts)\n',
            lines=(10,),
            expected_fix=(
                "from runtime import current_session_id, resolve_session_id\n"
                "\n"
                "\n"
                "def helper_payload(helper):\n"
                '    return {"helper": helper, "session_id": current_session_id()}\n'
                "\n"
                "\n"
                "def call_helper(client, helper, runtime_opts):\n"
                "    session_id = resolve_session_id(runtime_opts)\n"
                "    payload = helper_payload(helper)\n"
                '    payload["session_id"] = session_id\n'
                "    runtime_opts = ensure_session_opt(runtime_opts, session_id)\n"
                '    return client.execute("snakebridge.call", payload, runtime_opts)\n'
            ),
        ),
    )

from __future__ import annotations

from session_lint.rule import Invalid, Rule, Valid


class ResolverDropsOverride(Rule):
    """## What it does
    Flags a `resolve_session_id(...)` call, feeding a dispatch, that does not receive an
    override (`runtime_opts`, a local read from `"__runtime__"`) or a ref parameter that
    is in scope.

    ## Why is this bad?
    The resolver can only honour the sources it is given. Called as
    `resolve_session_id({})` while the caller's `runtime_opts` exist, it silently ignores
    the explicit override; called without the `ref` of a ref operation, it uses the
    ambient session instead of the ref's own, and the worker cannot find the ref.

    ## Options
    `resolver`, `override-names`, `ref-names`, `runtime-key`.

    ## Fix safety
    The fix is safe: the resolver's arguments become the override and the ref in scope,
    `resolve_session_id(runtime_opts, ref)`. Calls without an override keep behaving as
    before; calls with one now honour it.
    When the dispatch needs the session in several places, the fix resolves once into one
    local (a name already bound once to the resolution, or a new name that collides with
    nothing) and uses it everywhere. The resolver is named as the file already imports it,
    else imported from its configured module (`resolver = "pkg.mod.fn"` adds `from pkg.mod
    import fn`). No fix is offered, and the message says why, when only a bare resolver
    name is configured and the file does not import it, when two overrides or refs are in
    scope, or when the override was reassigned before the resolver.
    """

    CODE = "SES004"
    NAME = "resolver-drops-override"
    FIX = "sometimes"
    FIX_TITLE = "Pass every override and ref in scope to the resolver"
    MESSAGE = "`{resolver}()` drops {missing} in scope; call `{resolver}({suggestion})`"
    VALID = (
        Valid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call_method(client, ref, method, **opts):\n"
            '    runtime_opts = opts.pop("__runtime__", None) or {}\n'
            "    session_id = resolve_session_id(runtime_opts, ref)\n"
            '    payload = {"instance": ref, "method": method, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, {"session_id": session_id})\n'
        ),
    )
    INVALID = (
        Invalid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def call(client, function, **opts):\n"
            '    runtime_opts = opts.pop("__runtime__", {})\n'
            "    session_id = resolve_session_id({})\n"
            '    payload = {"function": function, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, {"session_id": session_id})\n',
            lines=(6,),
            expected_fix=(
                "from runtime import resolve_session_id\n"
                "\n"
                "\n"
                "def call(client, function, **opts):\n"
                '    runtime_opts = opts.pop("__runtime__", {})\n'
                "    session_id = resolve_session_id(runtime_opts)\n"
                '    payload = {"function": function, "session_id": session_id}\n'
                '    return client.execute("snakebridge.call", payload, {"session_id": session_id})\n'
            ),
        ),
        Invalid(
            "from runtime import resolve_session_id\n"
            "\n"
            "\n"
            "def get_attr(client, ref, attr, runtime_opts=None):\n"
            "    session_id = resolve_session_id(runtime_opts)\n"
            '    payload = {"instance": ref, "attr": attr, "session_id": session_id}\n'
            '    return client.execute("snakebridge.call", payload, {"session_id": session_id})\n',
            lines=(5,),
            expected_fix=(
                "from runtime import resolve_session_id\n"
                "\n"
                "\n"
                "def get_attr(client, ref, attr, runtime_opts=None):\n"
                "    session_id = resolve_session_id(runtime_opts, ref)\n"
                '    payload = {"instance": ref, "attr": attr, "session_id": session_id}\n'
                '    return client.execute("snakebridge.call", payload, {"session_id": session_id})\n'
            ),
        ),
    )

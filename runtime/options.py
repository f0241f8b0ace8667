"""Splitting a call's ``**opts`` into target kwargs and reserved keys; routing options."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from runtime.errors import InvalidRuntimeOptionError
from runtime.resolve import SESSION_KEY, check_runtime_opts

RUNTIME_KEY = "__runtime__"
IDEMPOTENT_KEY = "idempotent"
ARGS_KEY = "__args__"
TIMEOUT_KEY: Final = "timeout"

RUNTIME_OPTIONS: Final = (SESSION_KEY, TIMEOUT_KEY)
"""Every key a ``__runtime__`` mapping may hold; any other is a typo and is refused."""

SplitOpts = tuple[dict[str, Any], bool, list[Any], Mapping[str, Any] | None]


def split_opts(opts: Mapping[str, Any]) -> SplitOpts:
    """``(kwargs, idempotent, extra_args, runtime_opts)`` from a call's ``**opts``.

    ``runtime_opts`` is the caller's ``__runtime__`` mapping (``None`` when not given);
    a non-mapping value raises ``InvalidSessionIdError`` naming ``__runtime__``, and an
    unknown key ``InvalidRuntimeOptionError``.
    """
    kwargs = dict(opts)
    runtime_opts = check_runtime_options(kwargs.pop(RUNTIME_KEY, None))
    idempotent = kwargs.pop(IDEMPOTENT_KEY, False)
    if not isinstance(idempotent, bool):
        raise TypeError(f"idempotent must be a bool, got {idempotent!r}")
    extra = kwargs.pop(ARGS_KEY, ())
    if isinstance(extra, str | bytes) or not isinstance(extra, list | tuple):
        raise TypeError(f"__args__ must be a list or tuple of positional args, got {extra!r}")
    return kwargs, idempotent, list(extra), runtime_opts


def check_runtime_options(runtime_opts: object) -> Mapping[str, Any] | None:
    """``__runtime__`` as given, once every key is known: a typo must not run the call.

    A misspelt ``session_id`` would otherwise run under the auto-session, the very split
    this project exists to prevent, and a misspelt ``timeout`` would run unbounded.
    """
    options = check_runtime_opts(runtime_opts)
    if options is not None:
        for key in options:
            if key not in RUNTIME_OPTIONS:
                raise InvalidRuntimeOptionError(str(key), RUNTIME_OPTIONS)
    return options


def reject_call_args(path: str, kwargs: Mapping[str, Any], extra_args: list[Any]) -> None:
    """Paths that take no target arguments refuse them instead of dropping them silently."""
    if kwargs:
        raise TypeError(f"{path}() got unexpected keyword arguments: {sorted(kwargs)}")
    if extra_args:
        raise TypeError(f"{path}() takes no __args__")


def ensure_session_opt(runtime_opts: Mapping[str, Any] | None, session_id: str) -> dict[str, Any]:
    """Routing options: a new dict of the caller's ``__runtime__`` options with the session set."""
    return {**(runtime_opts or {}), SESSION_KEY: session_id}

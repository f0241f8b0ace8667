"""Fixture projects for project mode, written into a temporary folder: builders, wrappers,
constants and mixins in modules of their own, and callers marked ``# expect: CODE``."""

from __future__ import annotations

import re
from pathlib import Path

from session_lint.types import Diagnostic

RUNTIME_IMPORT = "from runtime import current_session_id, ensure_session_opt, resolve_session_id\n"

PAYLOADS = (
    "from runtime import current_session_id\n"
    "\n"
    "\n"
    "def base_payload(module, function, args, kwargs):\n"
    "    return {\n"
    '        "python_module": module,\n'
    '        "function": function,\n'
    '        "args": list(args),\n'
    '        "kwargs": kwargs,\n'
    '        "session_id": current_session_id(),\n'
    "    }\n"
)
# the same builder once fixed at its source: the caller hands it the session
PAYLOADS_FIXED = (
    "def base_payload(module, function, args, kwargs, session_id=None):\n"
    '    return {"python_module": module, "function": function, "session_id": session_id}\n'
)

# a dispatching module importing `base_payload` from {module}: SES002 at 7:15
CALLER = (
    "from runtime import ensure_session_opt, resolve_session_id\n"
    "from {module} import base_payload\n\n\n"
    "def call(client, function, runtime_opts):\n"
    "    sid = resolve_session_id(runtime_opts)\n"
    '    payload = base_payload("m", function, (), {{}})\n'
    '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
)

SHOP = {
    "pyproject.toml": '[project]\nname = "shop"\nversion = "0"\n',
    "shop/__init__.py": 'from .payloads import base_payload\n\n__all__ = ["base_payload"]\n',
    "shop/payloads.py": PAYLOADS,
    "shop/keys.py": 'SESSION = "session_id"\n',
    "shop/sessions.py": (
        "from runtime import current_session_id\n\n\n"
        "def ambient_sid():\n    return current_session_id()\n"
    ),
    "shop/mixins.py": (
        "from .sessions import ambient_sid\n\n\n"
        "class SessionMixin:\n"
        "    @property\n"
        "    def session(self):\n"
        "        return ambient_sid()\n"
    ),
    "shop/builders.py": (
        "from .payloads import base_payload\n\n\n"
        "def build(module, function):\n"
        "    return base_payload(module, function, (), {})\n"
    ),
    "shop/cycle_a.py": ("from . import cycle_b\n\n\ndef helper():\n    return cycle_b.other()\n"),
    "shop/cycle_b.py": (
        "from runtime import current_session_id\n\n"
        "from .cycle_a import helper\n\n\n"
        "def builder(function):\n"
        '    return {"function": function, "session_id": current_session_id()}\n\n\n'
        "def other():\n    return helper()\n"
    ),
    "shop/helpers.py": (
        "from runtime import resolve_session_id\n\n\n"
        "def split(opts):\n"
        '    runtime_opts = opts.pop("__runtime__", {})\n'
        "    return opts, runtime_opts\n\n\n"
        "def sid_for(runtime_opts):\n"
        "    return resolve_session_id()  # drops the override it is handed\n\n\n"
        "def sid_with(runtime_opts):\n"
        "    return resolve_session_id(runtime_opts)\n"
    ),
    "shop/calls.py": (
        RUNTIME_IMPORT + "from vendor_sdk import make_payload\n\n"
        "import shop.payloads as payloads_module\n"
        "from shop import base_payload as exported\n"
        "from shop.keys import SESSION\n\n"
        "from . import keys\n"
        "from .builders import build\n"
        "from .cycle_b import builder\n"
        "from .mixins import SessionMixin\n"
        "from .payloads import base_payload\n"
        "\n\n"
        "def relative(client, module, function, args=(), **opts):\n"
        "    runtime_opts = opts.get('__runtime__', {})\n"
        "    payload = base_payload(module, function, args, {})  # expect: SES002\n"
        '    session_id = payload.get("session_id")  # expect: SES003\n'
        "    runtime_opts = ensure_session_opt(runtime_opts, session_id)\n"
        '    return client.execute("call", payload, runtime_opts)\n'
        "\n\n"
        "def module_alias(client, module, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = payloads_module.base_payload(module, function, (), {})  # expect: SES002\n"
        '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
        "\n\n"
        "def re_exported(client, module, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = exported(module, function, (), {})  # expect: SES002\n"
        '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
        "\n\n"
        "def two_modules_away(client, module, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = build(module, function)  # expect: SES002\n"
        '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
        "\n\n"
        "def through_a_cycle(client, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = builder(function)  # expect: SES002\n"
        '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
        "\n\n"
        "def constants(client, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = {'function': function, SESSION: current_session_id()}  # expect: SES001\n"
        '    return client.execute("call", payload, {keys.SESSION: sid})\n'
        "\n\n"
        "def outside_the_project(client, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = make_payload(function)  # opaque: not known to carry a session\n"
        '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
        "\n\n"
        "def outside_handed_the_ambient(client, function, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    payload = make_payload(function, current_session_id())  # expect: SES001\n"
        '    return client.execute("call", payload, ensure_session_opt(runtime_opts, sid))\n'
        "\n\n"
        "class Client(SessionMixin):\n"
        "    def call(self, client, function, runtime_opts):\n"
        "        sid = self.session  # expect: SES001\n"
        '        payload = {"function": function, "session_id": sid}\n'
        '        return client.execute("call", payload, {"session_id": sid})\n'
        "\n\n"
        "def split_helper(client, function, **opts):\n"
        "    from .helpers import split\n\n"
        "    kwargs, runtime_opts = split(opts)\n"
        "    sid = resolve_session_id()  # expect: SES004\n"
        '    return client.execute("call", {"session_id": sid}, {"session_id": sid})\n'
        "\n\n"
        "def resolver_wrappers(client, function, runtime_options):\n"
        "    from .helpers import sid_for, sid_with\n\n"
        "    good = sid_with(runtime_options)\n"
        '    client.execute("call", {"session_id": good}, {"session_id": good})\n'
        "    sid = sid_for(runtime_options)  # expect: SES004\n"
        '    return client.execute("call", {"session_id": sid}, {"session_id": sid})\n'
    ),
}

_MARKER = re.compile(r"# expect: ([A-Z0-9, ]+)")


def write_project(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def expected(path: Path) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = _MARKER.search(line)
        if match:
            found |= {(number, code.strip()) for code in match.group(1).split(",")}
    return found


def lines_and_codes(diagnostics: list[Diagnostic]) -> set[tuple[int, str]]:
    return {(d.line, d.code) for d in diagnostics}


_REPORTED = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<code>SES\d{3})")


def reported(output: str, file: str) -> set[tuple[int, int, str]]:
    """``(line, column, code)`` of each ``path:line:col: CODE`` line about ``file``."""
    found = set()
    for line in output.splitlines():
        match = _REPORTED.match(line.strip())
        if match and Path(match["path"]).name == file:
            found.add((int(match["line"]), int(match["column"]), match["code"]))
    return found

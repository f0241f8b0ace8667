"""What project mode costs: a generated project checked with cross-module analysis off,
cold (no summary cache) and warm (the cache of an earlier run).

    python benchmarks/project.py [--modules N] [--rounds N] [--jobs N]

The project has N modules: builders, session wrappers, key constants and a session mixin
in shared modules (re-exported by the shared package), and N-5 modules whose functions
dispatch through them between ordinary code; one module in ten also has bugs, one that
the module shows by itself and some that only the imported names reveal. The three sides run
alternately (off, cold, warm, ...) as whole ``session-lint`` processes; the script prints
each side's median wall time, its ratio to the run with cross-module analysis off, and
the findings each side reports (only project mode sees the imported builders).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARED = {
    "app/__init__.py": "",
    "app/shared/__init__.py": (
        "from .payloads import base_payload, call_payload, function_payload\n"
        "from .sessions import ambient_sid\n\n"
        '__all__ = ["base_payload", "call_payload", "function_payload", "ambient_sid"]\n'
    ),
    "app/shared/payloads.py": (
        "from runtime import current_session_id\n\n"
        "from .keys import SESSION\n\n\n"
        "def base_payload(module, function, args, kwargs):\n"
        '    return {"python_module": module, "function": function, "args": list(args),\n'
        '            "kwargs": kwargs, SESSION: current_session_id()}\n\n\n'
        "def function_payload(module, function, session_id):\n"
        '    return {"python_module": module, "function": function, SESSION: session_id}\n\n\n'
        "def call_payload(module, function):\n"
        "    payload = base_payload(module, function, (), {})\n"
        '    payload["call_type"] = "function"\n'
        "    return payload\n"
    ),
    "app/shared/keys.py": 'SESSION = "session_id"\nRUNTIME = "__runtime__"\n',
    "app/shared/sessions.py": (
        "from runtime import current_session_id\n\n\n"
        "def ambient_sid():\n    return current_session_id()\n\n\n"
        "class SessionMixin:\n"
        "    @property\n"
        "    def session(self):\n"
        "        return ambient_sid()\n"
    ),
}

MODULE = '''"""Generated module {n}."""

import json
import os

from runtime import current_session_id, ensure_session_opt, resolve_session_id

from app.shared import base_payload, call_payload, function_payload
from app.shared.keys import SESSION
from app.shared.sessions import SessionMixin


def call_{n}(client, module, function, args=(), **opts):
    runtime_opts = opts.get("__runtime__", {{}})
    session_id = resolve_session_id(runtime_opts)
    payload = base_payload(module, function, args, {{}})
    payload[SESSION] = session_id
    runtime_opts = ensure_session_opt(runtime_opts, session_id)
    return client.execute("call", payload, runtime_opts)


def function_{n}(client, module, function, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = function_payload(module, function, session_id)
    return client.execute("call", payload, ensure_session_opt(runtime_opts, session_id))


def two_away_{n}(client, module, function, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = call_payload(module, function)
    payload[SESSION] = session_id
    return client.execute("call", payload, ensure_session_opt(runtime_opts, session_id))


class Client{n}(SessionMixin):
    def call(self, client, function, runtime_opts):
        sid = resolve_session_id(runtime_opts)
        return client.execute("call", {{"function": function, SESSION: sid}}, {{SESSION: sid}})


def report_{n}(rows):
    totals = {{}}
    for row in rows:
        key = os.path.join(row["folder"], row["name"])
        totals[key] = totals.get(key, 0) + row["size"]
    lines = [f"{{name}}: {{size}}" for name, size in sorted(totals.items())]
    return json.dumps({{"lines": lines, "count": len(lines)}})


def parse_{n}(text):
    fields = [part.strip() for part in text.split(",") if part.strip()]
    if not fields:
        return None
    head, *rest = fields
    return {{"head": head, "rest": rest, "size": sum(len(part) for part in rest)}}
'''

# one module in ten also has bugs: one the module shows itself (found either way) and
# ones only the imported builder, wrapper and mixin reveal, so the same files report
BUGGY = """

def local_bug_{n}(client, function):
    sid = current_session_id()
    return client.execute("call", {{"function": function, "session_id": sid}}, {{}})


def builder_bug_{n}(client, module, function, args=(), **opts):
    runtime_opts = opts.get("__runtime__", {{}})
    payload = base_payload(module, function, args, {{}})
    session_id = payload.get(SESSION)
    runtime_opts = ensure_session_opt(runtime_opts, session_id)
    return client.execute("call", payload, runtime_opts)


class Mixed{n}(SessionMixin):
    def call(self, client, function):
        sid = self.session
        return client.execute("call", {{"function": function, SESSION: sid}}, {{SESSION: sid}})
"""


def generate(root: Path, modules: int) -> None:
    (root / "pyproject.toml").write_text('[project]\nname = "generated"\nversion = "0"\n')
    for name, text in SHARED.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for n in range(modules - len(SHARED)):
        text = MODULE + (BUGGY if n % 10 == 0 else "")
        (root / "app" / f"mod_{n:03d}.py").write_text(text.format(n=n))


def run(root: Path, flags: list[str], jobs: int) -> tuple[float, int]:
    command = [sys.executable, "-m", "session_lint", "-q", "-j", str(jobs), *flags, "app"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"session-lint failed: {result.stderr}")
    return elapsed, sum(1 for line in result.stdout.splitlines() if ": SES" in line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        generate(root, options.modules)
        cache = root / ".session_lint_cache"
        times: dict[str, list[float]] = {"off": [], "cold": [], "warm": []}
        findings: dict[str, int] = {}
        for _ in range(options.rounds):
            elapsed, findings["off"] = run(root, ["--no-project"], options.jobs)
            times["off"].append(elapsed)
            shutil.rmtree(cache, ignore_errors=True)
            elapsed, findings["cold"] = run(root, [], options.jobs)
            times["cold"].append(elapsed)
            elapsed, findings["warm"] = run(root, [], options.jobs)
            times["warm"].append(elapsed)
        base = statistics.median(times["off"])
        print(f"{options.modules} modules, {options.rounds} rounds, -j {options.jobs}")
        for side, label in (
            ("off", "cross-module analysis off (--no-project)"),
            ("cold", "project mode, cold cache"),
            ("warm", "project mode, warm cache"),
        ):
            median = statistics.median(times[side])
            print(f"  {label:42} {median:6.2f} s  {median / base:5.2f}x  {findings[side]} findings")


if __name__ == "__main__":
    main()

"""The shape keys in Elixir: ``sink`` tables (positions, a keyword of the trailing keyword
list, a call target through aliases, routing that is the session itself),
``session-headers`` (maps and lists of pairs, any case), ``ambient-env`` and ``contract``
tables. Each scenario is written in both languages and must give the codes Python gives,
a clean version of it nothing; through the library and the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from session_lint import lint_source
from session_lint.config import Config, config_from_mapping
from session_lint.shapes import Contract, Place, SinkShape
from tests.checker.cli_support import session_lint
from tests.checker.elixir.support import ROOT


def _in_session(target: str) -> Config:
    """Snakepit's `execute_in_session(session_id, command, args)`: the first argument routes."""
    shape = SinkShape(
        target, call=True, payload=Place(2), routing=Place(0), routing_is_session=True
    )
    return Config(sink=(shape,))


IN_SESSION = _in_session("Snakepit.execute_in_session")
IN_SESSION_POOL = _in_session("Bridge.Pool.execute_in_session")
PY_IN_SESSION = """\
import Snakepit
from runtime import current_session_id, resolve_session_id


def call(command, args, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = {**args, "session_id": session_id}
    return Snakepit.execute_in_session(ROUTED, command, payload)
"""
EX_IN_SESSION = """\
defmodule Bridge.Calls do
  def call(command, args, runtime_opts) do
    session_id = resolve_session_id(runtime_opts)
    payload = Map.put(args, "session_id", session_id)
    Snakepit.execute_in_session(ROUTED, command, payload)
  end
end
"""
GRPC = Config(
    sink=(SinkShape("execute_tool", payload=Place(1), routing=Place(keyword="metadata")),),
    session_headers=("x-session-id",),
)
PY_GRPC = """\
from runtime import current_session_id, resolve_session_id


def call(stub, channel, name):
    sid = resolve_session_id()
    request = {"session_id": sid, "tool_name": name}
    return stub.execute_tool(channel, request, metadata=[("X-Session-Id", ROUTED)], timeout=3)
"""
EX_GRPC_PAIRS = """\
defmodule Bridge.Grpc do
  def call(stub, channel, name) do
    sid = resolve_session_id()
    request = %{"session_id" => sid, "tool_name" => name}
    stub.execute_tool(channel, request, metadata: [{"X-Session-Id", ROUTED}], timeout: 3)
  end
end
"""
EX_GRPC_MAP = EX_GRPC_PAIRS.replace('[{"X-Session-Id", ROUTED}]', '%{"x-session-id" => ROUTED}')

ENV = Config(ambient_env=("BRIDGE_SESSION_ID",))
PY_ENV = """\
import os

from runtime import resolve_session_id


def call(client, tool, runtime_opts):
    session_id = resolve_session_id(runtime_opts)
    payload = {"tool": tool, "session_id": ROUTED}
    return client.execute(tool, payload, {"session_id": session_id})
"""
EX_ENV = """\
defmodule Bridge.Env do
  def call(client, tool, runtime_opts) do
    session_id = resolve_session_id(runtime_opts)
    payload = %{"tool" => tool, "session_id" => ROUTED}
    client.execute(tool, payload, session_id: session_id)
  end
end
"""

TRACE = Config(
    contract=(Contract(key="trace_id", resolver="resolve_trace_id", ambient=("current_trace_id",)),)
)
PY_TRACE = """\
from runtime import current_trace_id, resolve_session_id, resolve_trace_id


def call(client, tool, runtime_opts):
    sid = resolve_session_id(runtime_opts)
    tid = resolve_trace_id(runtime_opts)
    payload = {"session_id": sid, "trace_id": ROUTED}
    return client.execute(tool, payload, {"session_id": sid, "trace_id": tid})
"""
EX_TRACE = """\
defmodule Bridge.Trace do
  def call(client, tool, runtime_opts) do
    sid = resolve_session_id(runtime_opts)
    tid = resolve_trace_id(runtime_opts)
    payload = %{"session_id" => sid, "trace_id" => ROUTED}
    client.execute(tool, payload, session_id: sid, trace_id: tid)
  end
end
"""

# (config, Python, Elixir, the ambient read, the resolved value)
SCENARIOS = {
    "call target, routing is the session": (
        IN_SESSION,
        PY_IN_SESSION,
        EX_IN_SESSION,
        "current_session_id()",
        "session_id",
    ),
    "keyword routing, header pairs": (GRPC, PY_GRPC, EX_GRPC_PAIRS, "current_session_id()", "sid"),
    "keyword routing, header map": (GRPC, PY_GRPC, EX_GRPC_MAP, "current_session_id()", "sid"),
    "environment read": (
        ENV,
        PY_ENV,
        EX_ENV,
        {"py": 'os.environ.get("BRIDGE_SESSION_ID")', "ex": 'System.get_env("BRIDGE_SESSION_ID")'},
        "session_id",
    ),
    "another key family": (TRACE, PY_TRACE, EX_TRACE, "current_trace_id()", "tid"),
}


def _sources(name: str, buggy: bool) -> tuple[Config, str, str]:
    config, python, elixir, ambient, resolved = SCENARIOS[name]
    reads = ambient if isinstance(ambient, dict) else {"py": ambient, "ex": ambient}
    py_value = reads["py"] if buggy else resolved
    ex_value = reads["ex"] if buggy else resolved
    return config, python.replace("ROUTED", py_value), elixir.replace("ROUTED", ex_value)


def _codes_and_messages(source: str, path: str, config: Config) -> list[tuple[str, str]]:
    return sorted((d.code, d.message) for d in lint_source(source, path=path, config=config))


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_elixir_gives_the_codes_python_gives_and_a_clean_version_nothing(name: str) -> None:
    config, python, elixir = _sources(name, buggy=True)
    in_python = _codes_and_messages(python, "calls.py", config)
    in_elixir = _codes_and_messages(elixir, "calls.ex", config)
    assert in_python, "the Python version is a finding"
    assert [code for code, _ in in_elixir] == [code for code, _ in in_python]
    if config.contract:  # the other family's finding names its key in both languages
        assert all(message.startswith("`trace_id`: ") for _, message in in_elixir)
    config, python, elixir = _sources(name, buggy=False)
    assert _codes_and_messages(python, "calls.py", config) == []
    assert _codes_and_messages(elixir, "calls.ex", config) == []


def test_a_call_target_matches_through_an_alias_and_only_there() -> None:
    _config, _python, elixir = _sources("call target, routing is the session", buggy=True)
    aliased = elixir.replace(
        "defmodule Bridge.Calls do\n",
        "defmodule Bridge.Calls do\n  alias Bridge.Pool, as: Snakepit\n\n",
    )
    expected = [code for code, _ in _codes_and_messages(elixir, "calls.ex", IN_SESSION)]
    assert [c for c, _ in _codes_and_messages(aliased, "calls.ex", IN_SESSION_POOL)] == expected
    # `Snakepit` now names Bridge.Pool: the configured Snakepit target is another module
    assert _codes_and_messages(aliased, "calls.ex", IN_SESSION) == []


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_without_the_shape_keys_both_languages_still_agree(name: str) -> None:
    config, python, elixir = _sources(name, buggy=True)
    without = _codes_and_messages(elixir, "calls.ex", Config())
    assert without == _codes_and_messages(python, "calls.py", Config())
    assert without != _codes_and_messages(elixir, "calls.ex", config)


def test_an_environment_variable_not_configured_is_not_ambient() -> None:
    _config, _python, elixir = _sources("environment read", buggy=True)
    other = Config(ambient_env=("OTHER_VARIABLE",))
    # an opaque value beside the resolved routing: split (SES005), not ambient (SES001)
    assert [code for code, _ in _codes_and_messages(elixir, "calls.ex", other)] == ["SES005"]


def test_the_cli_reads_the_tables_for_elixir_files(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.session-lint]\n"
        'session-headers = ["x-session-id"]\n\n'
        "[[tool.session-lint.sink]]\n"
        'method = "execute_tool"\n'
        "payload = 1\n"
        'routing = "metadata"\n'
    )
    config = config_from_mapping(
        {
            "session-headers": ["x-session-id"],
            "sink": [{"method": "execute_tool", "payload": 1, "routing": "metadata"}],
        },
        "test",
    )
    assert config == GRPC
    _, _, elixir = _sources("keyword routing, header pairs", buggy=True)
    (tmp_path / "grpc.ex").write_text(elixir)
    result = session_lint("--format", "json", "grpc.ex", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    reported = [(f["code"], f["line"]) for f in json.loads(result.stdout)]
    library = [(d.code, d.line) for d in lint_source(elixir, path="grpc.ex", config=GRPC)]
    assert reported == library and reported


SNAKEPIT = """\
defmodule Bridge.Pool do
  def call(command, args, runtime_opts) do
    session_id = resolve_session_id(runtime_opts)
    payload = Map.put(args, "session_id", session_id)
    Snakepit.execute_in_session(System.get_env("SNAKEPIT_SESSION_ID"), command, payload)
  end
end
"""


def test_the_readme_snakepit_configuration_is_honoured(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- elixir-shapes-config -->\n```toml\n(.*?)```", readme, re.DOTALL)
    assert match is not None
    (tmp_path / "pool.ex").write_text(SNAKEPIT)
    unconfigured = session_lint("pool.ex", cwd=tmp_path)
    assert unconfigured.returncode == 0, unconfigured.stdout  # not a default sink
    (tmp_path / "pyproject.toml").write_text(match.group(1))
    configured = session_lint("--format", "json", "pool.ex", cwd=tmp_path)
    found = [(d["line"], d["code"]) for d in json.loads(configured.stdout)]
    assert found == [(5, "SES001")]


def test_elixir_function_names_ending_in_a_bang_can_be_configured(tmp_path: Path) -> None:
    bang = """\
defmodule Bridge.Bang do
  def call(client, tool, runtime_opts) do
    session_id = resolve_session_id(runtime_opts)
    payload = %{"tool" => tool, "session_id" => Ctx.current_session_id!()}
    client.execute!(tool, payload, session_id: session_id)
  end
end
"""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.session-lint]\nsinks = ["execute!"]\nambient = ["Ctx.current_session_id!"]\n'
    )
    (tmp_path / "bang.ex").write_text(bang)
    result = session_lint("--format", "json", "bang.ex", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert [(d["line"], d["code"]) for d in json.loads(result.stdout)] == [(4, "SES001")]
    # without the bang, neither the sink nor the getter is the configured one
    plain = bang.replace("current_session_id!", "current_session_id").replace("execute!", "execute")
    (tmp_path / "bang.ex").write_text(plain)
    assert session_lint("bang.ex", cwd=tmp_path).returncode == 0


def test_a_call_target_matches_through_an_import_when_the_module_does_not_define_it() -> None:
    _config, _python, elixir = _sources("call target, routing is the session", buggy=True)
    unqualified = elixir.replace("Snakepit.execute_in_session(", "execute_in_session(")
    imported = unqualified.replace(
        "defmodule Bridge.Calls do\n", "defmodule Bridge.Calls do\n  import Snakepit\n\n"
    )
    expected = [code for code, _ in _codes_and_messages(elixir, "calls.ex", IN_SESSION)]
    assert [c for c, _ in _codes_and_messages(imported, "calls.ex", IN_SESSION)] == expected
    # without the import, or with a local function of that name, it is not Snakepit's
    assert _codes_and_messages(unqualified, "calls.ex", IN_SESSION) == []
    local = imported.replace(
        "  def call(", "  defp execute_in_session(_s, _c, _p), do: :ok\n\n  def call("
    )
    assert _codes_and_messages(local, "calls.ex", IN_SESSION) == []

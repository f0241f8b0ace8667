"""Dispatch shapes beyond ``execute(tool, payload, opts)``: configuration, matching,
carriers, sources, the prefilter, the summary, flake8 and project mode (issue 14)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from session_lint import lint_source
from session_lint.config import Config, ConfigError, config_from_mapping
from session_lint.fix.api import fix_source
from session_lint.prefilter import Prefilter
from session_lint.registry import enabled_codes
from session_lint.shapes import Contract, Place, SinkShape
from tests.checker.cli_support import FIXTURES, flake8, session_lint

GRPC_CONFIG = """[tool.session-lint]
session-headers = ["x-session-id"]

[[tool.session-lint.sink]]
method = "ExecuteTool"
payload = 0
routing = "metadata"
"""
GRPC = Config(
    sink=(SinkShape("ExecuteTool", payload=Place(0), routing=Place(keyword="metadata")),),
    session_headers=("x-session-id",),
)
# SES001 at 6:49
GRPC_BUGGY = (
    "from runtime import current_session_id, resolve_session_id\n"
    "\n"
    "\n"
    "def call(stub, pb2, name):\n"
    "    sid = resolve_session_id()\n"
    "    request = pb2.ExecuteToolRequest(session_id=current_session_id(), tool_name=name)\n"
    '    return stub.ExecuteTool(request, metadata=[("X-Session-Id", sid)], timeout=3)\n'
)


ROUTED = '{"session_id": resolve_session_id()}'


def _codes(source: str, config: Config) -> list[tuple[int, str]]:
    return [(d.line, d.code) for d in lint_source(source, config=config)]


# ----------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    ("key", "table", "problem"),
    [
        ("sink", 'method = "ExecuteTool"\npayload = 0\n', "entry 1: needs `routing`"),
        (
            "sink",
            'method = "a.b"\npayload = 0\nrouting = 1\n',
            "`method` is a method name, without dots",
        ),
        ("sink", 'call = "x"\nmethod = "y"\npayload = 0\nrouting = 1\n', "exactly one of `method`"),
        ("sink", 'method = "m"\npayload = 0\nrouting = 1\npaylod = 2\n', "unknown key `paylod`"),
        ("sink", 'method = "m"\npayload = 0\nrouting = 0\n', "must be different arguments"),
        ("sink", 'method = "m"\npayload = -1\nrouting = 1\n', "one positional index from 0"),
        ("sink", 'method = "m"\npayload = "a-b"\nrouting = 1\n', "one keyword argument name"),
        ("sink", 'method = "m"\npayload = [0, 1]\nrouting = "x"\n', "one positional index"),
        ("sink", 'method = "m"\npayload = true\nrouting = "x"\n', "a positional index, a keyword"),
        ("contract", 'resolver = "r"\nambient = ["a"]\n', "`contract` entry 1 needs `key`"),
        ("contract", 'key = "cid"\nambient = ["a"]\n', "`contract` entry 1 needs `resolver`"),
        ("contract", 'key = "cid"\nresolver = "r"\n', "needs an ambient source"),
        (
            "contract",
            'key = "cid"\nresolver = "r"\nambient = ["a"]\nsinks = ["x"]\n',
            "unknown key `sinks`",
        ),
        ("contract", 'key = "cid"\nresolver = "1r"\nambient = ["a"]\n', "`resolver` has '1r'"),
    ],
)
def test_a_bad_table_is_an_error_naming_the_file_and_key(
    tmp_path: Path, key: str, table: str, problem: str
) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[[tool.session-lint.{key}]]\n{table}")
    (tmp_path / "bridge.py").write_text(GRPC_BUGGY)
    result = session_lint("bridge.py", cwd=tmp_path)
    assert result.returncode == 2
    where = f"{tmp_path.resolve() / 'pyproject.toml'} [tool.session-lint]: `{key}` "
    assert where in result.stderr
    assert problem in result.stderr
    assert "Traceback" not in result.stderr


def test_sink_must_be_an_array_of_tables() -> None:
    with pytest.raises(ConfigError, match=r"f: `sink` must be an array of tables"):
        config_from_mapping({"sink": "ExecuteTool"}, "f")
    with pytest.raises(ConfigError, match=r"f: `sink` entry 2: must be a table"):
        config_from_mapping({"sink": [GRPC.sink[0].as_table(), 3]}, "f")


def test_new_list_keys_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"`ambient-attributes` has 'self\.1x'"):
        Config(ambient_attributes=("self.1x",))
    with pytest.raises(ConfigError, match="`session-headers` must be printable"):
        config_from_mapping({"session-headers": ['x"id']}, "f")
    with pytest.raises(ConfigError, match="`ambient-env` must be a list"):
        config_from_mapping({"ambient-env": "X"}, "f")


def test_empty_sinks_and_ambient_need_another_form() -> None:
    with pytest.raises(ConfigError, match="`sinks` must name at least one function"):
        Config(sinks=())
    only_tables = Config(sinks=(), ambient=(), ambient_attributes=("self.sid",), sink=GRPC.sink)
    source = GRPC_BUGGY.replace("current_session_id()", "self.sid")
    assert _codes(source, only_tables) == [(6, "SES001")]


def test_show_settings_prints_the_tables_and_the_sink_model(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(GRPC_CONFIG)
    result = session_lint("--show-settings", "bridge.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    source = tmp_path.resolve() / "pyproject.toml"
    assert (
        f'sink = [{{ method = "ExecuteTool", payload = 0, routing = "metadata" }}]  # {source}'
        in lines
    )
    assert f'session-headers = ["x-session-id"]  # {source}' in lines
    model = lines[lines.index("# dispatches recognised (the effective sink model):") + 1 :]
    assert model[:3] == [
        "#   method .ExecuteTool(...): payload = positional argument 0; routing = metadata=",
        "#   method .execute(...): payload = payload= or positional argument 1; "
        "routing = opts= or the last positional argument (of 3 or more)",
        "#   method .execute_stream(...): payload = payload= or positional argument 1; "
        "routing = opts= or the last positional argument (of 3 or more)",
    ]


# ----------------------------------------------------------------------------- matching


def test_keyword_wins_and_position_counts_from_zero() -> None:
    celery = Config(
        sink=(
            SinkShape("apply_async", payload=Place(1, "kwargs"), routing=Place(keyword="headers")),
        )
    )
    positional = (
        "def go(task, args):\n"
        '    return task.apply_async(args, {"session_id": current_session_id()}, headers={})\n'
    )
    keyword = positional.replace("args, {", "args, kwargs={")
    assert _codes(positional, celery) == [(2, "SES001")]
    assert _codes(keyword, celery) == [(2, "SES001")]
    no_routing = positional.replace(", headers={}", "")
    assert _codes(no_routing, celery) == []  # not the configured shape: not a dispatch


def test_a_call_target_matches_through_imports_and_only_there() -> None:
    config = Config(
        sink=(
            SinkShape(
                "requests.post",
                call=True,
                payload=Place(keyword="json"),
                routing=Place(keyword="headers"),
            ),
        )
    )
    body = '(url, json={"session_id": current_session_id()}, headers={})\n'
    for header, call in [
        ("import requests\n", "requests.post"),
        ("import requests as rq\n", "rq.post"),
        ("from requests import post as send\n", "send"),
    ]:
        source = f"{header}\n\ndef go(url):\n    return {call}{body}"
        assert _codes(source, config) == [(5, "SES001")], source
    other = f"def go(client, url):\n    return client.post{body}"
    assert _codes(other, config) == []


def test_a_table_wins_over_a_sinks_method_of_the_same_name() -> None:
    config = Config(sink=(SinkShape("execute", payload=Place(0), routing=Place(1)),))
    source = 'def go(c):\n    return c.execute({"session_id": current_session_id()}, {})\n'
    assert _codes(source, config) == [(2, "SES001")]
    assert _codes(source, Config()) == []


def test_default_configuration_diagnostics_do_not_change_with_shapes_added() -> None:
    """Today's fixtures give the same findings when the new keys are set beside them."""
    shaped = Config(
        sink=GRPC.sink,
        session_headers=("x-session-id",),
        ambient_attributes=("flask.g.session_id",),
        ambient_context_vars=("_current_session",),
        ambient_env=("X_SESSION_ID",),
    )
    paths = sorted((FIXTURES / "rules").glob("*.py"))
    for path in [*paths, FIXTURES / "before" / "runtime_before.py"]:
        source = path.read_text()
        assert lint_source(source, config=shaped) == lint_source(source), path


# ----------------------------------------------------------------------------- carriers


@pytest.mark.parametrize(
    "routing",
    [
        '[("x-session-id", sid)]',
        '(("X-SESSION-ID", sid),)',
        '{"X-Session-Id": sid}',
        '[("trace", t)] + [("x-session-id", sid)]',
    ],
)
def test_routing_pairs_and_headers_carry_the_session(routing: str) -> None:
    source = (
        "def go(stub, pb2, t, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    request = pb2.Req(session_id=sid)\n"
        f"    return stub.ExecuteTool(request, metadata={routing})\n"
    )
    assert _codes(source, GRPC) == []
    split = source.replace("session_id=sid", "session_id=t")
    assert _codes(split, GRPC) == [(4, "SES005")]


def test_metadata_built_by_append_and_extend() -> None:
    source = (
        "def go(stub, request, session_id, b):\n"
        "    request.session_id = session_id\n"
        '    md = [("trace", "t")]\n'
        '    md.append(("x-session-id", b))\n'
        "    return stub.ExecuteTool(request, metadata=md)\n"
    )
    assert _codes(source, GRPC) == [(5, "SES005")]
    same = source.replace('("x-session-id", b)', '("x-session-id", session_id)')
    assert _codes(same, GRPC) == []
    extended = source.replace('md.append(("x-session-id", b))', 'md.extend([("x-session-id", b)])')
    assert _codes(extended, GRPC) == [(5, "SES005")]
    missing = source.replace('    md.append(("x-session-id", b))\n', "")
    assert _codes(missing, GRPC) == [(4, "SES006")]


@pytest.mark.parametrize(
    "build",
    [
        "request = template._replace(session_id=current_session_id())",
        'request = template.model_copy(update={"session_id": current_session_id()})',
        "request = dataclasses.replace(template, session_id=current_session_id())",
        "request = pb2.Req()\n    request.CopyFrom(pb2.Req(session_id=current_session_id()))",
        'request = pb2.Req()\n    request.metadata["session_id"] = current_session_id()',
    ],
)
def test_copies_and_field_writes_carry_the_session(build: str) -> None:
    source = (
        "def go(stub, pb2, template, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        f"    {build}\n"
        '    return stub.ExecuteTool(request, metadata=[("x-session-id", sid)])\n'
    )
    line = 3 if "\n" not in build else 4
    assert _codes(source, GRPC) == [(line, "SES001")], source


def test_a_carrier_fix_is_withheld_and_the_message_says_why() -> None:
    source = (
        "def go(stub, pb2, session_id):\n"
        "    request = pb2.Req(session_id=session_id)\n"
        '    return stub.ExecuteTool(request, metadata=[("trace", "t")])\n'
    )
    (diagnostic,) = lint_source(source, config=GRPC)
    assert diagnostic.code == "SES006" and diagnostic.fix is None
    assert diagnostic.message.endswith(
        "(no automatic fix: this sink's payload or routing is not known to be a dict, so the "
        "session cannot be written into it automatically; give both the one resolved value "
        "by hand)"
    )
    assert fix_source(source, config=GRPC) == source
    # the same finding in today's shape keeps its fix
    legacy = (
        "def go(client, session_id):\n"
        '    p = {"session_id": session_id}\n'
        '    return client.execute("t", p, {})\n'
    )
    (today,) = lint_source(legacy)
    assert today.code == "SES006" and today.fix is not None


def test_an_ambient_read_is_fixed_in_any_carrier() -> None:
    fixed = fix_source(GRPC_BUGGY, config=GRPC)
    assert "pb2.ExecuteToolRequest(session_id=sid, tool_name=name)" in fixed
    assert lint_source(fixed, config=GRPC) == []


# ----------------------------------------------------------------------------- sources


@pytest.mark.parametrize(
    ("config", "read"),
    [
        (Config(ambient_attributes=("self._ctx.session_id",)), "self._ctx.session_id"),
        (Config(ambient_attributes=("flask.g.session_id",)), "flask.g.session_id"),
        (Config(ambient_attributes=("request.state.session_id",)), "request.state.session_id"),
        (Config(ambient_context_vars=("sessions._current",)), "sessions._current.get()"),
        (Config(ambient_context_vars=("_current",)), '_current.get("none")'),
        (Config(ambient_env=("RPC_SID",)), 'os.environ["RPC_SID"]'),
        (Config(ambient_env=("RPC_SID",)), 'os.environ.get("RPC_SID")'),
        (Config(ambient_env=("RPC_SID",)), 'os.getenv("RPC_SID", "x")'),
    ],
)
def test_ambient_sources_beyond_getter_calls(config: Config, read: str) -> None:
    source = (
        "import os\nimport flask\nfrom app import sessions\n\n\n"
        "def go(self, client, request, tool):\n"
        f'    return client.execute(tool, {{"session_id": {read}}}, {ROUTED})\n'
    )
    assert _codes(source, config) == [(7, "SES001")]
    # unconfigured, the read is some other value: payload and routing differ
    assert _codes(source, Config()) == [(7, "SES005")]


def test_unconfigured_reads_are_not_ambient() -> None:
    config = Config(ambient_env=("RPC_SID",), ambient_context_vars=("_current",))
    for read in ('os.environ["HOME"]', "other.get()", 'env.get("RPC_SID")', "self.session_id"):
        source = (
            "def go(c, t, env, other):\n"
            f'    return c.execute(t, {{"session_id": {read}}}, {ROUTED})\n'
        )
        assert _codes(source, config) == [(2, "SES005")], read


# ----------------------------------------------------------------------------- interfaces


def test_prefilter_needles_include_every_new_name() -> None:
    config = Config(
        session_key="sid",
        sink=(SinkShape("Invoke", payload=Place(0), routing=Place(keyword="metadata")),),
        session_headers=("X-Rpc-Sid",),
        ambient_env=("RPC_SID",),
    )
    prefilter = Prefilter.from_config(config, enabled_codes(config))
    only_new = (
        "import os\n\n\n"
        "def go(stub, a, b):\n"
        '    return stub.Invoke({"x-rpc-sid": a}, metadata={"X-RPC-SID": b})\n'
    )
    assert prefilter.may_find(only_new.encode()) and prefilter.may_find(only_new)
    assert _codes(only_new, config) == [(5, "SES005")]
    default = Prefilter.from_config(Config(), enabled_codes(Config()))
    assert not default.may_find(only_new.encode())
    env_only = (
        "import os\n\n\n"
        "def go(c, t):\n"
        '    return c.execute(t, {}, {"X-Rpc-Sid": os.getenv("RPC_SID")})\n'
    )
    assert prefilter.may_find(env_only.encode())
    assert _codes(env_only, config) == [(5, "SES001")]


def test_the_summary_counts_shape_dispatches(tmp_path: Path) -> None:
    (tmp_path / "bridge.py").write_text(GRPC_BUGGY)
    nothing = session_lint("bridge.py", cwd=tmp_path)
    assert nothing.returncode == 0
    assert "No dispatch recognised in 1 file: nothing was checked" in nothing.stdout
    assert "do the `sinks` and `sink` tables in the configuration name your dispatches?" in (
        nothing.stdout
    )
    (tmp_path / "pyproject.toml").write_text(GRPC_CONFIG)
    found = session_lint("--output-format", "concise", "bridge.py", cwd=tmp_path)
    assert found.returncode == 1
    assert "bridge.py:6:49: SES001 " in found.stdout
    assert "(1 dispatch examined in 1 file)" in found.stdout


def test_noqa_silences_a_shape_finding(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(GRPC_CONFIG)
    (tmp_path / "bridge.py").write_text(GRPC_BUGGY.replace("name)\n", "name)  # noqa: SES001\n", 1))
    assert session_lint("bridge.py", cwd=tmp_path).returncode == 0


def test_flake8_reports_what_the_cli_reports_for_a_shape(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(GRPC_CONFIG)
    (tmp_path / "bridge.py").write_text(GRPC_BUGGY)
    result = flake8("--select", "SES", "bridge.py", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.startswith("bridge.py:6:49: SES001 session from the ambient getter")
    cli = json.loads(session_lint("--output-format", "json", "bridge.py", cwd=tmp_path).stdout)
    assert [(r["line"], r["column"], r["code"]) for r in cli] == [(6, 49, "SES001")]


def test_flake8_options_set_the_new_keys(tmp_path: Path) -> None:
    source = f'def go(c, t, g):\n    return c.execute(t, {{"session_id": g.sid}}, {ROUTED})\n'
    (tmp_path / "bridge.py").write_text(source)
    assert flake8("--select", "SES", "bridge.py", cwd=tmp_path).returncode == 1  # SES005
    result = flake8(
        "--select", "SES", "--session-lint-ambient-attributes=g.sid", "bridge.py", cwd=tmp_path
    )
    assert "bridge.py:2:40: SES001 " in result.stdout


def test_project_mode_follows_an_imported_request_builder(tmp_path: Path) -> None:
    from session_lint.flow.project_summaries import forget_projects

    forget_projects()
    project = tmp_path / "tools"
    (project / "tools").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        '[project]\nname = "tools"\nversion = "0"\n\n' + GRPC_CONFIG
    )
    (project / "tools" / "__init__.py").write_text("")
    (project / "tools" / "requests.py").write_text(
        "from runtime import current_session_id\n\n\n"
        "def build_request(pb2, name):\n"
        "    return pb2.ExecuteToolRequest(session_id=current_session_id(), tool_name=name)\n"
    )
    caller = project / "tools" / "client.py"
    caller.write_text(
        "from runtime import resolve_session_id\n\n"
        "from .requests import build_request\n\n\n"
        "def call(stub, pb2, name, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        "    request = build_request(pb2, name)\n"
        '    return stub.ExecuteTool(request, metadata=[("x-session-id", sid)])\n'
    )
    result = session_lint("--output-format", "json", "--no-cache", "tools/client.py", cwd=project)
    (row,) = json.loads(result.stdout)
    assert (row["line"], row["code"]) == (8, "SES002")
    assert "tools.requests.build_request()" in row["message"]
    assert "(no automatic fix: " in row["message"]
    alone = session_lint("--output-format", "json", "--no-project", "tools/client.py", cwd=project)
    assert json.loads(alone.stdout) == []


# ----------------------------------------------------------------------------- contracts

CORRELATION = Contract(
    key="correlation_id",
    resolver="resolve_correlation_id",
    ambient=("_get_correlation_id",),
    session_headers=("x-correlation-id",),
)
TWO_FAMILIES = Config(sink=GRPC.sink, session_headers=("x-session-id",), contract=(CORRELATION,))
TWO_KEYS = (
    "def call(stub, pb2, runtime_opts):\n"
    "    sid = resolve_session_id(runtime_opts)\n"
    "    request = pb2.Req(session_id=sid, correlation_id=resolve_correlation_id())\n"
    '    md = [("x-session-id", sid), ("x-correlation-id", _get_correlation_id())]\n'
    "    return stub.ExecuteTool(request, metadata=md)\n"
)


def test_each_family_is_checked_and_findings_name_their_key() -> None:
    diagnostics = lint_source(TWO_KEYS, config=TWO_FAMILIES)
    assert [(d.line, d.code) for d in diagnostics] == [(4, "SES001")]
    (finding,) = diagnostics
    assert finding.message.startswith("`correlation_id`: session from the ambient getter")
    assert finding.message.endswith(
        "(no automatic fix: fixes are offered for the session's contract only)"
    )
    assert finding.fix is None
    session_bug = "from runtime import resolve_session_id\n" + TWO_KEYS.replace(
        "resolve_session_id(runtime_opts)", "current_session_id()"
    )
    first = lint_source(session_bug, config=TWO_FAMILIES)[0]
    assert first.message.startswith("`session_id`: ") and first.fix is not None
    # without the contract, the correlation id is not looked at
    assert lint_source(TWO_KEYS, config=GRPC) == []


def test_a_contract_has_its_own_overrides() -> None:
    source = (
        "def call(client, t, trace_opts, runtime_opts):\n"
        "    cid = resolve_correlation_id()\n"
        '    return client.execute(t, {"correlation_id": cid}, {"correlation_id": cid})\n'
    )
    families = Config(contract=(CORRELATION,))
    assert lint_source(source, config=families) == []  # `runtime_opts` is the session's
    own = Config(contract=(replace(CORRELATION, override_names=("trace_opts",)),))
    assert [(d.line, d.code) for d in lint_source(source, config=own)] == [(2, "SES004")]


def test_prefilter_and_settings_know_the_contracts(tmp_path: Path) -> None:
    prefilter = Prefilter.from_config(TWO_FAMILIES, enabled_codes(TWO_FAMILIES))
    only_correlation = (
        "def call(stub, pb2):\n"
        "    request = pb2.Req(correlation_id=resolve_correlation_id())\n"
        '    md = [("x-correlation-id", _get_correlation_id())]\n'
        "    return stub.ExecuteTool(request, metadata=md)\n"
    )
    assert prefilter.may_find(only_correlation.encode())
    assert _codes(only_correlation, TWO_FAMILIES) == [(3, "SES001")]
    assert not Prefilter.from_config(GRPC, enabled_codes(GRPC)).may_find(only_correlation)
    (tmp_path / "pyproject.toml").write_text(
        "[[tool.session-lint.contract]]\n"
        'key = "correlation_id"\nresolver = "resolve_correlation_id"\n'
        'ambient = ["_get_correlation_id"]\n'
    )
    shown = session_lint("--show-settings", "bridge.py", cwd=tmp_path).stdout
    assert (
        'contract = [{ key = "correlation_id", resolver = "resolve_correlation_id", '
        'ambient = ["_get_correlation_id"] }]' in shown
    )


def test_explain_shows_how_to_declare_a_contract() -> None:
    result = session_lint("--explain", "SES001")
    assert "## Other key families" in result.stdout
    assert "[[tool.session-lint.contract]]" in result.stdout


# ----------------------------------------------------------------------------- the shapes


def test_jupyter_send_with_a_parent_header() -> None:
    config = Config(
        sink=(SinkShape("send", payload=Place(2, "content"), routing=Place(keyword="header")),)
    )
    source = (
        "def reply(session, stream, content, parent):\n"
        '    content = {**content, "session_id": current_session_id()}\n'
        '    return session.send(stream, "execute_reply", content, parent=parent,'
        ' header={"session_id": resolve_session_id()})\n'
    )
    assert _codes(source, config) == [(2, "SES001")]
    assert _codes(source.replace("current_session_id()", "resolve_session_id()"), config) == []


def test_a_resolver_that_is_a_method() -> None:
    config = Config(resolver="resolve_session", ambient=("current_session",))
    source = (
        "class Bridge:\n"
        "    def call(self, client, tool, runtime_opts=None):\n"
        "        sid = self.resolve_session({})\n"
        '        return client.execute(tool, {"session_id": sid}, {"session_id": sid})\n'
    )
    assert _codes(source, config) == [(3, "SES004")]
    fixed = source.replace("self.resolve_session({})", "self.resolve_session(runtime_opts)")
    assert _codes(fixed, config) == []


PUBLISH = Config(
    sink=(
        SinkShape(
            "publish",
            payload=Place(keyword="body"),
            routing=Place(keyword="routing_key"),
            routing_is_session=True,
        ),
    )
)


@pytest.mark.parametrize(
    ("routing", "expected"),
    [
        ("sid", []),
        ("current_session_id()", [(4, "SES001")]),
        ("session_id", [(4, "SES005")]),
        ('body["session_id"]', []),
    ],
)
def test_routing_that_is_the_session_itself(routing: str, expected: list[tuple[int, str]]) -> None:
    source = (
        "def send(channel, payload, session_id, runtime_opts):\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        '    body = {**payload, "session_id": sid}\n'
        f"    return channel.publish(body=body, routing_key={routing})\n"
    )
    assert _codes(source, PUBLISH) == expected
    # read as a container, a bare value carries no session key: nothing to compare
    container = Config(sink=(replace(PUBLISH.sink[0], routing_is_session=False),))
    assert _codes(source, container) == []


def test_routing_is_session_is_validated_and_shown(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="`routing-is-session` must be true or false"):
        config_from_mapping(
            {"sink": [{"method": "p", "payload": 0, "routing": 1, "routing-is-session": "y"}]},
            "f",
        )
    table = PUBLISH.sink[0].as_table()
    assert table["routing-is-session"] is True
    assert PUBLISH.sink[0].describe().endswith("routing = routing_key= (the session itself)")

"""How a fix names the resolver: as the file imports it, else from its configured module;
never a guessed module. And one resolution per dispatch, with every override and ref."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from session_lint.config import Config, config_from_mapping
from session_lint.engine import lint_source
from session_lint.fix.api import fix_source
from session_lint.registry import rule_for

AMBIENT_ONLY = (
    "from myrpc.ctx import current_session_id\n"
    "\n"
    "\n"
    "def call(client, name, ref, runtime_opts):\n"
    "    sid = current_session_id()\n"
    '    return client.execute("t", {"instance": ref, "session_id": sid}, {"session_id": sid})\n'
)
CONFIGURED = Config(resolver="myrpc.resolve.pick_session")
STRICT = Config(resolver="myrpc.resolve.pick_session", select=("SES", "SES008", "SES009"))


def test_the_resolver_is_imported_from_its_configured_module() -> None:
    fixed = fix_source(AMBIENT_ONLY, config=CONFIGURED)
    assert "from myrpc.resolve import pick_session\n" in fixed
    assert "from myrpc.ctx import pick_session" not in fixed
    assert "    sid = pick_session(runtime_opts, ref)\n" in fixed
    assert lint_source(fixed, config=STRICT) == []
    assert fix_source(fixed, config=CONFIGURED) == fixed


@pytest.mark.parametrize(
    ("imports", "callee"),
    [
        ("from myrpc.resolve import pick_session as pick\n", "pick"),
        ("import myrpc.resolve as resolution\n", "resolution.pick_session"),
        ("from myrpc import resolve\n", "resolve.pick_session"),
    ],
)
def test_an_existing_import_or_alias_is_reused(imports: str, callee: str) -> None:
    fixed = fix_source(imports + AMBIENT_ONLY, config=CONFIGURED)
    assert f"    sid = {callee}(runtime_opts, ref)\n" in fixed
    assert fixed.count("import") == (imports + AMBIENT_ONLY).count("import")


def test_a_bare_resolver_nothing_imports_gets_no_fix_and_says_why() -> None:
    (diagnostic,) = lint_source(AMBIENT_ONLY)
    assert diagnostic.fix is None
    assert "no automatic fix: `resolve_session_id` is not imported in this file" in (
        diagnostic.message
    )
    assert 'resolver = "package.module.resolve_session_id"' in diagnostic.message
    assert fix_source(AMBIENT_ONLY) == AMBIENT_ONLY
    explained = rule_for("SES001").explain()  # type: ignore[union-attr]
    assert "only a bare resolver" in " ".join(explained.split())


def test_a_name_taken_by_something_else_is_not_shadowed() -> None:
    source = AMBIENT_ONLY + "\n\ndef pick_session():\n    return None\n"
    # a same-module function of that name is the resolver: the file defines it
    assert fix_source(source, config=CONFIGURED) != source
    other = source.replace("def pick_session", "class pick_session:\n    pass\n\n\ndef other")
    (diagnostic,) = lint_source(other, config=CONFIGURED)
    assert diagnostic.fix is None and "already names something else" in diagnostic.message


def test_two_ambient_reads_become_one_local() -> None:
    source = (
        "from runtime import current_session_id, resolve_session_id\n"
        "\n"
        "\n"
        "def call(client, name, runtime_opts):\n"
        '    payload = {"function": name, "session_id": current_session_id()}\n'
        '    routing = {**runtime_opts, "session_id": current_session_id()}\n'
        '    return client.execute("t", payload, routing)\n'
    )
    fixed = fix_source(source)
    assert fixed.count("resolve_session_id(runtime_opts)") == 1
    assert "    session_id = resolve_session_id(runtime_opts)\n" in fixed
    assert '"session_id": session_id}' in fixed
    assert lint_source(fixed, config=Config(select=("SES", "SES009"))) == []


def test_the_local_collides_with_nothing_in_scope() -> None:
    source = (
        "from runtime import current_session_id, resolve_session_id\n"
        "\n"
        "\n"
        "def call(client, session_id, resolved_session_id):\n"
        '    payload = {"session_id": current_session_id(), "a": session_id}\n'
        '    return client.execute("t", payload, {"session_id": current_session_id()})\n'
    )
    fixed = fix_source(source)
    assert "    resolved_session_id_2 = resolve_session_id()\n" in fixed
    assert lint_source(fixed, config=Config(select=("SES", "SES009"))) == []


def test_a_clobbered_override_gets_no_fix_and_says_why() -> None:
    source = (
        "from runtime import resolve_session_id\n"
        "\n"
        "\n"
        "def call(client, runtime_opts):\n"
        "    runtime_opts = {}\n"
        "    sid = resolve_session_id(runtime_opts)\n"
        '    return client.execute("t", {"session_id": sid}, {"session_id": sid})\n'
    )
    (diagnostic,) = lint_source(source)
    assert diagnostic.code == "SES004" and diagnostic.fix is None
    assert "`runtime_opts` is reassigned before the resolver" in diagnostic.message


def _readme_toml_blocks() -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```toml\n(.*?)```", text, flags=re.DOTALL)


def test_the_readme_resolver_snippet_does_what_it_says() -> None:
    # the snippet of the README's "How fixes name the resolver" (the walkthrough has its own)
    (block,) = [
        block
        for block in _readme_toml_blocks()
        if "resolver =" in block
        and "# 1. the getter" not in block
        and not block.startswith("# shape:")  # the dispatch shapes' own, tested apart
    ]
    table = tomllib.loads(block)["tool"]["session-lint"]
    config = config_from_mapping(table, "README")
    fixed = fix_source(AMBIENT_ONLY.replace("myrpc.ctx", "mypkg.context"), config=config)
    assert "from myrpc.resolve import pick_session\n" in fixed

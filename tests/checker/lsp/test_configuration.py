"""The server gives a buffer the configuration the command line gives its file, and
picks up a changed configuration: a watched file's change, a save, or the editor's
``workspace/didChangeConfiguration``."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types

from tests.checker.cli_support import BUGGY, session_lint
from tests.checker.lsp.editor import Editor, drive

IGNORE_SES001 = '[tool.session-lint]\nignore = ["SES001"]\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "pkg" / "generated").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "pyproject.toml").write_text(
        "[tool.session-lint]\n"
        'extend-exclude = ["generated"]\n'
        '[tool.session-lint.per-file-ignores]\n"tests/*" = ["SES001"]\n'
    )
    return root


def cli_codes(root: Path, name: str, text: str) -> list[str]:
    """What ``session-lint --stdin-filename NAME -`` reports for ``text``."""
    result = session_lint(
        "--stdin-filename", name, "--output-format", "concise", cwd=root, stdin=text
    )
    return [
        line.split(": ")[1].split()[0] for line in result.stdout.splitlines() if ": SES" in line
    ]


def test_excludes_per_file_ignores_and_noqa_are_the_clis(project: Path) -> None:
    suppressed = BUGGY.replace("current_session_id()\n", "current_session_id()  # noqa: SES001\n")
    nested = project / "pkg" / "nested"
    nested.mkdir()
    (nested / "pyproject.toml").write_text('[tool.session-lint]\nignore = ["SES"]\n')
    cases = {
        "pkg/bridge.py": (BUGGY, ["SES001"]),
        "pkg/generated/bridge.py": (BUGGY, []),  # excluded
        "tests/test_bridge.py": (BUGGY, []),  # per-file-ignores
        "pkg/noqa.py": (suppressed, []),  # a noqa comment
        "pkg/nested/bridge.py": (BUGGY, []),  # the nearest pyproject.toml
    }
    for name, (text, codes) in cases.items():
        assert cli_codes(project, name, text) == codes, name

    async def scenario(editor: Editor) -> None:
        for name, (text, codes) in cases.items():
            uri = editor.open(name, text)
            assert await editor.codes(uri, 1) == codes, name

    drive(project, scenario)


def tell(editor: Editor, how: str, name: str, kind: types.FileChangeType) -> None:
    """Report a changed configuration file ``name`` as an editor can."""
    if how == "watched":
        editor.notify_watched(name, kind)
    elif how == "saved":
        editor.save(name)
    else:
        editor.client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings=None)
        )


@pytest.mark.parametrize("how", ["watched", "saved", "settings"])
def test_a_changed_configuration_is_read_again(project: Path, how: str) -> None:
    steps = [
        ("pyproject.toml", IGNORE_SES001, []),
        # a pyproject.toml nearer to the file, created: its settings apply
        ("pkg/pyproject.toml", "[tool.session-lint]\n", ["SES001"]),
    ]

    async def scenario(editor: Editor) -> None:
        uri = editor.open("pkg/bridge.py", BUGGY)
        assert await editor.codes(uri, 1) == ["SES001"]
        for name, content, codes in steps:
            mark = editor.mark(uri)
            kind = types.FileChangeType.Changed
            if not (project / name).exists():
                kind = types.FileChangeType.Created
            (project / name).write_text(content)
            tell(editor, how, name, kind)
            assert await editor.codes(uri, 1, after=mark) == codes, name

    drive(project, scenario)


def test_a_bad_configuration_is_shown_once_never_a_crash(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.session-lint]\nselect = ["SES999"]\n')
    (project / "pkg" / "bridge.py").write_text(BUGGY)
    cli = session_lint("pkg/bridge.py", cwd=project)
    assert cli.returncode == 2

    async def scenario(editor: Editor) -> None:
        uri = editor.open("pkg/bridge.py", BUGGY)
        assert await editor.codes(uri, 1) == []
        problems = [m for m in editor.messages if "SES999" in m]
        assert problems == [f"session-lint: {cli.stderr.split('error: ', 1)[1].strip()}"]
        # fixed on disk and saved: checked again, with the good configuration
        (project / "pyproject.toml").write_text("[tool.session-lint]\n")
        mark = editor.mark(uri)
        editor.save("pyproject.toml")
        assert await editor.codes(uri, 1, after=mark) == ["SES001"]

    drive(project, scenario)

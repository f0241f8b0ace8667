"""The editor snippets in the README start the command the tests start, with options
the server reads; without pygls the command says which extra to install."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.checker.cli_support import session_lint
from tests.checker.lsp.editor import COMMAND

README = (Path(__file__).resolve().parents[3] / "README.md").read_text()


def block(info: str, containing: str) -> str:
    (found,) = [
        text
        for text in re.findall(rf"```{re.escape(info)}\n(.*?)```", README, re.S)
        if containing in text
    ]
    return found


def test_the_vs_code_settings_start_session_lint_server() -> None:
    settings = json.loads(block("json", "glspc.server.command"))
    command = [settings["glspc.server.command"], *settings["glspc.server.commandArguments"]]
    assert command == list(COMMAND)
    assert settings["glspc.server.languageId"] == ["python", "elixir"]
    assert settings["glspc.server.initializationOptions"] == {"debounceMs": 150}
    assert "source.fixAll.session-lint" in settings["editor.codeActionsOnSave"]


def test_the_neovim_config_starts_session_lint_server() -> None:
    lua = block("lua", "vim.lsp.start")
    (cmd,) = re.findall(r"cmd = \{(.*?)\}", lua)
    assert re.findall(r'"([^"]*)"', cmd) == list(COMMAND)
    assert 'pattern = { "python", "elixir" }' in lua
    assert "init_options = { debounceMs = 150 }" in lua


def test_the_helix_config_starts_session_lint_server() -> None:
    config = tomllib.loads(block("toml languages.toml", "[language-server.session-lint]"))
    server = config["language-server"]["session-lint"]
    assert [server["command"], *server["args"]] == list(COMMAND)
    assert server["config"] == {"debounceMs": 150}  # Helix sends it as initializationOptions
    languages = {entry["name"]: entry["language-servers"] for entry in config["language"]}
    assert set(languages) == {"python", "elixir"}
    assert all("session-lint" in servers for servers in languages.values())


def test_without_pygls_the_server_names_the_extra_and_exits_2() -> None:
    # the real command line, in an interpreter where pygls cannot be imported
    script = (
        "import sys; sys.modules['pygls'] = None\n"
        "from session_lint.cli import main\n"
        "sys.exit(main(['server']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, stdin=subprocess.DEVNULL
    )
    assert result.returncode == 2
    assert "session-lint[lsp]" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_the_server_takes_no_arguments() -> None:
    assert session_lint("server", "--help").returncode == 0
    result = session_lint("server", "extra")
    assert result.returncode == 2
    assert "unrecognized arguments: extra" in result.stderr

"""The flake8 plugin: a thin adapter over the same engine and the same configuration.

Each file gets the configuration the ``session-lint`` command would give it (the nearest
``[tool.session-lint]``, its ``select``, ``ignore``, ``per-file-ignores`` and excludes),
with the ``--session-lint-*`` options overriding it key by key. flake8 does ``# noqa`` and
its own selection on top; the plugin also needs to know which opt-in rules the user named
in ``--select``/``--extend-select`` (their full code, as for the CLI), so that
``flake8 --select SES`` reports exactly what ``session-lint`` reports.
"""

from __future__ import annotations

import argparse
import ast
import functools
import gc
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

from session_lint import __version__
from session_lint.config import ConfigError, rule_code_problem
from session_lint.prefilter import prefilter_for
from session_lint.project.layout import in_marked_project
from session_lint.rules import UnparsableFile
from session_lint.settings import Settings, absolute_path
from session_lint.types import Diagnostic

# flake8 option --session-lint-KEY -> [tool.session-lint] KEY: whether it is a list
_OPTIONS = {
    "ambient": True,
    "resolver": False,
    "session-key": False,
    "sinks": True,
    "session-headers": True,
    "ambient-attributes": True,
    "ambient-context-vars": True,
    "ambient-env": True,
    "override-names": True,
    "ref-names": True,
    "ref-types": True,
    "routing-helpers": True,
    "runtime-key": False,
    "exclude": True,
    "extend-exclude": True,
    "src": True,
    "cache-dir": False,
}
_OPT_IN = ["SES008", "SES009"]
_SELECTION = ("select", "extend_select", "ignore", "extend_ignore")


class Plugin:
    name = "session-lint"
    version = __version__
    settings: ClassVar[Settings | None] = None

    def __init__(self, tree: object, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines
        # flake8 parsed the file already: its tree says which functions can matter
        self.tree = tree if isinstance(tree, ast.Module) else None

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for key, is_list in _OPTIONS.items():
            manager.add_option(
                f"--session-lint-{key}",
                parse_from_config=True,
                comma_separated_list=is_list,
                default=None,
                help=f"session-lint `{key}` ({'comma-separated; ' if is_list else ''}"
                "overrides [tool.session-lint])",
            )
        manager.add_option(
            "--session-lint-config",
            parse_from_config=True,
            default=None,
            help="a pyproject.toml for every file (default: each file's nearest)",
        )
        manager.extend_default_ignore(_OPT_IN)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        """Validate everything up front: a bad value is an option error, not a traceback."""
        try:
            cls.settings = _settings(options)
            cls.settings.for_folder(Path.cwd().resolve())  # the configuration found here
        except ConfigError as error:
            print(f"flake8: error: session-lint: {error}", file=sys.stderr)
            raise SystemExit(2) from None

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        settings = type(self).settings or Settings()
        given = Path(self.filename)
        absolute = absolute_path(given)
        try:
            resolved = settings.for_folder(absolute.parent)
        except ConfigError as error:  # a bad configuration below the working folder
            yield 1, 0, f"SES000 {UnparsableFile.message(reason=str(error))}", type(self)
            return
        if resolved.excluded(absolute, given=given):
            return  # session-lint does not check it either
        config = resolved.for_file(absolute)
        source = "".join(self.lines)
        if not prefilter_for(config).may_find(
            source, project=config.project and in_marked_project(self.filename)
        ):
            return  # flake8 already read the lines: a substring scan is all this file costs
        lint_source = _engine()
        try:
            found = lint_source(
                source, path=self.filename, config=config, honour_noqa=False, tree=self.tree
            )
        except Exception as error:  # a bug of ours: one SES000 for this file, as the CLI says
            from session_lint.api import internal_error_diagnostic

            found = [internal_error_diagnostic(self.filename, error)]
        for d in found:
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)


@functools.cache
def _engine() -> Callable[..., list[Diagnostic]]:
    """The engine, imported on the first file that may hold a finding. What the import
    made (libcst's and the engine's modules, about 100,000 objects that live as long as
    the process) is then frozen out of the cyclic garbage collector, which would otherwise
    walk it in every full collection that flake8's own checks trigger: that walk cost as
    much as half the plugin's own work on a corpus of dispatching modules. Objects frozen
    are still freed when nothing refers to them; only a cycle among them would outlive
    the process's need of it."""
    from session_lint.engine import lint_source

    gc.freeze()
    return lint_source


def _settings(options: argparse.Namespace) -> Settings:
    table: dict[str, object] = {}
    for key, is_list in _OPTIONS.items():
        value = getattr(options, f"session_lint_{key.replace('-', '_')}", None)
        if value is not None:
            table[key] = [item for item in value if item] if is_list else value
    for option in _SELECTION:
        for code in getattr(options, option, None) or ():
            if code.upper().startswith("SES"):
                problem = rule_code_problem(code, ignoring=option.endswith("ignore"))
                if problem:
                    flag = f"--{option.replace('_', '-')}"
                    raise ConfigError(f"flake8 options: {flag} has {code!r}, {problem}")
    opt_in = [
        code.upper()
        for option in ("select", "extend_select")
        for code in getattr(options, option, None) or ()
        if code.upper() in _OPT_IN
    ]
    if opt_in:
        table["extend-select"] = opt_in
    config_file = getattr(options, "session_lint_config", None)
    return Settings(
        table, config_file=Path(config_file) if config_file else None, source="flake8 options"
    )

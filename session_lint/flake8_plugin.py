"""The flake8 plugin: a thin adapter over the same engine and the same configuration.

flake8 does ``# noqa`` and the final selection itself. The plugin only needs to know which
opt-in rules the user named in ``--select``/``--extend-select`` (their full code, as for the
CLI), so that ``flake8 --select SES`` reports exactly what ``session-lint`` reports.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from session_lint import __version__
from session_lint.api import internal_error_diagnostic
from session_lint.config import DEFAULT_CONFIG, Config, config_from_mapping
from session_lint.prefilter import prefilter_for
from session_lint.project.layout import in_marked_project

# flake8 option name -> [tool.session-lint] key; both paths validate through one function
_OPTIONS = {
    "ambient": True,
    "resolver": False,
    "session-key": False,
    "sinks": True,
    "override-names": True,
    "ref-names": True,
    "ref-types": True,
    "routing-helpers": True,
    "runtime-key": False,
    "src": True,
    "cache-dir": False,
}
_OPT_IN = ["SES008", "SES009"]


class Plugin:
    name = "session-lint"
    version = __version__
    config: ClassVar[Config] = DEFAULT_CONFIG

    def __init__(self, tree: object, filename: str, lines: Sequence[str]) -> None:
        self.filename = filename
        self.lines = lines

    @classmethod
    def add_options(cls, manager: Any) -> None:
        for key, is_list in _OPTIONS.items():
            manager.add_option(
                f"--session-lint-{key}",
                parse_from_config=True,
                comma_separated_list=is_list,
                default=None,
                help=f"session-lint `{key}` ({'comma-separated ' if is_list else ''}"
                "see session-lint's configuration)",
            )
        manager.extend_default_ignore(_OPT_IN)

    @classmethod
    def parse_options(cls, options: argparse.Namespace) -> None:
        table = {}
        for key in _OPTIONS:
            value = getattr(options, f"session_lint_{key.replace('-', '_')}", None)
            if value is not None:
                table[key] = list(value) if _OPTIONS[key] else value
        selectors = [
            code.upper()
            for option in ("select", "extend_select")
            for code in getattr(options, option, None) or ()
            if code.upper() in _OPT_IN
        ]
        if selectors:
            table["select"] = ["SES", *selectors]
        cls.config = config_from_mapping(table, "flake8 options")

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        source = "".join(self.lines)
        if not prefilter_for(self.config).may_find(
            source, project=self.config.project and in_marked_project(self.filename)
        ):
            return  # flake8 already read the lines: a substring scan is all this file costs
        from session_lint.engine import lint_source

        try:
            found = lint_source(source, path=self.filename, config=self.config, honour_noqa=False)
        except Exception as error:  # a bug of ours: one SES000 for this file, as the CLI says
            found = [internal_error_diagnostic(self.filename, error)]
        for d in found:
            yield d.line, d.column - 1, f"{d.code} {d.message}", type(self)

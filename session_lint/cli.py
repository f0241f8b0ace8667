"""The ``session-lint`` command: flags to a Config, files to findings, exit 0/1/2.

Heavy modules (libcst, the engine) are imported only when there is something to check,
so ``--version`` and ``--explain`` start instantly.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from session_lint import __version__
from session_lint.config import Config, ConfigError, load_config

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """A bad flag or path: exit 2 with the message."""


def _codes(value: str) -> tuple[str, ...]:
    return tuple(code.strip().upper() for code in value.split(",") if code.strip())


def _globs(value: str) -> tuple[str, ...]:
    return tuple(glob.strip() for glob in value.split(",") if glob.strip())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="session-lint",
        description="Find RPC dispatches whose payload and routing sessions are not one "
        "resolved value.",
        epilog="Exit codes: 0 no findings, 1 findings (or a diff), 2 usage, config or "
        "internal error.",
    )
    parser.add_argument("paths", nargs="*", default=["."], help="files or folders (default: .)")
    parser.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    parser.add_argument("--select", type=_codes, help="comma-separated codes or prefixes")
    parser.add_argument("--ignore", type=_codes, help="comma-separated codes or prefixes")
    parser.add_argument("--exclude", type=_globs, help="comma-separated glob patterns")
    parser.add_argument("--config", type=Path, help="a pyproject.toml (default: the nearest)")
    parser.add_argument("--fix", action="store_true", help="write safe fixes, report the rest")
    parser.add_argument("--unsafe-fixes", action="store_true", help="also apply unsafe fixes")
    parser.add_argument(
        "--diff", action="store_true", help="print the fixes as a unified diff, write nothing"
    )
    parser.add_argument("--explain", metavar="CODE", help="print a rule's documentation")
    parser.add_argument("--statistics", action="store_true", help="count findings per code")
    parser.add_argument("-q", "--quiet", action="store_true", help="print findings only")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="worker processes")
    parser.add_argument("-v", "--verbose", action="store_true", help="show internal tracebacks")
    parser.add_argument("--version", action="version", version=f"session-lint {__version__}")
    return parser


def _explain(code: str, out: TextIO) -> int:
    from session_lint.registry import all_rules, rule_for

    rule = rule_for(code)
    if rule is None:
        known = ", ".join(r.CODE for r in all_rules())
        raise UsageError(f"unknown rule code {code!r}; known codes: {known}")
    out.write(rule.explain())
    return EXIT_CLEAN


def _configure(options: argparse.Namespace) -> tuple[Config, Path]:
    config, source = load_config(options.config)
    changes = {
        key: getattr(options, key)
        for key in ("select", "ignore", "exclude")
        if getattr(options, key) is not None
    }
    root = source.parent if source is not None else Path.cwd()
    return dataclasses.replace(config, **changes), root


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    options = parser.parse_args(argv)
    try:
        if options.explain:
            return _explain(options.explain, out)
        if options.jobs is not None and options.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        config, root = _configure(options)
        return _run(options, config, root, out)
    except (UsageError, ConfigError) as error:
        print(f"session-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("session-lint: interrupted", file=sys.stderr)
        return EXIT_ERROR


def _run(options: argparse.Namespace, config: Config, root: Path, out: TextIO) -> int:
    from session_lint.api import check_files, sorted_diagnostics
    from session_lint.files import PathNotFound, discover
    from session_lint.output import FORMATS
    from session_lint.output.text import statistics, summary

    try:
        files = [str(path) for path in discover(options.paths, config.exclude, root)]
    except PathNotFound as missing:
        raise UsageError(f"no such file or folder: {missing}") from None
    status = EXIT_CLEAN
    if options.fix or options.diff:
        from session_lint.fix.files import fix_files

        outcome = fix_files(files, config, unsafe=options.unsafe_fixes, write=not options.diff)
        if options.diff:
            out.write(outcome.diff)
            return EXIT_FINDINGS if outcome.diff else EXIT_CLEAN
        for failure in outcome.failures:
            print(f"session-lint: error: {failure}", file=sys.stderr)
            status = EXIT_ERROR
        if outcome.fixed and not options.quiet:
            print(f"Fixed {len(outcome.fixed)} file(s).", file=sys.stderr)
    results = check_files(files, config, options.jobs)
    diagnostics = sorted_diagnostics(results)
    for result in results:
        if result.internal_error is not None:
            status = EXIT_ERROR
            if options.verbose:
                print(f"{result.path}:\n{result.internal_error}", file=sys.stderr)
    if options.statistics and options.format == "text":
        out.write(statistics(diagnostics))
    else:
        out.write(FORMATS[options.format](diagnostics))
    if options.format == "text" and not options.quiet and not options.statistics:
        out.write(summary(diagnostics, len(files)))
    if diagnostics and status == EXIT_CLEAN:
        status = EXIT_FINDINGS
    return status

"""The ``session-lint`` command: flags to a Config, files to findings, exit 0/1/2.

Heavy modules (libcst, the engine) are imported only when there is something to check,
so ``--version`` and ``--explain`` start instantly.
"""

from __future__ import annotations

import argparse
import codecs
import io
import os
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from session_lint import __version__
from session_lint.config import ConfigError

if TYPE_CHECKING:
    from session_lint.settings import Settings

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
    parser.add_argument("paths", nargs="*", help="files or folders (default: .); - reads stdin")
    formats = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit")
    parser.add_argument(
        "--output-format",
        "--format",
        choices=(*formats, "pylint", "text"),
        default="full",
        help="full (default: source shown), concise (`text` too), json, json-lines, sarif, "
        "github, gitlab, junit or pylint",
    )
    parser.add_argument("-o", "--output-file", type=Path, help="write the report to FILE")
    parser.add_argument(
        "--color", choices=("auto", "always", "never"), default="auto", help="for `full`"
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 despite findings")
    parser.add_argument(
        "--exit-non-zero-on-fix", action="store_true", help="exit 1 when --fix changed a file"
    )
    parser.add_argument("--show-fixes", action="store_true", help="list the fixes per file")
    parser.add_argument(
        "--add-noqa", action="store_true", help="suppress every finding with a # noqa comment"
    )
    _add_configuration_flags(parser)
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
    parser.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the summary cache"
    )
    parser.add_argument(
        "--no-project",
        action="store_true",
        help="check each file alone: names imported from other modules stay opaque",
    )
    parser.add_argument("--version", action="version", version=f"session-lint {__version__}")
    return parser


def _add_configuration_flags(parser: argparse.ArgumentParser) -> None:
    codes = "comma-separated codes or prefixes"
    parser.add_argument("--select", type=_codes, help=f"{codes} (replaces `select`)")
    parser.add_argument("--extend-select", type=_codes, help=f"{codes} to add to `select`")
    parser.add_argument("--ignore", type=_codes, help=f"{codes} (replaces `ignore`)")
    parser.add_argument("--extend-ignore", type=_codes, help=f"{codes} to add to `ignore`")
    parser.add_argument(
        "--per-file-ignores",
        action="append",
        metavar="GLOB:CODES",
        help="ignore codes in files matching a glob, e.g. 'tests/*:SES001,SES005' "
        "(repeatable; replaces `per-file-ignores`)",
    )
    parser.add_argument("--exclude", type=_globs, help="comma-separated globs (replaces `exclude`)")
    parser.add_argument("--extend-exclude", type=_globs, help="comma-separated globs to add")
    parser.add_argument(
        "--no-respect-gitignore",
        dest="respect_gitignore",
        action="store_false",
        default=None,
        help="also check files that .gitignore, .git/info/exclude or the global one ignore",
    )
    parser.add_argument("--config", type=Path, help="a pyproject.toml for every file")
    parser.add_argument("--stdin-filename", metavar="NAME", help="the name of the code on stdin")
    parser.add_argument(
        "--show-settings", metavar="FILE", help="print FILE's resolved configuration, and why"
    )
    parser.add_argument("--show-files", action="store_true", help="list the files to check")


def _overrides(options: argparse.Namespace) -> dict[str, object]:
    """The configuration keys given on the command line; each replaces the file's."""
    listed = ("select", "extend-select", "ignore", "extend-ignore", "exclude", "extend-exclude")
    table: dict[str, object] = {
        key: list(value)
        for key in listed
        if (value := getattr(options, key.replace("-", "_"))) is not None
    }
    if options.per_file_ignores is not None:
        table["per-file-ignores"] = per_file_ignores_flag(options.per_file_ignores)
    if options.respect_gitignore is not None:
        table["respect-gitignore"] = options.respect_gitignore
    if options.no_cache:
        table["cache"] = False
    if options.no_project:
        table["project"] = False
    return table


def per_file_ignores_flag(values: Sequence[str]) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}
    for value in values:
        glob, colon, codes = value.rpartition(":")
        if not colon or not glob.strip():
            raise UsageError(f"--per-file-ignores needs GLOB:CODES, got {value!r}")
        table.setdefault(glob.strip(), []).extend(_codes(codes))
    return table


def _explain(code: str, out: TextIO) -> int:
    from session_lint.registry import all_rules, rule_for

    rule = rule_for(code)
    if rule is None:
        known = ", ".join(r.CODE for r in all_rules())
        raise UsageError(f"unknown rule code {code!r}; known codes: {known}")
    out.write(rule.explain())
    return EXIT_CLEAN


def _never_fail_to_print(error: UnicodeError) -> tuple[str | bytes, int]:
    """Print what the stream cannot encode (a path with undecodable bytes, a name in a
    script the terminal lacks) as its original bytes or as escapes, never as a crash."""
    try:
        return codecs.lookup_error("surrogateescape")(error)
    except UnicodeError:
        return codecs.lookup_error("backslashreplace")(error)


codecs.register_error("session-lint", _never_fail_to_print)


def _tolerant(stream: TextIO) -> None:
    if isinstance(stream, io.TextIOWrapper) and stream.errors in ("strict", "surrogateescape"):
        stream.reconfigure(errors="session-lint")


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments[:1] == ["server"]:  # the language server (a folder named so: ./server)
        from session_lint.lsp import main as serve

        return serve(arguments[1:])
    out = out or sys.stdout
    for stream in (out, sys.stderr):
        _tolerant(stream)
    parser = build_parser()
    options = parser.parse_args(arguments)
    try:
        if options.explain:
            return _explain(options.explain, out)
        if options.jobs is not None and options.jobs < 1:
            raise UsageError("--jobs must be at least 1")
        from session_lint.settings import Settings

        _check_modes(options)
        settings = Settings(_overrides(options), config_file=options.config)
        if options.paths == []:
            options.paths = ["-"] if options.stdin_filename else ["."]
        if options.show_settings:
            out.write(settings.describe(Path(options.show_settings)))
            return EXIT_CLEAN
        if options.output_file is None:
            return _run(options, settings, out)
        with _open_output(options.output_file) as report_file:
            return _run(options, settings, report_file)
    except (UsageError, ConfigError) as error:
        print(f"session-lint: error: {error}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("session-lint: interrupted", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:  # the reader went away (`session-lint | head`): stop quietly
        _discard_stdout()
        return EXIT_ERROR
    except Exception as error:  # a bug of ours: a clear line, the traceback on request
        if options.verbose:
            traceback.print_exc(file=sys.stderr)
        print(
            f"session-lint: internal error: {type(error).__name__}: {error}"
            + ("" if options.verbose else " (run with --verbose for the traceback)"),
            file=sys.stderr,
        )
        return EXIT_ERROR


def _check_modes(options: argparse.Namespace) -> None:
    if options.unsafe_fixes and not (options.fix or options.diff):
        raise UsageError("--unsafe-fixes only applies with --fix or --diff")
    if options.add_noqa and (options.fix or options.diff):
        raise UsageError("--add-noqa cannot be combined with --fix or --diff")


def _open_output(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8", errors="session-lint")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None


def _discard_stdout() -> None:
    """Point stdout at the null device, so that flushing it at exit fails no more."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file: nothing will flush into a pipe
        pass


def _run(options: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    from session_lint.api import check_files, sorted_diagnostics, unlistable
    from session_lint.discovery import discover
    from session_lint.output import Report
    from session_lint.output.emit import (
        HUMAN_FORMATS,
        render,
        show_fixes,
        source_lines,
        use_color,
        would_fix,
    )
    from session_lint.stdin import NO_STDIN, check_stdin

    stdin = NO_STDIN
    if "-" in options.paths:
        if (options.fix or options.diff) and len(options.paths) > 1:
            raise UsageError("with --fix or --diff, - (stdin) must be the only path")
        stdin = check_stdin(options, settings, out)
        if stdin.done:
            return stdin.status
    found = discover([path for path in options.paths if path != "-"], settings)
    if options.show_files:
        out.write("".join(f"{path}\n" for path, _ in found.files))
        return EXIT_CLEAN
    configs = dict(found.files)
    files = list(configs)
    problems = found.problems
    status = EXIT_CLEAN
    fixed_files = False
    listing = out if options.output_format in HUMAN_FORMATS else sys.stderr  # keep JSON JSON
    for missing in found.missing:
        print(f"session-lint: error: no such file or folder: {missing}", file=sys.stderr)
        status = EXIT_ERROR
    if options.fix or options.diff:
        from session_lint.fix.files import fix_files

        outcome = fix_files(files, configs, unsafe=options.unsafe_fixes, write=not options.diff)
        for failure in outcome.failures:
            print(f"session-lint: error: {failure}", file=sys.stderr)
            status = EXIT_ERROR
        for declined in outcome.declined:
            print(f"session-lint: warning: {declined}", file=sys.stderr)
        if options.verbose:
            for trace in outcome.tracebacks:
                print(trace, file=sys.stderr)
        if options.show_fixes:
            listing.write(show_fixes(outcome.applied, applied=not options.diff))
        if options.diff:
            out.write(outcome.diff)
            if status == EXIT_ERROR:
                return status
            return EXIT_FINDINGS if outcome.diff else EXIT_CLEAN
        fixed_files = bool(outcome.fixed)
        if not options.quiet:
            for path in outcome.fixed:
                print(f"Fixed {path}", file=sys.stderr)
            if outcome.fixed:
                print(f"Fixed {len(outcome.fixed)} file(s).", file=sys.stderr)
    checked = [*check_files(files, configs, options.jobs), *stdin.results]
    results = [*checked, *unlistable(problems)]
    diagnostics = sorted_diagnostics(results)
    for result in results:
        if result.internal_error is not None:
            status = EXIT_ERROR
            if options.verbose:
                print(f"{result.path}:\n{result.internal_error}", file=sys.stderr)
            else:
                print(
                    f"session-lint: internal error while checking {result.path} "
                    "(reported as SES000; run with --verbose for the traceback)",
                    file=sys.stderr,
                )
    if options.add_noqa:
        from session_lint.add_noqa import add_noqa_and_report

        return max(status, add_noqa_and_report(diagnostics, quiet=options.quiet))
    report = Report(
        diagnostics,
        files=len(files) + len(problems) + len(stdin.results),
        dispatches=sum(result.dispatches for result in checked),
        dispatch_files=sum(1 for result in checked if result.dispatches),
        unsafe_fixes=options.unsafe_fixes,
        color=use_color(options.color, out),
        source_lines=source_lines,
    )
    out.write(
        render(
            report,
            options.output_format,
            statistics=options.statistics,
            summary=not options.quiet,
        )
    )
    if options.show_fixes and not options.fix:
        listing.write(show_fixes(would_fix(report), applied=False))
    if diagnostics and status == EXIT_CLEAN and not options.exit_zero:
        status = EXIT_FINDINGS
    if fixed_files and status == EXIT_CLEAN and options.exit_non_zero_on_fix:
        status = EXIT_FINDINGS
    return status

from __future__ import annotations

from session_lint.rule import Rule
from session_lint.types import Diagnostic


class UnparsableFile(Rule):
    """## What it does
    Reports a file that could not be checked: it cannot be read, decoded or parsed.

    ## Why is this bad?
    A file the checker cannot read is a file in which a session bug could hide. The
    message names the reason (a syntax error with its position, an unknown encoding,
    undecodable bytes, an unreadable path); the rest of the run goes on.

    ## Fix safety
    There is no automatic fix: repair or exclude the file.
    """

    CODE = "SES000"
    NAME = "unparsable-file"
    MESSAGE = "cannot check this file: {reason}"

    @classmethod
    def at(cls, path: str, reason: str, line: int = 1, column: int = 0) -> Diagnostic:
        """The diagnostic for ``path``; ``column`` counts from 0, as parsers do."""
        return Diagnostic(
            path=path,
            line=max(line, 1),
            column=column + 1,
            end_line=max(line, 1),
            end_column=column + 1,
            code=cls.CODE,
            message=cls.message(reason=reason),
        )

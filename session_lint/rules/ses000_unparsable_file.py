from __future__ import annotations

from session_lint.rule import Rule


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

"""``session-lint server``: a language server over stdio (the optional ``lsp`` extra).

Importing this package needs nothing beyond session-lint; ``main`` says which extra to
install when pygls is missing, and only then imports the server.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_ERROR = 2
MISSING = "session-lint: error: the language server needs pygls: pip install 'session-lint[lsp]'"


def main(argv: Sequence[str] = ()) -> int:
    parser = argparse.ArgumentParser(
        prog="session-lint server",
        description="Serve session-lint's diagnostics and fixes to an editor over the "
        "Language Server Protocol, on stdin and stdout.",
    )
    parser.parse_args(argv)
    try:
        import lsprotocol  # noqa: F401
        import pygls  # noqa: F401
    except ImportError:
        print(MISSING, file=sys.stderr)
        return EXIT_ERROR
    from session_lint.lsp.server import serve

    return serve()

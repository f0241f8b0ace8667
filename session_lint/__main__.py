"""``python -m session_lint``."""

from session_lint.cli import main

raise SystemExit(main())

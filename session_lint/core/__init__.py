"""The language-neutral core: abstract values, the checks at a dispatch and the findings
they report. The front ends (``session_lint.flow`` for Python, ``session_lint.elixir`` for
Elixir) evaluate their own syntax into these values and call ``checks.check_sessions`` at
every dispatch they find."""

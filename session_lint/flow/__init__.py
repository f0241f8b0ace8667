"""Session dataflow: where a dispatch's payload session and routing session come from.

``analysis.analyse`` is the entry point; the other modules are its parts: ``values`` (the
abstract values), ``names`` (import-aware name matching), ``index`` (one pass over the
module), ``interpreter`` (path-wise evaluation of one function), ``summaries`` (what
same-module builders return) and ``dispatch`` (the checks at a dispatch).
"""

"""Session dataflow: where a dispatch's payload session and routing session come from.

``analysis.analyse`` is the entry point; the other modules are its parts: ``values`` (the
abstract values), ``names`` (import-aware name matching), ``index`` (one pass over the
module), the evaluator of one function in a chain of one job each (``core``, ``calls``,
``expressions``, ``statements``, ``interpreter``), ``summaries`` (what same-module builders
return) and ``dispatch`` (the checks at a dispatch).
"""

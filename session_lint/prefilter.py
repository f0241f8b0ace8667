"""Decide from a file's text, without parsing it, that it cannot hold a finding.

Every finding needs a dispatch (a sink name such as ``execute``) and a session source the
engine can see: the ambient getter, the resolver, a routing helper or the session key,
each of which the engine only recognises when it is spelt out verbatim in the source. A
file lacking either kind of name is skipped; that is most files, and it costs a substring
search instead of a parse. The opt-in builder rule (SES008) only needs the ambient getter.
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass

from session_lint.config import Config
from session_lint.registry import enabled_codes

# encodings whose bytes are not a superset of ASCII: search their decoded text instead
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_COOKIE = re.compile(rb"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)", re.MULTILINE)


def _decodes(source: bytes) -> bool:
    """Does the file decode as its coding cookie (or UTF-8) says? A file that does not is
    left to the parser, which reports it."""
    head = b"\n".join(source.split(b"\n", 2)[:2])
    match = _COOKIE.search(head)
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        codec = codecs.lookup(encoding)
        source.decode(codec.name)
    except (LookupError, ValueError):  # any UnicodeError: `idna` and `undefined` raise bare ones
        return False
    return codec.name not in {
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-32-le",
        "utf-32-be",
    }


def _last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class Prefilter:
    sinks: tuple[str, ...]
    ambient: tuple[str, ...]
    sources: tuple[str, ...]  # ambient, resolver, routing helpers, session key
    builders_wanted: bool
    # header names carrying the session, lower-case: searched in the lowered text, as the
    # engine compares them case-insensitively (`X-Session-Id` is `x-session-id`)
    headers: tuple[str, ...] = ()
    # the needles the analysis reads in strings (keys, environment variables); the others
    # it reads only as names
    strings: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: Config, enabled: frozenset[str]) -> Prefilter:
        """Needles of every key family (the session and each ``contract``)."""
        families = [cls._for_family(family, enabled) for family in config.contracts()]
        if len(families) == 1:
            return families[0]
        return cls(
            sinks=families[0].sinks,
            ambient=tuple(dict.fromkeys(n for f in families for n in f.ambient)),
            sources=tuple(dict.fromkeys(n for f in families for n in f.sources)),
            builders_wanted=families[0].builders_wanted,
            headers=tuple(dict.fromkeys(n for f in families for n in f.headers)),
            strings=tuple(dict.fromkeys(n for f in families for n in f.strings)),
        )

    @classmethod
    def _for_family(cls, config: Config, enabled: frozenset[str]) -> Prefilter:
        ambient = (
            *(_last(name) for name in config.ambient),
            # attribute paths, ContextVars and environment variables are spelt in full
            *(_last(name) for name in config.ambient_attributes),
            *(_last(name) for name in config.ambient_context_vars),
            *config.ambient_env,
        )
        sources = (
            *ambient,
            _last(config.resolver),
            *(_last(name) for name in config.routing_helpers),
            config.session_key,
        )
        return cls(
            sinks=tuple(dict.fromkeys(shape.last_name for shape in config.sink_shapes())),
            ambient=ambient,
            sources=sources,
            builders_wanted="SES008" in enabled,
            headers=tuple(name.lower() for name in config.session_headers),
            strings=(config.session_key, *config.ambient_env),
        )

    def may_find(self, source: str | bytes, *, project: bool = False) -> bool:
        """False only when no finding is possible; True when unsure. In ``project`` mode
        (the text is a file of a project) an imported builder, wrapper or key constant can
        be the session source, so a sink and an import (Elixir: an alias) are enough."""
        if isinstance(source, bytes):
            if source.startswith(_WIDE_BOMS) or b"\0" in source or not _decodes(source):
                return True  # not plain ASCII-compatible text: let the parser say what it is
            return self._search(source, [name.encode("utf-8") for name in self._all(project)])
        return self._search(source, self._all(project))

    def _all(self, project: bool) -> list[str]:
        return [*self.sinks, *self.sources, *(["import", "alias"] if project else [])]

    def function_needles(self) -> tuple[str, ...]:
        """The names whose mention makes a function matter to the analysis: the same as the
        file's (selective parsing keeps exactly the functions that mention one, and what
        they reach), so a name added to the prefilter is a name selective parsing keeps."""
        return tuple(self._all(project=False))

    def dispatch_needles(self) -> tuple[str, ...]:
        """The names whose mention outside any function may make module-level code
        dispatch (then the whole module is evaluated, and parsed)."""
        return self.sinks

    def _search(self, text: str | bytes, needles: list[str] | list[bytes]) -> bool:
        sink_count = len(self.sinks)
        found = [needle in text for needle in needles]  # type: ignore[operator]
        has_sink = any(found[:sink_count])
        has_source = any(found[sink_count:])
        has_ambient = any(found[sink_count : sink_count + len(self.ambient)])
        if has_sink and not has_source and self.headers:
            lowered = text.lower()
            has_source = any(
                (name.encode("utf-8") if isinstance(lowered, bytes) else name) in lowered  # type: ignore[operator]
                for name in self.headers
            )
        return (has_sink and has_source) or (self.builders_wanted and has_ambient)


@functools.lru_cache(maxsize=8)
def prefilter_for(config: Config) -> Prefilter:
    """The prefilter of a configuration, built once per process."""
    return Prefilter.from_config(config, enabled_codes(config))

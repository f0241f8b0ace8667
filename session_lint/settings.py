"""Which configuration applies to each file, as ruff decides it.

Each file uses the nearest ``pyproject.toml`` holding ``[tool.session-lint]``, walking up
from the file's folder (``--config FILE`` forces one for every file); the command line
(or flake8's options) overrides it key by key; ``per-file-ignores`` globs, relative to the
configuration file's folder, add ignores for the files they match. The lookup is cached
per folder: a whole tree costs one ``stat`` per folder.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from session_lint.config import (
    FLAG_KEYS,
    KNOWN_KEYS,
    Config,
    ConfigError,
    config_from_mapping,
    find_config_file,
    read_table,
    validated_values,
)

COMMAND_LINE = "command line"
_EXTENDING = ("extend-select", "extend-ignore", "extend-exclude")
DEFAULT = "default"


@dataclass(frozen=True)
class Resolved:
    """One configuration file's settings with the overrides applied."""

    config: Config
    root: Path  # the folder exclude and per-file-ignores globs are relative to
    source: Path | None  # the configuration file, or None: defaults and overrides only
    origins: Mapping[str, str] = field(default_factory=dict)  # key -> where its value came from

    def excluded(self, path: Path, *, given: Path | None = None) -> bool:
        """Does an ``exclude``/``extend-exclude`` glob match ``path`` (absolute)? Globs match
        the path relative to ``root``, or its name. A path named explicitly (``given``, as
        written) is also excluded when one of its folders is, as ruff decides it: its
        folders up to ``root``, or those written in it outside ``root``."""
        pattern = _compiled(self.config.exclusions())
        if pattern is None:
            return False
        if pattern.match(path.name) or pattern.match(_relative(path, self.root)):
            return True
        if given is None:
            return False
        if path.is_relative_to(self.root):
            folders = path.relative_to(self.root).parents
            return any(
                pattern.match(folder.name) or pattern.match(folder.as_posix())
                for folder in folders
                if folder.name
            )
        # outside root: only the folders the user wrote, never those above an absolute path
        # (a checkout under ~/.pyenv or /build is not excluded for where it lives)
        written = () if given.is_absolute() else given.parts[:-1]
        return any(pattern.match(part) for part in written if part not in (".", ".."))

    def for_file(self, path: Path) -> Config:
        """The configuration of one file (absolute): ``per-file-ignores`` applied."""
        if not self.config.per_file_ignores:
            return self.config
        relative, name = _relative(path, self.root), path.name
        codes = tuple(
            code
            for glob, listed in self.config.per_file_ignores
            if fnmatch.fnmatchcase(relative, glob) or fnmatch.fnmatchcase(name, glob)
            for code in listed
        )
        return _with_ignores(self.config, codes) if codes else self.config


@functools.lru_cache(maxsize=256)
def _with_ignores(config: Config, codes: tuple[str, ...]) -> Config:
    return dataclasses.replace(config, extend_ignore=(*config.extend_ignore, *codes))


@functools.lru_cache(maxsize=64)
def _compiled(globs: tuple[str, ...]) -> re.Pattern[str] | None:
    # one regex for every glob: the walk asks once per file and folder
    if not globs:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(glob)})" for glob in globs))


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


class Settings:
    """Resolves the configuration of every folder and file of a run."""

    def __init__(
        self,
        overrides: Mapping[str, object] | None = None,
        *,
        config_file: Path | None = None,
        base: Config | None = None,
        cwd: Path | None = None,
        source: str = COMMAND_LINE,
    ) -> None:
        """``overrides``: a ``[tool.session-lint]``-style table (keys with dashes) from the
        command line; ``config_file`` forces one file; ``base`` (the library's
        ``Config``) replaces every file's configuration."""
        self._overrides = dict(overrides or {})
        self._overrides_source = source
        validated_values(self._overrides, source, flags=source == COMMAND_LINE)
        self._cwd = (cwd or Path.cwd()).resolve()
        self._base = base
        self._forced = None if config_file is None else self._load(config_file)
        self._nearest: dict[Path, Path | None] = {}
        self._by_file: dict[Path | None, Resolved] = {}

    def for_folder(self, folder: Path) -> Resolved:
        """The settings of the files in ``folder`` (absolute)."""
        if self._forced is not None:
            return self._forced
        if self._base is not None:
            return self._resolved(None)
        return self._resolved(self._config_file_of(folder))

    def describe(self, path: Path) -> str:
        """``--show-settings``: the configuration of ``path``, as TOML, each key with the
        file (or the command line, or the default) it came from."""
        absolute = absolute_path(path)
        resolved = self.for_folder(absolute if absolute.is_dir() else absolute.parent)
        config = resolved.for_file(absolute)
        source = resolved.source or "none (defaults and command line)"
        lines = [
            f"# settings for {path}",
            f"# configuration file: {source}",
            f"# globs are relative to: {resolved.root}",
            "[tool.session-lint]",
        ]
        for key in KNOWN_KEYS:
            value = getattr(config, key.replace("-", "_"))
            origin = resolved.origins.get(key, DEFAULT)
            if key == "extend-ignore" and value != resolved.config.extend_ignore:
                origin += " + per-file-ignores matching this file"
            lines.append(f"{key} = {_toml(value, key)}  # {origin}")
        lines.append("# dispatches recognised (the effective sink model):")
        lines.extend(f"#   {shape.describe()}" for shape in config.sink_shapes())
        excluded = resolved.excluded(absolute, given=path)
        lines.append(f"# {path} is {'excluded' if excluded else 'not excluded'}")
        return "\n".join(lines) + "\n"

    def for_path(self, path: Path) -> Config:
        """The configuration of one file."""
        absolute = absolute_path(path)
        return self.for_folder(absolute.parent).for_file(absolute)

    def _config_file_of(self, folder: Path) -> Path | None:
        if folder not in self._nearest:
            candidate = folder / "pyproject.toml"
            if find_config_file(folder, walk=False) is not None:
                self._nearest[folder] = candidate
            elif folder.parent == folder:
                self._nearest[folder] = None
            else:
                self._nearest[folder] = self._config_file_of(folder.parent)
        return self._nearest[folder]

    def _resolved(self, source: Path | None) -> Resolved:
        if source not in self._by_file:
            self._by_file[source] = self._load(source)
        return self._by_file[source]

    def _load(self, source: Path | None) -> Resolved:
        if self._base is not None and source is None:
            return Resolved(self._base, self._cwd, None, {})
        table = read_table(source) if source is not None else {}
        merged = {**table, **self._overrides}
        for key in _EXTENDING:  # extend-* extends, from every side
            if key in table and key in self._overrides:
                merged[key] = [*table[key], *self._overrides[key]]  # type: ignore[misc]
        where = f"{source} [tool.session-lint]" if source is not None else self._overrides_source
        switches = {key: merged.pop(key) for key in FLAG_KEYS if key in self._overrides}
        try:
            config = config_from_mapping(merged, where)
        except ConfigError:
            # say which side is wrong: the file alone, then the overrides alone
            config_from_mapping(table, where)
            raise
        if switches:  # flags only, validated with the overrides
            config = dataclasses.replace(config, **switches)  # type: ignore[arg-type]
        origins = {key: str(source) for key in table}
        for key in self._overrides:
            both = key in _EXTENDING and key in origins
            origins[key] = (
                f"{origins[key]} + {self._overrides_source}" if both else self._overrides_source
            )
        root = absolute_path(source).parent if source is not None else self._cwd
        return Resolved(config, root, source, origins)


def _toml(value: object, key: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if key in ("sink", "contract"):
        tables = ", ".join(_inline_table(item.as_table()) for item in value)  # type: ignore[attr-defined]
        return f"[{tables}]"
    if key == "per-file-ignores":
        pairs = ", ".join(f"{json.dumps(glob)} = {_toml(codes)}" for glob, codes in value)  # type: ignore[attr-defined]
        return f"{{ {pairs} }}"
    return "[" + ", ".join(json.dumps(item) for item in value) + "]"  # type: ignore[attr-defined]


def _inline_table(table: Mapping[str, object]) -> str:
    items = ", ".join(f"{key} = {json.dumps(value)}" for key, value in table.items())
    return f"{{ {items} }}"


def absolute_path(path: Path) -> Path:
    """``path`` absolute through its real folder, keeping its own name (a symlinked file
    matches globs as the link it is)."""
    try:
        return path.parent.resolve() / path.name
    except (OSError, RuntimeError):  # a loop or an unreadable folder above
        return Path(os.path.abspath(path))

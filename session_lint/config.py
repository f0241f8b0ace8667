"""The checker's configuration: one dataclass shared by the library, the CLI and flake8."""

from __future__ import annotations

import dataclasses
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from session_lint.project.layout import DEFAULT_SRC
from session_lint.shapes import (
    CONTRACT_KEYS,
    Contract,
    SinkShape,
    is_dotted_name,
    legacy_shape,
    parse_sinks,
)

DEFAULT_AMBIENT = ("current_session_id",)
DEFAULT_RESOLVER = "resolve_session_id"
DEFAULT_SESSION_KEY = "session_id"
DEFAULT_SINKS = ("execute", "execute_stream")
DEFAULT_OVERRIDE_NAMES = ("runtime_opts", "runtime_options")
DEFAULT_REF_NAMES = ("ref", "stream_ref", "wire_ref")
DEFAULT_REF_TYPES = ("Ref", "StreamRef")
DEFAULT_ROUTING_HELPERS = ("ensure_session_opt",)
DEFAULT_RUNTIME_KEY = "__runtime__"
DEFAULT_CACHE_DIR = ".session_lint_cache"  # the project-wide summaries' cache, per project
# ruff's default excludes: tool caches, virtualenvs, build output, VCS folders
DEFAULT_EXCLUDE = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pycache__",
    "__pypackages__",
    "_build",
    "buck-out",
    "build",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
)


class ConfigError(ValueError):
    """Bad configuration: the message names the file and the key."""


@dataclass(frozen=True)
class Config:
    """What the checker looks for. Names may be dotted; they match on their last component
    and through import aliases."""

    ambient: tuple[str, ...] = DEFAULT_AMBIENT
    resolver: str = DEFAULT_RESOLVER
    session_key: str = DEFAULT_SESSION_KEY
    sinks: tuple[str, ...] = DEFAULT_SINKS
    override_names: tuple[str, ...] = DEFAULT_OVERRIDE_NAMES
    ref_names: tuple[str, ...] = DEFAULT_REF_NAMES
    ref_types: tuple[str, ...] = DEFAULT_REF_TYPES
    routing_helpers: tuple[str, ...] = DEFAULT_ROUTING_HELPERS
    runtime_key: str = DEFAULT_RUNTIME_KEY
    # shapes beyond today's (issue 14): sink tables, header names carrying the session,
    # and ambient sources that are not getter calls
    sink: tuple[SinkShape, ...] = ()
    session_headers: tuple[str, ...] = ()
    ambient_attributes: tuple[str, ...] = ()
    ambient_context_vars: tuple[str, ...] = ()
    ambient_env: tuple[str, ...] = ()
    # more key families checked beside the session (`correlation_id`), sinks shared
    contract: tuple[Contract, ...] = ()
    select: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    extend_ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    # (glob, codes) pairs; globs are relative to the configuration file's folder, so they
    # are applied where that folder is known (``session_lint.settings``), not by the engine
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    respect_gitignore: bool = True
    # project mode: folders imports resolve from (ruff's `src`), the summary cache folder
    # (relative to the project root), and the two switches only flags set
    src: tuple[str, ...] = DEFAULT_SRC
    cache_dir: str = DEFAULT_CACHE_DIR
    cache: bool = True  # --no-cache
    project: bool = True  # --no-project: each file alone, imported names opaque

    def __post_init__(self) -> None:
        # built in code, it gets the checks a configuration file gets: a bad name would
        # otherwise surface as a failure inside every file checked
        table: dict[str, object] = {
            key: list(value) if isinstance(value, tuple) else value
            for key, field_name in (*_LIST_KEYS.items(), *_STRING_KEYS.items())
            if (value := getattr(self, field_name)) is not None
        }
        table["per-file-ignores"] = {glob: list(codes) for glob, codes in self.per_file_ignores}
        table["respect-gitignore"] = self.respect_gitignore
        table["sink"] = list(self.sink)
        table["contract"] = [contract.as_table() for contract in self.contract]
        validated_values(table, "Config")

    def sink_shapes(self) -> tuple[SinkShape, ...]:
        """Every dispatch entry: the ``sink`` tables first (they win over a ``sinks`` entry
        of the same method name), then the ``sinks`` methods in today's shape."""
        return _sink_shapes(self.sink, self.sinks)

    def contracts(self) -> tuple[Config, ...]:
        """One configuration per key family: this one (the session), then one per
        ``contract`` table, its key, resolver and sources in place of the session's."""
        return _contract_configs(self)

    def exclusions(self) -> tuple[str, ...]:
        """Every exclude glob: ``exclude`` (ruff's defaults unless replaced) and
        ``extend-exclude``."""
        return (*self.exclude, *self.extend_exclude)


# ----------------------------------------------------------------------------- loading

_LIST_KEYS = {
    "ambient": "ambient",
    "ambient-attributes": "ambient_attributes",
    "ambient-context-vars": "ambient_context_vars",
    "ambient-env": "ambient_env",
    "session-headers": "session_headers",
    "sinks": "sinks",
    "override-names": "override_names",
    "ref-names": "ref_names",
    "ref-types": "ref_types",
    "routing-helpers": "routing_helpers",
    "select": "select",
    "extend-select": "extend_select",
    "ignore": "ignore",
    "extend-ignore": "extend_ignore",
    "exclude": "exclude",
    "extend-exclude": "extend_exclude",
    "src": "src",
}
_STRING_KEYS = {
    "resolver": "resolver",
    "session-key": "session_key",
    "runtime-key": "runtime_key",
    "cache-dir": "cache_dir",
}
_SPECIAL_KEYS = ("per-file-ignores", "respect-gitignore", "sink", "contract")
KNOWN_KEYS = tuple(sorted({*_LIST_KEYS, *_STRING_KEYS, *_SPECIAL_KEYS}))
# switches only a command-line flag sets (--no-cache, --no-project): never a file's key
FLAG_KEYS = ("cache", "project")
_CODE_KEYS = ("select", "extend-select", "ignore", "extend-ignore")
_IGNORE_KEYS = ("ignore", "extend-ignore", "per-file-ignores")
# names of functions, parameters and types: fixes write them into code, so they must be
# dotted Python names; dict keys are written inside a string literal
_NAME_KEYS = (
    "ambient",
    "ambient-attributes",
    "ambient-context-vars",
    "resolver",
    "sinks",
    "override-names",
    "ref-names",
    "ref-types",
    "routing-helpers",
)
# names only ever matched against calls, never written into a fix: an Elixir function
# name (`execute!`, `current_session_id!`) is one too
_CALLED_NAME_KEYS = ("ambient", "sinks", "routing-helpers")
_AMBIENT_FORMS = ("ambient-attributes", "ambient-context-vars", "ambient-env")
_DICT_KEY_KEYS = ("session-key", "runtime-key", "session-headers", "ambient-env")


def config_from_mapping(table: Mapping[str, object], source: str) -> Config:
    """Build a ``Config`` from a ``[tool.session-lint]`` table (or the same keys from
    flake8's options), validating every key and value; ``source`` names where it came from."""
    return Config(**validated_values(table, source))  # type: ignore[arg-type]


def validated_values(
    table: Mapping[str, object], source: str, *, flags: bool = False
) -> dict[str, object]:
    """The ``Config`` field values of a table, or ``ConfigError`` naming the bad key (as a
    ``--flag`` when ``flags``: the table came from the command line)."""
    values: dict[str, object] = {}
    for key, value in table.items():
        if key == "respect-gitignore" or (flags and key in FLAG_KEYS):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: `{key}` must be true or false, got {value!r}")
            values[key.replace("-", "_")] = value
        elif key == "per-file-ignores":
            values["per_file_ignores"] = _per_file_ignores(value, source)
        elif key == "contract":
            values["contract"] = _contracts(value, source)
        elif key == "sink":
            shapes, problem = parse_sinks(value)
            if problem is not None:
                raise ConfigError(f"{source}: `sink` {problem}")
            values["sink"] = shapes
        elif key in _STRING_KEYS:
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{source}: `{key}` must be a non-empty string, got {value!r}")
            values[_STRING_KEYS[key]] = value.strip()
        elif key in _LIST_KEYS:
            values[_LIST_KEYS[key]] = _string_list(key, value, source)
        else:
            import difflib  # only a misspelt key pays for it

            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1)
            hint = f"; did you mean `{close[0]}`?" if close else ""
            raise ConfigError(
                f"{source}: unknown key `{key}`{hint} (known keys: {', '.join(KNOWN_KEYS)})"
            )
    _check_codes(values, source, flags)
    for key in _NAME_KEYS:
        called = key in _CALLED_NAME_KEYS
        for name in _values(table, key):
            if not is_dotted_name(name.strip(), called=called):
                kind = "Python or Elixir" if called else "Python"
                raise ConfigError(f"{source}: `{key}` has {name!r}, not a (dotted) {kind} name")
    for key in _DICT_KEY_KEYS:
        for text in _values(table, key):
            if not text.isprintable() or any(c in text for c in "\"'\\"):
                raise ConfigError(
                    f"{source}: `{key}` must be printable, without quotes or backslashes, "
                    f"got {text!r}"
                )
    for key in ("ambient", "sinks"):
        # an empty list is fine when the other forms name every dispatch or source
        others = ("sink",) if key == "sinks" else _AMBIENT_FORMS
        if key in values and not values[key] and not any(table.get(o) for o in others):
            raise ConfigError(f"{source}: `{key}` must name at least one function")
    return values


_CODE_PREFIX = re.compile(r"^SES\d{0,3}$", re.IGNORECASE)


def _check_codes(values: dict[str, object], source: str, flags: bool) -> None:
    """Every selector names a rule or a prefix of one; codes are stored upper-case."""
    listed = cast(dict[str, tuple[str, ...]], values)
    code_lists = [(key, listed.get(_LIST_KEYS[key], ())) for key in _CODE_KEYS]
    pairs = cast(tuple[tuple[str, tuple[str, ...]], ...], values.get("per_file_ignores", ()))
    code_lists += [("per-file-ignores", codes) for _, codes in pairs]
    for key, codes in code_lists:
        shown = f"--{key}" if flags else f"`{key}`"
        for code in codes:
            problem = rule_code_problem(code, ignoring=key in _IGNORE_KEYS)
            if problem:
                raise ConfigError(f"{source}: {shown} has {code!r}, {problem}")
        if key in _LIST_KEYS and _LIST_KEYS[key] in values:
            values[_LIST_KEYS[key]] = tuple(code.upper() for code in codes)


def rule_code_problem(code: str, *, ignoring: bool = False) -> str | None:
    """Why ``code`` cannot be a selector (a rule code, or a prefix of some), or ``None``.
    A typo must not switch a check off silently, and SES000 (a file that could not be
    checked) cannot be ignored: that file would pass unchecked without a word."""
    from session_lint.registry import all_rules

    if not _CODE_PREFIX.match(code):
        return "not a rule code such as SES001"
    codes = [rule.CODE for rule in all_rules()]
    if not any(known.startswith(code.upper()) for known in codes):
        return f"which matches no rule (known codes: {', '.join(codes)})"
    if ignoring and code.upper() == "SES000":
        return (
            "but SES000 cannot be ignored: it reports a file that could not be checked, "
            "which would otherwise pass silently (exclude the file instead)"
        )
    return None


def _contracts(value: object, source: str) -> tuple[Contract, ...]:
    """``[[tool.session-lint.contract]]`` tables, each validated as the same keys of
    ``[tool.session-lint]`` are."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list | tuple):
        raise ConfigError(
            f"{source}: `contract` must be an array of tables (`[[tool.session-lint.contract]]`)"
            f", got {value!r}"
        )
    contracts = []
    for position, table in enumerate(value, 1):
        where = f"{source}: `contract` entry {position}"
        if isinstance(table, Contract):
            table = table.as_table()
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table (key, resolver, ambient, ...)")
        for key in table:
            if key not in CONTRACT_KEYS:
                raise ConfigError(
                    f"{where}: unknown key `{key}` (known keys: {', '.join(CONTRACT_KEYS)})"
                )
        for key in ("key", "resolver"):
            if key not in table:
                raise ConfigError(f"{where} needs `{key}`")
        if not any(table.get(key) for key in ("ambient", *_AMBIENT_FORMS)):
            raise ConfigError(f"{where} needs an ambient source (`ambient` or `ambient-*`)")
        renamed = {("session-key" if key == "key" else key): item for key, item in table.items()}
        values = validated_values({"ambient": [], **renamed}, where)
        key = cast(str, values.pop("session_key"))
        contracts.append(Contract(key=key, **values))  # type: ignore[arg-type]
    return tuple(contracts)


@functools.lru_cache(maxsize=16)
def _sink_shapes(tables: tuple[SinkShape, ...], sinks: tuple[str, ...]) -> tuple[SinkShape, ...]:
    # asked once per checked file: built once per configuration
    return (*tables, *(legacy_shape(name) for name in sinks))


@functools.lru_cache(maxsize=16)
def _contract_configs(config: Config) -> tuple[Config, ...]:
    families = [config]
    for contract in config.contract:
        families.append(
            dataclasses.replace(
                config,
                session_key=contract.key,
                resolver=contract.resolver,
                ambient=contract.ambient,
                session_headers=contract.session_headers,
                ambient_attributes=contract.ambient_attributes,
                ambient_context_vars=contract.ambient_context_vars,
                ambient_env=contract.ambient_env,
                override_names=contract.override_names,
                ref_names=contract.ref_names,
                ref_types=(),
                routing_helpers=(),
                contract=(),
            )
        )
    return tuple(families)


def _per_file_ignores(value: object, source: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if isinstance(value, tuple):  # from a Config built in code: already pairs
        value = dict(value)
    if not isinstance(value, dict):
        raise ConfigError(
            f"{source}: `per-file-ignores` must be a table of glob = [codes], got {value!r}"
        )
    pairs = []
    for glob, codes in value.items():
        if not isinstance(glob, str) or not glob.strip():
            raise ConfigError(f"{source}: `per-file-ignores` has an empty glob")
        listed = _string_list(f"per-file-ignores` `{glob}", codes, source)
        pairs.append((glob.strip(), tuple(code.upper() for code in listed)))
    return tuple(pairs)


def _values(table: Mapping[str, object], key: str) -> list[str]:
    value = table.get(key)
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []


def _string_list(key: str, value: object, source: str) -> tuple[str, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(item, str) and item.strip() for item in value
    ):
        raise ConfigError(f"{source}: `{key}` must be a list of non-empty strings, got {value!r}")
    return tuple(item.strip() for item in value)


# built once: a Config validates itself on construction, and the per-file path uses this one
DEFAULT_CONFIG = Config()


def find_config_file(start: Path, *, walk: bool = True) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.session-lint]`` table, walking up
    (or in ``start`` only, without ``walk``)."""
    for folder in (start, *start.parents) if walk else (start,):
        candidate = folder / "pyproject.toml"
        if _is_file(candidate) and _has_table(candidate):
            return candidate
    return None


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a folder we may list but not search: no configuration we can read
        return False


def _has_table(path: Path) -> bool:
    try:
        return b"[tool.session-lint" in path.read_bytes()
    except OSError:
        return False


def load_config(path: Path | None = None, start: Path | None = None) -> tuple[Config, Path | None]:
    """The configuration from ``path`` or the nearest pyproject.toml above ``start`` (the
    working folder by default), and the file it came from. The file is parsed as TOML,
    never executed; any problem is a ``ConfigError`` naming the file and the key."""
    if path is None:
        path = find_config_file((start or Path.cwd()).resolve())
        if path is None:
            return DEFAULT_CONFIG, None
    return config_from_mapping(read_table(path), f"{path} [tool.session-lint]"), path


def read_table(path: Path) -> dict[str, object]:
    """The ``[tool.session-lint]`` table of a TOML file (empty if it has none), or a
    ``ConfigError`` naming the file."""
    try:
        with path.open("rb") as handle:
            document = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read config file: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: {error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 ({error.reason})") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    tool = document.get("tool", {})
    table = tool.get("session-lint", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: `[tool.session-lint]` must be a table")
    return table

"""Summaries of the project modules a checked file imports: builders, wrappers, split and
routing helpers, key constants and classes, as their importers see them.

A module is parsed (never imported) the first time a checked file calls or reads one of
its names, and summarised whole: the value each function, method and property returns,
its constants and its classes' bases. A summary depends on the module's bytes and on the
summaries of the modules it imports in turn; every entry lists those files with their
content hashes, and an entry whose files changed is recomputed, in memory and in the
on-disk cache alike, so no run sees a stale summary. A module reached again while it is
being summarised (an import cycle) is opaque to the one asking; what was computed through
the cycle is kept only for the module the cycle was entered from (never on disk), so the
answer for a file never depends on which files were checked before it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import libcst as cst

from session_lint import __version__
from session_lint.config import DEFAULT_CACHE_DIR, Config
from session_lint.flow.index import FunctionInfo, ModuleIndex, build_index
from session_lint.flow.interpreter import ModuleContext
from session_lint.flow.names import Names
from session_lint.flow.portable import (
    ImportedClass,
    ImportedFunction,
    ModuleSummary,
    decode_summary,
    encode_summary,
    without_nodes,
)
from session_lint.flow.summaries import Summaries
from session_lint.parsing import TooDeep, TooLarge, parse_module
from session_lint.project.cache import SummaryCache
from session_lint.project.index import Definition, ProjectIndex
from session_lint.project.layout import (
    DEFAULT_SRC,
    Project,
    absolute_module,
    find_project,
    in_marked_project,
    module_name,
)
from session_lint.project.sources import file_digest, read_source
from session_lint.shapes import sink_names


@dataclass(frozen=True)
class ProjectOptions:
    """How project mode runs: ``src`` folders (ruff's setting), the cache folder relative
    to the project root, or no cache at all."""

    src: tuple[str, ...] = DEFAULT_SRC
    cache_dir: str | None = DEFAULT_CACHE_DIR


def project_options(config: Config) -> ProjectOptions:
    """The project settings of ``config`` (``src``, ``cache-dir``, ``--no-cache``)."""
    return ProjectOptions(config.src, config.cache_dir if config.cache else None)


def summary_salt(config: Config) -> str:
    """What shapes a summary: the checker and the names it matches (not the selection,
    so the CLI and flake8 share entries)."""
    shaping = (
        config.ambient,
        config.resolver,
        config.session_key,
        config.sinks,
        config.override_names,
        config.ref_names,
        config.ref_types,
        config.routing_helpers,
        config.runtime_key,
        config.sink,
        config.session_headers,
        config.ambient_attributes,
        config.ambient_context_vars,
        config.ambient_env,
    )
    return f"{checker_fingerprint()}\0{shaping!r}"


@dataclass
class _Frame:
    """One module being summarised: the files its summary depends on."""

    file: Path
    deps: dict[str, str] = field(default_factory=dict)
    partial: bool = False  # it reached a module in progress: not kept


@dataclass(frozen=True)
class _Entry:
    summary: ModuleSummary
    deps: dict[str, str]
    checked_at: list[int] = field(default_factory=lambda: [-1])  # the generation last checked

    def valid(
        self, generation: int = -1, digest_of: Callable[[str], str | None] | None = None
    ) -> bool:
        """Do its files still hold what it was computed from? Checked once per checked
        file (``generation``): within one file's evaluation the disk is taken as still."""
        if generation >= 0 and self.checked_at[0] == generation:
            return True
        digest_of = digest_of or (lambda path: file_digest(Path(path)))
        ok = all(digest_of(path) == digest for path, digest in self.deps.items())
        if ok:
            self.checked_at[0] = generation
        return ok


class ProjectSummaries:
    """Every module summary of one project for one configuration, shared by the files of a
    run (and by later runs through the cache)."""

    def __init__(self, project: Project, config: Config, cache: SummaryCache | None) -> None:
        self.project = project
        self.config = config
        self.cache = cache
        self.index = ProjectIndex(project)
        self.index.observer = self._note_read
        self.sinks = sink_names(config.sink_shapes())
        self._memo: dict[Path, _Entry] = {}
        self._partial: dict[tuple[Path, Path], _Entry] = {}
        self._definitions: dict[str, tuple[Definition | None, _Entry]] = {}
        self._reads: list[dict[str, str]] = []  # lookups in progress: the files they read
        self._digests: dict[str, str | None] = {}
        self._digests_at = -1
        self._frames: list[_Frame] = []
        self._running: set[Path] = set()
        self.computed = 0  # modules parsed and summarised (tests count work, not time)
        self.generation = 0  # one per checked file

    def _note_read(self, file: Path, digest: str | None) -> None:
        for reads in self._reads:
            reads[str(file)] = digest or ""
        if self._frames:
            self._frames[-1].deps[str(file)] = digest or ""

    def _digest(self, path: str) -> str | None:
        """A file's digest, looked at once per checked file however many entries list it."""
        if self._digests_at != self.generation:
            self._digests.clear()
            self._digests_at = self.generation
        if path not in self._digests:
            self._digests[path] = file_digest(Path(path))
        return self._digests[path]

    def definition(self, absolute: str) -> Definition | None:
        """Where ``absolute`` (``pkg.mod.name``) is defined, through re-exports; kept with
        the files the lookup read, and looked up again when one of them changed."""
        known = self._definitions.get(absolute)
        if known is not None and known[1].valid(self.generation, self._digest):
            found, entry = known
            if self._frames:
                self._frames[-1].deps.update(entry.deps)
            for pending in self._reads:
                pending.update(entry.deps)
            return found
        reads: dict[str, str] = {}
        self._reads.append(reads)
        try:
            found = self.index.locate_dotted(absolute)
        finally:
            self._reads.pop()
        self._definitions[absolute] = (found, _Entry(ModuleSummary(""), reads))
        return found

    def module_summary(self, file: Path) -> ModuleSummary | None:
        """The summary of ``file``; ``None`` while it is in progress (an import cycle)."""
        if file in self._running:
            for frame in self._frames:
                frame.partial = True
            return None
        digest = file_digest(file)
        if digest is None:
            return None
        root = self._frames[0].file if self._frames else file
        entry = self._memo.get(file) or self._partial.get((file, root))
        if entry is None or not entry.valid(self.generation, self._digest):
            entry = (
                self._from_cache(file, digest, None)
                or self._from_cache(file, digest, root)
                or self._compute(file, digest, root)
            )
        if self._frames:
            self._frames[-1].deps.update(entry.deps)
        return entry.summary

    @staticmethod
    def _cache_key(file: Path, digest: str, root: Path | None) -> bytes:
        """A summary computed through a cycle is only valid for the cycle's entry point."""
        return f"{file}\0{digest}\0{root or ''}".encode()

    def _from_cache(self, file: Path, digest: str, root: Path | None) -> _Entry | None:
        if self.cache is None:
            return None
        data = self.cache.get(self._cache_key(file, digest, root))
        if not isinstance(data, dict):
            return None
        try:
            entry = _Entry(decode_summary(data["summary"]), dict(data["deps"]))
        except (KeyError, ValueError, TypeError):
            return None
        if not entry.valid():
            return None
        if root is None:
            self._memo[file] = entry
        else:
            self._partial[(file, root)] = entry
        return entry

    def _compute(self, file: Path, digest: str, root: Path) -> _Entry:
        frame = _Frame(file, {str(file): digest})
        self._frames.append(frame)
        self._running.add(file)
        try:
            summary = self._summarise(file)
        finally:
            self._running.discard(file)
            self._frames.pop()
        entry = _Entry(summary, frame.deps)
        if frame.partial:
            # computed while a module of a cycle was in progress: what it saw depends on
            # where the cycle was entered, so it is kept for that entry point only
            for outer in self._frames:
                outer.partial = True
            self._partial[(file, root)] = entry
        else:
            self._memo[file] = entry
        if self.cache is not None:
            data = {"summary": encode_summary(summary), "deps": frame.deps}
            self.cache.put(self._cache_key(file, digest, root if frame.partial else None), data)
        return entry

    def _summarise(self, file: Path) -> ModuleSummary:
        self.computed += 1
        name = module_name(file)
        try:
            module = parse_module(read_source(file))
        except (OSError, TooDeep, TooLarge, cst.ParserSyntaxError, SyntaxError, ValueError):
            return ModuleSummary(name)
        except RecursionError:
            return ModuleSummary(name)
        index = build_index(module, *self.sinks)
        imports = FileImports(self, file)
        ctx = ModuleContext(module, Names(self.config, index.table), index)
        ctx.imports_factory = lambda: imports
        summaries = Summaries(ctx)
        try:
            return _module_summary(name, index, imports, summaries)
        except RecursionError:
            return ModuleSummary(name)


def _module_summary(
    name: str, index: ModuleIndex, imports: FileImports, summaries: Summaries
) -> ModuleSummary:
    def portable(info: FunctionInfo, owner: str | None) -> ImportedFunction:
        params = info.node.params
        positional = tuple(p.name.value for p in (*params.posonly_params, *params.params))
        return ImportedFunction(
            info.name,
            name,
            positional,
            owner is not None,
            info.is_property,
            without_nodes(summaries.summary_of(info)),
            owner,
        )

    functions = {fn: portable(info, None) for fn, info in index.module_functions.items()}
    classes: dict[str, ImportedClass] = {}
    for cls_name, cls in index.classes.items():
        bases = []
        for base in cls.bases:
            qualified = index.table.qualify(base.value) if base.keyword is None else None
            absolute = imports.absolute(qualified) if qualified else None
            if absolute is not None:
                bases.append(absolute if "." in absolute else f"{name}.{absolute}")
        methods = {m: portable(info, cls_name) for m, info in index.methods[cls].items()}
        classes[cls_name] = ImportedClass(cls_name, tuple(bases), methods)
    return ModuleSummary(name, dict(index.constants), functions, classes)


class FileImports:
    """The imported names of one file (checked or summarised), looked up in its project."""

    def __init__(self, summaries: ProjectSummaries, file: Path) -> None:
        self.summaries = summaries
        self.file = file
        self._definitions: dict[str, Definition | None] = {}

    def absolute(self, qualified: str) -> str | None:
        """A dotted name as the file's imports give it (``.payloads.build``) made absolute."""
        rest = qualified.lstrip(".")
        level = len(qualified) - len(rest)
        return absolute_module(self.file, rest, level)

    def _definition(self, qualified: str) -> Definition | None:
        if qualified in self._definitions:
            return self._definitions[qualified]
        absolute = self.absolute(qualified)
        found = None
        if absolute is not None and "." in absolute:
            found = self.summaries.definition(absolute)
        found = found if found is not None and found.name is not None else None
        self._definitions[qualified] = found  # a file asks for the same names again and again
        return found

    def _summary(self, definition: Definition) -> ModuleSummary | None:
        if definition.file == self.file:
            return None  # the module's own names: its own evaluation follows them
        return self.summaries.module_summary(definition.file)

    def function(self, qualified: str) -> ImportedFunction | None:
        found = self._definition(qualified)
        if found is not None:
            summary = self._summary(found)
            return summary.functions.get(found.name or "") if summary else None
        owner, _, method = qualified.rpartition(".")
        return self.member(owner, method) if owner else None

    def constant(self, qualified: str) -> str | None:
        found = self._definition(qualified)
        summary = self._summary(found) if found is not None else None
        return summary.constants.get(found.name or "") if summary and found else None

    def member(self, qualified_class: str, name: str) -> ImportedFunction | None:
        """Method or property ``name`` of an imported class, through its bases (which may
        live in further modules), each class looked at once."""
        pending = [qualified_class]
        seen: set[str] = set()
        lookup: FileImports = self
        while pending:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.add(current)
            found = lookup._definition(current)
            summary = lookup._summary(found) if found is not None else None
            cls = summary.classes.get(found.name or "") if summary and found else None
            if cls is None:
                continue
            if name in cls.methods:
                return cls.methods[name]
            pending.extend(cls.bases)  # absolute names: any file's lookup reads them alike
        return None


# ----------------------------------------------------------------------------- per run

_PROJECTS: dict[tuple[Project, str, str | None], ProjectSummaries] = {}


@lru_cache(maxsize=1)
def checker_fingerprint() -> str:
    """The checker's version and the bytes of its analysis: a cache entry made by other
    code is never read."""
    import hashlib  # OpenSSL loads with it: only project mode pays

    digest = hashlib.blake2b(__version__.encode(), digest_size=16)
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def imports_for(path: str, config: Config, options: ProjectOptions) -> FileImports | None:
    """The import lookup of the checked file at ``path``; ``None`` for text with no file."""
    if not in_marked_project(path):
        return None
    file = Path(os.path.abspath(path))
    try:
        project = _project_of(file.parent, options.src)
    except OSError:
        return None
    salt = _salt_of(config)
    key = (project, salt, options.cache_dir)
    summaries = _PROJECTS.get(key)
    if summaries is None:
        # only a marked project root gets a cache folder, as ruff's: a loose folder (the
        # standard library, /tmp) is not written into
        cache = (
            SummaryCache(project.root / options.cache_dir, salt)
            if options.cache_dir is not None and project.marked
            else None
        )
        summaries = _PROJECTS[key] = ProjectSummaries(project, config, cache)
    summaries.generation += 1  # a new file: entries are checked against the disk again
    return FileImports(summaries, file)


@lru_cache(maxsize=1024)
def _project_of(folder: Path, src: tuple[str, ...]) -> Project:
    """One project lookup per folder of a run: every file of a package shares it."""
    return find_project(folder / "__init__.py", src)


@lru_cache(maxsize=16)
def _salt_of(config: Config) -> str:
    return summary_salt(config)


def project_summaries_made() -> list[ProjectSummaries]:
    """Every project's summaries made by this process (tests count the work done)."""
    return list(_PROJECTS.values())


def forget_projects() -> None:
    """Drop this process's summaries (an editor reloading its settings; tests starting
    cold), and which project each folder belongs to. Entries on disk stay: the next
    lookup reads them."""
    _PROJECTS.clear()
    _project_of.cache_clear()

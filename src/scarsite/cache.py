"""The build cache: what a build may reuse from the last one.

`scarsite build` keeps it in `.scarsite-cache/` at the site root (`--no-cache`
leaves it alone, `scarsite clean` deletes it); the live preview keeps one in
memory. It holds the article files read, by stamp (see `load_sources`), parsed
front matter and converted bodies, keyed by digests of everything they depend on
(the file's text, the settings, the glossary, the version and code of scarsite
and its Markdown settings), and a record of how each page of the last published
site was made (see `render.PageRecord`). On disk the sources are a store of their
own, read first, as that is all a build with nothing to do needs; each store is a
base and the changes since (see `store`). A cache that cannot be read is ignored,
so the worst a cache can cost is a full build.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import jinja2
import markdown
import markupsafe
import nh3
import yaml

from . import __version__
from .config import SiteConfig
from .errors import Problem, Problems
from .frontmatter import Document, parse_document
from .glossary import Glossary
from .load import KnownSources, Source, Stamp
from .markup import Body, BodyCache, Converted
from .model import Site, build_site, panel_sources
from .render import Rendered
from .static import StaticFiles
from .store import Store, pickle_atomically, read_pickle
from .write import file_stamps, spare_paths, stamp_of

CACHE_DIR = ".scarsite-cache"
_CACHE_FILE = "build.pickle"
_SOURCES_FILE = "sources.pickle"  # read first: all an up-to-date build needs
_LAST_BUILD_FILE = "last-build.pickle"
_OLD_HTML_DIR = "html"  # where converted bodies were kept, one file each, until 2026-11
_TEMPLATES_DIR = "templates"  # compiled by Jinja


@functools.cache
def code_identity() -> str:
    """A digest of scarsite's code and templates and the libraries that shape its output."""
    package = Path(__file__).parent
    digest = hashlib.sha1(__version__.encode())
    for path in sorted([*package.glob("*.py"), *package.glob("templates/*")]):
        digest.update(path.name.encode() + path.read_bytes())
    for module, distribution in ((markdown, "markdown"), (jinja2, "jinja2"),
                                 (markupsafe, "markupsafe"), (nh3, "nh3"), (yaml, "pyyaml")):
        digest.update(_installed_version(module, distribution).encode())
    return digest.hexdigest()


def _installed_version(module: ModuleType, distribution: str) -> str:
    """The names of a library's metadata folders (`<name>-<version>.dist-info`), read from
    the folder it is installed in: `importlib.metadata` takes 20 ms to import and search,
    a tenth of a build with nothing to do."""
    packages = Path(module.__file__ or "").parent.parent
    try:
        names = os.listdir(packages)
    except OSError:
        names = []
    found = sorted(name for name in names if name.lower().startswith(f"{distribution}-")
                   and name.endswith((".dist-info", ".egg-info")))
    return f"{distribution} {found or getattr(module, '__version__', '')}"


@dataclass(frozen=True)
class LastBuild:
    """What the last successful build read and wrote, and what it told the user.

    A build whose inputs have the same digest, into an output folder still holding exactly
    the files that build left there, would make the same site: it is up to date.
    """

    inputs: str  # digest of everything the build read (see `inputs_digest`)
    output: str  # the output folder, absolute
    files: dict[str, Stamp]  # every file in it -> (size, mtime, inode)
    problems: tuple[Problem, ...]  # warnings reported
    summary: dict[str, Any]  # the build report's counts, to report them again

    def still_published(self) -> bool:
        """Whether the output folder holds the files this build wrote, untouched."""
        return file_stamps(Path(self.output)) == self.files


def last_build(site: Path, inputs: str, output: Path) -> LastBuild | None:
    """The last successful build of `site`, if it had these inputs and wrote `output`, and
    `output` still holds exactly what it wrote."""
    last = read_pickle(site / CACHE_DIR / _LAST_BUILD_FILE)
    if (not isinstance(last, LastBuild) or last.inputs != inputs
            or last.output != str(output.absolute()) or not last.still_published()):
        return None
    return last


def remember_build(site: Path, inputs: str, output: Path, problems: Problems,
                   summary: dict[str, Any], stamps: dict[str, Stamp]) -> None:
    """Record a successful build's inputs, output files (`stamps`, as the write gave them)
    and report (see `last_build`)."""
    output = output.absolute()
    last = LastBuild(inputs, str(output), stamps, tuple(problems.items), summary)
    (site / CACHE_DIR).mkdir(parents=True, exist_ok=True)
    pickle_atomically(site / CACHE_DIR / _LAST_BUILD_FILE, last)


def inputs_digest(identity: str, settings: str, sources: list[Source],
                  static: StaticFiles, extra_files: list[Path]) -> str:
    """A digest of everything a build reads: scarsite itself, its settings and options, the
    articles, the static files and `extra_files` (the glossary, the site's templates)."""
    digest = hashlib.sha1(f"{identity}\0{settings}".encode())
    for source in sources:
        digest.update(f"\0{source.rel}\0{source.text}".encode())
    for path in sorted([*static.files.values(), *extra_files]):
        with contextlib.suppress(OSError):
            digest.update(f"\0{path}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def files_of(folder: Path) -> list[Path]:
    """Every file under `folder` (none if it is missing)."""
    return [folder / rel for rel in sorted(file_stamps(folder))] if folder.is_dir() else []


@dataclass(frozen=True)
class _Parsed:
    """A parsed document without its text, and the problems parsing it reported."""

    document: Document | None
    problems: tuple[Problem, ...]


class BuildCache:
    """What the next build can reuse; in memory only unless it has a `folder`."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder
        self.identity = code_identity()
        self.documents: dict[str, tuple[str, _Parsed]] = {}  # content path -> (digest, parsed)
        self.bodies = BodyCache()
        self.pages = Rendered()  # how the pages in `output` were made (records, no bytes)
        self.output = ""  # the folder the page records describe
        self._stats: dict[str, Stamp] = {}  # output path -> stamp of the page written
        self._model: tuple[str, Site, tuple[Problem, ...]] | None = None
        self._settings: tuple[SiteConfig | None, str] = (None, "")
        self._panels: tuple[str, dict[str, list[tuple[str, str, tuple[str, ...]]]]] = ("", {})
        # Files read, by content path: a file is read again only when its stamp changes
        # (see `load_sources`) or the preview is told it changed. For a cache in memory,
        # also the documents parsed: a source read once is parsed once.
        self.sources: KnownSources = {}
        self._parsed_sources: dict[str, tuple[Source, str, Document | None]] = {}
        self._store: Store | None = None
        self._sources_store: Store | None = None

    @classmethod
    def at(cls, site: Path) -> BuildCache:
        """The cache kept in the site folder, with only the sources read so far (enough
        to load the site and see whether it is up to date); `read` reads the rest."""
        cache = cls(site / CACHE_DIR)
        folder = site / CACHE_DIR
        # Half-written files of a build that was killed (builds of a site take turns, so
        # none of them is being written now).
        for leftover in [*folder.glob("*.tmp"), *(folder / _TEMPLATES_DIR).glob("*.tmp")]:
            leftover.unlink(missing_ok=True)
        cache._sources_store = Store(folder / _SOURCES_FILE)
        state = cache._sources_store.read()
        if state is not None and state.get("identity") == cache.identity:
            cache.sources = state["sources"]
            cache._sources_store.remember(cache._sources_state())
        return cache

    def read(self) -> None:
        """Read the rest of the cache (nothing is kept if it is unreadable, or from
        another version of scarsite)."""
        assert self.folder is not None
        self._store = Store(self.folder / _CACHE_FILE)
        state = self._store.read()
        if state is None or state.get("identity") != self.identity:
            # Jinja checks compiled templates against their source, not against its own code.
            shutil.rmtree(self.folder / _TEMPLATES_DIR, ignore_errors=True)
            shutil.rmtree(self.folder / _OLD_HTML_DIR, ignore_errors=True)
            return
        self.documents, self._panels = state["documents"], state["panels"]
        self.pages = Rendered(records=state["records"], digests=state["digests"])
        self.output, self._stats = state["output"], state["stats"]
        self.bodies = BodyCache({key: Converted(Body(*body), *rest)
                                 for key, (body, *rest) in state["bodies"].items()})
        self._store.remember(self._state())

    def _sources_state(self) -> dict[str, Any]:
        return {"identity": self.identity, "sources": self.sources}

    def _state(self) -> dict[str, Any]:
        """What is saved, as kept in memory (see `_pickled` for how bodies are saved)."""
        return {"identity": self.identity, "documents": self.documents,
                "bodies": self.bodies.entries, "panels": self._panels,
                "records": self.pages.records, "digests": self.pages.digests,
                "output": self.output, "stats": self._stats}

    def save(self) -> None:
        """Write what changed into the cache folder (atomically): the parts read with `at`
        and `read` (a part never read is not written over)."""
        if self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        if self._sources_store is not None:
            self._sources_store.save(self._sources_state(), _as_is)
        if self._store is not None:
            self._store.save(self._state(), _pickled)

    def parse(self, source: Source, config: SiteConfig, problems: Problems) -> Document | None:
        """`parse_document`, unless this text was parsed with these settings before."""
        if self._settings[0] is not config:
            self._settings = (config, f"{self.identity}{config!r}")
        if self.folder is None:
            last = self._parsed_sources.get(source.rel)
            if last is not None and last[0] is source and last[1] == self._settings[1]:
                for problem in self.documents[source.rel][1].problems:
                    problems.add(problem)
                return last[2]
            document = self._parse(source, config, problems)
            self._parsed_sources[source.rel] = (source, self._settings[1], document)
            return document
        return self._parse(source, config, problems)

    def _parse(self, source: Source, config: SiteConfig, problems: Problems) -> Document | None:
        digest = hashlib.sha1((self._settings[1] + source.text).encode()).hexdigest()
        known = self.documents.get(source.rel)
        if known is None or known[0] != digest:
            before = len(problems.items)
            document = parse_document(source, config, problems)
            stored = document and _without_text(document)
            known = (digest, _Parsed(stored, tuple(problems.items[before:])))
            self.documents[source.rel] = known
            return document
        parsed = known[1]
        for problem in parsed.problems:
            problems.add(problem)
        if parsed.document is None:
            return None
        document = parsed.document
        return Document(source, document.meta, _body_of(source.text, document.body_line),
                        document.body_line, document.lines, document.item_lines)

    def forget_missing(self, present: set[str]) -> None:
        """Drop parsed files that no longer exist."""
        gone = self.documents.keys() - present
        for rel in gone:
            del self.documents[rel]
            self._parsed_sources.pop(rel, None)

    def model(self, config: SiteConfig, documents: list[Document], glossary: Glossary,
              drafts: bool, unparsed: set[str], problems: Problems) -> Site:
        """`build_site`, reusing what it worked out last time when no front matter changed:
        the live preview (a cache in memory) keeps the whole model, a cache in a folder
        the cross-link panels, which are most of the work."""
        fronts = [(d.rel, d.front_matter_digest) for d in documents]
        key = hashlib.sha1(repr((config, [(e.term, e.definition, e.aliases, e.line)
                                          for e in glossary.entries],
                                 drafts, sorted(unparsed), fronts)).encode()).hexdigest()
        if self.folder is not None:
            panels = self._panels[1] if self._panels[0] == key else None
            site = build_site(config, documents, glossary, drafts, unparsed, problems, panels)
            if panels is None:
                self._panels = (key, panel_sources(site))
            return site
        if self._model is not None and self._model[0] == key:
            _, site, found = self._model
            for document in documents:
                if document.rel in site.by_source:
                    site.by_source[document.rel].replace_document(document)
            for problem in found:
                problems.add(problem)
            return site
        before = len(problems.items)
        site = build_site(config, documents, glossary, drafts, unparsed, problems)
        self._model = (key, site, tuple(problems.items[before:]))
        return site

    @property
    def compiled_templates(self) -> Path | None:
        """Where Jinja keeps the templates it compiled (nowhere for a cache in memory)."""
        return self.folder / _TEMPLATES_DIR if self.folder is not None else None

    def page_records(self, output: Path) -> Rendered | None:
        return self.pages if self.output == str(output.absolute()) else None

    def can_keep(self, output: Path) -> Any:
        """Whether the last build's copy of a page in `output` is still there, untouched."""
        def check(rel: str) -> bool:
            try:
                stat = os.stat(output / rel)
            except OSError:
                return False
            return self._stats.get(rel) == stamp_of(stat)
        return check

    def published(self, rendered: Rendered, output: Path, stamps: dict[str, Stamp]) -> None:
        """Remember how the pages now in `output` (whose files have these `stamps`) were made."""
        stats = {rel: stamps[rel] for rel in rendered.records if rel in stamps}
        self.pages = Rendered(records=dict(rendered.records), digests=rendered.digests)
        self.output, self._stats = str(output.absolute()), stats


def _as_is(table: str, value: Any) -> Any:
    return value


def _pickled(table: str, value: Any) -> Any:
    """A converted body is saved as plain values (a `Body` has slots, not a dict)."""
    if table != "bodies":
        return value
    body = value.body
    return ((body.html, body.toc, body.anchors, body.words, body.digest), value.links,
            value.glossary_uses, value.targets)


def _without_text(document: Document) -> Document:
    empty = Source(document.rel, document.source.section, "")
    return Document(empty, document.meta, "", document.body_line, document.lines,
                    document.item_lines)


def _body_of(text: str, body_line: int) -> str:
    """The body: the text from its first line (the front matter's lines come before)."""
    parts = text.split("\n", body_line - 1)
    return parts[-1] if len(parts) == body_line else ""


def clean(site: Path, output: Path) -> list[Path]:
    """Remove the cache, the output folder and its spare copy; the paths removed."""
    removed = []
    for path in (site / CACHE_DIR, output, *spare_paths(output)):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed

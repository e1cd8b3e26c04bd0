"""The build cache: what a build may reuse from the last one. It wraps the pipeline;
no stage imports it.

Each stage that can reuse earlier work takes it as a plain dictionary (see `Known`)
and leaves in it what this build made. `MemoryCache` keeps those dictionaries
between the rebuilds of one process (the live preview, `--no-cache`); `DiskCache`
keeps them in `.scarsite-cache/cache.sqlite` at the site root, with the bytes of
every page published, so a build in a fresh clone with the cache restored (as CI
does) renders only what changed. Everything in it is keyed by content (digests of
the files' text and of what else shapes each result), never by file times or
inodes, and it is dropped whole when scarsite's code or libraries change. A cache
that cannot be read is ignored, so the worst a cache can cost is a full build.

Before any of that, `DiskCache.up_to_date` tells a build whose inputs and output are
exactly those of the last successful one: the output is up to date.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import pickle
import shutil
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import defusedxml
import jinja2
import markdown
import nh3
import PIL
import yaml

from . import __version__
from .errors import Problem, SiteError
from .images import Picture
from .load import KnownSources, Source
from .markup import Converted
from .model import PanelSources
from .names import CACHE_DIR
from .parse import Parsed
from .render import Rendered
from .static import StaticFiles
from .theme import Theme
from .write import OUTPUT_MARKER, Stamp, check_output_is_ours, file_stamps, made_beside

_DATABASE = "cache.sqlite"
_COMPILED_DIR = "templates"  # templates compiled by Jinja


@dataclass
class Known:
    """What a build may take from earlier ones, as the stages take it.

    Each stage leaves in its dictionary exactly what this build made, so a dictionary
    never grows with entries no build uses.
    """

    documents: dict[str, Parsed] = field(default_factory=dict)  # see `parse_documents`
    panels: dict[str, PanelSources] = field(default_factory=dict)  # see `build_site`
    bodies: dict[str, Converted] = field(default_factory=dict)  # see `render_bodies`
    pictures: dict[str, Picture] = field(default_factory=dict)  # see `prepare_pictures`
    pages: dict[str, str] = field(default_factory=dict)  # output path -> key, of pages kept
    theme: Theme | None = None


class MemoryCache:
    """Reuse within one process; nothing is read from or written to disk."""

    def __init__(self, known: Known | None = None) -> None:
        self.known = known if known is not None else Known()
        # The article files read, for the live preview (see `load_sources`), and the content
        # paths its watcher named since the last build (None: any file may have changed).
        self.sources: KnownSources | None = None
        self.fresh: set[str] | None = None

    def theme(self, folder: Path) -> Theme:
        if self.known.theme is None or self.known.theme.folder != folder:
            self.known.theme = Theme(folder)
        return self.known.theme

    def up_to_date(self, *args: Any) -> LastBuild | None:
        return None

    def read(self) -> Known:
        return self.known

    def unchanged_pages(self, rendered: Rendered, output: Path
                        ) -> tuple[dict[str, bytes], set[str]]:
        return rendered.pages, set()

    def save(self, *args: Any) -> None:
        pass


@functools.cache
def code_identity() -> str:
    """A digest of scarsite's code and templates and the libraries that shape its output."""
    package = Path(__file__).parent
    digest = hashlib.sha1(__version__.encode())
    for path in sorted([*package.glob("*.py"), *package.glob("templates/*")]):
        digest.update(path.name.encode() + path.read_bytes())
    # The libraries that shape the output, by the version each gives itself. (Not through
    # importlib.metadata: importing it is 28 ms, a seventh of a build with nothing to do.
    # MarkupSafe, which Jinja escapes with, no longer gives one; the lock file pins it.)
    for library in (markdown, jinja2, nh3, yaml, PIL, defusedxml):
        digest.update(f"{library.__name__} {library.__version__}".encode())
    return digest.hexdigest()


@dataclass(frozen=True)
class Published:
    """What a successful build published, and what it told the user."""

    output: str  # the output folder, absolute
    files: dict[str, Stamp]  # every file in it -> (size, mtime, inode)
    problems: tuple[Problem, ...]  # warnings reported
    summary: dict[str, Any]  # the build report's counts, to report them again


@dataclass(frozen=True)
class LastBuild(Published):
    """The last successful build: what it read, and what it published.

    A build whose inputs have the same digest, into an output folder still holding exactly
    the files that build left there, would make the same site: it is up to date.
    """

    inputs: str = ""  # digest of everything the build read (see `inputs_digest`)


def inputs_digest(settings: str, sources: list[Source], static: StaticFiles,
                  extra_files: Iterable[Path]) -> str:
    """A digest of everything a build reads: scarsite itself, its settings and options, the
    articles, the static files and `extra_files` (the glossary, the site's templates)."""
    digest = hashlib.sha1(f"{code_identity()}\0{settings}".encode())
    for source in sources:
        digest.update(f"\0{source.rel}\0{source.text}".encode())
    for path in sorted([*static.files.values(), *extra_files]):
        with contextlib.suppress(OSError):
            digest.update(f"\0{path}\0".encode() + path.read_bytes())
    return digest.hexdigest()


class DiskCache:
    """The cache kept in the site folder (see the module's docstring)."""

    sources = fresh = None  # every file is read (see `load_sources`)

    def __init__(self, site: Path) -> None:
        self.folder = site / CACHE_DIR
        self._db: sqlite3.Connection | None = None
        self._read: Known | None = None  # as read, to save only what changed
        self._last: LastBuild | None = None
        self._inputs = ""  # digest of what this build reads, once `up_to_date` worked it out

    def theme(self, folder: Path) -> Theme:
        # Templates compiled by an earlier build: 20 ms of a one-edit build at 1,000
        # articles (0.305 s with them, 0.325 s without; the target is 0.32 s).
        compiled = self.folder / _COMPILED_DIR
        # Jinja saves each compiled template through a '.tmp' file; a build killed meanwhile
        # leaves it behind. Builds hold the site's lock, so none is being written now.
        for stale in compiled.glob("*.tmp"):
            stale.unlink(missing_ok=True)
        return Theme(folder, compiled)

    def _open(self) -> sqlite3.Connection | None:
        """The database, emptied if another version of scarsite wrote it; None if it cannot
        be opened (then this build neither reads nor writes a cache)."""
        if self._db is not None:
            return self._db
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = _connect(self.folder / _DATABASE)
        except (OSError, sqlite3.Error):
            (self.folder / _DATABASE).unlink(missing_ok=True)  # damaged: start afresh
            try:
                self._db = _connect(self.folder / _DATABASE)
            except (OSError, sqlite3.Error):
                return None
        row = self._db.execute("SELECT value FROM meta WHERE name = 'identity'").fetchone()
        if row is None or row[0] != code_identity().encode():
            with self._db:
                for table in ("meta", "documents", "bodies", "pictures", "pages"):
                    self._db.execute(f"DELETE FROM {table}")
                self._db.execute("INSERT INTO meta VALUES ('identity', ?)",
                                 (code_identity().encode(),))
            # Jinja checks compiled templates against their source, not against its own code.
            shutil.rmtree(self.folder / _COMPILED_DIR, ignore_errors=True)
        return self._db

    def up_to_date(self, inputs: Callable[[], str], output: Path) -> LastBuild | None:
        """The last successful build, if it had the same `inputs` (a digest, worked out here
        only: a cache in memory needs none) and wrote `output`, and `output` still holds
        exactly what it wrote. (A build with nothing changed then takes 0.18 s at 1,000
        articles instead of 0.31 s; the target is 0.24 s.)"""
        self._inputs = inputs()
        db = self._open()
        last = _meta(db, "last-build") if db is not None else None
        if not isinstance(last, LastBuild):
            return None
        self._last = last
        if (last.inputs != self._inputs or last.output != str(output.absolute())
                or file_stamps(output) != last.files):
            return None
        return last

    def read(self) -> Known:
        db = self._open()
        known = Known()
        # What is read lives for the whole build: the garbage collector would go through it
        # again and again while it is made (20 ms of the 0.3 s of a one-edit build at 1,000
        # articles; seconds at 10,000), so it is kept out of the collector's way.
        gc.disable()
        try:
            if db is not None:
                known.documents = _table(db, "SELECT key, value FROM documents")
                known.bodies = _table(db, "SELECT key, value FROM bodies")
                known.pictures = _table(db, "SELECT key, value FROM pictures")
                known.panels = _meta(db, "panels") or {}
                known.pages = dict(db.execute("SELECT output, key FROM pages").fetchall())
        except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError):
            known = Known()
        finally:
            gc.freeze()
            gc.enable()
        self._read = Known(dict(known.documents), dict(known.panels), dict(known.bodies),
                           dict(known.pictures), dict(known.pages))
        return known

    def unchanged_pages(self, rendered: Rendered, output: Path
                        ) -> tuple[dict[str, bytes], set[str]]:
        """Every page to publish, and which of them the output folder already holds as the
        last build left them (those are linked into the new site, not written)."""
        last = self._last
        held = (file_stamps(output) if last is not None and last.output == str(output.absolute())
                else {})
        kept = {rel for rel in rendered.unchanged
                if last is not None and rel in held and held[rel] == last.files.get(rel)}
        pages = dict(rendered.pages)
        missing = rendered.unchanged - kept
        if missing and self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                for rel, data in self._db.execute("SELECT output, data FROM pages"):
                    if rel in missing:
                        pages[rel] = data
        if missing - pages.keys():
            # The pages were in the cache when it was opened: it was damaged since.
            (self.folder / _DATABASE).unlink(missing_ok=True)
            raise SiteError(CACHE_DIR, 0, "cache", "was damaged while this build read it, "
                            "and is removed; build again (nothing was written)")
        return pages, kept

    def save(self, known: Known, rendered: Rendered | None, published: Published | None) -> None:
        """Write what changed since `read`, and what this build `published` if it did (the
        pages `rendered`). The cache only saves time: if it cannot be saved (a full disk),
        the next build simply does more work."""
        db, before = self._db, self._read
        if db is None or before is None:
            return
        with contextlib.suppress(OSError, sqlite3.Error), db:
            for table in ("documents", "bodies", "pictures"):
                now, then = getattr(known, table), getattr(before, table)
                db.executemany(f"DELETE FROM {table} WHERE key = ?",
                               ((key,) for key in then.keys() - now.keys()))
                db.executemany(f"INSERT OR REPLACE INTO {table} VALUES (?, ?)",
                               ((key, _pickled(value)) for key, value in now.items()
                                if then.get(key) is not value))
            if known.panels != before.panels:
                _set_meta(db, "panels", known.panels)
            if rendered is not None and published is not None:
                db.executemany("DELETE FROM pages WHERE output = ?",
                               ((rel,) for rel in before.pages.keys() - rendered.keys.keys()))
                db.executemany("INSERT OR REPLACE INTO pages VALUES (?, ?, ?)",
                               ((rel, rendered.keys[rel], data)
                                for rel, data in rendered.pages.items()))
                _set_meta(db, "last-build", LastBuild(**vars(published), inputs=self._inputs))


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.isolation_level = "DEFERRED"  # `with db:` is one transaction
    # The cache may be lost in a power cut without harm (it is checked when read, and
    # dropped if damaged), so no waiting for the disk: a process killed mid-save still
    # leaves the last complete state, as the journal is written first.
    db.execute("PRAGMA synchronous = OFF")
    with db:
        db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB)")
        for table in ("documents", "bodies", "pictures"):
            db.execute(f"CREATE TABLE IF NOT EXISTS {table} "
                       "(key TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID")
        db.execute("CREATE TABLE IF NOT EXISTS pages "
                   "(output TEXT PRIMARY KEY, key TEXT, data BLOB)")
    db.execute("SELECT count(*) FROM meta").fetchone()  # a damaged file fails here
    return db


def _pickled(value: Any) -> bytes:
    return pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)


def _table(db: sqlite3.Connection, query: str) -> dict[str, Any]:
    return {key: pickle.loads(value) for key, value in db.execute(query)}


def _meta(db: sqlite3.Connection, name: str) -> Any:
    try:
        row = db.execute("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return pickle.loads(row[0]) if row is not None else None
    except (sqlite3.Error, pickle.UnpicklingError, EOFError, AttributeError):
        return None


def _set_meta(db: sqlite3.Connection, name: str, value: Any) -> None:
    db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, _pickled(value)))


def clean(site: Path, output: Path) -> list[Path]:
    """Remove what scarsite made: the cache, the output folder if it carries scarsite's
    marker, its spare copy and a killed build's leftovers; the paths removed. A SiteError,
    and nothing removed, if `output` holds anything scarsite did not make."""
    check_output_is_ours(output, str(output), cleaning=True)
    ours = [output] if (output / OUTPUT_MARKER).is_file() else []  # an empty folder is left
    removed = []
    for path in (site / CACHE_DIR, *ours, *made_beside(output)):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
        else:
            continue
        removed.append(path)
    return removed

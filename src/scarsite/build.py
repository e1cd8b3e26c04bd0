"""The build pipeline: settings, load, parse, pictures, model, Markdown, (editorial,) render, write.

`build()` runs the stages in order, collecting every problem they report.
Output is written only when no stage found an error (or, with `strict`, a
warning), and then all at once, so the previous site survives a failed build.
After the load stage, a build whose inputs and output are exactly those of the
last successful one stops: the output is up to date (see `cache.LastBuild`).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from .cache import DiskCache, LastBuild, MemoryCache, Published, inputs_digest
from .config import KINDS, SiteConfig, load_config
from .editorial import EditorialReport, editorial_report
from .errors import Problems, SiteError
from .glossary import load_glossary
from .images import PictureFile, prepare_pictures
from .load import Source, load_pictures, load_sources
from .markup import Body, render_bodies
from .model import Site, build_site
from .names import CONTENT_DIR, GLOSSARY_FILE, OUTPUT_DIR, STATIC_DIR, TEMPLATES_DIR
from .parallel import default_jobs
from .parse import parse_documents
from .render import Rendered, render_site
from .search import index_search
from .static import StaticFiles, collect_static
from .write import BuildRunning, check_output_is_ours, site_lock, write_site

T = TypeVar("T")


@dataclass(frozen=True)
class BuildOptions:
    source: Path = Path(".")
    output: Path | None = None  # default: <source>/build
    drafts: bool = False
    strict: bool = False
    write: bool = True  # False for `scarsite check`
    search: bool = True  # index the written site for search (Pagefind)
    editorial: bool = False  # measure plain language and review dates (`scarsite check`)
    today: date | None = None  # the date review deadlines are checked against
    cache: bool = True  # reuse and update the build cache in <source>/.scarsite-cache
    jobs: int = 0  # processes for Markdown and pages; 0 means one per core

    @property
    def output_dir(self) -> Path:
        return self.output if self.output is not None else self.source / OUTPUT_DIR


@dataclass
class BuildReport:
    """What a build did: problems found, pages made, and time spent per stage."""

    options: BuildOptions
    problems: Problems = field(default_factory=Problems)
    config: SiteConfig | None = None
    site: Site | None = None
    editorial: EditorialReport | None = None
    static: StaticFiles | None = None
    rendered: Rendered = field(default_factory=Rendered, repr=False)
    files_written: int = 0
    files_changed: int = 0
    files_removed: int = 0  # files of the previous output the new one no longer has
    pages_indexed: int = 0
    up_to_date: bool = False  # the output already held this site; nothing was done
    busy: bool = False  # another build of the site was running; this one did nothing
    counts: dict[str, Any] = field(default_factory=dict)  # see `count_site`
    timings: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0  # the whole build, wall clock

    @property
    def ok(self) -> bool:
        return not self.problems.failed(self.options.strict)

    def pages_per_section(self) -> dict[str, int]:
        return dict(self.counts.get("sections", {}))

    def stage(self, name: str, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)`, timed as the stage `name`. A stage run inside another (search,
        inside write) is not counted in the other's time too, so the times add up."""
        start, before = time.perf_counter(), len(self.timings)
        try:
            return function(*args)
        finally:
            inner = sum(seconds for _, seconds in self.timings[before:])
            self.timings.append((name, time.perf_counter() - start - inner))

    @contextmanager
    def running(self) -> Iterator[None]:
        """Time the whole build; a problem that stops it is reported like any other."""
        start = time.perf_counter()
        try:
            yield
        except SiteError as exc:
            self.busy = isinstance(exc, BuildRunning)
            self.problems.add(exc.problem)
        finally:
            self.seconds = time.perf_counter() - start


def build(options: BuildOptions, cache: MemoryCache | None = None) -> BuildReport:
    """Build the site at `options.source`; the report says what happened.

    `cache` is what can be reused from earlier builds of this process (the live preview);
    by default the cache kept in the site folder, or none with `options.cache` off. A
    build that writes holds the site's lock, so a second build started at the same time
    stops with a message.
    """
    report = BuildReport(options)
    problems, source, output = report.problems, options.source, options.output_dir
    # Over every core: a cold build of 1,000 articles takes 2.5 s on two cores and 3.8 s
    # on one, run side by side (the target: a cold build no slower than before, 2.4 s).
    jobs = options.jobs or default_jobs()
    with report.running(), _lock(options):
        reuse = cache or (DiskCache(source) if options.cache else MemoryCache())
        config = report.config = report.stage("settings", load_config, source, problems)
        sources = report.stage("load", load_sources, source, problems, reuse.sources,
                               reuse.fresh)
        picture_files = report.stage("load pictures", load_pictures, source, problems)
        static = report.static = report.stage("static", collect_static, source)
        if options.write:  # `check` writes nothing, so it is never up to date
            last = report.stage("up-to-date check", reuse.up_to_date,
                                lambda: _inputs(options, config, sources, picture_files,
                                                static), output)
            if last is not None:
                return _report_again(report, last)
        known = report.stage("open cache", reuse.read)
        documents = report.stage("parse", parse_documents, sources, config, problems,
                                 known.documents)
        glossary = report.stage("glossary", load_glossary, source, problems)
        pictures = report.stage("pictures", prepare_pictures, picture_files, known.pictures)
        site = report.site = report.stage(
            "model", build_site, config, [d for d in documents.values() if d], glossary,
            options.drafts, {rel for rel, d in documents.items() if d is None}, problems,
            known.panels, pictures)
        bodies = report.stage("markdown", render_bodies, site, problems, known.bodies, jobs)
        report.counts = count_site(site)
        if options.editorial:
            report.editorial = report.stage("editorial", editorial_report, site, bodies,
                                            options.today or date.today(), problems)
        theme = reuse.theme(source / TEMPLATES_DIR)
        rendered = report.rendered = report.stage(
            "render", render_site, site, bodies, static, theme, problems, known.pages, jobs)
        published = None
        if options.write and report.ok:
            pages, kept = reuse.unchanged_pages(rendered, output)
            pages.update(_pictures_shown(site, bodies))
            written = report.stage("write", write_site, pages, static, output,
                                   _search_step(report), kept)
            # The search index is made afresh by every build: all its files count as changed.
            search_files = len(written.stamps) - written.files
            report.files_written = len(written.stamps)
            report.files_changed = written.changed + search_files
            report.files_removed = written.removed
            published = Published(str(output.absolute()), written.stamps,
                                  tuple(problems.items), _summary_of(report))
        report.stage("cache", reuse.save, known, rendered if published else None, published)
    return report


def count_site(site: Site) -> dict[str, Any]:
    """What the build report says about the site: articles per section, terms, links."""
    per_kind = Counter(article.kind for article in site.articles)  # one pass: the preview
    terms = sum(per_kind[kind] for kind in {t.kind for t in site.config.taxonomies})  # counts often
    return {"sections": {k.section: per_kind[k.name] for k in KINDS.values()},
            "terms": terms, "links": site.links_checked}


def _pictures_shown(site: Site, bodies: dict[str, Body]) -> dict[str, bytes]:
    """The files of every picture an article shows or names as its `image:`."""
    shown = {rel for body in bodies.values() for rel in body.pictures}
    shown.update(p.rel for p in map(site.image_of, site.articles) if p is not None)
    return {path: data for rel in sorted(shown) for path, data in site.pictures[rel].files.items()}


def _inputs(options: BuildOptions, config: SiteConfig, sources: list[Source],
            pictures: list[PictureFile], static: StaticFiles) -> str:
    """The digest of what this build reads (for telling that nothing changed)."""
    settings = repr((config, options.drafts, options.strict, options.search,
                     str(options.output_dir.absolute()),
                     [(p.rel, p.digest) for p in pictures]))
    source = options.source
    templates = source / TEMPLATES_DIR
    extra = [source / GLOSSARY_FILE,
             *(sorted(p for p in templates.rglob("*") if p.is_file()) if templates.is_dir()
               else [])]
    return inputs_digest(settings, sources, static, extra)


def _summary_of(report: BuildReport) -> dict[str, Any]:
    return {"counts": report.counts, "files": report.files_written,
            "indexed": report.pages_indexed}


def _report_again(report: BuildReport, last: LastBuild) -> BuildReport:
    """Report an up-to-date build as the build that made the output did."""
    for problem in last.problems:
        report.problems.add(problem)
    report.up_to_date = True
    report.counts = last.summary["counts"]
    report.files_written, report.pages_indexed = last.summary["files"], last.summary["indexed"]
    return report


@contextmanager
def _lock(options: BuildOptions) -> Iterator[None]:
    """Anything that writes (the output, or the cache in the site folder) is one at a time."""
    _check_output_folder(options)
    if options.write or options.cache:
        with site_lock(options.source):
            yield
    else:
        yield


def _search_step(report: BuildReport) -> Callable[[Path], None] | None:
    """Index the new site for search before it is published, timing it as its own stage."""
    if not report.options.search:
        return None

    def index(folder: Path) -> None:
        report.pages_indexed = report.stage("search", index_search, folder)
    return index


def _check_output_folder(options: BuildOptions) -> None:
    """Refuse, before any work, an output folder whose replacement would delete the site's
    own files, or (for a build that writes) files scarsite did not make."""
    output = options.output_dir.resolve()
    source = options.source.resolve()
    protected = [source / CONTENT_DIR, source / TEMPLATES_DIR, source / STATIC_DIR]
    if source.is_relative_to(output) or any(output.is_relative_to(p) for p in protected):
        raise SiteError(str(options.output_dir), 0, "output", "would replace the site's own "
                        "files; choose a separate folder such as 'build'")
    if options.write:
        check_output_is_ours(options.output_dir, str(options.output_dir))

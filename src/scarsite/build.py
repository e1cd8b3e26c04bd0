"""The build pipeline: settings, load, parse, model, Markdown, (editorial,) static, render, write.

`build()` runs the stages in order, collecting every problem they report.
Output is written only when no stage found an error (or, with `strict`, a
warning), and then all at once, so the previous site survives a failed build.
After the load stage, a build whose inputs and output are exactly those of the
last successful one stops: the output is up to date (see `cache.LastBuild`).
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from .cache import BuildCache, code_identity, files_of, inputs_digest, last_build, remember_build
from .config import KINDS, SiteConfig, load_config
from .editorial import EditorialReport, editorial_report
from .errors import Problem, Problems, SiteError
from .glossary import GLOSSARY_FILE, load_glossary
from .load import CONTENT_DIR, Source, Stamp, load_sources
from .markup import render_bodies
from .model import Site
from .parallel import default_jobs
from .render import TEMPLATES_DIR, Rendered, render_site
from .search import index_search
from .static import STATIC_DIR, StaticFiles, collect_static
from .write import site_lock, write_site

OUTPUT_DIR = "build"


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
    pages_indexed: int = 0
    up_to_date: bool = False  # the output already held this site; nothing was done
    counts: dict[str, Any] = field(default_factory=dict)  # see `count_site`
    timings: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0  # the whole build, wall clock

    @property
    def ok(self) -> bool:
        return not self.problems.failed(self.options.strict)

    def pages_per_section(self) -> dict[str, int]:
        return dict(self.counts.get("sections", {}))

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings.append((name, time.perf_counter() - start))


def build(options: BuildOptions, cache: BuildCache | None = None) -> BuildReport:
    """Build the site at `options.source`; the report says what happened.

    `cache` is what can be reused from earlier builds; by default the one kept in the
    site folder (a throwaway one with `options.cache` off). A build that writes holds the
    site's lock, so a second build started at the same time stops with a message.
    """
    report = BuildReport(options)
    start = time.perf_counter()
    try:
        _check_output_folder(options)
        # Anything that writes (the output, or the cache in the site folder) is one at a time.
        writes = options.write or options.cache
        with site_lock(options.source) if writes else contextlib.nullcontext():
            _run_stages(report, cache)
    except SiteError as exc:
        report.problems.add(exc.problem)
    report.seconds = time.perf_counter() - start
    return report


def _run_stages(report: BuildReport, cache: BuildCache | None) -> None:
    options, problems = report.options, report.problems
    source, output = options.source, options.output_dir
    jobs = options.jobs or default_jobs()
    with report.stage("settings"):
        config = report.config = load_config(source, problems)
    from_disk = cache is None and options.cache  # the cache kept in the site folder
    with report.stage("load"):
        if cache is None:
            cache = BuildCache.at(source) if options.cache else BuildCache()
        sources = load_sources(source, problems, cache.sources)
        static = report.static = collect_static(source)
    inputs = ""
    if from_disk and options.write:
        with report.stage("up-to-date check"):
            inputs = _inputs(options, config, sources, static)
            last = last_build(source, inputs, output)
        if last is not None:
            _report_again(report, last.problems, last.summary)
            return
    if from_disk:
        # What is read lives for the whole build: keep the garbage collector from
        # going through it again and again (seconds at 10,000 articles).
        gc.disable()
        try:
            with report.stage("open cache"):
                cache.read()
        finally:
            gc.freeze()
            gc.enable()
    with report.stage("parse"):
        parsed = {s.rel: cache.parse(s, config, problems) for s in sources}
        cache.forget_missing(set(parsed))
        glossary = load_glossary(source, problems)
    with report.stage("model"):
        documents = [d for d in parsed.values() if d is not None]
        unparsed = {rel for rel, d in parsed.items() if d is None}
        site = report.site = cache.model(config, documents, glossary, options.drafts,
                                         unparsed, problems)
    with report.stage("markdown"):
        bodies = render_bodies(site, problems, cache.bodies, jobs)
    report.counts = count_site(site)
    if options.editorial:
        with report.stage("editorial"):
            report.editorial = editorial_report(site, bodies, options.today or date.today(),
                                                problems)
    with report.stage("render"):
        rendered = report.rendered = render_site(
            site, bodies, static, source, problems, cache.page_records(output),
            cache.can_keep(output), jobs, cache.identity, cache.compiled_templates)
    stamps: dict[str, Stamp] | None = None  # of the files published (None: none were)
    if options.write and report.ok:
        with report.stage("write"):
            written = write_site(rendered.pages, static, output,
                                 finish=_search_step(report), kept=rendered.kept)
            report.files_written, report.files_changed = written.files, written.changed
            stamps = written.stamps
            cache.published(rendered, output, stamps)
            # The pages are published: their bytes (a third of the memory of a cold build
            # of 10,000 articles) are let go before the cache is pickled, which needs more.
            rendered.pages = dict.fromkeys(rendered.pages, b"")
    if options.cache:
        # The cache only saves time: if it cannot be saved (a full disk), the site is
        # still built and published, and the next build simply does more work.
        with report.stage("cache"), contextlib.suppress(OSError):
            cache.save()
            if inputs and report.ok and stamps is not None:
                remember_build(source, inputs, output, problems, _summary_of(report), stamps)


def count_site(site: Site) -> dict[str, Any]:
    """What the build report says about the site: articles per section, terms, links."""
    per_kind = Counter(article.kind for article in site.articles)  # one pass: the preview
    terms = sum(per_kind[kind] for kind in {t.kind for t in site.config.taxonomies})  # counts often
    return {"sections": {k.section: per_kind[k.name] for k in KINDS.values()},
            "terms": terms, "links": site.links_checked}


def _inputs(options: BuildOptions, config: SiteConfig, sources: list[Source],
            static: StaticFiles) -> str:
    """The digest of what this build reads (for telling that nothing changed)."""
    settings = repr((config, options.drafts, options.strict, options.search,
                     str(options.output_dir.absolute())))
    source = options.source
    extra = [source / GLOSSARY_FILE, *files_of(source / TEMPLATES_DIR)]
    return inputs_digest(code_identity(), settings, sources, static, extra)


def _summary_of(report: BuildReport) -> dict[str, Any]:
    return {"counts": report.counts, "files": report.files_written,
            "indexed": report.pages_indexed}


def _report_again(report: BuildReport, problems: tuple[Problem, ...],
                  summary: dict[str, Any]) -> None:
    """Report an up-to-date build as the build that made the output did."""
    for problem in problems:
        report.problems.add(problem)
    report.up_to_date = True
    report.counts = summary["counts"]
    report.files_written, report.pages_indexed = summary["files"], summary["indexed"]


def _search_step(report: BuildReport) -> Callable[[Path], None] | None:
    """Index the new site for search before it is published, timing it as its own stage."""
    if not report.options.search:
        return None

    def index(folder: Path) -> None:
        with report.stage("search"):
            report.pages_indexed = index_search(folder)
    return index


def _check_output_folder(options: BuildOptions) -> None:
    """Refuse an output folder whose replacement would delete the site's own files."""
    output = options.output_dir.resolve()
    source = options.source.resolve()
    protected = [source / CONTENT_DIR, source / TEMPLATES_DIR, source / STATIC_DIR]
    if source.is_relative_to(output) or any(output.is_relative_to(p) for p in protected):
        raise SiteError(str(options.output_dir), 0, "output", "would replace the site's own "
                        "files; choose a separate folder such as 'build'")

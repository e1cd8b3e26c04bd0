"""Render stage: every output file of the site, as bytes, through Jinja templates.

Input: the `Site`, the rendered `Body` of each article and the static files.
Output: a mapping of output path (e.g. `treatments/subcision/index.html`) to
bytes. Templates come from the site's `templates/` folder, falling back to the
ones inside scarsite (sitemap, feed, robots.txt, redirects). Autoescaping is on
and undefined names are errors; a template mistake is reported with the
template's file and line.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import jinja2

from .config import LISTED_KINDS
from .errors import Problem, Problems
from .glossary import GLOSSARY_FILE
from .markup import Body
from .model import Article, Panel, Panels, Site, note_read, reading
from .parallel import parallel_map
from .schema import EVIDENCE_LEVELS
from .static import StaticFiles
from .structured import glossary_data, structured_data

TEMPLATES_DIR = "templates"
FEED_SIZE = 20
OPTIONAL_TEMPLATES = ("compare.html", "search.html", "glossary.html")  # pages made if present
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


class Section:
    """A section index page and the articles it lists (reading the list is noted)."""

    def __init__(self, kind: str, title: str, path: str, articles: tuple[Article, ...]) -> None:
        self.kind, self.title, self.path = kind, title, path
        self._articles = articles

    @property
    def articles(self) -> tuple[Article, ...]:
        note_read(("section", self.kind))
        return self._articles


@dataclass(frozen=True)
class PageRecord:
    """How a page was made: enough to tell, next build, whether it would come out the same."""

    key: str  # digest of the templates asked for, the page's context and the site settings
    # The parts of the site it read (see model.reading), one "kind\tname" per line. A page
    # reads dozens of parts and the cache keeps a record of every page: as one string, the
    # records load quickly, and a changed part is looked for with a substring search.
    read_lines: str

    @classmethod
    def of(cls, key: str, reads: set[tuple[str, str]]) -> PageRecord:
        return cls(key, "".join(sorted(f"\n{kind}\t{name}" for kind, name in reads)) + "\n")

    def read_any(self, parts: set[tuple[str, str]]) -> bool:
        return any(f"\n{kind}\t{name}\n" in self.read_lines for kind, name in parts)

    @property
    def reads(self) -> set[tuple[str, str]]:
        return {tuple(line.split("\t", 1)) for line in self.read_lines.split("\n") if line}  # type: ignore[misc]


@dataclass
class Rendered:
    """The render stage's result: new pages as bytes, and pages kept from the last build."""

    pages: dict[str, bytes] = field(default_factory=dict)  # emptied, names kept, once written
    kept: set[str] = field(default_factory=set)
    records: dict[str, PageRecord] = field(default_factory=dict)  # every page of this build
    digests: dict[tuple[str, str], str] = field(default_factory=dict)  # of every part read
    # The site these digests were taken of, while it lives (the preview reuses its model).
    model: weakref.ref[Site] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class _Job:
    output: str
    templates: tuple[str, ...]
    context: dict[str, Any]
    body: str | None = None  # content path of the article whose body the page shows


@dataclass
class _Plan:
    """Every page of one site model, with the part of each page's key that does not
    depend on the bodies. The live preview reuses it while only bodies change."""

    model: weakref.ref[Site]
    salt: str
    sections: list[Section]
    work: list[_Job]
    keys: list[str]


def render_site(site: Site, bodies: dict[str, Body], static: StaticFiles, root: Path,
                problems: Problems, previous: Rendered | None = None,
                can_keep: Callable[[str], bool] = lambda output: False, jobs: int = 1,
                salt: str = "", compiled: Path | None = None) -> Rendered:
    """Render the site's pages; template errors are reported and the page left out.

    A page of the `previous` build is not rendered again when its key is the same (same
    templates, context and settings), no part of the site it read has changed since, and
    `can_keep` its old output. `salt` names what else the output depends on, such as the
    version of scarsite. Compiled templates are kept in the folder `compiled`, if given.
    """
    theme = _Theme.for_site(root / TEMPLATES_DIR, site, static, compiled)
    salt = _digest(repr((salt, site.config, sorted(static.names.items()),
                         [(e.term, e.definition, e.aliases) for e in site.glossary.entries],
                         [name for name in OPTIONAL_TEMPLATES if _has_template(theme.env, name)])))
    plan = theme.plan
    if plan is None or plan.model() is not site or plan.salt != salt:
        plan = theme.plan = _plan(site, salt, theme.env)
    sections, work = plan.sections, plan.work
    common = {"site": site.config, "sections": sections, "evidence_levels": EVIDENCE_LEVELS,
              "linked": site.linked, "glossary": site.glossary}
    if len(site.glossary) and "glossary/index.html" not in [job.output for job in work]:
        problems.error(GLOSSARY_FILE, 0, "glossary", "articles link to /glossary/, but there is "
                       f"no {TEMPLATES_DIR}/glossary.html to make it")
    digests = _Digests(site, sections, theme.env)
    previous = previous or Rendered()
    if previous.model is not None and previous.model() is site:
        # The same model: only the templates can have changed among the parts pages read.
        digests.known.update((part, digest) for part, digest in previous.digests.items()
                             if part[0] != "template")
    changed = {part for part, digest in previous.digests.items() if digests.of(part) != digest}
    result = Rendered(model=weakref.ref(site))
    todo: list[tuple[_Job, str]] = []
    for job, base in zip(work, plan.keys, strict=True):
        key = base if job.body is None else _digest(base + bodies[job.body].digest)
        record = previous.records.get(job.output)
        if (record is not None and record.key == key and not record.read_any(changed)
                and can_keep(job.output)):
            result.kept.add(job.output)
            result.records[job.output] = record
        else:
            todo.append((job, key))

    def render(index: int) -> tuple[bytes | None, set[tuple[str, str]], list[Problem]]:
        job = todo[index][0]
        found = Problems()
        with reading() as reads:
            context = {**common, **job.context}
            if job.body is not None:
                context["body"] = bodies[job.body]
            text = _render(theme.env, list(job.templates), context, found)
        return (None if text is None else text.encode("utf-8")), reads, found.items

    parts = set(previous.digests)
    for (job, key), (data, reads, found) in zip(
            todo, parallel_map(render, range(len(todo)), jobs), strict=True):
        for problem in found:
            problems.add(problem)
        if data is not None:
            result.pages[job.output] = data
            if not found:
                result.records[job.output] = PageRecord.of(key, reads)
                parts |= reads
    if len(parts) > 2 * len(previous.digests) + 100 or len(todo) > len(work) // 2:
        parts = set().union(*(record.reads for record in result.records.values()))
    result.digests = {part: digests.of(part) for part in parts}
    return result


def _plan(site: Site, salt: str, env: jinja2.Environment) -> _Plan:
    sections = [Section(k.name, k.title, f"{k.section}/", tuple(site.section(k.name)))
                for k in LISTED_KINDS]
    work = _jobs(site, sections, env)
    keys = [_digest(f"{salt}{job.output}{job.templates}{_fingerprint(job.context)}")
            for job in work]
    return _Plan(weakref.ref(site), salt, sections, work, keys)


def _jobs(site: Site, sections: list[Section], env: jinja2.Environment) -> list[_Job]:
    """Every page of the site: where it goes, its templates and its own context."""
    work = [_Job("index.html", ("home.html",), {"page_path": ""}),
            _Job("404.html", ("404.html",), {"page_path": "404.html"})]
    work += [_Job(f"{s.path}index.html", ("section.html",), {"page_path": s.path, "section": s})
             for s in sections]
    section_of = {s.kind: s for s in sections}
    for article in site.articles:
        rel = article.rel
        context = {"page_path": article.path, "page": article, "panels": site.panels[rel],
                   "section": section_of.get(article.kind)}
        work.append(_Job(f"{article.path}index.html", (f"{article.kind}.html", "article.html"),
                         context, body=rel))
        for alias in article.meta.aliases:
            output = alias if alias.endswith(".html") else f"{alias}/index.html"
            work.append(_Job(output, ("redirect.html",), {"page_path": alias, "target": article}))
    # The feed tells readers about reviewed medical content, not changes to site pages.
    articles_by_date = sorted((a for a in site.articles if a.kind != "page"),
                              key=lambda a: (-_changed(a).toordinal(), a.path))
    work += [
        _Job("sitemap.xml", ("sitemap.xml",), {"page_path": "sitemap.xml",
                                               "articles": site.articles,
                                               "lastmod": _lastmod(site, sections)}),
        _Job("feed.xml", ("feed.xml",), {"page_path": "feed.xml",
                                         "articles": articles_by_date[:FEED_SIZE]}),
        _Job("robots.txt", ("robots.txt",), {"page_path": "robots.txt"}),
    ]
    # Pages the theme may offer; each is made only when the theme has its template.
    work += [_Job(f"{name.removesuffix('.html')}/index.html", (name,),
                  {"page_path": f"{name.removesuffix('.html')}/"})
             for name in OPTIONAL_TEMPLATES if _has_template(env, name)]
    return work


class _Digests:
    """The current digest of each part of the site a page can read, worked out once."""

    def __init__(self, site: Site, sections: list[Section], env: jinja2.Environment) -> None:
        self._site, self._env = site, env
        self._sections = {s.kind: s._articles for s in sections}
        self.known: dict[tuple[str, str], str] = {}

    def of(self, part: tuple[str, str]) -> str:
        if part not in self.known:
            self.known[part] = self._work_out(*part)
        return self.known[part]

    def _work_out(self, kind: str, name: str) -> str:
        site = self._site
        if kind == "article":
            article = site.by_source.get(name)
            if article is None:
                return ""
            return _digest(f"{article._path}\0{article._doc.front_matter_digest}")
        if kind == "links":
            article = site.by_source.get(name)
            linked = site.linked.untracked(article) if article is not None else ()
            return _digest(" ".join(sorted(a.rel for a in linked)))
        if kind == "section":
            return _digest(" ".join(a.rel for a in self._sections.get(name, ())))
        if kind == "page":
            page = site.pages.get(name)
            return page.rel if page is not None else ""
        if kind == "template":
            try:
                source, _, _ = self._env.loader.get_source(self._env, name)  # type: ignore[union-attr]
            except jinja2.TemplateNotFound:
                return ""
            return _digest(source)
        return ""


def _fingerprint(value: Any) -> str:
    """What a page's own context says, by identity of the articles in it (what the page
    reads of them is noted while it renders)."""
    if isinstance(value, Article):
        return f"A:{value.rel}"
    if isinstance(value, Body):
        return f"B:{value.digest}"
    if isinstance(value, Panel | Panels):
        return value.fingerprint
    if isinstance(value, Section):
        return f"S:{value.kind}:{value.title}:{value.path}"
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_fingerprint(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_fingerprint(v) for v in value) + "]"
    if value is None or isinstance(value, str | int | float | date):
        return repr(value)
    raise TypeError(f"no fingerprint for {type(value).__name__}")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


class _NotingEnvironment(jinja2.Environment):
    """Notes each template a page loads (also those tried and not found)."""

    def _load_template(self, name: str, globals: Any) -> jinja2.Template:
        note_read(("template", name))
        return super()._load_template(name, globals)


class _Theme:
    """The Jinja environment of one templates folder, with the helpers templates call.

    Kept between builds in one process (the live preview), so templates are compiled
    once; Jinja reloads a template whose file changed. The helpers read the site of the
    current build, because compiled templates hold on to the filter functions.
    """

    _themes: ClassVar[dict[Path, _Theme]] = {}

    @classmethod
    def for_site(cls, folder: Path, site: Site, static: StaticFiles,
                 compiled: Path | None = None) -> _Theme:
        theme = cls._themes.get(folder.absolute())
        if theme is None:
            theme = cls._themes[folder.absolute()] = cls(folder, compiled)
        theme.site, theme.static = site, static
        return theme

    def __init__(self, folder: Path, compiled: Path | None) -> None:
        self.site: Site
        self.static: StaticFiles
        self.plan: _Plan | None = None  # the pages of the last site rendered
        if compiled is not None:
            compiled.mkdir(parents=True, exist_ok=True)
        self.env = _NotingEnvironment(
            # Jinja checks each compiled template against its source before using it.
            bytecode_cache=compiled and jinja2.FileSystemBytecodeCache(str(compiled)),
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder),
                                        jinja2.PackageLoader("scarsite", "templates")]),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
        self.env.globals.update(
            url=self.url, asset=self.asset, changed=_changed, site_page=self.site_page,
            has_page=self.has_page, structured_data=self.structured_data,
            glossary_data=self.glossary_data)
        self.env.filters.update(
            url=self.url, absolute=self.absolute,
            long_date=lambda day: f"{day.day} {_MONTHS[day.month - 1]} {day.year}")

    def url(self, target: Article | str) -> str:
        """The site URL of an article or an output path."""
        path = target.path if isinstance(target, Article) else target
        return self.site.config.base_path + path

    def absolute(self, target: Article | str) -> str:
        config = self.site.config
        return config.base_url.removesuffix(config.base_path) + self.url(target)

    def asset(self, name: str) -> str:
        if name not in self.static.names:
            raise LookupError(f"asset('{name}'): no file static/{name}")
        return self.site.config.base_path + self.static.names[name]

    def site_page(self, slug: str) -> Article:
        """A site page by its path, e.g. site_page('about/evidence')."""
        page = self.site.page(slug)
        if page is None:
            raise LookupError(f"site_page('{slug}'): no page content/pages/{slug}.md")
        return page

    def has_page(self, slug: str) -> bool:
        """Whether the site has a page at content/pages/<slug>.md (themes may link it if so)."""
        return self.site.page(slug) is not None

    def structured_data(self, page: Article) -> dict[str, Any]:
        return structured_data(page, self.site, self.absolute)

    def glossary_data(self) -> dict[str, Any]:
        return glossary_data(self.site.glossary, self.site, self.absolute)


def _render(env: jinja2.Environment, template: str | list[str], context: dict[str, Any],
            problems: Problems) -> str | None:
    try:
        return env.get_or_select_template(template).render(context)
    except jinja2.TemplateSyntaxError as exc:
        problems.error(f"{TEMPLATES_DIR}/{exc.name}", exc.lineno, "template", exc.message or "")
    except jinja2.TemplateNotFound as exc:
        names = getattr(exc, "templates", None) or [exc.name]
        problems.error(TEMPLATES_DIR, 0, "template", "missing: " + " or ".join(
            f"{TEMPLATES_DIR}/{name}" for name in names))
    except Exception as exc:  # a template's own mistake, such as an undefined name
        name, line = _template_frame(exc)
        problems.error(name, line, "template", f"{type(exc).__name__}: {exc}")
    return None


def _has_template(env: jinja2.Environment, name: str) -> bool:
    """Whether the theme has the template (found, not compiled: rendering reports mistakes)."""
    assert env.loader is not None
    try:
        env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        return False
    return True


def _template_frame(exc: BaseException) -> tuple[str, int]:
    """The template file and line where `exc` was raised (Jinja maps frames to templates)."""
    found = (TEMPLATES_DIR, 0)
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        parts = Path(filename).parts
        if TEMPLATES_DIR in parts and not filename.endswith(".py"):
            index = len(parts) - 1 - parts[::-1].index(TEMPLATES_DIR)
            found = ("/".join(parts[index:]), traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def _changed(article: Article) -> date:
    """When the article last changed: its update date, or its review date."""
    meta = article.meta
    return max(meta.reviewed, meta.updated) if meta.updated else meta.reviewed


def _lastmod(site: Site, sections: list[Section]) -> dict[str, date]:
    """Last change of the home page and each section index, from the articles they list."""
    lastmod = {s.path: max(map(_changed, s.articles)) for s in sections if s.articles}
    if site.articles:
        lastmod[""] = max(map(_changed, site.articles))
    return lastmod

"""Render stage: every output file of the site, as bytes, through Jinja templates.

Input: the `Site`, the rendered `Body` of each article and the static files.
Output: a mapping of output path (e.g. `treatments/subcision/index.html`) to
bytes. Templates come from the site's `templates/` folder, falling back to the
ones inside scarsite (sitemap, feed, robots.txt, redirects). Autoescaping is on
and undefined names are errors; a template mistake is reported with the
template's file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from .config import LISTED_KINDS
from .errors import Problems
from .glossary import GLOSSARY_FILE
from .markup import Body
from .model import Article, Site
from .schema import EVIDENCE_LEVELS
from .static import StaticFiles
from .structured import glossary_data, structured_data

TEMPLATES_DIR = "templates"
FEED_SIZE = 20
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


@dataclass(frozen=True)
class Section:
    """A section index page and the articles it lists."""

    kind: str
    title: str
    path: str
    articles: tuple[Article, ...]


def render_site(site: Site, bodies: dict[str, Body], static: StaticFiles, root: Path,
                problems: Problems) -> dict[str, bytes]:
    """Render all pages; template errors are reported and the page left out."""
    env = _environment(root / TEMPLATES_DIR, site, static)
    sections = [Section(k.name, k.title, f"{k.section}/", tuple(site.section(k.name)))
                for k in LISTED_KINDS]
    common = {"site": site.config, "sections": sections, "evidence_levels": EVIDENCE_LEVELS,
              "linked": site.linked, "glossary": site.glossary}
    jobs: list[tuple[str, str, dict[str, Any]]] = [
        ("index.html", "home.html", {"page_path": ""}),
        ("404.html", "404.html", {"page_path": "404.html"}),
    ]
    jobs += [(f"{s.path}index.html", "section.html", {"page_path": s.path, "section": s})
             for s in sections]
    for article in site.articles:
        rel = article.doc.rel
        context = {"page_path": article.path, "page": article, "body": bodies[rel],
                   "panels": site.panels[rel],
                   "section": next((s for s in sections if s.kind == article.kind), None)}
        jobs.append((f"{article.path}index.html", [f"{article.kind}.html", "article.html"],
                     context))
        for alias in article.meta.aliases:
            output = alias if alias.endswith(".html") else f"{alias}/index.html"
            jobs.append((output, "redirect.html", {"page_path": alias, "target": article}))
    # The feed tells readers about reviewed medical content, not changes to site pages.
    articles_by_date = sorted((a for a in site.articles if a.kind != "page"),
                              key=lambda a: (-_changed(a).toordinal(), a.path))
    jobs += [
        ("sitemap.xml", "sitemap.xml", {"page_path": "sitemap.xml", "articles": site.articles,
                                        "lastmod": _lastmod(site, sections)}),
        ("feed.xml", "feed.xml", {"page_path": "feed.xml",
                                  "articles": articles_by_date[:FEED_SIZE]}),
        ("robots.txt", "robots.txt", {"page_path": "robots.txt"}),
    ]
    # Pages the theme may offer; each is made only when the theme has its template.
    optional = [("compare/index.html", "compare.html", {"page_path": "compare/"}),
                ("search/index.html", "search.html", {"page_path": "search/"}),
                ("glossary/index.html", "glossary.html", {"page_path": "glossary/"})]
    offered = [job for job in optional if _has_template(env, job[1])]
    jobs += offered
    if len(site.glossary) and "glossary.html" not in [job[1] for job in offered]:
        problems.error(GLOSSARY_FILE, 0, "glossary", "articles link to /glossary/, but there is "
                       f"no {TEMPLATES_DIR}/glossary.html to make it")
    outputs: dict[str, bytes] = {}
    for output, template, context in jobs:
        text = _render(env, template, {**common, **context}, problems)
        if text is not None:
            outputs[output] = text.encode("utf-8")
    return outputs


def _environment(folder: Path, site: Site, static: StaticFiles) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder),
                                    jinja2.PackageLoader("scarsite", "templates")]),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    )
    base = site.config.base_path
    origin = site.config.base_url.removesuffix(base)  # 'https://host', without the path

    def url(target: Article | str) -> str:
        """The site URL of an article or an output path."""
        return base + (target.path if isinstance(target, Article) else target)

    def asset(name: str) -> str:
        if name not in static.names:
            raise LookupError(f"asset('{name}'): no file static/{name}")
        return base + static.names[name]

    pages = {a.slug: a for a in site.articles if a.kind == "page"}

    def site_page(slug: str) -> Article:
        """A site page by its path, e.g. site_page('about/evidence')."""
        if slug not in pages:
            raise LookupError(f"site_page('{slug}'): no page content/pages/{slug}.md")
        return pages[slug]

    def absolute(target: Article | str) -> str:
        return origin + url(target)

    env.globals.update(url=url, asset=asset, changed=_changed, site_page=site_page,
                       structured_data=lambda page: structured_data(page, site, absolute),
                       glossary_data=lambda: glossary_data(site.glossary, site, absolute))
    env.filters.update(
        url=url,
        absolute=absolute,
        long_date=lambda day: f"{day.day} {_MONTHS[day.month - 1]} {day.year}",
    )
    return env


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
    try:
        env.get_template(name)
    except jinja2.TemplateNotFound:
        return False
    except jinja2.TemplateError:
        return True  # it exists; rendering will report its mistake
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

"""The page plan: every output file of the site, with its templates and its own context.

Input: the `Site` model and the theme (optional pages are made only when the theme
has their template). Output: a list of `Page`s in a fixed order, which the render
stage turns into bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .config import LISTED_KINDS
from .model import Article, Site
from .theme import Theme, changed

FEED_SIZE = 20
OPTIONAL_TEMPLATES = ("compare.html", "search.html", "glossary.html")  # pages made if present


@dataclass(frozen=True)
class Section:
    """A section index page and the articles it lists."""

    kind: str
    title: str
    path: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Page:
    output: str  # output path, e.g. 'treatments/subcision/index.html'
    templates: tuple[str, ...]  # the first the theme has is used
    context: dict[str, Any]
    body: str | None = None  # content path of the article whose body the page shows


def sections_of(site: Site) -> list[Section]:
    return [Section(k.name, k.title, f"{k.section}/", tuple(site.section(k.name)))
            for k in LISTED_KINDS]


def plan_pages(site: Site, sections: list[Section], theme: Theme) -> list[Page]:
    """Every page of the site: where it goes, its templates and its own context."""
    work = [Page("index.html", ("home.html",), {"page_path": ""}),
            Page("404.html", ("404.html",), {"page_path": "404.html"})]
    work += [Page(f"{s.path}index.html", ("section.html",), {"page_path": s.path, "section": s})
             for s in sections]
    section_of = {s.kind: s for s in sections}
    for article in site.articles:
        context = {"page_path": article.path, "page": article, "panels": site.panels[article.rel],
                   "section": section_of.get(article.kind)}
        work.append(Page(f"{article.path}index.html", (f"{article.kind}.html", "article.html"),
                         context, body=article.rel))
        for alias in article.meta.aliases:
            output = alias if alias.endswith(".html") else f"{alias}/index.html"
            work.append(Page(output, ("redirect.html",), {"page_path": alias, "target": article}))
    # The feed tells readers about reviewed medical content, not changes to site pages.
    articles_by_date = sorted((a for a in site.articles if a.kind != "page"),
                              key=lambda a: (-changed(a).toordinal(), a.path))
    work += [
        Page("sitemap.xml", ("sitemap.xml",), {"page_path": "sitemap.xml",
                                               "articles": site.articles,
                                               "lastmod": _lastmod(site, sections)}),
        Page("feed.xml", ("feed.xml",), {"page_path": "feed.xml",
                                         "articles": articles_by_date[:FEED_SIZE]}),
        Page("robots.txt", ("robots.txt",), {"page_path": "robots.txt"}),
    ]
    # Pages the theme may offer; each is made only when the theme has its template.
    work += [Page(f"{name.removesuffix('.html')}/index.html", (name,),
                  {"page_path": f"{name.removesuffix('.html')}/"})
             for name in OPTIONAL_TEMPLATES if theme.has(name)]
    return work


def _lastmod(site: Site, sections: list[Section]) -> dict[str, date]:
    """Last change of the home page and each section index, from the articles they list."""
    lastmod = {s.path: max(map(changed, s.articles)) for s in sections if s.articles}
    if site.articles:
        lastmod[""] = max(map(changed, site.articles))
    return lastmod

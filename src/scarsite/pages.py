"""The page plan: every output file of the site, with its templates and its own context.

Input: the `Site` model and the theme (optional pages are made only when the theme
has their template). Output: a list of `Page`s in a fixed order, which the render
stage turns into bytes. The comparison of the treatments for each scar type, best
evidence first, is worked out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from .config import LISTED_KINDS
from .model import Article, Site, comparison_path
from .schema import EVIDENCE_LEVELS
from .theme import Theme, changed

FEED_SIZE = 20
COMPARE_TEMPLATE = "compare.html"  # the comparison of every treatment, at compare/
OPTIONAL_TEMPLATES = (COMPARE_TEMPLATE, "search.html", "glossary.html")  # pages made if present
COMPARISON_TEMPLATE = "compare-scar-type.html"  # one scar type's comparison, if present


@dataclass(frozen=True)
class Section:
    """A section index page and the articles it lists."""

    kind: str
    title: str
    path: str
    articles: tuple[Article, ...]


@dataclass(frozen=True)
class Comparison:
    """The treatments for one scar type, best evidence for it first: compare/<slug>/."""

    scar_type: Article
    path: str
    rows: tuple[tuple[Article, str], ...]  # (treatment, evidence level for this scar type)


@dataclass(frozen=True)
class Page:
    output: str  # output path, e.g. 'treatments/subcision/index.html'
    templates: tuple[str, ...]  # the first the theme has is used
    context: dict[str, Any]
    body: str | None = None  # content path of the article whose body the page shows


def sections_of(site: Site) -> list[Section]:
    return [Section(k.name, k.title, f"{k.section}/", tuple(site.section(k.name)))
            for k in LISTED_KINDS]


def comparisons_of(site: Site) -> list[Comparison]:
    """A comparison for each scar type that has treatments, in section order; its treatments
    by their evidence for the scar type (strongest first), then by title."""
    rank = {level: index for index, level in enumerate(EVIDENCE_LEVELS)}
    comparisons = []
    for scar_type in site.section("scar-type"):
        rows = [(treatment, level) for treatment in site.linked[scar_type]
                if (level := site.evidence_for(treatment, scar_type)) is not None]
        if rows:
            rows.sort(key=lambda row: (rank[row[1]], row[0].title.lower(), row[0].slug))
            comparisons.append(Comparison(scar_type, comparison_path(scar_type), tuple(rows)))
    return comparisons


def plan_pages(site: Site, sections: list[Section], theme: Theme) -> list[Page]:
    """Every page of the site: where it goes, its templates and its own context."""
    work = [Page("index.html", ("home.html",), {"page_path": ""}),
            Page("404.html", ("404.html",), {"page_path": "404.html"})]
    work += [Page(f"{s.path}index.html", ("section.html",), {"page_path": s.path, "section": s})
             for s in sections]
    section_of = {s.kind: s for s in sections}
    comparisons = comparisons_of(site) if theme.has(COMPARISON_TEMPLATE) else []
    comparison_of = {c.scar_type: c for c in comparisons}
    for article in site.articles:
        context = {"page_path": article.path, "page": article, "panels": site.panels[article.rel],
                   "section": section_of.get(article.kind),
                   "comparison": comparison_of.get(article)}
        work.append(Page(f"{article.path}index.html", (f"{article.kind}.html", "article.html"),
                         context, body=article.rel))
        for alias in article.meta.aliases:
            output = alias if alias.endswith(".html") else f"{alias}/index.html"
            work.append(Page(output, ("redirect.html",), {"page_path": alias, "target": article}))
    # The feed tells readers about reviewed medical content, not changes to site pages.
    articles_by_date = sorted((a for a in site.articles if a.kind != "page"),
                              key=lambda a: (-changed(a).toordinal(), a.path))
    # The comparisons are pages readers look for; search and the glossary are not listed.
    compared = _comparisons_lastmod(site, comparisons, theme.has(COMPARE_TEMPLATE))
    work += [
        Page("sitemap.xml", ("sitemap.xml",), {"page_path": "sitemap.xml",
                                               "articles": site.articles,
                                               "lastmod": _lastmod(site, sections) | compared,
                                               "comparisons": list(compared)}),
        Page("feed.xml", ("feed.xml",), {"page_path": "feed.xml",
                                         "articles": articles_by_date[:FEED_SIZE]}),
        Page("robots.txt", ("robots.txt",), {"page_path": "robots.txt"}),
    ]
    # Pages the theme may offer; each is made only when the theme has its template. (The
    # comparison of every treatment links the comparison for each scar type.)
    work += [Page(f"{name.removesuffix('.html')}/index.html", (name,),
                  {"page_path": f"{name.removesuffix('.html')}/", "comparisons": comparisons})
             for name in OPTIONAL_TEMPLATES if theme.has(name)]
    work += [Page(f"{c.path}index.html", (COMPARISON_TEMPLATE,),
                  {"page_path": c.path, "comparison": c}) for c in comparisons]
    return work


def _comparisons_lastmod(site: Site, comparisons: list[Comparison],
                         compare_page: bool) -> dict[str, date]:
    """Last change of each comparison page (and of compare/, if made), from the articles
    it shows; a page that shows none is left out."""
    shown = {c.path: [c.scar_type, *(t for t, _ in c.rows)] for c in comparisons}
    if compare_page:
        shown = {comparison_path(None): [*site.section("treatment"),
                                         *site.section("scar-type")], **shown}
    return {path: max(map(changed, articles)) for path, articles in shown.items() if articles}


def _lastmod(site: Site, sections: list[Section]) -> dict[str, date]:
    """Last change of the home page and each section index, from the articles they list."""
    lastmod = {s.path: max(map(changed, s.articles)) for s in sections if s.articles}
    if site.articles:
        lastmod[""] = max(map(changed, site.articles))
    return lastmod

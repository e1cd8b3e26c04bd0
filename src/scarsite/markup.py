"""Markdown stage: article bodies to HTML, with links between articles rewritten and checked.

Input: the `Site` model. Output: a `Body` (HTML, contents, heading anchors) per
article. Editors link to other articles by their source path, as on GitHub
(`../treatments/subcision.md#risks`); those links become the target page's URL.
Links to missing files, drafts, folders or missing headings are reported with
the Markdown line they are on. Bodies never pass through Jinja.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .errors import Problems, did_you_mean
from .model import Article, Site

EXTENSIONS = ["toc", "tables", "footnotes", "attr_list", "admonition", "abbr", "def_list",
              "sane_lists"]
EXTENSION_CONFIGS = {"toc": {"toc_depth": "2-3"}}
_UNSAFE_SCHEMES = ("javascript", "vbscript", "data")


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    title: str


@dataclass(frozen=True)
class Body:
    """An article body rendered to HTML."""

    html: str
    toc: tuple[Heading, ...]
    anchors: frozenset[str]


@dataclass
class _Link:
    href: str
    target: str  # content path of the linked article ('' for this page)
    anchor: str
    line: int = 0


@dataclass
class _PageLinks:
    """What the link rewriter needs to know about the page being converted, and what it found."""

    article: Article
    site: Site
    problems: Problems
    found: list[_Link] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (href, message)


def render_bodies(site: Site, problems: Problems) -> dict[str, Body]:
    """Render every article body, then check the anchors of links between them."""
    converter = markdown.Markdown(extensions=[*EXTENSIONS, _LinkExtension()],
                                  extension_configs=EXTENSION_CONFIGS, output_format="html")
    bodies: dict[str, Body] = {}
    links: dict[str, list[_Link]] = {}
    for article in site.articles:
        page = _PageLinks(article, site, problems)
        converter.reset()
        converter.page = page  # type: ignore[attr-defined]
        html = converter.convert(article.doc.body)
        lines = _LineFinder(article)
        for href, message in page.errors:
            problems.error(article.doc.rel, lines.line_of(href), "link", message)
        for link in page.found:
            link.line = lines.line_of(link.href)
        links[article.doc.rel] = page.found
        toc = tuple(_flatten(getattr(converter, "toc_tokens", [])))
        bodies[article.doc.rel] = Body(html, toc, frozenset(page.anchors))
        _warn_h1(article, problems)
    for source, found in links.items():
        for link in found:
            _check_anchor(source, link, bodies, problems)
    site.links_checked = sum(len(found) for found in links.values())
    return bodies


def _check_anchor(source: str, link: _Link, bodies: dict[str, Body], problems: Problems) -> None:
    target = link.target or source
    anchors = bodies[target].anchors
    if link.anchor and link.anchor not in anchors:
        where = "on this page" if target == source else f"in {target}"
        problems.error(source, link.line, "link", f"'#{link.anchor}' is not a heading {where}"
                       f"{did_you_mean(link.anchor, anchors)}")


class _LinkRewriter(Treeprocessor):
    """Rewrites `.md` source links to page URLs and notes every id a link could target."""

    def run(self, root: etree.Element) -> None:
        page: _PageLinks = self.md.page  # type: ignore[attr-defined]
        for element in root.iter():
            if "id" in element.attrib:
                page.anchors.add(element.attrib["id"])
            for attribute in ("href", "src"):
                if attribute in element.attrib:
                    element.set(attribute, _rewrite(element.attrib[attribute], page))


class _LinkExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # Priority 1: after inline links exist (20) and the toc has given headings ids (5).
        md.treeprocessors.register(_LinkRewriter(md), "scarsite-links", 1)


def _rewrite(href: str, page: _PageLinks) -> str:
    parts = urlsplit(href)
    if parts.scheme.lower() in _UNSAFE_SCHEMES:
        page.errors.append((href, f"'{parts.scheme}:' links are not allowed"))
        return "#"
    if parts.scheme or parts.netloc or href.startswith("/"):
        return href  # external, or already a site URL
    source = page.article.doc.rel
    if not parts.path:
        page.found.append(_Link(href, "", parts.fragment))
        return href
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source), parts.path))
    site = page.site
    if not target.startswith("content/"):
        page.errors.append((href, f"'{href}' points outside the content folder"))
    elif not target.endswith(".md"):
        if any(s.startswith(target + "/") for s in site.by_source):
            page.errors.append((href, f"'{href}' is a folder; link to an article's .md file"))
        return href
    elif target in site.by_source:
        article = site.by_source[target]
        page.found.append(_Link(href, target, parts.fragment))
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f"{site.config.base_path}{article.path}{fragment}"
    elif target in site.unparsed:
        pass  # its own errors are reported; a second message here would only add noise
    elif target in site.drafts:
        page.errors.append((href, f"'{href}' is a draft; build with --drafts or remove the link"))
    else:
        known = [posixpath.relpath(s, posixpath.dirname(source)) for s in site.by_source]
        page.errors.append((href, f"'{parts.path}' does not exist"
                            f"{did_you_mean(parts.path, known)}"))
    return href


class _LineFinder:
    """Finds the file line of each link, taking repeated links in order of appearance."""

    def __init__(self, article: Article) -> None:
        self.body = article.doc.body
        self.first_line = article.doc.body_line
        self.offsets: dict[str, int] = {}

    def line_of(self, href: str) -> int:
        # The href must end where the Markdown link does: 'a.md#risk' is not 'a.md#risks'.
        pattern = re.compile(re.escape(href) + r"""(?=[\s)>"']|$)""")
        match = pattern.search(self.body, self.offsets.get(href, 0)) or pattern.search(self.body)
        if match is None:
            return self.first_line
        self.offsets[href] = match.end()
        return self.first_line + self.body.count("\n", 0, match.start())


def _flatten(tokens: list[dict]) -> list[Heading]:
    headings = []
    for token in tokens:
        headings.append(Heading(token["level"], token["id"], token["name"]))
        headings += _flatten(token.get("children", []))
    return headings


_H1 = re.compile(r"^# \S", re.MULTILINE)


def _warn_h1(article: Article, problems: Problems) -> None:
    """The title is the page's only h1; a '# ' heading in the body would be a second."""
    match = _H1.search(article.doc.body)
    if match:
        line = article.doc.body_line + article.doc.body.count("\n", 0, match.start())
        problems.warn(article.doc.rel, line, "heading", "a level-1 heading ('# ') in the body; "
                      "the title is the page's heading, so start sections with '## '")

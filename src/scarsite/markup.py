"""Markdown stage: article bodies to HTML, with links between articles rewritten and checked.

Input: the `Site` model. Output: a `Body` (HTML, contents, heading anchors) per
article. Editors link to other articles by their source path, as on GitHub
(`../treatments/subcision.md#risks`); those links become the target page's URL.
Links to missing files, drafts, folders or missing headings are reported with
the Markdown line they are on. Bodies never pass through Jinja, and every body's
HTML is limited to an allow-list (see `sanitize`).
"""

from __future__ import annotations

import hashlib
import html
import posixpath
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

from .bounds import (
    CONVERT_SECONDS,
    MAX_NESTING,
    TooSlow,
    deepest_line,
    html_nesting,
    longest_paragraph,
    markdown_nesting,
    time_limit,
)
from .callouts import CalloutProcessor
from .citations import CITATION, CitationProcessor, report_uncited
from .citations import PRIORITY as CITATION_PRIORITY
from .errors import Problem, Problems, did_you_mean
from .images import find_picture
from .model import Article, Site
from .names import CONTENT_DIR, GLOSSARY_FILE
from .pagestate import Link, PageState
from .parallel import parallel_map
from .sanitize import SafeTree, clean, report_raw_html
from .termlinks import TermLinker
from .text import heading_id

EXTENSIONS = ["toc", "tables", "footnotes", "attr_list", "admonition", "abbr", "def_list",
              "sane_lists"]
# Aligned table columns as an attribute, which SafeTree turns into a class: the pages'
# Content-Security-Policy blocks the style attribute Markdown would use.
EXTENSION_CONFIGS = {"toc": {"toc_depth": "2-3", "slugify": heading_id},
                     "tables": {"use_align_attribute": True}}


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    title: str


class Body:
    """An article body rendered to HTML."""

    __slots__ = ("anchors", "citations", "digest", "html", "pictures", "toc", "words")

    def __init__(self, html: str, toc: tuple[Heading, ...], anchors: frozenset[str],
                 words: int, digest: str = "", pictures: tuple[str, ...] = (),
                 citations: dict[str, tuple[str, ...]] | None = None) -> None:
        self.html, self.toc, self.anchors, self.words = html, toc, anchors, words
        self.pictures = pictures  # content paths of the pictures shown
        self.citations = citations or {}  # reference id -> ids of the places citing it
        self.digest = digest or hashlib.sha1(html.encode("utf-8")).hexdigest()


@dataclass
class Converted:
    """One converted body and what it depends on, kept so an unchanged body is not redone."""

    body: Body
    links: list[Link]
    glossary_uses: set[str]
    targets: dict[str, str]  # content path of each linked article -> its URL path then
    pictures: dict[str, str]  # content path of each picture shown -> its digest then


def render_bodies(site: Site, problems: Problems, known: dict[str, Converted] | None = None,
                  jobs: int = 1) -> dict[str, Body]:
    """Render every article body, then check the anchors of links between them.

    `known` holds bodies converted by earlier builds, by a digest of the article's path and
    Markdown and of the settings and glossary (`_context_hash`); one is taken only while every
    article it links to still has the same URL. On return it holds this build's bodies only
    (those that converted without a problem, so reuse never hides a message). The rest are
    converted over up to `jobs` processes: conversion is most of a cold build (1.4 of 2.4 s
    at 1,000 articles), and reuse is what makes a one-edit build take a tenth of that.
    """
    known = {} if known is None else known
    context = _context_hash(site)
    # A body's citation numbers are its references' places in the front matter's list.
    keys = {a.rel: hashlib.sha256(f"{context}{a.rel}\0{a.doc.body_digest}\0"
                                  f"{[r.id for r in a.meta.references]}".encode()).hexdigest()
            for a in site.articles}
    converted: dict[str, Converted] = {}
    todo = []
    for article in site.articles:
        entry = known.get(keys[article.rel])
        if entry is not None and _targets_unchanged(entry, site):
            converted[article.rel] = entry
        else:
            todo.append(article)
    converter = _Converter()
    done = parallel_map(lambda index: converter.convert(todo[index], site), range(len(todo)),
                        jobs)
    keep = dict(converted)  # the reused ones, and those converted without a problem
    for article, (entry, found) in zip(todo, done, strict=True):
        for problem in found:
            problems.add(problem)
        converted[article.rel] = entry
        if not found:
            keep[article.rel] = entry
    known.clear()
    known.update((keys[rel], entry) for rel, entry in keep.items())
    bodies = {a.rel: converted[a.rel].body for a in site.articles}
    for rel, entry in converted.items():
        for link in entry.links:
            if link.anchor and link.anchor not in bodies[link.target or rel].anchors:
                _report_anchor(rel, link, bodies, problems)
    glossary_uses = set().union(*(entry.glossary_uses for entry in converted.values()))
    for entry in site.glossary.entries:
        if entry.anchor not in glossary_uses:
            problems.warn(GLOSSARY_FILE, entry.line, "term", f"'{entry.term}' is not used in any "
                          "article; use it or remove its definition")
    site.links_checked = sum(len(c.links) for c in converted.values())
    return bodies


def _targets_unchanged(entry: Converted, site: Site) -> bool:
    """Whether every article a converted body links to still has the URL it had then, and
    every picture it shows the same bytes."""
    for target, path in entry.targets.items():
        article = site.by_source.get(target)
        if article is None or article.path != path:
            return False
    for rel, digest in entry.pictures.items():
        picture = site.pictures.get(rel)
        if picture is None or picture.digest != digest:
            return False
    return True


class _Converter:
    """Python-Markdown with scarsite's extensions: slow to make, so one serves every body
    (and, forked, every worker process)."""

    def __init__(self) -> None:
        self._markdown: markdown.Markdown | None = None

    def convert(self, article: Article, site: Site) -> tuple[Converted, list[Problem]]:
        """Convert one body, with the problems found in it."""
        if self._markdown is None:
            self._markdown = markdown.Markdown(extensions=[*EXTENSIONS, _ScarsiteExtension()],
                                               extension_configs=EXTENSION_CONFIGS,
                                               output_format="html")
        problems = Problems()
        try:
            with time_limit():
                return _convert(self._markdown, article, site, problems), problems.items
        except (TooSlow, RecursionError) as exc:
            self._markdown = None  # stopped half-way through a body: the next gets a fresh one
            return _not_converted(), [_too_hard(article, exc)]


def _too_hard(article: Article, exc: TooSlow | RecursionError) -> Problem:
    """The error for a body that took too long or nested too deep to convert."""
    body = article.doc.body
    if isinstance(exc, TooSlow):
        index, message = longest_paragraph(body), (
            f"took more than {CONVERT_SECONDS:g} seconds to convert; split this paragraph, "
            "or remove what repeats in it (thousands of '[' are slow to convert)")
    else:
        index, message = deepest_line(body), ("nested too deeply to convert; use fewer "
                                              "levels of lists and block quotes")
    problems = Problems()
    problems.error(article.doc.rel, article.doc.body_line + index, "body", message)
    return problems.items[0]


def _not_converted() -> Converted:
    """The empty body of an article whose body is an error."""
    return Converted(Body("", (), frozenset(), 0), [], set(), {}, {})


def _convert(converter: markdown.Markdown, article: Article, site: Site,
             problems: Problems) -> Converted:
    body = article.doc.body
    deep = markdown_nesting(body)
    if deep is not None:
        problems.error(article.doc.rel, article.doc.body_line + deep[0], "body",
                       f"lists or block quotes nested {deep[1]} levels deep; use at most "
                       f"{MAX_NESTING}")
        return _not_converted()
    deep_tag = html_nesting(body)
    if deep_tag is not None:
        problems.error(article.doc.rel, article.doc.body_line + deep_tag, "body",
                       f"HTML tags nested more than {MAX_NESTING} deep; close the tags you "
                       f"open, and nest at most {MAX_NESTING}")
        return _not_converted()
    page = PageState(article, site, problems)
    converter.reset()
    converter.page = page  # type: ignore[attr-defined]
    html = converter.convert(article.doc.body)
    report_raw_html([piece for piece in converter.htmlStash.rawHtmlBlocks
                     if isinstance(piece, str)], page)
    html = clean(html)
    toc = tuple(_flatten(getattr(converter, "toc_tokens", [])))
    _warn_h1(article, problems)
    if site.config.require_citations:
        report_uncited(page, problems)
    body = Body(html, toc, frozenset(page.anchors), _word_count(article.doc.body),
                pictures=tuple(page.pictures),
                citations={ref: tuple(places) for ref, places in page.citations.items()})
    targets = {link.target: site.by_source[link.target].path for link in page.links
               if link.target}
    return Converted(body, page.links, page.glossary_uses, targets, page.pictures)


def _context_hash(site: Site) -> str:
    """What, besides its own text, every body's HTML depends on. (scarsite's own code and
    settings are not in it: a cache kept on disk is dropped whole when they change.)"""
    glossary = [(e.term, e.definition, e.aliases) for e in site.glossary.entries]
    return hashlib.sha256(repr((site.config.base_path, site.config.require_citations,
                                glossary)).encode()).hexdigest()


def _report_anchor(source: str, link: Link, bodies: dict[str, Body], problems: Problems) -> None:
    target = link.target or source
    where = "on this page" if target == source else f"in {target}"
    problems.error(source, link.line, "link", f"'#{link.anchor}' is not a heading {where}"
                   f"{did_you_mean(link.anchor, bodies[target].anchors)}")


class _LinkRewriter(Treeprocessor):
    """Rewrites `.md` source links to page URLs and notes every id a link could target."""

    def run(self, root: etree.Element) -> None:
        page: PageState = self.md.page  # type: ignore[attr-defined]
        _captioned_figures(root)
        for element in list(root.iter()):  # a picture adds elements; they need no rewriting
            if "id" in element.attrib:
                page.anchors.add(element.attrib["id"])
            if element.tag == "img":
                _show_picture(element, page)
                continue
            if element.get("id", "").startswith("cite-"):
                continue  # a citation: its link goes to the reference list, not in the body
            for attribute in ("href", "src"):
                if attribute in element.attrib:
                    element.set(attribute, _rewrite(element.attrib[attribute], page))


class _ScarsiteExtension(Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        # After inline links exist (20) and the toc has given headings ids (5); callout
        # headings come after the toc, so they stay out of "On this page".
        md.inlinePatterns.register(CitationProcessor(CITATION, md), "scarsite-citations",
                                   CITATION_PRIORITY)
        md.treeprocessors.register(_LinkRewriter(md), "scarsite-links", 1)
        md.treeprocessors.register(CalloutProcessor(md), "scarsite-callouts", 0.9)
        md.treeprocessors.register(TermLinker(md), "scarsite-terms", 0.8)
        md.treeprocessors.register(SafeTree(md), "scarsite-safe", 0.7)


def _captioned_figures(root: etree.Element) -> None:
    """A paragraph holding only a picture with a title becomes a figure, the title its
    caption: `![Alt text](images/x.svg "Caption")`."""
    for paragraph in root.iter("p"):
        image = paragraph[0] if len(paragraph) == 1 else None
        if (image is not None and image.tag == "img" and image.get("title")
                and not (paragraph.text or "").strip() and not (image.tail or "").strip()):
            paragraph.tag = "figure"
            etree.SubElement(paragraph, "figcaption").text = image.attrib.pop("title")


# The width a picture is shown at, for the browser to choose a file before it has the
# stylesheet: the text column (70ch of 18 px text, less its padding), or the screen.
PICTURE_SIZES = "(min-width: 42rem) 40rem, calc(100vw - 2rem)"


def _show_picture(image: etree.Element, page: PageState) -> None:
    """Check a Markdown image and point it at the published picture files, with the size
    (so the page keeps room for it) and, for photos, a choice of widths and formats."""
    src, alt = image.get("src", ""), image.get("alt", "")
    if not alt.strip():
        page.report(page.line_of_link(src), "image", f"'{src}' has no alt text; say what the "
                    f"picture shows between the brackets: ![what it shows]({src})")
    parts = urlsplit(src)
    if parts.scheme or parts.netloc or src.startswith("/"):  # not a picture beside the article
        image.set("src", _rewrite(src, page))
        return
    picture, message = find_picture(page.article.doc.rel, src, page.site.pictures)
    if picture is None:
        page.report(page.line_of_link(src), "image", message)
        return
    base = page.site.config.base_path
    shown = {"alt": alt, "width": str(picture.width), "height": str(picture.height)}
    if page.pictures:  # the first picture may be the largest thing on the first screen
        shown |= {"loading": "lazy", "decoding": "async"}
    page.pictures[picture.rel] = picture.digest
    fallback = picture.fallback
    if picture.is_svg:
        image.attrib = {"src": f"{base}{fallback.path}", **shown}
        return

    def srcset(format: str) -> str:
        return ", ".join(f"{base}{v.path} {v.width}w" for v in picture.sources(format))

    image.tag, image.attrib = "picture", {}
    if fallback.format != "webp":
        etree.SubElement(image, "source", {"type": "image/webp", "srcset": srcset("webp"),
                                           "sizes": PICTURE_SIZES})
    etree.SubElement(image, "img", {"src": f"{base}{fallback.path}",
                                    "srcset": srcset(fallback.format),
                                    "sizes": PICTURE_SIZES, **shown})


def _link_error(page: PageState, href: str, message: str) -> None:
    page.report(page.line_of_link(href), "link", message)


# Links may leave the site only for these schemes ('glossary:' links are made into site
# links later, by termlinks.py).
_LINK_SCHEMES = ("http", "https", "mailto", "tel", "glossary")
_TABS_AND_BREAKS = re.compile("[\t\n\r]")


def _rewrite(href: str, page: PageState) -> str:
    """The URL a Markdown link or image target becomes (an error is reported where it is
    wrong); never a URL outside the site, except to an http(s), mailto: or tel: address."""
    # Judge the link as a browser will read it: character references decoded, tabs and
    # line breaks dropped, spaces and control characters trimmed from the ends.
    url = _TABS_AND_BREAKS.sub("", html.unescape(href)).strip("".join(map(chr, range(33))))
    if "\\" in url:  # browsers read '\' as '/', so '/\host' would be another site
        _link_error(page, href, f"'{href}' has a '\\'; write '/' between folders")
        return "#"
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. 'http://[oops': a host that is not one
        _link_error(page, href, f"'{href}' is not a valid address")
        return "#"
    if parts.scheme and parts.scheme.lower() not in _LINK_SCHEMES:
        _link_error(page, href, f"'{parts.scheme}:' links are not allowed")
        return "#"
    if parts.scheme or parts.netloc:
        return href  # external
    site = page.site
    if parts.path.startswith("/"):  # a path on this site: under the site's base path
        path = _without_dot_segments(parts.path)
        query = f"?{parts.query}" if parts.query else ""
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f"{site.config.base_path}{path[1:]}{query}{fragment}"
    source = page.article.doc.rel
    if not parts.path:
        page.links.append(Link(href, "", parts.fragment, page.line_of_link(href)))
        return href
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(parts.path)))
    if target != CONTENT_DIR and not target.startswith(f"{CONTENT_DIR}/"):
        _link_error(page, href, f"'{href}' points outside the content folder")
    elif not target.endswith(".md"):
        if target == CONTENT_DIR or any(s.startswith(target + "/") for s in site.by_source):
            _link_error(page, href, f"'{href}' is a folder; link to an article's .md file")
        else:
            # The page is published one folder deeper than its source, so any other
            # relative link would be broken.
            _link_error(page, href, f"'{href}' is not an article's .md file; put other "
                        "files in static/ and link to them as /static/<name>")
    elif target in site.by_source:
        article = site.by_source[target]
        page.links.append(Link(href, target, parts.fragment, page.line_of_link(href)))
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f"{site.config.base_path}{article.path}{fragment}"
    elif target in site.unparsed:
        pass  # its own errors are reported; a second message here would only add noise
    elif target in site.drafts:
        _link_error(page, href, f"'{href}' is a draft; build with --drafts or remove the link")
    else:
        known = [posixpath.relpath(s, posixpath.dirname(source)) for s in site.by_source]
        _link_error(page, href, f"'{parts.path}' does not exist"
                    f"{did_you_mean(parts.path, known)}")
    return href


def _without_dot_segments(path: str) -> str:
    """An absolute URL path with '.' and '..' segments (also written '%2e') resolved as a
    browser resolves them: never above '/'."""
    kept: list[str] = []
    segments = path.split("/")[1:]
    for index, segment in enumerate(segments):
        dots = unquote(segment)
        if dots in (".", ".."):
            if dots == ".." and kept:
                kept.pop()
            if index == len(segments) - 1:
                kept.append("")  # '/a/..' is '/', a folder
        else:
            kept.append(segment)
    return "/" + "/".join(kept)


def _flatten(tokens: list[dict]) -> list[Heading]:
    headings = []
    for token in tokens:
        # The toc gives the heading's text as HTML ('&amp;'); templates escape it themselves.
        headings.append(Heading(token["level"], token["id"], html.unescape(token["name"])))
        headings += _flatten(token.get("children", []))
    return headings


def _word_count(text: str) -> int:
    return len(re.findall(r"[^\W\d_][\w'\u2019-]*", text))


_H1 = re.compile(r"^# \S", re.MULTILINE)


def _warn_h1(article: Article, problems: Problems) -> None:
    """The title is the page's only h1; a '# ' heading in the body would be a second."""
    match = _H1.search(article.doc.body)
    if match:
        line = article.doc.body_line + article.doc.body.count("\n", 0, match.start())
        problems.warn(article.doc.rel, line, "heading", "a level-1 heading ('# ') in the body; "
                      "the title is the page's heading, so start sections with '## '")

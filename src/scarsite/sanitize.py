"""Markdown stage, part: article HTML limited to an allow-list, so no article can run a script.

Editors may write raw HTML in Markdown, and `attr_list` (`{: onclick=...}`) puts any
attribute on an element. Every body's HTML therefore goes through nh3 (Python's binding of
the Rust sanitizer ammonia) with an explicit allow-list: the tags and attributes scarsite's
own Markdown pipeline makes (headings with ids, tables, footnotes, callouts, abbreviations,
definition lists, glossary term links and tooltips, code, images) and a few harmless
formatting tags editors may write by hand. No scripts, styles, frames, forms, event
handlers, or `javascript:`, `vbscript:` or `data:` URLs survive.

nh3 does not say what it removed, so each piece of raw HTML Markdown kept aside (its
"stash") is sanitized on its own as well and its start tags compared with the result: what
went missing is reported as a warning at the piece's line. Markdown's own elements are
checked against the same allow-list while they are still a tree (`SafeTree`). Whatever the
reporting finds, the whole body is then sanitized, so what reaches a page never depends on
the reporting being complete.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections import Counter
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urlsplit

import nh3
from markdown.treeprocessors import Treeprocessor

# What Markdown and scarsite's own processors make.
_PIPELINE_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code", "hr", "br",
    "ul", "ol", "li", "dl", "dt", "dd", "em", "strong", "a", "img", "abbr", "sup",
    "table", "thead", "tbody", "tr", "th", "td", "div", "span", "figure", "figcaption",
    "picture", "source",
}
# Formatting that editors may write as raw HTML: none of it runs, loads or submits anything.
_HAND_WRITTEN_TAGS = {
    "b", "i", "u", "s", "del", "ins", "mark", "small", "sub", "kbd", "samp", "var", "q",
    "cite", "dfn", "time", "caption", "colgroup", "col", "tfoot", "details", "summary", "wbr",
}
TAGS = frozenset(_PIPELINE_TAGS | _HAND_WRITTEN_TAGS)
ATTRIBUTES: dict[str, frozenset[str]] = {
    "*": frozenset({"id", "class", "title", "lang", "dir"}),
    "a": frozenset({"href", "aria-describedby"}),  # aria-describedby: glossary tooltips
    "img": frozenset({"src", "alt", "width", "height", "srcset", "sizes", "loading",
                      "decoding"}),
    "source": frozenset({"srcset", "sizes", "type"}),  # made only from the site's pictures
    "span": frozenset({"role", "data-pagefind-ignore"}),  # the glossary tooltip
    "ol": frozenset({"start", "reversed", "type"}),
    "li": frozenset({"value"}),
    "th": frozenset({"colspan", "rowspan", "scope", "headers"}),
    "td": frozenset({"colspan", "rowspan", "headers"}),
    "col": frozenset({"span"}),
    "colgroup": frozenset({"span"}),
    "time": frozenset({"datetime"}),
    "details": frozenset({"open"}),
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})  # and relative addresses
_URL_ATTRIBUTES = frozenset({"href", "src"})
# Removed with everything inside them, not only their tags: their content is code, or
# fallback text for something that is not shown either.
_CLEAN_CONTENT_TAGS = frozenset({"script", "style", "iframe", "object", "noscript",
                                 "template", "textarea", "select", "svg", "math"})
_ALLOWED = ("articles may use HTML only for text formatting, links, images, lists and "
            "tables: no scripts, styles, frames, forms or event handlers")
_ALIGNMENTS = frozenset({"left", "center", "right"})



def _same_site_srcset(tag: str, attribute: str, value: str) -> str | None:
    """A `srcset` (a list of picture addresses, which nh3 does not check as it checks `src`)
    is kept only if every address in it is on this site: the pipeline writes them for the
    site's own pictures, never to load anything from elsewhere."""
    if attribute != "srcset":
        return value
    addresses = [candidate.split()[0] for candidate in value.split(",") if candidate.split()]
    if all(_scheme(a) == "" and not a.replace("\\", "/").startswith("//") for a in addresses):
        return value
    return None


_cleaner = nh3.Cleaner(
    tags=set(TAGS), clean_content_tags=set(_CLEAN_CONTENT_TAGS),
    attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
    url_schemes=set(URL_SCHEMES), strip_comments=True,
    link_rel=None,  # nh3 would otherwise add rel="noopener noreferrer" to every link
    attribute_filter=_same_site_srcset,
)


def clean(html: str) -> str:
    """`html` with everything outside the allow-list removed."""
    return _cleaner.clean(html)


def allowed_attribute(tag: str, name: str) -> bool:
    return name in ATTRIBUTES["*"] or name in ATTRIBUTES.get(tag, ())


def allowed_url(url: str) -> bool:
    """Whether the sanitizer keeps `url`: a relative address or an allowed scheme."""
    return _scheme(url) in ("", *URL_SCHEMES)


def _scheme(url: str) -> str:
    # Browsers ignore tabs, new lines and leading spaces in a URL ('java\tscript:').
    url = "".join(url.split()).lower()
    try:
        return urlsplit(url).scheme
    except ValueError:  # e.g. an unclosed '[' in the host: nh3 removes it, call it unknown
        return url.partition(":")[0] if ":" in url else ""


# A start tag: its name, its attributes as (name, value, line), and its line in the piece.
_Tag = tuple[str, list[tuple[str, str, int]], int]


class _StartTags(HTMLParser):
    """Every start tag of a piece of HTML, with the line of the tag and of each attribute."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[_Tag] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        text = self.get_starttag_text() or ""
        found = []
        for name, value in attrs:
            where = re.search(rf"\s{re.escape(name)}\b", text, re.IGNORECASE)
            found.append((name, value or "", line + text.count("\n", 0, where.start())
                          if where else line))
        self.tags.append((tag, found, line))

    handle_startendtag = handle_starttag


def _start_tags(html: str) -> list[_Tag]:
    parser = _StartTags()
    parser.feed(html)
    parser.close()
    return parser.tags


def removals(html: str) -> list[tuple[int, str]]:
    """What the sanitizer removes from `html`: (line within `html`, message) in order.

    Found by comparing the start tags of `html` with those of its sanitized copy, so the
    messages describe what nh3 did, not a second guess at its rules.
    """
    before = _start_tags(html)
    after = _start_tags(clean(html))
    kept_tags = Counter(tag for tag, _, _ in after)
    kept_attributes = Counter((tag, name, value) for tag, attrs, _ in after
                              for name, value, _ in attrs)
    found = []
    for tag, attrs, line in before:
        if kept_tags[tag] <= 0:
            why = (_ALLOWED if tag not in TAGS else
                   "it is not allowed where it is; check how the HTML tags nest")
            found.append((line, f"<{tag}> removed ({why})"))
            continue
        kept_tags[tag] -= 1
        for name, value, attribute_line in attrs:
            if kept_attributes[(tag, name, value)] > 0:
                kept_attributes[(tag, name, value)] -= 1
            else:
                found.append((attribute_line, _attribute_message(tag, name, value)))
    return found


def _attribute_message(tag: str, name: str, value: str) -> str:
    if name in _URL_ATTRIBUTES and allowed_attribute(tag, name):
        scheme = _scheme(value)
        return (f"'{scheme}:' address removed from <{tag} {name}> (links and images may use "
                f"{', '.join(sorted(URL_SCHEMES))} or an address on this site)")
    return f"'{name}' attribute removed from <{tag}> ({_ALLOWED})"


class Reporter(Protocol):
    """Where the sanitizer says what it removed: the body being converted, and warnings at
    a place in it (the Markdown stage turns places into file lines)."""

    body: str

    def warn_at(self, offset: int, field: str, message: str, lines_after: int = 0) -> None:
        """A warning `lines_after` lines after the character `offset` of the body (-1: the
        place is not known)."""

    def warn_at_link(self, href: str, field: str, message: str) -> None:
        """A warning at the line of the link to `href`."""


def report_raw_html(pieces: list[str], reporter: Reporter) -> None:
    """Warn, at its line, about whatever the sanitizer removes from each piece of raw HTML."""
    claimed: list[tuple[int, int]] = []  # where the pieces found so far are in the body
    for piece in pieces:
        found = removals(piece) if "<" in piece else []  # many pieces are just entities
        start = _claim(reporter.body, piece, claimed)
        for line, message in found:
            reporter.warn_at(start, "html", message, line - 1 if start >= 0 else 0)


def _claim(body: str, piece: str, claimed: list[tuple[int, int]]) -> int:
    """Where `piece` (or, as Markdown may have tidied it, its first line) is in `body`,
    outside the places already `claimed` by other pieces; -1 if it is not found.

    Markdown keeps blocks of raw HTML aside first and then each tag written within a
    paragraph, so a piece is looked for where no earlier piece was.
    """
    for needle in (piece.strip(), piece.strip().split("\n", 1)[0].strip()):
        if not needle:
            continue
        start = body.find(needle)
        while start != -1:
            end = start + len(needle)
            if not any(start < e and s < end for s, e in claimed):
                claimed.append((start, end))
                return start
            start = body.find(needle, start + 1)
    return -1


class SafeTree(Treeprocessor):
    """Markdown's own elements within the allow-list, each removal warned about at its line.

    Raw HTML is not in this tree (it is kept aside until the end); what is here comes from
    Markdown syntax, so only `attr_list` attributes and link addresses can fall outside the
    allow-list. Table columns aligned with `:` get a class instead of a style attribute,
    which the pages' Content-Security-Policy would block.
    """

    def run(self, root: etree.Element) -> None:
        reporter: Reporter = self.md.page  # type: ignore[attr-defined]
        claimed: list[tuple[int, int]] = []
        for element in root.iter():
            tag = element.tag
            if not isinstance(tag, str):
                continue  # a comment or processing instruction; the serializer drops those
            align = element.attrib.pop("align", None) if tag in ("th", "td") else None
            if align in _ALIGNMENTS:
                element.set("class", f"align-{align}")
            for name, value in list(element.attrib.items()):
                if not allowed_attribute(tag, name):
                    offset = max(_claim(reporter.body, f"{name}=", claimed), 0)
                    reporter.warn_at(offset, "html", _attribute_message(tag, name, value))
                elif name in _URL_ATTRIBUTES and not allowed_url(value):
                    reporter.warn_at_link(value, "html", _attribute_message(tag, name, value))
                else:
                    continue
                del element.attrib[name]

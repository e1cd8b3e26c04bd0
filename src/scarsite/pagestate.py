"""What the Markdown processors share while one article body is converted.

The converter is reused for every article (it is slow to build), so the
article being converted, and what the processors find in it, travel here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Problems
from .model import Article, Site

_LINK_ENDS = frozenset(" \t\n)>\"'")


@dataclass
class Link:
    """A link to an article (or to this page) whose anchor is checked once all bodies exist."""

    href: str
    target: str  # content path of the linked article ('' for this page)
    anchor: str
    line: int  # file line of the link


@dataclass
class PageState:
    article: Article
    site: Site
    problems: Problems
    links: list[Link] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)  # ids a link could target
    glossary_uses: set[str] = field(default_factory=set)  # anchors of the terms linked
    pictures: dict[str, str] = field(default_factory=dict)  # content path -> digest, shown
    citations: dict[str, list[str]] = field(default_factory=dict)  # reference id -> anchors
    _text_offsets: dict[str, int] = field(default_factory=dict)  # where each text was last found
    _link_offsets: dict[str, int] = field(default_factory=dict)  # where each href was last found

    def line_at(self, offset: int) -> int:
        """The file line of a character offset in the Markdown body."""
        doc = self.article.doc
        return doc.body_line + doc.body.count("\n", 0, offset)

    def line_of_link(self, href: str) -> int:
        """The file line of a link's target, taking repeated links in order of appearance."""
        body = self.article.doc.body
        start = self._find_link(body, href, self._link_offsets.get(href, 0))
        if start == -1:
            start = self._find_link(body, href, 0)
        if start == -1:
            return self.article.doc.body_line
        self._link_offsets[href] = start + len(href)
        return self.line_at(start)

    def line_of_text(self, text: str) -> int:
        """The file line of a piece of the body's text, taking repeats in order."""
        body = self.article.doc.body
        start = body.find(text, self._text_offsets.get(text, 0))
        if start == -1:
            start = body.find(text)
        if start == -1:
            return self.article.doc.body_line
        self._text_offsets[text] = start + len(text)
        return self.line_at(start)

    @staticmethod
    def _find_link(body: str, href: str, offset: int) -> int:
        # The href must end where the Markdown link does: 'a.md#risk' is not 'a.md#risks'.
        start = body.find(href, offset)
        while start != -1:
            end = start + len(href)
            if end == len(body) or body[end] in _LINK_ENDS:
                return start
            start = body.find(href, start + 1)
        return -1

    @property
    def body(self) -> str:
        return self.article.doc.body

    def warn_at(self, offset: int, field: str, message: str, lines_after: int = 0) -> None:
        line = self.line_at(offset) + lines_after if offset >= 0 else self.article.doc.body_line
        self.report(line, field, message, warning=True)

    def warn_at_link(self, href: str, field: str, message: str) -> None:
        self.report(self.line_of_link(href), field, message, warning=True)

    def report(self, line: int, field: str, message: str, warning: bool = False) -> None:
        rel = self.article.doc.rel
        if warning:
            self.problems.warn(rel, line, field, message)
        else:
            self.problems.error(rel, line, field, message)

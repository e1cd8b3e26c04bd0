"""What the Markdown processors share while one article body is converted.

The converter is reused for every article (it is slow to build), so the
article being converted, and what the processors find in it, travel here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Problems
from .model import Article, Site


@dataclass
class Link:
    """A link to an article (or to this page) whose anchor is checked once all bodies exist."""

    href: str
    target: str  # content path of the linked article ('' for this page)
    anchor: str
    line: int = 0


@dataclass
class PageState:
    article: Article
    site: Site
    problems: Problems
    links: list[Link] = field(default_factory=list)
    anchors: set[str] = field(default_factory=set)  # ids a link could target
    link_errors: list[tuple[str, str]] = field(default_factory=list)  # (href, message)
    glossary_uses: set[str] = field(default_factory=set)  # anchors of the terms linked

    def report_at(self, offset: int, field: str, message: str, warning: bool = False) -> None:
        """Report a problem at a character offset of the Markdown body."""
        doc = self.article.doc
        line = doc.body_line + doc.body.count("\n", 0, offset)
        if warning:
            self.problems.warn(doc.rel, line, field, message)
        else:
            self.problems.error(doc.rel, line, field, message)

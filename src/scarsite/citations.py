"""Markdown stage, part: in-text citations of an article's own references.

An editor gives a reference an `id` in the front matter and cites it right after the claim
it backs: `[@cochrane-2016]`, or several at once: `[@cochrane-2016; @jacob-2001]`. Each
becomes a superscript number linking to the entry in the numbered reference list (the
number is the entry's place in that list), and the entry links back to each place it is
cited. An id the article's references do not have is an error at its line; with the
`require_citations` setting, a reference cited nowhere is a warning at its line.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown.inlinepatterns import InlineProcessor

from .errors import Problems, did_you_mean
from .pagestate import PageState

_ID = r"[A-Za-z0-9][A-Za-z0-9_.:-]*"
CITATION = rf"\[@({_ID}(?:\s*;\s*@{_ID})*)\]"
PRIORITY = 175  # before links (160), so '[@id]' is never read as a reference-style link


class CitationProcessor(InlineProcessor):
    """Turns `[@id; @id2]` into `<sup class="citation">` links to the reference list."""

    def handleMatch(self, match: re.Match[str], data: str  # type: ignore[override]
                    ) -> tuple[etree.Element, int, int]:
        page: PageState = self.md.page  # type: ignore[attr-defined]
        references = page.article.meta.references
        numbers = {r.id: index + 1 for index, r in enumerate(references) if r.id}
        line = page.line_of_text(match.group(0))
        citation = etree.Element("sup", {"class": "citation"})
        last = None
        for cited in (part.strip().lstrip("@") for part in match.group(1).split(";")):
            if cited not in numbers:
                page.report(line, "citation", f"'@{cited}' is not the id of a reference of "
                            f"this article{did_you_mean(cited, numbers)}")
                continue
            anchors = page.citations.setdefault(cited, [])
            anchors.append(f"cite-{numbers[cited]}-{len(anchors) + 1}")
            if last is not None:
                last.tail = ", "
            last = etree.SubElement(citation, "a", {"href": f"#ref-{numbers[cited]}",
                                                    "id": anchors[-1]})
            last.text = str(numbers[cited])
        return citation, match.start(0), match.end(0)


def report_uncited(page: PageState, problems: Problems) -> None:
    """A warning at each reference of the article that its text does not cite."""
    doc = page.article.doc
    for index, reference in enumerate(doc.meta.references):
        if reference.id is None:
            problems.warn(doc.rel, doc.line_of("references", index), "references",
                          f"item {index + 1} has no id, so the text cannot cite it; add "
                          "'id:' and cite it with [@id] after the claim it backs")
        elif reference.id not in page.citations:
            problems.warn(doc.rel, doc.line_of("references", index), "references",
                          f"'{reference.id}' is not cited in the text; cite it with "
                          f"[@{reference.id}] after the claim it backs, or remove it")

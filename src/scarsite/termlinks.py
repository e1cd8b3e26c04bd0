"""Markdown stage, part: link the first use of each glossary term to its definition.

The first time a page uses a glossary term (or one of its other forms), the word
becomes a link to the term on `/glossary/`, followed by the definition as a
tooltip that CSS shows on hover and on keyboard focus, so it needs no JavaScript;
screen readers get it as the link's description. Editors can also link a
particular phrase themselves with `[fillers](glossary:dermal-filler)`; a name
that is not in the glossary is a warning. Headings, links and code are left alone.
"""

from __future__ import annotations

import xml.etree.ElementTree as etree

from markdown.treeprocessors import Treeprocessor

from .errors import did_you_mean
from .glossary import GlossaryEntry
from .pagestate import PageState

SCHEME = "glossary:"
_LEAVE_ALONE = {"a", "abbr", "dfn", "code", "pre", "kbd", "samp", "script", "style", "sup",
                "h1", "h2", "h3", "h4", "h5", "h6"}


def _is_emergency_card(element: etree.Element) -> bool:
    """Emergency cards hold only what to do now: no links, not even to the glossary."""
    return "callout-emergency" in element.get("class", "").split()


class TermLinker(Treeprocessor):
    def run(self, root: etree.Element) -> None:
        self.page: PageState = self.md.page  # type: ignore[attr-defined]
        self.glossary = self.page.site.glossary
        self.url = f"{self.page.site.config.base_path}glossary/"
        self._walk(root)

    def _walk(self, element: etree.Element) -> None:
        children: list[etree.Element] = []
        element.text, found = self._split(element.text)
        children += found
        for child in list(element):
            if child.tag == "a" and child.get("href", "").startswith(SCHEME):
                child = self._explicit(child)
            elif child.tag not in _LEAVE_ALONE and not _is_emergency_card(child):
                self._walk(child)
            children.append(child)
            child.tail, found = self._split(child.tail)
            children += found
        element[:] = children

    def _split(self, text: str | None) -> tuple[str | None, list[etree.Element]]:
        """Text up to the first new term, then the term links, each carrying the text after it."""
        pattern = self.glossary.pattern
        if not text or pattern is None:
            return text, []
        head: str | None = None
        made: list[etree.Element] = []
        start = 0
        for match in pattern.finditer(text):
            entry = self.glossary.entry_named(match.group())
            if entry.anchor in self.page.glossary_uses:
                continue
            before = text[start:match.start()]
            if made:
                made[-1].tail = before
            else:
                head = before
            made.append(self._term(entry, match.group()))
            start = match.end()
        if not made:
            return text, []
        made[-1].tail = text[start:]
        return head, made

    def _term(self, entry: GlossaryEntry, words: str | etree.Element) -> etree.Element:
        """<span class=term><a>words</a><span role=tooltip>definition</span></span>"""
        self.page.glossary_uses.add(entry.anchor)
        tip_id = f"term-{entry.anchor}"
        wrapper = etree.Element("span", {"class": "term"})
        if isinstance(words, str):
            link = etree.SubElement(wrapper, "a")
            link.text = words
        else:
            link = words
            wrapper.append(link)
        link.attrib.clear()
        link.set("href", f"{self.url}#{entry.anchor}")
        link.set("aria-describedby", tip_id)
        tip = etree.SubElement(wrapper, "span", {"class": "term-tip", "id": tip_id,
                                                 "role": "tooltip", "data-pagefind-ignore": ""})
        tip.text = entry.definition
        return wrapper

    def _explicit(self, link: etree.Element) -> etree.Element:
        """An editor's `[words](glossary:name)` link: a term link, or a warning."""
        href = link.get("href", "")
        name = href[len(SCHEME):]
        entry = self.glossary.by_anchor.get(name)
        tail, link.tail = link.tail, None
        if entry is None:
            suggestion = did_you_mean(name, self.glossary.by_anchor)
            self.page.report(self.page.line_of_link(href), "glossary", f"'{name}' is not "
                             f"defined in content/glossary.yaml{suggestion}", warning=True)
            span = etree.Element("span")
            span.text, span[:] = link.text, list(link)
        elif entry.anchor in self.page.glossary_uses:  # defined earlier on the page already
            span = link
            link.set("href", f"{self.url}#{entry.anchor}")
        else:
            span = self._term(entry, link)
        span.tail = tail
        return span

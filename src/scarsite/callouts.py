"""Markdown stage, part: "when to get help" cards and callouts.

Editors write them with the admonition syntax, content indented by 4 spaces:

    !!! urgent
        - the skin gets more painful, hot or swollen after the first 2 days

The kinds follow the NHS care-card pattern (non-urgent, urgent, emergency) plus a
plain information and warning callout. Each becomes a box whose heading starts
with its level in words ("Urgent advice:"), so the level never depends on colour,
at the heading level that fits where the box sits in the page's outline.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown.treeprocessors import Treeprocessor

from .errors import did_you_mean
from .pagestate import PageState


@dataclass(frozen=True)
class CalloutKind:
    label: str  # the level in words, first in the heading
    action: str  # the default heading text after the label; editors may give their own


CALLOUTS = {
    "non-urgent": CalloutKind("Non-urgent advice", "See a doctor or dermatologist if:"),
    "urgent": CalloutKind("Urgent advice", "Ask for an urgent appointment if:"),
    "emergency": CalloutKind("Immediate action required",
                             "Call emergency services or go to A&E if:"),
    "info": CalloutKind("Information", ""),
    "warning": CalloutKind("Important", ""),
}
_OPENER = re.compile(r"^[ \t]*!!! ?([\w-]+)", re.MULTILINE)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}


class CalloutProcessor(Treeprocessor):
    """Turns admonition boxes into callouts; unknown kinds are reported with their line."""

    def run(self, root: etree.Element) -> None:
        page = self.md.page  # type: ignore[attr-defined]
        openers = [page.line_at(m.start()) for m in _OPENER.finditer(page.article.doc.body)]
        level = 1  # the page title is the h1
        found = 0
        boxes = []
        for element in root.iter():
            if element.tag in _HEADINGS:
                level = _HEADINGS[element.tag]
            elif element.tag == "div" and "admonition" in element.get("class", "").split():
                boxes.append((element, min(level + 1, 6),
                              openers[found] if found < len(openers) else 0))
                found += 1
        for box, heading_level, line in boxes:
            _convert(box, heading_level, line, page)


def _convert(box: etree.Element, heading_level: int, line: int, page: PageState) -> None:
    classes = box.get("class", "").split()
    kind_name = classes[1] if len(classes) > 1 else ""
    kind = CALLOUTS.get(kind_name)
    if kind is None:
        page.report(line, "callout", f"unknown box '!!! {kind_name}'"
                    f"{did_you_mean(kind_name, CALLOUTS)}; use one of {', '.join(CALLOUTS)}")
        return
    title = box.find("p[@class='admonition-title']")
    text = kind.action
    if title is not None:
        box.remove(title)
        given = "".join(title.itertext()).strip()
        if given and given != kind_name.capitalize():
            text = given
    box.attrib.clear()
    box.set("class", f"callout callout-{kind_name}")
    heading = etree.Element(f"h{heading_level}", {"class": "callout-heading"})
    label = etree.SubElement(heading, "span", {"class": "callout-level"})
    label.text = f"{kind.label}:" if text else kind.label
    label.tail = f" {text}" if text else None
    content = etree.Element("div", {"class": "callout-content"})
    content[:] = list(box)
    if not len(content):
        page.report(line, "callout", f"'!!! {kind_name}' is empty; indent its "
                    "content by 4 spaces under it", warning=True)
    box[:] = [heading, content]
    box.text = None

"""`scarsite new KIND "Title"`: a new article with complete front matter and TODO placeholders.

The placeholders are warnings, so `scarsite check --strict` fails until every
one is filled in. An existing file is never overwritten.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from .config import KINDS, PAGE_SECTION
from .errors import SiteError, did_you_mean
from .names import CONTENT_DIR
from .text import slugify

_REFERENCES = '''references:  # cite each in the text after the claim it backs: [@first-source]
  - id: first-source
    text: "TODO: authors, title, journal, year (peer-reviewed); then a pmid:, doi:, url: or isbn:"
  - id: second-source
    text: "TODO: a second reference, with its pmid:, doi:, url: or isbn: line"
'''

_TREATMENT_FIELDS = '''evidence: insufficient  # TODO: strong, moderate, limited or insufficient?
scar_types: []  # slugs of the scar types it can help, e.g. [rolling, boxcar]
facts:
  sessions: "TODO: how many sessions"
  interval: "TODO: how far apart"
  downtime: "TODO: recovery time"
  cost: "TODO: a published range with its country and year, or: Varies; ask for a written quote"
'''

_SECTIONS = {
    "scar-type": ["What it looks like", "How it forms", "How to tell it from other scars",
                  "What treatment can do", "What to expect"],
    "treatment": ["How it works", "Which scars it can help", "How many sessions",
                  "What it feels like", "Recovery", "Risks", "Who should not have it",
                  "What it cannot do", "How strong the evidence is"],
    "aftercare": ["What is normal", "Caring for your skin", "Makeup and sun",
                  "When to get help"],
    "guide": ["TODO: first section", "TODO: second section"],
    "page": ["TODO: first section"],
}
_CARD = '''
!!! urgent
    - TODO: a sign that needs an urgent appointment
'''


def new_article(site: Path, kind: str, title: str, today: date) -> Path:
    """Write the new article's file and return its path; SiteError if it cannot."""
    if kind not in KINDS:
        raise SiteError("scarsite new", 0, "kind", f"unknown kind{did_you_mean(kind, KINDS)}; "
                        f"use one of {', '.join(KINDS)}")
    if not title.strip():
        raise SiteError("scarsite new", 0, "title",
                        'give the article a title, e.g. "Ice pick scars"')
    section = KINDS[kind].section if kind != "page" else PAGE_SECTION
    path = site / CONTENT_DIR / section / f"{slugify(title)}.md"
    rel = path.relative_to(site).as_posix()
    if path.exists():
        raise SiteError(rel, 0, "", "already exists; edit it, or choose another title")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(_text(kind, title.strip(), today), encoding="utf-8")
    return path


def _text(kind: str, title: str, today: date) -> str:
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    front = [
        "---",
        f'title: "{quoted}"',
        f"kind: {kind}",
        'summary: "TODO: one or two plain sentences: what this page covers and its main message"',
        f"reviewed: {today.isoformat()}",
        'reviewer: "TODO: who reviewed it, e.g. Editorial team (evidence review); awaiting '
        'clinical review"',
    ]
    if kind in ("scar-type", "treatment"):
        front.append("also_known_as: []  # everyday names readers search for")
    text = "\n".join(front) + "\n"
    if kind == "treatment":
        text += _TREATMENT_FIELDS
    if kind == "aftercare":
        text += "treatments: []  # slugs of the treatments this aftercare follows\n"
    if kind != "page":
        text += _REFERENCES
    text += "---\n\nTODO: an opening paragraph that says who this page is for.\n"
    for heading in _SECTIONS[kind]:
        text += f"\n## {heading}\n\nTODO\n"
        if heading in ("Risks", "When to get help"):
            text += _CARD
    return text

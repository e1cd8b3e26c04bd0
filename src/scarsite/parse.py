"""Parse stage over the whole site: every article file's front matter and body.

Input: the `Source`s. Output: a `Document` (or None, see `parse_document`) per
content path. What earlier builds parsed is taken again where a file's text and
the settings are the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from .config import SiteConfig
from .errors import Problem, Problems
from .frontmatter import Document, parse_document
from .load import Source
from .schema import FrontMatter


@dataclass(frozen=True)
class Parsed:
    """A document parsed by an earlier build, kept without its text (the file holds that),
    and the problems parsing it reported."""

    meta: FrontMatter | None  # None: the front matter was not a mapping
    body_line: int
    lines: dict[str, int]
    item_lines: dict[str, tuple[int, ...]]
    problems: tuple[Problem, ...]
    # The document itself, while this process lives (the live preview): an unchanged file
    # then gives the very same document, whose digests are worked out already.
    document: Document | None = field(default=None, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if name != "document"}


def parse_documents(sources: list[Source], config: SiteConfig, problems: Problems,
                    known: dict[str, Parsed] | None = None) -> dict[str, Document | None]:
    """`parse_document` for every source, by content path.

    `known` holds what earlier builds parsed, by a digest of the settings and the file's
    text; on return it holds this build's files only. YAML loading and checking is 110 ms
    of a build of 1,000 articles, and an edit changes one file.
    """
    known = {} if known is None else known
    settings = repr(config)
    parsed: dict[str, Document | None] = {}
    kept: dict[str, Parsed] = {}
    for source in sources:
        key = hashlib.sha1(f"{settings}\0{source.rel}\0{source.text}".encode()).hexdigest()
        entry = known.get(key)
        if entry is None:
            found = Problems()
            document = parse_document(source, config, found)
            entry = (Parsed(None, 0, {}, {}, tuple(found.items)) if document is None else
                     Parsed(document.meta, document.body_line, document.lines,
                            document.item_lines, tuple(found.items), document))
        elif entry.document is not None:
            document = entry.document
        elif entry.meta is not None:
            body = _body_of(source.text, entry.body_line)
            document = Document(source, entry.meta, body, entry.body_line, entry.lines,
                                entry.item_lines)
            object.__setattr__(entry, "document", document)
        else:
            document = None
        for problem in entry.problems:
            problems.add(problem)
        parsed[source.rel] = document
        kept[key] = entry
    known.clear()
    known.update(kept)
    return parsed


def _body_of(text: str, body_line: int) -> str:
    """The body: the text from its first line (the front matter's lines come before)."""
    parts = text.split("\n", body_line - 1)
    return parts[-1] if len(parts) == body_line else ""

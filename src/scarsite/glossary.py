"""Glossary stage: the plain-language definitions in `content/glossary.yaml`.

Input: the site folder. Output: a `Glossary` of entries (term, definition, other
forms the articles may use), each with the file line it starts on and an anchor
on the `/glossary/` page. Articles link the first use of each term to its
definition (see `markup.py`); a definition that no article uses is a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problems, did_you_mean
from .frontmatter import load_yaml
from .names import GLOSSARY_FILE
from .text import slugify

DEFINITION_LIMIT = 300
_KEYS = ("term", "definition", "aliases")


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    definition: str
    aliases: tuple[str, ...]
    line: int  # file line where the entry starts

    @property
    def anchor(self) -> str:
        return slugify(self.term)

    @property
    def letter(self) -> str:
        """The letter the term is listed under on the glossary page."""
        return self.term[:1].upper()

    @property
    def names(self) -> tuple[str, ...]:
        return (self.term, *self.aliases)


@dataclass
class Glossary:
    entries: list[GlossaryEntry] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_anchor = {e.anchor: e for e in self.entries}
        self._by_name = {name.casefold(): e for e in self.entries for name in e.names}
        # Longest names first, so 'atrophic acne scar' wins over 'atrophic scar'.
        names = sorted(self._by_name, key=lambda n: (-len(n), n))
        self.pattern = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, names)) + r")(?!\w)",
                                   re.IGNORECASE) if names else None)

    def entry_named(self, name: str) -> GlossaryEntry:
        return self._by_name[name.casefold()]

    def __len__(self) -> int:
        return len(self.entries)


def load_glossary(site: Path, problems: Problems) -> Glossary:
    """Read and check the glossary; a site without one has an empty glossary."""
    path = site / GLOSSARY_FILE
    if not path.is_file():
        return Glossary()
    try:
        text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        problems.error(GLOSSARY_FILE, 0, "glossary", f"cannot be read as UTF-8 text: {exc}")
        return Glossary()
    loaded = load_yaml(GLOSSARY_FILE, text, 1, problems, field="glossary")
    if loaded is None:
        return Glossary()
    node, data = loaded
    if data is None:
        return Glossary()
    if not isinstance(data, list):
        problems.error(GLOSSARY_FILE, 1, "glossary", "must be a list of entries, each "
                       "starting '- term: ...' with a 'definition: ...' line")
        return Glossary()
    entries = []
    seen: dict[str, GlossaryEntry] = {}
    for item, item_node in zip(data, node.value, strict=True):
        entry = _entry(item, item_node, problems)
        if entry is None:
            continue
        clash = next((seen[n.casefold()] for n in entry.names if n.casefold() in seen), None)
        if clash is not None:
            name = next(n for n in entry.names if n.casefold() in seen)
            problems.error(GLOSSARY_FILE, entry.line, "term", f"'{name}' is already defined by "
                           f"'{clash.term}' on line {clash.line}")
            continue
        if any(e.anchor == entry.anchor for e in entries):
            problems.error(GLOSSARY_FILE, entry.line, "term", f"'{entry.term}' would have the "
                           f"same link (#{entry.anchor}) as another term; reword one of them")
            continue
        seen.update((n.casefold(), entry) for n in entry.names)
        entries.append(entry)
    return Glossary(entries)


def _entry(item: object, node: yaml.Node, problems: Problems) -> GlossaryEntry | None:
    line = node.start_mark.line + 1
    if not isinstance(item, dict):
        problems.error(GLOSSARY_FILE, line, "glossary", "each entry needs 'term:' and "
                       "'definition:' lines")
        return None
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    ok = True
    for key in item:
        if key not in _KEYS:
            problems.error(GLOSSARY_FILE, lines.get(str(key), line), str(key),
                           f"unknown key{did_you_mean(str(key), _KEYS)}; use {', '.join(_KEYS)}")
            ok = False
    term, definition, aliases = item.get("term"), item.get("definition"), item.get("aliases", [])
    for key, value in (("term", term), ("definition", definition)):
        if not isinstance(value, str) or not value.strip():
            problems.error(GLOSSARY_FILE, lines.get(key, line), key,
                           "missing" if value is None else "must be text")
            ok = False
    if isinstance(definition, str) and len(definition) > DEFINITION_LIMIT:
        problems.error(GLOSSARY_FILE, lines["definition"], "definition",
                       f"is {len(definition)} characters; keep it to {DEFINITION_LIMIT} or fewer")
        ok = False
    if not isinstance(aliases, list) or not all(isinstance(a, str) and a.strip()
                                                for a in aliases):
        problems.error(GLOSSARY_FILE, lines.get("aliases", line), "aliases",
                       "must be a list of words, such as [scars, scarring]")
        ok = False
    if not ok:
        return None
    assert isinstance(term, str) and isinstance(definition, str)
    return GlossaryEntry(term.strip(), definition.strip(), tuple(a.strip() for a in aliases),
                         line)

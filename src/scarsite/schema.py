"""The front matter schema: typed fields, and the checks that turn loaded YAML into them.

Input: the mapping loaded from an article's YAML, with the file line of each key.
Output: a `FrontMatter`. Every mistake is reported with its line and a suggestion
where one exists; fields with mistakes get stand-in values so that the rest of
the build can still check the file's links and terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .config import KIND_BY_SECTION, KINDS, SiteConfig
from .errors import Problems, closest, did_you_mean
from .load import Source
from .text import add_months, slugify

EVIDENCE_LEVELS = ("strong", "moderate", "limited", "insufficient")
FACT_KEYS = ("sessions", "interval", "downtime", "cost")
SUMMARY_LIMIT = 300
# \Z, not $: '$' also matches before a final newline, and "boxcar\n" is no slug.
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*\Z")
_ALIAS_SEGMENT = re.compile(r"^[A-Za-z0-9._~-]+\Z")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
CITATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*\Z")
_ISBN = re.compile(r"^(97[89][- ]?)?[0-9][- 0-9]{7,15}[0-9Xx]\Z")
_REFERENCE_FIELDS = ("id", "text", "url", "doi", "pmid", "isbn", "preprint")
# Dates outside these years are typing mistakes, and date arithmetic near year 9999
# (the next review, 120 months on) would fail.
_YEARS = (1900, 2999)
# Trials grade a treatment for a scar type, so a treatment may give a level for each scar type
# it names (`scar_types: {rolling: moderate}`): (kind of article, kind of taxonomy) of the pair.
LEVELLED_PAIR = ("treatment", "scar-type")

@dataclass(frozen=True)
class Reference:
    text: str
    url: str | None = None
    doi: str | None = None
    pmid: str | None = None
    id: str | None = None  # what the text cites it by: [@id]
    isbn: str | None = None
    preprint: bool = False  # not yet peer reviewed: said beside it

    @property
    def traceable(self) -> bool:
        """Whether a reader can find it: it has an address or an identifier."""
        return bool(self.url or self.doi or self.pmid or self.isbn)


@dataclass(frozen=True)
class Facts:
    sessions: str | None = None
    interval: str | None = None
    downtime: str | None = None
    cost: str | None = None


@dataclass(frozen=True)
class ClinicalReview:
    """A review by a clinician, once one has happened (never filled in ahead of it)."""

    date: date
    reviewer: str


@dataclass(frozen=True)
class Image:
    """The picture that stands for an article: its social card and listing thumbnail."""

    src: str  # as written: a path from the article's folder, e.g. 'images/rolling.svg'
    alt: str


@dataclass(frozen=True)
class FrontMatter:
    """The typed front matter of an article; see the README for each key."""

    title: str
    kind: str
    summary: str
    reviewed: date
    reviewer: str
    next_review: date
    slug: str
    terms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: str | None = None
    # The level a treatment gives for a scar type it names in the mapping form; a scar type it
    # names in a list, or one that names it, has the treatment's own `evidence`.
    evidence_by_scar_type: dict[str, str] = field(default_factory=dict)
    facts: Facts | None = None
    references: tuple[Reference, ...] = ()
    weight: int = 0
    draft: bool = False
    aliases: tuple[str, ...] = ()
    updated: date | None = None
    also_known_as: tuple[str, ...] = ()  # the words readers use: 'pockmarks', 'pitted scars'
    image: Image | None = None
    clinical_review: ClinicalReview | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # False when `reviewed` or `next_review` is missing or wrong (already an error): the
    # `next_review` above is then a stand-in that says nothing about when a review is due.
    review_due_known: bool = True


REQUIRED = ("title", "kind", "summary", "reviewed", "reviewer")
_FIXED_KEYS = (*REQUIRED, "next_review", "evidence", "facts", "references", "slug", "weight",
               "draft", "aliases", "updated", "also_known_as", "image", "clinical_review",
               "extra")



def check_front_matter(data: dict[Any, Any], source: Source, config: SiteConfig,
                       lines: dict[str, int], item_lines: dict[str, tuple[int, ...]],
                       problems: Problems) -> FrontMatter:
    """Type and check loaded front matter, reporting every mistake into `problems`."""
    return _Checker(source, config, lines, item_lines, problems).front_matter(data)


class _Checker:
    """Turns loaded YAML into a `FrontMatter`, reporting every bad key with its line."""

    def __init__(self, source: Source, config: SiteConfig, lines: dict[str, int],
                 item_lines: dict[str, tuple[int, ...]], problems: Problems) -> None:
        self.source, self.config, self.problems = source, config, problems
        self.lines, self.item_lines = lines, item_lines
        # The fields an unknown key is a misspelling of ('sumary' for 'summary'): reported
        # once, at the misspelling, and not again as missing.
        self.misspelt: set[str] = set()

    def error(self, key: str, message: str, index: int | None = None) -> None:
        line = self.lines.get(key, 1)
        if index is not None and index < len(self.item_lines.get(key, ())):
            line = self.item_lines[key][index]
        self.problems.error(self.source.rel, line, key, message)

    def front_matter(self, data: dict[Any, Any]) -> FrontMatter:
        """The typed front matter; fields with mistakes (all reported) get stand-in values."""
        taxonomy_names = [t.name for t in self.config.taxonomies]
        self.unknown_keys(data, (*_FIXED_KEYS, *taxonomy_names))
        for key in REQUIRED:
            if data.get(key) is None and key not in self.misspelt:
                self.problems.error(self.source.rel, self.lines.get(key, 1), key,
                                    "has no value" if key in data else
                                    "required field is missing")

        stem = self.source.rel.rsplit("/", 1)[-1].removesuffix(".md")
        title = self.text(data, "title") or stem
        summary = self.text(data, "summary") or ""
        if len(summary) > SUMMARY_LIMIT:
            self.error("summary", f"is {len(summary)} characters; keep it to {SUMMARY_LIMIT}")
        reviewer = self.text(data, "reviewer") or ""
        # The folder's kind is the article's kind: a wrong or missing `kind:` is reported
        # and the folder's stands in. When `kind:` names another kind, either the file or
        # `kind:` is in the wrong place, so the fields of both kinds are accepted: the kind
        # error is the one mistake, not the fields that go with it.
        kind = KIND_BY_SECTION[self.source.section].name
        kinds = {kind} | ({declared} if (declared := self.kind(data)) else set())
        reviewed = self.date(data, "reviewed")
        next_review = self.date(data, "next_review")
        updated = self.date(data, "updated")
        if reviewed and next_review and next_review <= reviewed:
            self.error("next_review", f"{next_review} is not after reviewed ({reviewed})")
            next_review = None
        review_due_known = reviewed is not None and (next_review is not None
                                                     or data.get("next_review") is None)
        if updated and reviewed and updated < reviewed:
            self.problems.warn(self.source.rel, self.lines["updated"], "updated",
                               f"{updated} is before reviewed ({reviewed}); remove it")
        reviewed = reviewed or date(1970, 1, 1)
        references = self.references(data)
        if kinds <= {"scar-type", "treatment"} and not references:
            self.problems.warn(self.source.rel, self.lines.get("references", 1), "references",
                               f"none given; a {kind} article should cite its sources")
        terms, evidence_by_scar_type = self.terms(data, kind, kinds, taxonomy_names)
        return FrontMatter(
            title=title, kind=kind, summary=summary, reviewed=reviewed, reviewer=reviewer,
            next_review=next_review or add_months(reviewed, self.config.review_interval_months),
            terms=terms, evidence_by_scar_type=evidence_by_scar_type,
            evidence=self.evidence(data, kinds), facts=self.facts(data, kinds),
            references=references, slug=self.slug(data),
            weight=self.typed(data, "weight", int, "a whole number", 0),
            draft=self.typed(data, "draft", bool, "true or false", False),
            aliases=self.aliases(data), updated=updated,
            also_known_as=self.also_known_as(data, kinds), image=self.image(data),
            clinical_review=self.clinical_review(data),
            extra=self.typed(data, "extra", dict, "a mapping of 'key: value' lines", {}),
            review_due_known=review_due_known,
        )

    def unknown_keys(self, data: dict[Any, Any], known: tuple[str, ...]) -> None:
        """Report each key that is not a field; note the fields misspelt."""
        for key in map(str, data):
            if key in known:
                continue
            meant = closest(key, known)
            if meant is not None and meant not in data:
                # The field it stands for is absent: the fix is the spelling.
                self.misspelt.add(meant)
                self.error(key, f"unknown field (did you mean '{meant}'?)")
            else:
                self.error(key, f"unknown field{did_you_mean(key, known)}; "
                           "put custom values under 'extra:'")

    def typed(self, data: dict[Any, Any], key: str, kind: type, name: str, default: Any) -> Any:
        value = data.get(key)
        if value is None:
            return default
        if type(value) is not kind:
            self.error(key, f"must be {name}, not {_show(value)}")
            return default
        return value

    def text(self, data: dict[Any, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            hint = "; write one line of text" if isinstance(value, list | dict) else \
                "; put it in quotes"
            self.error(key, f"must be text, not {_show(value)}{hint}")
            return None
        if not value.strip():
            self.error(key, "must not be empty")
            return None
        return value.strip()

    def kind(self, data: dict[Any, Any]) -> str | None:
        kind = data.get("kind")
        if kind is None:
            return None
        if not isinstance(kind, str) or kind not in KINDS:  # a list cannot even be looked up
            self.error("kind", f"{_show(kind)} is not a kind{did_you_mean(str(kind), KINDS)}; "
                       f"use one of {', '.join(KINDS)}")
            return None
        folder = KINDS[kind].section
        if folder != self.source.section:
            expected = KIND_BY_SECTION[self.source.section].name
            self.error("kind", f"'{kind}' articles go in content/{folder}/; this folder holds "
                       f"kind '{expected}'")
        return str(kind)

    def date(self, data: dict[Any, Any], key: str) -> date | None:
        value = data.get(key)
        if value is None:
            return None
        text = str(value).strip() if isinstance(value, str | int) else None
        if text is None or not _DATE.match(text):
            self.error(key, f"{_show(value)} is not a date; write it as YYYY-MM-DD, "
                       "e.g. 2026-03-31")
            return None
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.error(key, f"{text} is not a real date")
            return None
        if not _YEARS[0] <= day.year <= _YEARS[1]:
            self.error(key, f"{text}: the year must be between {_YEARS[0]} and {_YEARS[1]}")
            return None
        return day

    def evidence(self, data: dict[Any, Any], kinds: set[str]) -> str | None:
        value = data.get("evidence")
        if "treatment" not in kinds and value is not None:
            self.error("evidence", "only treatment articles have an evidence level; remove it")
            return None
        if kinds == {"treatment"} and value is None and "evidence" not in self.misspelt:
            self.problems.error(self.source.rel, 1, "evidence", "required for a treatment: one "
                                f"of {', '.join(EVIDENCE_LEVELS)}")
            return None
        if value is not None and value not in EVIDENCE_LEVELS:
            self.error("evidence", f"{_show(value)} is not an evidence level"
                       f"{did_you_mean(str(value), EVIDENCE_LEVELS)}; use one of "
                       f"{', '.join(EVIDENCE_LEVELS)}")
            return None
        return value

    def facts(self, data: dict[Any, Any], kinds: set[str]) -> Facts | None:
        value = self.typed(data, "facts", dict, "a mapping of 'key: value' lines", None)
        if value is None:
            return None
        if "treatment" not in kinds:
            self.error("facts", "only treatment articles have facts; remove them")
            return None
        facts = {}
        for key, item in value.items():
            if key not in FACT_KEYS:
                self.error("facts", f"unknown fact '{key}'{did_you_mean(str(key), FACT_KEYS)}; "
                           f"use {', '.join(FACT_KEYS)}")
            elif not isinstance(item, str | int | float) or isinstance(item, bool):
                self.error("facts", f"{key} must be text, not {_show(item)}")
            else:
                facts[key] = str(item)
        return Facts(**facts)

    def terms(self, data: dict[Any, Any], kind: str, kinds: set[str], names: list[str]
              ) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
        """The slugs named under each taxonomy key, and the evidence level given for each
        scar type a treatment names in the mapping form."""
        if kind == "page":
            for name in names:
                if name in data and kinds == {"page"}:
                    self.error(name, "site pages are not linked to scar types or treatments; "
                               "link to articles in the text instead")
            return {}, {}
        terms: dict[str, tuple[str, ...]] = {}
        levels: dict[str, str] = {}
        for name in names:
            if name not in data:
                continue
            value = data[name]
            if isinstance(value, dict):
                taxonomy = self.config.taxonomy(name)
                if taxonomy is not None and (LEVELLED_PAIR[0] in kinds
                                             and taxonomy.kind == LEVELLED_PAIR[1]):
                    levels.update(self.levels(name, value))
                else:
                    example = next(iter(value), "slug")
                    self.error(name, "only a treatment gives an evidence level for each scar "
                               f"type; write a list, e.g. [{example}]")
                value = list(value)  # the slugs are still checked and linked
            terms[name] = self.slugs(name, value)
        return terms, levels

    def levels(self, key: str, value: dict[Any, Any]) -> dict[str, str]:
        """The evidence level of each scar type in a treatment's `key: {slug: level}`."""
        levels = {}
        for index, (slug, level) in enumerate(value.items()):
            if not isinstance(slug, str) or not SLUG.match(slug):
                continue  # reported with the other slugs
            if level is None:
                self.error(key, f"{slug} has no evidence level; use one of "
                           f"{', '.join(EVIDENCE_LEVELS)}", index)
            elif level not in EVIDENCE_LEVELS:
                hint = did_you_mean(level, EVIDENCE_LEVELS) if isinstance(level, str) else ""
                self.error(key, f"{_show(level)} is not an evidence level for {slug}{hint}; "
                           f"use one of {', '.join(EVIDENCE_LEVELS)}", index)
            else:
                levels[slug] = level
        return levels

    def slugs(self, key: str, value: Any) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.error(key, f"must be a list, e.g. [{value}]" if isinstance(value, str)
                       else f"must be a list of slugs, not {_show(value)}")
            return ()
        slugs = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not SLUG.match(item):
                self.error(key, f"{_show(item)} is not a slug (lower case letters, digits "
                           "and '-')", index)
            elif item not in slugs:
                slugs.append(item)
        return tuple(slugs)

    def references(self, data: dict[Any, Any]) -> tuple[Reference, ...]:
        value = self.typed(data, "references", list, "a list", [])
        references: list[Reference] = []
        ids: set[str] = set()
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                reference: Reference | None = Reference(item.strip())
            elif isinstance(item, dict):
                reference = self.reference(item, index)
            else:
                self.error("references", f"item {index + 1} must be text or a mapping with "
                           "text, id, url, doi, pmid, isbn, preprint", index)
                continue
            if reference is None:
                continue
            if reference.id is not None and reference.id in ids:
                self.error("references", f"id '{reference.id}' is given to two references; "
                           "give each its own", index)
            ids.add(reference.id or "")
            if self.config.require_citations and not reference.traceable:
                self.warn("references", f"item {index + 1} has no pmid, doi, url or isbn; add "
                          "one so that readers can find it", index)
            references.append(reference)
        return tuple(references)

    def warn(self, key: str, message: str, index: int) -> None:
        line = self.lines.get(key, 1)
        if index < len(self.item_lines.get(key, ())):
            line = self.item_lines[key][index]
        self.problems.warn(self.source.rel, line, key, message)

    def reference(self, item: dict[Any, Any], index: int) -> Reference | None:
        unknown = [str(k) for k in item if k not in _REFERENCE_FIELDS]
        for key in unknown:
            self.error("references", f"unknown reference field '{key}'"
                       f"{did_you_mean(key, _REFERENCE_FIELDS)}", index)
        text, url = item.get("text"), item.get("url")
        doi, pmid = item.get("doi"), item.get("pmid")
        ident, isbn, preprint = item.get("id"), item.get("isbn"), item.get("preprint", False)
        if not isinstance(text, str) or not text.strip():
            self.error("references", f"item {index + 1} needs 'text'", index)
        if url is not None and not (isinstance(url, str) and re.match(r"^https?://\S+\Z", url)):
            self.error("references", f"url {_show(url)} is not an http(s) address", index)
        if doi is not None and not (isinstance(doi, str)
                                    and re.match(r"^10\.[0-9]{4,9}/\S+\Z", doi)):
            self.error("references", f"doi {_show(doi)} is not a DOI such as "
                       "'10.1000/xyz123'", index)
        if pmid is not None and not re.match(r"^[0-9]{1,9}\Z", str(pmid)):
            self.error("references", f"pmid {_show(pmid)} is not a PubMed number", index)
        if ident is not None and not (isinstance(ident, str) and CITATION_ID.match(ident)):
            self.error("references", f"id {_show(ident)} is not an id such as 'cochrane-2016' "
                       "(letters, digits, '-', '_', '.' and ':')", index)
        if isbn is not None and not _ISBN.match(str(isbn)):
            self.error("references", f"isbn {_show(isbn)} is not an ISBN such as "
                       "'978-0-19-953556-9'", index)
        if not isinstance(preprint, bool):
            self.error("references", f"preprint must be true or false, not {_show(preprint)}",
                       index)
        if unknown or not isinstance(text, str) or not text.strip():
            return None
        return Reference(text.strip(), url if isinstance(url, str) else None,
                         doi if isinstance(doi, str) else None,
                         str(pmid) if pmid is not None else None,
                         ident if isinstance(ident, str) and CITATION_ID.match(ident) else None,
                         str(isbn) if isbn is not None and _ISBN.match(str(isbn)) else None,
                         preprint is True)

    def slug(self, data: dict[Any, Any]) -> str:
        """The file name, or `slug:`; site pages keep their sub-folders: 'about/evidence'."""
        value = data.get("slug")
        folders, _, stem = self.source.rel.removesuffix(".md").partition(
            f"content/{self.source.section}/")[2].rpartition("/")
        prefix = f"{folders}/" if folders else ""
        for folder in filter(None, folders.split("/")):
            if not SLUG.match(folder):
                self.problems.error(self.source.rel, 1, "slug", f"the folder name '{folder}' "
                                    f"is not a valid slug; rename it to '{slugify(folder)}'")
        if value is None:
            if not SLUG.match(stem):
                self.problems.error(self.source.rel, 1, "slug", f"the file name '{stem}' is "
                                    f"not a valid slug; rename the file to '{slugify(stem)}.md'"
                                    " or set 'slug:'")
            return prefix + stem
        if not isinstance(value, str) or not SLUG.match(value):
            self.error("slug", f"{_show(value)} is not a slug; use lower case letters, digits "
                       f"and '-', e.g. '{slugify(str(value))}'")
            return prefix + stem
        return prefix + value

    def also_known_as(self, data: dict[Any, Any], kinds: set[str]) -> tuple[str, ...]:
        value = self.typed(data, "also_known_as", list, "a list of names", [])
        if value and not kinds & {"scar-type", "treatment"}:
            self.error("also_known_as", "only scar-type and treatment articles have other names")
            return ()
        names = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                self.error("also_known_as", f"{_show(item)} is not a name", index)
            else:
                names.append(item.strip())
        return tuple(names)

    def clinical_review(self, data: dict[Any, Any]) -> ClinicalReview | None:
        value = data.get("clinical_review")
        if value is None:
            return None
        if not isinstance(value, dict):
            self.error("clinical_review", "must be a mapping with date and reviewer, e.g. "
                       "{date: 2027-01-31, reviewer: \"Dr A Smith, dermatologist\"}")
            return None
        for key in value:
            if key not in ("date", "reviewer"):
                self.error("clinical_review", f"unknown key '{key}'"
                           f"{did_you_mean(str(key), ('date', 'reviewer'))}; use date and reviewer")
        # Checked as a date, its mistakes reported at the clinical_review line.
        day = self.date({"clinical_review": value["date"]}, "clinical_review") \
            if "date" in value else None
        if "date" not in value:
            self.error("clinical_review", "needs 'date': when the clinician reviewed it")
        reviewer = value.get("reviewer")
        if not isinstance(reviewer, str) or not reviewer.strip():
            self.error("clinical_review", "needs 'reviewer': the clinician's name and role")
            return None
        return ClinicalReview(day, reviewer.strip()) if day else None

    def image(self, data: dict[Any, Any]) -> Image | None:
        value = data.get("image")
        if value is None:
            return None
        if isinstance(value, str):
            self.error("image", "needs alt text as well as the picture: write it as "
                       f"'image: {{src: {value}, alt: \"what the picture shows\"}}'")
            return None
        if not isinstance(value, dict):
            self.error("image", f"must be a mapping with src and alt, not {_show(value)}")
            return None
        for key in value:
            if key not in ("src", "alt"):
                self.error("image", f"unknown key '{key}'{did_you_mean(str(key), ('src', 'alt'))}"
                           "; use src and alt")
        src, alt = value.get("src"), value.get("alt")
        if not isinstance(src, str) or not src.strip():
            self.error("image", "needs 'src': the picture's path from this article's folder, "
                       "e.g. images/rolling.svg")
        if not isinstance(alt, str) or not alt.strip():
            self.error("image", "needs 'alt': text that says what the picture shows")
        if not (isinstance(src, str) and src.strip() and isinstance(alt, str) and alt.strip()):
            return None
        return Image(src.strip(), alt.strip())

    def aliases(self, data: dict[Any, Any]) -> tuple[str, ...]:
        value = self.typed(data, "aliases", list, "a list of old paths", [])
        aliases = []
        for index, item in enumerate(value):
            segments = str(item).strip("/").split("/") if isinstance(item, str) else []
            if not segments or not all(_ALIAS_SEGMENT.match(s) and s not in (".", "..")
                                       for s in segments):
                self.error("aliases", f"{_show(item)} is not a path inside the site, such as "
                           "'old/path/'", index)
            else:
                aliases.append("/".join(segments))
        return tuple(aliases)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    shown = repr(value)
    # A whole pasted paragraph in a message would hide the message.
    return shown if len(shown) <= 60 else f"{shown[:50]}...{shown[-5:]}"

"""Editorial stage (for `scarsite check`): plain-language numbers and review dates per article.

Input: the `Site` and each article's rendered `Body`. Output: an
`EditorialReport` with, per article, word count, Flesch-Kincaid grade, long
sentences, long paragraphs, abbreviations used without a definition, the number
of references and the days until the next review; plus the site's totals.
Problems: a grade above the setting, too few references, undefined
abbreviations and reviews due soon are warnings; an overdue review is an error.

Only prose counts: paragraphs, list items and definitions, not headings, tables,
code, card headings, glossary tooltips or the reference list.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import asdict, dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

from .config import SiteConfig
from .errors import Problems
from .glossary import Glossary
from .markup import Body
from .model import Article, Site

MAX_PARAGRAPH_SENTENCES = 3
_PROSE_BLOCKS = {"p", "li", "dd", "td"}
_SKIPPED = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "pre", "code", "sup", "script", "style"}
_SKIPPED_CLASSES = {"term-tip", "callout-heading", "footnote"}
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'\u2019&-]*")
_ABBREVIATION = re.compile(r"(?<![\w&])[A-Z][A-Z0-9&]*[A-Z0-9](?:s)?(?![\w&])")
_ROMAN = re.compile(r"^[IVX]+$")
# Abbreviations every reader knows, which need no glossary entry.
EVERYDAY = {"UK", "US", "USA", "EU", "OK", "TV", "FAQ", "TODO"}
# Below this many words a grade says little (one short sentence can score anything).
MIN_WORDS_FOR_GRADE = 100


@dataclass
class ArticleStats:
    path: str
    title: str
    kind: str
    words: int
    sentences: int
    grade: float
    long_sentences: int
    long_sentence_share: float
    longest_sentence_words: int
    longest_sentence: str
    long_paragraphs: int
    undefined_terms: list[str]
    references: int
    cards: int
    next_review: str
    days_to_review: int
    # False when `reviewed` or `next_review` is missing or unreadable (an error of its own):
    # the two numbers above are then stand-ins, and the review is neither due nor overdue.
    review_due_known: bool = True


@dataclass
class EditorialReport:
    today: str
    settings: dict[str, Any]
    articles: list[ArticleStats] = field(default_factory=list)

    @property
    def site(self) -> dict[str, Any]:
        prose = [a for a in self.articles if a.kind != "page"]
        grades = [a.grade for a in prose]
        due_soon = self.settings["review_warning_days"]
        sentences = sum(a.sentences for a in prose)
        return {
            "articles": len(prose),
            "words": sum(a.words for a in prose),
            "median_grade": round(statistics.median(grades), 1) if grades else 0.0,
            "highest_grade": max(grades, default=0.0),
            "long_sentence_share": round(sum(a.long_sentences for a in prose)
                                         / sentences, 3) if sentences else 0.0,
            "long_paragraphs": sum(a.long_paragraphs for a in prose),
            "reviews_due_soon": sum(1 for a in self.articles if a.review_due_known
                                    and 0 <= a.days_to_review <= due_soon),
            "reviews_overdue": sum(1 for a in self.articles
                                   if a.review_due_known and a.days_to_review < 0),
        }

    def as_json(self) -> dict[str, Any]:
        return {"today": self.today, "settings": self.settings, "site": self.site,
                "articles": [asdict(a) for a in self.articles]}


def editorial_report(site: Site, bodies: dict[str, Body], today: date,
                     problems: Problems) -> EditorialReport:
    """Measure every article and report what falls short of the site's settings."""
    config = site.config
    report = EditorialReport(today.isoformat(), {
        "grade_warning": config.grade_warning, "long_sentence_words": config.long_sentence_words,
        "review_warning_days": config.review_warning_days,
        "min_references": config.min_references})
    for article in site.articles:
        stats = measure(article, bodies[article.doc.rel], today, config.long_sentence_words,
                        site.glossary)
        report.articles.append(stats)
        _check(article, stats, config, problems)
        _check_terms(article, config, problems)
    return report


def measure(article: Article, body: Body, today: date, long_sentence_words: int,
            glossary: Glossary) -> ArticleStats:
    prose = _Prose()
    prose.feed(body.html)
    prose.close()
    sentences = [s for block in prose.blocks for s in split_sentences(block)]
    counts = [len(_WORD.findall(s)) for s in sentences]
    words = [w for s in sentences for w in _WORD.findall(s)]
    syllables = sum(count_syllables(w) for w in words)
    grade = (0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59
             if words else 0.0)
    longest = max(range(len(counts)), key=counts.__getitem__, default=None)
    long_sentences = sum(1 for c in counts if c > long_sentence_words)
    text = " ".join(prose.blocks)
    if glossary.pattern is not None:  # 'TCA CROSS' is defined even if 'CROSS' alone is not
        text = glossary.pattern.sub(" ", text)
    undefined = sorted({a for a in _ABBREVIATION.findall(text)
                        if not _ROMAN.match(a) and a.removesuffix("s") not in EVERYDAY
                        and a not in prose.expanded})
    meta = article.meta
    return ArticleStats(
        path=article.doc.rel, title=meta.title, kind=article.kind, words=len(words),
        sentences=len(sentences), grade=round(max(grade, 0.0), 1),
        long_sentences=long_sentences,
        long_sentence_share=round(long_sentences / len(sentences), 3) if sentences else 0.0,
        longest_sentence_words=counts[longest] if longest is not None else 0,
        longest_sentence=sentences[longest] if longest is not None else "",
        long_paragraphs=sum(1 for p in prose.paragraphs
                            if len(split_sentences(p)) > MAX_PARAGRAPH_SENTENCES),
        undefined_terms=undefined, references=len(meta.references), cards=prose.cards,
        next_review=meta.next_review.isoformat(),
        days_to_review=(meta.next_review - today).days, review_due_known=meta.review_due_known,
    )


def _check(article: Article, stats: ArticleStats, config: SiteConfig,
           problems: Problems) -> None:
    rel, doc = article.doc.rel, article.doc
    if (article.kind != "page" and stats.words >= MIN_WORDS_FOR_GRADE
            and stats.grade > config.grade_warning):
        problems.warn(rel, doc.body_line, "readability", f"grade {stats.grade} is above "
                      f"{config.grade_warning}; use shorter sentences and everyday words "
                      f"(longest sentence: {stats.longest_sentence_words} words)")
    if article.kind in ("treatment", "aftercare") and stats.cards == 0:
        problems.warn(rel, doc.body_line, "callout", "no 'when to get help' card; add a "
                      "'!!! non-urgent', '!!! urgent' or '!!! emergency' box")
    for line, term in sorted((_first_use(doc.body, term, doc.body_line), term)
                             for term in stats.undefined_terms):
        problems.warn(rel, line, "glossary", f"'{term}' is not defined; add it to "
                      "content/glossary.yaml or spell it out")
    # A scar type or treatment with none is already a build warning (schema.py).
    reported = stats.references == 0 and article.kind in ("scar-type", "treatment")
    if article.kind != "page" and stats.references < config.min_references and not reported:
        problems.warn(rel, doc.line_of("references"), "references",
                      f"{stats.references} given; cite at least {config.min_references}")
    where = (rel, doc.line_of("next_review") if "next_review" in doc.lines
             else doc.line_of("reviewed"), "next_review")
    if not stats.review_due_known:
        return
    if stats.days_to_review < 0:
        problems.error(*where, f"review overdue since {stats.next_review}; review the article "
                       "and update 'reviewed'")
    elif stats.days_to_review <= config.review_warning_days:
        problems.warn(*where, f"review due on {stats.next_review}, in {stats.days_to_review} days")


# Words in quotes are named on purpose ('some call them "pitted scars"'): not flagged.
_QUOTED = re.compile(r'"[^"\n]*"|\u201c[^\u201d\n]*\u201d|`[^`\n]*`')


def _check_terms(article: Article, config: SiteConfig, problems: Problems) -> None:
    """A warning at each line of the body that uses a variant instead of the site's term."""
    if not config.terms:
        return
    doc = article.doc
    patterns = [(preferred, variant, re.compile(
        r"(?<![\w-])" + r"\s+".join(map(re.escape, variant.split())) + r"(?![\w-])", re.I))
        for preferred, variants in config.terms for variant in variants]
    text = _QUOTED.sub(lambda m: " " * len(m[0]), doc.body)
    found = sorted((doc.body_line + text.count("\n", 0, match.start()), variant, preferred)
                   for preferred, variant, pattern in patterns
                   for match in pattern.finditer(text))
    for line, variant, preferred in found:
        problems.warn(doc.rel, line, "terms", f"'{variant}': write '{preferred}', the site's "
                      "word for it (in quotes if you name the other word on purpose)")


def _first_use(body: str, term: str, body_line: int) -> int:
    """The file line where an abbreviation is first used in the Markdown body."""
    match = re.search(rf"(?<![\w&]){re.escape(term)}(?![\w&])", body)
    return body_line + body.count("\n", 0, match.start()) if match else body_line


def split_sentences(text: str) -> list[str]:
    """Sentences of a block of prose; a list item without a full stop is one sentence."""
    return [s.strip() for s in _SENTENCE_END.split(text) if _WORD.search(s)]


def count_syllables(word: str) -> int:
    """Syllables in an English word, by vowel groups with the usual silent-letter rules.

    A rule-based count (no dictionary download), accurate enough for a grade level.
    """
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 1  # a number
    if len(word) <= 3:
        return 1
    if word.endswith("cne"):  # 'acne', a common word the silent-e rule gets wrong
        return 2
    stem = re.sub(r"(?:[^laeiouy]es|[^aeiouydt]ed|[^laeiouy]e)$", lambda m: m.group()[0], word)
    stem = re.sub(r"^y", "", stem)
    count = len(re.findall(r"[aeiouy]+", stem))
    # Vowel pairs that are usually two syllables: bacteria, radio (not -tion, -sion), ea at
    # the end (area), ua (gradual).
    count += len(re.findall(r"[^aeiou]ia|[^aeiouctsgx]io|[^aeiou]ua|.ea$", stem))
    return max(1, count)


class _Prose(HTMLParser):
    """Collects the text of prose blocks from an article body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.paragraphs: list[str] = []
        self.expanded: set[str] = set()  # abbreviations with an <abbr title>
        self.cards = 0
        self._stack: list[tuple[str, bool]] = []  # (tag, skipped)
        self._text: list[list[str]] = []
        self._abbr: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if {"callout-non-urgent", "callout-urgent", "callout-emergency"} & classes:
            self.cards += 1
        skipped = self._skipping() or tag in _SKIPPED or bool(classes & _SKIPPED_CLASSES)
        if tag in ("br", "img", "hr", "input", "meta", "link"):
            return
        self._stack.append((tag, skipped))
        if tag in _PROSE_BLOCKS and not skipped:
            self._text.append([])
        if tag == "abbr" and values.get("title"):
            self._abbr = []

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            open_tag, skipped = self._stack.pop()
            if open_tag in _PROSE_BLOCKS and not skipped and self._text:
                text = " ".join("".join(self._text.pop()).split())
                if text:
                    self.blocks.append(text)
                    if open_tag == "p":
                        self.paragraphs.append(text)
            if open_tag == "abbr" and self._abbr is not None:
                self.expanded.add("".join(self._abbr).strip())
                self._abbr = None
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._abbr is not None:
            self._abbr.append(data)
        if self._text and not self._skipping():
            self._text[-1].append(data)

    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1][1]

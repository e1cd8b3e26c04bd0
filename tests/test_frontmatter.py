"""Parse stage: splitting, YAML with file lines, and typing every front matter field."""

from __future__ import annotations

from datetime import date

import pytest

from scarsite import frontmatter
from scarsite.config import SiteConfig
from scarsite.errors import Problems
from scarsite.frontmatter import MAX_DEPTH, Document, parse_document
from scarsite.load import Source
from scarsite.schema import Facts, Reference

from .conftest import REVIEWER, article


def _parse(text: str, rel: str = "content/treatments/subcision.md",
           config: SiteConfig | None = None) -> tuple[Document | None, list[str]]:
    section = rel.split("/")[1]
    problems = Problems()
    document = parse_document(Source(rel, section, text), config or SiteConfig(), problems)
    return document, [str(p) for p in problems.sorted()]


def test_parse_full_front_matter() -> None:
    text = f"""---
title: Subcision
kind: treatment
summary: A needle cuts the bands under a scar.
reviewed: 2025-02-28
reviewer: "{REVIEWER}"
evidence: limited
scar_types: [rolling, boxcar, rolling]
treatments:
  - microneedling
facts:
  sessions: 3
  downtime: A week
references:
  - Plain reference.
  - text: With links.
    doi: 10.1111/abc.1
    pmid: 123456
    url: https://example.org/paper
weight: 2
aliases: [/old/subcision/]
updated: 2025-03-01
extra:
  anything: [1, 2]
---

Body line one.
"""
    document, problems = _parse(text)
    assert problems == []
    assert document is not None
    meta = document.meta
    assert (meta.title, meta.kind, meta.slug, meta.evidence) == (
        "Subcision", "treatment", "subcision", "limited")
    assert meta.reviewed == date(2025, 2, 28)
    assert meta.next_review == date(2028, 2, 28)
    assert meta.terms == {"scar_types": ("rolling", "boxcar"), "treatments": ("microneedling",)}
    assert meta.facts == Facts(sessions="3", downtime="A week")
    assert meta.references == (Reference("Plain reference."),
                               Reference("With links.", "https://example.org/paper",
                                         "10.1111/abc.1", "123456"))
    assert meta.aliases == ("old/subcision",)
    assert meta.extra == {"anything": [1, 2]}
    assert document.body == "\nBody line one.\n"
    assert document.body_line == 26
    assert document.line_of("treatments", 0) == 10
    assert document.line_of("facts") == 11


def test_parse_next_review_uses_interval_and_month_end() -> None:
    text = article("Guide", "guide", reviewed="2024-08-31")
    document, _ = _parse(text, "content/guides/guide.md", SiteConfig(review_interval_months=6))
    assert document is not None and document.meta.next_review == date(2025, 2, 28)


@pytest.mark.parametrize(("text", "expected"), [
    ("no front matter\n", "content/guides/g.md:1: front matter: missing: the file must start "
     "with a '---' line, then the front matter (title, kind, summary, reviewed, reviewer), "
     "then another '---'"),
    ("---\ntitle: x\n", "content/guides/g.md:1: front matter: not closed: add a '---' line "
     "after it"),
    ("---\n---\nbody\n", "content/guides/g.md:1: front matter: is empty; it needs at least "
     "title, kind, summary, reviewed, reviewer"),
    ("---\n- a\n- b\n---\n", "content/guides/g.md:2: front matter: must be a set of "
     "'key: value' lines"),
    ("---\ntitle: a\ntitle: b\n---\n", "content/guides/g.md:3: front matter: 'title' is "
     "given twice"),
    ("---\ntitle: &a x\nsummary: *a\n---\n", "content/guides/g.md:2: front matter: YAML "
     "anchors and aliases (&name, *name) are not allowed"),
    ("---\ntitle: !!python/object:os.system x\n---\n", "content/guides/g.md:2: front matter: "
     "invalid YAML: tags such as '!!python/object:os.system' are not allowed; write the value "
     "without it"),
])
def test_parse_reports_broken_front_matter(text: str, expected: str) -> None:
    document, problems = _parse(text, "content/guides/g.md")
    assert document is None
    assert problems == [expected]


@pytest.mark.parametrize(("text", "line", "hint"), [
    ("---\ntitle: x\n\tkind: guide\n---\n", 3, "; indent with spaces, not tabs"),
    ("---\ntitle: x\nsummary: Note: this\n---\n", 3, "; put text that contains ': ' in quotes"),
    ("---\ntitle: x\nsummary: \"Open\nkind: guide\nreviewer: y\n---\n", 5,
     "; is the quote on line 3 closed?"),
    ("---\ntitle: [a, b\nkind: guide\n---\n", 3, ""),
])
def test_parse_reports_yaml_mistakes_at_their_line(text: str, line: int, hint: str) -> None:
    # What PyYAML says of the mistake changes between its releases, so only the place,
    # scarsite's start of the message and scarsite's own advice are pinned.
    document, problems = _parse(text, "content/guides/g.md")
    assert document is None
    assert len(problems) == 1
    start = f"content/guides/g.md:{line}: front matter: invalid YAML: "
    assert problems[0].startswith(start) and problems[0].endswith(hint), problems[0]
    assert problems[0][len(start):len(problems[0]) - len(hint)].strip()


TOO_DEEP = ("front matter: lists and mappings nested more than 20 deep; front matter needs "
            "only a few levels")


@pytest.mark.parametrize(("extra", "line"), [
    ("[" * 100_000 + "]" * 100_000, 3),
    ("{a: " * 1_000 + "}" * 1_000, 3),
    ("[a: " * 30 + "]" * 30, 3),  # each item `a: ...` of a flow list is a mapping
    ("\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(2_000)), 23),
    ("\n" + "- " * 2_000 + "x", 4),
    ("\n" + "".join(f"{' ' * i}- k{i}:\n" for i in range(0, 40, 2)), 13),
    ("\n  k:\n  - " + "[\n" * 30 + "]\n" * 30, 22),  # a flow list over many lines
])
def test_nesting_too_deep_is_found_before_pyyaml_reads_the_text(
        monkeypatch: pytest.MonkeyPatch, extra: str, line: int) -> None:
    # The limit is scarsite's own check, in scarsite's words, whatever PyYAML would do.
    def no_pyyaml(text: str) -> None:
        raise AssertionError("PyYAML was given the text")

    monkeypatch.setattr(frontmatter, "_Loader", no_pyyaml)
    document, problems = _parse(f"---\ntitle: x\nextra: {extra}\n---\n", "content/guides/g.md")
    assert document is None
    assert problems == [f"content/guides/g.md:{line}: {TOO_DEEP}"]


def test_nesting_up_to_the_limit_is_loaded() -> None:
    # the front matter's own mapping is the first level
    levels = MAX_DEPTH - 1
    deep = "[" * 30
    for extra in ("{a: " + "[" * (levels - 1) + "x" + "]" * (levels - 1) + "}",
                  "\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(levels - 1)) +
                  "  " * levels + "- x",
                  f"{{a: [not, '{deep}', \"{deep}\"]}}  # {deep}",
                  f"\n  a: |\n    {deep}\n    {'- ' * 30}\n  b: >\n    {deep}"):
        text = article("G", "guide", extra=extra)
        document, problems = _parse(text, "content/guides/g.md")
        assert problems == [], extra
        assert document is not None


def test_parse_reports_every_bad_field_with_its_line() -> None:
    text = """---
title: [a, list]
kind: guide
summary: 42
reviewed: 2025-02-30
reviewer: "Someone"
evidence: strong
scar_types: rolling
treatments: [Sub Cision]
slug: Not A Slug
weight: "2"
draft: "yes"
aliases: ["../escape"]
references: [{text: x, doi: nope, pmid: abc, year: 2020}]
next_review: 2024-01-01
extra: [1]
colour: blue
---
"""
    document, problems = _parse(text, "content/guides/g.md")
    assert document is not None  # stand-ins let later stages check the rest of the file
    assert problems == [
        "content/guides/g.md:2: title: must be text, not a list; write one line of text",
        "content/guides/g.md:4: summary: must be text, not 42; put it in quotes",
        "content/guides/g.md:5: reviewed: 2025-02-30 is not a real date",
        "content/guides/g.md:7: evidence: only treatment articles have an evidence level; "
        "remove it",
        "content/guides/g.md:8: scar_types: must be a list, e.g. [rolling]",
        "content/guides/g.md:9: treatments: 'Sub Cision' is not a slug (lower case letters, "
        "digits and '-')",
        "content/guides/g.md:10: slug: 'Not A Slug' is not a slug; use lower case letters, "
        "digits and '-', e.g. 'not-a-slug'",
        "content/guides/g.md:11: weight: must be a whole number, not '2'",
        "content/guides/g.md:12: draft: must be true or false, not 'yes'",
        "content/guides/g.md:13: aliases: '../escape' is not a path inside the site, such as "
        "'old/path/'",
        "content/guides/g.md:14: references: unknown reference field 'year'",
        "content/guides/g.md:14: references: doi 'nope' is not a DOI such as '10.1000/xyz123'",
        "content/guides/g.md:14: references: pmid 'abc' is not a PubMed number",
        "content/guides/g.md:16: extra: must be a mapping of 'key: value' lines, not a list",
        "content/guides/g.md:17: colour: unknown field; put custom values under 'extra:'",
    ]


def test_parse_treatment_needs_evidence_and_file_name_must_be_a_slug() -> None:
    text = article("X", "treatment", evidence=None)
    _, problems = _parse(text, "content/treatments/Big Name.md")
    assert problems == [
        "content/treatments/Big Name.md:1: evidence: required for a treatment: one of strong, "
        "moderate, limited, insufficient",
        "content/treatments/Big Name.md:1: slug: the file name 'Big Name' is not a valid slug; "
        "rename the file to 'big-name.md' or set 'slug:'",
    ]


def test_parse_summary_limit_and_unknown_fact() -> None:
    text = article("X", "treatment", summary="a" * 301, facts="{price: high}")
    _, problems = _parse(text)
    assert problems == [
        "content/treatments/subcision.md:4: summary: is 301 characters; keep it to 300",
        "content/treatments/subcision.md:9: facts: unknown fact 'price'; use sessions, "
        "interval, downtime, cost",
    ]


def test_parse_custom_taxonomy_becomes_a_front_matter_key() -> None:
    from scarsite.config import Taxonomy
    config = SiteConfig(taxonomies=(Taxonomy("helps", "scar-type", "Helps"),))
    text = article("G", "guide", helps="[rolling]", scar_types="[boxcar]")
    document, problems = _parse(text, "content/guides/g.md", config)
    assert problems == ["content/guides/g.md:8: scar_types: unknown field; put custom values "
                        "under 'extra:'"]
    assert document is not None and document.meta.terms == {"helps": ("rolling",)}

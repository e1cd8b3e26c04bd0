"""Schema: slugs, review dates, and the evidence level a treatment gives for each scar type."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from scarsite.config import SiteConfig
from scarsite.errors import Problems
from scarsite.frontmatter import parse_document
from scarsite.load import Source
from scarsite.schema import SLUG, FrontMatter, add_months, slugify

from .conftest import article, run_scarsite


@pytest.mark.parametrize("text", ["Boxcar Scars", "  --ice pick--  ", "PIH/PIE", "é", "a--b"])
def test_slugify_is_idempotent_and_safe(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug
    assert SLUG.match(slug)


def test_add_months_moves_to_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 36) == date(2027, 11, 15)


# --- evidence for each scar type a treatment names -------------------------------------------

def _parse(text: str, rel: str) -> tuple[FrontMatter | None, list[str]]:
    problems = Problems()
    document = parse_document(Source(rel, rel.split("/")[1], text), SiteConfig(), problems)
    return (document.meta if document else None), [str(p) for p in problems.sorted()]


@pytest.mark.parametrize("scar_types", [
    "{rolling: moderate, boxcar: limited}",
    "\n  rolling: moderate\n  boxcar: limited",
])
def test_treatment_gives_an_evidence_level_for_each_scar_type(scar_types: str) -> None:
    meta, problems = _parse(article("Laser", "treatment", evidence="moderate",
                                     scar_types=scar_types), "content/treatments/laser.md")
    assert problems == []
    assert meta is not None
    assert meta.terms == {"scar_types": ("rolling", "boxcar")}
    assert meta.evidence_by_scar_type == {"rolling": "moderate", "boxcar": "limited"}


def test_list_of_scar_types_gives_no_level_of_its_own() -> None:
    meta, problems = _parse(article("Laser", "treatment", scar_types="[rolling, boxcar]"),
                            "content/treatments/laser.md")
    assert problems == []
    assert meta is not None and meta.evidence_by_scar_type == {}


def test_bad_levels_are_reported_at_their_line_with_a_suggestion() -> None:
    text = article("Laser", "treatment", scar_types=(
        "\n  rolling: moderat\n  boxcar:\n  ice-pick: [limited]\n  Bad Slug: limited"
        "\n  keloid: limited"))
    meta, problems = _parse(text, "content/treatments/laser.md")
    assert problems == [
        "content/treatments/laser.md:10: scar_types: 'moderat' is not an evidence level for "
        "rolling (did you mean 'moderate'?); use one of strong, moderate, limited, insufficient",
        "content/treatments/laser.md:11: scar_types: boxcar has no evidence level; use one of "
        "strong, moderate, limited, insufficient",
        "content/treatments/laser.md:12: scar_types: a list is not an evidence level for "
        "ice-pick; use one of strong, moderate, limited, insufficient",
        "content/treatments/laser.md:13: scar_types: 'Bad Slug' is not a slug (lower case "
        "letters, digits and '-')",
    ]
    assert meta is not None
    # every valid slug is still linked, so the model can check it names a scar type
    assert meta.terms == {"scar_types": ("rolling", "boxcar", "ice-pick", "keloid")}
    assert meta.evidence_by_scar_type == {"keloid": "limited"}


@pytest.mark.parametrize(("rel", "kind", "field", "example", "line"), [
    ("content/guides/g.md", "guide", "scar_types", "rolling", 7),
    ("content/aftercare/a.md", "aftercare", "scar_types", "rolling", 7),
    ("content/scar-types/s.md", "scar-type", "treatments", "subcision", 8),
    ("content/treatments/t.md", "treatment", "treatments", "subcision", 9),
])
def test_levels_anywhere_but_a_treatments_scar_types_are_an_error(
        rel: str, kind: str, field: str, example: str, line: int) -> None:
    meta, problems = _parse(article("X", kind, **{field: f"{{{example}: moderate}}"}), rel)
    assert problems == [f"{rel}:{line}: {field}: only a treatment gives an evidence level for "
                        f"each scar type; write a list, e.g. [{example}]"]
    assert meta is not None
    assert meta.terms == {field: (example,)} and meta.evidence_by_scar_type == {}


# --- one cause, one error: a mistake is not reported again through its knock-on effects ------

REFERENCES = '["One.", "Two."]'
CARD = "Some text.\n\n!!! urgent\n    See a doctor if it hurts.\n"


def _check(site: Path) -> list[str]:
    """The problems `scarsite check` reports, one a line, ending with its summary line."""
    result = run_scarsite("check", "--no-cache", "--today", "2026-05-01", cwd=site)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 1
    return result.stderr.splitlines()


@pytest.mark.parametrize(("rel", "kind", "meant", "typo", "line"), [
    ("content/guides/g.md", "guide", "summary", "sumary", 4),
    ("content/guides/g.md", "guide", "title", "Title", 2),
    ("content/guides/g.md", "guide", "reviewed", "reviewd", 5),
    ("content/treatments/t.md", "treatment", "evidence", "evidense", 7),
])
def test_a_misspelt_field_is_reported_once_at_the_misspelling(
        make_site: Callable[..., Path], rel: str, kind: str, meant: str, typo: str,
        line: int) -> None:
    text = article("G", kind, CARD, references=REFERENCES).replace(f"\n{meant}: ", f"\n{typo}: ")
    site = make_site({rel: text})
    # Not also "summary: required field is missing", nor (for 'reviewd') "review overdue".
    assert _check(site) == [f"{rel}:{line}: {typo}: unknown field (did you mean '{meant}'?)",
                            "failed: 1 error, 0 warnings"]


def test_a_custom_field_beside_the_field_it_resembles_goes_under_extra(
        make_site: Callable[..., Path]) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide", summaryy="Also about g.",
                                                     references=REFERENCES)})
    assert _check(site) == [
        "content/guides/g.md:7: summaryy: unknown field (did you mean 'summary'?); put custom "
        "values under 'extra:'",
        "failed: 1 error, 0 warnings"]


@pytest.mark.parametrize(("rel", "kind", "fields", "expected"), [
    # A treatment whose `kind:` is wrong: its evidence, facts, other names and levels are right.
    ("content/treatments/t.md", "guide",
     {"evidence": "limited", "facts": '{sessions: "3"}', "also_known_as": "[resurfacing]",
      "scar_types": "{rolling: moderate}"},
     "kind: 'guide' articles go in content/guides/; this folder holds kind 'treatment'"),
    # A treatment in the wrong folder: its fields are right for the kind it says it is.
    ("content/guides/t.md", "treatment",
     {"facts": '{sessions: "3"}', "also_known_as": "[resurfacing]",
      "scar_types": "{rolling: moderate}"},
     "kind: 'treatment' articles go in content/treatments/; this folder holds kind 'guide'"),
    # A treatment with no evidence level yet, whose `kind:` is wrong: the kind is the mistake.
    ("content/treatments/t.md", "scar-type", {"evidence": None},
     "kind: 'scar-type' articles go in content/scar-types/; this folder holds kind "
     "'treatment'"),
])
def test_a_kind_that_disagrees_with_the_folder_is_the_only_error(
        make_site: Callable[..., Path], rel: str, kind: str, fields: dict[str, str | None],
        expected: str) -> None:
    site = make_site({rel: article("T", kind, CARD, references=REFERENCES, **fields),
                      "content/scar-types/rolling.md": article(
                          "Rolling", "scar-type", references=REFERENCES)})
    assert _check(site) == [f"{rel}:3: {expected}", "failed: 1 error, 0 warnings"]


def test_fields_of_neither_kind_are_still_errors(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/scar-types/s.md": article(
        "S", "guide", references=REFERENCES, evidence="limited", facts='{sessions: "3"}',
        also_known_as="[other]")})
    assert _check(site) == [
        "content/scar-types/s.md:3: kind: 'guide' articles go in content/guides/; this folder "
        "holds kind 'scar-type'",
        "content/scar-types/s.md:8: evidence: only treatment articles have an evidence level; "
        "remove it",
        "content/scar-types/s.md:9: facts: only treatment articles have facts; remove them",
        "failed: 3 errors, 0 warnings"]


@pytest.mark.parametrize(("fields", "expected"), [
    ({"reviewed": "04/12/2026"},
     "5: reviewed: '04/12/2026' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"),
    ({"reviewed": "2025-02-30"}, "5: reviewed: 2025-02-30 is not a real date"),
    ({"reviewed": None}, "1: reviewed: required field is missing"),
    ({"next_review": "soon"},
     "8: next_review: 'soon' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"),
    ({"next_review": "2024-01-01"}, "8: next_review: 2024-01-01 is not after reviewed "
     "(2025-01-01)"),
])
def test_a_review_date_that_cannot_be_read_is_not_also_overdue(
        make_site: Callable[..., Path], fields: dict[str, str | None], expected: str) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide", references=REFERENCES,
                                                     **fields)})
    report = site / "report.json"
    result = run_scarsite("check", "--no-cache", "--today", "2100-01-01", "--report", report,
                          cwd=site)
    assert result.stderr.splitlines() == [f"content/guides/g.md:{expected}",
                                          "failed: 1 error, 0 warnings"]
    site_numbers = json.loads(report.read_text())["site"]
    assert (site_numbers["reviews_overdue"], site_numbers["reviews_due_soon"]) == (0, 0)


@pytest.mark.parametrize("today", ["2026-12-01", "2028-06-01"])
def test_a_readable_review_date_is_still_due_and_overdue(
        make_site: Callable[..., Path], today: str) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide", references=REFERENCES,
                                                     next_review="2027-01-20")})
    result = run_scarsite("check", "--no-cache", "--today", today, cwd=site)
    assert result.stderr.splitlines() == {
        "2026-12-01": ["content/guides/g.md:8: warning: next_review: review due on 2027-01-20, "
                       "in 50 days"],
        "2028-06-01": ["content/guides/g.md:8: next_review: review overdue since 2027-01-20; "
                       "review the article and update 'reviewed'",
                       "failed: 1 error, 0 warnings"]}[today]

"""Schema: slugs, review dates, and the evidence level a treatment gives for each scar type."""

from __future__ import annotations

from datetime import date

import pytest

from scarsite.config import SiteConfig
from scarsite.errors import Problems
from scarsite.frontmatter import parse_document
from scarsite.load import Source
from scarsite.schema import SLUG, FrontMatter, add_months, slugify

from .conftest import article


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

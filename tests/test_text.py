"""Shared words: slugs, GitHub's heading anchors and dates."""

from __future__ import annotations

from datetime import date

import pytest

from scarsite.text import add_months, heading_id, long_date, slugify


@pytest.mark.parametrize(("heading", "anchor"), [
    ("People & Body", "people--body"),
    ("Risks and side effects", "risks-and-side-effects"),
    ("What's it like? (FAQ)", "whats-it-like-faq"),
    ("TCA CROSS: step 1", "tca-cross-step-1"),
    ("snake_case stays", "snake_case-stays"),
    ("Café au lait", "café-au-lait"),  # GitHub keeps letters with accents
])
def test_heading_id_is_githubs_anchor(heading: str, anchor: str) -> None:
    assert heading_id(heading) == anchor


def test_slugify_is_stable_and_plain() -> None:
    assert slugify("Café Scars & Marks") == "cafe-scars-marks"
    assert slugify(slugify("Ice-pick  scars")) == slugify("Ice-pick  scars") == "ice-pick-scars"
    assert slugify("!!!") == "article"


def test_dates() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 30), 36) == date(2029, 11, 30)
    assert long_date(date(2026, 12, 4)) == "4 December 2026"

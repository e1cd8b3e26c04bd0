"""Schema helpers: slugs and review dates."""

from __future__ import annotations

from datetime import date

import pytest

from scarsite.schema import SLUG, add_months, slugify


@pytest.mark.parametrize("text", ["Boxcar Scars", "  --ice pick--  ", "PIH/PIE", "é", "a--b"])
def test_slugify_is_idempotent_and_safe(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug
    assert SLUG.match(slug)


def test_add_months_moves_to_month_end() -> None:
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2024, 11, 15), 36) == date(2027, 11, 15)

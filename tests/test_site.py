"""The real site in this repository: it builds under --strict and its pages link both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from scarsite.build import BuildOptions, BuildReport, build

from .conftest import sections_of

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, Path]:
    output = tmp_path_factory.mktemp("site") / "build"
    return build(BuildOptions(source=ROOT, output=output, strict=True)), output


def test_real_site_builds_strictly(built: tuple[BuildReport, Path]) -> None:
    report, output = built
    assert [str(p) for p in report.problems.items] == []
    counts = report.pages_per_section()
    assert counts["scar-types"] >= 2 and counts["treatments"] >= 2
    assert counts["aftercare"] >= 1 and counts["guides"] >= 1
    for name in ("index.html", "404.html", "sitemap.xml", "feed.xml", "robots.txt"):
        assert (output / name).is_file()


def test_real_site_scar_types_and_treatments_link_both_ways(
        built: tuple[BuildReport, Path]) -> None:
    report, output = built
    assert report.site is not None
    base = report.site.config.base_path
    pairs = 0
    for treatment in report.site.section("treatment"):
        treatment_links = sections_of((output / treatment.path / "index.html").read_text())
        for scar in report.site.section("scar-type"):
            scar_links = sections_of((output / scar.path / "index.html").read_text())
            on_treatment = base + scar.path in treatment_links.get("Scar types it can help", [])
            on_scar = base + treatment.path in scar_links.get("Treatments that can help", [])
            assert on_treatment == on_scar, (treatment.slug, scar.slug)
            pairs += on_treatment
            named = (scar.slug in treatment.meta.terms.get("scar_types", ())
                     or treatment.slug in scar.meta.terms.get("treatments", ()))
            assert on_treatment == named, (treatment.slug, scar.slug)
    assert pairs >= 2


def test_real_site_article_pages_show_review_and_disclaimer(
        built: tuple[BuildReport, Path]) -> None:
    report, output = built
    assert report.site is not None
    for article in report.site.articles:
        html = (output / article.path / "index.html").read_text()
        assert "Last reviewed" in html and "Reviewed by" in html
        assert ("Next review due" in html) == (article.kind != "page")
        assert "Medical disclaimer" in html
        assert article.meta.reviewer in html

"""The real site in this repository: it builds under --strict and its pages link both ways."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scarsite.build import BuildReport

from .conftest import build_site_at, run_scarsite, sections_of


@pytest.fixture(scope="module")
def built(real_site_source: Path,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, Path]:
    output = tmp_path_factory.mktemp("site") / "build"
    return build_site_at(real_site_source, output=output, strict=True), output


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
        assert "Evidence checked" in html and "Clinical review" in html
        assert ("Next review due" in html) == (article.kind != "page")
        assert "Medical disclaimer" in html
        assert article.meta.reviewer in html


def test_real_site_meets_the_plain_language_targets(real_site_source: Path,
                                                    tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    result = run_scarsite("check", "--strict", "--no-cache", "--report", report_file,
                          cwd=real_site_source)
    assert result.returncode == 0, result.stderr
    numbers = json.loads(report_file.read_text())
    site = numbers["site"]
    assert site["median_grade"] <= 7 and site["highest_grade"] <= 9
    assert site["long_sentence_share"] < 0.10
    articles = [a for a in numbers["articles"] if a["kind"] != "page"]
    assert len(articles) >= 36
    assert all(a["references"] >= 2 for a in articles)
    assert all(a["cards"] >= 1 for a in articles if a["kind"] in ("treatment", "aftercare"))
    assert all(a["undefined_terms"] == [] for a in numbers["articles"])


def test_real_site_has_every_planned_article_and_a_full_glossary(
        built: tuple[BuildReport, Path]) -> None:
    report, _ = built
    assert report.site is not None
    slugs = {a.kind: set() for a in report.site.articles}
    for a in report.site.articles:
        slugs[a.kind].add(a.slug)
    assert {"ice-pick", "boxcar", "rolling", "hypertrophic", "keloid", "dark-marks",
            "red-marks"} <= slugs["scar-type"]
    assert len(slugs["treatment"]) >= 16 and "acupuncture" in slugs["treatment"]
    assert len(slugs["aftercare"]) >= 6 and len(slugs["guide"]) >= 7
    assert len(report.site.glossary) >= 30
    acupuncture = next(a for a in report.site.articles if a.slug == "acupuncture")
    assert acupuncture.meta.evidence == "insufficient"
    assert all(a.meta.reviewer.endswith("awaiting clinical review") for a in report.site.articles)

"""Render stage: templates, escaping, template mistakes located, fingerprinted stylesheet."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scarsite.build import BuildOptions, build

from .conftest import article


def test_text_from_front_matter_is_escaped(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/guides/g.md": article(
        "<script>alert(1)</script>", "guide", summary='"Fish & <chips>"')})
    report = build(BuildOptions(source=site))
    assert report.ok
    html = (site / "build/guides/g/index.html").read_text()
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Fish &amp; &lt;chips&gt;" in html


def test_kind_template_falls_back_to_article(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "content/treatments/t.md": article("T", "treatment"),
        "content/guides/g.md": article("G", "guide"),
    })
    assert build(BuildOptions(source=site)).ok
    assert "<dt>sessions</dt>" in (site / "build/treatments/t/index.html").read_text()
    assert "<dt>sessions</dt>" not in (site / "build/guides/g/index.html").read_text()


def test_template_mistakes_are_located(make_site: Callable[..., Path]) -> None:
    site = make_site({
        "content/guides/g.md": article("G", "guide"),
        "templates/section.html": "{% extends 'base.html' %}\n{% block main %}\n{% if %}\n",
        "templates/404.html": "line one\n{{ missing_name }}\n",
    })
    report = build(BuildOptions(source=site))
    assert [str(p) for p in report.problems.sorted()] == [
        "templates/404.html:2: template: UndefinedError: 'missing_name' is undefined",
        "templates/section.html:3: template: Expected an expression, got 'end of statement block'",
    ]


def test_missing_template_is_named(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide")})
    (site / "templates/article.html").unlink()
    report = build(BuildOptions(source=site))
    assert [str(p) for p in report.problems.items] == [
        "templates: template: missing: templates/guide.html or templates/article.html"]


def test_stylesheet_is_fingerprinted_and_referenced(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide")})
    (site / "static/style.css").write_text("body { color: black; }\n")
    build(BuildOptions(source=site))
    first = sorted(p.name for p in (site / "build/static").glob("style.*.css"))
    (site / "static/style.css").write_text("body { color: navy; }\n")
    build(BuildOptions(source=site))
    second = sorted(p.name for p in (site / "build/static").glob("style.*.css"))
    assert len(first) == len(second) == 1 and first != second
    assert f'href="/static/{second[0]}"' in (site / "build/index.html").read_text()
    assert (site / "build/static/img/dot.gif").read_bytes() == b"GIF89a"


def test_the_which_scar_guide_is_offered_on_the_home_page_and_the_scar_types_page(
        make_themed_site: Callable[..., Path]) -> None:
    files = {"content/scar-types/rolling.md": article("Rolling scars", "scar-type"),
             "content/guides/g.md": article("Another guide", "guide")}
    site = make_themed_site(files, name="without")
    assert build(BuildOptions(source=site, search=False, cache=False)).ok
    assert 'class="chooser"' not in (site / "build/index.html").read_text()
    guide = {"content/guides/which-scar-is-mine.md": article("Which scar is mine?", "guide")}
    site = make_themed_site({**files, **guide}, name="with")
    assert build(BuildOptions(source=site, search=False, cache=False)).ok
    link = '<a href="/guides/which-scar-is-mine/">Which scar is mine?</a>'
    for page in ("index.html", "scar-types/index.html"):
        assert link in (site / "build" / page).read_text(), page
    assert 'class="chooser"' not in (site / "build/guides/index.html").read_text()


def test_pages_say_when_the_evidence_was_checked_and_whether_a_clinician_has_reviewed(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({
        "content/guides/checked.md": article("Checked", "guide"),
        "content/guides/reviewed.md": article(
            "Reviewed", "guide",
            clinical_review='{date: 2025-02-01, reviewer: "Dr A. Example, dermatologist"}')})
    assert build(BuildOptions(source=site, search=False, cache=False)).ok

    def review(page: str) -> list[str]:
        html = (site / "build/guides" / page / "index.html").read_text()
        footer = BeautifulSoup(html, "html.parser").select_one("footer.review")
        return [" ".join(e.get_text().split()) for e in footer.select("dt, dd")]
    evidence = ["Evidence checked",
                "1 January 2025, by Editorial team (evidence review); awaiting clinical review"]
    assert review("checked")[:4] == [*evidence, "Clinical review", "Not yet"]
    assert review("reviewed")[:4] == [*evidence, "Clinical review",
                                      "1 February 2025, by Dr A. Example, dermatologist"]


@pytest.mark.parametrize(("value", "message"), [
    ('{date: 2025-02-01}', "clinical_review: needs 'reviewer': the clinician's name and role"),
    ('{date: soon, reviewer: "Dr A"}',
     "clinical_review: 'soon' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"),
    ('{reviewer: "Dr A", when: 2025-02-01}',
     "clinical_review: unknown key 'when'; use date and reviewer"),
    ('"Dr A"', 'clinical_review: must be a mapping with date and reviewer, e.g. {date: '
     '2027-01-31, reviewer: "Dr A Smith, dermatologist"}'),
])
def test_a_wrong_clinical_review_is_an_error_at_its_line(
        make_themed_site: Callable[..., Path], value: str, message: str) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide",
                                                            clinical_review=value)})
    report = build(BuildOptions(source=site, search=False, cache=False))
    assert [str(p) for p in report.problems.errors][:1] == [f"content/guides/g.md:7: {message}"]

"""The comparison pages agree with the front matter of every treatment and scar type.

/compare/ has a matrix of the evidence for each treatment and scar type, in words, and a
table of the facts of each treatment; /compare/<scar type>/ lists the treatments for one
scar type, best evidence first. Each scar type's page links to its comparison.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from scarsite.build import BuildReport
from scarsite.model import Article
from scarsite.schema import EVIDENCE_LEVELS

from .conftest import article, build_site_at

FACTS = ("sessions", "interval", "downtime", "cost")
FACT_HEADINGS = ["Sessions", "Time between sessions", "Downtime", "Cost"]


def _page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path / "index.html").read_text(), "html.parser")


def _text(cell: Tag) -> str:
    return " ".join(cell.get_text().split())


def _rows(table: Tag) -> list[list[Tag]]:
    """The cells (th and td) of each body row."""
    return [row.find_all(["th", "td"]) for row in table.select("tbody > tr")]


def _header(table: Tag) -> list[str]:
    return [_text(th) for th in table.select("thead th")]


def _pair_level(treatment: Article, scar: Article) -> str | None:
    """The level for the pair, read from the two articles' front matter alone."""
    meta = treatment.meta
    named = (scar.slug in meta.terms.get("scar_types", ())
             or treatment.slug in scar.meta.terms.get("treatments", ()))
    return meta.evidence_by_scar_type.get(scar.slug, meta.evidence) if named else None


@pytest.fixture(scope="module")
def built(real_site_source: Path,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, Path]:
    output = tmp_path_factory.mktemp("compare") / "build"
    report = build_site_at(real_site_source, output=output)
    assert report.ok, [str(p) for p in report.problems.items]
    return report, output


def test_matrix_gives_the_evidence_for_each_pair_in_words(built) -> None:
    report, output = built
    treatments, scar_types = report.site.section("treatment"), report.site.section("scar-type")
    matrix = _page(output, "compare/").select_one("table.compare-matrix")
    assert _header(matrix) == ["Treatment", *[s.title for s in scar_types]]
    assert all(th["scope"] == "col" for th in matrix.select("thead th"))
    rows = _rows(matrix)
    assert [(_text(r[0].a), r[0].a["href"]) for r in rows] == [(t.title, "/" + t.path)
                                                              for t in treatments]
    # a card (on a narrow screen) leaves out the dashes, so one with no level says why
    unused = {_text(r[0].a): _text(r[0].select_one(".card-only")) for r in rows
              if r[0].select_one(".card-only")}
    assert unused == {"Acupuncture": "Not used for any of these types of scar",
                      "LED light therapy": "Not used for any of these types of scar"}
    words = set()
    for row, treatment in zip(rows, treatments, strict=True):
        assert row[0].name == "th" and row[0]["scope"] == "row"
        for cell, scar in zip(row[1:], scar_types, strict=True):
            level = _pair_level(treatment, scar)
            assert level == report.site.evidence_for(treatment, scar)
            assert cell["data-label"] == scar.title  # the label of the cell in a card
            if level:
                assert _text(cell) == level.capitalize(), (treatment.slug, scar.slug)
                words.add(_text(cell))
            else:
                # a dash to see, and words for a screen reader
                assert cell.select_one("[aria-hidden=true]").get_text() == "—"
                assert cell.select_one(".visually-hidden").get_text() == "not used"
    assert words == {"Moderate", "Limited"}  # both levels the real site uses for pairs
    # no cell is a link: 16 x 7 stops of Tab to the same 16 pages would help no one
    assert matrix.select("td a") == []


def test_pair_levels_differ_from_the_treatments_own_where_the_front_matter_says(
        built) -> None:
    report, output = built
    rows = {_text(r[0].a): [_text(c) for c in r[1:]]
            for r in _rows(_page(output, "compare/").select_one("table.compare-matrix"))}
    titles = [s.title for s in report.site.section("scar-type")]
    steroids = dict(zip(titles, rows["Steroid injections for raised scars"],
                        strict=True))
    assert (steroids["Hypertrophic scars"], steroids["Keloid scars"]) == ("Limited", "Moderate")


def test_facts_have_their_own_table_with_the_overall_evidence(built) -> None:
    report, output = built
    facts = _page(output, "compare/").select_one("table.compare-facts")
    assert _header(facts) == ["Treatment", "Evidence overall", *FACT_HEADINGS]
    rows = _rows(facts)
    for row, treatment in zip(rows, report.site.section("treatment"), strict=True):
        meta = treatment.meta
        assert (_text(row[0]), row[0].a["href"]) == (treatment.title, "/" + treatment.path)
        assert _text(row[1]) == meta.evidence.capitalize()
        assert row[1].a["href"] == f"/about/evidence/#{meta.evidence}"
        assert [_text(c) for c in row[2:]] == [getattr(meta.facts, key) or "not stated"
                                               for key in FACTS]
        assert [c["data-label"] for c in row[1:]] == ["Evidence overall", *FACT_HEADINGS]
    assert len(rows) == len(report.site.section("treatment")) >= 10


def test_each_scar_type_has_a_comparison_of_only_its_treatments_best_first(built) -> None:
    report, output = built
    compare = _page(output, "compare/")
    listed = [a["href"] for a in compare.select(".compare-by-scar-type a")]
    assert listed == [f"/compare/{s.slug}/" for s in report.site.section("scar-type")]
    rank = {level: index for index, level in enumerate(EVIDENCE_LEVELS)}
    for scar in report.site.section("scar-type"):
        page = _page(output, f"compare/{scar.slug}/")
        assert _text(page.h1) == f"Compare treatments: {scar.title}"
        expected = sorted(((t, level) for t in report.site.section("treatment")
                           if (level := _pair_level(t, scar))),
                          key=lambda pair: (rank[pair[1]], pair[0].title.lower()))
        table = page.select_one("table.compare-facts")
        assert _header(table) == ["Treatment", "Evidence for this type of scar", *FACT_HEADINGS]
        rows = _rows(table)
        assert [(_text(r[0]), _text(r[1])) for r in rows] == [
            (t.title, level.capitalize()) for t, level in expected], scar.slug
        assert [[_text(c) for c in r[2:]] for r in rows] == [
            [getattr(t.meta.facts, key) or "not stated" for key in FACTS] for t, _ in expected]
        links = {a.get_text(): a["href"] for a in page.select("main p a")}
        assert links["compare all the treatments"] == "/compare/"
        assert links[scar.title] == "/" + scar.path
        assert [a["href"] for a in page.select(".breadcrumbs a")] == [
            "/", "/compare/", f"/compare/{scar.slug}/"]


def test_scar_type_pages_link_their_comparison_and_give_the_pair_levels(built) -> None:
    report, output = built
    for scar in report.site.section("scar-type"):
        panel = _page(output, scar.path).find("h2", string="Treatments that can help").parent
        link = panel.select_one(".compare-link a")
        assert link["href"] == f"/compare/{scar.slug}/"
        assert _text(link) == "Compare the treatments for " + scar.title[0].lower() + \
            scar.title[1:]
        by_treatment = {_text(li.a): _text(li.select_one(".evidence"))
                        for li in panel.select(".article-list > li")}
        assert by_treatment == {t.title: f"Evidence: {report.site.evidence_for(t, scar)}"
                                for t in report.site.linked[scar] if t.kind == "treatment"}
    # and a treatment's page gives its level for each scar type it is used for
    panel = _page(output, "treatments/steroid-injections/").find(
        "h2", string="Scar types it can help").parent
    assert {_text(li.a): _text(li.select_one(".evidence"))
            for li in panel.select(".article-list > li")} == {
        "Hypertrophic scars": "Evidence: limited", "Keloid scars": "Evidence: moderate"}


def test_sitemap_lists_every_comparison(built) -> None:
    report, output = built
    sitemap = (output / "sitemap.xml").read_text()
    base = "https://scarsite.example.org/"
    for path in ["compare/", *(f"compare/{s.slug}/" for s in report.site.section("scar-type"))]:
        assert sitemap.count(f"<loc>{base}{path}</loc>") == 1, path
        assert (output / path / "index.html").is_file()


def test_comparison_order_is_best_evidence_then_title(make_themed_site,
                                                      tmp_path: Path) -> None:
    site = make_themed_site({
        "content/scar-types/rolling.md": article("Rolling scars", "scar-type",
                                                 treatments="[delta]"),
        "content/scar-types/keloid.md": article("Keloid scars", "scar-type"),
        "content/treatments/zeta.md": article("Zeta laser", "treatment", evidence="moderate",
                                              scar_types="[rolling]"),
        "content/treatments/beta.md": article("Beta needling", "treatment",
                                              evidence="moderate",
                                              scar_types="{rolling: limited}"),
        "content/treatments/alpha.md": article("Alpha peel", "treatment",
                                               scar_types="[rolling]"),
        "content/treatments/gamma.md": article("Gamma light", "treatment",
                                               evidence="insufficient",
                                               scar_types="[rolling]"),
        "content/treatments/delta.md": article("Delta cream", "treatment", evidence="strong",
                                               weight="9"),
    })
    report = build_site_at(site, output=tmp_path / "out")
    assert report.ok, [str(p) for p in report.problems.items]
    rows = _rows(_page(tmp_path / "out", "compare/rolling/").select_one("table.compare-facts"))
    assert [(_text(r[0]), _text(r[1])) for r in rows] == [
        ("Delta cream", "Strong"), ("Zeta laser", "Moderate"), ("Alpha peel", "Limited"),
        ("Beta needling", "Limited"), ("Gamma light", "Insufficient")]
    # a scar type that no treatment is for has no comparison, and its page no link to one
    assert not (tmp_path / "out/compare/keloid").exists()
    keloid = _page(tmp_path / "out", "scar-types/keloid/")
    assert keloid.select(".compare-link") == []
    assert [a["href"] for a in _page(tmp_path / "out", "compare/").select(
        ".compare-by-scar-type a")] == ["/compare/rolling/"]
    assert "/compare/keloid/" not in (tmp_path / "out/sitemap.xml").read_text()


@pytest.mark.parametrize("count", [12, 13])
def test_with_more_than_a_dozen_scar_types_each_row_lists_the_ones_it_is_used_for(
        count: int, make_themed_site, tmp_path: Path) -> None:
    """A column per scar type is a wall of dashes on a big site (3,000 rows by 1,000 columns
    made a 112 MB page): past a dozen, each treatment lists its scar types with their levels."""
    files = {f"content/scar-types/s{n:02}.md": article(f"Scar {n:02}", "scar-type")
             for n in range(count)}
    files["content/treatments/laser.md"] = article(
        "Laser", "treatment", evidence="moderate", scar_types="{s07: moderate, s02: limited}",
        treatments="[peel]")
    files["content/treatments/peel.md"] = article("Peel", "treatment")
    files["content/scar-types/s11.md"] = article("Scar 11", "scar-type", treatments="[laser]")
    site = make_themed_site(files)
    assert build_site_at(site, output=tmp_path / "out").ok
    page = _page(tmp_path / "out", "compare/")
    facts = page.select_one("table.compare-facts")
    assert [_text(r[0]) for r in _rows(facts)] == ["Laser", "Peel"]
    if count <= 12:
        matrix = page.select_one("table.compare-matrix")
        assert _header(matrix)[1:] == [f"Scar {n:02}" for n in range(count)]
        levels = {2: "Limited", 7: "Moderate", 11: "Moderate"}
        assert [_text(c) for c in _rows(matrix)[0][1:]] == [
            levels.get(n, "—not used") for n in range(count)]
        assert page.select_one("table.compare-list") is None
    else:
        assert page.select_one("table.compare-matrix") is None
        table = page.select_one("table.compare-list")
        assert _header(table) == ["Treatment", "Types of scar"]
        laser, peel = _rows(table)
        assert _text(laser[1]) == "Scar 02: limited, Scar 07: moderate, Scar 11: moderate"
        assert [a["href"] for a in laser[1].select("a")] == [
            "/scar-types/s02/", "/scar-types/s07/", "/scar-types/s11/"]
        assert _text(peel[1]) == "none listed"

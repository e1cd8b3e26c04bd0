"""The comparison page agrees with the front matter of every treatment and scar type."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from scarsite.build import BuildReport

from .conftest import article, build_site_at


class _TableParser(HTMLParser):
    """Rows of the comparison table as lists of (cell text, first link) pairs."""

    def __init__(self) -> None:
        super().__init__()
        self.caption = ""
        self.rows: list[list[tuple[str, str | None]]] = []
        self._cell: list[str] | None = None
        self._link: str | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell, self._link = [], None
        elif tag == "a" and self._cell is not None and self._link is None:
            self._link = dict(attrs).get("href")
        elif tag == "caption":
            self._in_caption = True

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_caption:
            self.caption += data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append((" ".join("".join(self._cell).split()), self._link))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False


@pytest.fixture(scope="module")
def built(real_site_source: Path,
          tmp_path_factory: pytest.TempPathFactory) -> tuple[BuildReport, _TableParser]:
    output = tmp_path_factory.mktemp("compare") / "build"
    report = build_site_at(real_site_source, output=output)
    assert report.ok
    parser = _TableParser()
    parser.feed((output / "compare" / "index.html").read_text())
    return report, parser


def test_compare_has_a_row_per_treatment_and_a_column_per_scar_type(built) -> None:
    report, table = built
    treatments = report.site.section("treatment")
    scar_types = report.site.section("scar-type")
    header = [text for text, _ in table.rows[0]]
    assert header == ["Treatment", "Evidence", *[s.title for s in scar_types],
                      "Sessions", "Downtime", "Cost"]
    assert [row[0] for row in table.rows[1:]] == [(t.title, "/" + t.path) for t in treatments]
    assert table.caption.startswith("Treatments for acne scars compared")


def test_compare_cells_match_front_matter(built) -> None:
    report, table = built
    scar_types = report.site.section("scar-type")
    for row, treatment in zip(table.rows[1:], report.site.section("treatment"), strict=True):
        meta = treatment.meta
        assert row[1] == (f"Evidence: {meta.evidence}", f"/about/evidence/#{meta.evidence}")
        for cell, scar in zip(row[2:2 + len(scar_types)], scar_types, strict=True):
            named = (scar.slug in meta.terms.get("scar_types", ())
                     or treatment.slug in scar.meta.terms.get("treatments", ()))
            assert cell == (("Yes", "/" + treatment.path) if named else ("No", None))
        facts = [(getattr(meta.facts, key, None) or "not stated")
                 for key in ("sessions", "downtime", "cost")]
        assert [text for text, _ in row[-3:]] == facts


@pytest.mark.parametrize("count", [12, 13])
def test_with_more_than_a_dozen_scar_types_each_row_lists_the_ones_it_helps(
        count: int, make_themed_site, tmp_path: Path) -> None:
    """A column per scar type is a wall of "No" on a big site (3,000 rows by 1,000 columns
    made a 112 MB page): past a dozen, each treatment lists the scar types it helps."""
    files = {f"content/scar-types/s{n:02}.md": article(f"Scar {n:02}", "scar-type")
             for n in range(count)}
    files["content/treatments/laser.md"] = article("Laser", "treatment",
                                                   scar_types="[s07, s02, s11]")
    files["content/treatments/peel.md"] = article("Peel", "treatment")
    site = make_themed_site(files)
    assert build_site_at(site, output=tmp_path / "out").ok
    table = _TableParser()
    table.feed((tmp_path / "out/compare/index.html").read_text())
    header = [text for text, _ in table.rows[0]]
    rows = {row[0][0]: [text for text, _ in row] for row in table.rows[1:]}
    if count <= 12:
        assert header[2:-3] == [f"Scar {n:02}" for n in range(count)]
        assert rows["Laser"][2:-3] == ["Yes" if n in (2, 7, 11) else "No" for n in range(count)]
    else:
        assert header == ["Treatment", "Evidence", "Scar types it can help", "Sessions",
                          "Downtime", "Cost"]
        assert rows["Laser"][2] == "Scar 02, Scar 07, Scar 11"
        assert table.rows[1][2][1] == "/scar-types/s02/"  # each scar type is a link
        assert rows["Peel"][2] == "none listed"

"""Structured data and page meta: JSON-LD, canonical URL, Open Graph, description, contents."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from .conftest import article, build_site_at, write_themed_site

BASE = "https://example.org/acne/"
LONG_BODY = "".join(f"## Part {n}\n\n" + "Plain words here. " * 40 + "\n\n" for n in range(1, 4))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small site, built once for the tests that only read its pages."""
    site = write_themed_site(tmp_path_factory.mktemp("structured") / "themed", {
        "pyproject.toml": f'[tool.scarsite]\ntitle = "Scars"\nbase_url = "{BASE}"\n'
                          'language = "en-GB"\n',
        "content/scar-types/rolling.md": article(
            "Rolling scars", "scar-type", LONG_BODY, also_known_as='["pockmarks"]',
            reviewed="2026-03-04"),
        "content/scar-types/boxcar.md": article("Boxcar scars", "scar-type"),
        "content/treatments/subcision.md": article(
            "Subcision", "treatment", "## One\n\nShort.\n\n## Two\n\nShort.\n\n## Three\n",
            scar_types="[rolling]",
            references='[{text: "A trial.", doi: "10.1000/x1", pmid: "123"}, "A book."]'),
        "content/treatments/peels.md": article("Peels", "treatment", scar_types="[boxcar]"),
        "content/guides/basics.md": article("Basics", "guide", treatments="[subcision]"),
        "content/guides/types.md": article("Types", "guide", scar_types="[rolling]",
                                           treatments="[subcision]"),
    })
    report = build_site_at(site)
    assert report.ok, [str(p) for p in report.problems.items]
    return site


def _page(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / "build" / path / "index.html").read_text(), "html.parser")


def _json_ld(page: BeautifulSoup) -> dict:
    scripts = page.find_all("script", type="application/ld+json")
    assert len(scripts) == 1
    return json.loads(scripts[0].string)


def test_scar_type_is_a_condition_with_its_linked_treatments(site: Path) -> None:
    page = _page(site, "scar-types/rolling")
    data = _json_ld(page)
    assert data["@context"] == "https://schema.org" and data["@type"] == "MedicalWebPage"
    assert data["name"] == "Rolling scars" and data["url"] == BASE + "scar-types/rolling/"
    assert data["inLanguage"] == "en-GB"
    assert data["audience"] == {"@type": "Patient"}
    assert data["reviewedBy"]["name"].startswith("Editorial team")
    assert data["about"] == {
        "@type": "MedicalCondition", "name": "Rolling scars", "alternateName": ["pockmarks"],
        "url": BASE + "scar-types/rolling/",
        "possibleTreatment": [{"@type": "MedicalTherapy", "name": "Subcision",
                               "url": BASE + "treatments/subcision/"}],
    }
    # The visible review date and the structured one come from the same field.
    visible = page.select_one("footer.review time")
    assert visible["datetime"] == data["lastReviewed"] == "2026-03-04"
    assert visible.get_text() == "4 March 2026"


def test_treatment_is_a_therapy_with_citations(site: Path) -> None:
    data = _json_ld(_page(site, "treatments/subcision"))
    assert data["about"] == {"@type": "MedicalTherapy", "name": "Subcision",
                             "url": BASE + "treatments/subcision/"}
    assert data["citation"] == [
        {"@type": "CreativeWork", "name": "A trial.", "url": "https://doi.org/10.1000/x1",
         "sameAs": ["https://pubmed.ncbi.nlm.nih.gov/123/"]},
        {"@type": "CreativeWork", "name": "A book."},
    ]
    assert data["publishingPrinciples"] == BASE + "about/"


def test_guides_are_about_the_scar_types_they_link_and_pages_are_web_pages(site: Path) -> None:
    guide = _json_ld(_page(site, "guides/basics"))
    assert "about" not in guide  # it links a treatment only, which its text names
    guide = _json_ld(_page(site, "guides/types"))
    assert guide["about"] == [{"@type": "MedicalCondition", "name": "Rolling scars",
                               "url": BASE + "scar-types/rolling/"}]
    about = _json_ld(_page(site, "about"))
    assert about["@type"] == "WebPage" and "audience" not in about


def test_canonical_open_graph_and_description(site: Path) -> None:
    page = _page(site, "scar-types/rolling")
    url = BASE + "scar-types/rolling/"
    summary = "About rolling scars."
    assert page.find("link", rel="canonical")["href"] == url
    assert page.find("meta", attrs={"name": "description"})["content"] == summary
    og = {m["property"]: m["content"] for m in page.find_all("meta", property=True)}
    assert og == {"og:type": "article", "og:site_name": "Scars", "og:title": "Rolling scars",
                  "og:description": summary, "og:url": url}


def test_contents_only_on_long_articles(site: Path) -> None:
    long_page = _page(site, "scar-types/rolling").select_one("nav.toc")
    assert [a["href"] for a in long_page.select("a")] == ["#part-1", "#part-2", "#part-3"]
    # Three sections but few words: no contents box.
    assert _page(site, "treatments/subcision").select_one("nav.toc") is None


def test_glossary_page_has_a_defined_term_set(make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({
        "content/glossary.yaml": '- term: dermis\n  definition: "A layer."\n',
        "content/guides/g.md": article("G", "guide", "The dermis.\n")})
    assert build_site_at(site).ok
    data = _json_ld(_page(site, "glossary"))
    assert data["@type"] == "DefinedTermSet"
    assert data["hasDefinedTerm"] == [{"@type": "DefinedTerm", "name": "dermis",
                                       "description": "A layer.",
                                       "url": data["url"] + "#dermis"}]
    assert data["url"].endswith("/glossary/")

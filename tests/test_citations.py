"""In-text citations (citations.py) and reference checks (schema.py), through real builds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

from scarsite.build import BuildOptions, build
from scarsite.cache import Known, MemoryCache

from .conftest import article

REFERENCES = """
  - id: trial
    text: "A trial."
    pmid: 123
  - id: review
    text: "A review."
    doi: "10.1000/xyz"
  - id: preprint
    text: "A preprint."
    url: "https://example.org/p"
    preprint: true"""
BODY = ("## What it does\n\nIt helped in a trial [@trial]. Reviews agree [@review; @trial].\n\n"
        "A preprint says more [@preprint].\n\n!!! non-urgent\n    - see a doctor\n")


def build_article(make_themed_site: Callable[..., Path], body: str = BODY,
                  references: str = REFERENCES, settings: str = "require_citations = true",
                  cache: MemoryCache | None = None, site: Path | None = None):
    if site is None:
        site = make_themed_site({"content/treatments/t.md": article(
            "T", "treatment", body, references=references)})
        if settings:
            (site / "pyproject.toml").write_text(f"[tool.scarsite]\n{settings}\n")
    report = build(BuildOptions(source=site, search=False, cache=False), cache)
    html = site / "build/treatments/t/index.html"
    soup = BeautifulSoup(html.read_text(), "html.parser") if report.ok else None
    return site, report, soup


def messages(report) -> list[str]:
    return [str(p) for p in report.problems.items]


def test_a_citation_is_a_numbered_link_to_its_reference_and_back(
        make_themed_site: Callable[..., Path]) -> None:
    _, report, soup = build_article(make_themed_site)
    assert messages(report) == []
    citations = soup.select(".body sup.citation")
    assert [[(a.get_text(), a["href"], a["id"]) for a in sup.select("a")] for sup in citations] == [
        [("1", "#ref-1", "cite-1-1")],
        [("2", "#ref-2", "cite-2-1"), ("1", "#ref-1", "cite-1-2")],
        [("3", "#ref-3", "cite-3-1")]]
    assert citations[1].get_text() == "2, 1"
    entries = soup.select(".references li")
    assert [li["id"] for li in entries] == ["ref-1", "ref-2", "ref-3"]
    back = entries[0].select("a.back")
    assert [(a["href"], a.get_text(), a["aria-label"]) for a in back] == [
        ("#cite-1-1", "↩1", "Back to the text, 1"), ("#cite-1-2", "↩2", "Back to the text, 2")]
    assert [(a["href"], a.get_text(), a["aria-label"]) for a in entries[1].select("a.back")] == [
        ("#cite-2-1", "↩", "Back to the text")]
    assert "Preprint: not yet checked" in entries[2].get_text()
    assert "Preprint" not in entries[0].get_text()


def test_an_unknown_id_is_an_error_at_its_line_with_the_closest_id(
        make_themed_site: Callable[..., Path]) -> None:
    body = BODY.replace("[@review; @trial]", "[@review; @trail]")
    _, report, _ = build_article(make_themed_site, body)
    assert messages(report) == [
        "content/treatments/t.md:23: citation: '@trail' is not the id of a reference of this "
        "article (did you mean 'trial'?)"]


def test_a_reference_never_cited_or_with_no_identifier_is_a_warning_at_its_line(
        make_themed_site: Callable[..., Path]) -> None:
    references = REFERENCES + '\n  - id: book\n    text: "A book."\n  - text: "A web page."' \
        '\n    url: "https://example.org/w"'
    _, report, _ = build_article(make_themed_site, references=references)
    assert messages(report) == [
        "content/treatments/t.md:19: warning: references: item 4 has no pmid, doi, url or "
        "isbn; add one so that readers can find it",
        "content/treatments/t.md:19: warning: references: 'book' is not cited in the text; "
        "cite it with [@book] after the claim it backs, or remove it",
        "content/treatments/t.md:21: warning: references: item 5 has no id, so the text cannot "
        "cite it; add 'id:' and cite it with [@id] after the claim it backs"]
    assert report.ok  # warnings: only --strict (make check) fails on them


def test_the_checks_are_off_unless_the_site_turns_them_on(
        make_themed_site: Callable[..., Path]) -> None:
    _, report, _ = build_article(make_themed_site, "Plain text, no citations.\n\n!!! non-urgent"
                                 "\n    - see a doctor\n", '\n  - text: "Untraceable."',
                                 settings="")
    assert messages(report) == []


def test_bad_reference_fields_are_errors(make_themed_site: Callable[..., Path]) -> None:
    references = ('\n  - id: "two words"\n    text: "A."\n    isbn: "12"\n    preprint: "yes"'
                  '\n  - id: a\n    text: "B."\n    pmid: 1'
                  '\n  - id: a\n    text: "C."\n    pmid: 2')
    _, report, _ = build_article(make_themed_site, "[@a]\n\n!!! non-urgent\n    - x\n",
                                 references)
    assert [m for m in messages(report) if "warning" not in m] == [
        "content/treatments/t.md:9: references: id 'two words' is not an id such as "
        "'cochrane-2016' (letters, digits, '-', '_', '.' and ':')",
        "content/treatments/t.md:9: references: isbn '12' is not an ISBN such as "
        "'978-0-19-953556-9'",
        "content/treatments/t.md:9: references: preprint must be true or false, not 'yes'",
        "content/treatments/t.md:16: references: id 'a' is given to two references; give each "
        "its own"]


def test_reordered_references_renumber_a_body_kept_from_the_last_build(
        make_themed_site: Callable[..., Path]) -> None:
    cache = MemoryCache(Known())
    site, _, soup = build_article(make_themed_site, cache=cache)
    assert soup.select_one(".body sup.citation a")["href"] == "#ref-1"
    path = site / "content/treatments/t.md"
    text = path.read_text()
    trial = '  - id: trial\n    text: "A trial."\n    pmid: 123\n'
    path.write_text(text.replace(trial, "").replace("    preprint: true\n",
                                                    "    preprint: true\n" + trial))
    _, _, soup = build_article(make_themed_site, cache=cache, site=site)
    assert soup.select_one(".body sup.citation a")["href"] == "#ref-3"

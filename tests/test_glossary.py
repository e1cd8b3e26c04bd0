"""The glossary: the data file, the /glossary/ page, and term links in articles."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

from scarsite.errors import Problems
from scarsite.glossary import Glossary
from scarsite.markup import Body

from .conftest import article, build_site_at, run_scarsite, with_sample_site

GLOSSARY = """\
- term: collagen
  definition: "A protein that makes skin strong."
  aliases: [collagen fibres]

- term: dermis
  definition: "The deep layer of skin."

- term: PIH
  definition: "Dark marks left after a spot heals."

- term: subcision
  definition: "Cutting bands under a scar with a needle."
"""

BODY = """Scars form when the dermis is hurt. Collagen fibres help; more collagen is made later.

## About collagen

The `dermis` in code and [a dermis link](https://example.org/) stay as they are. Dermis again.

PIH and pih, then [the procedure](glossary:subcision) and [this](glossary:subcison).
"""


def _built(make_themed_site: Callable[..., Path], files: dict[str, str]):
    site = make_themed_site(files)
    report = build_site_at(site)
    assert report.ok, [str(p) for p in report.problems.errors]
    return site


def _soup(site: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((site / "build" / path / "index.html").read_text(), "html.parser")


def _files(body: str = BODY) -> dict[str, str]:
    return {"content/glossary.yaml": GLOSSARY, "content/guides/g.md": article("G", "guide", body)}


def test_glossary_page_lists_every_term_with_an_anchor(make_themed_site) -> None:
    site = _built(make_themed_site, _files())
    page = _soup(site, "glossary")
    terms = {dt["id"]: (dt.get_text(strip=True), dt.find_next_sibling("dd").get_text(strip=True))
             for dt in page.select("dl.glossary dt")}
    assert terms == {
        "collagen": ("collagen", "A protein that makes skin strong."),
        "dermis": ("dermis", "The deep layer of skin."),
        "pih": ("PIH", "Dark marks left after a spot heals."),
        "subcision": ("subcision", "Cutting bands under a scar with a needle."),
    }
    assert [h2.get_text() for h2 in page.select("main h2")] == ["C", "D", "P", "S"]
    assert page.select_one("dt#collagen dfn") is not None


@with_sample_site(_files())
def test_first_use_of_each_term_is_linked_and_later_uses_are_not(
        bodies: dict[str, Body], problems: Problems) -> None:
    assert not problems.failed(), [str(p) for p in problems.errors]
    body = BeautifulSoup(bodies["content/guides/g.md"].html, "html.parser")  # the page's div.body
    links = body.select("span.term > a")
    assert [(a.get_text(), a["href"]) for a in links] == [
        ("dermis", "/glossary/#dermis"),
        ("Collagen fibres", "/glossary/#collagen"),
        ("PIH", "/glossary/#pih"),
        ("the procedure", "/glossary/#subcision"),
    ]
    for link in links:  # the definition is the link's description, shown on hover and focus
        tip = body.find(id=link["aria-describedby"])
        assert tip.get("role") == "tooltip" and tip.parent is link.parent
        assert "data-pagefind-ignore" in tip.attrs
    assert body.select_one("span.term #term-collagen").get_text() == \
        "A protein that makes skin strong."
    # Headings, code and existing links are left alone; the unknown name became plain text.
    assert body.find("h2").get_text() == "About collagen"
    assert body.find("code").get_text() == "dermis"
    assert [a.get_text() for a in body.select("a:not(span.term > a)")] == ["a dermis link"]
    assert "this" in body.get_text() and "glossary:" not in str(body)


def test_unknown_and_unused_terms_are_warnings(make_themed_site) -> None:
    site = make_themed_site(_files(BODY.replace("PIH and pih", "Dark marks")))
    result = run_scarsite("build", "--no-search", "--no-cache", cwd=site)
    assert result.returncode == 0
    assert result.stderr.splitlines()[:2] == [
        "content/glossary.yaml:8: warning: term: 'PIH' is not used in any article; "
        "use it or remove its definition",
        "content/guides/g.md:15: warning: glossary: 'subcison' is not defined in "
        "content/glossary.yaml (did you mean 'subcision'?)",
    ]
    assert run_scarsite("build", "--no-search", "--no-cache", "--strict", cwd=site).returncode == 1


def test_glossary_mistakes_are_located(make_themed_site) -> None:
    glossary = ("- term: scar\n  definition: \"A mark.\"\n"
                "- term: marks\n  definition: \"Many marks.\"\n  aliases: [Scar]\n"
                "- term: keloid\n"
                "- term: PIH\n  definition: \"Dark marks.\"\n  alias: [pih]\n"
                "- just text\n")
    site = make_themed_site({"content/glossary.yaml": glossary,
                             "content/guides/g.md": article("G", "guide", "A scar.\n")})
    result = run_scarsite("build", "--no-search", "--no-cache", cwd=site)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "content/glossary.yaml:3: term: 'Scar' is already defined by 'scar' on line 1",
        "content/glossary.yaml:6: definition: missing",
        "content/glossary.yaml:9: alias: unknown key (did you mean 'aliases'?); "
        "use term, definition, aliases",
        "content/glossary.yaml:10: glossary: each entry needs 'term:' and 'definition:' lines",
        "failed: 4 errors, 0 warnings; nothing was written",
    ]


@with_sample_site({"content/glossary.yaml": "collagen: a protein\n",
                   "content/guides/g.md": article("G", "guide")})
def test_glossary_that_is_not_a_list(glossary: Glossary, problems: Problems) -> None:
    assert str(problems.sorted()[0]) == (
        "content/glossary.yaml:1: glossary: must be a list of entries, each starting "
        "'- term: ...' with a 'definition: ...' line")


def test_theme_without_a_glossary_page_is_an_error(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/glossary.yaml": GLOSSARY,
                      "content/guides/g.md": article("G", "guide", BODY)})
    result = run_scarsite("build", "--no-search", "--no-cache", cwd=site)
    assert result.returncode == 1
    assert ("content/glossary.yaml: glossary: articles link to /glossary/, but there is no "
            "templates/glossary.html to make it") in result.stderr.splitlines()


def test_emergency_cards_get_no_glossary_links(make_themed_site) -> None:
    body = "!!! emergency\n    - the dermis turns pale\n\nLater the dermis heals.\n"
    site = _built(make_themed_site, _files(body))
    page = _soup(site, "guides/g")
    assert page.select_one(".callout-emergency a") is None
    assert [a.get_text() for a in page.select("span.term > a")] == ["dermis"]
    assert page.select_one("span.term").find_parent(class_="callout") is None

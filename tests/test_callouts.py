"""Callouts and "when to get help" cards: Markdown syntax, headings that say the level, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

from scarsite.build import BuildOptions, build

from .conftest import article, run_scarsite

CARDS = """Intro.

## When to get help

!!! non-urgent
    - a raised scar keeps growing

!!! urgent
    - the skin gets hot and swollen

!!! emergency
    - the skin turns pale after a filler

### Other notes

!!! info
    Good to know.

!!! warning "Stop using the cream if"
    - your skin blisters
"""


def _page(make_site: Callable[..., Path], body: str) -> tuple[BuildOptions, BeautifulSoup]:
    site = make_site({"content/guides/g.md": article("G", "guide", body)})
    options = BuildOptions(source=site, output=site / "build", search=False, cache=False)
    report = build(options)
    assert report.ok, [str(p) for p in report.problems.items]
    html = (site / "build/guides/g/index.html").read_text()
    return options, BeautifulSoup(html, "html.parser")


def test_every_level_has_its_words_in_the_heading(make_site: Callable[..., Path]) -> None:
    _, page = _page(make_site, CARDS)
    boxes = page.select("div.callout")
    found = {box["class"][1]: box.find(["h2", "h3", "h4"]) for box in boxes}
    assert {kind: heading.get_text(" ", strip=True) for kind, heading in found.items()} == {
        "callout-non-urgent": "Non-urgent advice: See a doctor or dermatologist if:",
        "callout-urgent": "Urgent advice: Ask for an urgent appointment if:",
        "callout-emergency": "Immediate action required: Call emergency services or go to A&E if:",
        "callout-info": "Information",
        "callout-warning": "Important: Stop using the cream if",
    }
    # Each heading sits one level below the section it is in, so no level is skipped.
    assert [found[f"callout-{k}"].name for k in ("non-urgent", "urgent", "emergency")] == ["h3"] * 3
    assert found["callout-info"].name == "h4" and found["callout-warning"].name == "h4"
    urgent = page.select_one("div.callout-urgent .callout-content li")
    assert urgent.get_text() == "the skin gets hot and swollen"


def test_card_headings_stay_out_of_the_contents(make_site: Callable[..., Path]) -> None:
    _, page = _page(make_site, CARDS)
    assert all(not heading.get("id") for heading in page.select(".callout-heading"))


def test_card_at_the_top_of_a_body_is_an_h2(make_site: Callable[..., Path]) -> None:
    _, page = _page(make_site, "!!! urgent\n    - now\n")
    assert page.select_one(".callout-urgent .callout-heading").name == "h2"


def test_unknown_box_kind_is_an_error_with_its_line(make_site: Callable[..., Path]) -> None:
    body = "Text.\n\n!!! urgnet\n    - soon\n\n!!! note\n    Aside.\n"
    site = make_site({"content/guides/g.md": article("G", "guide", body)})
    result = run_scarsite("build", "--no-search", "--no-cache", cwd=site)
    assert result.returncode == 1
    assert result.stderr.splitlines()[:2] == [
        "content/guides/g.md:11: callout: unknown box '!!! urgnet' (did you mean 'urgent'?); "
        "use one of non-urgent, urgent, emergency, info, warning",
        "content/guides/g.md:14: callout: unknown box '!!! note'; "
        "use one of non-urgent, urgent, emergency, info, warning",
    ]
    assert not (site / "build").exists()


def test_a_card_without_indented_content_is_a_warning(make_site: Callable[..., Path]) -> None:
    body = "Text.\n\n!!! urgent\n- not indented\n"
    site = make_site({"content/guides/g.md": article("G", "guide", body)})
    result = run_scarsite("build", "--no-search", "--no-cache", cwd=site)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "content/guides/g.md:11: warning: callout: '!!! urgent' is empty; indent its content "
        "by 4 spaces under it"]

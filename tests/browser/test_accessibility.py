"""Accessibility: axe-core (bundled with axe-playwright-python) with the WCAG 2.0, 2.1 and 2.2
level A and AA rules, on the built site in Chromium. Zero violations, no rule turned off.

One page of every template is checked in light mode, in dark mode and on a 375 px screen (the
target-size and colour rules depend on them); then every page of the site in light mode.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from bs4 import BeautifulSoup
from playwright.sync_api import expect

from ..conftest import GATE_COUNTS, REPO
from .browser_support import (
    SiteServer,
    Tab,
    TabFactory,
    html_pages,
    page_url,
    search_results,
)

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}

# One page per template (templates/<name>.html), by what a reader sees.
TEMPLATE_PAGES = {
    "home": ("home.html", ""),
    "section-index": ("section.html", "scar-types/"),
    "scar-type": ("article.html", "scar-types/rolling/"),
    "treatment": ("treatment.html", "treatments/subcision/"),
    "aftercare": ("article.html", "aftercare/after-subcision-or-fillers/"),
    "guide": ("article.html", "guides/faq/"),
    "site-page": ("page.html", "about/"),
    "site-sub-page": ("page.html", "about/evidence/"),
    "comparison": ("compare.html", "compare/"),
    "comparison-of-a-scar-type": ("compare-scar-type.html", "compare/rolling/"),
    "glossary": ("glossary.html", "glossary/"),
    "search-results": ("search.html", "search/?q=pockmarks"),
    "not-found": ("404.html", "no-such-page/"),
}
MODES = {"light": {}, "dark": {"color_scheme": "dark"},
         "phone": {"width": 375, "height": 740}}
_checked: set[tuple[str, str]] = set()

axe = Axe()


def _violations(tab: Tab) -> list[dict[str, Any]]:
    results = axe.run(tab.page, options=OPTIONS).response
    assert results["testEngine"]["name"] == "axe-core"
    assert results["toolOptions"]["runOnly"]["values"] == TAGS
    return results["violations"]


def _describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        for node in v["nodes"][:5]:
            summary = " ".join((node.get("failureSummary") or "").split())
            lines.append(f"    {node['target']}: {summary[:300]}")
    return "\n".join(lines)


def _open(tab: Tab, path: str) -> None:
    if path == "no-such-page/":
        tab.expect_status(tab.server.url(path), 404)
        assert tab.goto(path).status == 404
    else:
        assert tab.goto(path).status == 200
    if path.startswith("search/"):
        search_results(tab.page, path.split("q=", 1)[1])  # every result shown


def test_the_tags_name_rules_of_the_bundled_axe_core(tab: Tab) -> None:
    tab.goto("")
    tab.page.evaluate(axe.axe_script)
    for tag in TAGS:
        assert tab.page.evaluate("tag => axe.getRules([tag]).length", tag) > 0, tag
    assert "target-size" in tab.page.evaluate("axe.getRules(['wcag22aa']).map(r => r.ruleId)")


def test_axe_finds_violations_when_there_are_some(tab: Tab) -> None:
    """The same run reports real mistakes, so a clean result means something."""
    tab.page.set_content('<!doctype html><html><title>Broken</title><body><main>'
                         '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
                         '<p style="color:#bbb;background:#fff">Pale text</p>'
                         '<a href="/x"></a></main></body></html>')
    found = {v["id"] for v in _violations(tab)}
    assert {"image-alt", "color-contrast", "link-name", "html-has-lang"} <= found


def test_every_template_has_a_page_checked() -> None:
    templates = {p.name for p in (REPO / "templates").glob("*.html")
                 if not p.name.startswith("_") and p.name != "base.html"}
    assert templates == {template for template, _ in TEMPLATE_PAGES.values()}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", TEMPLATE_PAGES)
def test_template_page_has_no_wcag_a_or_aa_violations(new_tab: TabFactory, name: str,
                                                      mode: str) -> None:
    tab = new_tab(**MODES[mode])
    path = TEMPLATE_PAGES[name][1]
    _open(tab, path)
    violations = _violations(tab)
    terms = tab.page.locator(".term > a")
    if terms.count():  # also with a glossary definition showing, and a link in focus
        terms.first.focus()
        expect(tab.page.locator(".term-tip").first).to_be_visible()
        violations += _violations(tab)
    assert violations == [], f"{path} ({mode}):\n{_describe(violations)}"
    _checked.add((path, mode))
    GATE_COUNTS["axe: template pages x modes checked"] = str(len(_checked))


def test_every_page_has_no_wcag_a_or_aa_violations(tab: Tab, built_site: Path,
                                                   site_server: SiteServer) -> None:
    failures = {}
    checked = 0
    for file in html_pages(built_site):
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        if soup.find("meta", attrs={"http-equiv": "refresh"}):
            continue  # an old address that sends the browser on at once (checked by Nu)
        url = page_url(built_site, file, site_server.base_path)
        assert tab.goto(url).status == 200, url
        violations = _violations(tab)
        if violations:
            failures[url] = _describe(violations)
        checked += 1
    assert checked >= 40
    assert failures == {}, "\n".join(f"{url}:\n{text}" for url, text in failures.items())
    GATE_COUNTS["axe: every page in light mode"] = str(checked)

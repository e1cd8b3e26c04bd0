"""The built site in a real browser (Debian's Chromium through Playwright), used as readers use it.

Every tab is watched (see `Tab` in browser_support): a console error, an uncaught script error,
a failed request, an error status or a request to any host but the test server fails the test.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Page, expect

from ..conftest import GATE_COUNTS
from .browser_support import (
    ARTIFACTS,
    LOAD_EVERY_PICTURE,
    SiteServer,
    Tab,
    TabFactory,
    html_pages,
    require_tool,
    search_results,
)
from .browser_support import page_url as url_of

SCAR_TYPE = "Rolling scars"  # a scar type of the real site, and one of its treatments
TREATMENT = "Subcision"
PHONE = {"width": 375, "height": 740}


def _h1(page: Page) -> str:
    return page.get_by_role("heading", level=1).inner_text().strip()


def _breadcrumbs(page: Page) -> list[str]:
    return [text.strip() for text in
            page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").all_inner_texts()]


def _current_crumb(page: Page) -> str:
    return page.locator(".breadcrumbs [aria-current=page]").inner_text().strip()


# --- the set-up itself -----------------------------------------------------------------------

def test_a_missing_browser_or_java_skips_here_and_fails_under_ci(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert require_tool("/usr/bin/chromium", "not used") == "/usr/bin/chromium"
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^Chromium not found"):
        require_tool(None, "Chromium not found: apt-get install chromium")
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        require_tool(None, "Chromium not found: apt-get install chromium")


def test_the_test_server_serves_the_404_page_with_status_404(site_server: SiteServer,
                                                             built_site: Path) -> None:
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(site_server.url("compare/")) as response:
        assert response.status == 200
    for path in ("no-such-page/", "static/", "compare/missing.css"):
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(site_server.url(path))
        assert caught.value.code == 404, path
        assert caught.value.read() == (built_site / "404.html").read_bytes()


# --- following the cross-links ------------------------------------------------------------

def test_home_to_scar_type_to_treatment_to_aftercare_by_panels_and_back_by_breadcrumbs(
        tab: Tab) -> None:
    page, server = tab.page, tab.server
    tab.goto("")
    page.get_by_role("region", name="Scar types").get_by_role(
        "link", name=SCAR_TYPE, exact=True).click()
    expect(page).to_have_url(re.compile(r"/scar-types/[a-z-]+/$"))
    assert _h1(page) == SCAR_TYPE
    assert _breadcrumbs(page) == ["Home", "Scar types", SCAR_TYPE]
    scar_type_url = page.url

    page.get_by_role("region", name="Treatments that can help").get_by_role(
        "link", name=TREATMENT, exact=True).click()
    expect(page).to_have_url(re.compile(r"/treatments/[a-z-]+/$"))
    assert _h1(page) == TREATMENT
    assert _breadcrumbs(page) == ["Home", "Treatments", TREATMENT]
    # ... and the treatment links back to the scar type it helps
    back = page.get_by_role("region", name="Scar types it can help").get_by_role(
        "link", name=SCAR_TYPE, exact=True)
    assert server.url(back.get_attribute("href") or "") == scar_type_url
    treatment_url = page.url

    aftercare_panel = page.get_by_role("region", name="Aftercare", exact=True)
    aftercare_link = aftercare_panel.locator(".article-list > li > a:not(.evidence)").first
    aftercare_title = aftercare_link.inner_text().strip()
    aftercare_link.click()
    expect(page).to_have_url(re.compile(r"/aftercare/[a-z-]+/$"))
    assert _h1(page) == aftercare_title
    assert _current_crumb(page) == aftercare_title
    for_treatment = page.get_by_role("region", name="Treatments", exact=True).get_by_role(
        "link", name=TREATMENT, exact=True)
    assert server.url(for_treatment.get_attribute("href") or "") == treatment_url

    # back up through the breadcrumbs: the section, then home
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Aftercare",
                                                                  exact=True).click()
    expect(page).to_have_url(server.url("aftercare/"))
    assert _h1(page) == "Aftercare"
    expect(page.locator(".article-list").get_by_role(
        "link", name=aftercare_title, exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Home",
                                                                  exact=True).click()
    expect(page).to_have_url(server.url(""))
    expect(page.get_by_role("region", name="Scar types")).to_be_visible()
    assert len(tab.visited) == 5


# --- search -------------------------------------------------------------------------------

def _pages_with_word(output: Path, word: str, base_path: str,
                     leave_out: str = "[data-pagefind-ignore]") -> set[str]:
    """URLs of the pages whose searchable text (Pagefind's body, less what it ignores and
    `leave_out`) has a word starting with `word`."""
    pattern = re.compile(rf"\b{re.escape(word)}", re.IGNORECASE)
    found = set()
    for file in html_pages(output):
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        body = soup.select_one("[data-pagefind-body]")
        if body is None:
            continue
        for ignored in body.select(leave_out):
            ignored.decompose()
        if pattern.search(body.get_text(" ")):
            found.add(url_of(output, file, base_path))
    return found


def test_search_finds_body_words_and_other_names_and_opens_a_result(
        tab: Tab, built_site: Path, site_server: SiteServer) -> None:
    page, base = tab.page, site_server.base_path
    body_word, other_name = "tether", "pockmarks"
    with_body_word = _pages_with_word(built_site, body_word, base)
    with_other_name = _pages_with_word(built_site, other_name, base)
    # the other name is searchable only because of `also_known_as` ("Also called: ...")
    assert with_other_name and _pages_with_word(built_site, other_name, base,
                                                "[data-pagefind-ignore], .also-known-as") == set()
    assert with_body_word and with_body_word != with_other_name

    # the header search box sends the query to the search page, which runs it
    tab.goto("")
    page.get_by_role("search").get_by_label("Search").fill(body_word)
    page.get_by_role("search").get_by_role("button", name="Search").click()
    expect(page).to_have_url(site_server.url(f"search/?q={body_word}"))
    assert search_results(page, body_word) == with_body_word

    # typing into the search page's own box: a common word, then an everyday name
    common = "lemon"  # in two articles, and in the summaries of related articles of many
    page.locator(".pagefind-ui__search-input").fill(common)
    assert search_results(page, common) == _pages_with_word(built_site, common, base)
    page.locator(".pagefind-ui__search-input").fill(other_name)
    assert search_results(page, other_name) == with_other_name

    first = page.locator(".pagefind-ui__result-link").first
    title, href = first.inner_text().strip(), first.get_attribute("href")
    first.click()
    expect(page).to_have_url(site_server.url(href or ""))
    assert _h1(page) == title
    expect(page.locator(".also-known-as")).to_contain_text(other_name)


# --- the comparison page ------------------------------------------------------------------

def test_every_treatment_row_of_the_comparison_links_to_its_page(tab: Tab) -> None:
    page = tab.page
    tab.goto("treatments/")
    listed = {a.get_attribute("href"): a.inner_text().strip()
              for a in page.locator(".article-list > li > a:not(.evidence)").all()}
    tab.goto("compare/")
    for table in ("table.compare-matrix", "table.compare-facts"):
        rows = page.locator(f"{table} tbody tr")
        row_links = {a.get_attribute("href"): a.inner_text().strip()
                     for a in rows.locator("th[scope=row] a").all()}
        assert rows.count() == len(row_links) == len(listed) >= 10, table
        assert row_links == listed, table
    other_links = {a.get_attribute("href") for a in page.locator("main a").all()}
    for href, title in row_links.items():
        response = tab.goto(href or "")
        assert response.status == 200, href
        assert _h1(page) == title
    targets: dict[str, set[str]] = {}  # the other links: comparisons and evidence levels
    for href in other_links - row_links.keys():
        path, _, fragment = (href or "").partition("#")
        targets.setdefault(path, set()).add(fragment)
    assert {tab.server.url(f"compare/{slug}/") for slug in ("ice-pick", "rolling")} <= {
        tab.server.url(path) for path in targets}
    for path, fragments in sorted(targets.items()):
        assert tab.goto(path).status == 200, path
        for fragment in fragments - {""}:
            expect(page.locator(f"[id='{fragment}']")).to_have_count(1)


# Sizes of the page, and of each table against the box it sits in, in CSS pixels.
_WIDTHS = """() => ({
    page: document.documentElement.scrollWidth, view: document.documentElement.clientWidth,
    tables: [...document.querySelectorAll('main table')].map(t => ({
        table: t.scrollWidth, box: t.parentElement.clientWidth,
        right: t.getBoundingClientRect().right}))
})"""


@pytest.mark.parametrize("path", ["compare/", "compare/rolling/"])
def test_comparison_fits_a_1280_px_screen_with_nothing_behind_a_sideways_scroll(
        new_tab: TabFactory, path: str) -> None:
    tab = new_tab(width=1280, height=800)
    tab.goto(path)
    sizes = tab.page.evaluate(_WIDTHS)
    assert sizes["view"] == 1280
    assert sizes["page"] <= sizes["view"], sizes
    assert sizes["tables"], sizes
    for table in sizes["tables"]:
        assert table["table"] <= table["box"], sizes
        assert table["right"] <= sizes["view"], sizes
    # shown as tables, with rows no taller than their content: 4 lines of the longest cell
    rows = tab.page.evaluate("""() => [...document.querySelectorAll('table.compare tbody tr')]
        .map(row => {
            const cells = [...row.children];
            const line = parseFloat(getComputedStyle(cells[0]).lineHeight);
            return {height: row.getBoundingClientRect().height, line,
                    display: getComputedStyle(row).display};
        })""")
    assert rows and all(row["display"] == "table-row" for row in rows), rows
    assert max(row["height"] for row in rows) <= 4 * rows[0]["line"] + 16, rows


@pytest.mark.parametrize("path", ["compare/", "compare/rolling/"])
def test_comparison_reads_on_a_375_px_screen_as_labelled_cards(new_tab: TabFactory,
                                                               path: str) -> None:
    tab = new_tab(**PHONE)
    page = tab.page
    tab.goto(path)
    sizes = page.evaluate(_WIDTHS)
    assert sizes["view"] == PHONE["width"]
    assert sizes["page"] <= sizes["view"], sizes  # no sideways scroll of the page
    for table in sizes["tables"]:
        assert table["table"] <= table["box"], sizes
    # each cell shows the column it is in: "Sessions: 4 to 6", not a bare "4 to 6"
    cell = page.locator("table.compare tbody td").first
    label = cell.get_attribute("data-label")
    assert cell.evaluate("el => getComputedStyle(el, '::before').content") == f'"{label}: "'
    text = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector("
                         "'table.compare tbody td')).fontSize)")
    assert text >= 16  # readable without zooming
    card = page.locator("table.compare tbody tr").first
    card.scroll_into_view_if_needed()
    expect(card).to_be_in_viewport(ratio=1)  # a whole card fits the screen's width


@pytest.mark.parametrize("table", ["compare-matrix", "compare-facts"])
def test_comparison_column_headers_stay_in_view_while_the_rows_scroll(new_tab: TabFactory,
                                                                      table: str) -> None:
    tab = new_tab(width=1280, height=800)
    page = tab.page
    tab.goto("compare/")
    rows = page.locator(f"table.{table} tbody tr")
    header = page.locator(f"table.{table} thead th").first
    before = header.bounding_box()
    # scroll until the table's first rows are above the top of the screen
    rows.nth(rows.count() - 2).scroll_into_view_if_needed()
    page.mouse.wheel(0, 200)
    page.wait_for_function(f"() => document.querySelector('table.{table} tbody tr')"
                           ".getBoundingClientRect().bottom < 0")
    after = header.bounding_box()
    assert before is not None and after is not None
    assert before["y"] > 100, before  # it started lower down the page...
    assert abs(after["y"]) < 1, after  # ...and now sits at the top of the screen
    expect(header).to_be_in_viewport()
    # ...above the rows that scroll beneath it (it is painted over them)
    top_row = page.evaluate(f"""() => {{
        const head = document.querySelector('table.{table} thead th').getBoundingClientRect();
        const hit = document.elementFromPoint(head.left + 5, head.top + head.height / 2);
        return hit.closest('thead') !== null;
    }}""")
    assert top_row


# --- keyboard -----------------------------------------------------------------------------

def _tab_until(tab: Tab, condition: str, limit: int = 400) -> int:
    """Press Tab until the JavaScript `condition` (about `el`, the focused element) holds."""
    for presses in range(1, limit + 1):
        tab.page.keyboard.press("Tab")
        if tab.page.evaluate(f"() => {{ const el = document.activeElement; return {condition}; }}"):
            return presses
    raise AssertionError(f"no focus stop where {condition} after {limit} presses of Tab")


def test_glossary_definition_is_reachable_by_keyboard_focus(tab: Tab, built_site: Path) -> None:
    page = tab.page
    tab.goto("treatments/subcision/")
    term = page.locator(".term > a").first
    tip = page.locator(f"#{term.get_attribute('aria-describedby')}")
    expect(tip).to_be_hidden()
    _tab_until(tab, "el.parentElement.classList.contains('term')")
    expect(term).to_be_focused()
    expect(tip).to_be_visible()
    expect(tip).to_be_in_viewport()
    definition = tip.inner_text().strip()
    # the same words as on the glossary page, where the link goes
    anchor = (term.get_attribute("href") or "").split("#", 1)[1]
    glossary = BeautifulSoup((built_site / "glossary" / "index.html").read_text(), "html.parser")
    dt = glossary.find("dt", id=anchor)
    assert dt is not None and dt.find_next_sibling("dd").get_text(strip=True) == definition
    page.keyboard.press("Tab")
    expect(term).not_to_be_focused()
    expect(tip).to_be_hidden()


@pytest.mark.parametrize("path", ["", "treatments/subcision/", "compare/", "search/",
                                  "no-such-page/"])
def test_skip_link_is_the_first_focus_stop_and_moves_focus_to_main(tab: Tab, path: str) -> None:
    page = tab.page
    if path == "no-such-page/":
        tab.expect_status(tab.server.url(path), 404)
    tab.goto(path)
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).not_to_be_in_viewport()
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


# Snapshot of the styles that can show focus; `before` is taken with nothing focused.
_FOCUS_STYLE = """el => {
    const s = getComputedStyle(el);
    return {outline: s.outlineStyle + ' ' + s.outlineWidth + ' ' + s.outlineColor,
            outlineWidth: parseFloat(s.outlineWidth) || 0, outlineStyle: s.outlineStyle,
            outlineColor: s.outlineColor, shadow: s.boxShadow, background: s.backgroundColor};
}"""


def _visible_indicator(before: dict, after: dict) -> bool:
    outline = (after["outlineStyle"] not in ("none", "hidden") and after["outlineWidth"] >= 2
               and after["outlineColor"] not in ("transparent", "rgba(0, 0, 0, 0)"))
    shadow = after["shadow"] != "none"
    changed = any(before[key] != after[key] for key in ("outline", "shadow"))
    return (outline or shadow) and changed


@pytest.mark.parametrize("path", ["", "treatments/subcision/", "compare/", "glossary/",
                                  "search/?q=pockmarks", "about/evidence/"])
def test_every_link_and_control_shows_a_visible_focus_indicator(tab: Tab, path: str) -> None:
    page = tab.page
    tab.goto(path)
    if path.startswith("search/"):
        search_results(page, path.split("q=", 1)[1])  # every result shown before the snapshot
    page.evaluate(f"""() => {{
        const style = {_FOCUS_STYLE};
        window.__before = new Map();
        for (const el of document.querySelectorAll('a[href], button, input, select, textarea,'
                                                    + ' summary, [tabindex]'))
            window.__before.set(el, style(el));
    }}""")
    stops, missing = 0, []
    first = None
    for _ in range(600):
        page.keyboard.press("Tab")
        stop = page.evaluate(f"""() => {{
            const el = document.activeElement;
            if (!el || el === document.body) return null;
            const style = {_FOCUS_STYLE};
            const name = el.tagName.toLowerCase() + ' ' + (el.getAttribute('href')
                || el.getAttribute('aria-label') || el.className || el.id) + ' '
                + (el.innerText || el.value || '').trim().slice(0, 30);
            return {{name, after: style(el), before: window.__before.get(el) || null}};
        }}""")
        if stop is None or stop["name"] == first:
            break
        first = first or stop["name"]
        stops += 1
        if stop["before"] is None or not _visible_indicator(stop["before"], stop["after"]):
            missing.append((stop["name"], stop["before"], stop["after"]))
    else:
        raise AssertionError("focus never came back round")
    assert stops >= 10
    assert missing == [], "no visible focus indicator on:\n" + "\n".join(
        f"{name}: focused {after}, not focused {before}" for name, before, after in missing)
    GATE_COUNTS[f"focus stops checked on {path or 'home'}"] = str(stops)


# --- every page ---------------------------------------------------------------------------

def test_the_watcher_catches_errors_failed_and_outside_requests(new_tab: TabFactory) -> None:
    """The watch on every tab would see what the other tests must not have. The pages'
    Content-Security-Policy stops an outside request before it is made, so this tab turns
    the policy off: the watch must not depend on it."""
    tab = new_tab(bypass_csp=True)
    tab.goto("")
    tab.page.evaluate("""async () => {
        await fetch('/no-such-file.json');
        await fetch('https://cdn.example.com/library.js').catch(() => null);
        console.error('something broke');
        setTimeout(() => { throw new Error('uncaught'); }, 0);
    }""")
    tab.page.wait_for_timeout(200)
    found = "\n".join(tab.problems)
    assert "HTTP 404: " + tab.server.url("no-such-file.json") in found
    assert "request to another host: https://cdn.example.com/library.js" in found
    assert "console error" in found and "something broke" in found
    assert "script error: uncaught" in found
    tab.problems.clear()  # seen; the tab is clean again for the check after the test

def test_every_page_loads_without_errors_and_fits_a_375_px_screen(
        new_tab: TabFactory, built_site: Path, site_server: SiteServer) -> None:
    tab = new_tab(**PHONE)
    page = tab.page
    overflowing = {}
    files = html_pages(built_site)
    for file in files:
        url = url_of(built_site, file, site_server.base_path)
        refresh = BeautifulSoup(file.read_text(), "html.parser").find(
            "meta", attrs={"http-equiv": "refresh"})
        response = tab.goto(url)
        assert response.status == 200, url
        if refresh is not None:  # an old address: the browser must land on the article
            target = refresh["content"].split("url=", 1)[1]
            page.wait_for_url(site_server.url(target))
            page.wait_for_load_state("load")
            url = target
        widths = page.evaluate("() => [document.documentElement.scrollWidth,"
                               " document.documentElement.clientWidth]")
        if widths[0] > widths[1]:
            overflowing[url] = widths
    assert tab.problems == []
    assert overflowing == {}
    assert len(tab.visited) >= len(files) >= 40
    GATE_COUNTS["browser: built HTML files opened at 375 px, errors and requests watched"] = \
        str(len(files))


def test_a_missing_address_gets_the_404_page_with_status_404(tab: Tab) -> None:
    page = tab.page
    for path in ("no-such-page/", "treatments/no-such-treatment/", "static/"):
        tab.expect_status(tab.server.url(path), 404)
        response = tab.goto(path)
        assert response.status == 404, path
        assert _h1(page) == "Page not found"
        # styled: the stylesheet loaded from its root-relative address even in a sub-folder
        assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "18px"
    page.get_by_role("link", name="the home page").click()
    expect(page).to_have_url(tab.server.url(""))


def test_the_site_works_when_published_under_a_sub_path(
        new_tab: TabFactory, sub_path_site: Path, sub_path_server: SiteServer) -> None:
    """As on a GitHub Pages project site: base_url https://<owner>.github.io/scarsite/."""
    tab = new_tab(server=sub_path_server)
    page, base = tab.page, sub_path_server.base_path
    assert base == "/scarsite/"
    tab.goto("")
    assert page.evaluate("() => getComputedStyle(document.body).fontSize") == "18px"  # styled
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Treatments").click()
    expect(page).to_have_url(sub_path_server.url("treatments/"))
    page.locator(".article-list > li > a:not(.evidence)").first.click()
    expect(page).to_have_url(re.compile(r"/scarsite/treatments/[a-z-]+/$"))
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Home").click()
    expect(page).to_have_url(sub_path_server.url(""))
    tab.goto("search/?q=pockmarks")
    assert search_results(page, "pockmarks") == _pages_with_word(sub_path_site, "pockmarks",
                                                                    base)
    missing = sub_path_server.url("no-such-page/")
    tab.expect_status(missing, 404)
    assert tab.goto(missing.removeprefix(sub_path_server.origin)).status == 404
    assert _h1(page) == "Page not found"
    page.get_by_role("link", name="the home page").click()
    expect(page).to_have_url(sub_path_server.url(""))


# --- print ----------------------------------------------------------------------------------

def test_print_hides_navigation_and_shows_link_addresses(tab: Tab) -> None:
    page = tab.page
    tab.goto("treatments/subcision/")
    after = """el => getComputedStyle(el, '::after').content"""
    links = {"body": page.locator(".body a[href]:not([href^='#']):not(.term > a)").first,
             "reference": page.locator(".references a").first,
             "panel": page.locator(".panel .article-list > li > a:not(.evidence)").first}
    term = page.locator(".body .term > a").first  # a glossary word: no address in print
    for link in [*links.values(), term]:
        assert link.evaluate(after) == "none"  # on screen, no addresses
    navigation = page.locator("nav, .search-box, .skip-link")
    assert navigation.count() >= 4  # main, breadcrumbs, contents; search box; skip link
    for i in range(navigation.count()):
        expect(navigation.nth(i)).to_be_visible()

    page.emulate_media(media="print")
    for i in range(navigation.count()):
        expect(navigation.nth(i)).to_be_hidden()
    for kind, link in links.items():
        href = link.get_attribute("href")
        assert href and link.evaluate(after) == f'" ({href})"', kind
    assert term.evaluate(after) == "none"
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".references")).to_be_visible()


# --- screenshots for people to look at ----------------------------------------------------

def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", header[16:24])
    return width, height


@pytest.mark.parametrize("width", [375, 1280])
def test_screenshots_of_a_treatment_a_scar_type_the_comparisons_and_the_guide(
        new_tab: TabFactory, width: int) -> None:
    tab = new_tab(width=width, height=800)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in (("home", ""), ("treatment", "treatments/subcision/"),
                       ("compare", "compare/"), ("compare-rolling", "compare/rolling/"),
                       ("scar-type", "scar-types/rolling/"),
                       ("which-scar", "guides/which-scar-is-mine/")):
        tab.goto(path)
        tab.page.evaluate(LOAD_EVERY_PICTURE)  # lazy pictures show in the shot too
        shot = ARTIFACTS / f"{name}-{width}.png"
        shot.unlink(missing_ok=True)
        tab.page.screenshot(path=shot, full_page=True)
        shot_width, shot_height = _png_size(shot)
        assert shot_width == width, shot  # a full-page shot wider than the screen would scroll
        assert shot_height >= 800

"""Pictures in this repository's built site, in Chromium: every one loads, none moves the page
as it arrives (no layout shift), and an article stays light (its HTML and CSS under 60 KB, its
pictures under 150 KB at 1,280 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from ..conftest import GATE_COUNTS
from .browser_support import LOAD_EVERY_PICTURE, SiteServer, TabFactory, html_pages, page_url

PAGE_BUDGET = 60_000  # bytes of an article's HTML and stylesheet
PICTURE_BUDGET = 150_000  # bytes of the pictures an article loads at 1,280 px

# Sums every layout shift since the page started loading (buffered), as Lighthouse's CLS
# does, once the page has been scrolled to the end so that lazy pictures have loaded too.
_LAYOUT_SHIFT = f"""async () => {{
  const shifts = [];
  new PerformanceObserver(list => shifts.push(...list.getEntries()))
    .observe({{type: "layout-shift", buffered: true}});
  await ({LOAD_EVERY_PICTURE})();
  await new Promise(done => setTimeout(done, 200));
  return shifts.filter(s => !s.hadRecentInput).reduce((sum, s) => sum + s.value, 0);
}}"""
_PICTURES_LOADED = """() => [...document.images].map(img => ({
  src: img.currentSrc, complete: img.complete, width: img.naturalWidth,
  shown: img.getBoundingClientRect().width}))"""
_PICTURE_BYTES = """() => performance.getEntriesByType("resource")
  .filter(r => r.initiatorType === "img")
  .reduce((sum, r) => sum + r.encodedBodySize, 0)"""


def pages_with_pictures(built_site: Path) -> list[Path]:
    return [file for file in html_pages(built_site)
            if BeautifulSoup(file.read_text(), "html.parser").select(".body img")]


def test_the_site_has_pictures_in_every_scar_type_and_how_it_works_page(
        built_site: Path) -> None:
    shown = {file.parent.relative_to(built_site).as_posix()
             for file in pages_with_pictures(built_site)}
    scar_types = {p.parent.relative_to(built_site).as_posix()
                  for p in (built_site / "scar-types").glob("*/index.html")}
    assert len(scar_types) == 7 and scar_types <= shown
    assert {f"treatments/{name}" for name in ("subcision", "microneedling", "fractional-co2-laser",
                                              "tca-cross", "punch-techniques")} <= shown
    assert "guides/which-scar-is-mine" in shown


@pytest.mark.parametrize("width", [375, 1280])
def test_every_picture_loads_without_moving_the_page_and_fits_the_screen(
        new_tab: TabFactory, built_site: Path, site_server: SiteServer, width: int) -> None:
    tab = new_tab(width=width, height=800)
    shifted, broken, too_wide = {}, [], []
    files = pages_with_pictures(built_site)
    for file in files:
        url = page_url(built_site, file, site_server.base_path)
        tab.goto(url)
        shift = tab.page.evaluate(_LAYOUT_SHIFT)
        if shift > 0:
            shifted[url] = shift
        for picture in tab.page.evaluate(_PICTURES_LOADED):
            if not picture["complete"] or picture["width"] == 0:
                broken.append(picture["src"])
            if picture["shown"] > width:
                too_wide.append(picture["src"])
    assert (shifted, broken, too_wide) == ({}, [], [])
    GATE_COUNTS[f"pictures: pages with pictures loaded at {width} px, no layout shift"] = \
        str(len(files))


def test_an_article_loads_less_than_150_kb_of_pictures_at_1280_px(
        new_tab: TabFactory, built_site: Path, site_server: SiteServer) -> None:
    tab = new_tab(width=1280, height=800)
    heavy = {}
    for file in pages_with_pictures(built_site):
        url = page_url(built_site, file, site_server.base_path)
        tab.goto(url)
        tab.page.evaluate(_LAYOUT_SHIFT)  # scrolls to the end: every lazy picture loads
        loaded = tab.page.evaluate(_PICTURE_BYTES)
        assert loaded > 0, url
        if loaded >= PICTURE_BUDGET:
            heavy[url] = loaded
    assert heavy == {}


def test_every_article_and_its_stylesheet_weigh_less_than_60_kb(built_site: Path) -> None:
    stylesheet = sum(p.stat().st_size for p in (built_site / "static").glob("style.*.css"))
    heavy = {}
    for file in html_pages(built_site):
        soup = BeautifulSoup(file.read_text(), "html.parser")
        if soup.select_one("article") is None:
            continue
        size = file.stat().st_size + stylesheet
        if size >= PAGE_BUDGET:
            heavy[file.relative_to(built_site).as_posix()] = size
    assert heavy == {}

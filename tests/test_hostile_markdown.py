"""Hostile Markdown: raw HTML that would run a script, template syntax, lines of nearly 1 MB,
deep nesting.

Each case is built on its own by the public command, under a time and a memory limit: the build
must succeed with the removals reported at their lines (or fail with a located message where
that is the right answer), never with a traceback, and a failed build must leave the published
output alone. The output is parsed, not searched: every element and attribute of an article's
body must be on the allow-list. Then all the pages are opened in Chromium, which must show no
dialog, log no console message and make no request but for the site's own files; and the
Content-Security-Policy is shown to stop a script that the sanitizer had missed.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, BrowserContext, Page

from scarsite.sanitize import ATTRIBUTES, TAGS, allowed_url

from .browser_support import GATE_COUNTS, SiteServer
from .conftest import article, tree_of, write_themed_site

BODY_LINE = 9  # the file line of the first body line of a file made by `article`
TIME_LIMIT = 60  # seconds for one build of one case (a normal one takes about one)
MEMORY_LIMIT = 2 * 1024**3  # bytes of address space for that build


def _nested_lists(depth: int) -> str:
    return "".join(f"{'    ' * level}- level {level}\n" for level in range(depth))


# Builds that succeed. name: (body, [(body line, start of the expected warning)])
CASES: dict[str, tuple[str, list[tuple[int, str]]]] = {
    "script": ("Before.\n\n<script>alert('block')</script>\n\n"
               "Inline <script>console.log('inline'); fetch('/pwned')</script> text.\n",
               [(3, "<script> removed"), (5, "<script> removed")]),
    "img-onerror": ("An image: <img src=x onerror=\"alert('img')\">\n",
                    [(1, "'onerror' attribute removed from <img>")]),
    "javascript-href": ("<a href=\"javascript:alert('href')\">click</a>\n",
                        [(1, "'javascript:' address removed from <a href>")]),
    "iframe": ('<iframe src="https://example.com"></iframe>\n\nAfter.\n',
               [(1, "<iframe> removed")]),
    "style": ("<style>body{display:none}</style>\n\nVisible text.\n",
              [(1, "<style> removed")]),
    "form": ('<form action="https://evil.example"><input name=q></form>\n',
             [(1, "<form> removed"), (1, "<input> removed")]),
    "svg": ("Shape: <svg onload=\"alert('svg')\">\n", [(1, "<svg> removed")]),
    "data-href": ('<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a>\n',
                  [(1, "'data:' address removed from <a href>")]),
    "jinja": ("Sum: {{ 7*7 }} {% raw %} and {% endraw %} {# note #} {{ site.title }} "
              "{% include 'base.html' %}\n", []),
    # Lines just under the 1 MB an article file may be (load.MAX_ARTICLE_BYTES).
    "long-line": ("word " * 190_000 + "\n", []),
    "nested-50-deep": (_nested_lists(49) + "\n" + "> " * 49 + "quoted\n", []),
}
JINJA_TEXT = ("Sum: {{ 7*7 }} {% raw %} and {% endraw %} {# note #} {{ site.title }} "
              "{% include 'base.html' %}")
NESTED = "lists or block quotes nested {} levels deep; use at most 50"
TOO_DEEP_HTML = "HTML tags nested more than 50 deep; close the tags you open, and nest at most 50"
# Builds that fail. name: (body, body line of the error, the error)
FAILING: dict[str, tuple[str, int, str]] = {
    "javascript-markdown-link": ("Fine text.\n\n[click](javascript:alert(1))\n", 3,
                                 "link: 'javascript:' links are not allowed"),
    "nested-lists": (_nested_lists(500), 51, "body: " + NESTED.format(51)),
    "nested-quotes": ("> " * 500 + "deep\n", 1, "body: " + NESTED.format(500)),
    "list-markers-on-one-line": ("Text.\n\n" + "- " * 500 + "item\n", 3,
                                 "body: " + NESTED.format(500)),
    "nested-html": ("Text.\n\n" + "<div>" * 500 + "x" + "</div>" * 500 + "\n", 3,
                    "body: " + TOO_DEEP_HTML),
    "long-line-of-html": ("<div>" * 190_000 + "\n", 1, "body: " + TOO_DEEP_HTML),
    "long-line-of-brackets": ("Text.\n\n" + "[" * 990_000 + "\n", 3,
                              "body: took more than 5 seconds to convert; split this "
                              "paragraph, or remove what repeats in it (thousands of '[' are "
                              "slow to convert)"),
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _build(source: Path, output: Path) -> subprocess.CompletedProcess[str]:
    """`scarsite build` as an editor runs it, stopped if it takes too long or too much memory."""
    return subprocess.run(
        [sys.executable, "-m", "scarsite", "build", "--source", str(source), "--output",
         str(output), "--no-search", "--no-cache", "--jobs", "1"],
        capture_output=True, text=True, timeout=TIME_LIMIT, preexec_fn=_limit_memory)


def _check_body_is_allowed(page: BeautifulSoup, name: str) -> None:
    """Every element and attribute of the article body is on the allow-list, every address
    is allowed, and nothing that runs, loads a frame or styles is anywhere on the page."""
    body = page.select_one("article .body")
    assert body is not None, name
    for element in body.find_all(True):
        assert element.name in TAGS, (name, element.name)
        for attribute, value in element.attrs.items():
            assert attribute in ATTRIBUTES["*"] | ATTRIBUTES.get(element.name, set()), \
                (name, element.name, attribute)
            if attribute in ("href", "src"):
                assert allowed_url(value), (name, value)
    for element in page.find_all(True):
        assert element.name not in ("iframe", "frame", "object", "embed", "svg", "style",
                                     "base"), (name, element.name)
        assert element.name != "script" or element.get("type") == "application/ld+json", name
        assert not any(a.startswith("on") or a == "style" for a in element.attrs), \
            (name, element.name, element.attrs)


def _note_time(seconds: float) -> None:
    key = "hostile cases built, the slowest in seconds"
    GATE_COUNTS[key] = f"{max(float(GATE_COUNTS.get(key, 0)), seconds):.1f}"


@pytest.mark.parametrize("name", CASES)
def test_each_hostile_case_builds_in_bounded_time_with_located_warnings(
        name: str, tmp_path: Path) -> None:
    body, expected = CASES[name]
    site = write_themed_site(tmp_path / "site", {f"content/guides/{name}.md":
                                                 article(name, "guide", body)})
    start = time.perf_counter()
    result = _build(site, site / "build")
    _note_time(time.perf_counter() - start)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Traceback" not in output and "internal error" not in output
    warnings = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert [w.split(" (", 1)[0] for w in warnings] == [
        f"content/guides/{name}.md:{BODY_LINE + line - 1}: warning: html: {message}"
        for line, message in expected]
    html = (site / "build/guides" / name / "index.html").read_text(encoding="utf-8")
    page = BeautifulSoup(html, "html.parser")
    _check_body_is_allowed(page, name)
    text = page.select_one("article .body").get_text()  # type: ignore[union-attr]
    if name == "jinja":
        assert JINJA_TEXT in text and "49" not in text
    elif name == "long-line":
        assert text.count("word") == 190_000
    elif name == "style":
        assert "Visible text." in text and "display" not in html
    elif name == "nested-50-deep":
        assert "level 48" in text and "quoted" in text


@pytest.mark.parametrize("name", FAILING)
def test_each_failing_case_stops_the_build_at_its_line_and_leaves_the_published_site(
        name: str, tmp_path: Path) -> None:
    site = write_themed_site(tmp_path / "site", {"content/guides/fine.md":
                                                 article("Fine", "guide")})
    output = site / "build"
    assert _build(site, output).returncode == 0
    before = tree_of(output)
    stamps = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    body, line, message = FAILING[name]
    (site / f"content/guides/{name}.md").write_text(article(name, "guide", body))
    start = time.perf_counter()
    result = _build(site, output)
    _note_time(time.perf_counter() - start)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = [e for e in result.stderr.splitlines() if e.startswith("content/")]
    assert errors == [f"content/guides/{name}.md:{BODY_LINE + line - 1}: {message}"]
    assert tree_of(output) == before
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == stamps


# --- in the browser ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def hostile_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case in one site, built once; `x`, the image of the onerror case, is a file that
    is not an image, so the browser fires the image's error event."""
    site = write_themed_site(tmp_path_factory.mktemp("hostile") / "site", {
        f"content/guides/{name}.md": article(name, "guide", body)
        for name, (body, _) in CASES.items()})
    result = _build(site, site / "build")
    assert result.returncode == 0, result.stdout + result.stderr
    output = site / "build"
    (output / "guides/img-onerror/x").write_bytes(b"not an image")
    return output


@pytest.fixture(scope="module")
def hostile_server(hostile_output: Path) -> Iterator[SiteServer]:
    server = SiteServer(hostile_output)
    yield server
    server.stop()


# Runs before the page's own scripts (and is not subject to its policy): counts image load
# errors, so a test can tell an onerror handler had its chance, and notes every violation of
# the Content-Security-Policy the browser reports.
_WATCH_SCRIPT = """
window.__imageErrors = 0;
window.__violations = [];
document.addEventListener('error', e => {
    if (e.target && e.target.tagName === 'IMG') window.__imageErrors++;
}, true);
document.addEventListener('securitypolicyviolation',
    e => window.__violations.push(e.violatedDirective));
"""


@dataclass
class _Watched:
    """One page in its own browser context, with everything it did."""

    context: BrowserContext
    page: Page
    dialogs: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, url: str) -> _Watched:
        context = browser.new_context()
        watched = cls(context, context.new_page())
        page = watched.page
        page.add_init_script(_WATCH_SCRIPT)
        page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message),
                                          dialog.dismiss()))
        context.on("console", lambda message: watched.console.append(
            f"{message.type}: {message.text}"))
        context.on("weberror", lambda error: watched.errors.append(str(error.error)))
        context.on("request", lambda request: watched.requests.append(request.url))
        # Nothing may leave the test server, even if an injection did run.
        context.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort())
        response = page.goto(url, wait_until="load")
        assert response is not None and response.status == 200, url
        page.wait_for_timeout(250)  # time for anything started late (timers, image errors)
        return watched


def _site_file(output: Path, server: SiteServer, url: str) -> bool:
    parts = urlsplit(url)
    if f"{parts.scheme}://{parts.netloc}" != server.origin:
        return False
    path = output / parts.path.lstrip("/")
    return (path / "index.html").is_file() if parts.path.endswith("/") else path.is_file()


@pytest.mark.parametrize("name", CASES)
def test_no_injected_script_runs_in_the_browser(name: str, browser: Browser,
                                                hostile_output: Path,
                                                hostile_server: SiteServer) -> None:
    watched = _Watched.open(browser, hostile_server.url(f"guides/{name}/"))
    try:
        assert watched.dialogs == []
        assert watched.console == []
        assert watched.errors == []
        assert watched.requests and all(_site_file(hostile_output, hostile_server, url)
                                        for url in watched.requests), watched.requests
        assert watched.page.evaluate("window.__violations") == []
        if name == "img-onerror":  # the image failed, and no handler was there to run
            assert watched.page.evaluate("window.__imageErrors") == 1
        if name == "style":  # the page is not hidden by the removed style element
            assert watched.page.get_by_text("Visible text.").is_visible()
    finally:
        watched.context.close()
    GATE_COUNTS["hostile pages opened in the browser, nothing ran"] = str(len(CASES))


_INJECTION = ('<script>window.__ran = "inline script"; alert("inline script")</script>'
              '<img src="x" onerror="window.__ran = \'handler\'; alert(\'handler\')">'
              '<p id="hidden" style="display: none">Shown anyway.</p>'
              '<a id="javascript" href="javascript:window.__ran = \'link\'; alert(\'link\')">'
              "Link</a>")


def test_the_content_security_policy_stops_an_injection_the_sanitizer_missed(
        browser: Browser, hostile_output: Path, tmp_path: Path) -> None:
    """A page with a script, an event handler, a style attribute and a javascript: link put
    in by hand, as if the sanitizer had missed them; the same page without the policy shows
    the injection would run."""
    output = tmp_path / "output"
    shutil.copytree(hostile_output, output)
    page_html = (hostile_output / "guides/img-onerror/index.html").read_text(encoding="utf-8")
    policy = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">\n')
    assert policy.search(page_html)
    for folder, html in (("injected", page_html),
                         ("no-policy", policy.sub("", page_html))):
        (output / folder).mkdir()
        (output / folder / "index.html").write_text(
            html.replace('<div class="body">', '<div class="body">' + _INJECTION, 1),
            encoding="utf-8")
        (output / folder / "x").write_bytes(b"not an image")
    server = SiteServer(output)
    try:
        blocked = _Watched.open(browser, server.url("injected/"))
        blocked.page.click("#javascript")
        blocked.page.wait_for_timeout(250)
        assert blocked.dialogs == []
        assert blocked.page.evaluate("window.__ran") is None
        # both images failed (the page's own and the injected one): the handler had its chance
        assert blocked.page.evaluate("window.__imageErrors") == 2
        assert blocked.page.locator("#hidden").is_visible()  # the style attribute was ignored
        violations = blocked.page.evaluate("window.__violations")
        assert {"script-src-elem", "script-src-attr", "style-src-attr"} <= set(violations)
        reported = [m for m in blocked.console if "Content Security Policy" in m]
        assert len(reported) >= 3 and all(m.startswith("error: ") for m in reported)
        blocked.context.close()

        control = _Watched.open(browser, server.url("no-policy/"))
        control.page.click("#javascript")
        control.page.wait_for_timeout(250)
        assert control.dialogs == ["inline script", "handler", "link"]
        assert not control.page.locator("#hidden").is_visible()
        control.context.close()
    finally:
        server.stop()

"""Hostile Markdown in the browser: every case of tests/test_hostile_markdown.py, built into one
site, is opened in Chromium, which must show no dialog, log no console message and make no
request but for the site's own files; and the Content-Security-Policy is shown to stop a
script, an event handler, a style attribute and a `javascript:` link that the sanitizer had
missed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from ..conftest import GATE_COUNTS, article, write_themed_site
from ..test_hostile_markdown import CASES, build_case
from .browser_support import SiteServer


@pytest.fixture(scope="module")
def hostile_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every case in one site, built once; `x`, the image of the onerror case, is a file that
    is not an image, so the browser fires the image's error event."""
    site = write_themed_site(tmp_path_factory.mktemp("hostile") / "site", {
        f"content/guides/{name}.md": article(name, "guide", body)
        for name, (body, _) in CASES.items()})
    result = build_case(site, site / "build")
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

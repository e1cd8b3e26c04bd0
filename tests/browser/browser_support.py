"""Helpers for the tests that use the built site as readers do: in a browser, with axe and
with the Nu HTML checker.

- `require_tool`: a missing Chromium or Java skips those tests with a one-line reason, or fails
  them when the environment says `CI=true`;
- `launch_chromium`: Debian's Chromium, headless, through Playwright (the `browser` fixture);
- `build_real_site`: the real site of this repository, copied to a temporary folder and built
  there with the public command and its search index;
- `SiteServer`: a small HTTP server on 127.0.0.1 that serves the built folder like a static
  host: `404.html` with status 404 for a missing path, no folder listings;
- `Tab`: one browser page in its own context that records every console error, uncaught
  script error, failed request, error status and request to another host. Requests that would
  leave 127.0.0.1 are stopped before they go anywhere.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Request,
    Response,
    Route,
    expect,
    sync_playwright,
)

from ..conftest import REPO, copy_real_site, run_scarsite

ARTIFACTS = REPO / "build-artifacts"  # screenshots for people to look at (git-ignored)
CHROMIUM_PATHS = ("/usr/bin/chromium",)
HOST = "127.0.0.1"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require_tool(found: str | None, reason: str) -> str:
    """`found`, or skip with `reason`; under CI=true a missing tool fails instead."""
    if found:
        return found
    if in_ci():
        pytest.fail(f"{reason} (CI=true, so a missing tool is a failure)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def chromium_args() -> list[str]:
    """Headless flags for Debian's Chromium; the sandbox cannot run as root."""
    args = ["--headless=new", "--disable-gpu", "--hide-scrollbars", "--mute-audio"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--no-sandbox")
    return args


@contextlib.contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless (a missing Chromium skips, or fails under CI=true)."""
    executable = require_tool(chromium_path(), "Chromium not found: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=chromium_args())
        try:
            yield chromium
        finally:
            chromium.close()


SUB_PATH_URL = "https://example.github.io/scarsite/"  # as on a GitHub Pages project site


def build_real_site(folder: Path, base_url: str | None = None) -> Path:
    """Copy this repository's site into `folder`/source and build it into `folder`/build with
    the public command, search included (nothing is written into the repository).

    With `base_url`, the copy's settings say `base_url = <base_url>`, to see the site
    published under a sub-path.
    """
    source, output = copy_real_site(folder / "source"), folder / "build"
    if base_url is not None:
        settings = (source / "pyproject.toml").read_text(encoding="utf-8")
        settings, count = re.subn(r'(?m)^base_url = ".*"$', f'base_url = "{base_url}"',
                                  settings)
        assert count == 1, "no base_url line in pyproject.toml"
        (source / "pyproject.toml").write_text(settings, encoding="utf-8")
    result = run_scarsite("build", "--source", source, "--output", output, "--no-cache",
                          seconds=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (output / "pagefind" / "pagefind-ui.js").is_file(), "the build made no search index"
    return output


def site_base_path() -> str:
    """The URL path the site is published under ('/' or e.g. '/scarsite/'), from its settings."""
    from scarsite.config import load_config
    from scarsite.errors import Problems

    return load_config(REPO, Problems()).base_path


def html_pages(output: Path) -> list[Path]:
    """Every HTML file of the built site, in path order."""
    return sorted(output.rglob("*.html"))


def page_url(output: Path, file: Path, base_path: str) -> str:
    """The URL path a built HTML file is served at: folders for index.html."""
    rel = file.relative_to(output).as_posix()
    if rel == "index.html" or rel.endswith("/index.html"):
        rel = rel.removesuffix("index.html")
    return base_path + rel


class _StaticHandler(SimpleHTTPRequestHandler):
    """Serves the built folder under the site's base path, the way a static host does."""

    base_path = "/"

    def translate_path(self, path: str) -> str:
        url_path = unquote(urlsplit(path).path)
        if not url_path.startswith(self.base_path):
            return str(Path(self.directory) / ".outside-the-site")
        return super().translate_path("/" + url_path[len(self.base_path):])

    def list_directory(self, path: str | os.PathLike[str]) -> None:
        self.send_error(HTTPStatus.NOT_FOUND)  # static hosts do not list folders
        return None

    def send_error(self, code: int, message: str | None = None,
                   explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep the test output quiet


class SiteServer:
    """The built site on http://127.0.0.1:<free port>, in a thread, until `stop()`."""

    def __init__(self, folder: Path, base_path: str = "/") -> None:
        handler = type("Handler", (_StaticHandler,), {"base_path": base_path})
        self.base_path = base_path
        self.httpd = ThreadingHTTPServer((HOST, 0), functools.partial(handler,
                                                                      directory=str(folder)))
        self.httpd.daemon_threads = True
        self.origin = f"http://{HOST}:{self.httpd.server_port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def url(self, path: str = "") -> str:
        """The address of `path` (relative to the site's base path, or root-relative)."""
        if path.startswith("/"):
            return self.origin + path
        return self.origin + self.base_path + path

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=10)


@dataclass
class Tab:
    """A browser page in its own context, watched for errors of any kind.

    `problems` collects console errors, uncaught script errors, failed requests, responses with
    an error status and requests to any host but the test server's (these are stopped).
    `expect_status(url, 404)` allows one deliberate error response, such as the 404 page.
    """

    context: BrowserContext
    page: Page
    server: SiteServer
    problems: list[str] = field(default_factory=list)
    visited: set[str] = field(default_factory=set)
    _expected: dict[str, int] = field(default_factory=dict)

    @classmethod
    def open(cls, browser: Browser, server: SiteServer, width: int = 1280, height: int = 800,
             **context_options: object) -> Tab:
        context = browser.new_context(viewport={"width": width, "height": height},
                                      **context_options)  # type: ignore[arg-type]
        tab = cls(context, context.new_page(), server)
        context.route("**/*", tab._route)
        context.on("console", tab._console)
        context.on("weberror", lambda error: tab.problems.append(f"script error: {error.error}"))
        context.on("requestfailed", tab._failed)
        context.on("response", tab._response)
        tab.page.on("framenavigated",
                    lambda frame: tab.visited.add(frame.url) if frame == tab.page.main_frame
                    else None)
        return tab

    def _route(self, route: Route) -> None:
        parts = urlsplit(route.request.url)
        if parts.scheme in ("http", "https", "ws", "wss") and \
                f"{parts.scheme}://{parts.netloc}" != self.server.origin:
            self.problems.append(f"request to another host: {route.request.url}")
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            expected = any(f"status of {status}" in message.text and message.location.get(
                "url") == url for url, status in self._expected.items())
            if not expected:
                where = message.location.get("url") or (message.page.url if message.page else "")
                self.problems.append(f"console error on {where}: {message.text}")

    def _failed(self, request: Request) -> None:
        failure = request.failure or ""
        # ERR_BLOCKED_BY_CLIENT: stopped by _route, already counted. ERR_ABORTED: the browser
        # cancelled the request itself, as it does with a late icon when the test moves on.
        if not failure.startswith(("net::ERR_BLOCKED_BY_CLIENT", "net::ERR_ABORTED")):
            self.problems.append(f"request failed: {request.url} ({failure})")

    def _response(self, response: Response) -> None:
        if response.status >= 400 and self._expected.get(response.url) != response.status:
            self.problems.append(f"HTTP {response.status}: {response.url}")

    def expect_status(self, url: str, status: int) -> None:
        self._expected[url] = status

    def goto(self, path: str) -> Response:
        response = self.page.goto(self.server.url(path), wait_until="load")
        assert response is not None, path
        return response

    def close(self) -> None:
        self.context.close()


TabFactory = Callable[..., Tab]

# Scrolls a page to its end, half a screen at a time, so that every lazy picture loads, and
# waits until each is decoded.
LOAD_EVERY_PICTURE = """async () => {
  for (let y = 0; y < document.body.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y);
    await new Promise(done => setTimeout(done, 50));
  }
  await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
  scrollTo(0, 0);
}"""


def search_results(page: Page, word: str) -> set[str]:
    """Every result link Pagefind shows for `word`, pressing "Load more results" as needed."""
    message = page.locator(".pagefind-ui__message")
    expect(message).to_have_text(re.compile(rf"^(\d+) results? for {re.escape(word)}$"))
    count = int(message.inner_text().split()[0])
    links = page.locator(".pagefind-ui__result-link")
    expect(links).to_have_count(min(count, 5))
    while links.count() < count:
        shown = links.count()
        page.get_by_role("button", name="Load more results").click()
        expect(links).to_have_count(min(count, shown + 5))
    hrefs = {links.nth(i).get_attribute("href") or "" for i in range(links.count())}
    assert len(hrefs) == count
    return hrefs


"""Fixtures shared by the tests: sample sites on disk and a way to run the real command."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import settings
from playwright.sync_api import Browser, sync_playwright

from scarsite.serve import make_server
from scarsite.server import LiveServer

from .browser_support import (
    GATE_COUNTS,
    SUB_PATH_URL,
    SiteServer,
    Tab,
    TabFactory,
    build_real_site,
    chromium_args,
    chromium_path,
    require_tool,
    site_base_path,
)

SITES = Path(__file__).parent / "sites"
THEME = SITES / "golden"  # the golden site's small theme is reused by the other sample sites

# Hypothesis: the fuzz tests (tests/test_fuzz.py) run 1,000 examples per property by default
# (7,000 together); HYPOTHESIS_PROFILE=fuzz runs 20,000 per property. No deadline: on a
# busy machine any example can be slow, and a time limit would fail tests at random.
settings.register_profile("scarsite", max_examples=1_000, deadline=None)
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "scarsite"))

REVIEWER = "Editorial team (evidence review); awaiting clinical review"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/sites/golden/expected from the current output")


def run_scarsite(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m scarsite` as an editor would, capturing its output."""
    return subprocess.run([sys.executable, "-m", "scarsite", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PreviewServer:
    """A running `scarsite serve` and what it has printed so far."""

    process: subprocess.Popen[str]
    port: int
    lines: list[str] = field(default_factory=list)
    ended: bool = False  # it has closed its output
    printed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def output(self) -> str:
        with self.printed:
            return "".join(self.lines)

    def wait_for(self, text: str, seconds: float = 60) -> None:
        """Wait until it has printed `text` (an error if it stops or takes too long)."""
        with self.printed:
            self.printed.wait_for(lambda: text in "".join(self.lines) or self.ended, seconds)
        assert text in self.output, f"`scarsite serve` did not print {text!r}:\n{self.output}"

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.printed:
                self.lines.append(line)
                self.printed.notify_all()
        with self.printed:
            self.ended = True
            self.printed.notify_all()


@contextlib.contextmanager
def preview_server(site: Path, *flags: str) -> Iterator[PreviewServer]:
    """`scarsite serve` for `site` on a free port, as its own process, stopped on leaving."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "scarsite", "serve", "--port", str(port), *flags], cwd=site,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    server = PreviewServer(process, port)
    reader = threading.Thread(target=server._read, daemon=True)
    reader.start()
    try:
        yield server
    finally:
        process.terminate()
        process.wait(timeout=10)
        reader.join(timeout=10)


@contextlib.contextmanager
def live_preview(site: Path, host: str = "127.0.0.1") -> Iterator[LiveServer]:
    """`scarsite serve`'s preview and server for `site`, in this process, on a free port."""
    with make_server(site, host, 0)[1] as server:
        server.start()
        yield server


def tree_of(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by its '/'-separated path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def article(title: str, kind: str, body: str = "Some text.\n", **fields: str) -> str:
    """The text of an article file with valid front matter, plus `fields` as raw YAML lines."""
    values = {"title": title, "kind": kind, "summary": f"About {title.lower()}.",
              "reviewed": "2025-01-01", "reviewer": f'"{REVIEWER}"'}
    if kind == "treatment":
        values["evidence"] = "limited"
    if kind in ("scar-type", "treatment"):
        values["references"] = '["A reference."]'
    values.update(fields)
    front = "\n".join(f"{key}: {value}" for key, value in values.items() if value is not None)
    return f"---\n{front}\n---\n\n{body}"


def add_theme(root: Path) -> None:
    """Give a sample site the golden site's templates and stylesheet where it has none."""
    for folder in ("templates", "static"):
        target = root / folder
        target.mkdir(parents=True, exist_ok=True)
        for source in (THEME / folder).rglob("*"):
            destination = target / source.relative_to(THEME / folder)
            if source.is_dir():
                destination.mkdir(exist_ok=True)
            elif not destination.exists():
                shutil.copyfile(source, destination)


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Path]:
    """Write a site from {relative path: text} into a fresh folder, with the small theme."""
    def make(files: dict[str, str], name: str = "site", theme: bool = True) -> Path:
        root = tmp_path / name
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (root / "content").mkdir(parents=True, exist_ok=True)
        if theme:
            add_theme(root)
        return root
    return make


@pytest.fixture
def copy_site(tmp_path: Path) -> Callable[[str], Path]:
    """A writable copy of a sample site under tests/sites, with the small theme added."""
    def copy(name: str) -> Path:
        root = tmp_path / name.replace("/", "-")
        shutil.copytree(SITES / name, root, ignore=shutil.ignore_patterns("expected*"))
        add_theme(root)
        return root
    return copy


class _SectionParser(HTMLParser):
    """Collects each <section>'s first heading and the links inside it."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, list[str]] = {}
        self._current: list[str] | None = None
        self._heading: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._current, self._title = [], None
        elif tag == "h2" and self._current is not None and self._title is None:
            self._heading = []
        elif tag == "a" and self._current is not None:
            self._current.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._heading is not None:
            self._title = "".join(self._heading).strip()
            self._heading = None
        elif tag == "section" and self._current is not None:
            self.sections[self._title or ""] = self._current
            self._current = None


def sections_of(html: str) -> dict[str, list[str]]:
    """{section heading: [hrefs in that section]} for every <section> of a page."""
    parser = _SectionParser()
    parser.feed(html)
    return parser.sections


REPO = Path(__file__).parent.parent


def write_themed_site(root: Path, files: dict[str, str]) -> Path:
    """Write a site from {relative path: text} with this repository's theme and two small pages."""
    shutil.copytree(REPO / "templates", root / "templates")
    shutil.copytree(REPO / "static", root / "static")
    pages = {"content/pages/about.md": article("About this site", "page"),
             "content/pages/about/evidence.md": article(
                 "How we rate the evidence", "page",
                 "".join(f"## {level.title()} {{#{level}}}\n\nText.\n\n"
                         for level in ("strong", "moderate", "limited", "insufficient")))}
    for rel, text in {**pages, **files}.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def make_themed_site(tmp_path: Path) -> Callable[..., Path]:
    """Write a site from {relative path: text} with this repository's theme and two small pages."""
    def make(files: dict[str, str], name: str = "themed") -> Path:
        return write_themed_site(tmp_path / name, files)
    return make


# --- the real site, served, and a real browser (browser, accessibility and validity tests) ---

VISITED: dict[str, set[str]] = {}  # test module -> every URL a browser tab opened


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's site, built once per session with `scarsite build`, search included."""
    return build_real_site(tmp_path_factory.mktemp("real-site") / "build")


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(built_site, site_base_path())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sub_path_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site with `base_url` under a sub-path, as on a GitHub Pages project site."""
    return build_real_site(tmp_path_factory.mktemp("sub-path-site") / "build", SUB_PATH_URL)


@pytest.fixture(scope="session")
def sub_path_server(sub_path_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(sub_path_site, urlsplit(SUB_PATH_URL).path)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, one for the whole session."""
    executable = require_tool(chromium_path(), "Chromium not found: apt-get install chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=chromium_args())
        yield chromium
        chromium.close()


@pytest.fixture
def new_tab(browser: Browser, site_server: SiteServer,
            request: pytest.FixtureRequest) -> Iterator[TabFactory]:
    """Opens watched tabs; after the test, any console error or failed or outside request in
    any of them is an error."""
    tabs: list[Tab] = []

    def open_tab(server: SiteServer | None = None, **options: object) -> Tab:
        tabs.append(Tab.open(browser, server or site_server, **options))  # type: ignore[arg-type]
        return tabs[-1]

    yield open_tab
    problems = []
    for tab in tabs:
        tab.close()
        problems += tab.problems
        VISITED.setdefault(request.module.__name__, set()).update(tab.visited)
    assert problems == [], "\n".join(problems)


@pytest.fixture
def tab(new_tab: TabFactory) -> Tab:
    """A watched browser tab, 1280 x 800 px."""
    return new_tab()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = [f"{module.rsplit('.', 1)[-1]}: {len(urls)} distinct URLs opened in the browser"
             for module, urls in sorted(VISITED.items())]
    lines += [f"{gate}: {count}" for gate, count in GATE_COUNTS.items()]
    if lines:
        terminalreporter.write_sep("-", "pages checked by the browser, axe and Nu gates")
        for line in lines:
            terminalreporter.write_line(line)

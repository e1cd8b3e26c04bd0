"""Fixtures shared by the tests: sample sites on disk, the stages of a build on a small
sample site, and one way to run the real command.

Nothing here imports Playwright: the browser, accessibility and HTML validity tests, and
their fixtures, are in `tests/browser/` (only the `browser` fixture is here, for the preview
test of tests/test_serve.py, and it loads Playwright when a test asks for it).
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import settings

from scarsite.build import BuildOptions, BuildReport, build
from scarsite.config import SiteConfig, load_config
from scarsite.errors import Problems
from scarsite.frontmatter import Document, parse_document
from scarsite.glossary import Glossary, load_glossary
from scarsite.load import Source, load_sources
from scarsite.markup import Body, render_bodies
from scarsite.model import Site, build_site
from scarsite.serve import make_server
from scarsite.server import LiveServer

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REPO = Path(__file__).parent.parent
SITES = Path(__file__).parent / "sites"
THEME = SITES / "golden"  # the golden site's small theme is reused by the other sample sites
SITE_INPUTS = ("content", "templates", "static", "pyproject.toml")  # the real site's files

# Hypothesis: the fuzz tests (tests/test_fuzz.py) run 1,000 examples per property by default
# (7,000 together); HYPOTHESIS_PROFILE=fuzz runs 20,000 per property. No deadline: on a
# busy machine any example can be slow, and a time limit would fail tests at random.
settings.register_profile("scarsite", max_examples=1_000, deadline=None)
settings.register_profile("fuzz", max_examples=20_000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "scarsite"))

REVIEWER = "Editorial team (evidence review); awaiting clinical review"

# What the gates checked in this run (pages opened in the browser, checked by axe and the Nu
# checker, hostile cases built), printed at the end of `pytest`.
GATE_COUNTS: dict[str, str] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite tests/sites/golden/expected from the current output")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if GATE_COUNTS:
        terminalreporter.write_sep("-", "pages checked by the browser, axe and Nu gates")
        for gate, count in GATE_COUNTS.items():
            terminalreporter.write_line(f"{gate}: {count}")


# --- running scarsite ----------------------------------------------------------------------------

def scarsite_command(*args: str | Path) -> list[str]:
    """The command line of `python -m scarsite <args>` with the Python running the tests."""
    return [sys.executable, "-m", "scarsite", *map(str, args)]


def run_scarsite(*args: str | Path, cwd: Path | None = None, seconds: float = 120,
                 memory: int | None = None, file_size: int | None = None,
                 before: Callable[[], None] | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m scarsite <args>` in its own process, as an editor would, and capture its
    output (as text; bytes that are not UTF-8 shown as `\\x..` escapes).

    Limits: `seconds` of wall-clock time (then TimeoutExpired); and, each only when given,
    `memory` bytes of address space, `file_size` bytes for any file it writes (a write past it fails
    with "File too large", as on a full disk). `before` runs in the new process, after the
    limits are set and before scarsite starts (e.g. to drop privileges).
    """
    def limits() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
        if before is not None:
            before()

    limited = memory is not None or file_size is not None or before is not None
    return subprocess.run(scarsite_command(*args), cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", errors="backslashreplace", timeout=seconds,
                          preexec_fn=limits if limited else None)


def build_site_at(source: Path, **options: Any) -> BuildReport:
    """`scarsite.build.build` of the site at `source` with these `BuildOptions`, but without
    search or the build cache unless `options` ask for them (search=True, cache=True). The
    output goes to `<source>/build` unless `output` says otherwise."""
    options.setdefault("search", False)
    options.setdefault("cache", False)
    return build(BuildOptions(source=source, **options))


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
    process = subprocess.Popen(scarsite_command("serve", "--port", str(port), *flags), cwd=site,
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




# --- this repository's own site --------------------------------------------------------------

def copy_real_site(root: Path) -> Path:
    """A copy of this repository's site (content, templates, static files, settings) at
    `root`, to build without writing anything into the repository."""
    root.mkdir(parents=True)
    for name in SITE_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, root / name)
        else:
            shutil.copyfile(REPO / name, root / name)
    return root


@pytest.fixture(scope="session")
def real_site_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of this repository's site for the whole session. Build it with the cache off
    and the output elsewhere: tests share it."""
    return copy_real_site(tmp_path_factory.mktemp("real-site") / "site")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless, one for the whole session (see tests/browser/). Playwright
    is imported only when a test asks for this, so the other tests run without it."""
    from .browser.browser_support import launch_chromium

    with launch_chromium() as chromium:
        yield chromium


# --- the stages of a build, on a small sample site ---------------------------------------------
#
# `config` -> `sources` -> `documents` -> `site_model` -> `bodies`, with `glossary` beside them
# and every problem they found in `problems`. They run on the files of `sample_files`; a test
# gives its own site with `@with_sample_site({path: text})`.

SAMPLE_SITE = {
    "content/glossary.yaml": '- term: dermis\n  definition: "The deep layer of skin."\n',
    "content/scar-types/rolling.md": article("Rolling scars", "scar-type",
                                             "## How they form\n\nThe dermis is pulled down.\n"),
    "content/treatments/subcision.md": article(
        "Subcision", "treatment", "See [rolling scars](../scar-types/rolling.md#how-they-form).\n",
        scar_types="[rolling]"),
    "content/guides/basics.md": article("Basics", "guide", treatments="[subcision]"),
}


def with_sample_site(files: dict[str, str]) -> pytest.MarkDecorator:
    """Run the stage fixtures of a test on the site made of `files` ({path: text})."""
    return pytest.mark.parametrize("sample_files", [files], ids=["site"])


@pytest.fixture
def sample_files() -> dict[str, str]:
    """The files of the site the stage fixtures build on (see `with_sample_site`)."""
    return SAMPLE_SITE


@pytest.fixture
def sample_site(tmp_path: Path, sample_files: dict[str, str]) -> Path:
    root = tmp_path / "sample"
    for rel, text in sample_files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "content").mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture
def problems() -> Problems:
    """Every problem the stage fixtures of a test found, in the order found."""
    return Problems()


@pytest.fixture
def config(sample_site: Path, problems: Problems) -> SiteConfig:
    return load_config(sample_site, problems)


@pytest.fixture
def sources(sample_site: Path, problems: Problems) -> list[Source]:
    return load_sources(sample_site, problems)


@pytest.fixture
def documents(sources: list[Source], config: SiteConfig, problems: Problems) -> list[Document]:
    """The articles with their front matter parsed and checked; files that fail are left out."""
    parsed = (parse_document(source, config, problems) for source in sources)
    return [document for document in parsed if document is not None]


@pytest.fixture
def glossary(sample_site: Path, problems: Problems) -> Glossary:
    return load_glossary(sample_site, problems)


@pytest.fixture
def site_model(config: SiteConfig, sources: list[Source], documents: list[Document],
               glossary: Glossary, problems: Problems) -> Site:
    """URLs, cross-links and panels of the published (not draft) articles."""
    unparsed = {s.rel for s in sources} - {d.rel for d in documents}
    return build_site(config, documents, glossary, False, unparsed, problems)


@pytest.fixture
def bodies(site_model: Site, problems: Problems) -> dict[str, Body]:
    """Every article body as HTML, by content path."""
    return render_bodies(site_model, problems)

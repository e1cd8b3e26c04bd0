"""The benchmark's synthetic site (benchmarks/gen_corpus.py) builds cleanly and links correctly."""

from __future__ import annotations

import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

from .conftest import run_scarsite

GENERATOR = Path(__file__).parent.parent / "benchmarks" / "gen_corpus.py"
ARTICLES = 40


class _Links(HTMLParser):
    """Every href of a page, and every id on it."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(values["id"] or "")
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"] or "")


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _generate(out: Path) -> None:
    result = subprocess.run([sys.executable, str(GENERATOR), "--articles", str(ARTICLES),
                             "--out", str(out)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_generated_corpus_builds_strictly_with_working_links(tmp_path: Path) -> None:
    site, output = tmp_path / "site", tmp_path / "out"
    _generate(site)
    result = run_scarsite("build", "--strict", "--no-search", "--no-cache", "--source", site,
                          "--output", output)
    assert result.returncode == 0, result.stderr
    assert "0 errors, 0 warnings" in result.stdout

    sources = [p for p in (site / "content").rglob("*.md")
               if p.relative_to(site / "content").parts[0] != "pages"]
    assert len(sources) == ARTICLES
    pages = [output / p.parent.name / p.stem / "index.html" for p in sources]
    assert all(page.is_file() for page in pages), [p for p in pages if not p.is_file()]

    parsed: dict[Path, _Links] = {}
    checked = anchored = 0
    for page in pages:
        article_links = 0
        for href in _parse(page).hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue  # external, or a link within the page
            assert not parts.path.endswith(".md"), (page, href)
            target = output / parts.path.lstrip("/")
            if parts.path.endswith("/"):
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(output)} links to missing {href}"
            checked += 1
            if parts.fragment and target.suffix == ".html":
                ids = parsed.setdefault(target, _parse(target)).ids
                assert parts.fragment in ids, f"{page.relative_to(output)}: no #{parts.fragment}"
                anchored += 1
            article_links += target in pages
        assert article_links >= 3, f"{page.relative_to(output)} links to {article_links} articles"
    assert checked and anchored


def test_generator_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    _generate(first)
    _generate(second)
    files = sorted(p.relative_to(first) for p in (first / "content").rglob("*") if p.is_file())
    assert files
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel

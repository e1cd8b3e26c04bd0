"""Hostile Markdown: raw HTML that would run a script, template syntax, lines of nearly 1 MB,
deep nesting.

Each case is built on its own by the public command, under a time and a memory limit: the build
must succeed with the removals reported at their lines (or fail with a located message where
that is the right answer), never with a traceback, and a failed build must leave the published
output alone. The output is parsed, not searched: every element and attribute of an article's
body must be on the allow-list. tests/browser/test_hostile_pages.py then opens the same cases
in Chromium.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scarsite.sanitize import ATTRIBUTES, TAGS, allowed_url

from .conftest import GATE_COUNTS, article, run_scarsite, tree_of, write_themed_site

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


def build_case(source: Path, output: Path) -> subprocess.CompletedProcess[str]:
    """`scarsite build` as an editor runs it, stopped if it takes too long or too much memory."""
    return run_scarsite("build", "--source", source, "--output", output, "--no-search",
                        "--no-cache", "--jobs", "1", seconds=TIME_LIMIT, memory=MEMORY_LIMIT)


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
    result = build_case(site, site / "build")
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
    assert build_case(site, output).returncode == 0
    before = tree_of(output)
    stamps = {p: p.stat().st_mtime_ns for p in output.rglob("*")}
    body, line, message = FAILING[name]
    (site / f"content/guides/{name}.md").write_text(article(name, "guide", body))
    start = time.perf_counter()
    result = build_case(site, output)
    _note_time(time.perf_counter() - start)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    errors = [e for e in result.stderr.splitlines() if e.startswith("content/")]
    assert errors == [f"content/guides/{name}.md:{BODY_LINE + line - 1}: {message}"]
    assert tree_of(output) == before
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*")} == stamps

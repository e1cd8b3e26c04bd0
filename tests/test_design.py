"""Design rules checked on every page of the real site and on its stylesheet.

Structure (one h1, heading order, landmarks, skip link, lang), weight, no
third-party requests and no scripts outside search are checked on the built
HTML; colour contrast, text size, line length and print rules on the CSS.
Browser-level checks (axe, real rendering) live in the browser tests.
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import tinycss2
from bs4 import BeautifulSoup

from .conftest import GATE_COUNTS, REPO, build_site_at

PAGE_LIMIT = 60 * 1024  # bytes of HTML + CSS for one article page


@pytest.fixture(scope="module")
def output(real_site_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("design") / "build"
    report = build_site_at(real_site_source, output=folder)
    assert report.ok, [str(p) for p in report.problems.errors]
    return folder


def _pages(output: Path) -> list[tuple[str, BeautifulSoup]]:
    return [(str(p.relative_to(output)), BeautifulSoup(p.read_text(), "html.parser"))
            for p in sorted(output.rglob("*.html"))]


def test_every_page_has_one_h1_and_no_skipped_heading_levels(output: Path) -> None:
    checked = 0
    for name, page in _pages(output):
        if page.find("meta", attrs={"http-equiv": "refresh"}):
            continue  # an alias redirect page
        levels = [int(h.name[1]) for h in page.find_all(re.compile(r"^h[1-6]$"))]
        assert levels.count(1) == 1 and levels[0] == 1, name
        for before, after in itertools.pairwise(levels):
            assert after <= before + 1, (name, levels)
        checked += 1
    assert checked >= 10


def test_every_page_has_lang_landmarks_and_a_skip_link_first(output: Path) -> None:
    for name, page in _pages(output):
        if page.find("meta", attrs={"http-equiv": "refresh"}):
            continue
        assert page.html.get("lang"), name
        body = page.body
        for landmark in ("header", "nav", "main", "footer"):
            assert body.find(landmark) is not None, (name, landmark)
        assert len(body.find_all("main")) == 1
        first = body.find(["a", "button", "input"])
        assert first.name == "a" and first["href"] == "#main", name
        assert body.find("main")["id"] == "main"


def test_no_third_party_requests_and_scripts_only_for_search(output: Path) -> None:
    for name, page in _pages(output):
        for tag in page.find_all(["link", "script", "img", "iframe", "source"]):
            address = tag.get("src") or (tag.get("href") if tag.name == "link" else None)
            if address and tag.get("rel") != ["canonical"]:
                assert not re.match(r"^(https?:)?//", address), (name, address)
        scripts = [s for s in page.find_all("script") if s.get("type") != "application/ld+json"]
        assert not scripts or name == "search/index.html", name


def test_article_pages_weigh_under_60_kb_with_their_css(output: Path) -> None:
    css = {p.name: p.stat().st_size for p in (output / "static").glob("*.css")}
    weights = {}
    for name, page in _pages(output):
        if not page.select_one("article footer.review"):
            continue
        sheets = [Path(link["href"]).name for link in page.find_all("link", rel="stylesheet")]
        weights[name] = (output / name).stat().st_size + sum(css[s] for s in sheets)
    assert len(weights) >= 8
    heaviest = max(weights, key=weights.__getitem__)
    assert weights[heaviest] < PAGE_LIMIT, (heaviest, weights[heaviest])


CONTENT_SECURITY_POLICY = {
    "default-src": "'self'", "script-src": "'self'", "style-src": "'self'",
    "img-src": "'self' data:", "object-src": "'none'", "base-uri": "'self'",
    "form-action": "'self'", "frame-src": "'none'"}


def test_every_page_carries_the_content_security_policy_and_nothing_inline(
        output: Path) -> None:
    """The policy comes first in the head, before anything it governs, and no page needs it
    relaxed: no inline script (JSON-LD data is not run), style element or style attribute."""
    pages = _pages(output)
    for name, page in pages:
        metas = page.find_all("meta", attrs={"http-equiv": "Content-Security-Policy"})
        assert len(metas) == 1 and metas[0].parent.name == "head", name
        policy = dict(directive.strip().split(" ", 1)
                      for directive in metas[0]["content"].split(";"))
        assert policy == CONTENT_SECURITY_POLICY, name
        before = metas[0].find_all_previous(["script", "link", "style", "base"])
        assert before == [], name
        for element in page.find_all(True):
            assert "style" not in element.attrs, (name, element.name)
            assert not any(attribute.startswith("on") for attribute in element.attrs), name
        assert page.find("style") is None, name
        for script in page.find_all("script"):
            assert script.get("src") or script.get("type") == "application/ld+json", name
    assert len(pages) >= 40
    GATE_COUNTS["pages checked for the Content-Security-Policy meta tag"] = str(len(pages))


# --- the stylesheet ---------------------------------------------------------

STYLE = (REPO / "static" / "style.css").read_text()


def _rules(nodes) -> list[tuple[str, str, dict[str, str]]]:
    """(media condition, selector, declarations) for each rule, flattening @media blocks."""
    found = []
    for node in nodes:
        if node.type == "qualified-rule":
            declarations = {d.lower_name: tinycss2.serialize(d.value).strip()
                            for d in tinycss2.parse_declaration_list(node.content,
                                                                     skip_whitespace=True,
                                                                     skip_comments=True)
                            if d.type == "declaration"}
            found.append(("", tinycss2.serialize(node.prelude).strip(), declarations))
        elif node.type == "at-rule" and node.lower_at_keyword == "media":
            media = tinycss2.serialize(node.prelude).strip()
            inner = tinycss2.parse_rule_list(node.content, skip_whitespace=True,
                                             skip_comments=True)
            found += [(media, selector, d) for _, selector, d in _rules(inner)]
    return found


RULES = _rules(tinycss2.parse_stylesheet(STYLE, skip_whitespace=True, skip_comments=True))


def _variables(dark: bool) -> dict[str, str]:
    values = {}
    for media, selector, declarations in RULES:
        if selector == ":root" and (media == "" or (dark and "dark" in media)):
            values.update({k: v for k, v in declarations.items() if k.startswith("--")})
    return values


def _colour(value: str, variables: dict[str, str]) -> tuple[float, float, float] | None:
    value = value.replace("!important", "").strip()
    match = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if match:
        value = variables[match.group(1)]
    if not re.fullmatch(r"#([0-9a-fA-F]{3}){1,2}", value):
        return None
    digits = value[1:]
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def luminance(rgb: tuple[float, ...]) -> float:
        channel = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * channel[0] + 0.7152 * channel[1] + 0.0722 * channel[2]
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_text_colours_contrast_at_least_4_5_to_1(dark: bool) -> None:
    variables = _variables(dark)
    pairs = [(fg, bg) for fg in ("--text", "--muted", "--link", "--link-visited")
             for bg in ("--background", "--surface")]
    checked = 0
    for fg, bg in pairs:
        ratio = _contrast(_colour(variables[fg], {}), _colour(variables[bg], {}))
        assert ratio >= 4.5, (fg, bg, round(ratio, 2))
        checked += 1
    # Every rule that sets both a text colour and a background, such as the card headings.
    for media, selector, declarations in RULES:
        if media == "print" or "color" not in declarations:
            continue
        background = declarations.get("background-color") or declarations.get("background")
        if background is None:
            continue
        fg, bg = _colour(declarations["color"], variables), _colour(background, variables)
        if fg and bg:
            assert _contrast(fg, bg) >= 4.5, (selector, round(_contrast(fg, bg), 2))
            checked += 1
    assert checked >= 15


def _declarations(selector: str, media: str = "") -> dict[str, str]:
    merged: dict[str, str] = {}
    for rule_media, rule_selector, declarations in RULES:
        if rule_media == media and selector in [s.strip() for s in rule_selector.split(",")]:
            merged.update(declarations)
    return merged


def test_body_text_size_and_line_length() -> None:
    body = _declarations("body")
    assert float(body["font-size"].removesuffix("rem")) * 16 >= 16
    assert int(_variables(False)["--measure"].removesuffix("ch")) <= 75
    assert _declarations(".wrap")["max-width"] == "var(--measure)"


def test_print_hides_navigation_and_prints_link_addresses() -> None:
    assert _declarations(".site-header nav", "print")["display"] == "none"
    assert _declarations(".term-tip", "print")["display"].startswith("none")
    after = _declarations(".references a::after", "print")
    assert after["content"] == '" (" attr(href) ")"'


def test_controls_are_at_least_24_px_and_focus_is_visible() -> None:
    for selector in (".search-box input", ".search-box button", ".letters a",
                     ".site-header nav a"):
        height = _declarations(selector)["min-height"]
        pixels = float(height.removesuffix("rem")) * 16 if height.endswith("rem") else \
            float(height.removesuffix("px"))
        assert pixels >= 24, selector
    focus = _declarations("a:focus-visible")
    assert focus["outline"].startswith("3px solid")

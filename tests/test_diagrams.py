"""The site's own diagrams (content/**/images/*.svg): readable on a phone, and their words and
lines in contrast with the background in light and dark mode (WCAG 2.2 AA).

The diagrams follow one convention (docs/editing.md, Pictures): colours and fonts are set by
classes in one <style> block, the light palette first and the dark one in
`@media screen and (prefers-color-scheme: dark)`, over a background rectangle of class `bg`.
Text drawn on the skin keeps its colour in both modes (skin colours do not change); the
classes the dark palette changes are those drawn on the background.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest

from .conftest import REPO

DIAGRAMS = sorted((REPO / "content").glob("*/images/*.svg"))
PHONE_COLUMN = 343  # CSS px: the text column of a 375 px phone
SMALLEST_TEXT = 12  # CSS px, on that phone
_SVG = "{http://www.w3.org/2000/svg}"
_DARK = re.compile(r"@media\s+screen\s+and\s+\(prefers-color-scheme:\s*dark\)\s*\{(.*)\}\s*$",
                   re.S)


def rules(css: str) -> dict[str, dict[str, str]]:
    """Class -> {property: value} of plain `.a, .b { ... }` rules."""
    found: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", re.sub(r"/\*.*?\*/", "", css,
                                                                      flags=re.S)):
        values = dict(d.split(":", 1) for d in body.split(";") if ":" in d)
        for selector in selectors.split(","):
            if selector.strip().startswith("."):
                found.setdefault(selector.strip()[1:], {}).update(
                    {k.strip(): v.strip() for k, v in values.items()})
    return found


def palettes(svg: etree.Element) -> tuple[dict, dict]:
    css = svg.find(f"{_SVG}style").text or ""
    dark_block = _DARK.search(css)
    assert dark_block, "no dark palette"
    light = rules(css[:dark_block.start()])
    dark_changes = rules(dark_block.group(1))
    dark = {name: {**values, **dark_changes.get(name, {})} for name, values in light.items()}
    return light, dark


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    digits = "".join(c * 2 for c in digits) if len(digits) == 3 else digits
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_site_has_its_twelve_diagrams() -> None:
    assert len(DIAGRAMS) == 12


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_word_of_a_diagram_is_at_least_12_px_on_a_phone(path: Path) -> None:
    svg = etree.parse(path).getroot()
    width = float(svg.get("viewBox").split()[2])
    light, _ = palettes(svg)
    sizes = {}
    for text in svg.iter(f"{_SVG}text"):
        font = light.get(text.get("class", ""), {}).get("font", "")
        size = re.search(r"([0-9.]+)px", font)
        assert size, f"text {text.get('class')!r} has no font size in a class"
        sizes[text.get("class")] = float(size[1])
    assert min(sizes.values()) * min(PHONE_COLUMN, width) / width >= SMALLEST_TEXT, sizes


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_words_and_lines_on_the_background_contrast_with_it_in_both_modes(path: Path) -> None:
    svg = etree.parse(path).getroot()
    light, dark = palettes(svg)
    assert svg.find(f"{_SVG}rect").get("class") == "bg"  # drawn first: under everything
    used = {element.get("class") for element in svg.iter() if element.get("class")}
    low = []
    for name in used - {"bg"}:
        if light[name] == dark[name]:
            continue  # drawn on skin, whose colours are the same in both modes
        for palette, mode in ((light, "light"), (dark, "dark")):
            background = palette["bg"]["fill"]
            is_text = "font" in palette[name]
            for prop in ("fill", "stroke"):
                colour = palette[name].get(prop, "none")
                if colour.startswith("#") and colour != background:
                    needed = 4.5 if is_text else 3
                    if contrast(colour, background) < needed:
                        low.append((name, prop, mode, round(contrast(colour, background), 2)))
    assert low == []

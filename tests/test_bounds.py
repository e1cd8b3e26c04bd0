"""What one article may cost: nesting in its body or its front matter found at its line
before any parser runs; a time limit."""

from __future__ import annotations

import threading
import time

import pytest

from scarsite.bounds import (
    MAX_NESTING,
    TooSlow,
    deepest_line,
    html_nesting,
    longest_paragraph,
    markdown_nesting,
    time_limit,
)
from scarsite.yamldepth import yaml_nesting


def _lists(depth: int) -> str:
    return "".join(f"{'    ' * level}- level {level}\n" for level in range(depth))


def test_lists_and_quotes_up_to_the_limit_pass_and_deeper_ones_are_found_at_their_line() -> None:
    assert markdown_nesting("Intro.\n\n" + _lists(MAX_NESTING)) is None
    assert markdown_nesting("> " * MAX_NESTING + "quote\n") is None
    assert markdown_nesting("Intro.\n\n" + _lists(MAX_NESTING + 5)) == (2 + MAX_NESTING,
                                                                        MAX_NESTING + 1)
    assert markdown_nesting("a\n" + ">" * 80 + " deep\n") == (1, 80)
    assert markdown_nesting("- " * 60 + "item\n") == (0, 60)
    assert markdown_nesting("\t" * 60 + "- tabs\n") == (0, 61)


def test_long_lines_that_do_not_nest_are_not_mistaken_for_nesting() -> None:
    for line in ("-" * 500, "1234567890" * 50 + " digits", "* * *", "a " * 5000,
                 " " * 3 + "- x", "|" + "---|" * 100):
        assert markdown_nesting(line + "\n") is None, line[:20]


def test_html_nested_too_deep_is_found_at_its_line() -> None:
    assert html_nesting("<div>" * MAX_NESTING + "</div>" * MAX_NESTING) is None
    assert html_nesting("Text.\n\n" + "<div>\n" * (MAX_NESTING + 1)) == 2 + MAX_NESTING
    closed = "<div><span>x</span></div>\n" * 1000  # many tags, none deep
    assert html_nesting(closed) is None
    # elements that hold nothing, or that close the one before, do not nest
    assert html_nesting("<p>a<br><img src=x><li>b<td>c\n" * 500) is None


def _yaml_levels(text: str) -> list[int]:
    """For each level of lists and mappings, the line index where `text` first reaches it."""
    lines: list[int] = []
    while (line := yaml_nesting(text, len(lines))) is not None:
        lines.append(line)
    return lines


@pytest.mark.parametrize(("text", "levels"), [
    ("", []),
    ("just text", []),
    ("a: 1\nb: [x, y]\nc:\n  d: {e: f}\n", [0, 1, 3]),
    ("- - - x\n", [0, 0, 0]),
    ("- a: 1\n  b:\n    - c\n", [0, 0, 2]),
    ("k:\n- a\n- b:\n    c: d\n", [0, 1, 2, 3]),  # a list in its mapping's column
    ("k: [a, [b, {c: [d]}]]\n", [0, 0, 0, 0, 0]),
    ("[a: b]\n", [0, 0]),  # a `key: value` item of a flow list is a mapping
    ("[[a]: b]\n", [0, 0, 0]),
    ("{a: b}: c\n", [0, 0]),
    ("x: [\n  [a,\n   [b]],\n]\n", [0, 0, 1, 2]),
    ("? - a\n: b\n", [0, 0]),
    ("&anchor\nk: v\n", [0]),  # a collection starts at its anchor or tag
    ("a: 1\n---\n- - x\n", [0, 2]),  # a second document starts afresh
    # not lists or mappings: text in quotes, plain text, block text, comments
    ('k: "[[{{ \\" [["\nl: \'[[ \'\' [[\'\n', [0]),
    ("k: a [[ b: c\n", [0, 0]),
    ("k: a\n  - - - b\n", [0]),  # plain text that goes on over lines
    ("k: |\n  [[[\n  - - -\nl: >-\n  {{{\n", [0]),
    ("k: x # [[[\nl: [a, # ]]]\n  b]\n", [0, 1]),
    ('k: "a\n  [[[ b"\n', [0]),
    ("k: a\n\t- [[[\n", [0]),  # a tab that indents: YAML parsers read no further
])
def test_yaml_levels_are_counted_as_the_parser_opens_them(text: str, levels: list[int]) -> None:
    assert _yaml_levels(text) == levels
    assert _yaml_levels(text.replace("\n", "\r\n")) == levels


def test_yaml_nested_too_deep_is_found_at_its_line_whatever_its_size() -> None:
    assert yaml_nesting("x: " + "[" * 100_000 + "]" * 100_000, 20) == 0
    assert yaml_nesting("".join(f"{' ' * i}k{i}:\n" for i in range(5_000)), 20) == 20
    assert yaml_nesting("k: a\n" + "".join(f"{' ' * i}- a\n" for i in range(1, 5_000)), 20) is None
    assert yaml_nesting("x: [\n" + "[a, b],\n" * 100_000 + "]", 20) is None


def test_the_longest_paragraph_and_the_deepest_line() -> None:
    body = "Short.\n\nA longer\nparagraph here.\n\nMid.\n"
    assert longest_paragraph(body) == 2
    assert deepest_line("a\n- b\n    - c\n- d\n") == 2


def test_the_time_limit_stops_a_slow_block_and_lets_a_quick_one_finish() -> None:
    with time_limit(0.05):
        sum(range(1000))
    with pytest.raises(TooSlow), time_limit(0.05):
        deadline = time.process_time() + 5
        while time.process_time() < deadline:
            pass
    with time_limit(0.05):  # the limit of the block before is gone
        sum(range(1000))


def test_outside_the_main_thread_there_is_no_limit() -> None:
    finished = []

    def work() -> None:
        with time_limit(0.01):
            deadline = time.process_time() + 0.1
            while time.process_time() < deadline:
                pass
        finished.append(True)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    assert finished == [True]

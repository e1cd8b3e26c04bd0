"""What one body may cost: nesting found at its line before any parser runs; a time limit."""

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

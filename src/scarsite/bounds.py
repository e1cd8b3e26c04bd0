"""Parse and Markdown stages, part: what one article may cost to read and convert.

Markdown and HTML parsers do more work the deeper things nest, and some inputs
are slow out of all proportion to their size: Python-Markdown recurses once per
level of a nested list (500 levels exhaust Python's stack), takes quadratic time
over a paragraph of thousands of unmatched `[`, and an HTML parser's time grows
with the square of how deep block tags nest. No reader needs any of that, so a
body with lists, block quotes or HTML tags nested more than `MAX_NESTING` deep is
an error at the deepest line, before any parser sees it, and a conversion that
still runs longer than `CONVERT_SECONDS` of processor time is stopped and
reported at the longest paragraph. Ordinary articles take milliseconds.

The same goes for YAML: `yamldepth.yaml_nesting` finds where lists and mappings
in front matter nest deeper than its limit, on the text, before PyYAML reads it.
"""

from __future__ import annotations

import contextlib
import re
import signal
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from types import FrameType

MAX_NESTING = 50  # levels of lists and block quotes, or of HTML tags, inside each other
CONVERT_SECONDS = 5.0  # of processor time for one body

# A line can only open more than MAX_NESTING levels if that many characters of indentation
# and list or quote markers start it; lines are looked at closely only when they do.
_DEEP_CANDIDATE = re.compile(rf"^[ \t>*+\-\d.)]{{{MAX_NESTING},}}", re.MULTILINE)
_OPENER = re.compile(r" {0,3}(?:>|(?:[-*+]|\d{1,9}[.)])(?= ))[ ]*")
# Elements that hold nothing, or that the next one like them closes: they do not nest.
_NOT_NESTING = frozenset({
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot",
    "option", "optgroup", "colgroup", "caption", "rt", "rp"})


class TooSlow(Exception):
    """The conversion of a body ran out of its processor time."""


def markdown_nesting(body: str) -> tuple[int, int] | None:
    """(line index, levels) of the first line of `body` nested more than MAX_NESTING deep
    in lists and block quotes, or None."""
    for candidate in _DEEP_CANDIDATE.finditer(body):
        start = candidate.start()
        end = body.find("\n", start)
        levels = _levels(body[start:end if end != -1 else len(body)])
        if levels > MAX_NESTING:
            return body.count("\n", 0, start), levels
    return None


def deepest_line(body: str) -> int:
    """The line index in `body` of its line nested deepest in lists and block quotes."""
    levels = [_levels(line) for line in body.split("\n")]
    return levels.index(max(levels))


def _levels(line: str) -> int:
    """Levels a line opens: each 4 columns of indentation and each list or quote marker."""
    line = line.expandtabs(4)
    text = line.lstrip(" ")
    levels, position = (len(line) - len(text)) // 4, 0
    while (marker := _OPENER.match(text, position)) and marker.end() > position:
        levels += 1
        position = marker.end()
    return levels


class _Depth(HTMLParser):
    """Stops at the first start tag nested more than MAX_NESTING deep."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.too_deep: int | None = None  # line (from 1) of that tag

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in _NOT_NESTING or self.too_deep is not None:
            return
        self.open.append(tag)
        if len(self.open) > MAX_NESTING:
            self.too_deep = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]


def html_nesting(body: str) -> int | None:
    """The line index in `body` of the first HTML tag nested more than MAX_NESTING deep in
    the tags written before it, or None."""
    if body.count("<") <= MAX_NESTING:
        return None  # too few tags to nest that deep: the usual case, and quick
    parser = _Depth()
    for line in body.splitlines(keepends=True):
        parser.feed(line)
        if parser.too_deep is not None:
            return parser.too_deep - 1
    return None


def longest_paragraph(body: str) -> int:
    """The line index in `body` where its longest paragraph (run of non-blank lines) starts."""
    best, best_length, start, length = 0, -1, 0, 0
    for index, line in enumerate([*body.split("\n"), ""]):
        if line.strip():
            if not length:
                start = index
            length += len(line)
        elif length:
            if length > best_length:
                best, best_length = start, length
            length = 0
    return best


@contextlib.contextmanager
def time_limit(seconds: float = CONVERT_SECONDS) -> Iterator[None]:
    """Raise TooSlow in the block once it has used `seconds` of this process's processor
    time (not wall time, so a busy machine does not change the outcome). Only the main
    thread can be interrupted; elsewhere the block runs without a limit."""
    if threading.current_thread() is not threading.main_thread() or \
            not hasattr(signal, "setitimer"):
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise TooSlow

    previous = signal.signal(signal.SIGVTALRM, stop)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)

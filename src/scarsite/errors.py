"""Problems found in a site, located by file and line.

Every stage reports what is wrong with the site's files into one `Problems`
collector instead of raising, so a build can show all its mistakes at once.
`SiteError` is raised only when a stage cannot go on at all (no content folder,
a settings file that is not TOML); it carries the same located `Problem`.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One mistake in the site: where it is, which field, and what to do."""

    path: str
    line: int
    field: str
    message: str
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        label = "warning: " if self.warning else ""
        what = f"{self.field}: " if self.field else ""
        return one_line(f"{where}: {label}{what}{self.message}")


# Control characters, line separators and the stand-ins Python keeps for file name bytes
# that are not UTF-8: printed as they are, they would split a problem over several lines
# (or garble the terminal), and tools read one problem per line.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def one_line(text: str) -> str:
    """`text` with every character that would break it over lines written as an escape."""
    return _UNPRINTABLE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    if 0xDC80 <= code <= 0xDCFF:  # a byte of a file name that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


@dataclass
class Problems:
    """Collects errors and warnings from every stage of a build."""

    items: list[Problem] = field(default_factory=list)
    _seen: set[Problem] = field(default_factory=set, repr=False)

    def error(self, path: str, line: int, field: str, message: str) -> None:
        self.add(Problem(path, line, field, message))

    def warn(self, path: str, line: int, field: str, message: str) -> None:
        self.add(Problem(path, line, field, message, warning=True))

    def add(self, problem: Problem) -> None:
        # The same template mistake shows on every page that uses it; report it once.
        if problem not in self._seen:
            self._seen.add(problem)
            self.items.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def failed(self, strict: bool = False) -> bool:
        return bool(self.errors or (strict and self.warnings))

    def sorted(self) -> list[Problem]:
        """Problems in file order, so a report reads top to bottom; ties keep the order found."""
        return sorted(self.items, key=lambda p: (p.path, p.line))


class SiteError(Exception):
    """A problem that stops the build before it can look for more."""

    def __init__(self, path: str, line: int, field: str, message: str) -> None:
        self.problem = Problem(path, line, field, message)
        super().__init__(str(self.problem))


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice `word` is most likely a misspelling of, or None if none is close."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """A ` (did you mean 'x'?)` suffix naming the closest choice, or ''."""
    match = closest(word, choices)
    return f" (did you mean '{match}'?)" if match else ""

"""Load stage: find the article files under `content/` and read them as text.

Input: the site folder. Output: `Source` records in path order, with the text
decoded from UTF-8, a byte-order mark removed and line endings made `\\n`.
Files that cannot be read as UTF-8 text are reported with the line of the
first bad byte and left out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .config import KIND_BY_SECTION, PAGE_SECTION
from .errors import Problems, SiteError, did_you_mean

CONTENT_DIR = "content"


@dataclass(frozen=True)
class Source:
    """One article file as text."""

    rel: str  # path relative to the site folder, with '/' separators
    section: str  # the folder under content/, e.g. 'treatments'
    text: str


Stamp = tuple[int, int, int]  # a file's size, modification time and inode


def load_sources(site: Path, problems: Problems,
                 known: dict[str, tuple[Stamp, Source]] | None = None) -> list[Source]:
    """Read every `content/<section>/<name>.md` file of the site.

    With `known` (kept by the live preview, which is told which files changed and drops
    them from it), a file whose stamp is unchanged is not read again; `known` is updated.
    """
    content = site / CONTENT_DIR
    if not content.is_dir():
        raise SiteError(CONTENT_DIR, 0, "", "no content folder: articles go in "
                        "content/<section>/<name>.md")
    root = site.resolve()
    sources = []
    for parts, entry in _markdown_entries(str(content), ()):
        rel = "/".join((CONTENT_DIR, *parts))
        if entry.is_dir(follow_symlinks=False):
            problems.error(rel, 0, "", "is a folder, not an article; rename it")
            continue
        if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(root):
            problems.error(rel, 0, "", "is a link to a file outside the site; copy the file in")
            continue
        if len(parts) != 2 and not (len(parts) > 2 and parts[0] == PAGE_SECTION):
            problems.error(rel, 0, "", "articles go directly in a section folder: "
                           f"content/<section>/{parts[-1]}, where section is one of "
                           f"{', '.join(KIND_BY_SECTION)}")
            continue
        section = parts[0]
        if section not in KIND_BY_SECTION:
            problems.error(rel, 0, "", f"unknown section folder '{section}'"
                           f"{did_you_mean(section, KIND_BY_SECTION)}; use one of "
                           f"{', '.join(KIND_BY_SECTION)}")
            continue
        stamp = _stamp(entry) if known is not None else None
        if known is not None and rel in known and known[rel][0] == stamp:
            sources.append(known[rel][1])
            continue
        text = _read_text(Path(entry.path), rel, problems)
        if text is not None:
            sources.append(Source(rel, section, text))
            if known is not None and stamp is not None:
                known[rel] = (stamp, sources[-1])
    if known is not None:
        for gone in known.keys() - {source.rel for source in sources}:
            del known[gone]
    return sources


def _stamp(entry: os.DirEntry[str]) -> Stamp | None:
    try:
        stat = entry.stat()
    except OSError:
        return None
    return (stat.st_size, stat.st_mtime_ns, stat.st_ino)


def _markdown_entries(folder: str, parts: tuple[str, ...]) -> list[tuple[tuple[str, ...],
                                                                         os.DirEntry[str]]]:
    """Every `*.md` entry under `folder` in path order, skipping hidden files and editor
    backups, and not following links to folders."""
    found = []
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        if entry.name.startswith("."):
            continue
        if entry.name.endswith(".md"):
            found.append(((*parts, entry.name), entry))
        elif entry.is_dir(follow_symlinks=False):
            found += _markdown_entries(entry.path, (*parts, entry.name))
    return sorted(found, key=lambda item: "/".join(item[0]))


def _read_text(path: Path, rel: str, problems: Problems) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(rel, 0, "", f"cannot be read: {exc.strerror or exc}")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.error(rel, 1, "", "is saved as UTF-16; save it as UTF-8")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        problems.error(rel, line, "", f"is not valid UTF-8 (byte 0x{data[exc.start]:02x}); "
                       "save it as UTF-8")
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        problems.error(rel, line, "", "contains a NUL character; is it a binary file?")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text

"""Load stage: find the article files under `content/` and read them as text.

Input: the site folder. Output: `Source` records in path order, with the text
decoded from UTF-8, a byte-order mark removed and line endings made `\\n`.
Anything under `content/` that cannot be used as an article (a folder or pipe
named `*.md`, a link leading outside the site, a file too big, not UTF-8 text or
not readable) is reported with its path and left out; nothing outside the site
folder is ever read.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from .config import KIND_BY_SECTION, PAGE_SECTION
from .errors import Problems, SiteError, did_you_mean
from .images import MAX_PICTURE_BYTES, PICTURE_SUFFIXES, PictureFile
from .names import CONTENT_DIR

# About 150,000 words, ten times the longest article a reader would finish. A limit keeps
# a stray data file named `.md` from taking minutes and gigabytes of Markdown conversion.
MAX_ARTICLE_BYTES = 1_000_000


@dataclass(frozen=True)
class Source:
    """One article file as text."""

    rel: str  # path relative to the site folder, with '/' separators
    section: str  # the folder under content/, e.g. 'treatments'
    text: str


# Files read before, by content path, with the size, modification and change times and inode
# they had (no program can set the change time back: a file put back with its old
# modification time, as `cp -p` does, still shows).
KnownSources = dict[str, tuple[tuple[int, int, int, int], Source]]


def load_sources(site: Path, problems: Problems, known: KnownSources | None = None,
                 fresh: Collection[str] | None = None) -> list[Source]:
    """Read every `content/<section>/<name>.md` file of the site.

    With `known` (the live preview, which a file watcher tells of every save), a file is
    read again only when it is in `fresh` (the content paths the watcher named; None: all)
    or its stamp (size, modification and change times, inode) changed; `known` is updated.
    Reading a file wakes the watcher too: reading all 1,000 files of a site took 50 to 70
    ms a rebuild in the preview, half the 100 ms from a save to the page. `scarsite build`
    reads them all.
    """
    content = site / CONTENT_DIR
    if not content.is_dir():
        raise SiteError(CONTENT_DIR, 0, "", "no content folder: articles go in "
                        "content/<section>/<name>.md")
    root = site.resolve()
    if not content.resolve().is_relative_to(root):
        raise SiteError(CONTENT_DIR, 0, "", "is a link to a folder outside the site; move "
                        "the folder into the site")
    sources = []
    for parts, entry in _entries(str(content), (CONTENT_DIR,), _is_article, problems):
        rel = "/".join(parts)
        info = _file_info(entry, rel, root, problems)
        if info is None:
            continue
        parts = parts[1:]
        if len(parts) != 2 and not (len(parts) > 2 and parts[0] == PAGE_SECTION):
            problems.error(rel, 1, "file", "articles go directly in a section folder: "
                           f"content/<section>/{parts[-1]}, where section is one of "
                           f"{', '.join(KIND_BY_SECTION)}")
            continue
        section = parts[0]
        if section not in KIND_BY_SECTION:
            problems.error(rel, 1, "file", f"unknown section folder '{section}'"
                           f"{did_you_mean(section, KIND_BY_SECTION)}; use one of "
                           f"{', '.join(KIND_BY_SECTION)}")
            continue
        stamp = (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)
        last = known.get(rel) if known is not None else None
        if last is not None and last[0] == stamp and fresh is not None and rel not in fresh:
            sources.append(last[1])
            continue
        text = _read_text(entry.path, rel, problems)
        if text is not None:
            sources.append(Source(rel, section, text))
            if known is not None:
                known[rel] = (stamp, sources[-1])
    if known is not None:
        for gone in known.keys() - {source.rel for source in sources}:
            del known[gone]
    return sources


def load_pictures(site: Path, problems: Problems) -> list[PictureFile]:
    """Read every picture file (PNG, JPEG, WebP, SVG) under `content/`, where articles link
    to them. Whether each is a good picture is for the pictures stage to say."""
    content, root = site / CONTENT_DIR, site.resolve()
    if not content.is_dir():
        return []  # `load_sources` says so
    pictures = []
    # Mistakes in folder and file names are reported by `load_sources`, which meets them too.
    for parts, entry in _entries(str(content), (CONTENT_DIR,), _is_picture, Problems()):
        rel = "/".join(parts)
        if entry.is_dir(follow_symlinks=False):
            continue  # a folder named like a picture: not one
        if _file_info(entry, rel, root, problems, max_bytes=None) is None:
            continue
        try:
            with open(entry.path, "rb") as file:
                # One byte more than a picture may have, so the pictures stage can tell.
                pictures.append(PictureFile(rel, file.read(MAX_PICTURE_BYTES + 1)))
        except OSError as exc:
            problems.error(rel, 0, "file", f"cannot be read: {exc.strerror or exc}")
    return pictures


def _is_article(name: str) -> bool:
    return name.endswith(".md")


def _is_picture(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in PICTURE_SUFFIXES


def _file_info(entry: os.DirEntry[str], rel: str, root: Path, problems: Problems,
               max_bytes: int | None = MAX_ARTICLE_BYTES) -> os.stat_result | None:
    """The status of an article file that is safe to read, or None after saying why not."""
    if entry.is_dir(follow_symlinks=False):
        problems.error(rel, 0, "file", "is a folder, not an article; take '.md' off its name")
        return None
    if entry.is_symlink():
        try:
            target = Path(entry.path).resolve(strict=True)
        except FileNotFoundError:
            problems.error(rel, 1, "file", "is a link to a file that does not exist")
            return None
        except (OSError, RuntimeError):  # RuntimeError: a loop of links (Python 3.11, 3.12)
            problems.error(rel, 1, "file", "is a link that cannot be followed (a loop of "
                           "links?); replace it with the file")
            return None
        if not target.is_relative_to(root):
            problems.error(rel, 1, "file", "is a link to a file outside the site; copy the "
                           "file in")
            return None
    try:
        info = entry.stat()
    except OSError as exc:
        problems.error(rel, 1, "file", f"cannot be read: {exc.strerror or exc}")
        return None
    if not stat.S_ISREG(info.st_mode):
        # Reading a pipe or a device named '.md' would wait for ever or never end.
        what = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        problems.error(rel, 1, "file", f"is {what}; an article must be a text file")
        return None
    if max_bytes is not None and info.st_size > max_bytes:
        problems.error(rel, 1, "file", f"is {_megabytes(info.st_size)}, more than the "
                       f"{_megabytes(MAX_ARTICLE_BYTES)} an article may be; split it into "
                       "several articles")
        return None
    return info


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _entries(folder: str, parts: tuple[str, ...], wanted: Callable[[str], bool],
             problems: Problems) -> list[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Every entry under `folder` whose name is `wanted`, in path order, skipping hidden
    files and editor backups; links to folders are reported, not followed (they could lead
    out of the site or round in a circle)."""
    found = []
    rel = "/".join(parts)
    try:
        with os.scandir(folder) as scan:
            entries = sorted(scan, key=lambda e: e.name)
    except OSError as exc:
        problems.error(rel, 0, "file", f"the folder cannot be read: {exc.strerror or exc}")
        return []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = (*parts, entry.name)
        if _undecodable(entry.name):
            # Such a name cannot be written into the site's pages, nor even into the cache.
            problems.error("/".join(path), 0, "file", "the name is not valid UTF-8; rename it")
        elif wanted(entry.name):
            found.append((path, entry))
        elif entry.is_dir(follow_symlinks=False):
            found += _entries(entry.path, path, wanted, problems)
        elif entry.is_symlink() and _leads_to_folder(entry):
            problems.error("/".join(path), 0, "file", "is a link to a folder, which is not "
                           "followed; move the folder here instead")
    return sorted(found, key=lambda item: "/".join(item[0]))


def _leads_to_folder(link: os.DirEntry[str]) -> bool:
    try:
        return link.is_dir()
    except OSError:  # a loop of links: not a folder (if named .md, reported as an article)
        return False


def _undecodable(name: str) -> bool:
    """Whether a file name held bytes that are not UTF-8 (kept by Python as surrogates)."""
    return not name.isascii() and any("\udc80" <= char <= "\udcff" for char in name)


def _read_text(path: str, rel: str, problems: Problems) -> str | None:
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_ARTICLE_BYTES + 1)
    except OSError as exc:
        problems.error(rel, 1, "file", f"cannot be read: {exc.strerror or exc}")
        return None
    if len(data) > MAX_ARTICLE_BYTES:  # it grew after it was looked at
        problems.error(rel, 1, "file", f"is more than the {_megabytes(MAX_ARTICLE_BYTES)} an "
                       "article may be; split it into several articles")
        return None
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        problems.error(rel, 1, "encoding", "is saved as UTF-32; save it as UTF-8")
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in data and _looks_utf16(data)):
        problems.error(rel, 1, "encoding", "is saved as UTF-16; save it as UTF-8")
        return None
    if b"\x00" in data:
        problems.error(rel, _line_at(data, data.index(b"\x00")), "encoding",
                       "contains a NUL byte; is it a binary file? An article is UTF-8 text")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.error(rel, _line_at(data, exc.start), "encoding", "is not valid UTF-8 (byte "
                       f"0x{data[exc.start]:02x}); save it as UTF-8")
        return None
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _looks_utf16(data: bytes) -> bool:
    """UTF-16 without a byte-order mark: mostly text, with every other byte zero."""
    sample = data[:4096]
    half = len(sample) // 2
    return half >= 4 and max(sample[0::2].count(0), sample[1::2].count(0)) >= half * 3 // 4


def _line_at(data: bytes, offset: int) -> int:
    """The line of a byte offset, counting CRLF, CR and LF line endings as the text will."""
    before = data[:offset]
    return before.count(b"\n") + before.count(b"\r") - before.count(b"\r\n") + 1

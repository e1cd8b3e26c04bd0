"""Load stage: which files are articles, and how their bytes become text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scarsite.errors import Problems, SiteError
from scarsite.load import KnownSources, load_sources


def _write(root: Path, rel: str, data: bytes) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def test_load_reads_sections_in_path_order_and_normalises_text(tmp_path: Path) -> None:
    _write(tmp_path, "content/treatments/b.md", b"\xef\xbb\xbf---\r\ntitle: B\r\n")
    _write(tmp_path, "content/guides/a.md", b"one\rtwo\n")
    _write(tmp_path, "content/guides/.hidden.md", b"x")
    _write(tmp_path, "content/guides/notes.txt", b"x")
    problems = Problems()
    sources = load_sources(tmp_path, problems)
    assert problems.items == []
    assert [(s.rel, s.section, s.text) for s in sources] == [
        ("content/guides/a.md", "guides", "one\ntwo\n"),
        ("content/treatments/b.md", "treatments", "---\ntitle: B\n"),
    ]


def test_load_reports_files_it_cannot_use(tmp_path: Path) -> None:
    _write(tmp_path, "content/guides/latin1.md", b"line one\ncaf\xe9\n")
    _write(tmp_path, "content/guides/utf16.md", "hi".encode("utf-16"))
    _write(tmp_path, "content/guides/nul.md", b"a\nb\x00c")
    _write(tmp_path, "content/guide/misplaced.md", b"x")
    _write(tmp_path, "content/top.md", b"x")
    (tmp_path / "content/guides/folder.md").mkdir()
    problems = Problems()
    assert load_sources(tmp_path, problems) == []
    assert [str(p) for p in problems.sorted()] == [
        "content/guide/misplaced.md:1: file: unknown section folder 'guide' (did you mean "
        "'guides'?); use one of scar-types, treatments, aftercare, guides, pages",
        "content/guides/folder.md: file: is a folder, not an article; take '.md' off its name",
        "content/guides/latin1.md:2: encoding: is not valid UTF-8 (byte 0xe9); save it as UTF-8",
        "content/guides/nul.md:2: encoding: contains a NUL byte; is it a binary file? An "
        "article is UTF-8 text",
        "content/guides/utf16.md:1: encoding: is saved as UTF-16; save it as UTF-8",
        "content/top.md:1: file: articles go directly in a section folder: "
        "content/<section>/top.md, where section is one of scar-types, treatments, aftercare, "
        "guides, pages",
    ]


def test_load_rejects_symlink_out_of_site(tmp_path: Path) -> None:
    outside = tmp_path / "outside.md"
    outside.write_text("secret")
    site = tmp_path / "site"
    (site / "content/guides").mkdir(parents=True)
    (site / "content/guides/link.md").symlink_to(outside)
    problems = Problems()
    assert load_sources(site, problems) == []
    assert [str(p) for p in problems.items] == [
        "content/guides/link.md:1: file: is a link to a file outside the site; copy the file in"]


def test_load_without_content_folder_stops(tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="no content folder"):
        load_sources(tmp_path, Problems())


def test_the_preview_reads_again_only_files_named_or_changed(tmp_path: Path) -> None:
    for name in ("a", "b", "c"):
        _write(tmp_path, f"content/guides/{name}.md", b"Aaaa.\n")
    known: KnownSources = {}
    first = {s.rel: s for s in load_sources(tmp_path, Problems(), known)}
    second = {s.rel: s for s in load_sources(tmp_path, Problems(), known, fresh=set())}
    assert all(second[rel] is first[rel] for rel in first)  # unchanged, not named: kept

    # Named by the watcher: read again, even with the same stamp.
    third = {s.rel: s for s in load_sources(tmp_path, Problems(), known,
                                            fresh={"content/guides/a.md"})}
    assert third["content/guides/a.md"] is not first["content/guides/a.md"]
    assert third["content/guides/b.md"] is first["content/guides/b.md"]

    # Not named, same size, old modification time put back: the change time shows it.
    path = tmp_path / "content/guides/b.md"
    stat = path.stat()
    path.write_bytes(b"Bbbb.\n")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    fourth = {s.rel: s for s in load_sources(tmp_path, Problems(), known, fresh=set())}
    assert fourth["content/guides/b.md"].text == "Bbbb.\n"

    # Without names (None), every file is read; a file gone is forgotten.
    path.unlink()
    fifth = {s.rel: s for s in load_sources(tmp_path, Problems(), known, fresh=None)}
    assert fifth["content/guides/c.md"] is not first["content/guides/c.md"]
    assert sorted(known) == ["content/guides/a.md", "content/guides/c.md"]

"""Load stage: which files are articles, and how their bytes become text."""

from __future__ import annotations

from pathlib import Path

import pytest

from scarsite.errors import Problems, SiteError
from scarsite.load import load_sources


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

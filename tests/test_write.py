"""Write stage: the output folder is replaced all at once, and leftovers are cleaned up."""

from __future__ import annotations

from pathlib import Path

import pytest

from scarsite.errors import SiteError
from scarsite.static import StaticFiles
from scarsite.write import OUTPUT_MARKER, OUTPUT_MARKER_TEXT, write_site

from .conftest import tree_of

SPARE = [".build.spare", ".build.spare-ready"]  # the spare copy kept for fast later builds


def published(files: dict[str, bytes]) -> dict[str, bytes]:
    """`files` as published: with the marker that says scarsite made the folder."""
    return {**files, OUTPUT_MARKER: OUTPUT_MARKER_TEXT}


def test_write_replaces_old_output_completely(tmp_path: Path) -> None:
    output = tmp_path / "build"
    write_site({"index.html": b"old", "gone.html": b"x"}, StaticFiles(), output)
    result = write_site({"index.html": b"new", "a/b/index.html": b"deep"}, StaticFiles(), output)
    assert (result.files, result.changed) == (3, 2)  # the marker is unchanged
    assert sorted(p.relative_to(output).as_posix() for p in output.rglob("*") if p.is_file()) \
        == [OUTPUT_MARKER, "a/b/index.html", "index.html"]
    assert (output / "index.html").read_bytes() == b"new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [*SPARE, "build"]


def test_write_recovers_from_a_killed_build(tmp_path: Path) -> None:
    output = tmp_path / "build"
    # A build killed between its two renames leaves only the old site, under a temporary name.
    old = tmp_path / ".build.old-12345"
    old.mkdir()
    (old / "index.html").write_text("previous")
    half = tmp_path / ".build.new-abc"
    half.mkdir()
    (half / "partial.html").write_text("half")
    write_site({"index.html": b"fresh"}, StaticFiles(), output)
    assert (output / "index.html").read_bytes() == b"fresh"
    # The recovered old site became the spare copy of the new one.
    assert sorted(p.name for p in tmp_path.iterdir()) == [*SPARE, "build"]
    assert tree_of(tmp_path / ".build.spare") == published({"index.html": b"fresh"})


def test_write_failure_keeps_previous_output(tmp_path: Path) -> None:
    output = tmp_path / "build"
    write_site({"index.html": b"published"}, StaticFiles(), output)
    # A file and a folder at the same path cannot both be written: the write fails half-way.
    with pytest.raises(SiteError, match="could not write the site"):
        write_site({"a": b"file", "a/index.html": b"x"}, StaticFiles(), output)
    assert (output / "index.html").read_bytes() == b"published"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_write_refuses_a_file_in_place_of_the_output_folder(tmp_path: Path) -> None:
    output = tmp_path / "build"
    output.write_text("not a folder")
    with pytest.raises(SiteError, match="exists and is not a folder; choose a new or empty "
                       "folder"):
        write_site({"index.html": b"x"}, StaticFiles(), output)
    assert output.read_text() == "not a folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["build"]


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    output = tmp_path / "build"
    write_site({"same.html": b"same", "edited.html": b"before"}, StaticFiles(), output)
    before = {name: (output / name).stat() for name in ("same.html", "edited.html")}
    result = write_site({"same.html": b"same", "edited.html": b"after!"}, StaticFiles(), output)
    assert (result.files, result.changed) == (3, 1)
    same = (output / "same.html").stat()
    assert (same.st_ino, same.st_mtime_ns) == (before["same.html"].st_ino,
                                              before["same.html"].st_mtime_ns)
    assert (output / "edited.html").stat().st_ino != before["edited.html"].st_ino
    assert (output / "edited.html").read_bytes() == b"after!"
    assert sorted(p.name for p in tmp_path.iterdir()) == [*SPARE, "build"]



def test_later_builds_change_only_what_differs_and_swap_the_spare_in(tmp_path: Path) -> None:
    output = tmp_path / "build"
    sites = [
        {"index.html": b"one", "a/index.html": b"a", "b/index.html": b"b"},
        {"index.html": b"one", "a/index.html": b"a", "b/index.html": b"b"},
        {"index.html": b"two", "a/index.html": b"a", "c/d/index.html": b"new"},  # edit, add, drop
        {"index.html": b"two", "a/index.html": b"a", "c/d/index.html": b"new"},  # no change
        {"index.html": b"two", "c": b"a file where a folder was"},
    ]
    changed = []
    for files in sites:
        inode = (output / "a/index.html").stat().st_ino if output.exists() else None
        changed.append(write_site(files, StaticFiles(), output).changed)
        assert tree_of(output) == published(files)
        spare = tmp_path / ".build.spare"
        if spare.exists() and (tmp_path / ".build.spare-ready").exists():
            # the spare shares the published files' inodes
            assert tree_of(spare) == published(files)
            assert all((spare / rel).stat().st_ino == (output / rel).stat().st_ino
                       for rel in published(files))
        if inode is not None and "a/index.html" in files:
            assert (output / "a/index.html").stat().st_ino == inode  # untouched
    assert changed == [4, 0, 2, 0, 1]  # the first write writes the marker too
    assert sorted(p.name for p in tmp_path.iterdir()) == [*SPARE, "build"]


def test_a_failed_write_on_the_fast_way_keeps_the_published_site(tmp_path: Path) -> None:
    output = tmp_path / "build"
    for _ in range(2):
        write_site({"index.html": b"published"}, StaticFiles(), output)
    assert (tmp_path / ".build.spare-ready").exists()
    with pytest.raises(SiteError, match="could not write the site"):
        write_site({"a": b"file", "a/index.html": b"x"}, StaticFiles(), output)
    assert tree_of(output) == published({"index.html": b"published"})
    write_site({"index.html": b"again"}, StaticFiles(), output)
    assert tree_of(output) == published({"index.html": b"again"})


def test_a_write_gives_the_stamps_of_what_it_published(tmp_path: Path) -> None:
    output = tmp_path / "build"

    def index(folder: Path) -> None:  # as the search step does, before the site is published
        (folder / "pagefind").mkdir()
        (folder / "pagefind" / f"index-{len(list(folder.rglob('*.html')))}.js").write_text("x")

    def walked() -> dict[str, tuple[int, int, int]]:
        return {p.relative_to(output).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns,
                                                   p.stat().st_ino)
                for p in output.rglob("*") if p.is_file()}

    # The first two writes make new folders (the second keeps the first as the spare).
    for _ in range(2):
        result = write_site({"index.html": b"one", "a/index.html": b"a"}, StaticFiles(),
                            output, finish=index)
        assert result.stamps == walked()
    steps = [({"index.html": b"two", "a/index.html": b"a", "b/index.html": b"b"}, index),
             ({"index.html": b"two", "b/index.html": b"b"}, None),  # a page gone, no index
             ({"index.html": b"two", "b/index.html": b"b"}, None)]  # nothing changed
    for files, finish in steps:
        result = write_site(files, StaticFiles(), output, finish=finish)
        assert result.stamps == walked()

"""The build cache, incremental pages and parallel builds: fast, and never different from cold."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from scarsite.build import BuildOptions, build
from scarsite.cache import DiskCache
from scarsite.errors import SiteError
from scarsite.render import Rendered

from .conftest import article, run_scarsite, tree_of


def _site(make_themed_site: Callable[..., Path], extra: int = 0) -> Path:
    files = {
        "content/scar-types/rolling.md": article("Rolling", "scar-type", "## Risks\n\nText.\n"),
        "content/scar-types/boxcar.md": article("Boxcar", "scar-type", "Boxcar text.\n"),
        "content/treatments/subcision.md": article(
            "Subcision", "treatment", "See [rolling](../scar-types/rolling.md#risks).\n",
            scar_types="[rolling]"),
        "content/treatments/peel.md": article("Peel", "treatment", "Peels.\n",
                                              scar_types="[boxcar]"),
        "content/guides/choosing.md": article("Choosing", "guide", "Read this.\n",
                                              treatments="[subcision]"),
    }
    files.update({f"content/guides/g{n:03}.md": article(
        f"Guide {n}", "guide", f"Guide number {n}.\n\n## Part\n\nMore words.\n",
        scar_types="[rolling, boxcar]" if n % 2 else "[boxcar]") for n in range(extra)})
    return make_themed_site(files)


def _build(site: Path, output: Path, *flags: str) -> str:
    result = run_scarsite("build", "--source", site, "--output", output, "--no-search", *flags)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _cold(site: Path, output: Path, *flags: str) -> dict[str, bytes]:
    shutil.rmtree(output, ignore_errors=True)
    _build(site, output, "--no-cache", *flags)
    return tree_of(output)


def test_cached_rebuilds_equal_a_cold_build_after_each_kind_of_change(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site)
    output = tmp_path / "out"
    first = re.search(r"\((\d+) files, (\d+) changed\)", _build(site, output))
    assert first and first[1] == first[2] != "0"  # a first build writes every file
    assert (site / ".scarsite-cache").is_dir()
    stamps = {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()}
    assert "up to date: nothing changed since the last build" in _build(site, output)
    assert {p: p.stat().st_mtime_ns for p in output.rglob("*") if p.is_file()} == stamps

    subcision = site / "content/treatments/subcision.md"
    changes = {
        "edit a body": lambda: subcision.write_text(subcision.read_text() + "\nMore.\n"),
        "edit a title": lambda: subcision.write_text(
            subcision.read_text().replace("title: Subcision", "title: Subcision therapy")),
        "link another term": lambda: subcision.write_text(
            subcision.read_text().replace("scar_types: [rolling]",
                                          "scar_types: [rolling, boxcar]")),
        "add": lambda: (site / "content/guides/new.md").write_text(
            article("New", "guide", "Read [peel](../treatments/peel.md).\n")),
        "edit a template": lambda: (site / "templates/base.html").write_text(
            (site / "templates/base.html").read_text().replace("</footer>", "<!-- x --></footer>")),
        "rename": lambda: (site / "content/guides/new.md").rename(
            site / "content/guides/newer.md"),
        "delete": lambda: (site / "content/treatments/peel.md").unlink() or (
            site / "content/guides/newer.md").unlink(),
        "edit the glossary": lambda: (site / "content/glossary.yaml").write_text(
            '- term: dermis\n  definition: "A deep layer of skin."\n'),
    }
    for step, change in changes.items():
        change()
        _build(site, output)
        assert tree_of(output) == _cold(site, tmp_path / f"cold-{step}"), step
        assert not [p for p in output.rglob("*") if p.is_dir() and not any(p.iterdir())], step


def test_a_body_edit_renders_one_page_and_a_front_matter_edit_renders_all(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, extra=6)
    options = BuildOptions(source=site, output=tmp_path / "out", search=False)
    first = build(options)
    assert first.ok and len(first.rendered.pages) == len(first.rendered.keys) > 15
    assert not build(options).rendered.pages  # nothing changed: nothing rendered

    guide = site / "content/guides/g003.md"
    guide.write_text(guide.read_text().replace("Guide number 3.", "Guide number three."))
    assert sorted(build(options).rendered.pages) == ["guides/g003/index.html"]

    # Front matter can show on any page (lists, panels, the comparison): all are made again.
    guide.write_text(guide.read_text().replace("title: Guide 3", "title: Guide three"))
    rendered = build(options).rendered
    assert sorted(rendered.pages) == sorted(rendered.keys)
    assert tree_of(tmp_path / "out") == _cold(site, tmp_path / "cold")


def test_a_cache_restored_into_a_fresh_copy_of_the_site_is_used(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    """As CI does: a new clone (new files, times and inodes) with `.scarsite-cache/` restored."""
    site = _site(make_themed_site, extra=6)
    _build(site, site / "build")
    clone = tmp_path / "clone"
    # copyfile: new modification times, as a fresh checkout and an unpacked cache have.
    shutil.copytree(site, clone, copy_function=shutil.copyfile,
                    ignore=shutil.ignore_patterns("build", ".build.*"))
    report = build(BuildOptions(source=clone, search=False))
    assert report.ok and not report.rendered.pages  # every page came from the cache
    assert report.files_written > 15
    assert tree_of(clone / "build") == tree_of(site / "build")
    # An edit in the clone renders its page only.
    guide = clone / "content/guides/g002.md"
    guide.write_text(guide.read_text().replace("Guide number 2.", "Guide number two."))
    assert sorted(build(BuildOptions(source=clone, search=False)).rendered.pages) == [
        "guides/g002/index.html"]
    assert tree_of(clone / "build") == _cold(clone, tmp_path / "cold")


def test_an_edit_writes_only_its_own_rows_of_the_cache(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, extra=6)
    output = tmp_path / "out"
    _build(site, output)
    database = site / ".scarsite-cache/cache.sqlite"

    def rows() -> dict[str, set[tuple[str, bytes]]]:
        with sqlite3.connect(database) as db:
            return {table: set(db.execute(f"SELECT * FROM {table}"))
                    for table in ("documents", "bodies", "pages")}

    before = rows()
    guide = site / "content/guides/g001.md"
    guide.write_text(guide.read_text().replace("Guide number 1.", "Edited."))
    _build(site, output)
    after = rows()
    for table in ("documents", "bodies", "pages"):
        assert len(before[table] - after[table]) == len(after[table] - before[table]) == 1, table
    assert tree_of(output) == _cold(site, tmp_path / "cold")


def test_a_file_saved_with_its_old_size_and_time_stamp_is_still_read(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, extra=3)
    output = tmp_path / "out"
    _build(site, output)
    guide = site / "content/guides/g001.md"
    stat = guide.stat()
    # Same size, and the old modification time put back (as `cp -p` or an unpacked
    # archive would): the cache goes by content, so the change is seen.
    guide.write_text(guide.read_text().replace("Guide number 1.", "Guide number X."))
    os.utime(guide, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert guide.stat().st_size == stat.st_size
    assert "1 changed" in _build(site, output)
    assert tree_of(output) == _cold(site, tmp_path / "cold")
    assert "Guide number X." in (output / "guides/g001/index.html").read_text()


def test_parallel_builds_are_byte_identical_to_one_process(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, extra=80)
    _build(site, tmp_path / "one", "--no-cache", "--jobs", "1")
    _build(site, tmp_path / "two", "--no-cache", "--jobs", "2")
    assert tree_of(tmp_path / "one") == tree_of(tmp_path / "two")
    assert len(tree_of(tmp_path / "one")) > 80


def test_no_cache_leaves_no_cache_and_clean_removes_cache_and_output(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site)
    _build(site, site / "build", "--no-cache")
    assert not (site / ".scarsite-cache").exists()
    for _ in range(2):
        _build(site, site / "build")
    assert (site / ".scarsite-cache").is_dir() and (site / ".build.spare").is_dir()
    result = run_scarsite("clean", "--source", site)
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stdout
    assert sorted(p.name for p in site.iterdir()) == ["content", "static", "templates"]
    assert run_scarsite("clean", "--source", site).stdout.strip() == "nothing to remove"


def test_a_damaged_cache_or_output_is_never_trusted(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site)
    output = tmp_path / "out"
    _build(site, output)
    cold = tree_of(output)
    database = site / ".scarsite-cache/cache.sqlite"
    database.write_bytes(b"not a database")
    _build(site, output)
    assert tree_of(output) == cold
    # Half a database, as a copy cut short would leave.
    body = site / "content/scar-types/boxcar.md"
    body.write_text(body.read_text() + "\nMore.\n")
    database.write_bytes(database.read_bytes()[:5000])
    _build(site, output)
    assert tree_of(output) == (cold := _cold(site, tmp_path / "cold-changes"))
    # A published page edited by hand is put back, not kept.
    page = output / "treatments/peel/index.html"
    page.write_text("edited by hand")
    _build(site, output)
    assert tree_of(output) == cold
    # A cache with no rows (as after a crash while it was first written): everything is
    # worked out again.
    with sqlite3.connect(database) as db:
        for table in ("documents", "bodies", "pages"):
            db.execute(f"DELETE FROM {table}")
    (site / "templates/base.html").write_text((site / "templates/base.html").read_text() + " ")
    _build(site, output)
    assert tree_of(output) == _cold(site, tmp_path / "cold")


def test_a_build_is_up_to_date_only_when_nothing_it_reads_or_wrote_changed(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site)
    (site / "content/guides/choosing.md").write_text(article(
        "Choosing", "guide", "Read this.\n", treatments="[subcision]").replace(
        "reviewed: 2025-01-01", "reviewed: 2025-01-01\nupdated: 2024-01-01"))
    output = tmp_path / "out"
    first = run_scarsite("build", "--source", site, "--output", output, "--no-search")
    assert first.returncode == 0 and "warning" in first.stderr  # 'updated' before 'reviewed'
    again = run_scarsite("build", "--source", site, "--output", output, "--no-search")
    assert "up to date" in again.stdout
    assert again.stderr == first.stderr  # the same warnings, reported again
    assert again.stdout.split("time")[0] == first.stdout.split("time")[0]

    def rebuilt(*flags: str) -> bool:
        out = _build(site, output, *flags)
        assert tree_of(output) == _cold(site, tmp_path / "cold", *flags)
        return "up to date" not in out

    static = site / "static/style.css"
    template = site / "templates/base.html"
    changes = {
        "a page edited in the output": lambda: (output / "index.html").write_text("mine"),
        "a page deleted from the output": lambda: (output / "404.html").unlink(),
        "a stray file in the output": lambda: (output / "stray.html").write_text("x"),
        "an article": lambda: (site / "content/guides/choosing.md").write_text(
            (site / "content/guides/choosing.md").read_text() + "\nMore.\n"),
        "a stylesheet": lambda: static.write_text(static.read_text() + "\n"),
        "an image": lambda: (site / "static/dot.png").write_bytes(b"\x89PNG"),
        "a template": lambda: template.write_text(template.read_text() + " "),
        "the glossary": lambda: (site / "content/glossary.yaml").write_text(
            '- term: dermis\n  definition: "A deep layer of skin."\n'),
        "the settings": lambda: (site / "pyproject.toml").write_text(
            '[tool.scarsite]\ntitle = "Another title"\n'),
    }
    for what, change in changes.items():
        change()
        assert rebuilt(), what
        assert not rebuilt(), what
    assert rebuilt("--drafts") and not rebuilt("--drafts")
    assert rebuilt()  # without --drafts again


def test_a_failed_build_leaves_the_last_good_build_up_to_date(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site)
    output = tmp_path / "out"
    _build(site, output)
    peel = site / "content/treatments/peel.md"
    good = peel.read_text()
    peel.write_text(good.replace("kind: treatment", "kind: treatmint"))
    failed = run_scarsite("build", "--source", site, "--output", output, "--no-search")
    assert failed.returncode == 1
    peel.write_text(good)
    assert "up to date" in _build(site, output)
    assert tree_of(output) == _cold(site, tmp_path / "cold")


def test_a_cache_that_loses_its_pages_while_read_stops_the_build_cleanly(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site)
    output = tmp_path / "out"
    _build(site, output)
    shutil.rmtree(output)  # every page must now come from the cache
    cache = DiskCache(site)
    assert cache.up_to_date(lambda: "", output) is None
    known = cache.read()
    rendered = Rendered(keys=dict(known.pages), unchanged=set(known.pages))
    with sqlite3.connect(site / ".scarsite-cache/cache.sqlite") as db:
        db.execute("DELETE FROM pages")  # as another program damaging it would
    with pytest.raises(SiteError, match="damaged while this build read it"):
        cache.unchanged_pages(rendered, output)
    assert not (site / ".scarsite-cache/cache.sqlite").exists()
    _build(site, output)  # the next build starts afresh
    assert tree_of(output) == _cold(site, tmp_path / "cold")

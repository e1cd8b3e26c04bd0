"""Crash-safe publishing: killed builds, two builds at once, a full disk, an unwritable output.

Builds run as real processes. A build killed with SIGKILL at any moment must leave a complete
site in the output folder (the previous one, or the new one if it was already published),
and the next build must finish the job and clean up what the killed one left behind.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import article, run_scarsite, scarsite_command, tree_of

ARTICLES = 60
KILLS = 10  # per way of publishing, spread over a whole build


def _site(make_themed_site: Callable[..., Path], words: str) -> Path:
    files = {
        "content/scar-types/rolling.md": article("Rolling", "scar-type", f"{words} rolling.\n"),
        "content/treatments/subcision.md": article(
            "Subcision", "treatment", f"{words}. See [rolling](../scar-types/rolling.md).\n",
            scar_types="[rolling]"),
    }
    files.update({f"content/guides/g{n:03}.md": article(
        f"Guide {n}", "guide", f"{words} number {n}.\n\n## Part\n\n" + f"{words} text. " * 200,
        scar_types="[rolling]") for n in range(ARTICLES)})
    return make_themed_site(files, "world/themed")  # the output goes beside it, in world/


def _edit_every_article(site: Path) -> None:
    for path in (site / "content").rglob("*.md"):
        if "/pages/" not in path.as_posix():
            path.write_text(path.read_text().replace("First", "Second"))


def _stamps(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns
            for p in folder.rglob("*") if p.is_file()}


def _build_args(site: Path, output: Path, *flags: str) -> tuple[str | Path, ...]:
    """The arguments of `scarsite build` of `site` into `output`, in one process."""
    return ("build", "--source", site, "--output", output, "--jobs", "1", *flags)


def _leftovers(root: Path) -> list[str]:
    """Temporary files and folders a killed build may leave, anywhere under `root`."""
    names = (".new-", ".old-", ".exchange-")
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if any(n in p.name for n in names) or p.name.endswith(".tmp"))


@pytest.mark.parametrize("way", ["exchange", "rename"])
def test_a_build_killed_at_any_moment_leaves_a_complete_site(
        make_themed_site: Callable[..., Path], tmp_path: Path, way: str) -> None:
    site = _site(make_themed_site, "First")
    output = site.parent / "out"
    flags = ("--no-search",) if way == "rename" else ()
    for _ in range(2):  # the second build leaves a spare copy for the exchange
        assert run_scarsite(*_build_args(site, output, *flags)).returncode == 0
    old, old_stamps = tree_of(output), _stamps(output)
    _edit_every_article(site)
    expected = tmp_path / "expected"
    assert run_scarsite("build", "--source", site, "--output", expected, "--no-cache",
                        *flags).returncode == 0
    new = tree_of(expected)
    pristine = tmp_path / "pristine"
    shutil.move(site.parent, pristine)
    if way == "rename":  # without the marker, the build writes a complete new folder
        (pristine / ".out.spare-ready").unlink(missing_ok=True)

    def fresh_copy(name: str) -> Path:
        copy = tmp_path / name
        subprocess.run(["cp", "-a", str(pristine), str(copy)], check=True)  # keeps hard links
        return copy

    reference = fresh_copy("reference")
    start = time.perf_counter()
    done = run_scarsite(*_build_args(reference / "themed", reference / "out", *flags))
    seconds = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    assert tree_of(reference / "out") == new

    # Kills spread over the whole build, and more in the write stage (where it publishes).
    timings = next(line for line in done.stdout.splitlines() if line.startswith("time"))
    stages = {name: int(ms) / 1000
              for name, ms in re.findall(r"([a-z][a-z -]*?) (\d+) ms", timings)}
    write_end = seconds - stages.get("cache", 0.0)
    write_start = write_end - stages["write"] - stages.get("search", 0.0)  # search: in write
    delays = [seconds * (0.2 + 1.1 * n / (KILLS - 1)) for n in range(KILLS)]
    delays += [write_start + (write_end - write_start) * n / 4 for n in range(5)]
    outcomes = []
    for kill, delay in enumerate(delays):
        work = fresh_copy(f"kill-{kill}")
        command = scarsite_command(*_build_args(work / "themed", work / "out", *flags))
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(delay)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        published = tree_of(work / "out")
        assert published in (old, new), f"kill {kill}: a mix of two sites"
        if published == old:
            assert _stamps(work / "out") == old_stamps, f"kill {kill}: old site touched"
        outcomes.append("old" if published == old else "new")
        again = run_scarsite(*_build_args(work / "themed", work / "out", *flags))
        assert again.returncode == 0, again.stderr
        assert tree_of(work / "out") == new, f"kill {kill}: the next build is not the site"
        assert _leftovers(work) == [], f"kill {kill}"
        shutil.rmtree(work)
    assert "old" in outcomes  # the kills did land before the site was published
    print(f"{way}: {len(delays)} kills over {seconds:.2f} s ({timings}): {outcomes}")


LOCKED = ("{site}: build: another scarsite build of this site is running; wait for it to "
          "finish, then build again")


def test_a_build_of_a_site_another_build_holds_stops_with_a_message(
        make_themed_site: Callable[..., Path]) -> None:
    site = _site(make_themed_site, "First")
    output = site.parent / "out"
    folder = os.open(site, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)  # what a running build holds
        result = run_scarsite(*_build_args(site, output, "--no-search"))
    finally:
        os.close(folder)
    assert result.returncode == 3  # busy, not a mistake in the site (cli.EXIT_BUSY)
    assert result.stderr.splitlines()[0] == LOCKED.format(site=site)
    assert "Traceback" not in result.stderr and not output.exists()
    assert run_scarsite(*_build_args(site, output, "--no-search")).returncode == 0


def test_two_builds_started_at_once_do_not_corrupt_each_other(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, "First")
    output = site.parent / "out"
    assert run_scarsite("build", "--source", site, "--output", tmp_path / "expected",
                        "--no-cache").returncode == 0
    builds = [subprocess.Popen(scarsite_command(*_build_args(site, output)),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for _ in range(2)]
    results = [(b.wait(timeout=120), b.communicate()[1]) for b in builds]
    assert sorted(code for code, _ in results)[0] == 0  # at least one built the site
    for code, stderr in results:
        assert "Traceback" not in stderr
        if code != 0:
            assert code == 3 and stderr.splitlines()[0] == LOCKED.format(site=site)
    assert tree_of(output) == tree_of(tmp_path / "expected")
    assert _leftovers(site.parent) == []


def test_a_full_disk_gives_a_clear_error_and_keeps_the_previous_site(
        make_themed_site: Callable[..., Path]) -> None:
    site = _site(make_themed_site, "First")
    output = site.parent / "out"
    assert run_scarsite(*_build_args(site, output, "--no-search")).returncode == 0
    old, old_stamps = tree_of(output), _stamps(output)
    _edit_every_article(site)
    # No file may grow past 4 KB: the first page written fails as on a full disk.
    result = run_scarsite(*_build_args(site, output, "--no-search", "--no-cache"),
                          file_size=4096)
    assert result.returncode == 1
    assert "could not write the site: File too large" in result.stderr
    assert "the previous output is unchanged" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_of(output) == old and _stamps(output) == old_stamps
    assert _leftovers(site.parent) == []
    assert run_scarsite(*_build_args(site, output, "--no-search")).returncode == 0


def _mount_tmpfs(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def test_a_really_full_disk(make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, "First")
    sized = tmp_path / "sized"
    assert run_scarsite(*_build_args(site, sized, "--no-search", "--no-cache")).returncode == 0
    # Room for one site and half of another (tmpfs counts whole 4 KB pages per file).
    pages = sum(-(-len(data) // 4096) for data in tree_of(sized).values())
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, f"size={pages * 4096 * 3 // 2}"):
        pytest.skip("needs root and tmpfs mounts to fill a real disk")
    try:
        output = disk / "out"
        first = run_scarsite(*_build_args(site, output, "--no-search", "--no-cache"))
        assert first.returncode == 0, first.stderr
        old, old_stamps = tree_of(output), _stamps(output)
        _edit_every_article(site)
        result = run_scarsite(*_build_args(site, output, "--no-search", "--no-cache"))
        assert result.returncode == 1
        assert "could not write the site: No space left on device" in result.stderr
        assert "Traceback" not in result.stderr
        assert tree_of(output) == old and _stamps(output) == old_stamps
        assert _leftovers(disk) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_an_unwritable_output_folder_gives_a_clear_error(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = _site(make_themed_site, "First")
    parent = tmp_path / "readonly"
    output = parent / "out"
    if os.geteuid() == 0:
        if not _mount_tmpfs(parent, "size=4m"):
            pytest.skip("running as root without tmpfs mounts: nothing is unwritable")
        assert run_scarsite(*_build_args(site, output, "--no-search")).returncode == 0
        subprocess.run(["mount", "-o", "remount,ro", str(parent)], check=True)
    else:
        parent.mkdir()
        assert run_scarsite(*_build_args(site, output, "--no-search")).returncode == 0
        parent.chmod(0o555)
        (output).chmod(0o555)
    try:
        old, old_stamps = tree_of(output), _stamps(output)
        _edit_every_article(site)
        result = run_scarsite(*_build_args(site, output, "--no-search"))
        assert result.returncode == 1
        assert f"{output.absolute()}: output: " in result.stderr
        assert "Read-only file system" in result.stderr or "Permission denied" in result.stderr
        assert "Traceback" not in result.stderr
        assert tree_of(output) == old and _stamps(output) == old_stamps
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(parent)], check=False)
        else:
            parent.chmod(0o755)
            output.chmod(0o755)

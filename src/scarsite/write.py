"""Write stage: publish the rendered site into the output folder, all at once or not at all.

Input: the rendered pages (and the names of pages kept unchanged from the last
build) and the static files. The new site is made complete in a folder beside the
output and then swapped in with one rename, so a failed or interrupted build never
leaves a half-written site where the old one was.

Making a whole folder tree for every build is slow (thousands of folders: a
one-edit build of 1,000 articles took 0.47 s that way, against 0.30 s with the
spare, and its target is 0.32 s), so a second copy of the published site, the
spare (`.<output>.spare`, its files hard links to the published ones), is kept
beside it. A later build changes only the spare's files that differ, then
exchanges the two folders in one atomic system call (Linux `renameat2`), then
brings the new spare up to date. A marker file says when the spare matches the
published site; without it the full way is taken.

Scarsite replaces (and `scarsite clean` removes) only a folder it made: every site it
publishes carries a marker file, `.scarsite-output`, at its top, and an output folder that
exists, is not empty and lacks the marker is refused before anything is written (see
`check_output_is_ours`). The marker is part of the site like any page, so the up-to-date
check and the spare count it as one of scarsite's own files.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import shutil
import tempfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import SiteError
from .static import StaticFiles

Stamp = tuple[int, int, int]  # a file's size, modification time and inode

# Published with the site: plain text with nothing secret (no path, no version), harmless if
# a host serves it; a dot file, so folder listings leave it out.
OUTPUT_MARKER = ".scarsite-output"
OUTPUT_MARKER_TEXT = (b"This folder was written by scarsite (a static site generator). "
                      b"'scarsite build' replaces\nall of it, and 'scarsite clean' removes it; "
                      b"keep your own files elsewhere.\n")


@dataclass(frozen=True)
class WriteResult:
    files: int  # files in the new site (search index aside)
    changed: int  # of which new or different from the previous site
    stamps: dict[str, Stamp]  # every file now published (search index too), and its stamp
    removed: int = 0  # files of the previous site that the new one no longer has


def write_site(outputs: dict[str, bytes], static: StaticFiles, output: Path,
               finish: Callable[[Path], None] | None = None,
               kept: Collection[str] = ()) -> WriteResult:
    """Write every output file into `output`, replacing its old contents.

    `kept` are pages known to be unchanged since the previous site (not rendered again).
    They, and any file identical to the previous site's, are not written again, so they
    keep their time stamps and deploy tools and file watchers see only real changes.
    `finish`, if given, runs on the complete new folder before it is swapped in (the
    search index is made there, so a published site always has an index that matches
    its pages).
    """
    output = output.absolute()
    check_output_is_ours(output, str(output))
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        _recover_leftovers(output)
    except OSError as exc:
        raise SiteError(str(output), 0, "output", f"cannot write here: {exc.strerror}") from None
    files = dict(outputs)
    files.update((rel, source.read_bytes()) for rel, source in static.files.items())
    files[OUTPUT_MARKER] = OUTPUT_MARKER_TEXT
    total = len(files) + len(kept)  # the marker counts: it is one of the files published
    # What the previous site had, to say how many files went (a walk: about 7 ms at 1,000
    # articles, 2% of a one-edit build).
    previous = set(file_stamps(output)) if output.is_dir() else set()
    try:
        exchanged = None
        if _spare_ready(output):
            with contextlib.suppress(OSError):  # e.g. a file where a folder now goes
                exchanged = _write_by_exchange(files, set(kept), output, finish)
        if exchanged is None:
            changed = _write_by_rename(files, kept, output, finish)
            stamps = file_stamps(output)
            return WriteResult(total, changed, stamps, len(previous - stamps.keys()))
    except OSError as exc:
        raise SiteError(str(output), 0, "output", f"could not write the site: {exc.strerror} "
                        f"({exc.filename}); the previous output is unchanged") from None
    changed, stamps = exchanged
    return WriteResult(total, changed, stamps, len(previous - stamps.keys()))


def _write_by_exchange(files: dict[str, bytes], kept: set[str], output: Path,
                       finish: Callable[[Path], None] | None
                       ) -> tuple[int, dict[str, Stamp]] | None:
    """Make the spare the new site, changing only what differs, and exchange it in; None
    if the spare is not a copy of the published site after all. Returns the number of
    files changed and the stamps of the files published."""
    spare, marker = spare_paths(output)
    stamps = {rel: stamp_of(stat) for rel, stat in file_stats(spare).items()}
    if ({rel: stamp[2] for rel, stamp in stamps.items()}
            != {rel: stat.st_ino for rel, stat in file_stats(output).items()}):
        return None  # someone changed the published site by hand: take the full way
    changed = _differing(spare, files)
    gone = stamps.keys() - files.keys() - kept
    if not changed and not gone and finish is None:
        return 0, stamps  # the published site is already this site
    marker.unlink()
    _apply(spare, files, changed, gone)
    for rel in gone:
        del stamps[rel]
    stamps.update((rel, stamp_of(os.stat(spare / rel))) for rel in changed)
    if finish is not None:
        for rel in [rel for rel in stamps if rel.startswith("pagefind/")]:
            del stamps[rel]
        shutil.rmtree(spare / "pagefind", ignore_errors=True)
        finish(spare)
        stamps.update((f"pagefind/{rel}", stamp_of(stat))
                      for rel, stat in file_stats(spare / "pagefind").items())
    _exchange(spare, output)
    # The old site, now the spare, differs from the new one only in these files.
    differing = changed | gone
    if finish is not None:
        shutil.rmtree(spare / "pagefind", ignore_errors=True)
        differing |= {f"pagefind/{rel}" for rel in file_stats(output / "pagefind")}
    _update_spare(output, spare, marker, differing)
    return len(changed), stamps


def stamp_of(stat: os.stat_result) -> Stamp:
    return stat.st_size, stat.st_mtime_ns, stat.st_ino


def file_stamps(folder: Path) -> dict[str, Stamp]:
    """Every file under `folder` and its stamp; none if the folder is missing."""
    return {rel: stamp_of(stat) for rel, stat in file_stats(folder).items()}


def _write_by_rename(files: dict[str, bytes], kept: Collection[str], output: Path,
                     finish: Callable[[Path], None] | None) -> int:
    """Write the whole site into a new folder and rename it into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=output.parent))
    previous = output if output.is_dir() else None
    changed = 0
    try:
        staging.chmod(0o755)
        folders: set[Path] = set()
        for rel in sorted(kept):
            target = staging / rel
            _make_folder(target.parent, folders)
            _link_or_copy(output / rel, target)
        for rel, data in sorted(files.items()):
            target = staging / rel
            _make_folder(target.parent, folders)
            if not _keep_unchanged(previous, rel, data, target):
                target.write_bytes(data)
                changed += 1
        if finish is not None:
            finish(staging)
        old = _swap_in(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the swap succeeded
    with contextlib.suppress(OSError):  # published; the next build takes the full way again
        _keep_spare(output, old)
    return changed


def _keep_spare(output: Path, old: Path | None) -> None:
    """Turn the replaced site into the spare (a first build makes none: nothing to reuse)."""
    spare, marker = spare_paths(output)
    if old is None and not spare.is_dir():
        return
    marker.unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(spare, ignore_errors=True)
        old.rename(spare)
    if _can_exchange(output):
        _update_spare(output, spare, marker)


def _update_spare(output: Path, spare: Path, marker: Path,
                  differing: set[str] | None = None) -> None:
    """Bring the spare up to date with the site just published: the `differing` files, or
    all (best effort: without the marker, the next build simply takes the full way)."""
    with contextlib.suppress(OSError):
        try:
            _mirror(output, spare, differing)
        except OSError:  # e.g. a folder where a file now goes: start the spare afresh
            shutil.rmtree(spare, ignore_errors=True)
            _mirror(output, spare)
        marker.touch()


class BuildRunning(SiteError):
    """Another build of the same site holds its lock."""


@contextlib.contextmanager
def site_lock(site: Path) -> Iterator[None]:
    """Hold the site's build lock; a SiteError if another build of the site holds it.

    The lock is on the site folder itself (Linux `flock`), so there is no lock file to
    leave behind, and a build that is killed lets go of it at once.
    """
    folder = os.open(site, os.O_RDONLY)
    try:
        try:
            fcntl.flock(folder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRunning(str(site), 0, "build", "another scarsite build of this site is "
                               "running; wait for it to finish, then build again") from None
        yield
    finally:
        os.close(folder)  # closing lets go of the lock


def spare_paths(output: Path) -> tuple[Path, Path]:
    """The spare copy of `output` and the marker saying it matches `output`."""
    return (output.with_name(f".{output.name}.spare"),
            output.with_name(f".{output.name}.spare-ready"))


def _spare_ready(output: Path) -> bool:
    spare, marker = spare_paths(output)
    return output.is_dir() and spare.is_dir() and marker.exists()


def file_stats(folder: Path) -> dict[str, os.stat_result]:
    """Every file under `folder` (relative path, with '/') and its status; none if missing."""
    found: dict[str, os.stat_result] = {}

    def walk(path: str, prefix: str) -> None:
        with os.scandir(path) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, f"{prefix}{entry.name}/")
                else:
                    found[prefix + entry.name] = entry.stat(follow_symlinks=False)
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        walk(str(folder), "")
    return found


def _holds(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _replace(path: Path, data: bytes) -> None:
    """Write `path` beside itself and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def _mirror(source: Path, copy: Path, only: set[str] | None = None) -> None:
    """Make `copy` hold exactly `source`'s files (or just the files `only`), as hard links."""
    if only is None:
        wanted = {rel: stat.st_ino for rel, stat in file_stats(source).items()}
        extra = file_stats(copy).keys() - wanted.keys()
    else:
        wanted = {}
        for rel in only:
            with contextlib.suppress(FileNotFoundError):
                wanted[rel] = os.lstat(source / rel).st_ino
        extra = only - wanted.keys()
    for rel in sorted(wanted):
        new = copy / rel
        try:
            if wanted[rel] == os.lstat(new).st_ino:
                continue
        except OSError:
            new.parent.mkdir(parents=True, exist_ok=True)
        temporary = new.with_name(f".{new.name}.tmp")
        temporary.unlink(missing_ok=True)
        _link_or_copy(source / rel, temporary)
        os.replace(temporary, new)
    for rel in extra:
        _remove(copy, rel)


def _remove(folder: Path, rel: str) -> None:
    """Delete a file of the site in `folder`, and the folders it leaves empty."""
    path = folder / rel
    path.unlink(missing_ok=True)
    for parent in path.parents:
        if parent == folder:
            break
        try:
            parent.rmdir()
        except OSError:  # not empty
            break


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _renameat2() -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    try:
        function = ctypes.CDLL(name, use_errno=True).renameat2
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                         ctypes.c_uint]
    return function


def _exchange(first: Path, second: Path) -> None:
    """Swap two folders in one step: readers see one site or the other, never neither."""
    function = _renameat2()
    if function is None or function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD,
                                    os.fsencode(second), _RENAME_EXCHANGE) != 0:
        error = ctypes.get_errno() if function is not None else 38
        raise OSError(error, os.strerror(error), str(second))


def _can_exchange(output: Path) -> bool:
    """Whether this system and the file system of `output` can exchange two folders
    atomically (tried on two empty folders named after `output`, so that only its own
    leftovers are ever cleaned up)."""
    first = Path(tempfile.mkdtemp(prefix=f".{output.name}.exchange-a-", dir=output.parent))
    second = Path(tempfile.mkdtemp(prefix=f".{output.name}.exchange-b-", dir=output.parent))
    try:
        _exchange(first, second)
    except OSError:
        return False
    finally:
        first.rmdir()
        second.rmdir()
    return True


def write_in_place(files: dict[str, bytes], output: Path, remove: set[str]) -> int:
    """Update `output` where it differs from `files`, and delete `remove`; the files changed.

    For the live preview, which is served while it is written: each file is written
    beside its place and renamed over it, so a reader never gets half a page.
    """
    try:
        changed = _differing(output, files)
        _apply(output, files, changed, remove - files.keys())
    except OSError as exc:
        raise SiteError(str(output), 0, "output", f"could not write the preview: {exc.strerror} "
                        f"({exc.filename})") from None
    return len(changed)


def _differing(folder: Path, files: dict[str, bytes]) -> set[str]:
    """The files whose bytes in `folder` are not the given ones (or are missing)."""
    return {rel for rel, data in files.items() if not _holds(folder / rel, data)}


def _apply(folder: Path, files: dict[str, bytes], changed: set[str], gone: set[str]) -> None:
    for rel in sorted(changed):
        _replace(folder / rel, files[rel])
    for rel in gone:
        _remove(folder, rel)


def _make_folder(folder: Path, made: set[Path]) -> None:
    if folder not in made:
        folder.mkdir(parents=True, exist_ok=True)
        made.add(folder)


def _link_or_copy(old: Path, new: Path) -> None:
    try:
        os.link(old, new)
    except OSError:
        shutil.copyfile(old, new)  # e.g. a file system without hard links


def _keep_unchanged(previous: Path | None, rel: str, data: bytes, target: Path) -> bool:
    """Link the previous site's copy of `rel` into the new site if it has the same bytes."""
    if previous is None:
        return False
    old = previous / rel
    if old.is_symlink() or not _holds(old, data):
        return False
    try:
        os.link(old, target)
    except OSError:
        return False  # e.g. a file system without hard links: write it instead
    return True


def _swap_in(staging: Path, output: Path) -> Path | None:
    """Rename `staging` to `output`; the replaced site's new name, if there was one."""
    if output.exists() and not output.is_dir():
        raise SiteError(str(output), 0, "output", "exists and is not a folder")
    if not output.exists():
        staging.rename(output)
        return None
    old = output.with_name(f".{output.name}.old-{os.getpid()}")
    try:
        _exchange(staging, output)  # one step: there is always a complete site at `output`
        staging.rename(old)
    except OSError:  # no renameat2 here: two renames, with a moment without `output`
        output.rename(old)
        staging.rename(output)
    return old


def _recover_leftovers(output: Path) -> None:
    """Clean up after a build that was killed: restore or remove its temporary folders."""
    olds = sorted(output.parent.glob(f".{output.name}.old-*"))
    if olds and not output.exists():
        olds.pop().rename(output)  # killed between the two renames: the old site is complete
    for leftover in [*olds, *_temporary_folders(output)]:
        shutil.rmtree(leftover, ignore_errors=True)


def _temporary_folders(output: Path) -> list[Path]:
    """The folders a build of `output` makes beside it for a moment (left if it is killed)."""
    return [*output.parent.glob(f".{output.name}.new-*"),
            *output.parent.glob(f".{output.name}.exchange-[ab]-*")]


def made_beside(output: Path) -> list[Path]:
    """What builds of `output` keep or may leave beside it: the spare copy, its marker, and
    a killed build's temporary folders (those that exist)."""
    return [path for path in [*spare_paths(output),
                              *sorted(output.parent.glob(f".{output.name}.old-*")),
                              *_temporary_folders(output)]
            if path.exists() or path.is_symlink()]


def check_output_is_ours(output: Path, shown: str, cleaning: bool = False) -> None:
    """A SiteError located at `shown` unless scarsite may replace (or, `cleaning`, remove)
    `output`: it is missing, an empty folder, or a folder that carries scarsite's marker."""
    if not output.exists() and not output.is_symlink():
        return
    fix = ("nothing was removed (remove it yourself, or give the folder scarsite built "
           "with --output)" if cleaning else None)
    if not output.is_dir():
        raise SiteError(shown, 0, "output", "exists and is not a folder; "
                        f"{fix or 'choose a new or empty folder'}")
    if (output / OUTPUT_MARKER).is_file():
        return
    try:
        with os.scandir(output) as entries:
            names = sorted(entry.name for entry in entries)
    except OSError as exc:
        raise SiteError(shown, 0, "output", f"cannot be read: {exc.strerror}") from None
    if names:
        raise SiteError(shown, 0, "output", f"holds files scarsite did not make "
                        f"(e.g. {names[0]!r}); "
                        f"{fix or 'choose an empty folder or remove them'}")

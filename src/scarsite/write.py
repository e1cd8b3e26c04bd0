"""Write stage: publish the rendered site into the output folder, all at once or not at all.

Input: the rendered outputs and static files. The site is written into a new
folder next to the output and swapped in only when every file is written, so a
failed or interrupted build never leaves a half-written site where the old one was.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import SiteError
from .static import StaticFiles


@dataclass(frozen=True)
class WriteResult:
    files: int  # files in the new site (search index aside)
    changed: int  # of which new or different from the previous site


def write_site(outputs: dict[str, bytes], static: StaticFiles, output: Path,
               finish: Callable[[Path], None] | None = None) -> WriteResult:
    """Write every output file into `output`, replacing its old contents.

    A file identical to the previous site's is hard-linked rather than written, so it keeps
    its time stamp and deploy tools and file watchers see only real changes. `finish`, if
    given, runs on the complete new folder before it is swapped in (the search index is made
    there, so a published site always has an index that matches its pages).
    """
    output = output.absolute()
    parent = output.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        _recover_leftovers(output)
        staging = Path(tempfile.mkdtemp(prefix=f".{output.name}.new-", dir=parent))
    except OSError as exc:
        raise SiteError(str(output), 0, "output", f"cannot write here: {exc.strerror}") from None
    previous = output if output.is_dir() else None
    changed = 0
    try:
        staging.chmod(0o755)
        files = [(rel, data) for rel, data in sorted(outputs.items())]
        files += [(rel, source.read_bytes()) for rel, source in sorted(static.files.items())]
        for rel, data in files:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not _keep_unchanged(previous, rel, data, target):
                target.write_bytes(data)
                changed += 1
        if finish is not None:
            finish(staging)
        _swap_in(staging, output)
    except OSError as exc:
        raise SiteError(str(output), 0, "output", f"could not write the site: {exc.strerror} "
                        f"({exc.filename}); the previous output is unchanged") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)  # gone already when the swap succeeded
    return WriteResult(len(outputs) + len(static.files), changed)


def _keep_unchanged(previous: Path | None, rel: str, data: bytes, target: Path) -> bool:
    """Link the previous site's copy of `rel` into the new site if it has the same bytes."""
    if previous is None:
        return False
    old = previous / rel
    try:
        if old.is_symlink() or not old.is_file() or old.stat().st_size != len(data):
            return False
        if old.read_bytes() != data:
            return False
        os.link(old, target)
    except OSError:
        return False  # e.g. a file system without hard links: write it instead
    return True


def _swap_in(staging: Path, output: Path) -> None:
    if output.exists() and not output.is_dir():
        raise SiteError(str(output), 0, "output", "exists and is not a folder")
    if not output.exists():
        staging.rename(output)
        return
    old = output.with_name(f".{output.name}.old-{os.getpid()}")
    output.rename(old)
    staging.rename(output)
    shutil.rmtree(old, ignore_errors=True)


def _recover_leftovers(output: Path) -> None:
    """Clean up after a build that was killed: restore or remove its temporary folders."""
    olds = sorted(output.parent.glob(f".{output.name}.old-*"))
    if olds and not output.exists():
        olds.pop().rename(output)  # killed between the two renames: the old site is complete
    for leftover in [*olds, *output.parent.glob(f".{output.name}.new-*")]:
        shutil.rmtree(leftover, ignore_errors=True)

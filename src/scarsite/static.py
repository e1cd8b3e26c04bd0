"""Static stage: the files under `static/`, with stylesheets fingerprinted.

Input: the site folder. Output: `StaticFiles`, mapping each output path to its
source file, and each stylesheet's plain name (`style.css`) to its fingerprinted
output path (`static/style.1a2b3c4d5e.css`), so a browser never keeps an old
stylesheet after a change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .names import STATIC_DIR

FINGERPRINTED = (".css", ".js")


@dataclass(frozen=True)
class StaticFiles:
    files: dict[str, Path] = field(default_factory=dict)  # output path -> source file
    names: dict[str, str] = field(default_factory=dict)  # 'style.css' -> output path


def collect_static(site: Path) -> StaticFiles:
    """Every file under static/, skipping hidden ones, in path order."""
    root = site / STATIC_DIR
    static = StaticFiles()
    if not root.is_dir():
        return static
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if not path.is_file() or any(part.startswith(".") for part in rel.parts):
            continue
        name = rel.as_posix()
        output = name
        if path.suffix in FINGERPRINTED:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:10]
            output = rel.with_name(f"{path.stem}.{digest}{path.suffix}").as_posix()
        static.files[f"{STATIC_DIR}/{output}"] = path
        static.names[name] = f"{STATIC_DIR}/{output}"
    return static

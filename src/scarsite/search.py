"""Search stage: a full-text index of the written site, made by Pagefind.

Input: a folder holding the rendered site (before it is published). Output: the
Pagefind bundle in `<folder>/pagefind/`, which the search page loads in the
browser; no server is needed. Pagefind indexes the element marked
`data-pagefind-body` on each page, so templates decide what is searchable.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from .errors import SiteError
from .names import SEARCH_DIR


def index_search(folder: Path) -> int:
    """Index the site in `folder`; return the number of pages indexed."""
    command = [sys.executable, "-m", "pagefind", "--site", str(folder)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SiteError(SEARCH_DIR, 0, "search", f"could not run Pagefind: {exc}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SiteError(SEARCH_DIR, 0, "search", f"Pagefind failed: {detail[0]}; build with "
                        "--no-search to skip the search index")
    match = re.search(r"Indexed (\d+) pages?", result.stdout)
    return int(match[1]) if match else 0

"""Each invalid sample site under tests/sites/invalid/ is pinned to its exact error report.

The report is the build's (`scarsite check` adds the editorial report's warnings on top).
Where a message passes on a library's own words (PyYAML's description of a syntax
error), `expected.txt` has `{library}` in their place: scarsite's words around them,
the file and the line are pinned; the library's wording, which changes with its
versions, is not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import SITES, run_scarsite

CASES = sorted(p.name for p in (SITES / "invalid").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_build_reports_exact_errors(case: str, copy_site: Callable[[str], Path]) -> None:
    site = copy_site(f"invalid/{case}")
    expected = (SITES / "invalid" / case / "expected.txt").read_text(encoding="utf-8")
    result = run_scarsite("build", "--no-search", "--no-cache", "--source", site)
    assert result.returncode == 1
    pattern = "".join("[^\n]+" if part == "{library}" else re.escape(part)
                      for part in re.split("({library})", expected))
    assert re.fullmatch(pattern, result.stderr), (result.stderr, expected)
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("case", CASES)
def test_build_with_errors_writes_nothing(case: str, copy_site: Callable[[str], Path]) -> None:
    site = copy_site(f"invalid/{case}")
    result = run_scarsite("build", "--no-search", "--no-cache", "--source", site)
    assert result.returncode == 1
    assert result.stderr.endswith("; nothing was written\n")
    assert not (site / "build").exists()
    assert [p.name for p in site.iterdir() if p.name.startswith(".build")] == []


def test_every_case_has_an_expected_report() -> None:
    for case in CASES:
        lines = (SITES / "invalid" / case / "expected.txt").read_text().splitlines()
        assert lines[-1].startswith("failed: "), case
        assert all(":" in line for line in lines[:-1]), case

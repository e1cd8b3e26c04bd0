"""The golden site: its whole output, byte for byte, against the committed expected tree.

After an intended change to the output, refresh it with `make golden`
(`pytest tests/test_golden.py --update-golden`) and review the diff before committing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import SITES, build_site_at, tree_of

GOLDEN = SITES / "golden"
EXPECTED = GOLDEN / "expected"



def test_golden_site_output_matches_expectedtree_of(tmp_path: Path,
                                                  request: pytest.FixtureRequest) -> None:
    output = tmp_path / "out"
    report = build_site_at(GOLDEN, output=output)
    assert [str(p) for p in report.problems.items] == []
    actual = tree_of(output)
    if request.config.getoption("--update-golden"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        shutil.copytree(output, EXPECTED)
    expected = tree_of(EXPECTED)
    assert sorted(actual) == sorted(expected)
    for name, data in actual.items():
        assert data == expected[name], f"{name} differs from tests/sites/golden/expected/{name}"


def test_golden_site_with_drafts_publishes_the_draft(tmp_path: Path) -> None:
    output = tmp_path / "out"
    report = build_site_at(GOLDEN, output=output, drafts=True)
    assert report.ok
    assert (output / "scar-types" / "ice-pick" / "index.html").is_file()
    assert not (EXPECTED / "scar-types" / "ice-pick").exists()

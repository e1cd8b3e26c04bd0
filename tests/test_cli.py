"""The command line as editors and CI use it: exit codes, messages, atomic and repeatable builds."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import article, run_scarsite

GOOD = {
    "content/scar-types/rolling.md": article("Rolling", "scar-type"),
    "content/treatments/subcision.md": article("Subcision", "treatment",
                                               scar_types="[rolling]"),
}


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_build_succeeds_and_prints_a_summary(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    result = run_scarsite("build", "--no-search", "--no-cache", "--source", site)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == ("note: no [tool.scarsite] table in pyproject.toml; using the default "
                        "settings")
    assert lines[1] == "articles  2 (scar-types 1, treatments 1, aftercare 0, guides 0, pages 0)"
    assert lines[2].startswith("terms     2 ")
    assert lines[3] == "links     0 internal links checked"
    assert lines[4] == "problems  0 errors, 0 warnings"
    assert lines[5].startswith("time      ") and "markdown" in lines[5] and "write" in lines[5]
    assert lines[6] == f"output    {site}/build/ (14 files, 14 changed)"
    assert (site / "build/treatments/subcision/index.html").is_file()


def test_check_writes_nothing(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    result = run_scarsite("check", "--no-cache", cwd=site)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "output    none (check only)"
    assert not (site / "build").exists()


def test_usage_errors_exit_2(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    for args in (["build", "--no-such-flag"], ["publish"], [],
                 ["build", "--source", str(site / "missing")]):
        result = run_scarsite(*args)
        assert result.returncode == 2, args
        assert "usage: scarsite" in result.stderr
        assert "Traceback" not in result.stderr


def test_strict_turns_warnings_into_errors(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/treatments/t.md": article("T", "treatment", references=None)})
    warning = ("content/treatments/t.md:1: warning: references: none given; a treatment "
               "article should cite its sources\n")
    relaxed = run_scarsite("build", "--no-search", "--no-cache", "--source", site)
    assert relaxed.returncode == 0
    assert relaxed.stderr == warning
    strict = run_scarsite("build", "--no-search", "--no-cache", "--strict", "--source", site,
                          "--output", site / "strict")
    assert strict.returncode == 1
    assert strict.stderr == warning + ("failed: 0 errors, 1 warning (--strict: warnings count "
                                       "as errors); nothing was written\n")
    assert not (site / "strict").exists()


def test_failed_build_leaves_previous_output_untouched(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    # With the build cache (the folder listing below has it): a failed build leaves no more.
    assert run_scarsite("build", "--no-search", "--source", site).returncode == 0
    before = _files(site / "build")
    (site / "content/scar-types/rolling.md").write_text(article("Rolling", "scar-type",
                                                                reviewed="last spring"))
    (site / "content/guides").mkdir()
    (site / "content/guides/new.md").write_text(article("New", "guide"))
    result = run_scarsite("build", "--no-search", "--source", site)
    assert result.returncode == 1
    assert "content/scar-types/rolling.md:5: reviewed: 'last spring' is not a date" \
        in result.stderr
    assert _files(site / "build") == before
    assert sorted(p.name for p in site.iterdir()) == [".scarsite-cache", "build", "content",
                                                      "static", "templates"]


def test_two_builds_are_byte_identical(make_site: Callable[..., Path]) -> None:
    site = make_site({**GOOD, "content/guides/g.md": article(
        "G", "guide", scar_types="[rolling]", treatments="[subcision]",
        body="## A\n\nText.[^n]\n\n[^n]: Note.\n")})
    for output in (site / "one", site / "two"):
        assert run_scarsite("build", "--no-search", "--no-cache", "--source", site, "--output",
                            output).returncode == 0
    assert _files(site / "one") == _files(site / "two")


def test_output_that_would_replace_the_site_is_refused(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    for output in (site, site / "content", site.parent):
        result = run_scarsite("build", "--no-search", "--no-cache", "--source", site,
                              "--output", output)
        assert result.returncode == 1
        assert "would replace the site's own files" in result.stderr
    assert (site / "content/scar-types/rolling.md").is_file()


def test_python_dash_m_and_console_script_agree(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    script = Path(sys.executable).parent / "scarsite"
    assert script.is_file(), "the scarsite console script is not installed"
    result = subprocess.run([script, "check", "--no-cache", "--source", str(site)],
                            capture_output=True, text=True)
    assert result.returncode == 0
    assert result.stdout.splitlines()[1:4] == run_scarsite("check", "--no-cache", "--source",
                                                           site).stdout.splitlines()[1:4]
    # Both exit without tearing the heap down: everything printed still arrives, and the
    # exit code is kept (1 for a site with mistakes).
    bad = make_site({"content/treatments/subcision.md": article(
        "Subcision", "treatment", scar_types="[rolling, ice-pick]")}, name="bad")
    scripted = subprocess.run([script, "build", "--no-search", "--no-cache", "--source",
                               str(bad)], capture_output=True, text=True)
    moduled = run_scarsite("build", "--no-search", "--no-cache", "--source", bad)
    assert scripted.returncode == moduled.returncode == 1
    assert "rolling" in scripted.stdout + scripted.stderr
    assert ([line for line in (scripted.stdout + scripted.stderr).splitlines()
             if not line.startswith("time")]
            == [line for line in (moduled.stdout + moduled.stderr).splitlines()
                if not line.startswith("time")])

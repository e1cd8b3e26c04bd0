"""The command line as editors and CI use it: exit codes, messages, atomic and repeatable builds."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from .conftest import article, run_scarsite, scarsite_command, tree_of

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
    # 15 files: 14 of the site and the marker that says scarsite made the folder
    assert lines[6] == f"output    {site}/build/ (15 files, 15 changed)"
    assert (site / "build/treatments/subcision/index.html").is_file()


def test_check_writes_nothing(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    result = run_scarsite("check", "--no-cache", cwd=site)
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "output    none (check only)"
    assert not (site / "build").exists()


def test_usage_errors_exit_2(make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    for args in (["build", "--no-such-flag"], ["publish"],
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


def _listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_build_refuses_an_output_folder_holding_files_it_did_not_make(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(GOOD)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes")
    (mine / "drafts").mkdir()
    before = _listing(tmp_path), _listing(site)
    result = run_scarsite("build", "--no-search", "--source", site, "--output", mine)
    assert result.returncode == 1
    assert result.stderr == (f"{mine}: output: holds files scarsite did not make (e.g. "
                             "'drafts'); choose an empty folder or remove them\n"
                             "failed: 1 error, 0 warnings; nothing was written\n")
    assert tree_of(mine) == {"notes.txt": b"my notes"} and (mine / "drafts").is_dir()
    assert (_listing(tmp_path), _listing(site)) == before  # no spare, no cache, no leftovers
    # The default output folder too, named as it was given.
    (site / "build").mkdir()
    (site / "build" / "index.html").write_text("my own page")
    result = run_scarsite("build", "--no-search", "--source", "site", cwd=site.parent)
    assert result.returncode == 1
    assert result.stderr.startswith("site/build: output: holds files scarsite did not make "
                                    "(e.g. 'index.html'); choose an empty folder")
    assert tree_of(site / "build") == {"index.html": b"my own page"}
    # A file where the output folder would go.
    (tmp_path / "file").write_text("a file")
    result = run_scarsite("build", "--no-search", "--source", site, "--output",
                          tmp_path / "file")
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path / 'file'}: output: exists and is not a "
                                    "folder; choose a new or empty folder\n")
    assert (tmp_path / "file").read_text() == "a file"


def test_scarsite_output_is_replaced_and_builds_leave_only_the_spare(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(GOOD)
    output = tmp_path / "out"
    output.mkdir()  # an empty folder may be the output
    for _ in range(3):  # the first build, the first with a spare, the first up to date
        result = run_scarsite("build", "--no-search", "--source", site, "--output", output)
        assert result.returncode == 0, result.stderr
    assert (output / ".scarsite-output").is_file()
    assert "up to date" in result.stdout  # the marker counts as scarsite's own file
    (site / "content/treatments/subcision.md").write_text(article(
        "Subcision", "treatment", body="New text.\n", scar_types="[rolling]"))
    assert run_scarsite("build", "--no-search", "--source", site, "--output",
                        output).returncode == 0
    assert "New text." in (output / "treatments/subcision/index.html").read_text()
    assert _listing(tmp_path) == [".out.spare", ".out.spare-ready", "out", "site"]
    # A failed build, with the spare and without (every build the full way), leaves no more.
    published = tree_of(output)
    (site / "content/scar-types/rolling.md").write_text(article("Rolling", "scar-type",
                                                                reviewed="last spring"))
    for spare in (True, False):
        if not spare:
            (tmp_path / ".out.spare-ready").unlink()
        result = run_scarsite("build", "--no-search", "--source", site, "--output", output)
        assert result.returncode == 1
        assert tree_of(output) == published
        assert [n for n in _listing(tmp_path) if n.startswith(".out.")] == \
            [".out.spare", ".out.spare-ready"][:1 + spare]


def test_a_build_that_fails_while_writing_leaves_nothing_beside_the_output(
        make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site(GOOD)
    output = tmp_path / "out"
    for _ in range(2):
        assert run_scarsite("build", "--no-search", "--no-cache", "--source", site,
                            "--output", output).returncode == 0
    published = tree_of(output)
    (site / "content/treatments/subcision.md").write_text(article(
        "Subcision", "treatment", body="New text.\n", scar_types="[rolling]"))
    # As on a full disk (no file may grow past 1 KB), with the spare and then without.
    for leaves in ([".out.spare"], []):
        result = run_scarsite("build", "--no-search", "--no-cache", "--source", site,
                              "--output", output, file_size=1024)
        assert result.returncode == 1
        assert "could not write the site: File too large" in result.stderr
        assert tree_of(output) == published
        assert [n for n in _listing(tmp_path) if n.startswith(".out.")] == leaves
        shutil.rmtree(tmp_path / ".out.spare", ignore_errors=True)


def test_clean_refuses_a_folder_scarsite_did_not_make(make_site: Callable[..., Path],
                                                      tmp_path: Path) -> None:
    site = make_site(GOOD)
    assert run_scarsite("build", "--no-search", "--source", site).returncode == 0
    unrelated = tmp_path / "photos"
    unrelated.mkdir()
    (unrelated / "holiday.jpg").write_bytes(b"jpeg")
    before = _listing(site)
    result = run_scarsite("clean", "--source", site, "--output", unrelated)
    assert result.returncode == 1
    assert result.stderr == (f"{unrelated}: output: holds files scarsite did not make (e.g. "
                             "'holiday.jpg'); nothing was removed (remove it yourself, or give "
                             "the folder scarsite built with --output)\n")
    assert result.stdout == ""
    assert tree_of(unrelated) == {"holiday.jpg": b"jpeg"}
    assert _listing(site) == before  # not even the cache was removed
    (tmp_path / "notes.txt").write_text("notes")
    result = run_scarsite("clean", "--source", site, "--output", tmp_path / "notes.txt")
    assert result.returncode == 1
    assert result.stderr.startswith(f"{tmp_path / 'notes.txt'}: output: exists and is not a "
                                    "folder; nothing was removed")
    assert (tmp_path / "notes.txt").read_text() == "notes"


def test_clean_removes_only_what_scarsite_made(make_site: Callable[..., Path],
                                               tmp_path: Path) -> None:
    site = make_site(GOOD)
    output = tmp_path / "out"
    for flags in ((), ("--no-cache",)):  # the second build keeps a spare copy
        assert run_scarsite("build", "--no-search", *flags, "--source", site, "--output",
                            output).returncode == 0
    (tmp_path / ".out.new-killed").mkdir()  # as a killed build may leave
    (tmp_path / "out-notes.txt").write_text("mine")
    (tmp_path / ".exchange-a-mine").mkdir()  # not named after the output: not scarsite's
    result = run_scarsite("clean", "--source", site, "--output", output)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"removed {path}" for path in (
        site / ".scarsite-cache", output, tmp_path / ".out.spare",
        tmp_path / ".out.spare-ready", tmp_path / ".out.new-killed")]
    assert _listing(tmp_path) == [".exchange-a-mine", "out-notes.txt", "site"]
    # An empty folder may be anyone's: it is left, and so is a missing output.
    output.mkdir()
    result = run_scarsite("clean", "--source", site, "--output", output)
    assert (result.returncode, result.stdout) == (0, "nothing to remove\n")
    assert output.is_dir()


# --- which site a command works on ---------------------------------------------------------------

SETTINGS = '[tool.scarsite]\ntitle = "Scars"\n'
NO_SITE = ("scarsite: no site here: run this inside a site folder (one whose pyproject.toml has "
           "a [tool.scarsite] table), or pass --source DIR\n")


def test_build_and_check_find_the_site_from_a_subfolder(make_site: Callable[..., Path]) -> None:
    site = make_site({**GOOD, "pyproject.toml": SETTINGS})
    inside = site / "content/treatments"
    built = run_scarsite("build", "--no-search", "--no-cache", cwd=inside)
    assert built.returncode == 0, built.stderr
    lines = built.stdout.splitlines()
    assert lines[0] == f"note: the site folder is {site}; file names below are relative to it"
    assert lines[1].startswith("articles  2 ")
    assert lines[-2] == "output    ../../build/ (15 files, 15 changed)"
    assert (site / "build/treatments/subcision/index.html").is_file()
    assert sorted(p.name for p in inside.iterdir()) == ["subcision.md"]
    checked = run_scarsite("check", "--no-cache", cwd=inside)
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.splitlines()[-1] == "output    none (check only)"
    # Problems name files from the site folder, as the note says.
    (inside / "subcision.md").write_text(article("Subcision", "treatment", reviewed="soon"))
    failed = run_scarsite("check", "--no-cache", cwd=inside)
    assert failed.returncode == 1
    assert "content/treatments/subcision.md:5: reviewed: 'soon' is not a date" in failed.stderr


def test_the_nearest_site_above_wins(make_site: Callable[..., Path]) -> None:
    outer = make_site({"pyproject.toml": SETTINGS}, name="outer")
    inner = make_site({**GOOD, "pyproject.toml": SETTINGS}, name="outer/sites/inner")
    result = run_scarsite("check", "--no-cache", cwd=inner / "content/scar-types")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (f"note: the site folder is {inner}; file names "
                                             "below are relative to it")
    assert not (outer / ".scarsite-cache").exists()


def test_every_command_outside_any_site_says_so(tmp_path: Path) -> None:
    nowhere = tmp_path / "nowhere"
    (nowhere / "deeper").mkdir(parents=True)
    # A settings file without the table marks no site (it may be any Python project's).
    (nowhere / "pyproject.toml").write_text('[project]\nname = "other"\n')
    for args in (["build"], ["check"], ["serve"], ["clean"], ["new", "guide", "X"]):
        for cwd in (nowhere, nowhere / "deeper"):
            result = run_scarsite(*args, cwd=cwd)
            assert (result.returncode, result.stdout, result.stderr) == (1, "", NO_SITE), args
    assert sorted(p.relative_to(nowhere).as_posix() for p in nowhere.rglob("*")) == [
        "deeper", "pyproject.toml"]


def test_a_deleted_current_folder_is_one_message(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    # Removed in the new process after it has entered the folder, as when a shell stays in a
    # folder another program deletes.
    result = run_scarsite("check", cwd=gone, before=gone.rmdir)
    assert (result.returncode, result.stderr) == (1, "scarsite: the current folder no longer "
                                                  "exists; cd into the site folder, or pass "
                                                  "--source DIR\n")


def test_a_site_without_settings_builds_from_its_folder_only(
        make_site: Callable[..., Path]) -> None:
    """A pyproject.toml without [tool.scarsite] beside content/: the site builds with the
    default settings from its own folder or with --source; from below, nothing marks it as
    the site, and the message says how to mark it."""
    site = make_site({**GOOD, "pyproject.toml": '[project]\nname = "scars"\n'})
    note = "note: no [tool.scarsite] table in pyproject.toml; using the default settings"
    here = run_scarsite("check", "--no-cache", cwd=site)
    assert here.returncode == 0, here.stderr
    assert note in here.stdout.splitlines()
    elsewhere = run_scarsite("check", "--no-cache", "--source", site, cwd=site.parent)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert note in elsewhere.stdout.splitlines()
    below = run_scarsite("check", "--no-cache", cwd=site / "content/treatments")
    assert below.returncode == 1
    assert below.stderr == ("scarsite: no site here: ../.. has a content folder but no "
                            "pyproject.toml with a [tool.scarsite] table; add that table to make "
                            "it the site folder, run this in ../.., or pass --source ../..\n")


def test_a_site_whose_settings_are_not_toml_is_still_found(
        make_site: Callable[..., Path]) -> None:
    site = make_site({**GOOD, "pyproject.toml": '[tool.scarsite]\ntitle = "Scars\n'})
    result = run_scarsite("check", "--no-cache", cwd=site / "content/treatments")
    assert result.returncode == 1
    assert result.stderr.startswith("pyproject.toml:2: not valid TOML: ")


def test_source_is_used_as_given(make_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_site({**GOOD, "pyproject.toml": SETTINGS})
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    built = run_scarsite("build", "--no-search", "--no-cache", "--source", site, cwd=elsewhere)
    assert built.returncode == 0, built.stderr
    assert built.stdout.splitlines()[-2] == f"output    {site}/build/ (15 files, 15 changed)"
    # --source wins over the site around the current folder.
    other = make_site(GOOD, name="other")
    checked = run_scarsite("check", "--no-cache", "--source", other, cwd=site / "content")
    assert checked.returncode == 0, checked.stderr
    assert ("note: no [tool.scarsite] table in pyproject.toml; using the default settings"
            in checked.stdout.splitlines())
    cleaned = run_scarsite("clean", "--source", site, cwd=elsewhere)
    assert cleaned.stdout == f"removed {site}/build\n"
    assert sorted(p.name for p in elsewhere.iterdir()) == []


# --- the commands the README shows ----------------------------------------------------------------

REPOSITORY = Path(__file__).parent.parent
SCARSITE_NAMES = ("scarsite", ".venv/bin/scarsite")


def _readme_section(title: str) -> str:
    text = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def _shown_commands(section: str) -> list[list[str]]:
    """The commands in a section: each line of its sh blocks, and each code span in its text
    that starts with make or scarsite, as words."""
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.MULTILINE | re.DOTALL)
    lines = [line.split("#")[0] for block in blocks for line in block.splitlines()]
    spans = re.findall(r"`([^`\n]+)`", re.sub(r"^```.*?^```", "", section,
                                               flags=re.MULTILINE | re.DOTALL))
    lines += [span for span in spans if span.split()[0] in ("make", *SCARSITE_NAMES)]
    return [shlex.split(line) for line in lines if len(line.split()) > 1]


def _help(command: str) -> str:
    result = subprocess.run(scarsite_command(command, "--help"), capture_output=True, text=True)
    assert result.returncode == 0, (command, result.stderr)
    return result.stdout


def test_every_command_of_the_quick_start_exists() -> None:
    """Each command the quick start shows is a target of the Makefile (with the variables it
    reads), a scarsite command with those options, or a Python module that takes them."""
    makefile = (REPOSITORY / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z][\w.-]*):", makefile, re.MULTILINE))
    commands = _shown_commands(_readme_section("Quick start"))
    shown = {words[0] for words in commands}
    assert shown == {"make", ".", ".venv/bin/python", "scarsite", ".venv/bin/scarsite"}, shown
    for words in commands:
        if words[0] == "make":
            assert words[1] in targets, words
            for variable in (word.split("=")[0] for word in words[2:]):
                assert f'"$${variable}"' in makefile, words
        elif words[0] == ".":
            assert words[1] == ".venv/bin/activate"
            assert (Path(sys.executable).parent / "activate").is_file()
        elif words[0] == ".venv/bin/python":
            result = subprocess.run([sys.executable, *words[1:], "--help"], capture_output=True)
            assert result.returncode == 0, words
        else:
            usage = _help(words[1])
            for option in (word for word in words[2:] if word.startswith("-")):
                assert option in usage, words


def test_the_command_line_section_names_real_options() -> None:
    synopsis = re.search(r"^```\n(scarsite .*?)^```", _readme_section("Command line"),
                         re.MULTILINE | re.DOTALL)
    assert synopsis is not None
    lines = synopsis[1].splitlines()
    assert [line.split()[1] for line in lines] == ["build", "check", "new", "serve", "clean"]
    for line in lines:
        usage = _help(line.split()[1])
        for option in re.findall(r"--[a-z-]+", line):
            assert option in usage, (line, option)


def test_plain_scarsite_lists_the_commands_and_v_gives_the_version(tmp_path: Path) -> None:
    plain = run_scarsite(cwd=tmp_path)
    assert plain.returncode == 0 and plain.stderr == ""
    for command in ("build", "check", "serve", "new", "clean"):
        assert command in plain.stdout
    for flag in ("-V", "--version"):
        version = run_scarsite(flag, cwd=tmp_path)
        assert version.returncode == 0 and version.stdout.startswith("scarsite ")



def test_the_stage_times_add_up_to_no_more_than_the_whole_build(
        make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    result = run_scarsite("build", "--no-cache", cwd=site)  # with search, run inside write
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("time"))
    total, stages = re.match(r"time\s+(\d+) ms: (.*)", line).groups()
    times = {name: int(ms) for name, ms in re.findall(r"([a-z][a-z -]*?) (\d+) ms", stages)}
    assert "search" in times and "write" in times
    assert sum(times.values()) <= int(total) + len(times)  # each is rounded to a millisecond


def test_the_file_counts_agree_with_the_output_and_removals_are_counted(
        make_site: Callable[..., Path]) -> None:
    site = make_site(GOOD)
    with_search = run_scarsite("build", "--no-cache", cwd=site)
    assert with_search.returncode == 0, with_search.stderr
    in_output = sum(1 for p in (site / "build").rglob("*") if p.is_file())
    assert f"({in_output} files, {in_output} changed)" in with_search.stdout
    index = sum(1 for p in (site / "build/pagefind").rglob("*") if p.is_file())
    without = run_scarsite("build", "--no-cache", "--no-search", cwd=site)
    assert without.returncode == 0, without.stderr
    assert f"({in_output - index} files, 0 changed, {index} removed)" in without.stdout

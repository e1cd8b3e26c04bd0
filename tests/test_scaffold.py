"""`scarsite new`: a complete new article whose placeholders fail --strict until filled."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from .conftest import run_scarsite

SETTINGS = '[tool.scarsite]\ntitle = "Scars"\n'


def test_new_article_builds_but_fails_strict_until_filled(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({})
    result = run_scarsite("new", "treatment", "Ice pick lasers", cwd=site)
    assert result.returncode == 0, result.stderr
    path = site / "content/treatments/ice-pick-lasers.md"
    text = path.read_text()
    assert f"reviewed: {date.today().isoformat()}" in text and "## Risks" in text
    assert run_scarsite("build", "--no-search", "--no-cache", cwd=site).returncode == 0
    strict = run_scarsite("check", "--strict", "--no-cache", cwd=site)
    assert strict.returncode == 1
    placeholders = [line for line in strict.stderr.splitlines() if ": placeholder: " in line]
    assert placeholders[0] == ("content/treatments/ice-pick-lasers.md:4: warning: placeholder: "
                               "'summary: \"TODO: one or two plain sentences: what this page "
                               "c' still needs writing")
    assert len(placeholders) == text.count("TODO")
    # Filled in, it passes.
    filled = text.replace("TODO: ", "Filled. ").replace("TODO", "Written text.")
    path.write_text(filled)
    messages = run_scarsite("check", "--no-cache", cwd=site).stderr
    assert "placeholder" not in messages


def test_every_kind_goes_in_its_folder(make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({})
    for kind, path in (("scar-type", "scar-types/ice-pick.md"), ("aftercare", "aftercare/x.md"),
                       ("guide", "guides/x.md"), ("page", "pages/x.md")):
        title = "Ice pick" if kind == "scar-type" else "X"
        assert run_scarsite("new", kind, title, cwd=site).returncode == 0
        assert (site / "content" / path).is_file()
    assert run_scarsite("build", "--no-search", "--no-cache", cwd=site).returncode == 0


def test_new_never_overwrites_and_names_unknown_kinds(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/x.md": "mine\n"})
    result = run_scarsite("new", "guide", "X", cwd=site)
    assert result.returncode == 1
    assert result.stderr == ("content/guides/x.md: already exists; edit it, or choose another "
                             "title\n")
    assert (site / "content/guides/x.md").read_text() == "mine\n"
    result = run_scarsite("new", "sacr-type", "X", cwd=site)
    assert result.stderr == ("scarsite new: kind: unknown kind (did you mean 'scar-type'?); use "
                             "one of scar-type, treatment, aftercare, guide, page\n")


def test_new_from_inside_the_site_writes_into_its_content_folder(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"pyproject.toml": SETTINGS, "content/treatments/old.md": "x\n"})
    inside = site / "content/treatments"
    result = run_scarsite("new", "treatment", "Ice pick lasers", cwd=inside)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "wrote ice-pick-lasers.md"
    assert (inside / "ice-pick-lasers.md").is_file()
    result = run_scarsite("new", "guide", "X", cwd=inside)
    assert result.stdout.splitlines()[0] == "wrote ../guides/x.md"
    assert (site / "content/guides/x.md").is_file()
    assert sorted(p.name for p in inside.iterdir()) == ["ice-pick-lasers.md", "old.md"]
    # The same file again: the message names it from the site folder, as every problem does.
    again = run_scarsite("new", "guide", "X", cwd=inside)
    assert again.stderr == "content/guides/x.md: already exists; edit it, or choose another title\n"


def test_new_suggests_a_check_command_that_runs_from_here(
        make_themed_site: Callable[..., Path]) -> None:
    """The command `new` suggests is the scarsite that ran, in a form the shell runs from the
    current folder: `scarsite` when the shell finds it by that name; else its path, from here
    when it is inside the site (as this repository's .venv is); else its whole path."""
    site = make_themed_site({"pyproject.toml": SETTINGS})
    inside = site / "content/treatments"
    inside.mkdir(parents=True, exist_ok=True)
    venv_bin = Path(sys.executable).parent
    (site / ".venv").symlink_to(venv_bin.parent)
    bare = {**os.environ, "PATH": os.defpath}
    activated = {**os.environ, "PATH": f"{venv_bin}{os.pathsep}{os.defpath}"}
    cases = [
        (["../../.venv/bin/scarsite"], bare, "../../.venv/bin/scarsite"),
        ([str(venv_bin / "scarsite")], bare, str(venv_bin / "scarsite")),
        (["scarsite"], activated, "scarsite"),
        ([sys.executable, "-m", "scarsite"], bare, f"{sys.executable} -m scarsite"),
        ([sys.executable, "-m", "scarsite"], activated, f"{Path(sys.executable).name} -m scarsite"),
    ]
    for number, (command, env, form) in enumerate(cases):
        result = subprocess.run([*command, "new", "guide", f"Guide {number}"], cwd=inside,
                                env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        suggestion = re.fullmatch(r"Fill in every TODO; `(.+)` fails until you do\.",
                                  result.stdout.splitlines()[1])
        assert suggestion is not None, result.stdout
        assert suggestion[1] == f"{form} check --strict"
        # It runs: the check it suggests fails on the placeholders of the new article.
        check = subprocess.run(f"{suggestion[1]} --no-cache", shell=True, cwd=inside, env=env,
                               capture_output=True, text=True)
        assert check.returncode == 1, check.stderr
        assert f"content/guides/guide-{number}.md:4: warning: placeholder: " in check.stderr

"""`scarsite new`: a complete new article whose placeholders fail --strict until filled."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from .conftest import run_scarsite


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

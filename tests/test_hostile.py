"""Hostile content: every case ends in a correct build, or in exit code 1 with `path:line`
messages that name the problem, in bounded time and memory, never with a traceback, and
with the previously published `build/` untouched (bytes and time stamps).

Each case starts from a small site that was built successfully (so `build/` holds a
published site), adds or changes files, and runs `scarsite build` as its own process with
a time limit and a memory limit. The table pins the exact messages of each case, so a
change of wording is a deliberate change of this file. The one exception is the words that
PyYAML puts in a YAML syntax error, which change between its releases: for those only the
place (`path:line`), scarsite's start of the message and scarsite's own hint are pinned.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from itertools import zip_longest
from pathlib import Path

import pytest

from .conftest import article, run_scarsite, tree_of

TIMEOUT = 60  # seconds for one build of a site of a few articles, whatever is in it
MEMORY = 1 << 30  # bytes of address space for the build process
HOSTILE = "content/guides/hostile.md"
# prctl(2): run the build without the capabilities that let root read any file.
PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2

BASE = {
    "content/scar-types/boxcar.md": article("Boxcar scars", "scar-type",
                                            "## How it forms\n\nText.\n"),
    "content/treatments/subcision.md": article("Subcision", "treatment",
                                               "## Risks\n\nSome bruising.\n",
                                               scar_types="[boxcar]"),
    "content/guides/overview.md": article("Overview", "guide",
                                          "Read [the risks](../treatments/subcision.md#risks).\n"),
    "content/pages/about.md": article("About", "page"),
}

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class InvalidYaml:
    """A YAML syntax error in the front matter at `line`, its message ending in `hint`
    (scarsite's advice, if any). What PyYAML says between the two is not pinned."""

    line: int
    hint: str = ""

    def shown(self, problem: str) -> str:
        """`problem` if it is this error; else what it should look like, for the diff."""
        start = at(self.line, "front matter: invalid YAML: ")
        words = problem[len(start):len(problem) - len(self.hint)]
        if problem.startswith(start) and problem.endswith(self.hint) and words.strip():
            return problem
        return f"{start}<PyYAML's words>{self.hint}"


@dataclass(frozen=True)
class Case:
    name: str
    setup: Setup  # changes the built base site
    # the exact problem lines; none: the build must succeed
    expected: tuple[str | InvalidYaml, ...] = ()
    page: tuple[str, str] | None = None  # after a good build: an output file and text in it
    unreadable: bool = False  # relies on a file mode that root would ignore


# --- ways to change the base site ---

def write(text: str, rel: str = HOSTILE) -> Setup:
    def setup(site: Path) -> None:
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    return setup


def write_bytes(data: bytes, rel: str = HOSTILE) -> Setup:
    def setup(site: Path) -> None:
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return setup


def both(*setups: Setup) -> Setup:
    def setup(site: Path) -> None:
        for step in setups:
            step(site)
    return setup


def guide(body: str = "Some text.\n", **fields: str) -> str:
    """A guide with valid front matter, `fields` changed or added (as raw YAML) from line 7."""
    text = article("Hostile", "guide", body,
                   **{key: value for key, value in fields.items() if key not in ("title", "kind")})
    for key, value in (("title", "Hostile"), ("kind", "guide")):
        if key in fields:
            text = text.replace(f"\n{key}: {value}\n", f"\n{key}: {fields[key]}\n", 1)
    return text


def at(line: int, message: str, rel: str = HOSTILE) -> str:
    return f"{rel}:{line}: {message}"


def symlink(rel: str, target: str | Callable[[Path], Path]) -> Setup:
    def setup(site: Path) -> None:
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target(site) if callable(target) else target)
    return setup


def outside_file(site: Path) -> Path:
    secret = site.parent / "secret.md"
    secret.write_text(guide("The secret word is swordfish.\n"), encoding="utf-8")
    return secret


def outside_folder(site: Path) -> Path:
    folder = site.parent / "elsewhere"
    folder.mkdir(exist_ok=True)
    (folder / "secret.md").write_text(guide("The secret word is swordfish.\n"))
    return folder


def fifo(site: Path) -> None:
    os.mkfifo(site / HOSTILE)


def folder(site: Path) -> None:
    (site / HOSTILE).mkdir()
    (site / HOSTILE / "inside.md").write_text(guide())


def unreadable_file(site: Path) -> None:
    write(guide())(site)
    (site / HOSTILE).chmod(0)


def unreadable_folder(site: Path) -> None:
    (site / "content/aftercare").mkdir()
    (site / "content/aftercare/after.md").write_text(article("After", "aftercare"))
    (site / "content/aftercare").chmod(0)


def settings(text: str) -> Setup:
    return write(f'[tool.scarsite]\ntitle = "Hostile"\n{text}', "pyproject.toml")


BILLION_LAUGHS = "\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  {chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}]\n" for i in range(8))
DEEP_FLOW = "[" * 100_000 + "]" * 100_000
DEEP_BLOCK = "\n" + "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(30)) + \
    "  " * 31 + "end\n"
DEEP_DASHES = "\n" + "- " * 40_000 + "x"
ONE_MB_BODY = "Plain words in a long paragraph.\n\n" * 29_000  # just under the limit
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00"
       b"\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05")
MISSING_SLUG = "the file name '{}' is not a valid slug; rename the file to '{}.md' or set 'slug:'"
WHY_FIELD = "; put custom values under 'extra:'"


def link(target: str, line_text: str = "") -> str:
    return guide(f"Intro.\n\n{line_text or f'[the link]({target})'}\n")


LINK_LINE = 11  # the line of `link()`'s link in the file


def bad_link(message: str) -> tuple[str, ...]:
    return (at(LINK_LINE, f"link: {message}"),)


CASES = [
    # --- front matter: shape ---
    Case("front-matter-not-closed", write("---\ntitle: Hostile\nkind: guide\n\nText.\n"),
         (at(1, "front matter: not closed: add a '---' line after it"),)),
    Case("front-matter-empty", write("---\n---\n\nText.\n"),
         (at(1, "front matter: is empty; it needs at least title, kind, summary, reviewed, "
             "reviewer"),)),
    Case("empty-file", write(""),
         (at(1, "front matter: missing: the file is empty; start it with a '---' line, then "
             "the front matter (title, kind, summary, reviewed, reviewer), then another "
             "'---'"),)),
    Case("only-front-matter", write(guide("").rstrip("\n")),
         page=("guides/hostile/index.html", "<h1>Hostile</h1>")),
    Case("no-front-matter", write("# Hostile\n\nJust text.\n"),
         (at(1, "front matter: missing: the file must start with a '---' line, then the "
             "front matter (title, kind, summary, reviewed, reviewer), then another '---'"),)),
    Case("front-matter-is-a-list", write("---\n- title\n- kind\n---\n"),
         (at(2, "front matter: must be a set of 'key: value' lines"),)),
    Case("front-matter-is-text", write("---\nJust a sentence.\n---\n"),
         (at(2, "front matter: must be a set of 'key: value' lines"),)),
    Case("tab-indent", write(guide(facts="\n\tsessions: 3")),
         (InvalidYaml(8, "; indent with spaces, not tabs"),)),
    Case("tab-after-colon", write(guide().replace("title: Hostile", "title:\tHostile")),
         page=("guides/hostile/index.html", "<h1>Hostile</h1>")),
    # --- front matter: YAML syntax errors ---
    Case("yaml-unclosed-list", write(guide(scar_types="[boxcar, rolling")),
         (InvalidYaml(8),)),
    Case("yaml-unclosed-quote", write(guide(summary='"About hostile things')),
         (InvalidYaml(6, "; is the quote on line 4 closed?"),)),
    Case("yaml-colon-in-text", write(guide(summary="Note: this is text")),
         (InvalidYaml(4, "; put text that contains ': ' in quotes"),)),
    Case("yaml-bad-indent", write(guide(reviewer="Someone\n  else: here")),
         (InvalidYaml(7, "; put text that contains ': ' in quotes"),)),
    Case("yaml-reserved-character", write(guide(title="@hostile")),
         (InvalidYaml(2),)),
    Case("yaml-undefined-alias", write(guide(title="*hostile")),
         (InvalidYaml(2, "; YAML anchors and aliases (&name, *name) are not allowed"),)),
    Case("yaml-directive-inside", write(guide(extra="{}\n%YAML 1.2")),
         (at(8, "front matter: invalid YAML: a line cannot start with '%'; put the value in "
             "quotes"),)),
    Case("yaml-duplicate-key", write(guide(extra="{}\nsummary: Again.")),
         (at(8, "front matter: 'summary' is given twice"),)),
    Case("yaml-duplicate-nested-key", write(article(
        "Hostile", "treatment", facts="\n  sessions: 3\n  sessions: 4"),
        "content/treatments/hostile.md"),
         (at(11, "front matter: 'sessions' is given twice", "content/treatments/hostile.md"),)),
    # --- front matter: wrong types, for every field ---
    Case("type-title", write(guide(title="[a, list]")),
         (at(2, "title: must be text, not a list; write one line of text"),)),
    Case("type-kind-list", write(guide(kind="[guide]")),
         (at(3, "kind: a list is not a kind (did you mean 'guide'?); use one of scar-type, "
             "treatment, aftercare, guide, page"),)),
    Case("type-kind-number", write(guide(kind="7")),
         (at(3, "kind: 7 is not a kind; use one of scar-type, treatment, aftercare, guide, "
             "page"),)),
    Case("type-summary", write(guide(summary="{a: b}")),
         (at(4, "summary: must be text, not a mapping; write one line of text"),)),
    Case("type-reviewed", write(guide(reviewed="[2025-01-01]")),
         (at(5, "reviewed: a list is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"),)),
    Case("type-reviewer", write(guide(reviewer="true")),
         (at(6, "reviewer: must be text, not true; put it in quotes"),)),
    Case("type-reviewer-empty", write(guide(reviewer="")),
         (at(6, "reviewer: has no value"),)),
    Case("type-next-review", write(guide(next_review="soon")),
         (at(7, "next_review: 'soon' is not a date; write it as YYYY-MM-DD, e.g. "
             "2026-03-31"),)),
    Case("type-updated", write(guide(updated="20250101")),
         (at(7, "updated: 20250101 is not a date; write it as YYYY-MM-DD, e.g. 2026-03-31"),)),
    Case("type-scar-types", write(guide(scar_types="boxcar")),
         (at(7, "scar_types: must be a list, e.g. [boxcar]"),)),
    Case("type-scar-types-item", write(guide(scar_types="[{name: boxcar}]")),
         (at(7, "scar_types: a mapping is not a slug (lower case letters, digits and '-')"),)),
    Case("type-treatments", write(guide(treatments="12")),
         (at(7, "treatments: must be a list of slugs, not 12"),)),
    Case("type-evidence", write(article("Hostile", "treatment", evidence="[strong]"),
                                "content/treatments/hostile.md"),
         (at(7, "evidence: a list is not an evidence level (did you mean 'strong'?); use one "
             "of strong, moderate, limited, insufficient", "content/treatments/hostile.md"),)),
    Case("type-facts", write(article("Hostile", "treatment", facts="[3 sessions]"),
                             "content/treatments/hostile.md"),
         (at(9, "facts: must be a mapping of 'key: value' lines, not a list",
             "content/treatments/hostile.md"),)),
    Case("type-facts-value", write(article("Hostile", "treatment", facts="{sessions: [1, 2]}"),
                                   "content/treatments/hostile.md"),
         (at(9, "facts: sessions must be text, not a list", "content/treatments/hostile.md"),)),
    Case("type-also-known-as", write(article("Hostile", "scar-type", also_known_as="pits"),
                                     "content/scar-types/hostile.md"),
         (at(8, "also_known_as: must be a list of names, not 'pits'",
             "content/scar-types/hostile.md"),)),
    Case("type-references", write(article("Hostile", "scar-type", references="{text: A}"),
                                  "content/scar-types/hostile.md"),
         (at(7, "references: must be a list, not a mapping", "content/scar-types/hostile.md"),
          at(7, "warning: references: none given; a scar-type article should cite its "
             "sources", "content/scar-types/hostile.md"))),
    Case("type-references-item", write(article("Hostile", "scar-type", references="[42]"),
                                       "content/scar-types/hostile.md"),
         (at(7, "references: item 1 must be text or a mapping with text, id, url, doi, "
             "pmid, isbn, preprint",
             "content/scar-types/hostile.md"),
          at(7, "warning: references: none given; a scar-type article should cite its "
             "sources", "content/scar-types/hostile.md"))),
    Case("type-slug", write(guide(slug="[a, b]")),
         (at(7, "slug: a list is not a slug; use lower case letters, digits and '-', e.g. "
             "'a-b'"),)),
    Case("type-weight", write(guide(weight="heavy")),
         (at(7, "weight: must be a whole number, not 'heavy'"),)),
    Case("type-weight-float", write(guide(weight="1.5")),
         (at(7, "weight: must be a whole number, not 1.5"),)),
    Case("type-draft", write(guide(draft='"no"')),
         (at(7, "draft: must be true or false, not 'no'"),)),
    Case("type-aliases", write(guide(aliases="old/path")),
         (at(7, "aliases: must be a list of old paths, not 'old/path'"),)),
    Case("type-aliases-item", write(guide(aliases="[3]")),
         (at(7, "aliases: 3 is not a path inside the site, such as 'old/path/'"),)),
    Case("type-extra", write(guide(extra="[1, 2]")),
         (at(7, "extra: must be a mapping of 'key: value' lines, not a list"),)),
    Case("type-key-not-a-name", write(guide(extra="{}\n1: one\ntrue: yes\nnull: nothing")),
         (at(8, "front matter: '1' is not a field name; fields are names such as 'title'"),
          at(9, "front matter: 'true' is not a field name; fields are names such as 'title'"),
          at(10, "front matter: 'null' is not a field name; fields are names such as "
             "'title'"))),
    Case("type-unknown-field", write(guide(colour="blue")),
         (at(7, "colour: unknown field" + WHY_FIELD),)),
    Case("value-equals-sign", write(guide(summary="=")),
         page=("guides/hostile/index.html", "<p class=\"summary\">=</p>")),
    Case("merge-key-is-not-merged", write(guide(extra="{}\n<<: {title: Other}")),
         (at(8, "<<: unknown field" + WHY_FIELD),)),
    Case("huge-number", write(guide(weight="9" * 5000)),
         (at(7, "front matter: a number 5000 characters long; put it in quotes if it is "
             "text"),)),
    # --- front matter: dates ---
    Case("date-february-30", write(guide(reviewed="2025-02-30")),
         (at(5, "reviewed: 2025-02-30 is not a real date"),)),
    Case("date-month-13", write(guide(reviewed="2025-13-01")),
         (at(5, "reviewed: 2025-13-01 is not a real date"),)),
    Case("date-not-a-leap-year", write(guide(next_review="2027-02-29")),
         (at(7, "next_review: 2027-02-29 is not a real date"),)),
    Case("date-year-zero", write(guide(reviewed="0000-01-01")),
         (at(5, "reviewed: 0000-01-01 is not a real date"),)),
    Case("date-year-9999", write(guide(reviewed="9999-12-31")),
         (at(5, "reviewed: 9999-12-31: the year must be between 1900 and 2999"),)),
    Case("date-without-zeros", write(guide(reviewed="2025-1-5")),
         (at(5, "reviewed: '2025-1-5' is not a date; write it as YYYY-MM-DD, e.g. "
             "2026-03-31"),)),
    Case("date-tagged-timestamp", write(guide(reviewed="!!timestamp 2025-02-30")),
         (at(5, "front matter: invalid YAML: tags such as '!!timestamp' are not allowed; "
             "write the value without it"),)),
    # --- front matter: a list where text is expected, and the reverse ---
    Case("list-for-text", write(guide(reviewer="[Ann, Bob]")),
         (at(6, "reviewer: must be text, not a list; write one line of text"),)),
    Case("text-for-list", write(article("Hostile", "scar-type", references='"One source."'),
                                "content/scar-types/hostile.md"),
         (at(7, "references: must be a list, not 'One source.'",
             "content/scar-types/hostile.md"),
          at(7, "warning: references: none given; a scar-type article should cite its "
             "sources", "content/scar-types/hostile.md"))),
    # --- front matter: alias bombs, deep nesting, object tags ---
    Case("billion-laughs", write(guide(extra=BILLION_LAUGHS)),
         (at(8, "front matter: YAML anchors and aliases (&name, *name) are not allowed"),)),
    Case("deep-flow-nesting", write(guide(extra=DEEP_FLOW)),
         (at(7, "front matter: lists and mappings nested more than 20 deep; front matter "
             "needs only a few levels"),)),
    Case("deep-block-nesting", write(guide(extra=DEEP_BLOCK)),
         (at(27, "front matter: lists and mappings nested more than 20 deep; front matter "
             "needs only a few levels"),)),
    Case("deep-dash-nesting", write(guide(extra=DEEP_DASHES)),
         (at(8, "front matter: lists and mappings nested more than 20 deep; front matter "
             "needs only a few levels"),)),
    Case("python-object-tag", write(guide(
        extra='!!python/object/apply:os.system ["touch hostile-was-here"]')),
         (at(7, "front matter: invalid YAML: tags such as '!!python/object/apply:os.system' "
             "are not allowed; write the value without it"),)),
    Case("python-name-tag", write(guide(title="!!python/name:os.system")),
         (at(2, "front matter: invalid YAML: tags such as '!!python/name:os.system' are not "
             "allowed; write the value without it"),)),
    Case("binary-tag", write(guide(title="!!binary aGVsbG8=")),
         (at(2, "front matter: invalid YAML: tags such as '!!binary' are not allowed; write "
             "the value without it"),)),
    Case("set-tag", write(guide(extra="!!set {a, b}")),
         (at(7, "front matter: invalid YAML: tags such as '!!set' are not allowed; write the "
             "value without it"),)),
    Case("int-tag-on-text", write(guide(weight="!!int heavy")),
         (at(7, "front matter: invalid YAML: tags such as '!!int' are not allowed; write the "
             "value without it"),)),
    Case("bool-tag-on-text", write(guide(draft="!!bool maybe")),
         (at(7, "front matter: invalid YAML: tags such as '!!bool' are not allowed; write "
             "the value without it"),)),
    Case("local-tag", write(guide(title="!secret Hostile")),
         (at(2, "front matter: invalid YAML: tags such as '!secret' are not allowed; write "
             "the value without it"),)),
    Case("harmless-str-tag", write(guide(title="!!str 2025")),
         page=("guides/hostile/index.html", "<h1>2025</h1>")),
    # --- encodings ---
    Case("utf8-bom", write("\ufeff" + guide("Café au lait.\n")),
         page=("guides/hostile/index.html", "Café au lait.")),
    Case("crlf", write(guide("First line.\n\nSecond line.\n").replace("\n", "\r\n")),
         page=("guides/hostile/index.html", "<p>Second line.</p>")),
    Case("cr", write(guide("First line.\n\nSecond line.\n").replace("\n", "\r")),
         page=("guides/hostile/index.html", "<p>Second line.</p>")),
    Case("crlf-error-line", write(guide(weight="heavy").replace("\n", "\r\n")),
         (at(7, "weight: must be a whole number, not 'heavy'"),)),
    Case("cr-error-line", write(guide(weight="heavy").replace("\n", "\r")),
         (at(7, "weight: must be a whole number, not 'heavy'"),)),
    Case("invalid-utf8", write_bytes(guide().encode() + b"caf\xe9\n"),
         (at(10, "encoding: is not valid UTF-8 (byte 0xe9); save it as UTF-8"),)),
    Case("invalid-utf8-cr", write_bytes(guide().replace("\n", "\r").encode() + b"caf\xe9\r"),
         (at(10, "encoding: is not valid UTF-8 (byte 0xe9); save it as UTF-8"),)),
    Case("utf16-bom", write_bytes(guide().encode("utf-16")),
         (at(1, "encoding: is saved as UTF-16; save it as UTF-8"),)),
    Case("utf16-no-bom", write_bytes(guide().encode("utf-16-le")),
         (at(1, "encoding: is saved as UTF-16; save it as UTF-8"),)),
    Case("utf32", write_bytes(guide().encode("utf-32")),
         (at(1, "encoding: is saved as UTF-32; save it as UTF-8"),)),
    Case("nul-byte", write(guide("Fine.\n\nNot \x00 fine.\n")),
         (at(11, "encoding: contains a NUL byte; is it a binary file? An article is UTF-8 "
             "text"),)),
    Case("binary-file", write_bytes(PNG),
         (at(3, "encoding: contains a NUL byte; is it a binary file? An article is UTF-8 "
             "text"),)),
    Case("20-mb-article", write(guide("Words and more words.\n" * 1_000_000)),
         (at(1, "file: is 22.0 MB, more than the 1.0 MB an article may be; split it into "
             "several articles"),)),
    Case("1-mb-article", write(guide(ONE_MB_BODY)),
         page=("guides/hostile/index.html", "<p>Plain words in a long paragraph.</p>")),
    Case("line-separator-in-front-matter", write(guide(summary="One\u2028two")),
         (at(4, "front matter: contains the character U+2028, which YAML reads as a line "
             "break; remove it"),)),
    Case("control-character-in-front-matter", write(guide(summary="Bell\x07")),
         (at(4, "front matter: invalid YAML: the character U+0007 is not allowed; remove "
             "it"),)),
    Case("control-characters-in-body", write(guide("Form\x0cfeed and \x1b[31mred.\n")),
         page=("guides/hostile/index.html", "<h1>Hostile</h1>")),
    # --- names and paths ---
    Case("slug-dot-dot", write(guide(slug="../../etc")),
         (at(7, "slug: '../../etc' is not a slug; use lower case letters, digits and '-', "
             "e.g. 'etc'"),)),
    Case("slug-slash", write(guide(slug="a/b")),
         (at(7, "slug: 'a/b' is not a slug; use lower case letters, digits and '-', e.g. "
             "'a-b'"),)),
    Case("slug-spaces", write(guide(slug="my hostile page")),
         (at(7, "slug: 'my hostile page' is not a slug; use lower case letters, digits and "
             "'-', e.g. 'my-hostile-page'"),)),
    Case("slug-upper-case", write(guide(slug="Hostile")),
         (at(7, "slug: 'Hostile' is not a slug; use lower case letters, digits and '-', e.g. "
             "'hostile'"),)),
    Case("slug-non-ascii", write(guide(slug="café-crème")),
         (at(7, "slug: 'café-crème' is not a slug; use lower case letters, digits and '-', "
             "e.g. 'cafe-creme'"),)),
    Case("slug-trailing-newline", write(guide(slug='"hostile\\n"')),
         (at(7, "slug: 'hostile\\n' is not a slug; use lower case letters, digits and '-', "
             "e.g. 'hostile'"),)),
    Case("file-name-spaces", write(guide(), "content/guides/My Guide.md"),
         (at(1, "slug: " + MISSING_SLUG.format("My Guide", "my-guide"),
             "content/guides/My Guide.md"),)),
    Case("file-name-non-ascii", write(guide(), "content/guides/über.md"),
         (at(1, "slug: " + MISSING_SLUG.format("über", "uber"), "content/guides/über.md"),)),
    Case("file-name-newline", write(guide(), "content/guides/two\nlines.md"),
         (at(1, "slug: " + MISSING_SLUG.format("two\\x0alines", "two-lines"),
             "content/guides/two\\x0alines.md"),)),
    Case("file-name-not-utf8", write_bytes(guide().encode(), "content/guides/caf\udce9.md"),
         ("content/guides/caf\\xe9.md: file: the name is not valid UTF-8; rename it",)),
    Case("slugs-collide", write(guide(slug="overview")),
         (at(7, "slug: 'overview' gives the URL /guides/overview/, which "
             "content/guides/overview.md already has"),)),
    Case("case-only-difference", write(article("Boxcar again", "scar-type"),
                                       "content/scar-types/Boxcar.md"),
         (at(1, "slug: " + MISSING_SLUG.format("Boxcar", "boxcar"),
             "content/scar-types/Boxcar.md"),
          at(1, "slug: 'Boxcar' gives the URL /scar-types/Boxcar/, which "
             "content/scar-types/boxcar.md already has", "content/scar-types/Boxcar.md"))),
    Case("page-takes-a-section-url", write(article("Guides", "page"), "content/pages/guides.md"),
         (at(1, "slug: 'guides' gives the URL /guides/, which the site itself already has",
             "content/pages/guides.md"),)),
    Case("symlink-to-file-outside", symlink(HOSTILE, outside_file),
         (at(1, "file: is a link to a file outside the site; copy the file in"),)),
    Case("symlink-to-folder-outside", symlink("content/guides/more", outside_folder),
         ("content/guides/more: file: is a link to a folder, which is not followed; move the "
          "folder here instead",)),
    Case("symlink-section-outside", both(
        lambda site: shutil.rmtree(site / "content/scar-types"),
        write(article("Subcision", "treatment", "## Risks\n\nSome bruising.\n"),
              "content/treatments/subcision.md"),
        symlink("content/scar-types", outside_folder)),
         ("content/scar-types: file: is a link to a folder, which is not followed; move the "
          "folder here instead",)),
    Case("symlink-content-outside", both(
        lambda site: shutil.move(site / "content", site.parent / "content-elsewhere"),
        symlink("content", lambda site: site.parent / "content-elsewhere")),
         ("content: is a link to a folder outside the site; move the folder into the site",)),
    Case("symlink-loop", both(symlink(HOSTILE, "loop.md"),
                              symlink("content/guides/loop.md", "hostile.md")),
         (at(1, "file: is a link that cannot be followed (a loop of links?); replace it with "
             "the file"),
          at(1, "file: is a link that cannot be followed (a loop of links?); replace it with "
             "the file", "content/guides/loop.md"))),
    Case("symlink-dangling", symlink(HOSTILE, "nowhere.md"),
         (at(1, "file: is a link to a file that does not exist"),)),
    Case("symlink-inside-site", both(write(guide("Shared text.\n"), "shared/hostile.md"),
                                     symlink(HOSTILE, "../../shared/hostile.md")),
         page=("guides/hostile/index.html", "Shared text.")),
    Case("unreadable-file", unreadable_file,
         (at(1, "file: cannot be read: Permission denied"),), unreadable=True),
    Case("unreadable-folder", unreadable_folder,
         ("content/aftercare: file: the folder cannot be read: Permission denied",),
         unreadable=True),
    Case("fifo-named-like-an-article", fifo,
         (at(1, "file: is not a regular file; an article must be a text file"),)),
    Case("folder-named-like-an-article", folder,
         (f"{HOSTILE}: file: is a folder, not an article; take '.md' off its name",)),
    Case("alias-escaping-output", write(guide(aliases="[../../outside]")),
         (at(7, "aliases: '../../outside' is not a path inside the site, such as "
             "'old/path/'"),)),
    Case("alias-encoded-dots", write(guide(aliases="['%2e%2e/outside']")),
         (at(7, "aliases: '%2e%2e/outside' is not a path inside the site, such as "
             "'old/path/'"),)),
    Case("alias-absolute-stays-inside", write(guide(aliases="[/etc/hostile]")),
         page=("etc/hostile/index.html", "/guides/hostile/")),
    Case("alias-over-home-page", write(guide(aliases="[index.html]")),
         (at(7, "aliases: 'index.html' is already used by the site itself"),)),
    Case("alias-over-another-page", write(guide(aliases="[treatments/subcision]")),
         (at(7, "aliases: 'treatments/subcision' is already used by "
             "content/treatments/subcision.md"),)),
    Case("alias-over-page-file", write(guide(aliases="[scar-types/boxcar/index.html]")),
         (at(7, "aliases: 'scar-types/boxcar/index.html' is already used by "
             "content/scar-types/boxcar.md"),)),
    Case("alias-case-only", write(guide(aliases="[Treatments/Subcision]")),
         (at(7, "aliases: 'Treatments/Subcision' is already used by "
             "content/treatments/subcision.md"),)),
    Case("alias-over-site-file", write(guide(aliases="[sitemap.xml, static/style.css]")),
         (at(7, "aliases: 'sitemap.xml' is already used by the site itself"),
          at(7, "aliases: 'static/style.css' is already used by the site itself"))),
    Case("alias-over-another-alias", both(
        write(guide(aliases="[old/guide]")),
        write(article("Second", "guide", aliases="[old/guide]"), "content/guides/second.md")),
         (at(7, "aliases: 'old/guide' is already used by content/guides/hostile.md",
             "content/guides/second.md"),)),
    # --- links ---
    Case("link-missing-file", write(link("../treatments/subcisoin.md")),
         bad_link("'../treatments/subcisoin.md' does not exist (did you mean "
                  "'../treatments/subcision.md'?)")),
    Case("link-to-folder", write(link("../treatments/")),
         bad_link("'../treatments/' is a folder; link to an article's .md file")),
    Case("link-to-content-folder", write(link("..")),
         bad_link("'..' is a folder; link to an article's .md file")),
    Case("link-to-draft", both(write(article("Draft", "guide", draft="true"),
                                     "content/guides/draft.md"),
                               write(link("draft.md"))),
         bad_link("'draft.md' is a draft; build with --drafts or remove the link")),
    Case("link-missing-anchor", write(link("../treatments/subcision.md#risk")),
         bad_link("'#risk' is not a heading in content/treatments/subcision.md (did you mean "
                  "'risks'?)")),
    Case("link-escaping-content", write(link("../../../../etc/passwd")),
         bad_link("'../../../../etc/passwd' points outside the content folder")),
    Case("link-escaping-to-settings", write(link("../../pyproject.toml")),
         bad_link("'../../pyproject.toml' points outside the content folder")),
    Case("link-escaping-encoded", write(link("%2e%2e/%2e%2e/%2e%2e/etc/passwd")),
         bad_link("'%2e%2e/%2e%2e/%2e%2e/etc/passwd' points outside the content folder")),
    Case("link-encoded-dots-to-article", write(link("%2e%2e/treatments/subcision.md")),
         page=("guides/hostile/index.html", '<a href="/treatments/subcision/">the link</a>')),
    Case("link-not-an-article", write(link("../images/photo.png")),
         bad_link("'../images/photo.png' is not an article's .md file; put other files in "
                  "static/ and link to them as /static/<name>")),
    Case("link-backslashes", write(link("..\\treatments\\subcision.md")),
         bad_link("'..\\treatments\\subcision.md' has a '\\'; write '/' between folders")),
    Case("link-backslash-other-host", write(link("/\\evil.example/")),
         bad_link("'/\\evil.example/' has a '\\'; write '/' between folders")),
    Case("link-javascript", write(link("javascript:alert(1)")),
         bad_link("'javascript:' links are not allowed")),
    Case("link-javascript-upper-case", write(link("JavaScript:alert(1)")),
         bad_link("'javascript:' links are not allowed")),
    Case("link-javascript-entity", write(link("&#106;avascript:alert(1)")),
         bad_link("'javascript:' links are not allowed")),
    Case("link-javascript-hex-entity", write(link("jav&#x09;ascript:alert(1)")),
         bad_link("'javascript:' links are not allowed")),
    Case("link-javascript-image", write(link("", "![x](javascript:alert(1))")),
         bad_link("'javascript:' links are not allowed")),
    Case("link-javascript-reference", write(link(
        "", "[the link][evil]\n\n[evil]: javascript:alert(1)")),
         (at(13, "link: 'javascript:' links are not allowed"),)),
    Case("link-data-url", write(link("data:text/html;base64,PHNjcmlwdD4=")),
         bad_link("'data:' links are not allowed")),
    Case("link-vbscript", write(link("vbscript:msgbox(1)")),
         bad_link("'vbscript:' links are not allowed")),
    Case("link-file-url", write(link("file:///etc/passwd")),
         bad_link("'file:' links are not allowed")),
    Case("link-invalid-host", write(link("http://[oops/")),
         bad_link("'http://[oops/' is not a valid address")),
    Case("link-site-path-under-base", both(
        settings('base_url = "https://example.org/sub/"\n'),
        write(link("", "[about](/about/) [up](/../../../x/) [dots](/%2e%2e/about/)"))),
         page=("guides/hostile/index.html",
               '<a href="/sub/about/">about</a> <a href="/sub/x/">up</a> '
               '<a href="/sub/about/">dots</a>')),
    Case("link-external-unchanged", write(link("", "[NHS](https://www.nhs.uk/?a=1&b=2)")),
         page=("guides/hostile/index.html",
               '<a href="https://www.nhs.uk/?a=1&amp;b=2">NHS</a>')),
    # --- settings ---
    Case("base-url-with-dots", settings('base_url = "https://example.org/a/../../"\n'),
         ("pyproject.toml:3: base_url: 'https://example.org/a/../../' must be a plain address "
          "such as 'https://example.org/site/', without '..', '?', '#', a user name or "
          "spaces",)),
]


# --- running the cases ---

def _no_root_reading() -> None:
    """In the build process, before it starts: for root, drop the capabilities to read and
    list whatever the file modes say (from the bounding set, so the new program never has
    them)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
            if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
                raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def scarsite_build(site: Path, unreadable: bool = False) -> subprocess.CompletedProcess[str]:
    """`scarsite build` of `site` in its own process, with a time and a memory limit."""
    return run_scarsite("build", "--no-search", "--no-cache", "--source", site, cwd=site,
                        seconds=TIMEOUT, memory=MEMORY,
                        before=_no_root_reading if unreadable else None)


def _modes_are_obeyed(folder: Path) -> bool:
    """Whether a build started with `unreadable` is refused a file of mode 000."""
    probe = folder / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        result = subprocess.run([sys.executable, "-c", f"open({str(probe)!r}).read()"],
                                capture_output=True, preexec_fn=_no_root_reading)
    except subprocess.SubprocessError:  # the capabilities could not be dropped
        return False
    finally:
        probe.chmod(0o600)
        probe.unlink()
    return result.returncode != 0


def published(site: Path) -> dict[str, tuple[bytes, int]]:
    """Every file of the published site with its bytes and modification time."""
    output = site / "build"
    return {rel: (data, (output / rel).stat().st_mtime_ns)
            for rel, data in tree_of(output).items()}


@pytest.fixture
def base_site(make_site: Callable[..., Path]) -> Path:
    """The base site, written into tmp_path and built: `build/` holds a published site."""
    site = make_site(BASE)
    result = scarsite_build(site)
    assert result.returncode == 0, result.stderr
    return site


def test_case_names_are_unique() -> None:
    # pytest would tell two cases of one name apart by a number, hiding the second.
    assert len(CASES) == len({case.name for case in CASES})


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_content(case: Case, base_site: Path) -> None:
    if case.unreadable and not _modes_are_obeyed(base_site.parent):
        pytest.skip("running as root without the right to drop CAP_DAC_OVERRIDE, so no file "
                    "is unreadable")
    before = published(base_site)
    case.setup(base_site)
    result = scarsite_build(base_site, case.unreadable)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output
    if not case.expected:
        assert result.returncode == 0, result.stderr
        assert case.page is not None
        page, text = case.page
        assert text in (base_site / "build" / page).read_text(encoding="utf-8")
        return
    lines = result.stderr.splitlines()
    assert lines[:-1] == [want.shown(got) if isinstance(want, InvalidYaml) else want
                          for want, got in zip_longest(case.expected, lines[:-1], fillvalue="")]
    warnings = sum(isinstance(line, str) and ": warning: " in line for line in case.expected)
    errors = len(case.expected) - warnings
    assert lines[-1] == (f"failed: {errors} error{'s' * (errors != 1)}, {warnings} "
                         f"warning{'s' * (warnings != 1)}; nothing was written")
    assert result.returncode == 1
    assert published(base_site) == before
    assert [p.name for p in base_site.iterdir() if p.name.startswith(".build.new")] == []
    assert not (base_site / "hostile-was-here").exists()

"""The `scarsite` command: `build`, `check`, `serve`, `new` and `clean`.

Every command works on one site folder: `--source DIR`, or else the one found from the
current folder up, as git finds `.git` (see `find_site`). Exit codes: 0 success, 1 problems
in the site's content or settings (each printed as `path:line: field: message`), or no site
found, 2 a mistake in the command line.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import sys
import traceback
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from . import __version__
from .build import BuildOptions, BuildReport, build
from .cache import clean
from .config import declares_site
from .editorial import EditorialReport
from .errors import Problem, SiteError
from .names import CACHE_DIR, CONTENT_DIR, OUTPUT_DIR, SETTINGS_FILE
from .scaffold import new_article


def run() -> NoReturn:
    """The `scarsite` command: `main`, then an immediate exit.

    Freeing a build's heap object by object as the interpreter shuts down takes 30 ms at
    1,000 articles (a tenth of the 0.3 s a one-edit build may take) and 0.7 s at 10,000. By
    then every file is closed and the lock let go, so once the output is flushed the
    process exits without tearing the heap down (the operating system takes it back).
    """
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


# Exit codes (documented in the README): scripts and CI can tell a mistake in the site from a
# build that could not run.
EXIT_OK = 0
EXIT_PROBLEMS = 1  # errors in the content or settings (or warnings, with --strict)
EXIT_USAGE = 2  # a command or option that does not exist (argparse's own code)
EXIT_BUSY = 3  # another build of the same site is running
EXIT_NO_PORT = 4  # `serve`: no free port to preview on


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()  # plain `scarsite`: what it can do
        return EXIT_OK
    args = parser.parse_args(argv)
    if args.source is not None and not args.source.is_dir():
        parser.error(f"--source {args.source}: no such folder")
    found = args.source is None
    if found:
        try:
            here = Path.cwd()
        except FileNotFoundError:  # the current folder was deleted after the shell entered it
            print(Problem("scarsite", 0, "", "the current folder no longer exists; cd into "
                          "the site folder, or pass --source DIR"), file=sys.stderr)
            return 1
        site = find_site(here)
        if site is None:
            print(_no_site(here), file=sys.stderr)
            return 1
        args.source = site
        if args.command in ("build", "check", "serve") and site != Path("."):
            print(f"note: the site folder is {site.resolve()}; file names below are "
                  "relative to it")
    if args.command == "new":
        return _new(args, shown_from_here=found)
    if args.command == "clean":
        return _clean(args)
    if args.command == "serve":
        from .serve import NoFreePort, serve  # the preview server only when asked for
        from .server import ServerError
        try:
            with contextlib.suppress(KeyboardInterrupt):
                serve(args.source, args.host, args.port, args.drafts, args.open)
        except ServerError as exc:
            print(f"scarsite serve: {exc}", file=sys.stderr)
            return EXIT_NO_PORT if isinstance(exc, NoFreePort) else EXIT_PROBLEMS
        return EXIT_OK
    checking = args.command == "check"
    options = BuildOptions(source=args.source, output=getattr(args, "output", None),
                           drafts=getattr(args, "drafts", False), strict=args.strict,
                           write=not checking, search=not getattr(args, "no_search", False),
                           editorial=checking, today=getattr(args, "today", None),
                           cache=not args.no_cache, jobs=args.jobs)
    try:
        report = build(options)
    except Exception as exc:
        if args.debug:
            traceback.print_exc()
        print(f"scarsite: internal error: {type(exc).__name__}: {exc}\n"
              "This is a bug in scarsite, not in your site; run again with --debug and report it.",
              file=sys.stderr)
        return 1
    if report.editorial is not None:
        print(editorial_table(report.editorial))
        if args.report is not None:
            _write_json(args.report, report.editorial.as_json())
    _print_report(report)
    if report.busy:
        return EXIT_BUSY
    return EXIT_OK if report.ok else EXIT_PROBLEMS


NO_SITE = ("no site here: run this inside a site folder (one whose "
           f"{SETTINGS_FILE} has a [tool.scarsite] table), or pass --source DIR")


def find_site(here: Path) -> Path | None:
    """The site folder for a command run in `here`, as a path from `here` ('.', '../..'), or
    None outside any site.

    As git finds `.git`: `here` or the nearest folder above it whose settings file has a
    [tool.scarsite] table. `here` itself is also a site when it has a content folder and no
    such table, a site that builds with the default settings; above `here` only the table
    counts, so a stray content folder in a home folder never makes a site of it.
    """
    if declares_site(here) or (here / CONTENT_DIR).is_dir():
        return Path(".")
    for folder in here.parents:
        if declares_site(folder):
            return Path(os.path.relpath(folder, here))
    return None


def _no_site(here: Path) -> str:
    """The message for a command run outside any site; it names the folder above that looks
    like a site without being marked as one, if there is one."""
    unmarked = next((folder for folder in here.parents if (folder / CONTENT_DIR).is_dir()), None)
    if unmarked is None:
        return str(Problem("scarsite", 0, "", NO_SITE))
    where = os.path.relpath(unmarked, here)
    return str(Problem("scarsite", 0, "", f"no site here: {where} has a {CONTENT_DIR} folder but "
                       f"no {SETTINGS_FILE} with a [tool.scarsite] table; add that table to "
                       f"make it the site folder, run this in {where}, or pass --source {where}"))


def command_form(site: Path) -> str:
    """How to run this scarsite again from the current folder, for the commands messages
    suggest: `scarsite` when the shell finds this very script by that name (its virtual
    environment is active); else the script's path (from here when it is inside the site,
    such as the site's own .venv/bin/scarsite); else, for `python -m scarsite`, that
    Python's path."""
    script = Path(sys.argv[0]).absolute()
    if script.name == "scarsite":
        on_path = shutil.which("scarsite")
        if on_path is not None and os.path.samefile(on_path, script):
            return "scarsite"
        return _path_from_here(script, site)
    # A virtual environment's python is a link to the system's, which has no scarsite: the
    # same name, not the same file, is what counts.
    python = Path(sys.executable).absolute()
    for name in ("python", "python3"):
        on_path = shutil.which(name)
        if on_path is not None and Path(on_path).absolute() == python:
            return f"{name} -m scarsite"
    return f"{_path_from_here(python, site)} -m scarsite"


def _path_from_here(path: Path, site: Path) -> str:
    inside_site = path.is_relative_to(os.path.abspath(site))
    shown = os.path.relpath(path) if inside_site else str(path)
    if os.sep not in shown:  # the shell would look a bare name up on PATH
        shown = os.path.join(".", shown)
    return shlex.quote(shown)


def _new(args: argparse.Namespace, shown_from_here: bool) -> int:
    try:
        path = new_article(args.source, args.kind, args.title, date.today())
    except SiteError as exc:
        print(exc.problem, file=sys.stderr)
        return 1
    shown = os.path.relpath(path) if shown_from_here else str(path)
    print(f"wrote {shown}\nFill in every TODO; `{command_form(args.source)} check --strict` "
          "fails until you do.")
    return 0


def _clean(args: argparse.Namespace) -> int:
    output = args.output if args.output is not None else args.source / OUTPUT_DIR
    try:
        removed = clean(args.source, output)
    except SiteError as exc:
        print(exc.problem, file=sys.stderr)
        return 1
    for folder in removed:
        print(f"removed {folder}")
    if not removed:
        print("nothing to remove")
    return 0


def _jobs(text: str) -> int:
    try:
        jobs = int(text)
    except ValueError:
        jobs = -1
    if jobs < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of processes (1 or more)")
    return jobs


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"report    {path}")


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


_SOURCE_HELP = (f"the site folder (default: the current folder or the nearest one above it whose "
                f"{SETTINGS_FILE} has a [tool.scarsite] table)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scarsite", description="Build the acne-scar "
                                     "patient-education site from Markdown articles.")
    parser.add_argument("-V", "--version", action="version", version=f"scarsite {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--source", type=Path, metavar="DIR", help=_SOURCE_HELP)
    common.add_argument("--strict", action="store_true", help="treat warnings as errors")
    common.add_argument("--debug", action="store_true", help=argparse.SUPPRESS)
    common.add_argument("--no-cache", action="store_true", help="neither use nor update the "
                        f"build cache ({CACHE_DIR}/ in the site folder)")
    common.add_argument("--jobs", type=_jobs, default=0, metavar="N", help="processes for "
                        "Markdown and pages (default: one per core)")
    build_cmd = commands.add_parser("build", parents=[common], help="build the site")
    build_cmd.add_argument("--output", type=Path, metavar="DIR",
                           help="where to write the site (default: <source>/build)")
    build_cmd.add_argument("--drafts", action="store_true", help="include draft articles")
    build_cmd.add_argument("--no-search", action="store_true",
                           help="skip the search index (faster previews)")
    check_cmd = commands.add_parser("check", parents=[common], help="check the site for "
                                    "mistakes and measure plain language; writes nothing")
    check_cmd.add_argument("--report", type=Path, metavar="FILE.json",
                           help="also write the editorial numbers as JSON")
    serve_cmd = commands.add_parser("serve", parents=[common], help="preview the site, "
                                    "rebuilding and reloading the browser on every change")
    serve_cmd.add_argument("--host", default="127.0.0.1",
                           help="address to listen on (default: 127.0.0.1, this computer only)")
    serve_cmd.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    serve_cmd.add_argument("--drafts", action="store_true", help="include draft articles")
    serve_cmd.add_argument("--open", action="store_true", help="open the preview in a browser")
    clean_cmd = commands.add_parser("clean", help=f"remove the build cache ({CACHE_DIR}/), "
                                    "and the output folder if scarsite made it")
    clean_cmd.add_argument("--source", type=Path, metavar="DIR", help=_SOURCE_HELP)
    clean_cmd.add_argument("--output", type=Path, metavar="DIR",
                           help="the output folder to remove (default: <source>/build)")
    new_cmd = commands.add_parser("new", parents=[common], help="start a new article with "
                                  "complete front matter")
    new_cmd.add_argument("kind", help="scar-type, treatment, aftercare, guide or page")
    new_cmd.add_argument("title", help='the title, in quotes: "Ice pick scars"')
    check_cmd.add_argument("--today", type=_date, metavar="YYYY-MM-DD",
                           help="check review dates as if it were this day")
    return parser


def _print_report(report: BuildReport) -> None:
    problems = report.problems
    if report.config is not None and report.config.from_defaults:
        print(f"note: no [tool.scarsite] table in {SETTINGS_FILE}; using the default settings")
    for problem in problems.sorted():
        print(problem, file=sys.stderr)
    errors, warnings = len(problems.errors), len(problems.warnings)
    counts = f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"
    if not report.ok:
        untouched = " nothing was written" if report.options.write else ""
        strict = " (--strict: warnings count as errors)" if report.options.strict and not errors \
            else ""
        print(f"failed: {counts}{strict};{untouched}".rstrip(";"), file=sys.stderr)
        return
    print(_summary(report, counts))


def _summary(report: BuildReport, counts: str) -> str:
    numbers = report.counts
    pages = ", ".join(f"{section} {n}" for section, n in report.pages_per_section().items())
    total = sum(report.pages_per_section().values())
    # The search index is made inside the write stage, so stage times may overlap.
    times = ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in report.timings)
    overall = report.seconds * 1000
    lines = [
        f"articles  {total} ({pages})",
        f"terms     {numbers['terms']} (articles that others can link by slug)",
        f"links     {numbers['links']} internal links checked",
        f"problems  {counts}",
        f"time      {overall:.0f} ms: {times}",
    ]
    if report.up_to_date:
        lines.append(f"output    {report.options.output_dir}/ ({report.files_written} files, "
                     "up to date: nothing changed since the last build)")
    elif report.options.write:
        removed = f", {report.files_removed} removed" if report.files_removed else ""
        lines.append(f"output    {report.options.output_dir}/ ({report.files_written} files, "
                     f"{report.files_changed} changed{removed})")
        lines.append(f"search    {report.pages_indexed} pages indexed" if report.options.search
                     else "search    skipped (--no-search)")
    else:
        lines.append("output    none (check only)")
    return "\n".join(lines)


def editorial_table(report: EditorialReport) -> str:
    """The editorial numbers as a table for the terminal, one article per row."""
    header = ("article", "words", "grade", "long", "longest", "paras>3", "refs", "review in",
              "not defined")
    rows = [header]
    for a in report.articles:
        rows.append((a.path.removeprefix("content/").removesuffix(".md"), str(a.words),
                     f"{a.grade:.1f}", f"{a.long_sentence_share:.0%}",
                     str(a.longest_sentence_words), str(a.long_paragraphs), str(a.references),
                     f"{a.days_to_review} d" if a.review_due_known else "unknown",
                     ", ".join(a.undefined_terms) or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) if i in (0, 8) else cell.rjust(w)
                       for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
             for row in rows]
    site = report.site
    lines.append(f"site: {site['articles']} articles, {site['words']} words, median grade "
                 f"{site['median_grade']}, highest {site['highest_grade']}, "
                 f"{site['long_sentence_share']:.0%} of sentences over "
                 f"{report.settings['long_sentence_words']} words, "
                 f"{site['long_paragraphs']} paragraphs over 3 sentences, "
                 f"{site['reviews_due_soon']} reviews due soon, {site['reviews_overdue']} overdue")
    return "\n".join(lines)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"

"""Serve stage: `scarsite serve`, a live preview that rebuilds and reloads on every change.

The preview builds into its own folder (drafts may be in it, so it never touches
`build/`), without the search index so a reload is never held up. It keeps the
site in memory between rebuilds: an edit converts only the bodies that changed
and renders only the pages whose inputs changed (see `render`), and only files
whose bytes changed are written, each renamed into place so the server never
sends half a page. A change that breaks the build keeps the last good pages,
shown with the error messages in an overlay (and printed in the terminal) until
the file is fixed. The preview has no search index: its search page says that search
is made only by `scarsite build` (see `SEARCH_STAND_IN`), rather than failing silently.

`serve` only wires a `Preview` to a `server.LiveServer`, which watches the files,
calls `Preview.rebuild` with the paths that changed and reloads the browsers.
"""

from __future__ import annotations

import contextlib
import html
import json
import sys
import time
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path

from .build import BuildOptions, BuildReport, build
from .cache import MemoryCache
from .names import CONTENT_DIR, PREVIEW_DIR, SEARCH_DIR, SETTINGS_FILE, STATIC_DIR, TEMPLATES_DIR
from .server import LiveServer, PortInUse, ServerError
from .write import write_in_place

OVERLAY_ID = "scarsite-errors"
OVERLAY_STYLESHEET = "scarsite-overlay.css"  # written into the preview folder with the overlay
_OVERLAY_CSS = (f"#{OVERLAY_ID} {{ position: fixed; inset: 0 0 auto 0; z-index: 1000; "
                "max-height: 60vh; overflow: auto; background: #7a1010; color: #fff; "
                "padding: 1rem 1.5rem; font: 16px/1.5 monospace; }\n")
# Saves closer together than this are one change (an editor writing several files).
QUIET_MILLISECONDS = 20
ALL_INTERFACES = ("0.0.0.0", "::", "", "*")  # hosts that mean every network interface
PORTS_TRIED = 10  # a busy port: the preview tries the next ones, up to this many in all
CHANGES_NAMED = 3  # a rebuild's line names this many changed files, then counts the rest
SEARCH_NOTE = ("Search is not part of the preview: its index is made only by "
               "`scarsite build`. Build the site and serve build/ to try search.")
# Written where Pagefind's files go, in the preview only: indexing on every rebuild would
# hold each reload up by half a second, and a missing script would leave the search page
# blank with no word why. The theme's search.js then finds no PagefindUI and stops.
SEARCH_STAND_IN = {
    f"{SEARCH_DIR}/pagefind-ui.js": (
        "// Written by `scarsite serve` in place of Pagefind: the preview has no search index.\n"
        "(function () {\n"
        '  "use strict";\n'
        '  var place = document.getElementById("search") || document.querySelector("main")'
        " || document.body;\n"
        '  var note = document.createElement("p");\n'
        '  note.id = "scarsite-no-search";\n'
        '  note.setAttribute("role", "status");\n'
        f"  note.textContent = {json.dumps(SEARCH_NOTE)};\n"
        "  place.prepend(note);\n"
        "})();\n").encode(),
    f"{SEARCH_DIR}/pagefind-ui.css": b"/* scarsite serve: the preview has no search index. */\n",
}


class Preview:
    """Rebuilds the preview folder; keeps the last good pages when a build fails.

    A rebuild reads again the files the watcher named and any whose size, time stamps or
    inode changed (see `load_sources`), so a save is never missed, whenever it lands;
    what earlier rebuilds parsed, converted and rendered is kept in memory and reused
    where the text it came from is unchanged.
    """

    def __init__(self, source: Path, drafts: bool = False, output: Path | None = None) -> None:
        self.source = source
        self.output = output if output is not None else source / PREVIEW_DIR
        self.drafts = drafts
        self.pages: dict[str, bytes] = {}  # the last good site's pages
        self.cache = MemoryCache()
        self.jobs = 0  # all cores for the first build; one once the server runs (see serve)
        self._on_disk: set[str] = set()  # files in the preview folder
        self._overlaid = False  # whether the files on disk carry the error overlay
        self.last_report: BuildReport | None = None

    @property
    def has_good_pages(self) -> bool:
        """Whether a build has succeeded, so a failed one shows its pages under the errors."""
        return bool(self.pages)

    def rebuild(self, changed: Iterable[Path] | None = None) -> BuildReport:
        """Build again after the files `changed` changed (None: any file may have changed)."""
        if self.cache.sources is None:
            self.cache.sources = {}
        self.cache.fresh = None if changed is None else set()
        for path in changed or ():
            for folder in (self.source, self.source.absolute(), self.source.resolve()):
                with contextlib.suppress(ValueError):
                    self.cache.fresh.add(Path(path).relative_to(folder).as_posix())
        options = BuildOptions(source=self.source, output=self.output, drafts=self.drafts,
                               search=False, write=False, cache=False, jobs=self.jobs)
        report = build(options, self.cache)
        self.last_report = report
        start = time.perf_counter()
        if report.ok:
            self._publish(report)
        else:
            self._show_errors(report)
        report.timings.append(("write", time.perf_counter() - start))
        report.seconds += report.timings[-1][1]
        return report

    def _publish(self, report: BuildReport) -> None:
        rendered = report.rendered
        pages = {rel: self.pages[rel] for rel in rendered.unchanged}
        pages.update(rendered.pages)
        changed = pages if self._overlaid else rendered.pages
        assert report.static is not None
        static = {rel: path.read_bytes() for rel, path in report.static.files.items()}
        static.update(SEARCH_STAND_IN)
        report.files_changed = write_in_place({**changed, **static}, self.output,
                                              self._on_disk - pages.keys() - static.keys())
        report.files_written = len(pages) + len(static)
        self.pages.clear()
        self.pages.update(pages)
        self.cache.known.pages = dict(rendered.keys)  # every page's bytes are in `pages`
        self._on_disk = pages.keys() | static.keys()
        self._overlaid = False

    def _show_errors(self, report: BuildReport) -> None:
        """Publish the last good pages again, each with the build's errors on top."""
        messages = [str(p) for p in report.problems.sorted()]
        overlay = _overlay(messages, self.has_good_pages).encode("utf-8")
        pages = {rel: _with_overlay(data, overlay) if rel.endswith(".html") else data
                 for rel, data in (self.pages or {"index.html": b"<body></body>"}).items()}
        pages[OVERLAY_STYLESHEET] = _OVERLAY_CSS.encode("utf-8")
        write_in_place(pages, self.output, set())
        self._on_disk |= pages.keys()
        self._overlaid = True

    def watched(self) -> list[Path]:
        return [self.source / name for name in (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR,
                                                SETTINGS_FILE)]


def _overlay(messages: list[str], last_good: bool) -> str:
    # Styled by a file, not a style attribute: the pages' Content-Security-Policy allows only
    # the site's own stylesheets. A stylesheet link may stand in the body.
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    shown = "Showing the last good version." if last_good else "There is no good version yet."
    return (f'<div id="{OVERLAY_ID}" role="alert">'
            f'<link rel="stylesheet" href="/{OVERLAY_STYLESHEET}">'
            f"<p><strong>The site did not build. {shown} Fix these and "
            f"save:</strong></p><ul>{items}</ul></div>")


def _with_overlay(page: bytes, overlay: bytes) -> bytes:
    start = page.find(b"<body")
    if start == -1:
        return overlay + page
    end = page.find(b">", start) + 1
    return page[:end] + overlay + page[end:]


def rebuild_line(report: BuildReport, changed: Iterable[Path] | None, source: Path,
                 last_good: bool, before: BuildReport | None = None) -> str | None:
    """The terminal's line for a build: what it was after, its time, errors and warnings.

    `changed` None is the first build; empty, the check the watcher asks for once it
    watches (for saves made while the preview started), said only if it found some:
    pages that changed, or problems other than `before`'s.
    """
    names = sorted({_shown(Path(path), source) for path in changed or ()})
    if changed is not None and not names and (
            (report.ok and not report.files_changed)
            or (not report.ok and before is not None and _messages(before) == _messages(report))):
        return None
    if changed is None:
        cause = ""
    elif not names:
        cause = " after a save made while the preview started"
    else:
        listed = ", ".join(names[:CHANGES_NAMED])
        more = len(names) - CHANGES_NAMED
        cause = f" after {listed}{f' and {more} more' if more > 0 else ''} changed"
    problems = report.problems
    numbers = (f"{report.seconds * 1000:.0f} ms, {_plural(len(problems.errors), 'error')}, "
               f"{_plural(len(problems.warnings), 'warning')}")
    verb = "built" if changed is None else "rebuilt"
    if report.ok:
        return f"{verb}{cause}: {numbers}"
    shown = ("showing the last good pages with the errors on top" if last_good
             else "no good pages to show yet, only the errors")
    return f"{'build' if changed is None else 'rebuild'} failed{cause}: {numbers}; {shown}"


def _shown(path: Path, source: Path) -> str:
    for folder in (source, source.absolute(), source.resolve()):
        with contextlib.suppress(ValueError):
            return path.relative_to(folder).as_posix()
    return str(path)


def _messages(report: BuildReport) -> list[str]:
    return [str(problem) for problem in report.problems.sorted()]


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def listen(preview: Preview, builder: Callable[[set[Path] | None], None], host: str,
           port: int) -> LiveServer:
    """A server on `port`, or on the next free one of `PORTS_TRIED` (saying so)."""
    last = port if port == 0 else min(port + PORTS_TRIED - 1, 65535)
    for tried in range(port, last + 1):
        try:
            server = LiveServer(preview.output, builder, host, tried, watch=preview.watched(),
                                quiet=QUIET_MILLISECONDS / 1000)
        except PortInUse:
            continue
        if tried != port:
            print(f"port {port} is in use; previewing on {server.url} instead", flush=True)
        return server
    if last == port:
        raise NoFreePort(f"port {port} is in use; choose another with --port")
    raise NoFreePort(f"ports {port} to {last} are all in use; choose another with --port")


class NoFreePort(ServerError):
    """Every port the preview tried is in use."""


def make_server(source: Path, host: str = "127.0.0.1", port: int = 8000,
                drafts: bool = False) -> tuple[Preview, LiveServer]:
    """The preview, built once, and its server, listening but not yet serving.

    The port is taken before the first build, so a busy port is known at once: the next
    free one is taken instead (see `listen`), and if none is, `ServerError`. The first
    build uses every core; rebuilds one, as the server's threads run by then and the
    workers are forked.
    """
    preview = Preview(source, drafts)

    def rebuild(changed: Iterable[Path] | None) -> None:
        before = preview.last_report
        try:
            report = preview.rebuild(changed)
        except Exception as exc:  # the preview lives on; the next save builds again
            print(f"scarsite: internal error: {type(exc).__name__}: {exc}\nThis is a bug in "
                  "scarsite, not in your site; please report it. The preview goes on.",
                  file=sys.stderr, flush=True)
            return
        line = rebuild_line(report, changed, source, preview.has_good_pages, before)
        if line is None:  # nothing new to say
            return
        for problem in report.problems.sorted():
            print(problem, file=sys.stderr, flush=True)
        print(line, flush=True)

    server = listen(preview, rebuild, host, port)
    if host in ALL_INTERFACES:
        print(f"warning: --host {host} listens on every network interface: anyone who can "
              "reach this computer can see the preview, drafts included. Use 127.0.0.1 "
              "unless you mean to share it.", file=sys.stderr, flush=True)
    try:
        rebuild(None)
    except BaseException:
        server.shutdown()
        raise
    preview.jobs = 1
    return preview, server


def serve(source: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False,
          open_browser: bool = False) -> None:
    """Build, serve and watch the site until interrupted."""
    _, server = make_server(source, host, port, drafts)
    print(f"previewing {source.resolve()} at {server.url}\nPress Ctrl+C to stop.", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    server.serve()

"""Serve stage: `scarsite serve`, a live preview that rebuilds and reloads on every change.

The preview builds into its own folder (drafts may be in it, so it never touches
`build/`), without the search index so a reload is never held up. It keeps the
site in memory between rebuilds: an edit converts only the bodies that changed
and renders only the pages whose inputs changed (see `render`), and only files
whose bytes changed are written, each renamed into place so the server never
sends half a page. A change that breaks the build keeps the last good pages,
shown with the error messages in an overlay (and printed in the terminal) until
the file is fixed.
"""

from __future__ import annotations

import html
import os
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterable
from pathlib import Path

from .build import BuildOptions, BuildReport, build
from .cache import MemoryCache
from .names import CONTENT_DIR, PREVIEW_DIR, SETTINGS_FILE, STATIC_DIR, TEMPLATES_DIR
from .write import write_in_place

OVERLAY_ID = "scarsite-errors"
OVERLAY_STYLESHEET = "scarsite-overlay.css"  # written into the preview folder with the overlay
_OVERLAY_CSS = (f"#{OVERLAY_ID} {{ position: fixed; inset: 0 0 auto 0; z-index: 1000; "
                "max-height: 60vh; overflow: auto; background: #7a1010; color: #fff; "
                "padding: 1rem 1.5rem; font: 16px/1.5 monospace; }\n")
_RELOAD_CLIENT = b'<script src="/livereload.js"></script>'
# Saves closer together than this are one change (an editor writing several files).
QUIET_MILLISECONDS = 20
ALL_INTERFACES = ("0.0.0.0", "::", "", "*")  # hosts that mean every network interface


class Preview:
    """Rebuilds the preview folder; keeps the last good pages when a build fails.

    Every rebuild reads every article file, so a save is never missed, whenever it lands;
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

    def rebuild(self, changed: Iterable[Path] | None = None) -> BuildReport:
        """Build again after the files `changed` changed (None: any file may have changed;
        either way every file is read again)."""
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
        overlay = _overlay(messages).encode("utf-8")
        pages = {rel: _with_overlay(data, overlay) if rel.endswith(".html") else data
                 for rel, data in (self.pages or {"index.html": b"<body></body>"}).items()}
        pages[OVERLAY_STYLESHEET] = _OVERLAY_CSS.encode("utf-8")
        write_in_place(pages, self.output, set())
        self._on_disk |= pages.keys()
        self._overlaid = True

    def watched(self) -> list[Path]:
        return [self.source / name for name in (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR,
                                                SETTINGS_FILE)]


def _overlay(messages: list[str]) -> str:
    # Styled by a file, not a style attribute: the pages' Content-Security-Policy allows only
    # the site's own stylesheets. A stylesheet link may stand in the body.
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return (f'<div id="{OVERLAY_ID}" role="alert">'
            f'<link rel="stylesheet" href="/{OVERLAY_STYLESHEET}">'
            f"<p><strong>The site did not build. Showing the last good version. Fix these and "
            f"save:</strong></p><ul>{items}</ul></div>")


def _with_overlay(page: bytes, overlay: bytes) -> bytes:
    start = page.find(b"<body")
    if start == -1:
        return overlay + page
    end = page.find(b">", start) + 1
    return page[:end] + overlay + page[end:]


def serve(source: Path, host: str = "127.0.0.1", port: int = 8000, drafts: bool = False,
          open_browser: bool = False) -> None:  # pragma: no cover - runs until stopped
    """Build, serve and watch the site until interrupted."""
    # Imported here: only the preview needs them.
    from livereload import Server
    from livereload.handlers import LiveReloadHandler
    from tornado import ioloop

    preview = Preview(source, drafts)

    def rebuild(changed: Iterable[Path] | None = None) -> None:
        report = preview.rebuild(changed)
        for problem in report.problems.sorted():
            print(problem, file=sys.stderr)
        status = "rebuilt" if report.ok else "FAILED (showing the last good pages)"
        print(f"{status} in {report.seconds * 1000:.0f} ms", flush=True)
        if LiveReloadHandler.watcher is not None:  # the server is running: reload browsers
            LiveReloadHandler.reload_waiters("*")

    rebuild()
    preview.jobs = 1  # no forking once the server's threads run
    _load_reload_client_as_file()
    # livereload's own watcher polls every 0.8 s and holds reloads back for seconds;
    # watchfiles is told of changes by the system, so a save shows in a fraction of that.
    server = Server(watcher=_no_watching()())
    server.SFH = _preview_files()  # type: ignore[attr-defined]
    loop = ioloop.IOLoop.current()
    threading.Thread(target=_watch, args=(preview.watched(), loop, rebuild), daemon=True).start()
    url = f"http://{host}:{port}/"
    if host in ALL_INTERFACES:
        print(f"warning: --host {host} listens on every network interface: anyone who can "
              "reach this computer can see the preview, drafts included. Use 127.0.0.1 "
              "unless you mean to share it.", file=sys.stderr, flush=True)
    print(f"previewing {source.resolve()} at {url} (Ctrl+C stops)", flush=True)
    if open_browser:
        webbrowser.open(url)
    server.serve(root=str(preview.output), host=host, port=port, restart_delay=0)


def _load_reload_client_as_file() -> None:  # pragma: no cover - part of serve
    """Make livereload put its client into each page as a script file, not inline.

    livereload's snippet is an inline script (which then loads /livereload.js), and the
    pages' Content-Security-Policy runs no inline script. The client finds the server's host
    and port in its own address, so loading it directly does the same.
    """
    from livereload import server as livereload_server

    class FileClient(livereload_server.LiveScriptInjector):  # type: ignore[misc]
        def transform_first_chunk(self, *args: object) -> object:
            self.script = _RELOAD_CLIENT
            return super().transform_first_chunk(*args)

    # livereload makes its injector class from this name when the server starts.
    livereload_server.LiveScriptInjector = FileClient


def _watch(paths: list[Path], loop: object,
           rebuild: Callable[[set[Path]], None]) -> None:  # pragma: no cover
    """Run `rebuild` on the server's loop after each burst of changes to `paths`."""
    import watchfiles

    existing = [str(path) for path in paths if path.exists()]
    for changes in watchfiles.watch(*existing, step=QUIET_MILLISECONDS, debounce=1600):
        loop.add_callback(rebuild, {Path(path) for _, path in changes})  # type: ignore[attr-defined]


def _preview_files() -> type:
    """livereload's file handler, made to serve only files inside the preview folder."""
    from livereload.handlers import StaticFileHandler
    from tornado.web import HTTPError

    class PreviewFiles(StaticFileHandler):  # type: ignore[misc]
        # Tornado already refuses paths that lead out of the folder; checking the real
        # path (links resolved) here as well keeps that true whatever its version.
        def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
            real_root = os.path.realpath(root)
            real = os.path.realpath(absolute_path)
            if "\\" in self.path or os.path.commonpath([real_root, real]) != real_root:
                raise HTTPError(403)
            return super().validate_absolute_path(root, absolute_path)  # type: ignore[no-any-return]

    return PreviewFiles


def _no_watching() -> type:
    from livereload.watcher import Watcher

    class NoWatching(Watcher):
        """Changes come from `_watch`; livereload must not poll for them itself."""

        def start(self, callback: Callable[[], None]) -> bool:
            return True

        def examine(self) -> tuple[None, None]:
            return None, None

    return NoWatching

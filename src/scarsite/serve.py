"""Serve stage: `scarsite serve`, a live preview that rebuilds and reloads on every change.

The preview builds into its own folder (drafts may be in it, so it never touches
`build/`), without the search index so a reload is never held up. It keeps the
site in memory between rebuilds: an edit converts only the bodies that changed
and renders only the pages whose inputs changed (see `render`), and only files
whose bytes changed are written, each renamed into place so the server never
sends half a page. A change that breaks the build keeps the last good pages,
shown with the error messages in an overlay (and printed in the terminal) until
the file is fixed.

`serve` only wires a `Preview` to a `server.LiveServer`, which watches the files,
calls `Preview.rebuild` with the paths that changed and reloads the browsers.
"""

from __future__ import annotations

import contextlib
import html
import sys
import time
import webbrowser
from collections.abc import Iterable
from pathlib import Path

from .build import BuildOptions, BuildReport, build
from .cache import MemoryCache
from .names import CONTENT_DIR, PREVIEW_DIR, SETTINGS_FILE, STATIC_DIR, TEMPLATES_DIR
from .server import LiveServer
from .write import write_in_place

OVERLAY_ID = "scarsite-errors"
OVERLAY_STYLESHEET = "scarsite-overlay.css"  # written into the preview folder with the overlay
_OVERLAY_CSS = (f"#{OVERLAY_ID} {{ position: fixed; inset: 0 0 auto 0; z-index: 1000; "
                "max-height: 60vh; overflow: auto; background: #7a1010; color: #fff; "
                "padding: 1rem 1.5rem; font: 16px/1.5 monospace; }\n")
# Saves closer together than this are one change (an editor writing several files).
QUIET_MILLISECONDS = 20
ALL_INTERFACES = ("0.0.0.0", "::", "", "*")  # hosts that mean every network interface


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


def make_server(source: Path, host: str = "127.0.0.1", port: int = 8000,
                drafts: bool = False) -> tuple[Preview, LiveServer]:
    """The preview, built once, and its server, listening but not yet serving.

    The port is taken before the first build, so a busy port stops `serve` at once
    (`ServerError`). The first build uses every core; rebuilds one, as the server's
    threads run by then and the workers are forked.
    """
    preview = Preview(source, drafts)

    def rebuild(changed: Iterable[Path] | None) -> None:
        report = preview.rebuild(changed)
        for problem in report.problems.sorted():
            print(problem, file=sys.stderr)
        status = "rebuilt" if report.ok else "FAILED (showing the last good pages)"
        print(f"{status} in {report.seconds * 1000:.0f} ms", flush=True)

    server = LiveServer(preview.output, rebuild, host, port, watch=preview.watched(),
                        quiet=QUIET_MILLISECONDS / 1000)
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
    print(f"previewing {source.resolve()} at {server.url} (Ctrl+C stops)", flush=True)
    if open_browser:
        webbrowser.open(server.url)
    server.serve()

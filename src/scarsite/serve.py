"""Serve stage: `scarsite serve`, a live preview that rebuilds and reloads on every change.

The preview builds into its own folder (drafts may be in it, so it never touches
`build/`), without the search index so a reload is never held up. Converted
Markdown is kept between rebuilds, so an edit redoes only the bodies that changed.
A change that breaks the build keeps the last good pages, shown with the error
messages in an overlay (and printed in the terminal) until the file is fixed.
"""

from __future__ import annotations

import html
import sys
import webbrowser
from pathlib import Path

from .build import BuildOptions, BuildReport, build
from .config import SETTINGS_FILE
from .load import CONTENT_DIR
from .markup import BodyCache
from .render import TEMPLATES_DIR
from .static import STATIC_DIR, collect_static
from .write import write_site

PREVIEW_DIR = ".scarsite-cache/preview"
DEBOUNCE_SECONDS = 0.2
OVERLAY_ID = "scarsite-errors"


class Preview:
    """Rebuilds the preview folder; keeps the last good pages when a build fails."""

    def __init__(self, source: Path, drafts: bool = False, output: Path | None = None) -> None:
        self.source = source
        self.output = output if output is not None else source / PREVIEW_DIR
        self.drafts = drafts
        self.cache = BodyCache()
        self.last_good: dict[str, bytes] = {}
        self.last_report: BuildReport | None = None

    def rebuild(self) -> BuildReport:
        options = BuildOptions(source=self.source, output=self.output, drafts=self.drafts,
                               search=False)
        report = build(options, self.cache)
        self.last_report = report
        if report.ok:
            self.last_good = report.outputs
        else:
            self._show_errors(report)
        return report

    def _show_errors(self, report: BuildReport) -> None:
        """Publish the last good pages again, each with the build's errors on top."""
        messages = [str(p) for p in report.problems.sorted()]
        overlay = _overlay(messages).encode("utf-8")
        pages = {rel: _with_overlay(data, overlay) if rel.endswith(".html") else data
                 for rel, data in (self.last_good or {"index.html": b"<body></body>"}).items()}
        write_site(pages, collect_static(self.source), self.output)

    def watched(self) -> list[Path]:
        return [self.source / name for name in (CONTENT_DIR, TEMPLATES_DIR, STATIC_DIR,
                                                SETTINGS_FILE)]


def _overlay(messages: list[str]) -> str:
    items = "".join(f"<li>{html.escape(m)}</li>" for m in messages)
    return (f'<div id="{OVERLAY_ID}" role="alert" style="position:fixed;inset:0 0 auto 0;'
            "z-index:1000;max-height:60vh;overflow:auto;background:#7a1010;color:#fff;"
            'padding:1rem 1.5rem;font:16px/1.5 monospace">'
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
    from livereload import Server  # imported here: only the preview needs it

    preview = Preview(source, drafts)

    def rebuild() -> None:
        report = preview.rebuild()
        for problem in report.problems.sorted():
            print(problem, file=sys.stderr)
        status = "rebuilt" if report.ok else "FAILED (showing the last good pages)"
        print(f"{status} in {report.seconds * 1000:.0f} ms", flush=True)

    rebuild()
    server = Server()
    for path in preview.watched():
        if path.exists():
            server.watch(str(path), rebuild, delay=DEBOUNCE_SECONDS)
    url = f"http://{host}:{port}/"
    print(f"previewing {source.resolve()} at {url} (Ctrl+C stops)", flush=True)
    if open_browser:
        webbrowser.open(url)
    server.serve(root=str(preview.output), host=host, port=port, restart_delay=0)

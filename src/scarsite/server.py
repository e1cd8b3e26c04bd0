"""A live-reload web server for a folder that a builder keeps up to date (generic: no scarsite).

Stage contract. In: the folder to serve, `builder(changed)` (called with the set of paths
that changed; None: anything may have), the paths to watch, a host and a port. Out: the
folder over HTTP, HTML pages with `<script src="/livereload.js" defer>` before `</body>`,
and every open page reloaded once a newer build is served. Never a file outside the folder,
never a line per request (the builder reports each build).

In the shape of mkdocs' `livereload/__init__.py`: a build loop waits for changes (from the
`watchfiles` thread or `changed()`), lets them settle for `quiet` seconds, calls the builder
and bumps the epoch. Changes that come while the builder runs are built next: no edit is
lost. Once the watcher watches, the builder gets an empty set, to find files saved before.
Requests for files wait while a build runs, so a half-built site is never served. Pages
long-poll `/livereload/<epoch>/<id>`, answered once the epoch is not theirs (or after
`poll_seconds`). The client is a file and the epoch an attribute of its tag: the pages'
Content-Security-Policy runs no inline script.
"""

from __future__ import annotations

import errno
import mimetypes
import os
import re
import shutil
import socket
import socketserver
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import watchfiles

Builder = Callable[[set[Path] | None], None]
CLIENT_PATH = "/livereload.js"
_POLL = re.compile(r"/livereload/([0-9]{1,20})/[0-9]{1,20}")
CLIENT = Path(__file__).with_name("livereload.js").read_bytes()  # served as a file


class ServerError(Exception):
    """The server cannot start (the port is in use, the host is unknown); a one-line message."""


class PortInUse(ServerError):
    """Another program listens on the port; a caller may try another."""

    def __init__(self, message: str, port: int) -> None:
        super().__init__(message)
        self.port = port


class LiveServer:
    """Serves `root`, rebuilds it with `builder` after changes, reloads the browsers."""

    def __init__(self, root: Path, builder: Builder, host: str = "127.0.0.1", port: int = 8000,
                 watch: Iterable[Path] = (), quiet: float = 0.02, poll_seconds: float = 60) -> None:
        self.root = Path(root).resolve()
        self.builder = builder
        self.watch = list(watch)
        self.quiet = quiet  # changes closer together than this are one change
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)  # a change came, or stop
        self._built = threading.Condition(self._lock)  # a build ended, or stop
        self._pending: set[Path] | None = set()  # changed since the last build started
        self._dirty = self._building = self._stopping = False
        self._last_change = 0.0
        self._epoch = time.time_ns() // 1_000_000  # differs from a previous server's pages
        self._stop_watching = threading.Event()
        self.watching = threading.Event()  # set once the watcher sees every save
        self._threads: list[threading.Thread] = []  # serving, building, watching
        name = f"[{host}]" if ":" in host else host
        try:
            self._httpd = _HTTPServer(self, (host, port))
        except (OSError, OverflowError) as exc:  # OverflowError: a port above 65535
            if getattr(exc, "errno", None) == errno.EADDRINUSE:
                raise PortInUse(f"cannot listen on {name}:{port}: the port is in use",
                                port) from None
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ServerError(f"cannot listen on {name}:{port}: {reason}") from None
        self.port: int = self._httpd.server_address[1]
        self.url = f"http://{name}:{self.port}/"

    @property
    def epoch(self) -> int:
        with self._lock:
            return self._epoch

    def changed(self, paths: Iterable[Path] | None, settled: bool = False) -> None:
        """Queue a build: `paths` changed (None: anything may have). Changes are let settle
        for `quiet` seconds first, unless they are `settled` already (the watcher waits
        for them to stop itself: waiting twice made the preview 20 ms slower)."""
        with self._lock:
            if paths is None:
                self._pending = None
            elif self._pending is not None:
                self._pending.update(paths)
            self._dirty = True
            self._last_change = time.monotonic() - (self.quiet if settled else 0)
            self._wake.notify_all()

    def start(self) -> None:
        """Serve, build and watch in background threads until `shutdown()`."""
        targets = [lambda: self._httpd.serve_forever(0.1), self._build_loop]
        if any(path.exists() for path in self.watch):
            targets.append(self._watch_files)
        self._threads = [threading.Thread(target=target, daemon=True) for target in targets]
        for thread in self._threads:
            thread.start()

    def serve(self) -> None:
        """Serve until interrupted (Ctrl+C), then stop."""
        self.start()
        try:
            self._threads[1].join()  # the build loop, until shutdown()
        finally:
            self.shutdown()

    def shutdown(self, timeout: float = 10) -> None:
        with self._lock:
            if self._stopping:
                return
            self._stopping = True
            self._wake.notify_all()
            self._built.notify_all()
        self._stop_watching.set()
        if self._threads:
            self._httpd.shutdown()  # waits for serve_forever, so only once it has started
        self._httpd.server_close()
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    def wait_for_build(self) -> int:
        """Wait until no build is running; the epoch of the site as it is now."""
        with self._lock:
            self._built.wait_for(lambda: not self._building or self._stopping)
            return self._epoch

    def wait_for_epoch(self, epoch: int, timeout: float) -> int:
        """Wait until the epoch is not `epoch` (at most `timeout` seconds); the epoch."""
        with self._lock:
            self._built.wait_for(lambda: self._epoch != epoch or self._stopping, timeout)
            return self._epoch

    def _build_loop(self) -> None:
        while True:
            with self._lock:
                self._wake.wait_for(lambda: self._dirty or self._stopping)
                while not self._stopping and (
                        settle := self._last_change + self.quiet - time.monotonic()) > 0:
                    self._wake.wait(settle)
                if self._stopping:
                    return
                changed, self._pending, self._dirty = self._pending, set(), False
                self._building = True
            try:
                self.builder(changed)
            except Exception:  # the server lives on; the next change builds again
                traceback.print_exc()
            finally:
                with self._lock:
                    self._building = False
                    self._epoch += 1
                    self._built.notify_all()

    def _watch_files(self) -> None:
        existing = [path for path in self.watch if path.exists()]
        # It yields once it watches (with changes, or none after rust_timeout ms).
        for changes in watchfiles.watch(*existing, step=max(1, round(self.quiet * 1000)),
                                        stop_event=self._stop_watching, raise_interrupt=False,
                                        rust_timeout=250, yield_on_timeout=True):
            # The first time maybe none: a build then checks files saved before it watched.
            if changes or not self.watching.is_set():
                self.changed({Path(path) for _, path in changes}, settled=True)
            self.watching.set()

    def locate(self, path: str) -> tuple[int, Path | None]:
        """The status and file for a request path (`/dir/` is `dir/index.html`)."""
        name = unquote(path)
        parts = name.split("/")
        if not path.startswith("/") or "\\" in name or "\0" in name or ".." in parts:
            return 403, None
        target = self.root.joinpath(*[part for part in parts if part not in ("", ".")])
        try:
            real = target.resolve()
            if real.is_dir() and name.endswith("/"):
                real = (real / "index.html").resolve()
            if not real.is_relative_to(self.root):
                return 403, None  # a link to somewhere outside the folder
            if real.is_dir():
                return 301, None
            return (200, real) if real.is_file() else (404, None)
        except (OSError, RuntimeError):  # a name too long, a loop of links
            return 404, None

    def inject(self, page: bytes, epoch: int) -> bytes:
        """`page` with the reload client's script tag before its last `</body>`."""
        tag = b'<script src="%s" data-epoch="%d" defer></script>' % (CLIENT_PATH.encode(), epoch)
        end = page.lower().rfind(b"</body>")
        return page + tag if end == -1 else page[:end] + tag + page[end:]


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_port = False  # two servers must never share a port

    def __init__(self, live: LiveServer, address: tuple[str, int]) -> None:
        self.live = live
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer's own looks the host's name up, which can take seconds.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), self.server_address[1]

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a browser that went away
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass  # no line per request: the caller prints one per build

    def _answer(self, body: bool) -> None:
        live = self.server.live
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        poll = _POLL.fullmatch(path)
        if poll:
            epoch = live.wait_for_epoch(int(poll[1]), live.poll_seconds)
            return self._send(200, "text/plain", b"%d" % epoch, body)
        if path == CLIENT_PATH:
            return self._send(200, "text/javascript", CLIENT, body)
        epoch = live.wait_for_build()  # never a half-built site
        status, file = live.locate(path)
        if status == 301:  # a folder: its address ends in /
            where = "/" + path.lstrip("/") + "/"
            return self._send(301, "text/plain", b"", body, [("Location", where)])
        if file is None and status == 404:
            file = live.locate("/404.html")[1]
        if file is None:
            message = "Forbidden" if status == 403 else "Not Found"
            return self._send(status, "text/plain", message.encode(), body)
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        try:
            stream = file.open("rb")
        except OSError:  # removed since
            return self._send(404, "text/plain", b"Not Found", body)
        with stream:
            if kind == "text/html":
                return self._send(status, kind, live.inject(stream.read(), epoch), body)
            self._send(status, kind, None, body, length=os.fstat(stream.fileno()).st_size)
            if body:
                shutil.copyfileobj(stream, self.wfile)

    def _send(self, status: int, kind: str, data: bytes | None, body: bool,
              headers: Iterable[tuple[str, str]] = (), length: int = 0) -> None:
        self.send_response(status)
        charset = "; charset=utf-8" if kind.startswith("text/") else ""
        self.send_header("Content-Type", kind + charset)
        self.send_header("Content-Length", str(length if data is None else len(data)))
        self.send_header("Cache-Control", "no-store")  # a reload always shows the newest build
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if body and data is not None:
            self.wfile.write(data)

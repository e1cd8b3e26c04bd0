"""The live-reload server on its own: a temporary folder, a fake builder, a real socket.

Nothing here sleeps for a fixed time: each test waits on an event or a condition, with a
time limit, for what it expects.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from scarsite.server import CLIENT_PATH, LiveServer, PortInUse, ServerError

SECRET = "the secret next to the folder"
PAGE = b"<!doctype html><html><head><title>Home</title></head><body><h1>Home</h1></body></html>"


class Builder:
    """A fake builder that records what it was told; `hold` makes its first build wait."""

    def __init__(self, hold: bool = False) -> None:
        self.builds: list[set[Path] | None] = []
        self.finished = 0
        self.running = threading.Event()  # the held build has started
        self.release = threading.Event()
        self.hold = hold
        self._done = threading.Condition()

    def __call__(self, changed: set[Path] | None) -> None:
        with self._done:
            self.builds.append(changed)
            first = len(self.builds) == 1
        if self.hold and first:
            self.running.set()
            assert self.release.wait(10)
        with self._done:
            self.finished += 1
            self._done.notify_all()

    def wait_for(self, builds: int, seconds: float = 10) -> bool:
        with self._done:
            return self._done.wait_for(lambda: self.finished >= builds, seconds)


@contextlib.contextmanager
def running(root: Path, builder: Callable[[set[Path] | None], None] | None = None,
            **options: Any) -> Iterator[LiveServer]:
    """A started LiveServer on a free port of 127.0.0.1, stopped on leaving."""
    with LiveServer(root, builder or Builder(), "127.0.0.1", 0, **options) as server:
        server.start()
        yield server


def request(server: LiveServer, path: str, method: str = "GET",
            seconds: float = 10) -> tuple[int, Message, bytes]:
    """Send `path` exactly as written (no clean-up on this side)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=seconds)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "www"
    (root / "guides").mkdir(parents=True)
    (root / "index.html").write_bytes(PAGE)
    (root / "guides/index.html").write_bytes(PAGE.replace(b"Home", b"Guides"))
    (root / "style.css").write_text("body { color: #000; }\n")
    (root / "notes.txt").write_text("</body> in a text file\n")
    (root / "404.html").write_bytes(b"<html><body><p>Lost</p></body></html>")
    (tmp_path / "secret.txt").write_text(SECRET)
    return root


def _tag(epoch: int) -> bytes:
    return b'<script src="/livereload.js" data-epoch="%d" defer></script>' % epoch


def test_files_and_folder_index_pages_are_served(folder: Path) -> None:
    with running(folder) as server:
        epoch = server.epoch
        status, headers, body = request(server, "/")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert body == PAGE.replace(b"</body>", _tag(epoch) + b"</body>")
        assert headers["Content-Length"] == str(len(body))
        assert b"<h1>Guides</h1>" in request(server, "/guides/")[2]
        assert b"<h1>Guides</h1>" in request(server, "/guides/index.html?x=1")[2]
        status, headers, _ = request(server, "/guides")
        assert status == 301 and headers["Location"] == "/guides/"
        assert request(server, "//guides")[1]["Location"] == "/guides/"  # never //host/
        status, headers, body = request(server, "/style.css")
        assert (status, body) == (200, (folder / "style.css").read_bytes())
        assert headers["Content-Type"].startswith("text/css")
        status, headers, body = request(server, "/", method="HEAD")
        assert (status, body) == (200, b"") and int(headers["Content-Length"]) > len(PAGE)


def test_the_script_tag_goes_before_the_end_of_the_body_of_html_only(folder: Path) -> None:
    (folder / "upper.html").write_bytes(b"<HTML><BODY>x</BODY></HTML>")
    (folder / "bare.html").write_bytes(b"<p>no body end")
    with running(folder) as server:
        tag = _tag(server.epoch)
        assert request(server, "/upper.html")[2] == b"<HTML><BODY>x" + tag + b"</BODY></HTML>"
        assert request(server, "/bare.html")[2] == b"<p>no body end" + tag
        for name in ("notes.txt", "style.css"):
            assert request(server, f"/{name}")[2] == (folder / name).read_bytes()
        # The client is a file: the pages' security policy runs no inline script or style.
        page = request(server, "/")[2].decode()
        assert re.findall(r"<script[^>]*>", page) == [tag.decode()[:-len("</script>")]]
        assert "style=" not in page
        status, headers, client = request(server, CLIENT_PATH)
        assert status == 200 and headers["Content-Type"].startswith("text/javascript")
        assert b"/livereload/" in client and b"dataset.epoch" in client


def test_a_missing_path_gets_the_folders_404_page_with_status_404(folder: Path) -> None:
    with running(folder) as server:
        for path in ("/missing", "/missing/", "/guides/missing.html"):
            status, _, body = request(server, path)
            assert status == 404 and body.startswith(b"<html><body><p>Lost</p>"), path
            assert _tag(server.epoch) in body
        (folder / "404.html").unlink()
        status, _, body = request(server, "/missing")
        assert (status, body) == (404, b"Not Found")


ESCAPES = ["/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt", "/.%2e/secret.txt",
           "/..%2f..%2fsecret.txt", "/guides/../../secret.txt", "/..\\secret.txt",
           "/%5c..%5csecret.txt", "/guides/%2e%2e/%2e%2e/secret.txt", "secret.txt",
           "http://127.0.0.1/../secret.txt"]


@pytest.mark.parametrize("path", ESCAPES)
def test_paths_that_lead_out_of_the_folder_are_refused(folder: Path, path: str) -> None:
    with running(folder) as server:
        status, _, body = request(server, path)
        assert status == 403 and SECRET.encode() not in body


def test_absolute_paths_stay_inside_the_folder(folder: Path) -> None:
    with running(folder) as server:
        for path in (f"/{folder.parent / 'secret.txt'}", f"//{folder.parent}/secret.txt",
                     "/etc/passwd", "//etc/passwd", "/%252e%252e/secret.txt"):
            status, _, body = request(server, path)
            assert status == 404 and SECRET.encode() not in body and b"root:" not in body, path


def test_links_that_lead_out_of_the_folder_are_not_followed(folder: Path) -> None:
    (folder / "outside.txt").symlink_to(folder.parent / "secret.txt")
    (folder / "outside-folder").symlink_to(folder.parent)
    (folder / "inside.html").symlink_to(folder / "index.html")
    (folder / "linked").mkdir()
    (folder / "linked/index.html").symlink_to(folder.parent / "secret.txt")
    with running(folder) as server:
        for path in ("/outside.txt", "/outside-folder/secret.txt", "/linked/"):
            status, _, body = request(server, path)
            assert status == 403 and SECRET.encode() not in body, path
        assert request(server, "/inside.html")[0] == 200


def test_requests_are_not_logged(folder: Path, capfd: pytest.CaptureFixture[str]) -> None:
    with running(folder) as server:
        for path in ("/", "/missing", "/../secret.txt", CLIENT_PATH):
            request(server, path)
        request(server, "/", method="DELETE")
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
            raw.sendall(b"GET / HTTP/x\r\n\r\n")  # a bad request
            assert b"Error code: 400" in raw.makefile("rb").read()
    assert capfd.readouterr() == ("", "")


def test_a_change_during_a_build_builds_again_after_it(folder: Path) -> None:
    builder = Builder(hold=True)
    with running(folder, builder) as server:
        epoch = server.epoch
        server.changed({folder / "a.md"})
        assert builder.running.wait(10)
        server.changed({folder / "b.md"})  # saved while the builder runs
        builder.release.set()
        assert builder.wait_for(2)
        assert server.wait_for_build() == epoch + 2
    assert builder.builds == [{folder / "a.md"}, {folder / "b.md"}]


def test_changes_close_together_are_one_build(folder: Path) -> None:
    builder = Builder()
    with running(folder, builder, quiet=0.3) as server:
        server.changed({folder / "a.md"})
        server.changed({folder / "b.md"})
        assert builder.wait_for(1)
        server.changed({folder / "c.md"})
        server.changed(None)  # anything may have changed: wins over the names
        assert builder.wait_for(2)
    assert builder.builds == [{folder / "a.md", folder / "b.md"}, None]


def test_requests_wait_while_a_build_runs(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = folder / "index.html"
    running_build, release = threading.Event(), threading.Event()

    def builder(changed: set[Path] | None) -> None:
        page.write_bytes(b"<body>half</body>")
        running_build.set()
        assert release.wait(10)
        page.write_bytes(b"<body>whole</body>")

    with running(folder, builder) as server, ThreadPoolExecutor(1) as pool:
        waiting = threading.Event()
        wait_for_build = server.wait_for_build

        def wait() -> int:
            waiting.set()
            return wait_for_build()

        monkeypatch.setattr(server, "wait_for_build", wait)
        server.changed(None)
        assert running_build.wait(10)
        answer = pool.submit(request, server, "/")
        assert waiting.wait(10)  # the request is in, the build not done
        release.set()
        assert answer.result(10)[2].startswith(b"<body>whole")


def test_the_long_poll_is_answered_when_a_build_ends(folder: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    builder = Builder(hold=True)
    with running(folder, builder) as server, ThreadPoolExecutor(1) as pool:
        epoch = server.epoch
        # A page from an older build (or an earlier server) is told at once.
        assert request(server, f"/livereload/{epoch - 3}/1")[2] == b"%d" % epoch
        polling = threading.Event()
        wait_for_epoch = server.wait_for_epoch

        def poll(epoch: int, timeout: float) -> int:
            polling.set()
            return wait_for_epoch(epoch, timeout)

        monkeypatch.setattr(server, "wait_for_epoch", poll)
        server.changed({folder / "a.md"})
        assert builder.running.wait(10)
        answer = pool.submit(request, server, f"/livereload/{epoch}/123456")
        assert polling.wait(10)
        builder.release.set()
        status, headers, body = answer.result(10)
        assert (status, body) == (200, b"%d" % (epoch + 1))
        assert headers["Cache-Control"] == "no-store"


def test_the_long_poll_answers_the_same_epoch_when_nothing_changed(folder: Path) -> None:
    with running(folder, poll_seconds=0.1) as server:
        assert request(server, f"/livereload/{server.epoch}/1")[2] == b"%d" % server.epoch


def test_the_watcher_tells_of_saves(tmp_path: Path, folder: Path) -> None:
    watched = tmp_path / "content"
    watched.mkdir()
    builder = Builder()
    with running(folder, builder, watch=[watched, tmp_path / "missing"]) as server:
        assert server.watching.wait(10)
        assert builder.wait_for(1)  # the first: anything saved before it watched
        (watched / "a.md").write_text("saved")
        assert builder.wait_for(2)
    assert builder.builds[0] == set()
    assert watched / "a.md" in builder.builds[1]  # type: ignore[operator]


def test_a_builder_that_fails_does_not_stop_the_server(
        folder: Path, capfd: pytest.CaptureFixture[str]) -> None:
    calls: list[set[Path] | None] = []

    def builder(changed: set[Path] | None) -> None:
        calls.append(changed)
        if len(calls) == 1:
            raise ValueError("broken builder")

    with running(folder, builder) as server:
        epoch = server.epoch
        server.changed(None)
        assert server.wait_for_epoch(epoch, 10) == epoch + 1
        server.changed({folder / "a.md"})
        assert server.wait_for_epoch(epoch + 1, 10) == epoch + 2
    assert calls == [None, {folder / "a.md"}]
    assert "ValueError: broken builder" in capfd.readouterr().err


def test_a_busy_port_is_a_clear_error(folder: Path) -> None:
    """A busy port is `PortInUse`, naming the port, so a caller may try another; any other
    failure to listen is a plain `ServerError`."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUse) as error:
            LiveServer(folder, Builder(), "127.0.0.1", port)
    assert str(error.value) == f"cannot listen on 127.0.0.1:{port}: the port is in use"
    assert error.value.port == port
    with pytest.raises(ServerError, match=r"^cannot listen on 127\.0\.0\.1:70000: ") as other:
        LiveServer(folder, Builder(), "127.0.0.1", 70000)
    assert not isinstance(other.value, PortInUse)

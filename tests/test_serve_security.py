"""The preview server serves the preview folder and nothing else, on this computer only.

Real HTTP requests, sent as written (no client-side clean-up of the path), against the
preview and server `scarsite serve` makes, run in this process.
"""

from __future__ import annotations

import http.client
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from .conftest import article, live_preview

SECRET = "the secret next to the site"


def _get(port: int, path: str, host: str = "127.0.0.1") -> tuple[int, str]:
    connection = http.client.HTTPConnection(host, port, timeout=5)
    try:
        connection.putrequest("GET", path, skip_host=False, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


@pytest.fixture
def serving(make_themed_site: Callable[..., Path]) -> Iterator[tuple[Path, int]]:
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "Words.\n")})
    (site.parent / "secret.txt").write_text(SECRET)  # outside the site
    (site / "secret.txt").write_text(SECRET)  # in the site, outside the preview folder
    with live_preview(site) as server:
        yield site, server.port


ESCAPES = [
    "/../secret.txt", "/../../secret.txt", "/../../../secret.txt",
    "/%2e%2e/secret.txt", "/%2e%2e/%2e%2e/secret.txt", "/%2e%2e/%2e%2e/%2e%2e/secret.txt",
    "/%2E%2E%2Fsecret.txt", "/..%2f..%2f..%2fsecret.txt", "/%252e%252e/secret.txt",
    "/..\\secret.txt", "/..\\..\\..\\secret.txt", "/%5c..%5c..%5c..%5csecret.txt",
    "//secret.txt", "/.%2e/.%2e/.%2e/secret.txt", "/guides/../../../secret.txt",
]


def test_requests_never_reach_files_outside_the_preview_folder(
        serving: tuple[Path, int]) -> None:
    site, port = serving
    absolute = [f"/{site.parent / 'secret.txt'}", f"{site.parent / 'secret.txt'}",
                f"/{'%2f'.join(str(site / 'secret.txt').split('/'))}", "/etc/passwd",
                "//etc/passwd", "/../../../../../../etc/passwd"]
    served = []
    for path in ESCAPES + absolute:
        status, body = _get(port, path)
        assert SECRET not in body and "root:" not in body, path
        served.append((path, status))
    assert all(status >= 400 for _, status in served), served
    assert _get(port, "/guides/g/")[0] == 200  # the preview itself is still served


def test_links_in_the_preview_folder_to_files_outside_are_not_followed(
        serving: tuple[Path, int]) -> None:
    site, port = serving
    preview = site / ".scarsite-cache/preview"
    (preview / "outside.txt").symlink_to(site.parent / "secret.txt")
    (preview / "outside-folder").symlink_to(site.parent)
    for path in ("/outside.txt", "/outside-folder/secret.txt"):
        status, body = _get(port, path)
        assert status == 403 and SECRET not in body, path
    (preview / "inside.txt").symlink_to(preview / "index.html")  # a link that stays inside
    assert _get(port, "/inside.txt")[0] == 200


def test_the_preview_listens_on_this_computer_only_unless_told(
        make_themed_site: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "Words.\n")})
    with live_preview(site) as server:
        assert _get(server.port, "/")[0] == 200
        listening = subprocess.run(["ss", "-ltnH", f"sport = :{server.port}"],
                                   capture_output=True, text=True).stdout
        if listening:  # `ss` is there to ask: the socket is bound to the loopback address
            assert all(line.split()[3] == f"127.0.0.1:{server.port}"
                       for line in listening.splitlines()), listening
    assert "warning" not in capsys.readouterr().err


def test_listening_on_every_interface_warns(make_themed_site: Callable[..., Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "Words.\n")})
    with live_preview(site, "0.0.0.0"):
        pass
    assert ("warning: --host 0.0.0.0 listens on every network interface: anyone who can reach "
            "this computer can see the preview, drafts included.") in capsys.readouterr().err

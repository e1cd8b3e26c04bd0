"""The live preview: rebuilds after edits equal a clean build; errors keep the last good pages."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from scarsite.build import BuildOptions, build
from scarsite.serve import OVERLAY_ID, PORTS_TRIED, SEARCH_NOTE, SEARCH_STAND_IN, Preview
from scarsite.server import LiveServer
from scarsite.write import OUTPUT_MARKER

from .conftest import PreviewServer, article, live_preview, preview_server, run_scarsite, tree_of


def _same_as_clean_build(site: Path, preview: Preview, tmp_path: Path, step: str) -> None:
    clean = tmp_path / f"clean-{step}"
    report = build(BuildOptions(source=site, output=clean, search=False))
    assert report.ok, (step, [str(p) for p in report.problems.items])
    # The preview's search page says it has no index (see serve.SEARCH_STAND_IN); its folder
    # is scarsite's own, inside the cache, so it needs no marker (write.OUTPUT_MARKER).
    published = {rel: data for rel, data in tree_of(clean).items() if rel != OUTPUT_MARKER}
    assert tree_of(preview.output) == {**published, **SEARCH_STAND_IN}, step


def test_preview_after_a_sequence_of_edits_equals_a_clean_build(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_themed_site({
        "content/glossary.yaml": '- term: dermis\n  definition: "A layer of skin."\n',
        "content/scar-types/rolling.md": article("Rolling", "scar-type",
                                                 "## Risks\n\nThe dermis.\n"),
        "content/treatments/subcision.md": article(
            "Subcision", "treatment", "See [rolling](../scar-types/rolling.md#risks).\n",
            scar_types="[rolling]"),
    })
    preview = Preview(site, output=tmp_path / "preview")
    edits: list[tuple[str, Callable[[], None]]] = [
        ("start", lambda: (site / "content/guides").mkdir()),
        ("add", lambda: (site / "content/guides/g.md").write_text(
            article("Guide", "guide", "Read [subcision](../treatments/subcision.md).\n"))),
        ("edit", lambda: (site / "content/treatments/subcision.md").write_text(
            article("Subcision", "treatment", "Edited. [rolling](../scar-types/rolling.md).\n",
                    scar_types="[rolling]"))),
        ("change a term", lambda: (site / "content/treatments/peel.md").write_text(
            article("Peel", "treatment", "Peels.\n", scar_types="[rolling]"))),
        ("rename", lambda: (site / "content/guides/g.md").rename(site / "content/guides/h.md")),
        ("edit the glossary", lambda: (site / "content/glossary.yaml").write_text(
            '- term: dermis\n  definition: "The deep layer of skin."\n')),
        ("delete", lambda: (site / "content/treatments/peel.md").unlink()),
        ("edit a template", lambda: (site / "templates/section.html").write_text(
            (site / "templates/section.html").read_text().replace("<h1>", "<h1 class=x>"))),
        ("edit the stylesheet", lambda: (site / "static/style.css").write_text(
            (site / "static/style.css").read_text() + "\n.x { color: #000; }\n")),
    ]
    for step, edit in edits:
        edit()
        assert preview.rebuild().ok, step
        _same_as_clean_build(site, preview, tmp_path, step)

    # Break a link, then fix it: the error shows over the last good pages, then goes.
    good = tree_of(preview.output)
    target = site / "content/treatments/subcision.md"
    target.write_text(article("Subcision", "treatment", "See [x](../scar-types/rollin.md).\n"))
    report = preview.rebuild()
    assert not report.ok
    page = (preview.output / "treatments/subcision/index.html").read_text()
    assert f'<div id="{OVERLAY_ID}" role="alert"' in page
    assert page.count(OVERLAY_ID) == 1
    assert ("content/treatments/subcision.md:11: link: &#x27;../scar-types/rollin.md&#x27; does "
            "not exist (did you mean &#x27;../scar-types/rolling.md&#x27;?)") in page
    without = page.replace(page[page.index(f'<div id="{OVERLAY_ID}"'):
                                page.index("</div>", page.index(OVERLAY_ID)) + 6], "")
    assert without.encode() == good["treatments/subcision/index.html"]
    target.write_text(article("Subcision", "treatment", "See [x](../scar-types/rolling.md).\n"))
    assert preview.rebuild().ok
    assert OVERLAY_ID not in (preview.output / "treatments/subcision/index.html").read_text()
    _same_as_clean_build(site, preview, tmp_path, "fixed")


def test_unchanged_bodies_are_not_converted_again(make_themed_site: Callable[..., Path],
                                                  tmp_path: Path) -> None:
    site = make_themed_site({f"content/guides/g{n}.md": article(f"G{n}", "guide", "Text.\n")
                             for n in range(3)})
    preview = Preview(site, output=tmp_path / "preview")
    assert preview.rebuild().ok
    entries = dict(preview.cache.known.bodies)
    (site / "content/guides/g1.md").write_text(article("G1", "guide", "New text.\n"))
    assert preview.rebuild().ok
    after = preview.cache.known.bodies
    assert len(after) == len(entries) >= 3
    kept = [key for key in after if key in entries]
    assert len(kept) == len(after) - 1  # all but the edited body
    assert all(after[key] is entries[key] for key in kept)  # reused, not redone


def test_a_save_that_keeps_size_and_time_stamp_is_still_seen(
        make_themed_site: Callable[..., Path], tmp_path: Path) -> None:
    site = make_themed_site({f"content/guides/g{n}.md": article(f"G{n}", "guide", "Aaaa.\n")
                             for n in range(3)})
    preview = Preview(site, output=tmp_path / "preview")
    assert preview.rebuild().ok
    # A save within one tick of the file system's clock: same size, same time stamp.
    path = site / "content/guides/g1.md"
    stat = path.stat()
    path.write_text(path.read_text().replace("Aaaa.", "Bbbb."))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert preview.rebuild([]).ok  # not named by the watcher: every file is read
    assert "Bbbb." in (preview.output / "guides/g1/index.html").read_text()
    _same_as_clean_build(site, preview, tmp_path, "same stamp")
    path.write_text(path.read_text().replace("Bbbb.", "Cccc."))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert preview.rebuild([path]).ok  # named by the watcher
    assert "Cccc." in (preview.output / "guides/g1/index.html").read_text()
    other = site / "content/guides/g2.md"
    other.write_text(other.read_text().replace("Aaaa.", "A longer text."))
    assert preview.rebuild([]).ok  # not named, but read again
    _same_as_clean_build(site, preview, tmp_path, "new stamp")


def _get(port: int, path: str, seconds: float = 10) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=seconds) as response:
        data: bytes = response.read()
    return data.decode()


def _wait_for_page(port: int, path: str, text: str, seconds: float = 30) -> str:
    """The page at `path` once it shows `text`: between looks, the page's own long poll
    waits for the next build to be served."""
    deadline = time.monotonic() + seconds
    while True:
        page = _get(port, path)
        if text in page:
            return page
        left = deadline - time.monotonic()
        assert left > 0, f"{path} did not show {text!r} in time:\n{page}"
        epoch = re.search(r'<script src="/livereload.js" data-epoch="([0-9]+)" defer>', page)
        assert epoch, page
        with contextlib.suppress(TimeoutError):
            _get(port, f"/livereload/{epoch[1]}/1", seconds=left)


def test_a_save_during_a_rebuild_is_built_after_it_and_served(
        make_themed_site: Callable[..., Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No edit is lost: a save that lands while a rebuild runs (after it read the files)
    is built next, and the served page shows it."""
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "First words.\n")})
    source = site / "content/guides/g.md"
    preview = Preview(site, output=tmp_path / "preview")
    assert preview.rebuild().ok
    preview.jobs = 1
    held, release, third_saved, third_queued = (threading.Event() for _ in range(4))
    builds: list[set[Path] | None] = []  # what each rebuild was told
    after_held: list[set[Path] | None] = []

    def rebuild(changed: set[Path] | None) -> None:
        assert preview.rebuild(changed).ok
        (after_held if held.is_set() else builds).append(changed)
        if not held.is_set() and changed and source in changed:
            held.set()  # the rebuild has read the files and written the pages: save now
            assert release.wait(20)

    with LiveServer(preview.output, rebuild, port=0, watch=preview.watched()) as server:
        changed = server.changed

        def queue(paths: set[Path] | None, settled: bool = False) -> None:
            changed(paths, settled)
            if third_saved.is_set() and paths and source in paths:
                third_queued.set()

        monkeypatch.setattr(server, "changed", queue)
        server.start()
        assert server.watching.wait(10)
        source.write_text(article("G", "guide", "Second words.\n"))
        assert held.wait(20)
        assert "Second words." in (preview.output / "guides/g/index.html").read_text()
        third_saved.set()
        source.write_text(article("G", "guide", "Third words.\n"))
        assert third_queued.wait(20)  # the watcher told the server while the rebuild ran
        release.set()
        page = _wait_for_page(server.port, "/guides/g/", "Third words.")
        assert "Second words." not in page
    assert any(changed and source in changed for changed in after_held), after_held


# Every line `scarsite serve` may print for these sites: its own, never a library's log.
_OWN_LINES = re.compile(
    r"built: [0-9]+ ms, 0 errors, 0 warnings"
    r"|previewing .* at http://127\.0\.0\.1:[0-9]+/|Press Ctrl\+C to stop\."
    r"|rebuilt after (content/guides/g\.md changed|a save made while the preview started): "
    r"[0-9]+ ms, 0 errors, [01] warnings?"
    r"|rebuild failed after content/guides/g\.md changed: [0-9]+ ms, 1 error, 0 warnings; "
    r"showing the last good pages with the errors on top"
    r"|content/guides/g\.md:[0-9]+: .*")


def _wait_for_line(server: PreviewServer, pattern: str, after: int, seconds: float = 60) -> None:
    """Wait until a line after the first `after` lines matches `pattern` (or it stops)."""
    def printed() -> bool:
        return server.ended or any(re.match(pattern, line) for line in server.lines[after:])
    with server.printed:
        server.printed.wait_for(printed, seconds)
    assert any(re.match(pattern, line) for line in server.lines[after:]), server.output


def _save_until_rebuilt(server: PreviewServer, path: Path, text: str, expected: str) -> str:
    """Save `text` to `path` until the preview prints a rebuild line naming `path` (the first
    save may come before the watcher watches: the check it then makes does not name files);
    that line, which must match `expected`."""
    for _ in range(3):
        printed = len(server.lines)
        path.write_text(text)
        _wait_for_line(server, r"(rebuilt|rebuild failed) after .*", printed)
        named = [line for line in server.lines[printed:]
                 if re.match(r"(rebuilt|rebuild failed) after content/", line)]
        if named:
            assert re.fullmatch(expected, named[0].rstrip("\n")), named[0]
            return named[0]
        text += "\n"  # saved again, with other bytes
    raise AssertionError(f"no rebuild named {path}:\n{server.output}")


def test_scarsite_serve_previews_on_localhost_and_rebuilds_on_save(
        make_themed_site: Callable[..., Path]) -> None:
    """The whole command, as its own process: what it prints at the start and after each
    rebuild (the file that changed, the time, errors and warnings), and nothing else."""
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "First words.\n")})
    source = site / "content/guides/g.md"
    with preview_server(site) as server:
        server.wait_for(f"at http://127.0.0.1:{server.port}/\nPress Ctrl+C to stop.\n")
        assert re.fullmatch(r"built: [0-9]+ ms, 0 errors, 0 warnings\n", server.lines[0])
        page = _get(server.port, "/guides/g/")
        assert "First words." in page and '<script src="/livereload.js"' in page
        _save_until_rebuilt(server, source, article("G", "guide", "Second words.\n"),
                            r"rebuilt after content/guides/g\.md changed: [0-9]+ ms, "
                            r"0 errors, 0 warnings")
        assert "Second words." in _wait_for_page(server.port, "/guides/g/", "Second words.")

        _save_until_rebuilt(server, source, article("G", "guide", "TODO: more words.\n"),
                            r"rebuilt after content/guides/g\.md changed: [0-9]+ ms, "
                            r"0 errors, 1 warning")
        _save_until_rebuilt(server, source, article("G", "guide", "[x](../nowhere.md)\n"),
                            r"rebuild failed after content/guides/g\.md changed: [0-9]+ ms, "
                            r"1 error, 0 warnings; showing the last good pages with the "
                            r"errors on top")
        assert not (site / "build").exists()  # the preview never touches the published site
    strangers = [line for line in server.lines if not _OWN_LINES.fullmatch(line.rstrip("\n"))]
    assert strangers == [], server.output
    assert "Traceback" not in server.output


def test_a_busy_port_is_one_line_and_the_next_free_port_is_used(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "First words.\n")})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with preview_server(site, "--port", str(port)) as server:
            server.wait_for("Press Ctrl+C to stop.\n")
            moved = re.fullmatch(rf"port {port} is in use; previewing on "
                                 r"http://127\.0\.0\.1:([0-9]+)/ instead\n", server.lines[0])
            assert moved, server.output
            other = int(moved[1])
            assert port < other < port + PORTS_TRIED
            assert f"at http://127.0.0.1:{other}/\n" in server.output
            assert "First words." in _get(other, "/guides/g/")
    assert "Traceback" not in server.output


def _consecutive_ports(count: int) -> tuple[int, list[socket.socket]]:
    """`count` ports in a row on 127.0.0.1, each bound and listening (the caller closes them)."""
    for base in range(20000, 60000, 997):
        sockets: list[socket.socket] = []
        try:
            for port in range(base, base + count):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
                sock.listen()
            return base, sockets
        except OSError:
            for sock in sockets:
                sock.close()
    raise AssertionError(f"no {count} free ports in a row")


def test_when_every_port_tried_is_busy_serve_says_so_in_one_line(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide")})
    base, taken = _consecutive_ports(PORTS_TRIED)
    try:
        result = run_scarsite("serve", "--port", base, cwd=site, seconds=60)
    finally:
        for sock in taken:
            sock.close()
    assert result.returncode == 4  # no free port: its own exit code (cli.EXIT_NO_PORT)
    assert result.stderr == (f"scarsite serve: ports {base} to {base + PORTS_TRIED - 1} are all "
                             "in use; choose another with --port\n")
    assert result.stdout == ""


def test_a_failed_first_build_shows_only_the_errors_and_says_so(
        make_themed_site: Callable[..., Path]) -> None:
    """No 'last good pages' when there are none; the fix builds the site."""
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "[x](../nowhere.md)\n")})
    with preview_server(site) as server:
        server.wait_for("Press Ctrl+C to stop.\n")
        assert re.fullmatch(
            r"content/guides/g\.md:9: link: '\.\./nowhere\.md' does not exist.*\n"
            r"build failed: [0-9]+ ms, 1 error, 0 warnings; no good pages to show yet, only "
            r"the errors\n", "".join(server.lines[:2])), server.output
        page = _get(server.port, "/")
        assert "The site did not build. There is no good version yet. Fix these and save:" in page
        assert "last good" not in server.output + page
        _save_until_rebuilt(server, site / "content/guides/g.md", article("G", "guide"),
                            r"rebuilt after content/guides/g\.md changed: [0-9]+ ms, "
                            r"0 errors, 0 warnings")
        assert OVERLAY_ID not in _get(server.port, "/guides/g/")


def test_an_empty_site_builds_and_is_previewed(make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({})
    with preview_server(site) as server:
        server.wait_for("Press Ctrl+C to stop.\n")
        assert re.fullmatch(r"built: [0-9]+ ms, 0 errors, 0 warnings\n", server.lines[0])
        assert OVERLAY_ID not in _get(server.port, "/")


def test_a_missing_page_gets_the_sites_own_404_page_with_status_404(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide")})
    with preview_server(site) as server:
        server.wait_for("Press Ctrl+C to stop.\n")
        own = (site / ".scarsite-cache/preview/404.html").read_text()
        for path in ("/no-such-page/", "/guides/nope/", "/static/nope.css"):
            with pytest.raises(urllib.error.HTTPError) as missing:
                _get(server.port, path)
            assert missing.value.code == 404, path
            body = missing.value.read().decode()
            assert body.startswith(own[:own.rindex("</body>")]), path


def test_the_preview_search_page_says_search_is_made_only_by_scarsite_build(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide")})
    with preview_server(site) as server:
        server.wait_for("Press Ctrl+C to stop.\n")
        page = _get(server.port, "/search/")
        assert '<script src="/pagefind/pagefind-ui.js" defer></script>' in page
        script = _get(server.port, "/pagefind/pagefind-ui.js")
        assert json.dumps(SEARCH_NOTE) in script
        assert SEARCH_NOTE == ("Search is not part of the preview: its index is made only by "
                               "`scarsite build`. Build the site and serve build/ to try search.")
        assert _get(server.port, "/pagefind/pagefind-ui.css").startswith("/* scarsite serve")


def test_the_preview_reloads_and_shows_its_errors_under_the_pages_security_policy(
        make_themed_site: Callable[..., Path], browser: Browser) -> None:
    """The pages allow no inline script or style: the reload client and the error overlay
    must both work as files."""
    body = "See [rolling](../scar-types/rolling.md).\n"
    site = make_themed_site({
        "content/scar-types/rolling.md": article("Rolling", "scar-type"),
        "content/guides/g.md": article("G", "guide", body)})
    with live_preview(site) as server, contextlib.closing(browser.new_context()) as context:
        url = f"http://127.0.0.1:{server.port}/guides/g/"
        messages: list[str] = []
        context.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        context.on("weberror", lambda error: messages.append(f"script error: {error.error}"))
        page = context.new_page()
        with page.expect_request(lambda request: "/livereload/" in request.url):
            page.goto(url)  # the client runs: it asks the server for the next build
        assert server.watching.wait(10)

        (site / "content/guides/g.md").write_text(
            article("G", "guide", body.replace("rolling.md", "rollin.md")))
        overlay = page.locator(f"#{OVERLAY_ID}")
        expect(overlay).to_be_visible(timeout=15_000)  # reloaded by itself
        expect(overlay).to_contain_text("content/guides/g.md:9: link: '../scar-types/rollin.md'")
        style = overlay.evaluate("el => { const s = getComputedStyle(el);"
                                 " return [s.position, s.backgroundColor, s.color]; }")
        assert style == ["fixed", "rgb(122, 16, 16)", "rgb(255, 255, 255)"]

        (site / "content/guides/g.md").write_text(article("G", "guide", body))
        expect(overlay).to_have_count(0, timeout=15_000)
        assert [m for m in messages if not m.startswith(("log:", "info:", "debug:"))] == []


def test_the_preview_search_page_shows_the_note_under_the_pages_security_policy(
        make_themed_site: Callable[..., Path], browser: Browser) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide")})
    with live_preview(site) as server, contextlib.closing(browser.new_context()) as context:
        messages: list[str] = []
        context.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        context.on("weberror", lambda error: messages.append(f"script error: {error.error}"))
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{server.port}/search/?q=scar")
        expect(page.locator("#search #scarsite-no-search")).to_have_text(SEARCH_NOTE)
        assert [m for m in messages if not m.startswith(("log:", "info:", "debug:"))] == []

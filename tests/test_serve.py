"""The live preview: rebuilds after edits equal a clean build; errors keep the last good pages."""

from __future__ import annotations

import contextlib
import os
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Browser, expect

from scarsite.build import BuildOptions, build
from scarsite.serve import OVERLAY_ID, Preview

from .conftest import article, preview_server, tree_of


def _same_as_clean_build(site: Path, preview: Preview, tmp_path: Path, step: str) -> None:
    clean = tmp_path / f"clean-{step}"
    report = build(BuildOptions(source=site, output=clean, search=False))
    assert report.ok, (step, [str(p) for p in report.problems.items])
    assert tree_of(preview.output) == tree_of(clean), step


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


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def test_serve_previews_on_localhost_and_rebuilds_on_save(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide", "First words.\n")})
    with preview_server(site) as server:
        url = f"http://127.0.0.1:{server.port}/guides/g/"
        page = _poll(lambda: _get(url))
        assert "First words." in page and "livereload" in page  # the reload script is injected
        (site / "content/guides/g.md").write_text(article("G", "guide", "Second words.\n"))
        assert "Second words." in _poll(lambda: _get(url), until=lambda p: "Second" in p)
        assert not (site / "build").exists()  # the preview never touches the published site


def _poll(fetch: Callable[[], str], until: Callable[[str], bool] = bool,
          seconds: float = 20) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            text = fetch()
            if until(text):
                return text
        except OSError:
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError("the preview did not update in time")
        time.sleep(0.2)


def test_the_preview_reloads_and_shows_its_errors_under_the_pages_security_policy(
        make_themed_site: Callable[..., Path], browser: Browser) -> None:
    """The pages allow no inline script or style: the reload client and the error overlay
    must both work as files."""
    body = "See [rolling](../scar-types/rolling.md).\n"
    site = make_themed_site({
        "content/scar-types/rolling.md": article("Rolling", "scar-type"),
        "content/guides/g.md": article("G", "guide", body)})
    with preview_server(site) as server, contextlib.closing(browser.new_context()) as context:
        port = server.port
        url = f"http://127.0.0.1:{port}/guides/g/"
        _poll(lambda: _get(url))
        messages: list[str] = []
        context.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
        context.on("weberror", lambda error: messages.append(f"script error: {error.error}"))
        page = context.new_page()
        with page.expect_websocket() as opened:
            page.goto(url)
        assert opened.value.url == f"ws://127.0.0.1:{port}/livereload"  # the client runs
        page.wait_for_timeout(500)  # for its greeting with the server

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

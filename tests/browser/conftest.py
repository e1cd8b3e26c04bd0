"""Fixtures of the browser, accessibility and HTML validity tests: this repository's site,
built once per session into a temporary folder with its search index, served on 127.0.0.1 as
a static host would, and watched browser tabs (the `browser` fixture itself is in
tests/conftest.py, which tests/test_serve.py shares).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser

from ..conftest import GATE_COUNTS
from .browser_support import (
    SUB_PATH_URL,
    SiteServer,
    Tab,
    TabFactory,
    build_real_site,
    site_base_path,
)


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository's site, built once per session with `scarsite build`, search included."""
    return build_real_site(tmp_path_factory.mktemp("real-site"))


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(built_site, site_base_path())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sub_path_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same site with `base_url` under a sub-path, as on a GitHub Pages project site."""
    return build_real_site(tmp_path_factory.mktemp("sub-path-site"), SUB_PATH_URL)


@pytest.fixture(scope="session")
def sub_path_server(sub_path_site: Path) -> Iterator[SiteServer]:
    server = SiteServer(sub_path_site, urlsplit(SUB_PATH_URL).path)
    yield server
    server.stop()


VISITED: dict[str, set[str]] = {}  # test module -> every URL a browser tab opened


@pytest.fixture
def new_tab(browser: Browser, site_server: SiteServer,
            request: pytest.FixtureRequest) -> Iterator[TabFactory]:
    """Opens watched tabs; after the test, any console error or failed or outside request in
    any of them is an error."""
    tabs: list[Tab] = []

    def open_tab(server: SiteServer | None = None, **options: object) -> Tab:
        tabs.append(Tab.open(browser, server or site_server, **options))  # type: ignore[arg-type]
        return tabs[-1]

    yield open_tab
    problems = []
    module = request.module.__name__.rsplit(".", 1)[-1]
    for tab in tabs:
        tab.close()
        problems += tab.problems
        VISITED.setdefault(module, set()).update(tab.visited)
    if module in VISITED:  # printed at the end of the run with the other gates' counts
        GATE_COUNTS[f"{module}: distinct URLs opened in the browser"] = str(len(VISITED[module]))
    assert problems == [], "\n".join(problems)


@pytest.fixture
def tab(new_tab: TabFactory) -> Tab:
    """A watched browser tab, 1280 x 800 px."""
    return new_tab()

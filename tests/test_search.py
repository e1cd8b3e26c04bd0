"""Search: Pagefind indexes the built site, including the everyday names in `also_known_as`."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from scarsite.build import BuildOptions, build

from .conftest import article, build_site_at


def _fragments(output: Path) -> dict[str, dict]:
    """Pagefind's stored record of each indexed page, by URL."""
    fragments = {}
    for path in (output / "pagefind" / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        record = json.loads(data.removeprefix(b"pagefind_dcd"))
        fragments[record["url"]] = record
    return fragments


def _index_words(output: Path) -> bytes:
    return b"".join(gzip.decompress(p.read_bytes())
                    for p in (output / "pagefind" / "index").glob("*.pf_index"))


@pytest.fixture(scope="module")
def real_site(real_site_source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("search") / "build"
    report = build_site_at(real_site_source, output=output, search=True)
    assert report.ok, [str(p) for p in report.problems.items]
    assert report.pages_indexed == len(report.site.articles)
    return output


def test_search_indexes_article_bodies_and_other_names(real_site: Path) -> None:
    fragments = _fragments(real_site)
    rolling = fragments["/scar-types/rolling/"]
    assert "pockmarks" in rolling["content"]  # from also_known_as
    assert "tether" in rolling["content"]  # a word from the body
    assert rolling["meta"]["title"] == "Rolling scars"
    assert rolling["meta"]["summary"].startswith("Rolling scars are wide, shallow dips")
    words = _index_words(real_site)  # Pagefind stores word stems
    for stem in (b"pockmark", b"pit", b"subcis", b"tether"):
        assert stem in words


def test_search_covers_articles_only(real_site: Path) -> None:
    urls = set(_fragments(real_site))
    assert "/treatments/subcision/" in urls and "/about/evidence/" in urls
    assert not {"/", "/treatments/", "/compare/", "/search/"} & urls


def test_search_page_loads_the_bundle_and_works_without_javascript(real_site: Path) -> None:
    html = (real_site / "search" / "index.html").read_text()
    assert '<script src="/pagefind/pagefind-ui.js" defer></script>' in html
    assert "<noscript>" in html and 'href="/scar-types/"' in html
    assert (real_site / "pagefind" / "pagefind-ui.js").is_file()


def test_no_search_skips_the_index(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide")})
    report = build(BuildOptions(source=site, search=False, cache=False))
    assert report.ok and report.pages_indexed == 0
    assert not (site / "build" / "pagefind").exists()


def test_also_known_as_only_on_scar_types_and_treatments(make_site: Callable[..., Path]) -> None:
    site = make_site({"content/guides/g.md": article("G", "guide", also_known_as="[x]")})
    report = build_site_at(site, write=False)
    assert [str(p) for p in report.problems.items] == [
        "content/guides/g.md:7: also_known_as: only scar-type and treatment articles have "
        "other names"]

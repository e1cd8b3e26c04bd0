"""Parse stage over the site: what earlier builds parsed is taken again, by content."""

from __future__ import annotations

import pickle
from pathlib import Path

from scarsite.config import SiteConfig
from scarsite.errors import Problems
from scarsite.load import Source, load_sources
from scarsite.parse import Parsed, parse_documents

from .conftest import article


def test_unchanged_files_are_taken_from_what_was_parsed_before(
        sample_site: Path, config: SiteConfig, sources: list[Source]) -> None:
    known: dict[str, Parsed] = {}
    first = parse_documents(sources, config, Problems(), known)
    assert len(known) == len(sources)
    edited = sample_site / sources[0].rel
    edited.write_text(edited.read_text() + "\nOne more line.\n")
    again = load_sources(sample_site, Problems())
    second = parse_documents(again, config, Problems(), known)
    assert second[sources[0].rel] is not first[sources[0].rel]
    assert second[sources[0].rel].body.endswith("One more line.\n")  # type: ignore[union-attr]
    assert all(second[s.rel] is first[s.rel] for s in sources[1:])  # the same documents
    assert len(known) == len(sources)  # the old version of the edited file is let go


def test_a_file_parsed_before_reports_its_problems_again(
        tmp_path: Path, config: SiteConfig) -> None:
    text = article("G", "guide").replace("title: G", "title: G\nsumary: typo")
    source = Source("content/guides/g.md", "guides", text)
    known: dict[str, Parsed] = {}
    reports = []
    for _ in range(2):
        problems = Problems()
        parse_documents([source], config, problems, known)
        reports.append([str(p) for p in problems.items])
    assert reports[0] == reports[1] and any("sumary" in line for line in reports[0])


def test_what_is_kept_on_disk_leaves_the_document_out(
        config: SiteConfig, sources: list[Source]) -> None:
    known: dict[str, Parsed] = {}
    parse_documents(sources, config, Problems(), known)
    entry = next(iter(known.values()))
    assert entry.document is not None
    restored = pickle.loads(pickle.dumps(entry))
    assert restored.document is None and restored.meta == entry.meta
    # A document rebuilt from the kept entry and the file's text equals the first one.
    again = parse_documents(sources, config, Problems(), {k: pickle.loads(pickle.dumps(v))
                                                          for k, v in known.items()})
    first = parse_documents(sources, config, Problems())
    assert {rel: (d.meta, d.body, d.lines) for rel, d in again.items() if d} == {
        rel: (d.meta, d.body, d.lines) for rel, d in first.items() if d}

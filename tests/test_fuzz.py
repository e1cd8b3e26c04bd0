"""Property-based tests (Hypothesis) of the stages that read what editors write.

- The front matter parser and validator, given any text, returns a validated article or
  located errors, and nothing else.
- The depth check of front matter finds each level of lists and mappings on the line where
  PyYAML's parser opens it.
- Reading a file's bytes gives text or one located error.
- Slugs made from titles are stable and safe path segments, and the validator rejects
  every slug that is not one.
- The link rewriter never turns a link into a URL outside the site, except an address
  on another site that the editor wrote as such.

The number of examples comes from the Hypothesis profile loaded in conftest.py:
`HYPOTHESIS_PROFILE=fuzz` runs many more.
"""

from __future__ import annotations

import functools
import html
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import yaml
from hypothesis import given
from hypothesis import strategies as st

from scarsite.config import KINDS, SiteConfig
from scarsite.errors import Problems
from scarsite.frontmatter import Document, parse_document
from scarsite.glossary import Glossary
from scarsite.load import Source, _read_text
from scarsite.markup import _rewrite
from scarsite.model import Site, build_site
from scarsite.pagestate import PageState
from scarsite.schema import _FIXED_KEYS, EVIDENCE_LEVELS, SLUG, FrontMatter, slugify
from scarsite.yamldepth import yaml_nesting

from .conftest import article

SECTIONS = ("scar-types", "treatments", "aftercare", "guides", "pages")
SLUG_CHARACTERS = set("abcdefghijklmnopqrstuvwxyz0123456789-")

# --- strategies ---

# Any text, control characters included (Hypothesis leaves out lone surrogates, which
# cannot come out of decoding a file).
any_text = st.text()
# Text made of what YAML and Markdown give meaning to, so the parser's corners are reached.
yamlish_text = st.lists(st.sampled_from([
    *":-[]{}&*!|>'\"#%@`,?=~<. \n\t\\/", "---", "...", "\n  ", "\n- ", ": ", "abc", "0", "é",
    "\x00", "\x85", "\u2028", "\r"]), max_size=60).map("".join)
snippets = st.sampled_from([
    "2025-02-30", "2025-01-01", "9999-12-31", "0000-01-01", "2025-1-1", "[a, b]", "{a: 1}",
    "[boxcar, rolling]", "&a x", "*a", "!!python/object:os.system x", "!!binary aGk=",
    "!!int abc", "!!timestamp 2025-02-30", "!!set {a}", "!local x", "|\n  block\n  text",
    ">-\n  folded", "'quoted'", '"unclosed', "[", "{", "\n  - a\n  - b", "\n  a: 1\n  a: 2",
    "~", "yes", "no", "0x1F", "1e400", "9" * 200, ".nan", "=", "<<", "''", "[[[[[[[[]]]]]]]]",
    "limited", "guide", "treatment", "../x", "a/b", "Boxcar", "boxcar\n", '"boxcar\\n"',
    "\t", " ", "", "{text: A, doi: 10.1000/x, pmid: 12}", "[{text: A, url: 'javascript:x'}]",
])
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8)
value_text = st.one_of(
    snippets,
    st.text(max_size=30).filter(lambda t: "\n" not in t),
    yamlish_text,
    json_values.map(lambda v: json.dumps(v, ensure_ascii=False)),
)
keys = st.sampled_from([*_FIXED_KEYS, "scar_types", "treatments", "colour", "1", "<<",
                        "title ", "? title", "- title", "null", "Title"])
front_matter_lines = st.lists(st.tuples(keys, value_text, st.sampled_from(["", "  ", "\t"])),
                              max_size=12)


@st.composite
def front_matter_texts(draw: st.DrawFn) -> str:
    """An article built from the real front matter keys with random values, now and then
    a valid one, with random openings and closings."""
    if draw(st.booleans()):
        kind = draw(st.sampled_from(list(KINDS)))
        start = article("Fuzz", kind).split("\n---\n")[0] + "\n"
    else:
        start = draw(st.sampled_from(["---\n", "---  \n", "", "--\n", "\ufeff---\n"]))
    lines = "".join(f"{indent}{key}: {value}\n"
                    for key, value, indent in draw(front_matter_lines))
    end = draw(st.sampled_from(["---\n", "...\n", "", "--- \n", "---"]))
    body = draw(st.one_of(st.just("Body.\n"), any_text, yamlish_text))
    return start + lines + end + body


documents = st.one_of(any_text, yamlish_text, front_matter_texts())


# --- the front matter parser and validator ---

@given(text=documents, section=st.sampled_from(SECTIONS))
def test_parse_document_gives_an_article_or_located_errors(text: str, section: str) -> None:
    rel = f"content/{section}/fuzz.md"
    problems = Problems()
    document = parse_document(Source(rel, section, text), SiteConfig(), problems)
    lines = text.count("\n") + 1
    for problem in problems.items:
        assert problem.path == rel
        assert 0 <= problem.line <= lines + 1, (problem, lines)
        assert problem.message.strip()
        assert "\n" not in str(problem)
    if document is None:
        assert problems.errors, "an article left out must come with a reason"
        return
    assert isinstance(document, Document)
    assert document.body_line <= lines + 1
    if not problems.errors:
        _assert_valid(document.meta, section)


def _assert_valid(meta: FrontMatter, section: str) -> None:
    """What the rest of the build relies on in an article without errors."""
    assert KINDS[meta.kind].section == section
    assert isinstance(meta.title, str) and meta.title.strip()
    assert isinstance(meta.summary, str) and len(meta.summary) <= 300
    assert isinstance(meta.reviewed, date) and isinstance(meta.next_review, date)
    assert meta.next_review > meta.reviewed
    assert all(SLUG.match(part) for part in meta.slug.split("/"))
    assert (meta.evidence is not None) == (meta.kind == "treatment")
    assert isinstance(meta.weight, int) and isinstance(meta.draft, bool)
    for alias in meta.aliases:
        assert all(part not in ("", ".", "..") for part in alias.split("/"))
    for slugs in meta.terms.values():
        assert all(SLUG.match(slug) for slug in slugs)
    named = {slug for slugs in meta.terms.values() for slug in slugs}
    assert meta.evidence_by_scar_type.keys() <= named
    assert set(meta.evidence_by_scar_type.values()) <= set(EVIDENCE_LEVELS)


nested_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda children: st.lists(children, min_size=1, max_size=3)
    | st.dictionaries(st.text(max_size=4), children, min_size=1, max_size=3),
    max_leaves=30)


@st.composite
def nested_yaml(draw: st.DrawFn) -> str:
    """YAML of nested lists and mappings, as PyYAML writes it in one of its styles."""
    return yaml.safe_dump(draw(nested_data), default_flow_style=draw(st.sampled_from(
        [False, None, True])), indent=draw(st.integers(2, 9)), width=draw(st.integers(20, 200)),
        allow_unicode=True)


# PyYAML's own parser in Python, and libyaml's where PyYAML has it: the depth check must
# agree with both.
LOADERS = [yaml.SafeLoader, *([yaml.CSafeLoader] if hasattr(yaml, "CSafeLoader") else [])]


def _event_levels(text: str, loader: type) -> tuple[list[int], bool]:
    """For each level of lists and mappings, the line where the parser's events first reach
    it; and whether the text is YAML (if not, the levels reached before the parser stops)."""
    levels: list[int] = []
    depth = 0
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
                depth += 1
                if depth > len(levels):
                    levels.append(event.start_mark.line)
            elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        return levels, False
    return levels, True


def _checked_levels(text: str) -> list[int]:
    """The same, from scarsite's own check of the text."""
    levels: list[int] = []
    while (line := yaml_nesting(text, len(levels))) is not None:
        levels.append(line)
    return levels


@given(text=st.one_of(
    nested_yaml(), yamlish_text, front_matter_texts(),
    st.lists(st.sampled_from([
        "- ", "? ", ": ", "a: ", "k:", "[", "{", "]", "}", ", ", "\n", "\n  ", "\n    ",
        "\n- ", "  ", "\t", "-", "x", "y z", '"', "'", '"a\\"b', "'a''b", "#", " #c", "|",
        ">-", "&a ", "!t ", "!!str ", "*a", "\n---\n", "...", "%"]),
             max_size=50).map("".join)))
def test_the_nesting_check_finds_each_level_where_the_parser_opens_it(text: str) -> None:
    # Front matter is checked for depth on its text, before PyYAML reads it, so the check
    # must see every list and mapping the parser would make, on the same line.
    checked = _checked_levels(text)
    for loader in LOADERS:
        levels, valid = _event_levels(text, loader)
        if valid:
            assert checked == levels, loader
        else:  # before it stops at the mistake, the parser nests no deeper and no sooner
            assert len(checked) >= len(levels), loader
            assert all(ours <= its for ours, its in zip(checked, levels, strict=False)), loader


# --- reading files ---

@given(data=st.one_of(st.binary(max_size=300), any_text.map(lambda t: t.encode()),
                      documents.map(lambda t: t.encode("utf-16")),
                      documents.map(lambda t: t.encode())))
def test_reading_bytes_gives_text_or_one_located_error(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.md"
        path.write_bytes(data)
        problems = Problems()
        text = _read_text(path, "content/guides/fuzz.md", problems)
    if text is None:
        assert len(problems.items) == 1
        problem = problems.items[0]
        lines = data.count(b"\n") + data.count(b"\r") + 1
        assert 1 <= problem.line <= lines
    else:
        assert problems.items == []
        assert "\r" not in text and "\x00" not in text
        assert text.encode() == data.removeprefix(b"\xef\xbb\xbf").replace(
            b"\r\n", b"\n").replace(b"\r", b"\n")


# --- slugs ---

@given(text=st.one_of(any_text, yamlish_text, st.sampled_from(
    ["..", ".", "/", "\\", "a/../b", "\x00", "Café Crème", "Straße", "İstanbul", "ﬁne", "Ⅻ",
     "\uff11\uff12\uff13", "---", " - "])))
def test_slugify_is_idempotent_and_a_safe_path_segment(text: str) -> None:
    slug = slugify(text)
    assert slugify(slug) == slug
    assert slug and slug not in (".", "..")
    assert set(slug) <= SLUG_CHARACTERS
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert SLUG.match(slug)


def _safe_segment(value: str) -> bool:
    return (bool(value) and set(value) <= SLUG_CHARACTERS and value not in (".", "..")
            and not value.startswith("-") and not value.endswith("-") and "--" not in value)


slug_candidates = st.one_of(
    any_text, yamlish_text, st.text(alphabet="abz09-./\\ \n\x00Aé%", max_size=12),
    st.sampled_from(["..", ".", "a/b", "../etc", "boxcar\n", "boxcar", "a--b", "-a", "a-",
                     "%2e%2e", "con", "a b", "BOXCAR", "é", "a\x00b"]))


@given(value=slug_candidates)
def test_the_validator_accepts_only_safe_slugs(value: str) -> None:
    # JSON strings are YAML double-quoted strings, so any text can be given as `slug:`.
    text = article("Fuzz", "guide", slug=json.dumps(value))
    problems = Problems()
    document = parse_document(Source("content/guides/fuzz.md", "guides", text), SiteConfig(),
                              problems)
    if _safe_segment(value):
        assert problems.items == [] and document is not None
        assert document.meta.slug == value
    else:
        assert problems.errors


@given(name=slug_candidates.filter(lambda n: "/" not in n and n not in ("", ".", "..")))
def test_file_names_that_are_not_safe_slugs_are_rejected(name: str) -> None:
    rel = f"content/guides/{name}.md"
    problems = Problems()
    document = parse_document(Source(rel, "guides", article("Fuzz", "guide")), SiteConfig(),
                              problems)
    assert document is not None
    if _safe_segment(name):
        assert problems.items == [] and document.meta.slug == name
    else:
        assert [p.field for p in problems.errors] == ["slug"]


# --- the link rewriter ---

BASE_URL = "https://example.org/sub/"
PAGE_URL = BASE_URL + "guides/fuzz/"
SCHEMES = ("http", "https", "mailto", "tel", "glossary")


@functools.cache
def _site() -> Site:
    """A small site under a sub-path, with a draft, a treatment and a site page."""
    config = SiteConfig(base_url=BASE_URL)
    problems = Problems()
    sources = {
        "content/guides/fuzz.md": article("Fuzz", "guide", "## A part\n"),
        "content/guides/draft.md": article("Draft", "guide", draft="true"),
        "content/treatments/subcision.md": article("Subcision", "treatment"),
        "content/pages/about/evidence.md": article("Evidence", "page"),
    }
    documents = [parse_document(Source(rel, rel.split("/")[1], text), config, problems)
                 for rel, text in sources.items()]
    site = build_site(config, [d for d in documents if d is not None], Glossary(),
                      drafts=False, unparsed=set(), problems=problems)
    assert problems.items == []
    return site


segments = st.sampled_from(["..", ".", "%2e%2e", "%2E", ".%2e", "treatments", "subcision.md",
                            "guides", "draft.md", "pages", "about", "evidence.md", "content",
                            "", "x.md", "a b", "\\", "..\\", "%2F", "%00", "fuzz.md", "é"])
prefixes = st.sampled_from(["", "", "/", "//", "./", "../", "http://", "https://", "mailto:",
                            "tel:", "glossary:", "javascript:", "JaVaScRiPt:", " javascript:",
                            "\x01javascript:", "java\tscript:", "&#106;avascript:",
                            "&#x6A;avascript:", "data:", "vbscript:", "file:", "c:", "/\\",
                            "\\\\", "%2F%2F", "&#47;&#47;", "\t//", "/\t/", "?"])
suffixes = st.sampled_from(["", "#a-part", "#", "?q=1", "#x?y", "&amp;", "/"])
link_targets = st.one_of(
    st.tuples(prefixes, st.lists(segments, max_size=6).map("/".join), suffixes)
    .map("".join),
    st.tuples(prefixes, any_text).map("".join),
    yamlish_text,
)


def _as_browser_reads(url: str) -> str:
    """A link target as a browser reads an href: references decoded, tabs and line breaks
    dropped, control characters and spaces trimmed, '\\' read as '/'."""
    url = re.sub("[\t\n\r]", "", html.unescape(url)).strip("".join(map(chr, range(33))))
    return url.replace("\\", "/")


def _browser_path(url: str) -> str:
    """The path a browser on PAGE_URL goes to for a scheme-less, host-less link."""
    parts = urlsplit(url)
    # Browsers take '%2e' for '.' in dot segments; urljoin does not.
    path = "/".join("." * len(unquote(s)) if unquote(s) in (".", "..") else s
                    for s in parts.path.split("/"))
    return urlsplit(urljoin(PAGE_URL, path)).path


@given(href=link_targets)
def test_links_never_lead_out_of_the_site_unless_written_as_addresses(href: str) -> None:
    site, problems = _site(), Problems()
    result = _rewrite(href, PageState(site.by_source["content/guides/fuzz.md"], site, problems))
    if problems.errors:
        return  # reported: the build fails and publishes nothing
    read = _as_browser_reads(result)
    parts = urlsplit(read)
    if parts.scheme or parts.netloc:
        # A link to another site is left as the editor wrote it, and only for safe schemes.
        assert result == href
        assert parts.scheme.lower() in SCHEMES or (not parts.scheme and parts.netloc)
        return
    path = _browser_path(read)
    assert path.startswith("/sub/"), (href, result, path)
    assert ".." not in path.split("/")

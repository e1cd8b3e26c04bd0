"""The allow-list sanitizer: every dangerous construct goes, everything the pipeline makes stays."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from scarsite.build import BuildOptions, build
from scarsite.sanitize import ATTRIBUTES, TAGS, URL_SCHEMES, clean, removals

from .conftest import article

DANGEROUS = {
    "script": ('<p>a<script>alert(1)</script>b</p>', "<p>ab</p>",
               ["<script> removed"]),
    "event handler": ('<img src="x" onerror="alert(1)">', '<img src="x">',
                      ["'onerror' attribute removed from <img>"]),
    "javascript: link": ('<a href="javascript:alert(1)">click</a>', "<a>click</a>",
                         ["'javascript:' address removed from <a href>"]),
    "javascript: hidden by a tab and capitals": (
        '<a href="Java&#9;Script:alert(1)">x</a>', "<a>x</a>",
        ["'javascript:' address removed from <a href>"]),
    "vbscript: link": ('<a href="vbscript:msgbox(1)">x</a>', "<a>x</a>",
                       ["'vbscript:' address removed from <a href>"]),
    "data: link": ('<a href="data:text/html,<script>alert(1)</script>">x</a>', "<a>x</a>",
                   ["'data:' address removed from <a href>"]),
    "data: image": ('<img src="data:image/svg+xml,<svg onload=alert(1)>" alt="a">',
                    '<img alt="a">', ["'data:' address removed from <img src>"]),
    "iframe": ('<iframe src="https://example.com">fallback</iframe>', "",
               ["<iframe> removed"]),
    "style element": ("<style>body{display:none}</style><p>x</p>", "<p>x</p>",
                      ["<style> removed"]),
    "style attribute": ('<p style="display:none">x</p>', "<p>x</p>",
                        ["'style' attribute removed from <p>"]),
    "form": ('<form action="https://evil.example"><input name="q"><button>Go</button></form>',
             "Go", ["<form> removed", "<input> removed", "<button> removed"]),
    "svg": ("<svg onload=alert(1)><circle r=1 /></svg>", "",
            ["<svg> removed", "<circle> removed"]),
    "object and embed": ('<object data="x.swf"></object><embed src="x.swf">', "",
                         ["<object> removed", "<embed> removed"]),
    "meta refresh and base": ('<meta http-equiv="refresh" content="0;url=https://evil.example">'
                              '<base href="https://evil.example/">', "",
                              ["<meta> removed", "<base> removed"]),
    "link to a stylesheet": ('<link rel="stylesheet" href="https://evil.example/x.css">', "",
                             ["<link> removed"]),
    "srcdoc and formaction": ('<a href="/ok" formaction="javascript:x" target="_top">x</a>',
                              '<a href="/ok">x</a>',
                              ["'formaction' attribute removed from <a>",
                               "'target' attribute removed from <a>"]),
}


@pytest.mark.parametrize("name", DANGEROUS)
def test_each_dangerous_construct_is_removed_and_named(name: str) -> None:
    html, expected, messages = DANGEROUS[name]
    assert clean(html) == expected
    found = [message for _, message in removals(html)]
    assert [m.split(" (", 1)[0] for m in found] == messages


def test_removals_give_the_line_of_each_tag_within_the_piece() -> None:
    html = '<div>\n<p>fine</p>\n<img src="a.png"\n  onerror="alert(1)">\n<script>x</script>\n</div>'
    assert [(line, message.split(" (")[0]) for line, message in removals(html)] == [
        (4, "'onerror' attribute removed from <img>"), (5, "<script> removed")]


def test_an_allowed_tag_in_the_wrong_place_is_named_as_such() -> None:
    [(_, message)] = removals("<td>cell</td>")
    assert message.startswith("<td> removed (it is not allowed where it is")


def test_the_same_tag_with_a_good_and_a_bad_address_names_the_bad_one() -> None:
    html = '<a href="https://example.org/">a</a> <a href="javascript:x">b</a>'
    assert [m.split(" (")[0] for _, m in removals(html)] == [
        "'javascript:' address removed from <a href>"]


LEGITIMATE = [
    '<h2 id="risks">Risks</h2>',
    '<p>Text <em>em</em> <strong>strong</strong> <code>a &lt; b</code><br>line</p>',
    '<p><a href="/treatments/subcision/#risks" title="T">a</a> <a href="https://www.nhs.uk/">b'
    '</a> <a href="mailto:a@b.c">c</a> <a href="#part">d</a> <a href="../x/">e</a></p>',
    '<p><img alt="A scar" src="/static/img/a.png" title="t" width="10" height="10"></p>',
    "<blockquote>\n<p>Quote</p>\n</blockquote>\n<hr>\n<pre><code>x = 1\n</code></pre>",
    '<ol start="3">\n<li>three</li>\n</ol>\n<ul>\n<li>item</li>\n</ul>',
    "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>",
    '<table>\n<thead>\n<tr>\n<th class="align-center">a</th>\n</tr>\n</thead>\n<tbody>\n<tr>\n'
    '<td class="align-right">1</td>\n</tr>\n</tbody>\n</table>',
    '<p><abbr title="post-inflammatory hyperpigmentation">PIH</abbr></p>',
    '<p>Note.<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>\n'
    '<div class="footnote">\n<hr>\n<ol>\n<li id="fn:1">\n<p>A footnote.&nbsp;<a '
    'class="footnote-backref" href="#fnref:1" title="Jump back to footnote 1 in the text">'
    "\u21a9</a></p>\n</li>\n</ol>\n</div>",
    '<div class="callout callout-urgent"><h2 class="callout-heading"><span class="callout-level">'
    'Urgent advice:</span> Ask for an urgent appointment if:</h2><div class="callout-content">'
    "<ul>\n<li>fever</li>\n</ul></div></div>",
    '<p>The <span class="term"><a href="/glossary/#dermis" aria-describedby="term-dermis">dermis'
    '</a><span class="term-tip" id="term-dermis" role="tooltip" data-pagefind-ignore="">The deep '
    "layer.</span></span> heals.</p>",
    "<p><kbd>Ctrl</kbd> <sub>2</sub> <sup>3</sup> <mark>m</mark> <small>s</small> <del>d</del> "
    '<ins>i</ins> <q>q</q> <cite>c</cite> <dfn>d</dfn> <time datetime="2025-01-01">1 Jan</time>'
    "</p>",
    "<details><summary>More</summary><p>Hidden.</p></details>",
    '<figure><img alt="a" src="a.png"><figcaption>Caption</figcaption></figure>',
]


@pytest.mark.parametrize("html", LEGITIMATE)
def test_what_the_pipeline_and_editors_legitimately_make_is_kept_as_it_is(html: str) -> None:
    assert clean(html) == html
    assert removals(html) == []


def test_the_allow_list_has_nothing_that_runs_loads_a_frame_or_submits() -> None:
    assert not TAGS & {"script", "style", "iframe", "frame", "object", "embed", "form", "input",
                       "button", "textarea", "select", "svg", "math", "link", "meta", "base"}
    names = set().union(*ATTRIBUTES.values())
    assert not {n for n in names if n.startswith("on")}
    assert not names & {"style", "srcdoc", "formaction", "action", "target"}
    assert sorted(URL_SCHEMES) == ["http", "https", "mailto"]


@pytest.mark.parametrize("srcset", ["https://tracker.example/p.png 1x",
                                    "/images/a.png 360w, //tracker.example/p.png 720w",
                                    "a.png 1x, data:image/png;base64,AAAA 2x",
                                    "/\\tracker.example/p.png 1x"])
def test_a_srcset_that_would_load_a_picture_from_elsewhere_is_removed(srcset: str) -> None:
    html = f'<img alt="a" src="/a.png" srcset="{srcset}">'
    assert clean(html) == '<img alt="a" src="/a.png">'


def test_a_srcset_of_the_sites_own_pictures_is_kept() -> None:
    html = ('<picture><source type="image/webp" srcset="/images/a.1-360.webp 360w, '
            '/images/a.1-720.webp 720w" sizes="40rem"><img alt="a" src="/images/a.1-720.png" '
            'width="720" height="400" loading="lazy" decoding="async"></picture>')
    assert clean(html) == html


# --- through the Markdown pipeline --------------------------------------------------------------

def _build(make_site: Callable[..., Path], body: str):
    site = make_site({"content/guides/g.md": article("G", "guide", body)})
    report = build(BuildOptions(source=site, output=site / "build", search=False,
                                cache=False, jobs=1))
    html = (site / "build/guides/g/index.html").read_text() if report.ok else ""
    return report, html


def test_markdown_features_come_out_unchanged_by_the_sanitizer(
        make_site: Callable[..., Path]) -> None:
    body = ("| a | b | c |\n|:--|:-:|--:|\n| 1 | 2 | 3 |\n\nNote.[^1]\n\n[^1]: A footnote.\n\n"
            "!!! info \"Tip\"\n    Inside.\n\n*[PIH]: post-inflammatory hyperpigmentation\n\n"
            "PIH fades.\n\n## Heading {#custom-id}\n\nTerm\n:   Definition\n\nCode:\n\n"
            "    code <b>\n\n3. three\n4. four\n\n![A dot](/static/img/dot.gif \"Dot\")\n")
    report, html = _build(make_site, body)
    assert report.ok and report.problems.items == [], [str(p) for p in report.problems.items]
    assert '<th class="align-left">a</th>' in html and '<th class="align-center">b</th>' in html
    assert '<td class="align-right">3</td>' in html and "style=" not in html
    assert '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup>' in html
    assert '<div class="callout callout-info">' in html
    assert '<abbr title="post-inflammatory hyperpigmentation">PIH</abbr>' in html
    assert '<h2 id="custom-id">Heading</h2>' in html
    assert "<dl>\n<dt>Term</dt>\n<dd>Definition</dd>\n</dl>" in html
    assert "<pre><code>code &lt;b&gt;\n</code></pre>" in html
    assert '<ol start="3">' in html
    assert ('<figure><img alt="A dot" src="/static/img/dot.gif"><figcaption>Dot</figcaption>'
            '</figure>') in html


def test_attributes_from_attr_list_outside_the_allow_list_are_removed_with_a_warning(
        make_site: Callable[..., Path]) -> None:
    # (A Markdown link to another scheme, such as ftp:, is an error of the link check.)
    body = "Intro.\n\nA paragraph.\n{: onclick=\"alert(1)\" style=\"color: red\" .note }\n"
    report, html = _build(make_site, body)
    assert [str(p).split(" (")[0] for p in report.problems.sorted()] == [
        "content/guides/g.md:12: warning: html: 'onclick' attribute removed from <p>",
        "content/guides/g.md:12: warning: html: 'style' attribute removed from <p>",
    ]
    assert '<p class="note">A paragraph.</p>' in html


def test_raw_html_removals_are_warnings_at_their_lines(make_site: Callable[..., Path]) -> None:
    body = ("Intro.\n\n<script>alert(1)</script>\n\nText <img src=\"x\" onerror=\"alert(1)\"> "
            "and <a href=\"javascript:alert(1)\">a link</a>.\n\n<div>\n<p>fine</p>\n"
            "<iframe src=\"https://example.com\"></iframe>\n</div>\n")
    report, html = _build(make_site, body)
    assert report.ok
    assert [str(p).split(" (")[0] for p in report.problems.sorted()] == [
        "content/guides/g.md:11: warning: html: <script> removed",
        "content/guides/g.md:13: warning: html: 'onerror' attribute removed from <img>",
        "content/guides/g.md:13: warning: html: 'javascript:' address removed from <a href>",
        "content/guides/g.md:17: warning: html: <iframe> removed",
    ]
    soup = BeautifulSoup(html, "html.parser")
    body_html = soup.select_one("main")
    assert body_html is not None and not body_html.find_all(["script", "iframe"])
    assert '<img src="x">' in html and "<a>a link</a>" in html and "<p>fine</p>" in html

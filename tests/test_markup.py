"""Markdown stage: HTML, links between articles rewritten and checked, bodies kept out of Jinja."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scarsite.build import BuildOptions, build

from .conftest import article


def _bodies(make_site: Callable[..., Path], files: dict[str, str], base_url: str = ""):
    if base_url:
        files["pyproject.toml"] = f'[tool.scarsite]\nbase_url = "{base_url}"\n'
    site = make_site(files)
    output = site / "build"
    report = build(BuildOptions(source=site, output=output))
    return report, output


def test_source_links_become_page_urls_with_anchors(make_site: Callable[..., Path]) -> None:
    report, output = _bodies(make_site, {
        "content/treatments/subcision.md": article("Subcision", "treatment",
                                                   body="## Risks and side effects\n\nSome.\n"),
        "content/guides/g.md": article("G", "guide", body=(
            "See [it](../treatments/subcision.md#risks-and-side-effects), "
            "[again](../treatments/subcision.md), [here](#part), "
            "[NHS](https://www.nhs.uk/) and [mail](mailto:a@b.c).\n\n## Part\n")),
    }, base_url="https://example.org/site/")
    assert report.ok, [str(p) for p in report.problems.items]
    html = (output / "guides/g/index.html").read_text()
    assert '<a href="/site/treatments/subcision/#risks-and-side-effects">it</a>' in html
    assert '<a href="/site/treatments/subcision/">again</a>' in html
    assert '<a href="#part">here</a>' in html
    assert '<a href="https://www.nhs.uk/">NHS</a>' in html
    assert '<a href="mailto:a@b.c">mail</a>' in html
    assert report.site.links_checked == 3


def test_markdown_is_never_run_as_a_template(make_site: Callable[..., Path]) -> None:
    body = "Braces: {{ site.title }} and {% for x in y %}{{ x }}{% endfor %} and {# c #}.\n"
    report, output = _bodies(make_site, {"content/guides/g.md": article("G", "guide", body)})
    assert report.ok
    html = (output / "guides/g/index.html").read_text()
    assert "Braces: {{ site.title }} and {% for x in y %}{{ x }}{% endfor %} and {# c #}." in html


def test_markdown_extensions_render(make_site: Callable[..., Path]) -> None:
    body = ("| a | b |\n|---|---|\n| 1 | 2 |\n\nNote.[^1]\n\n[^1]: A footnote.\n\n"
            "!!! info \"Tip\"\n    Inside.\n\n*[PIH]: post-inflammatory hyperpigmentation\n\n"
            "PIH fades.\n\n## Heading {#custom-id}\n")
    report, output = _bodies(make_site, {"content/guides/g.md": article("G", "guide", body)})
    assert report.ok
    html = (output / "guides/g/index.html").read_text()
    assert "<table>" in html and '<div class="footnote">' in html
    assert '<div class="callout callout-info">' in html
    assert '<abbr title="post-inflammatory hyperpigmentation">PIH</abbr>' in html
    assert '<h2 id="custom-id">Heading</h2>' in html


def test_bad_links_are_reported_with_their_lines(make_site: Callable[..., Path]) -> None:
    body = ("[up](../../README.md)\n\n"
            "[folder](../treatments)\n\n"
            "[script](javascript:alert(1))\n\n"
            "[ok](../treatments/t.md)\n")
    report, _ = _bodies(make_site, {
        "content/treatments/t.md": article("T", "treatment"),
        "content/guides/g.md": article("G", "guide", body),
    })
    assert [str(p) for p in report.problems.sorted()] == [
        "content/guides/g.md:9: link: '../../README.md' points outside the content folder",
        "content/guides/g.md:11: link: '../treatments' is a folder; link to an article's .md file",
        "content/guides/g.md:13: link: 'javascript:' links are not allowed",
    ]


def test_level_one_heading_in_body_is_a_warning(make_site: Callable[..., Path]) -> None:
    report, _ = _bodies(make_site, {
        "content/guides/g.md": article("G", "guide", "Intro.\n\n# Another title\n")})
    assert report.ok
    assert [str(p) for p in report.problems.items] == [
        "content/guides/g.md:11: warning: heading: a level-1 heading ('# ') in the body; the "
        "title is the page's heading, so start sections with '## '"]


def test_heading_anchors_follow_githubs_rule_and_close_misses_get_a_suggestion(
        make_site: Callable[..., Path]) -> None:
    body = "## People & Body\n\nText.\n\n## What's it like? (FAQ)\n\nMore.\n"
    report, output = _bodies(make_site, {
        "content/treatments/t.md": article("T", "treatment", body),
        "content/guides/g.md": article("G", "guide", (
            "[a](../treatments/t.md#people--body) [b](../treatments/t.md#whats-it-like-faq)\n\n"
            "[c](../treatments/t.md#people-body)\n")),
    })
    assert [str(p) for p in report.problems.sorted()] == [
        "content/guides/g.md:11: link: '#people-body' is not a heading in "
        "content/treatments/t.md (did you mean 'people--body'?)"]
    assert not output.exists()  # the build failed on the broken anchor: nothing was written

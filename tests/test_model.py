"""Model stage: URLs, symmetric cross-links, related articles, drafts and collisions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from scarsite.build import BuildOptions, build

from .conftest import article


def _site(make_site: Callable[..., Path], files: dict[str, str], drafts: bool = False):
    report = build(BuildOptions(source=make_site(files), write=False, drafts=drafts))
    return report


def _panels(report, rel: str) -> dict[str, list[str]]:
    return {p.title: [a.slug for a in p.articles] for p in report.site.panels[rel]}


def test_links_are_symmetric_and_listed_once(make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/scar-types/rolling.md": article("Rolling", "scar-type", treatments="[subcision]"),
        "content/scar-types/boxcar.md": article("Boxcar", "scar-type"),
        "content/treatments/subcision.md": article("Subcision", "treatment",
                                                   scar_types="[rolling, boxcar]"),
    })
    assert report.ok, [str(p) for p in report.problems.items]
    assert _panels(report, "content/treatments/subcision.md") == {
        "Scar types it can help": ["boxcar", "rolling"]}
    assert _panels(report, "content/scar-types/rolling.md") == {
        "Treatments that can help": ["subcision"], "Related scar types": ["boxcar"]}
    assert _panels(report, "content/scar-types/boxcar.md") == {
        "Treatments that can help": ["subcision"], "Related scar types": ["rolling"]}


def test_related_articles_ranked_by_shared_terms_then_order(
        make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/scar-types/a.md": article("A", "scar-type"),
        "content/scar-types/b.md": article("B", "scar-type"),
        "content/treatments/t.md": article("T", "treatment"),
        "content/guides/one.md": article("One", "guide", scar_types="[a, b]", treatments="[t]"),
        "content/guides/two.md": article("Two", "guide", scar_types="[a]"),
        "content/guides/three.md": article("Three", "guide", scar_types="[a, b]"),
        "content/aftercare/care.md": article("Care", "aftercare", scar_types="[b]",
                                             weight="-1"),
    })
    assert report.ok
    assert _panels(report, "content/guides/one.md") == {
        "Scar types": ["a", "b"], "Treatments": ["t"],
        "Related guides": ["three", "two"],  # three shares 2 terms, two shares 1
        "Related articles": ["care"],
    }


def test_sections_sort_by_weight_then_title(make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/guides/b.md": article("Bravo", "guide"),
        "content/guides/a.md": article("alpha", "guide"),
        "content/guides/z.md": article("Zulu", "guide", weight="-5"),
    })
    assert [a.slug for a in report.site.section("guide")] == ["z", "a", "b"]
    assert report.site.by_source["content/guides/a.md"].path == "guides/a/"


def test_unknown_and_draft_terms_are_errors(make_site: Callable[..., Path]) -> None:
    files = {
        "content/scar-types/rolling.md": article("Rolling", "scar-type"),
        "content/scar-types/keloid.md": article("Keloid", "scar-type", draft="true"),
        "content/treatments/subcision.md": article(
            "Subcision", "treatment", scar_types="[rollng, keloid]", treatments="[subcision]"),
    }
    report = _site(make_site, files)
    assert [str(p) for p in report.problems.sorted()] == [
        "content/treatments/subcision.md:9: scar_types: unknown scar type 'rollng' "
        "(did you mean 'rolling'?)",
        "content/treatments/subcision.md:9: scar_types: scar type 'keloid' is a draft; build "
        "with --drafts or remove it",
    ]
    assert _site(make_site, files, drafts=True).problems.errors[0].message.startswith(
        "unknown scar type 'rollng'")


def test_alias_collisions_name_both_sources(make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/guides/a.md": article("A", "guide", aliases="[old/a]"),
        "content/guides/b.md": article("B", "guide", aliases="[old/a, guides/a, sitemap.xml]"),
    })
    assert [str(p) for p in report.problems.sorted()] == [
        "content/guides/b.md:7: aliases: 'old/a' is already used by content/guides/a.md",
        "content/guides/b.md:7: aliases: 'guides/a' is already used by content/guides/a.md",
        "content/guides/b.md:7: aliases: 'sitemap.xml' is already used by the site itself",
    ]


def test_site_pages_keep_their_folders_and_cannot_take_site_urls(
        make_site: Callable[..., Path]) -> None:
    page = article("P", "page")
    report = _site(make_site, {
        "content/pages/about.md": page,
        "content/pages/about/evidence.md": page,
        "content/pages/scar-types.md": page,
        "content/pages/static/x.md": page,
        "content/pages/search.md": page,
        "content/pages/bad.md": article("P", "page", scar_types="[x]"),
    })
    assert [str(p) for p in report.problems.sorted()] == [
        "content/pages/bad.md:7: scar_types: site pages are not linked to scar types or "
        "treatments; link to articles in the text instead",
        "content/pages/scar-types.md:1: slug: 'scar-types' gives the URL /scar-types/, which "
        "the site itself already has",
        "content/pages/search.md:1: slug: 'search' gives the URL /search/, which the site "
        "itself already has",
        "content/pages/static/x.md:1: slug: 'static/x' gives the URL /static/x/, which the "
        "site itself already has",
    ]
    assert report.site.by_source["content/pages/about/evidence.md"].path == "about/evidence/"
    assert report.site.by_source["content/pages/about.md"].path == "about/"


def test_pair_evidence_is_the_treatments_level_for_the_scar_type_else_its_own(
        make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/scar-types/rolling.md": article("Rolling", "scar-type"),
        "content/scar-types/boxcar.md": article("Boxcar", "scar-type", treatments="[peel]"),
        "content/scar-types/keloid.md": article("Keloid", "scar-type"),
        "content/treatments/laser.md": article("Laser", "treatment", evidence="moderate",
                                               scar_types="{rolling: moderate, boxcar: limited}"),
        "content/treatments/needling.md": article("Needling", "treatment", evidence="moderate",
                                                  scar_types="[rolling]"),
        # named from the scar type's side only: the treatment's own level
        "content/treatments/peel.md": article("Peel", "treatment", evidence="insufficient"),
    })
    assert report.ok, [str(p) for p in report.problems.items]
    site = report.site
    articles = {a.slug: a for a in site.articles}
    levels = {(t, s): site.evidence_for(articles[t], articles[s])
              for t in ("laser", "needling", "peel") for s in ("rolling", "boxcar", "keloid")}
    assert levels == {
        ("laser", "rolling"): "moderate", ("laser", "boxcar"): "limited",
        ("laser", "keloid"): None,
        ("needling", "rolling"): "moderate", ("needling", "boxcar"): None,
        ("needling", "keloid"): None,
        ("peel", "rolling"): None, ("peel", "boxcar"): "insufficient", ("peel", "keloid"): None,
    }


def test_a_scar_type_named_with_a_level_must_exist(make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/scar-types/rolling.md": article("Rolling", "scar-type"),
        "content/treatments/laser.md": article(
            "Laser", "treatment", scar_types="\n  rolling: limited\n  rollng: limited"),
    })
    assert [str(p) for p in report.problems.sorted()] == [
        "content/treatments/laser.md:11: scar_types: unknown scar type 'rollng' "
        "(did you mean 'rolling'?)"]


def test_no_article_or_alias_can_take_a_comparison_page(make_site: Callable[..., Path]) -> None:
    report = _site(make_site, {
        "content/scar-types/rolling.md": article("Rolling", "scar-type"),
        "content/pages/compare/rolling.md": article("P", "page"),
        "content/guides/g.md": article("G", "guide", aliases="[compare/rolling]"),
    })
    assert [str(p) for p in report.problems.sorted()] == [
        "content/guides/g.md:7: aliases: 'compare/rolling' is already used by the site itself",
        "content/pages/compare/rolling.md:1: slug: 'compare/rolling' gives the URL "
        "/compare/rolling/, which the site itself already has",
    ]

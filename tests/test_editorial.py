"""The editorial report of `scarsite check`: plain-language numbers, review dates, warnings."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

from scarsite.config import SiteConfig
from scarsite.editorial import count_syllables, editorial_report, split_sentences
from scarsite.errors import Problems
from scarsite.markup import Body
from scarsite.model import Site

from .conftest import article, run_scarsite, with_sample_site

# Dictionary syllable counts (Merriam-Webster), common and medical words used on the site.
SYLLABLES = {
    "acne": 2, "scar": 1, "scars": 1, "treatment": 2, "collagen": 3, "dermatologist": 5,
    "hyperpigmentation": 6, "microneedling": 4, "laser": 2, "table": 2, "needle": 2,
    "erythema": 4, "inflammation": 4, "fractional": 3, "radiofrequency": 6, "skin": 1,
    "people": 2, "evidence": 3, "usually": 4, "recovery": 4, "bacteria": 4, "area": 3,
    "procedure": 3, "redness": 2, "swelling": 2, "sessions": 2, "keloid": 2,
    "hypertrophic": 4, "ablative": 3, "isotretinoin": 5, "sunscreen": 2, "makeup": 2,
    "clinic": 2, "doctor": 2, "every": 3, "because": 2, "improve": 2, "peeled": 1,
    "injections": 3, "dermis": 2, "trial": 2, "studies": 2, "rolling": 2, "surface": 2,
    "medicine": 3, "pigment": 2, "infection": 3, "pressure": 2, "healing": 2, "darker": 2,
    "cosmetic": 3, "anaesthetic": 4, "cream": 1, "results": 2, "several": 3, "months": 1,
    "weeks": 1, "chemical": 3, "filler": 2, "injected": 3, "blisters": 2, "painful": 2,
    "ointment": 2, "protection": 3, "temperature": 4, "retinoid": 3, "depressed": 2,
}


def test_syllable_counter_agrees_with_the_dictionary_on_nine_in_ten_words() -> None:
    wrong = {w: count_syllables(w) for w, n in SYLLABLES.items() if count_syllables(w) != n}
    assert len(wrong) <= len(SYLLABLES) // 10, wrong


def test_sentences_split_at_full_stops_but_not_inside_abbreviations() -> None:
    assert split_sentences("It heals. Then it fades! Does it? Yes, e.g. often. 2 weeks.") == [
        "It heals.", "Then it fades!", "Does it?", "Yes, e.g. often.", "2 weeks."]
    assert split_sentences("a raised scar keeps growing") == ["a raised scar keeps growing"]


PROSE = """Hyperpigmentation is common. Treatment is available.

## A very long heading with many words that must not be counted at all here

| a table | with words | that are not prose either |
|---|---|---|
| one | two | three |

    code block words are not prose

!!! urgent
    - it hurts
"""


def _check(site: Path, *args: str):
    return run_scarsite("check", "--no-cache", "--report", site / "report.json", *args, cwd=site)


def _report(site: Site, bodies: dict[str, Body], problems: Problems) -> dict:
    """The editorial numbers `scarsite check --report` writes, for the sample site."""
    return editorial_report(site, bodies, date.today(), problems).as_json()


@with_sample_site({"content/guides/g.md": article("G", "guide", PROSE,
                                                  references='["One.", "Two."]')})
def test_only_prose_is_measured(site_model: Site, bodies: dict[str, Body],
                                problems: Problems) -> None:
    numbers = _report(site_model, bodies, problems)
    assert not problems.failed(), [str(p) for p in problems.items]
    guide = next(a for a in numbers["articles"] if a["path"] == "content/guides/g.md")
    # 'Hyperpigmentation is common. Treatment is available.' and the card item 'it hurts':
    # 8 words, 3 sentences, 6+1+2+2+1+4+1+1 = 18 syllables.
    assert (guide["words"], guide["sentences"], guide["cards"]) == (8, 3, 1)
    assert guide["grade"] == round(0.39 * 8 / 3 + 11.8 * 18 / 8 - 15.59, 1)
    assert guide["longest_sentence"] == "Hyperpigmentation is common."


LONG = ("This sentence has exactly twenty two words in it so that it counts as a long one for "
        "the report here now. Short one. Another short one. And a fourth.\n\n"
        "Considerable complicated terminology. Ask about PRP and CO2.\n\n"
        + "- Dermatologists consider complicated terminology unnecessary.\n" * 20)


def test_numbers_warnings_and_the_json_report(make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({
        "pyproject.toml": "[tool.scarsite]\ngrade_warning = 3\nlong_sentence_words = 20\n",
        "content/guides/long.md": article("Long", "guide", LONG,
                                          references='["Only one."]', reviewed="2025-01-01",
                                          next_review="2027-01-20"),
        "content/treatments/t.md": article("T", "treatment", "Plain words. No card here.\n",
                                           references='["One.", "Two."]', reviewed="2024-01-01",
                                           next_review="2026-11-01"),
    })
    result = _check(site, "--today", "2026-12-01")
    assert result.returncode == 1  # the overdue review is an error
    numbers = json.loads((site / "report.json").read_text())
    long = next(a for a in numbers["articles"] if a["path"] == "content/guides/long.md")
    assert result.stderr.splitlines() == [
        "content/guides/long.md:7: warning: references: 1 given; cite at least 2",
        "content/guides/long.md:8: warning: next_review: review due on 2027-01-20, in 50 days",
        f"content/guides/long.md:10: warning: readability: grade {long['grade']} is above 3.0; "
        "use shorter sentences and everyday words (longest sentence: 22 words)",
        "content/guides/long.md:13: warning: glossary: 'CO2' is not defined; add it to "
        "content/glossary.yaml or spell it out",
        "content/guides/long.md:13: warning: glossary: 'PRP' is not defined; add it to "
        "content/glossary.yaml or spell it out",
        "content/treatments/t.md:9: next_review: review overdue since 2026-11-01; review the "
        "article and update 'reviewed'",
        "content/treatments/t.md:11: warning: callout: no 'when to get help' card; add a "
        "'!!! non-urgent', '!!! urgent' or '!!! emergency' box",
        "failed: 1 error, 6 warnings",
    ]
    assert long["grade"] > 3
    assert long["long_sentences"] == 1 and long["longest_sentence_words"] == 22
    assert long["long_paragraphs"] == 1  # the first paragraph has 4 sentences
    assert long["days_to_review"] == 50 and long["undefined_terms"] == ["CO2", "PRP"]
    assert numbers["today"] == "2026-12-01"
    assert numbers["settings"]["grade_warning"] == 3.0
    assert numbers["site"]["reviews_overdue"] == 1 and numbers["site"]["reviews_due_soon"] == 1
    # The readable table lists each article on its own row.
    rows = [line.split() for line in result.stdout.splitlines()]
    assert rows[0][:3] == ["article", "words", "grade"]
    assert ["guides/long", str(long["words"]), str(long["grade"])] in [row[:3] for row in rows]


@with_sample_site({
    "content/glossary.yaml": '- term: TCA CROSS\n  definition: "An acid method."\n',
    "content/guides/g.md": article("G", "guide", "Try TCA CROSS. PIH fades. Not in the UK.\n\n"
                                   "*[PIH]: post-inflammatory hyperpigmentation\n",
                                   references='["One.", "Two."]'),
})
def test_glossary_terms_and_expansions_count_as_defined(
        site_model: Site, bodies: dict[str, Body], problems: Problems) -> None:
    _report(site_model, bodies, problems)
    assert not problems.failed() and problems.warnings == [], [str(p) for p in problems.items]


@with_sample_site({"pyproject.toml": '[tool.scarsite]\ngrade_warning = "high"\n'
                   "min_references = -1\n",
                   "content/guides/g.md": article("G", "guide")})
def test_editorial_settings_are_checked(config: SiteConfig, problems: Problems) -> None:
    assert problems.failed()
    assert [str(p) for p in problems.sorted()][-2:] == [
        "pyproject.toml:2: grade_warning: must be a number, not 'high'",
        "pyproject.toml:3: min_references: must not be negative, not -1",
    ]


TERMS = ('[tool.scarsite.terms]\n"dark marks" = ["dark patches", "dark spots"]\n'
         '"dented scars" = ["pitted scars"]\n')


@with_sample_site({"pyproject.toml": f"[tool.scarsite]\n{TERMS}",
                   "content/guides/g.md": article("G", "guide", (
                       "## Dark Patches after acne\n\nDark marks fade.\nSome dark\n"
                       "spots last longer.\n\nSome people call them \"pitted scars\" or "
                       "`pitted scars`.\nBut Pitted scars is not our word; dark-patches-x "
                       "is a slug.\n"))})
def test_a_variant_of_a_sites_term_is_a_warning_at_its_line_unless_quoted(
        site_model: Site, bodies: dict[str, Body], problems: Problems) -> None:
    _report(site_model, bodies, problems)
    terms = [str(p) for p in problems.items if p.field == "terms"]
    assert terms == [
        "content/guides/g.md:9: warning: terms: 'dark patches': write 'dark marks', the site's "
        "word for it (in quotes if you name the other word on purpose)",
        "content/guides/g.md:12: warning: terms: 'dark spots': write 'dark marks', the site's "
        "word for it (in quotes if you name the other word on purpose)",
        "content/guides/g.md:16: warning: terms: 'pitted scars': write 'dented scars', the "
        "site's word for it (in quotes if you name the other word on purpose)"]


@with_sample_site({"pyproject.toml": '[tool.scarsite.terms]\n"dark marks" = "dark patches"\n',
                   "content/guides/g.md": article("G", "guide")})
def test_the_terms_setting_is_checked(config: SiteConfig, problems: Problems) -> None:
    assert [str(p) for p in problems.items] == [
        "pyproject.toml:2: terms.dark marks: must be a list of the words to replace, e.g. "
        "[\"dark patches\"]"]


def test_the_check_table_says_unknown_for_a_review_date_it_cannot_read(
        make_themed_site: Callable[..., Path]) -> None:
    site = make_themed_site({"content/guides/g.md": article("G", "guide",
                                                            reviewed="04/12/2026")})
    result = run_scarsite("check", "--no-cache", cwd=site)
    assert result.returncode == 1
    row = next(line for line in result.stdout.splitlines() if line.startswith("guides/g "))
    assert "unknown" in row.split() and " d " not in row
    assert "overdue" not in result.stderr

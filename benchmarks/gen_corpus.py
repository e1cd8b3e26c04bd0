#!/usr/bin/env python3
"""Write a synthetic scarsite site of N articles, for the benchmark (`make bench`).

    python benchmarks/gen_corpus.py --articles 1000 --out /tmp/site-1000 [--seed 1]

The site has the project's own theme (templates/ and static/ are copied in), a
pyproject.toml with a [tool.scarsite] table, a small glossary, the two site pages
the theme links to, and N articles split over the four sections:

    scar-types 10%, treatments 30%, aftercare 20%, guides 40%

Each article has valid front matter (the taxonomy lists, an evidence level and facts
on treatments, references), about 1,100 words of body under a fixed set of `## `
headings with `### ` sub-headings, bullet lists, a table on treatments, a "when to
get help" card on treatments and aftercare, and 3 to 5 links to other articles by
their source path, some to a heading anchor that every article has.

The same --articles and --seed always give byte-identical files. The review dates are
fixed (not relative to today), so the output does not change from day to day.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
STAMP = ".bench-corpus.json"  # written last; says what was generated, and by which generator
GENERATOR_VERSION = 1

# section folder -> (kind, share of the articles, slug prefix)
SECTIONS = {
    "scar-types": ("scar-type", 0.10, "scar-type"),
    "treatments": ("treatment", 0.30, "treatment"),
    "aftercare": ("aftercare", 0.20, "aftercare"),
    "guides": ("guide", 0.40, "guide"),
}

# The `## ` headings of every article, in order. Links may point at any of their anchors
# (Python-Markdown's toc slugify: lower case, punctuation dropped, spaces to '-').
HEADINGS = ("What it is", "How it works", "Who it suits", "What to expect",
            "Risks and side effects", "Questions to ask")
ANCHORS = ("what-it-is", "how-it-works", "risks-and-side-effects", "questions-to-ask")
SUBHEADINGS = {
    "How it works": ("The first step", "The main part", "Putting it together"),
    "What to expect": ("Before you start", "On the day", "In the weeks after"),
    "Risks and side effects": ("Common effects", "Less common effects"),
}

# Plain words in the site's register; mixed into sentences at random.
SUBJECTS = ("Your skin", "The scar", "A dermatologist", "The treated area", "Many people",
            "Most clinics", "The redness", "Your doctor", "A small test patch", "The surface",
            "New collagen", "The healing skin", "Each session", "A gentle cleanser",
            "Sunscreen", "The swelling", "The nurse", "Darker skin", "A thin layer",
            "The results")
VERBS = ("can take", "often needs", "may show", "usually starts with", "slowly builds",
         "will depend on", "should avoid", "tends to improve after", "is checked for",
         "can look worse before", "benefits from", "rarely needs", "responds well to",
         "changes with", "is gentle on")
OBJECTS = ("a few weeks of healing", "a short rest", "some mild redness", "more than one visit",
           "steady care at home", "daily sun protection", "a soft moisturiser",
           "clear advice from the clinic", "the depth of the scar", "your skin type",
           "a break between sessions", "a careful first test", "the tone of your skin",
           "the shape of the dent", "a plan written down", "small crusts that fall off",
           "the advice on the leaflet", "the edges of the scar", "a slow change in texture",
           "honest photos taken in the same light")
TAILS = ("", "", "", " at first", " over time", " for most people", " in the first week",
         " after each visit", " when the skin is calm", " if you follow the plan",
         " in good light", " once the crusts have gone")
ADJECTIVES = ("gentle", "deep", "shallow", "fractional", "light", "steady", "careful",
              "early", "simple", "combined", "short", "slow", "mild", "firm", "clear")
NOUNS = ("laser", "peel", "needling", "filler", "cream", "care", "plan", "session",
         "recovery", "routine", "approach", "method", "resurfacing", "release", "support")
BULLETS = ("Keep the area clean and dry", "Use a broad-spectrum sunscreen every day",
           "Do not pick at crusts or flakes", "Ask how many sessions you will need",
           "Ask what the total cost will be", "Stop using strong acids for a few days",
           "Take photos before you start", "Wait until active spots have settled",
           "Tell the clinic about any cold sores", "Use a plain, fragrance-free moisturiser",
           "Avoid swimming pools for two days", "Sleep on a clean pillowcase",
           "Check who will do the treatment", "Ask what happens if it does not help")
GLOSSARY = (  # every term is used by the fixed sentence under "What it is"
    ("collagen", "A tough protein that gives skin its strength. Scar treatments try to make "
     "the skin build more of it.", ("collagen fibres",)),
    ("dermis", "The thick layer of skin under the surface layer, where most acne scars "
     "form.", ()),
    ("epidermis", "The thin outer layer of skin, the part you can see and touch.", ()),
)
FIXED_SENTENCE = ("The epidermis sits on top of the dermis, and the dermis holds the collagen "
                  "that gives skin its shape.")
REVIEWER = "Editorial team (evidence review); awaiting clinical review"
REVIEWED_BEFORE = datetime.date(2026, 11, 1)  # reviews fall in the 150 days before this
EVIDENCE = ("strong", "moderate", "limited", "insufficient")
THEME = ("templates", "static")


@dataclass
class Article:
    section: str
    kind: str
    slug: str
    title: str
    scar_types: list[str] = field(default_factory=list)
    treatments: list[str] = field(default_factory=list)
    links: list[tuple[Article, str]] = field(default_factory=list)  # (target, anchor or "")

    @property
    def rel(self) -> str:
        return f"{self.section}/{self.slug}.md"


def section_sizes(n: int) -> dict[str, int]:
    """How many articles each section gets; the last (guides) takes the rounding."""
    sizes = {}
    for section, (_, share, _) in list(SECTIONS.items())[:-1]:
        sizes[section] = max(1, round(n * share))
    sizes["guides"] = max(1, n - sum(sizes.values()))
    return sizes


def plan(n: int, seed: int) -> list[Article]:
    """Every article's name, taxonomy terms and outgoing links, decided before any writing."""
    rng = random.Random(f"plan:{seed}")
    articles: list[Article] = []
    for section, count in section_sizes(n).items():
        kind, _, prefix = SECTIONS[section]
        for i in range(count):
            words = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}"
            title = f"{kind.replace('-', ' ').capitalize()} {i}: {words}"
            articles.append(Article(section, kind, f"{prefix}-{i:05d}", title))
    scar_types = [a.slug for a in articles if a.kind == "scar-type"]
    treatments = [a.slug for a in articles if a.kind == "treatment"]
    for article in articles:
        if article.kind != "scar-type":
            article.scar_types = sorted(rng.sample(scar_types, min(len(scar_types),
                                                                   rng.randint(1, 3))))
        if article.kind in ("aftercare", "guide"):
            article.treatments = sorted(rng.sample(treatments, min(len(treatments),
                                                                   rng.randint(1, 3))))
        others = [a for a in rng.sample(articles, min(len(articles), 6)) if a is not article]
        for target in others[:rng.randint(3, 5)]:
            anchor = rng.choice(ANCHORS) if rng.random() < 0.4 else ""
            article.links.append((target, anchor))
    return articles


def sentence(rng: random.Random) -> str:
    return f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}{rng.choice(TAILS)}."


def paragraph(rng: random.Random, low: int = 4, high: int = 6) -> str:
    return " ".join(sentence(rng) for _ in range(rng.randint(low, high)))


def bullets(rng: random.Random) -> str:
    return "\n".join(f"- {item}." for item in rng.sample(BULLETS, rng.randint(3, 5)))


def link_sentence(target: Article, anchor: str) -> str:
    fragment = f"#{anchor}" if anchor else ""
    return f"See [{target.title.lower()}](../{target.section}/{target.slug}.md{fragment})."


def body(article: Article, rng: random.Random) -> str:
    """About 1,100 words: an opening, then each fixed heading with paragraphs and lists."""
    blocks = [paragraph(rng, 3, 4)]
    paragraphs: list[int] = [0]  # indexes of plain paragraphs a link sentence may join
    for heading in HEADINGS:
        if heading == HEADINGS[-1] and article.kind in ("treatment", "aftercare"):
            blocks.append("!!! non-urgent\n    - the skin is still red or sore after two weeks\n"
                          "    - the scar looks worse than before the treatment")
        blocks.append(f"## {heading}")
        if heading == "What it is":
            blocks.append(f"{FIXED_SENTENCE} {paragraph(rng, 3, 5)}")
            paragraphs.append(len(blocks) - 1)
        for low, high in ((3, 5), (2, 4)):
            blocks.append(paragraph(rng, low, high))
            paragraphs.append(len(blocks) - 1)
        if rng.random() < 0.6:
            blocks.append(bullets(rng))
        if heading == "What to expect" and article.kind == "treatment":
            rows = "\n".join(f"| {rng.choice(NOUNS)} | {rng.randint(1, 6)} | "
                             f"{rng.randint(0, 14)} days |" for _ in range(3))
            blocks.append(f"| Option | Sessions | Downtime |\n|---|---|---|\n{rows}")
        for sub in SUBHEADINGS.get(heading, ()):
            blocks.append(f"### {sub}")
            blocks.append(paragraph(rng, 3, 4))
            paragraphs.append(len(blocks) - 1)
    for target, anchor in article.links:
        where = rng.choice(paragraphs)
        blocks[where] += " " + link_sentence(target, anchor)
    return "\n\n".join(blocks) + "\n"


def quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML string


def front_matter(article: Article, rng: random.Random) -> str:
    reviewed = REVIEWED_BEFORE - datetime.timedelta(days=rng.randint(1, 150))
    lines = [f"title: {quoted(article.title)}", f"kind: {article.kind}",
             f"summary: {quoted(sentence(rng) + ' ' + sentence(rng))}",
             f"reviewed: {reviewed.isoformat()}", f"reviewer: {quoted(REVIEWER)}"]
    if article.kind in ("scar-type", "treatment") and rng.random() < 0.5:
        lines.append(f"also_known_as: [{quoted(rng.choice(ADJECTIVES) + ' marks')}]")
    if article.scar_types:
        lines.append(f"scar_types: [{', '.join(article.scar_types)}]")
    if article.treatments:
        lines.append(f"treatments: [{', '.join(article.treatments)}]")
    if article.kind == "treatment":
        lines.append(f"evidence: {rng.choice(EVIDENCE)}")
        lines += ["facts:", f'  sessions: "{rng.randint(1, 6)} sessions"',
                  f'  interval: "{rng.randint(2, 8)} weeks apart"',
                  f'  downtime: "{rng.randint(0, 10)} days"',
                  f'  cost: "About {rng.randint(1, 20) * 50} per session"']
    lines.append("references:")
    for number in range(rng.randint(2, 3)):
        year = rng.randint(2005, 2025)
        text = f"Author {chr(65 + number)}, et al. A study of acne scars, part {number + 1}. " \
               f"J Example Dermatol. {year}."
        lines.append(f"  - text: {quoted(text)}")
        if number == 0:
            lines.append(f'    pmid: "{rng.randint(10_000_000, 39_999_999)}"')
        elif number == 1:
            lines.append(f'    doi: "10.1000/bench.{year}.{rng.randint(100, 999)}"')
    return "---\n" + "\n".join(lines) + "\n---\n\n"


SETTINGS = """\
[tool.scarsite]
title = "Benchmark scar site"
base_url = "https://bench.example.org/"
language = "en"
description = "A synthetic site made by benchmarks/gen_corpus.py."
"""

PAGES = {
    "pages/about.md": ("About this site", "This site is made up for the benchmark.\n\n"
                       "## Who writes it\n\nA script writes every article.\n"),
    "pages/about/evidence.md": ("How we rate the evidence", "".join(
        f"## {level.capitalize()} evidence {{#{level}}}\n\nWhat {level} evidence means.\n\n"
        for level in EVIDENCE)),
}


def page(title: str, text: str) -> str:
    return (f"---\ntitle: {quoted(title)}\nkind: page\nsummary: {quoted(title + '.')}\n"
            f"reviewed: {REVIEWED_BEFORE.isoformat()}\nreviewer: {quoted(REVIEWER)}\n---\n\n"
            + text)


def glossary() -> str:
    entries = []
    for term, definition, aliases in GLOSSARY:
        entry = f"- term: {term}\n  definition: {quoted(definition)}\n"
        if aliases:
            entry += f"  aliases: [{', '.join(aliases)}]\n"
        entries.append(entry)
    return "\n".join(entries)


def copy_theme(out: Path) -> None:
    """Put the project's current templates/ and static/ into the site, replacing old copies."""
    for folder in THEME:
        shutil.rmtree(out / folder, ignore_errors=True)
        shutil.copytree(PROJECT / folder, out / folder)


def generator_hash() -> str:
    """Changes whenever this script changes, so a stale corpus is never reused."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


def stamp(articles: int, seed: int) -> dict[str, object]:
    return {"articles": articles, "seed": seed, "version": GENERATOR_VERSION,
            "generator": generator_hash()}


def generate(articles: int, out: Path, seed: int = 1) -> list[Article]:
    """Write the site into `out` (replacing a corpus made earlier); return the articles."""
    if out.exists():
        if not (out / STAMP).is_file() and any(out.iterdir()):
            raise SystemExit(f"{out} exists and is not a generated corpus; not replacing it")
        shutil.rmtree(out)
    plan_ = plan(articles, seed)
    content = out / "content"
    for article in plan_:
        rng = random.Random(f"article:{seed}:{article.rel}")
        path = content / article.rel
        path.parent.mkdir(parents=True, exist_ok=True)
        text = front_matter(article, rng) + body(article, rng)
        path.write_text(text, encoding="utf-8")
    for rel, (title, text) in PAGES.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page(title, text), encoding="utf-8")
    (content / "glossary.yaml").write_text(glossary(), encoding="utf-8")
    (out / "pyproject.toml").write_text(SETTINGS, encoding="utf-8")
    copy_theme(out)
    (out / STAMP).write_text(json.dumps(stamp(articles, seed)) + "\n", encoding="utf-8")
    return plan_


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, required=True, help="number of articles (>= 4)")
    parser.add_argument("--out", type=Path, required=True, help="the site folder to write")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    args = parser.parse_args(argv)
    if args.articles < 4:
        parser.error("--articles must be at least 4 (one per section)")
    written = generate(args.articles, args.out, args.seed)
    sizes = ", ".join(f"{s} {n}" for s, n in section_sizes(args.articles).items())
    print(f"wrote {len(written)} articles ({sizes}) to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

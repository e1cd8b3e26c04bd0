"""Model stage: articles with URLs, and the cross-links between scar types, treatments and the rest.

Input: parsed `Document`s. Output: a `Site` holding the published articles in
section order, a URL for each, for each article the panels of linked and
related articles, and the evidence level of each linked treatment and scar type.
Links are symmetric: naming a term from either side links both pages, once.
Reports unknown terms, links to drafts and URL collisions.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from .config import KIND_BY_SECTION, KINDS, SiteConfig
from .errors import Problems, did_you_mean
from .frontmatter import Document
from .glossary import Glossary
from .images import OUTPUT_FOLDER as PICTURES_DIR
from .images import Picture, find_picture
from .names import COMPARE_DIR, SEARCH_DIR, STATIC_DIR
from .schema import SLUG, FrontMatter

# Output paths of the site's own pages, which no article, site page or alias may take;
# the folders hold files the build copies or generates.
SITE_PATHS = ("", "404.html", "sitemap.xml", "feed.xml", "robots.txt", "search/",
              f"{COMPARE_DIR}/", "glossary/", *(k.url_prefix for k in KINDS.values() if k.listed))
# Folders the site fills itself: compare/ holds a comparison page for each scar type,
# images/ the pictures articles show.
SITE_FOLDERS = (STATIC_DIR, SEARCH_DIR, COMPARE_DIR, PICTURES_DIR)
RELATED_LIMIT = 4
_KIND_ORDER = {name: index for index, name in enumerate(KINDS)}

# Which panels each kind of page shows, in order: (kind of the linked articles, heading).
PANELS: dict[str, tuple[tuple[str, str], ...]] = {
    "scar-type": (("treatment", "Treatments that can help"), ("aftercare", "Aftercare"),
                  ("guide", "Guides"), ("scar-type", "Related scar types")),
    "treatment": (("scar-type", "Scar types it can help"), ("aftercare", "Aftercare"),
                  ("treatment", "Related treatments"), ("guide", "Guides")),
    "aftercare": (("treatment", "Treatments"), ("scar-type", "Scar types"),
                  ("aftercare", "Related aftercare"), ("guide", "Guides")),
    "guide": (("scar-type", "Scar types"), ("treatment", "Treatments"),
              ("aftercare", "Aftercare"), ("guide", "Related guides")),
}


class Article:
    """A published article and its place in the site."""

    __slots__ = ("doc", "is_term", "kind", "path", "rel", "sort_key")

    def __init__(self, doc: Document, path: str, is_term: bool) -> None:
        self.doc = doc
        self.rel = doc.rel  # the content path, which identifies the article
        self.path = path  # output path relative to the site root, e.g. 'treatments/subcision/'
        self.is_term = is_term  # a taxonomy term: other articles can name it in front matter
        meta = doc.meta
        self.kind = meta.kind
        self.sort_key = (_KIND_ORDER[meta.kind], meta.weight, meta.title.lower(), meta.slug)

    def __repr__(self) -> str:
        return f"Article({self.rel!r})"

    @property
    def meta(self) -> FrontMatter:
        return self.doc.meta

    @property
    def slug(self) -> str:
        return self.doc.meta.slug

    @property
    def title(self) -> str:
        return self.doc.meta.title


@dataclass(frozen=True)
class Panel:
    """A titled list of linked articles on a page."""

    kind: str  # the kind of the articles listed, or 'related' for mixed
    title: str
    articles: tuple[Article, ...]


Panels = tuple[Panel, ...]  # the panels of one page, in order


@dataclass
class Site:
    """Everything the render stage needs to know about the site's articles."""

    config: SiteConfig
    articles: list[Article]  # published, in section order
    by_source: dict[str, Article]  # content path -> article
    drafts: set[str]  # content paths of drafts left out of this build
    unparsed: set[str]  # content paths whose front matter had errors (already reported)
    panels: dict[str, Panels]  # content path -> the page's panels
    linked: dict[Article, frozenset[Article]]  # the symmetric links made by front matter terms
    glossary: Glossary = field(default_factory=Glossary)
    pictures: dict[str, Picture] = field(default_factory=dict)  # content path -> picture
    links_checked: int = 0
    # (treatment, scar type) -> the evidence level for that pair, for each linked pair
    pair_evidence: dict[tuple[Article, Article], str] = field(default_factory=dict)

    @functools.cached_property
    def pages(self) -> dict[str, Article]:
        """Site pages (content/pages/<slug>.md) by slug."""
        return {a.slug: a for a in self.articles if a.kind == "page"}

    def section(self, kind: str) -> list[Article]:
        return [a for a in self.articles if a.kind == kind]

    def image_of(self, article: Article) -> Picture | None:
        """The picture an article's `image:` names (its social card and thumbnail)."""
        image = article.meta.image
        return find_picture(article.rel, image.src, self.pictures)[0] if image else None

    def evidence_for(self, treatment: Article, scar_type: Article) -> str | None:
        """How strong the evidence is for treating `scar_type` with `treatment`: the level the
        treatment gives for it, else the treatment's own; None if they are not linked."""
        return self.pair_evidence.get((treatment, scar_type))


by_section_order = attrgetter("sort_key")


def page_path(kind: str, slug: str) -> str:
    """The output path of an article; the one place URLs of articles are made."""
    return f"{KINDS[kind].url_prefix}{slug}/"


def comparison_path(scar_type: Article | None) -> str:
    """The output path of the comparison of every treatment (None), or of the treatments for
    one scar type."""
    return f"{COMPARE_DIR}/{scar_type.slug}/" if scar_type else f"{COMPARE_DIR}/"


PanelSources = dict[str, list[tuple[str, str, tuple[str, ...]]]]  # panels by content path


def build_site(config: SiteConfig, documents: Iterable[Document], glossary: Glossary,
               drafts: bool, unparsed: set[str], problems: Problems,
               known_panels: dict[str, PanelSources] | None = None,
               pictures: dict[str, Picture] | None = None) -> Site:
    """Give each article its URL and work out the cross-links between articles.

    `known_panels` holds the panels of earlier builds by a digest of the front matter and
    settings they were worked out from; on return it holds this build's panels only.
    Ranking the related articles is most of this stage's work, and an edit to an article's
    text leaves every panel as it was: reusing them takes 27 ms off a one-edit build at
    1,000 articles (0.31 s, against 0.34 s; the target is 0.32 s).
    """
    documents = list(documents)
    term_kinds = {t.kind for t in config.taxonomies}
    draft_sources = {d.rel for d in documents if d.meta.draft and not drafts}
    articles = [Article(d, page_path(d.meta.kind, d.meta.slug), d.meta.kind in term_kinds)
                for d in documents if d.rel not in draft_sources]
    articles = _without_collisions(articles, problems)
    articles.sort(key=by_section_order)
    draft_terms = {(d.meta.kind, d.meta.slug) for d in documents if d.rel in draft_sources}
    # A term defined in a file that failed to parse is already reported there.
    unknown_ok = {(KIND_BY_SECTION[r.split("/")[1]].name, r.rsplit("/", 1)[1][:-3])
                  for r in unparsed}
    edges = _term_edges(config, articles, draft_terms, unknown_ok, problems)
    known_panels = {} if known_panels is None else known_panels
    key = _panels_key(config, documents, drafts)
    known = known_panels.get(key)
    if known is not None:
        by_source = {a.rel: a for a in articles}
        panels = {rel: tuple(Panel(kind, title, tuple(by_source[r] for r in members))
                             for kind, title, members in sources)
                  for rel, sources in known.items()}
    else:
        panels = _all_panels(articles, edges)
        known = {rel: [(p.kind, p.title, tuple(a.rel for a in p.articles)) for p in ps]
                 for rel, ps in panels.items()}
    known_panels.clear()
    known_panels[key] = known
    linked = {a: frozenset(edges.get(a, ())) for a in articles}
    pictures = pictures or {}
    for article in articles:
        _check_image(article, pictures, problems)
    return Site(config, articles, {a.rel: a for a in articles}, draft_sources, unparsed,
                panels, linked, glossary, pictures,
                pair_evidence=_pair_evidence(articles, linked))


def _check_image(article: Article, pictures: dict[str, Picture], problems: Problems) -> None:
    """Report an `image:` that is not a picture that can be published."""
    image, doc = article.meta.image, article.doc
    if image is not None:
        message = find_picture(doc.rel, image.src, pictures)[1]
        if message:
            problems.error(doc.rel, doc.line_of("image"), "image", message)


def _pair_evidence(articles: list[Article], linked: dict[Article, frozenset[Article]]
                   ) -> dict[tuple[Article, Article], str]:
    """The evidence level of each linked (treatment, scar type), whichever side named it."""
    levels = {}
    for treatment in articles:
        meta = treatment.meta
        if treatment.kind != "treatment" or meta.evidence is None:
            continue  # a treatment without a level is already reported
        for scar_type in linked[treatment]:
            if scar_type.kind == "scar-type":
                levels[treatment, scar_type] = meta.evidence_by_scar_type.get(scar_type.slug,
                                                                              meta.evidence)
    return levels


def _panels_key(config: SiteConfig, documents: list[Document], drafts: bool) -> str:
    """A digest of what the panels are worked out from: every file's front matter."""
    fronts = [(d.rel, d.front_matter_digest) for d in documents]
    return hashlib.sha1(repr((config, drafts, fronts)).encode()).hexdigest()


def _all_panels(articles: list[Article],
                edges: dict[Article, set[Article]]) -> dict[str, Panels]:
    term_sets = {a: _term_set(a, edges) for a in articles}
    holders: dict[Article, list[Article]] = defaultdict(list)  # term -> articles having it
    for article, terms in term_sets.items():
        for term in terms:
            holders[term].append(article)
    order = {a: index for index, a in enumerate(articles)}  # already in section order
    return {a.rel: _panels(a, edges, _ranked_related(a, term_sets, holders, order), order)
            for a in articles}


def _without_collisions(articles: list[Article], problems: Problems) -> list[Article]:
    """Drop (and report) articles or aliases that would write a file another source writes."""
    outputs = _Outputs()
    for path in SITE_PATHS:
        outputs.add(path, "the site itself")
    kept = []
    # A clash is blamed on the file that asked for the URL: files whose slug is wrong (already
    # reported) go last, and files that set `slug:` after those named by their file name.
    for article in sorted(articles, key=lambda a: (not _valid_slug(a.doc.meta.slug),
                                                   "slug" in a.doc.lines, a.doc.rel)):
        doc = article.doc
        other = outputs.owner(article.path)
        if other:
            problems.error(doc.rel, doc.line_of("slug"), "slug", f"'{doc.meta.slug}' gives the "
                           f"URL /{article.path}, which {other} already has")
            continue
        outputs.add(article.path, doc.rel)
        kept.append(article)
    for article in kept:
        doc = article.doc
        for index, alias in enumerate(doc.meta.aliases):
            path = alias if alias.endswith(".html") else alias + "/"
            other = outputs.owner(path)
            if other:
                problems.error(doc.rel, doc.line_of("aliases", index), "aliases",
                               f"'{alias}' is already used by {other}")
            else:
                outputs.add(path, doc.rel)
    return kept


def _valid_slug(slug: str) -> bool:
    return all(SLUG.match(part) for part in slug.split("/"))


class _Outputs:
    """Who writes each file of the output, to find two sources writing the same file.

    Paths are compared without case: a site is often checked out or served where 'Boxcar/'
    and 'boxcar/' are one folder. An alias 'index.html' or 'x/index.html' writes the same
    file as the page at '' or 'x/', and a file where another source needs a folder (or the
    reverse) is a clash too.
    """

    def __init__(self) -> None:
        self.files: dict[str, str] = {}  # output file -> who writes it
        self.folders: dict[str, str] = {}  # output folder -> who first writes into it

    @staticmethod
    def _file(path: str) -> str:
        """The output file of a page or redirect at `path` ('x/' is 'x/index.html')."""
        return (path + "index.html" if path == "" or path.endswith("/") else path).casefold()

    def add(self, path: str, owner: str) -> None:
        parts = self._file(path).split("/")
        self.files["/".join(parts)] = owner
        for end in range(1, len(parts)):
            self.folders.setdefault("/".join(parts[:end]), owner)

    def owner(self, path: str) -> str | None:
        """Who already writes `path`'s file, a folder in its place, or a file on its way."""
        file = self._file(path)
        parts = file.split("/")
        if parts[0] in SITE_FOLDERS:
            return "the site itself"
        other = self.files.get(file) or self.folders.get(file)
        for end in range(1, len(parts)):
            other = other or self.files.get("/".join(parts[:end]))
        return other


def _term_edges(config: SiteConfig, articles: list[Article], draft_terms: set[tuple[str, str]],
                unknown_ok: set[tuple[str, str]],
                problems: Problems) -> dict[Article, set[Article]]:
    """The symmetric links between articles made by their taxonomy lists."""
    terms = {(a.kind, a.slug): a for a in articles}
    edges: dict[Article, set[Article]] = defaultdict(set)
    for article in articles:
        doc = article.doc
        for taxonomy in config.taxonomies:
            noun = taxonomy.kind.replace("-", " ")
            for index, slug in enumerate(doc.meta.terms.get(taxonomy.name, ())):
                target = terms.get((taxonomy.kind, slug))
                where = (doc.rel, doc.line_of(taxonomy.name, index), taxonomy.name)
                if (taxonomy.kind, slug) in draft_terms:
                    problems.error(*where, f"{noun} '{slug}' is a draft; build with --drafts "
                                   "or remove it")
                elif target is None and (taxonomy.kind, slug) in unknown_ok:
                    continue
                elif target is None:
                    known = [s for k, s in terms if k == taxonomy.kind]
                    problems.error(*where, f"unknown {noun} '{slug}'{did_you_mean(slug, known)}")
                elif target is not article:
                    edges[article].add(target)
                    edges[target].add(article)
    return edges


def _panels(article: Article, edges: dict[Article, set[Article]], ranked: list[Article],
            order: dict[Article, int]) -> Panels:
    linked = edges.get(article, set())
    shown: set[Article] = {article}
    panels = []
    for kind, title in PANELS.get(article.kind, ()):
        members = sorted((a for a in linked if a.kind == kind), key=order.__getitem__)
        if kind == article.kind:
            members += [a for a in ranked if a.kind == kind and a not in linked]
        shown.update(members)
        if members:
            panels.append(Panel(kind, title, tuple(members)))
    others = tuple(a for a in ranked if a not in shown)[:RELATED_LIMIT]
    if others:
        panels.append(Panel("related", "Related articles", others))
    return tuple(panels)


def _term_set(article: Article, edges: dict[Article, set[Article]]) -> set[Article]:
    terms = {a for a in edges.get(article, ()) if a.is_term}
    return terms | {article} if article.is_term else terms


def _ranked_related(article: Article, term_sets: dict[Article, set[Article]],
                    holders: dict[Article, list[Article]],
                    order: dict[Article, int]) -> list[Article]:
    """Articles sharing terms with `article`, most shared first, then in section order."""
    shared: dict[Article, int] = defaultdict(int)
    for term in term_sets[article]:
        for other in holders[term]:
            if other is not article:
                shared[other] += 1
    return sorted(shared, key=lambda a: (-shared[a], order[a]))

"""Site settings: the `[tool.scarsite]` table of the site's `pyproject.toml`.

Input: the site folder. Output: a frozen `SiteConfig`. Every mistake in the
table is reported with its line; a settings file that is not valid TOML stops
the build with a `SiteError`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlsplit

from .errors import Problems, SiteError, did_you_mean
from .names import SETTINGS_FILE


@dataclass(frozen=True)
class Kind:
    """A kind of article: which folder it lives in, and where its pages go."""

    name: str
    section: str  # folder under content/
    title: str
    listed: bool = True  # has a section index page and a place in the main navigation

    @property
    def url_prefix(self) -> str:
        """Articles go under /<section>/; site pages (about, evidence...) at the top level."""
        return f"{self.section}/" if self.listed else ""


# The kinds are part of the site's editorial design, not a setting: templates,
# cross-link panels and the evidence rule all depend on them.
KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("scar-type", "scar-types", "Scar types"),
        Kind("treatment", "treatments", "Treatments"),
        Kind("aftercare", "aftercare", "Aftercare"),
        Kind("guide", "guides", "Guides"),
        Kind("page", "pages", "Site pages", listed=False),
    )
}
KIND_BY_SECTION: dict[str, Kind] = {k.section: k for k in KINDS.values()}
LISTED_KINDS: tuple[Kind, ...] = tuple(k for k in KINDS.values() if k.listed)
PAGE_SECTION = "pages"  # site pages may sit in sub-folders: pages/about/evidence.md


@dataclass(frozen=True)
class Taxonomy:
    """A front matter key whose values are slugs of articles of one kind."""

    name: str
    kind: str
    title: str


DEFAULT_TAXONOMIES = (
    Taxonomy("scar_types", "scar-type", "Scar types"),
    Taxonomy("treatments", "treatment", "Treatments"),
)


@dataclass(frozen=True)
class SiteConfig:
    """Settings for one site, with the defaults a bare site builds with."""

    title: str = "Untitled site"
    base_url: str = "https://example.org/"
    language: str = "en"
    description: str = ""
    review_interval_months: int = 36
    taxonomies: tuple[Taxonomy, ...] = DEFAULT_TAXONOMIES
    # Editorial checks (`scarsite check`): plain-language thresholds and review warnings.
    grade_warning: float = 8.0  # Flesch-Kincaid grade above which an article is a warning
    long_sentence_words: int = 20  # sentences longer than this count as long
    review_warning_days: int = 60  # warn this many days before a review is due
    min_references: int = 2
    # Every reference cited in the text ([@id]) and traceable (pmid, doi, url or isbn); a
    # warning otherwise. Off by default: a site turns it on once its articles cite.
    require_citations: bool = False
    # One word for one thing: each preferred term and the variants `scarsite check` flags.
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()
    from_defaults: bool = field(default=False, compare=False)

    @property
    def base_path(self) -> str:
        """The URL path the site is served under, e.g. '/' or '/scarsite/'."""
        return urlsplit(self.base_url).path or "/"

    def taxonomy(self, name: str) -> Taxonomy | None:
        return next((t for t in self.taxonomies if t.name == name), None)


# Each setting's accepted types, and how to name them in a message.
_TEXT = ((str,), "a string")
_WHOLE = ((int,), "a whole number")
_NUMBER = ((int, float), "a number")
_BOOLEAN = ((bool,), "true or false")
_SETTING_TYPES = {"title": _TEXT, "base_url": _TEXT, "language": _TEXT, "description": _TEXT,
                  "review_interval_months": _WHOLE, "grade_warning": _NUMBER,
                  "long_sentence_words": _WHOLE, "review_warning_days": _WHOLE,
                  "min_references": _WHOLE, "require_citations": _BOOLEAN}
_SETTING_KEYS = [f.name for f in fields(SiteConfig) if f.name != "from_defaults"]
# \Z, not $: '$' also matches before a final newline.
_LANGUAGE = re.compile(r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*\Z")
_TAXONOMY_NAME = re.compile(r"^[a-z][a-z0-9_]*\Z")
_URL_PATH = re.compile(r"^[A-Za-z0-9._~!$&'()*+,;=:@%/-]*\Z")


# A [tool.scarsite] table, or one inside it, at the start of a line: how a settings file
# that is not valid TOML still says it belongs to a site (whose build then reports the
# mistake at its line, instead of the site not being found).
_SITE_TABLE = re.compile(r"^[ \t]*\[[ \t]*tool[ \t]*\.[ \t]*scarsite[ \t]*[].]", re.MULTILINE)


def declares_site(folder: Path) -> bool:
    """Whether the folder's settings file has a [tool.scarsite] table: the mark of a site
    folder, as `.git` marks a repository."""
    path = folder / SETTINGS_FILE
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:  # no settings file here (or not one we may read)
        return False
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return bool(_SITE_TABLE.search(text))
    tool = document.get("tool")
    return isinstance(tool, dict) and "scarsite" in tool


def load_config(site: Path, problems: Problems) -> SiteConfig:
    """Read and validate the site settings, reporting mistakes into `problems`."""
    path = site / SETTINGS_FILE
    if not path.is_file():
        return SiteConfig(from_defaults=True)
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"at line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise SiteError(SETTINGS_FILE, int(match[1]) if match else 0, "",
                        f"not valid TOML: {message}") from None
    table = document.get("tool", {}).get("scarsite")
    if table is None:
        return SiteConfig(from_defaults=True)
    lines = _KeyLines(text)
    if not isinstance(table, dict):
        problems.error(SETTINGS_FILE, lines.of("scarsite"), "tool.scarsite", "must be a table")
        return SiteConfig()

    values: dict[str, object] = {}
    for key, value in table.items():
        where = (SETTINGS_FILE, lines.of(key), key)
        if key == "taxonomies":
            values[key] = _taxonomies(value, lines, problems)
        elif key == "terms":
            values[key] = _terms(value, lines, problems)
        elif key not in _SETTING_TYPES:
            problems.error(*where, f"unknown setting{did_you_mean(key, _SETTING_KEYS)}")
        elif type(value) not in _SETTING_TYPES[key][0]:
            problems.error(*where, f"must be {_SETTING_TYPES[key][1]}, not {value!r}")
        else:
            values[key] = value

    if "base_url" in values:
        values["base_url"] = _base_url(str(values["base_url"]), lines, problems)
    language = values.get("language")
    if isinstance(language, str) and not _LANGUAGE.match(language):
        problems.error(SETTINGS_FILE, lines.of("language"), "language",
                       f"{language!r} is not a language tag such as 'en' or 'en-GB'")
    months = values.get("review_interval_months")
    if isinstance(months, int) and not 1 <= months <= 120:
        problems.error(SETTINGS_FILE, lines.of("review_interval_months"),
                       "review_interval_months", f"must be between 1 and 120, not {months}")
        del values["review_interval_months"]
    for key in ("long_sentence_words", "review_warning_days", "min_references",
                "grade_warning"):
        number = values.get(key)
        if isinstance(number, int | float) and number < 0:
            problems.error(SETTINGS_FILE, lines.of(key), key, f"must not be negative, not {number}")
            del values[key]
    if "grade_warning" in values:
        values["grade_warning"] = float(values["grade_warning"])  # type: ignore[arg-type]
    return SiteConfig(**values)  # type: ignore[arg-type]


def _base_url(url: str, lines: _KeyLines, problems: Problems) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        problems.error(SETTINGS_FILE, lines.of("base_url"), "base_url",
                       f"{url!r} is not an absolute http(s) URL such as 'https://example.org/'")
        return SiteConfig.base_url
    # Its path is put in front of every link, so it must be a plain path: with '..', a
    # '?' or '#', or spaces, links would point outside the site.
    segments = parts.path.split("/")
    if (parts.query or parts.fragment or url.endswith(("?", "#")) or "@" in parts.netloc
            or not _URL_PATH.match(parts.path) or {".", ".."} & set(segments)
            or any(s.lower() in ("%2e", "%2e%2e", ".%2e", "%2e.") for s in segments)):
        problems.error(SETTINGS_FILE, lines.of("base_url"), "base_url",
                       f"{url!r} must be a plain address such as 'https://example.org/site/', "
                       "without '..', '?', '#', a user name or spaces")
        return SiteConfig.base_url
    return url if url.endswith("/") else url + "/"


def _taxonomies(value: object, lines: _KeyLines, problems: Problems) -> tuple[Taxonomy, ...]:
    if not isinstance(value, dict):
        problems.error(SETTINGS_FILE, lines.of("taxonomies"), "taxonomies",
                       "must be a table of taxonomies, e.g. [tool.scarsite.taxonomies.scar_types]")
        return DEFAULT_TAXONOMIES
    taxonomies = []
    for name, spec in value.items():
        where = (SETTINGS_FILE, lines.of(name), f"taxonomies.{name}")
        if not _TAXONOMY_NAME.match(name):
            problems.error(*where, "a taxonomy name is lower case letters, digits and '_'")
            continue
        if not isinstance(spec, dict):
            problems.error(*where, "must be a table with 'kind' and 'title'")
            continue
        for key in spec.keys() - {"kind", "title"}:
            problems.error(SETTINGS_FILE, lines.of(key), f"taxonomies.{name}.{key}",
                           f"unknown setting{did_you_mean(key, ['kind', 'title'])}")
        kind = spec.get("kind")
        kinds = [k.name for k in LISTED_KINDS]
        if kind not in kinds:
            problems.error(SETTINGS_FILE, lines.of("kind"), f"taxonomies.{name}.kind",
                           f"{kind!r} is not a kind; use one of {', '.join(kinds)}"
                           f"{did_you_mean(str(kind), kinds)}")
            continue
        title = spec.get("title", KINDS[kind].title)
        taxonomies.append(Taxonomy(name, kind, str(title)))
    return tuple(taxonomies)


def _terms(value: object, lines: _KeyLines, problems: Problems
           ) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(value, dict):
        problems.error(SETTINGS_FILE, lines.of("terms"), "terms", "must be a table of "
                       'preferred terms, e.g. "dark marks" = ["dark patches"]')
        return ()
    terms = []
    for preferred, variants in value.items():
        if not (isinstance(variants, list) and variants
                and all(isinstance(v, str) and v.strip() for v in variants)):
            problems.error(SETTINGS_FILE, lines.of(preferred), f"terms.{preferred}",
                           "must be a list of the words to replace, e.g. [\"dark patches\"]")
            continue
        terms.append((preferred, tuple(v.strip() for v in variants)))
    return tuple(terms)


class _KeyLines:
    """Finds the line of a key inside the [tool.scarsite] tables (tomllib has no positions)."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines()
        start = next((i for i, line in enumerate(self._lines)
                      if line.strip().startswith("[tool.scarsite")), 0)
        self._start = start

    def of(self, key: str) -> int:
        pattern = re.compile(rf"^\s*(\[[^\]]*\b{re.escape(key)}\]|\"?{re.escape(key)}\"?\s*=)")
        for number in range(self._start, len(self._lines)):
            if pattern.match(self._lines[number]):
                return number + 1
        return self._start + 1

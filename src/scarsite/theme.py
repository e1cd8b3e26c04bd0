"""The theme: the Jinja environment of a templates folder, and the helpers templates call.

Templates come from the site's `templates/` folder, falling back to the ones inside
scarsite (sitemap, feed, robots.txt, redirects). Autoescaping is on and undefined
names are errors; a template mistake is reported with the template's file and line.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from .errors import Problems
from .images import Picture
from .model import Article, Site
from .names import CONTENT_DIR, TEMPLATES_DIR
from .static import StaticFiles
from .structured import glossary_data, structured_data
from .text import long_date

THUMBNAIL_WIDTH = 96  # CSS pixels: a listing's thumbnail beside the title and summary


class Theme:
    """The Jinja environment of one templates folder.

    A process that builds again and again (the live preview) keeps its theme, so templates
    are compiled once; Jinja reloads a template whose file changed. `compiled`, if given,
    is a folder where Jinja keeps compiled templates between processes (it checks each
    against its source before using it). The helpers read the site of the build being
    rendered (see `use`), because compiled templates hold on to the filter functions.
    """

    def __init__(self, folder: Path, compiled: Path | None = None) -> None:
        self.folder = folder
        self.site: Site
        self.static: StaticFiles
        if compiled is not None:
            compiled.mkdir(parents=True, exist_ok=True)
        self.env = jinja2.Environment(
            bytecode_cache=compiled and jinja2.FileSystemBytecodeCache(str(compiled)),
            loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder),
                                        jinja2.PackageLoader("scarsite", "templates")]),
            autoescape=jinja2.select_autoescape(["html", "xml"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        )
        self.env.globals.update(
            url=self.url, asset=self.asset, changed=changed, site_page=self.site_page,
            has_page=self.has_page, structured_data=self.structured_data,
            picture=self.picture, thumbnail=self.thumbnail, article_at=self.article_at,
            glossary_data=self.glossary_data, evidence_for=self.evidence_for)
        self.env.filters.update(url=self.url, absolute=self.absolute, long_date=long_date)

    def use(self, site: Site, static: StaticFiles) -> None:
        """Render pages of this site (and its static files) from now on."""
        self.site, self.static = site, static

    def has(self, name: str) -> bool:
        """Whether the theme has the template (found, not compiled: rendering reports
        mistakes)."""
        try:
            self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            return False
        return True

    def digest(self) -> str:
        """A digest of every template's source: a page may include or extend any of them."""
        digest = hashlib.sha1()
        for name in sorted(set(self.env.list_templates())):
            source, _, _ = self.env.loader.get_source(self.env, name)  # type: ignore[union-attr]
            digest.update(f"{name}\0{source}\0".encode())
        return digest.hexdigest()

    def render(self, templates: list[str], context: dict[str, Any],
               problems: Problems) -> str | None:
        """The first of `templates` the theme has, rendered; None after reporting a mistake."""
        try:
            return self.env.get_or_select_template(templates).render(context)
        except jinja2.TemplateSyntaxError as exc:
            problems.error(f"{TEMPLATES_DIR}/{exc.name}", exc.lineno, "template",
                           exc.message or "")
        except jinja2.TemplateNotFound as exc:
            names = getattr(exc, "templates", None) or [exc.name]
            problems.error(TEMPLATES_DIR, 0, "template", "missing: " + " or ".join(
                f"{TEMPLATES_DIR}/{name}" for name in names))
        except Exception as exc:  # a template's own mistake, such as an undefined name
            name, line = _template_frame(exc)
            problems.error(name, line, "template", f"{type(exc).__name__}: {exc}")
        return None

    # The helpers templates call.

    def url(self, target: Article | str) -> str:
        """The site URL of an article or an output path."""
        path = target.path if isinstance(target, Article) else target
        return self.site.config.base_path + path

    def absolute(self, target: Article | str) -> str:
        config = self.site.config
        return config.base_url.removesuffix(config.base_path) + self.url(target)

    def asset(self, name: str) -> str:
        if name not in self.static.names:
            raise LookupError(f"asset('{name}'): no file static/{name}")
        return self.site.config.base_path + self.static.names[name]

    def site_page(self, slug: str) -> Article:
        """A site page by its path, e.g. site_page('about/evidence')."""
        page = self.site.pages.get(slug)
        if page is None:
            raise LookupError(f"site_page('{slug}'): no page content/pages/{slug}.md")
        return page

    def article_at(self, source: str) -> Article | None:
        """The published article whose file is content/<source>, e.g.
        article_at('guides/which-scar-is-mine.md'); None if there is none."""
        return self.site.by_source.get(f"{CONTENT_DIR}/{source}")

    def has_page(self, slug: str) -> bool:
        """Whether the site has a page at content/pages/<slug>.md (themes may link it if so)."""
        return slug in self.site.pages

    def picture(self, article: Article) -> Picture | None:
        """The picture an article's `image:` names, if it can be shown."""
        return self.site.image_of(article)

    def thumbnail(self, article: Article) -> dict[str, Any] | None:
        """The smallest file of an article's picture, and its size shown THUMBNAIL_WIDTH wide."""
        picture = self.site.image_of(article)
        if picture is None:
            return None
        smallest = min(picture.sources("svg" if picture.is_svg else picture.fallback.format),
                       key=lambda v: v.width)
        return {"src": self.site.config.base_path + smallest.path, "width": THUMBNAIL_WIDTH,
                "height": max(1, round(THUMBNAIL_WIDTH * picture.height / picture.width))}

    def evidence_for(self, treatment: Article, scar_type: Article) -> str | None:
        """The evidence level for treating `scar_type` with `treatment` (None if not linked)."""
        return self.site.evidence_for(treatment, scar_type)

    def structured_data(self, page: Article) -> dict[str, Any]:
        return structured_data(page, self.site, self.absolute)

    def glossary_data(self) -> dict[str, Any]:
        return glossary_data(self.site.glossary, self.site, self.absolute)


def changed(article: Article) -> date:
    """When the article last changed: its update date, or its review date."""
    meta = article.meta
    return max(meta.reviewed, meta.updated) if meta.updated else meta.reviewed


def _template_frame(exc: BaseException) -> tuple[str, int]:
    """The template file and line where `exc` was raised (Jinja maps frames to templates)."""
    found = (TEMPLATES_DIR, 0)
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        parts = Path(filename).parts
        if TEMPLATES_DIR in parts and not filename.endswith(".py"):
            index = len(parts) - 1 - parts[::-1].index(TEMPLATES_DIR)
            found = ("/".join(parts[index:]), traceback.tb_lineno)
        traceback = traceback.tb_next
    return found

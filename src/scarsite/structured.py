"""Render stage, part: schema.org structured data (JSON-LD) for each article.

Every article is a `MedicalWebPage` for patients, with its review date and
reviewer (the same fields the page shows), what it is about, and its references
as citations. Scar types are `MedicalCondition`s whose `possibleTreatment`s are the
treatments linked to them; treatments are `MedicalTherapy`, the one procedure type
that `possibleTreatment` accepts. Site pages (About) are plain `WebPage`s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .glossary import Glossary
from .model import Article, Site, by_section_order
from .schema import Reference

CONTEXT = "https://schema.org"
DERMATOLOGY = "https://schema.org/Dermatology"
ENTITY_TYPES = {"scar-type": "MedicalCondition", "treatment": "MedicalTherapy"}


def structured_data(article: Article, site: Site,
                    absolute: Callable[[Article | str], str]) -> dict[str, Any]:
    """The JSON-LD object describing `article`'s page."""
    meta = article.meta
    medical = article.kind != "page"
    data: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "MedicalWebPage" if medical else "WebPage",
        "name": meta.title,
        "description": meta.summary,
        "url": absolute(article),
        "inLanguage": site.config.language,
        "isPartOf": {"@type": "WebSite", "name": site.config.title, "url": absolute("")},
        "lastReviewed": meta.reviewed.isoformat(),
        # The reviewer is free text that may name a team; with no register of reviewers
        # to say which names are people, all are described as organisations.
        "reviewedBy": {"@type": "Organization", "name": meta.reviewer},
    }
    if meta.updated:
        data["dateModified"] = meta.updated.isoformat()
    if medical:
        data["audience"] = {"@type": "Patient"}
        data["medicalAudience"] = {"@type": "Patient"}
        data["specialty"] = DERMATOLOGY
        about = _about(article, site, absolute)
        if about:
            data["about"] = about
    if meta.references:
        data["citation"] = [_citation(r) for r in meta.references]
    principles = site.pages.get("about")
    if principles is not None:
        data["publishingPrinciples"] = absolute(principles)
    return data


def glossary_data(glossary: Glossary, site: Site,
                  absolute: Callable[[Article | str], str]) -> dict[str, Any]:
    """The glossary page as a `DefinedTermSet`."""
    url = absolute("glossary/")
    return {"@context": CONTEXT, "@type": "DefinedTermSet", "name": f"{site.config.title} glossary",
            "url": url, "inLanguage": site.config.language,
            "hasDefinedTerm": [{"@type": "DefinedTerm", "name": e.term,
                                "description": e.definition, "url": f"{url}#{e.anchor}"}
                               for e in glossary.entries]}


def _about(article: Article, site: Site,
           absolute: Callable[[Article | str], str]) -> dict[str, Any] | list[dict[str, Any]]:
    linked = sorted(site.linked[article], key=by_section_order)
    if article.kind == "scar-type":
        condition = _entity(article, absolute)
        treatments = [_entity(t, absolute) for t in linked if t.kind == "treatment"]
        if treatments:
            condition["possibleTreatment"] = treatments
        return condition
    if article.kind == "treatment":
        return _entity(article, absolute)
    # A guide is about the conditions (scar types) it covers; the treatments it links are in
    # its text. Listing those too, with other names, took a long guide past its 60 KB.
    return [_entity(a, absolute, other_names=False) for a in linked if a.kind == "scar-type"]


def _entity(article: Article, absolute: Callable[[Article | str], str],
            other_names: bool = True) -> dict[str, Any]:
    entity: dict[str, Any] = {"@type": ENTITY_TYPES[article.kind], "name": article.title,
                              "url": absolute(article)}
    if other_names and article.meta.also_known_as:
        entity["alternateName"] = list(article.meta.also_known_as)
    return entity


def _citation(reference: Reference) -> dict[str, Any]:
    citation: dict[str, Any] = {"@type": "CreativeWork", "name": reference.text}
    links = []
    if reference.doi:
        links.append(f"https://doi.org/{reference.doi}")
    if reference.pmid:
        links.append(f"https://pubmed.ncbi.nlm.nih.gov/{reference.pmid}/")
    if reference.url:
        citation["url"] = reference.url
    elif links:
        citation["url"] = links.pop(0)  # given once: pages are kept under 60 KB
    if links:
        citation["sameAs"] = links
    return citation

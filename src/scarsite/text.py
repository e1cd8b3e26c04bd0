"""Words every stage shares: slugs, heading anchors and dates.

Nothing here knows about articles or the site; any module may import it.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def slugify(text: str) -> str:
    """A valid slug made from `text`; slugify(slugify(x)) == slugify(x)."""
    # Letters with accents keep their base letter ('café' -> 'cafe'), 'ß' becomes 'ss'.
    plain = "".join(char for char in unicodedata.normalize("NFKD", text.casefold())
                    if not unicodedata.combining(char))
    slug = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")
    return slug or "article"


def heading_id(text: str, separator: str = "-") -> str:
    """A heading's anchor as GitHub makes it, so links written for GitHub's preview work here:
    lower case, punctuation removed, each space a hyphen ('People & Body' -> 'people--body').

    `separator` is what Python-Markdown's toc passes; GitHub's rule always uses '-'.
    """
    kept = "".join(char for char in text.lower()
                   if char.isalnum() or char in " -_" or unicodedata.category(char)[0] == "M")
    return kept.replace(" ", "-")


def add_months(day: date, months: int) -> date:
    """The same day `months` later, moved back to the month's end when it has fewer days."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def long_date(day: date) -> str:
    """A date as readers write it: '4 December 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"

"""Parse stage: split an article into front matter and Markdown body; load the YAML.

Input: a `Source`. Output: a `Document` with the typed front matter (see
`schema.py`), or None when the front matter is missing or not a YAML mapping.
YAML marks are mapped to file lines, so every mistake points at its line.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from .config import SiteConfig
from .errors import Problems
from .load import Source
from .schema import REQUIRED, FrontMatter, check_front_matter


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading that leaves dates as text, so that a bad date gets our message."""

    yaml_implicit_resolvers: ClassVar = {
        first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }


@dataclass(frozen=True)
class Document:
    """A parsed article: typed front matter, Markdown body, and where things are in the file."""

    source: Source
    meta: FrontMatter
    body: str
    body_line: int  # file line of the body's first line
    lines: dict[str, int]  # front matter key -> file line
    item_lines: dict[str, tuple[int, ...]]  # list key -> file line of each item

    @property
    def rel(self) -> str:
        return self.source.rel

    # Worked out once per document: the live preview keeps unchanged documents between
    # rebuilds, so their digests are not taken again.
    @functools.cached_property
    def front_matter(self) -> str:
        """The file's text before the body: everything that other pages can show of it."""
        return self.source.text[:len(self.source.text) - len(self.body)]

    @functools.cached_property
    def front_matter_digest(self) -> str:
        return hashlib.sha1(self.front_matter.encode()).hexdigest()

    @functools.cached_property
    def body_digest(self) -> str:
        """A digest of the body and where it starts (messages give file lines)."""
        return hashlib.sha256(f"{self.body_line}\0{self.body}".encode()).hexdigest()

    def line_of(self, key: str, index: int | None = None) -> int:
        if index is not None and index < len(self.item_lines.get(key, ())):
            return self.item_lines[key][index]
        return self.lines.get(key, 1)



def parse_document(source: Source, config: SiteConfig, problems: Problems) -> Document | None:
    """Split and validate one article; None if its front matter is not a YAML mapping."""
    split = _split(source, problems)
    if split is None:
        return None
    yaml_text, yaml_first_line, body, body_line = split
    if not yaml_text.strip():
        problems.error(source.rel, yaml_first_line - 1, "front matter",
                       f"is empty; it needs at least {', '.join(REQUIRED)}")
        return None
    node_data = load_yaml(source.rel, yaml_text, yaml_first_line, problems)
    if node_data is None:
        return None
    node, data = node_data
    if not isinstance(data, dict):
        problems.error(source.rel, yaml_first_line, "front matter",
                       "must be a set of 'key: value' lines")
        return None
    lines, item_lines = _key_lines(node, yaml_first_line)
    meta = check_front_matter(data, source, config, lines, item_lines, problems)
    _warn_placeholders(source, problems)
    return Document(source, meta, body, body_line, lines, item_lines)


PLACEHOLDER = "TODO"


def _warn_placeholders(source: Source, problems: Problems) -> None:
    """`scarsite new` writes TODO placeholders; each left in is a warning (so --strict fails)."""
    for number, line in enumerate(source.text.split("\n"), start=1):
        if PLACEHOLDER in line:
            problems.warn(source.rel, number, "placeholder",
                          f"'{line.strip()[:60]}' still needs writing")


def _split(source: Source, problems: Problems) -> tuple[str, int, str, int] | None:
    """(yaml text, its first file line, body, the body's first file line)."""
    lines = source.text.split("\n")
    if lines[0].rstrip() != "---":
        problems.error(source.rel, 1, "front matter",
                       "missing: the file must start with a '---' line, then the front "
                       "matter (title, kind, summary, reviewed, reviewer), then another '---'")
        return None
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), 2, "\n".join(lines[index + 1:]), index + 2
    problems.error(source.rel, 1, "front matter", "not closed: add a '---' line after it")
    return None


def load_yaml(rel: str, text: str, first_line: int, problems: Problems,
              field: str = "front matter") -> tuple[yaml.Node, Any] | None:
    """The YAML node tree and data of `text`, or None after reporting why it cannot be loaded.

    Safe loading only: no tags that build objects, no anchors or aliases (so no alias
    bombs), no duplicate keys; `first_line` is the file line of the text's first line.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        problem = _check_nodes(node)
        if problem:
            problems.error(rel, first_line + problem[0], field, problem[1])
            return None
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark:
            message += f" ({exc.context} on line {first_line + exc.context_mark.line})"
        if "\t" in str(exc.problem) or "tab character" in str(exc.problem):
            message += "; indent with spaces, not tabs"
        elif "could not determine a constructor" in str(exc.problem):
            message = "invalid YAML: tags such as '!!python/object' are not allowed"
        problems.error(rel, line, field, message)
    except (yaml.YAMLError, RecursionError) as exc:
        problems.error(rel, first_line, field, f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return None


def _check_nodes(root: yaml.Node | None) -> tuple[int, str] | None:
    """(line, message) for a duplicate key or an alias anywhere in the YAML, else None."""
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            return node.start_mark.line, ("YAML anchors and aliases (&name, *name) are not "
                                           "allowed")
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[str] = set()
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in keys:
                        return key.start_mark.line, f"'{key.value}' is given twice"
                    keys.add(key.value)
                stack += [key, value]
        elif isinstance(node, yaml.SequenceNode):
            stack += node.value
    return None


def _key_lines(node: yaml.Node,
               first_line: int) -> tuple[dict[str, int], dict[str, tuple[int, ...]]]:
    lines: dict[str, int] = {}
    items: dict[str, tuple[int, ...]] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            lines[name] = first_line + key.start_mark.line
            if isinstance(value, yaml.SequenceNode):
                items[name] = tuple(first_line + item.start_mark.line for item in value.value)
    return lines, items

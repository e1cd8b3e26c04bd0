"""Parse stage: split an article into front matter and Markdown body; load the YAML.

Input: a `Source`. Output: a `Document` with the typed front matter (see
`schema.py`), or None when the front matter is missing or not a YAML mapping.
YAML marks are mapped to file lines, so every mistake points at its line.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import yaml

from .config import SiteConfig
from .errors import Problems
from .load import Source
from .schema import REQUIRED, FrontMatter, check_front_matter
from .yamldepth import yaml_nesting

# Tags that plain values resolve to but that we do not want: dates stay text, so that a bad
# date gets our message; '<<' (merge) and '=' (value) are just text, not YAML 1.1 features.
_UNWANTED_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("timestamp", "merge", "value")}
_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")}
_STR, _SEQ, _MAP = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:seq",
                    "tag:yaml.org,2002:map")
MAX_DEPTH = 20  # lists and mappings inside each other; front matter needs three or four
_MAX_NUMBER = 100  # digits in a whole number (Python refuses to read over 4,300)
_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")  # YAML counts them as lines; editors do not


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML loading with only the plain value types (see `_UNWANTED_TAGS`)."""

    yaml_implicit_resolvers: ClassVar = {
        first: [r for r in resolvers if r[0] not in _UNWANTED_TAGS]
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
    item_lines: dict[str, tuple[int, ...]]  # list or mapping key -> line of each item

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
    if "\r" in source.text:  # line endings as `load_sources` leaves them, so lines match
        source = Source(source.rel, source.section,
                        source.text.replace("\r\n", "\n").replace("\r", "\n"))
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
    for key, _ in node.value:
        if key.tag != _STR:
            # `1: x`, `true: x`, `null: x`: not names, and their lines could not be found.
            problems.error(source.rel, yaml_first_line + key.start_mark.line, "front matter",
                           f"'{key.value}' is not a field name; fields are names such as "
                           "'title'")
    data = {key: value for key, value in data.items() if isinstance(key, str)}
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
    if not source.text or source.text.isspace():
        problems.error(source.rel, 1, "front matter", "missing: the file is empty; start it "
                       "with a '---' line, then the front matter (title, kind, summary, "
                       "reviewed, reviewer), then another '---'")
        return None
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

    Safe loading only: no tags (so nothing but text, numbers, true/false, lists and
    mappings is ever made), no anchors or aliases (so no alias bombs), no duplicate keys,
    nesting at most `MAX_DEPTH` deep; `first_line` is the file line of the text's first line.
    """
    odd_break = None if text.isascii() else _LINE_BREAKS.search(text)
    if odd_break:
        problems.error(rel, first_line + text.count("\n", 0, odd_break.start()), field,
                       f"contains the character U+{ord(odd_break[0]):04X}, which YAML reads "
                       "as a line break; remove it")
        return None
    # The depth is scarsite's own check, on the text, before PyYAML reads it: PyYAML makes
    # the tree by recursion (thousands of levels crash the process), and libyaml stops at
    # its own depth with its own words, which differ from one release to the next.
    deep = yaml_nesting(text, MAX_DEPTH)
    if deep is not None:
        problems.error(rel, first_line + deep, field, "lists and mappings nested more than "
                       f"{MAX_DEPTH} deep; front matter needs only a few levels")
        return None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        problem = _check_nodes(node, loader)
        if problem:
            problems.error(rel, first_line + problem[0], field, problem[1])
            return None
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        line, message = _yaml_error(exc, text, first_line)
        problems.error(rel, line, field, message)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, e.g. U+0007
        line = first_line + _reader_line(text, exc.position)
        code = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1])
        problems.error(rel, line, field, f"invalid YAML: the character U+{code:04X} is not "
                       "allowed; remove it")
    except (yaml.YAMLError, RecursionError, ValueError, OverflowError) as exc:
        # Not expected after the checks above, but a value YAML cannot make is the file's
        # mistake, not scarsite's.
        problems.error(rel, first_line, field, f"invalid YAML: {exc}")
    finally:
        loader.dispose()
    return None


def _reader_line(text: str, position: int) -> int:
    """The line (from 0) of the YAML reader's position: a byte offset for libyaml."""
    if issubclass(_Loader, yaml.SafeLoader):
        return text.count("\n", 0, position)
    return text.encode("utf-8", "surrogatepass")[:position].count(b"\n")


def _yaml_error(exc: yaml.MarkedYAMLError, text: str, first_line: int) -> tuple[int, str]:
    """(file line, message) of a YAML syntax error, in an editor's words."""
    lines = text.split("\n")
    mark = exc.problem_mark or exc.context_mark
    line = mark.line if mark else 0
    problem = str(exc.problem or exc.context)
    found = lines[line][mark.column:mark.column + 1] if mark and line < len(lines) else ""
    if problem == "found character that cannot start any token" and found:
        problem = f"found character {found!r} that cannot start any token"  # libyaml omits it
    message = f"invalid YAML: {problem}"
    context_line = exc.context_mark.line if exc.context_mark else line
    if exc.problem and exc.context and context_line != line:
        message += f" ({exc.context} on line {first_line + context_line})"
    if found == "\t" or "tab" in problem:
        message += "; indent with spaces, not tabs"
    elif "mapping values are not allowed" in problem:
        message += "; put text that contains ': ' in quotes"
    elif "undefined alias" in problem or "'*'" in problem:
        message += "; YAML anchors and aliases (&name, *name) are not allowed"
    elif "<document start>" in problem:
        directive = next((i for i, text in enumerate(lines) if text.startswith("%")), None)
        if directive is not None:  # '%' starts a YAML directive; the parser notices later
            return first_line + directive, ("invalid YAML: a line cannot start with '%'; put "
                                            "the value in quotes")
    else:
        quote = _unclosed_quote(lines[:line + 1])
        if quote is not None:
            message += f"; is the quote on line {first_line + quote} closed?"
    return first_line + line, message


def _unclosed_quote(lines: list[str]) -> int | None:
    """The first line (from 0) whose value opens a quote that the line does not close.

    A quoted value may go on over lines, but in front matter that is nearly always a
    quote left open, and the parser only notices a few lines later.
    """
    for number, line in enumerate(lines):
        value = line.partition(": ")[2].strip() if ": " in line else line.strip().lstrip("- ")
        if value[:1] in ("'", '"') and (len(value) == 1 or value[-1] != value[0]):
            return number
    return None


def _check_nodes(root: yaml.Node | None, loader: Any) -> tuple[int, str] | None:
    """(line, message) for the first thing in the YAML that `load_yaml` does not allow."""
    seen: set[int] = set()
    found: list[tuple[int, int, str]] = []  # (line, column, message)
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        mark = node.start_mark
        if id(node) in seen:  # each node is looked into once, so an alias bomb costs nothing
            found.append((mark.line, mark.column, "YAML anchors and aliases (&name, *name) "
                          "are not allowed"))
            continue
        seen.add(id(node))
        if node.tag != _STR or node.id != "scalar":  # plain text, by far the most common
            problem = _tag_problem(node, loader)
            if problem:
                found.append((mark.line, mark.column, problem))
                continue
        if node.id == "mapping":
            keys: set[str] = set()
            for key, value in node.value:
                if key.id == "scalar":
                    if key.value in keys:
                        found.append((key.start_mark.line, key.start_mark.column,
                                      f"'{key.value}' is given twice"))
                    keys.add(key.value)
                stack.append(key)
                stack.append(value)
        elif node.id == "sequence":
            stack.extend(node.value)
    if not found:
        return None
    line, _, message = min(found)
    return line, message


def _tag_problem(node: yaml.Node, loader: Any) -> str | None:
    """Why a node's tag is not allowed: only what a plain value would be read as is.

    So `!!int 3` is fine but `!!int abc`, `!!timestamp`, `!!binary`, `!!set` and
    `!!python/object` are not: nothing but plain values is ever constructed.
    """
    tag = node.tag
    if isinstance(node, yaml.ScalarNode):
        if tag in _PLAIN_TAGS and tag == loader.resolve(yaml.ScalarNode, node.value,
                                                       (True, False)):
            digits = len(node.value)
            if tag == "tag:yaml.org,2002:int" and digits > _MAX_NUMBER:
                return (f"a number {digits} characters long; put it in quotes if it is text")
            return None
    elif tag in (_SEQ, _MAP) and tag == (_SEQ if isinstance(node, yaml.SequenceNode) else _MAP):
        return None
    shown = tag.replace("tag:yaml.org,2002:", "!!")
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return f"invalid YAML: tags such as '{shown}' are not allowed; write the value without it"


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
            elif isinstance(value, yaml.MappingNode):  # e.g. `scar_types: {rolling: moderate}`
                items[name] = tuple(first_line + item.start_mark.line for item, _ in value.value)
    return lines, items

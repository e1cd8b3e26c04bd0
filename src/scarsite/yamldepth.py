"""Parse stage, part: how deep lists and mappings nest in YAML, measured on the text.

YAML parsers go as deep as the text does (PyYAML builds its tree by recursion) or stop
at a depth of their own with words of their own (libyaml, in recent versions, at 1,000),
so `yaml_nesting` measures the depth before any parser sees the text: the limit and its
message are then the same with every PyYAML.
"""

from __future__ import annotations

import re

_SEQ, _MAP, _INDENTLESS = 0, 1, 2  # kinds of block collection (_INDENTLESS: see `_open`)
_DOUBLE_QUOTED_END = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"')  # from after the opening quote
_SINGLE_QUOTED_END = re.compile(r"[^']*(?:''[^']*)*'(?!')")
# The usual line: a key, a list entry or both, then nothing, a string, a list of plain words
# and strings in brackets, or plain text.
_USUAL_LINE = re.compile(r"""
    (?P<indent>\ *)
    (?: (?P<entry>-\ +) (?:(?P<entry_key>[0-9A-Za-z_][0-9A-Za-z_-]*):(?:\ +|$))?
      | (?P<key>[0-9A-Za-z_][0-9A-Za-z_-]*):(?:\ +|$) )
    (?: (?P<closed>"[^"\\]*" | '[^']*'
                 | \[ [^][{}"'\#:?&!*|>]* (?:(?:"[^"\\]*"|'[^']*') [^][{}"'\#:?&!*|>]*)* \])\ *
      | (?P<plain>[^-?:,[\]{}\#&*!|>'"%@`\ \t][^\#:\t]*) )?
    $""", re.VERBOSE)
_PLAIN_END = re.compile(r":(?=[ \t]|$)|[ \t]#")  # in a block: a value indicator, a comment
_FLOW_STOP = re.compile(r"[\[\]{},:?#\"'&!*]")
_ANCHOR = re.compile(r"[&*][0-9A-Za-z_-]*")  # an anchor or an alias
_TAG = re.compile(r"![^ \t]*")
_COMMENT = re.compile(r"[ \t]#")
_BLANKS = re.compile(r"[ \t]*")
_YAML_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


class _Deep(Exception):
    """Lists and mappings nest too deep at `line`."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def yaml_nesting(text: str, limit: int) -> int | None:
    """The line index in the YAML `text` where lists and mappings first nest more than
    `limit` deep, or None.

    YAML parsers go as deep as the text does (PyYAML builds its tree by recursion) or stop
    at a depth of their own with words of their own (libyaml, in recent versions, at 1,000),
    so the depth is measured here, on the text, before any parser sees it: the limit and its
    message are the same with every PyYAML. The levels counted are those the parser's
    events open: block lists and mappings, by their columns; flow lists and mappings, by
    their brackets; and the one-pair mapping that `key: value` makes as an item of a flow
    list. Quoted, plain and block scalars, comments, anchors and tags are read as a parser
    reads them. On text that is not YAML the count can be higher than what a parser opens
    before it stops at the mistake, never lower (tests/test_fuzz.py compares the two).
    """
    if "\r" in text:  # a line break in YAML too
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.isascii():
        text = _YAML_LINE_BREAKS.sub("\n", text.removeprefix("\ufeff"))
    cols: list[int] = []  # the open block collections, as in `_YamlNesting`
    kinds: list[int] = []
    scanner = None
    plain: int | None = None  # scanner.plain, while usual lines are read here
    usual_state = True  # no string, flow collection, block scalar, anchor or tag is open
    try:
        for number, line in enumerate(text.split("\n")):
            # The usual line is read here, as `scanner.read` would read it but in fewer
            # steps: this saves 10 ms in the front matter of 1,000 articles (6 ms, not 16).
            usual = _USUAL_LINE.match(line) if usual_state else None
            if usual:
                spaces, entry, entry_key, _, closed, plain_text = usual.groups()
                indent = len(spaces)
                if plain is None or indent <= plain:
                    while cols and cols[-1] > indent:
                        cols.pop()
                        kinds.pop()
                    top = cols[-1] if cols else -1
                    if entry:
                        if indent > top:
                            cols.append(indent)
                            kinds.append(_SEQ)
                        elif kinds[-1] == _MAP:
                            cols.append(indent)
                            kinds.append(_INDENTLESS)
                        key = indent + len(entry) if entry_key else -1
                    else:
                        if indent == top and kinds[-1] == _INDENTLESS:
                            cols.pop()
                            kinds.pop()
                        key = indent
                    if key > (cols[-1] if cols else -1):
                        cols.append(key)
                        kinds.append(_MAP)
                    if len(cols) > limit:
                        raise _Deep(number)
                    plain = (cols[-1] if cols else -1) if plain_text else None
                    if closed and closed[0] == "[" and len(cols) + 1 > limit:
                        raise _Deep(number)
                    continue
            if scanner is None:
                scanner = _YamlNesting(limit, cols, kinds)
            scanner.number, scanner.plain = number, plain
            if not scanner.read(line):
                break
            plain = scanner.plain
            usual_state = not (scanner.quote or scanner.flow or scanner.props is not None
                               or scanner.block_scalar is not None)
    except _Deep as deep:
        return deep.line
    return None


def _skip_blanks(line: str, pos: int) -> int:
    return _BLANKS.match(line, pos).end()  # type: ignore[union-attr]


def _quote_end(line: str, pos: int, quote: str) -> int:
    """Where the quoted string that goes on at `pos` ends on this line (after its closing
    quote), or -1 when it goes on over the line break."""
    match = (_DOUBLE_QUOTED_END if quote == '"' else _SINGLE_QUOTED_END).match(line, pos)
    return match.end() if match else -1


class _YamlNesting:
    """What `yaml_nesting` knows from one line to the next."""

    def __init__(self, limit: int, cols: list[int], kinds: list[int]) -> None:
        self.limit = limit
        self.number = 0  # the line index
        self.cols = cols  # the open block collections, outermost first: columns
        self.kinds = kinds  # and kinds
        self.flow: list[str] = []  # the open flow collections: '[' or '{'
        self.pairs: list[bool] = []  # for each: a one-pair mapping is open in this item
        self.widest: list[int] = []  # for each: the deepest level reached in this item
        self.open_pairs = 0
        self.flow_deepest = 0  # the deepest level reached in the outermost flow collection
        self.token_start = True  # in a flow collection: a quote or '?' here starts a token
        self.adjacent = False  # after a quoted string or a collection: ':' is a value
        self.quote = ""  # the quote of a string that goes on over lines
        self.block_scalar: int | None = None  # in a '|' or '>' block: lines indented more
        self.plain: int | None = None  # a plain scalar may go on: lines indented more
        self.props: int | None = None  # the line of an anchor or tag for the next node

    def read(self, line: str) -> bool:
        """Read one line; False where no YAML parser reads on (a tab that indents)."""
        if self.quote:
            end = _quote_end(line, 0, self.quote)
            if end < 0:
                return True
            self.quote = ""
            if self.flow:
                self.token_start, self.adjacent = False, True
                self._flow(line, end)
            return True  # a string of many lines is not a key: nothing more opens
        if self.flow:
            self._flow(line, 0)
            return True
        text = line.lstrip(" ")
        indent = len(line) - len(text)
        if self.block_scalar is not None:
            if indent > self.block_scalar or not text.strip(" \t"):
                return True
            self.block_scalar = None
        if not text:
            return True
        first = text[0]
        if first == "#":  # a comment, which also ends a plain scalar
            self.plain = None
            return True
        if first in "-." and not indent and text[:3] in ("---", "...") and text[3:4] in (
                "", " ", "\t"):
            self.cols.clear()  # a new document
            self.kinds.clear()
            self.plain = self.props = None
            if first == "-":
                self._node(line, _skip_blanks(line, 3))
            return True
        if self.plain is not None:
            if indent > self.plain:  # the plain scalar goes on, up to a comment
                if "#" in text and _COMMENT.search(text):
                    self.plain = None
                return True
            self.plain = None
        if first == "\t":
            return False  # parsers refuse a tab before the first token of a line
        cols, kinds = self.cols, self.kinds
        while cols and cols[-1] > indent:
            cols.pop()
            kinds.pop()
        if kinds and kinds[-1] == _INDENTLESS and cols[-1] == indent and not (
                first == "-" and text[1:2] in ("", " ", "\t")):
            cols.pop()  # a list in its mapping's column ends at the mapping's next key
            kinds.pop()
        self._node(line, indent)
        return True

    def _node(self, line: str, pos: int) -> None:
        """Read a line outside flow collections from `pos`: entries, keys and a value."""
        n = len(line)
        while pos < n:
            char = line[pos]
            if char in "-?:" and (pos + 1 == n or line[pos + 1] in " \t"):
                self._open(pos, _SEQ if char == "-" else _MAP)  # '- ', '? ' or ': '
                pos = _skip_blanks(line, pos + 1)
                continue
            start = pos
            while char in "&!":  # an anchor or a tag, for the node after it
                if self.props is None:
                    self.props = self.number
                pos = _skip_blanks(line, (_ANCHOR if char == "&" else _TAG).match(line, pos).end())
                if pos == n:
                    return
                char = line[pos]
            if char == "#":
                return
            deepest = None
            if char in "|>":
                self.block_scalar = max(self.cols[-1], 0) if self.cols else 0
                self.props = None
                return
            if char in "[{\"'":
                if char in "[{":
                    self.flow_deepest = 0
                    pos = self._flow(line, pos)
                    if self.flow or self.quote:
                        return
                    deepest = self.flow_deepest
                else:
                    pos = _quote_end(line, pos + 1, char)
                    if pos < 0:
                        self.quote = char
                        self.props = None
                        return
                pos = _skip_blanks(line, pos)
                if pos < n and line[pos] == "#":  # a comment, even without a blank before
                    self.props = None
                    return
            # a key if a value indicator follows (whatever is between is a mistake)
            match = _PLAIN_END.search(line, pos)
            if match is None or match.group() != ":":
                if match is None and char not in "[{\"'":
                    self.plain = self.cols[-1] if self.cols else -1
                self.props = None
                return
            opened = self._open(start, _MAP)
            if opened is not None and deepest is not None and deepest + 1 > self.limit:
                raise _Deep(opened)  # a flow collection as the first key of a mapping
            pos = _skip_blanks(line, match.end())

    def _open(self, col: int, kind: int) -> int | None:
        """A block list entry or mapping key at `col`: the line of the collection it opens."""
        cols, kinds = self.cols, self.kinds
        top = cols[-1] if cols else -1
        if col > top:
            cols.append(col)
            kinds.append(kind)
        elif col == top and kind == _SEQ and kinds[-1] == _MAP:
            cols.append(col)  # a list as a mapping's value may start in the mapping's column
            kinds.append(_INDENTLESS)
        else:
            self.props = None  # they were for an empty node before this entry or key
            return None
        line = self.number if self.props is None else self.props
        self.props = None
        if len(cols) > self.limit:
            raise _Deep(line)
        return line

    def _flow(self, line: str, pos: int) -> int:
        """Read flow collections from `pos`; where the outermost closes, or the line's end."""
        n = len(line)
        flow, pairs, widest = self.flow, self.pairs, self.widest
        while pos < n:
            match = _FLOW_STOP.search(line, pos)
            at = match.start() if match else n
            if at > pos and line[pos:at].strip(" \t"):  # plain text
                self.token_start = self.adjacent = False
                self.props = None
            if match is None:
                return n
            char = line[at]
            pos = at + 1
            if char in "[{":
                flow.append(char)
                pairs.append(False)
                depth = len(self.cols) + len(flow) + self.open_pairs
                widest.append(depth)
                self._reached(depth)
                self.token_start, self.adjacent = True, False
                continue
            if char in "&!" and self.token_start:
                if self.props is None:
                    self.props = self.number
                pos = (_ANCHOR if char == "&" else _TAG).match(line, at).end()
                continue
            self.props = None
            if char in "]}":
                self._end_item()
                flow.pop()
                pairs.pop()
                deepest = widest.pop()
                if widest and deepest > widest[-1]:
                    widest[-1] = deepest
                self.token_start, self.adjacent = False, True
                if not flow:
                    return pos
            elif char == ",":
                self._end_item()
                widest[-1] = len(self.cols) + len(flow) + self.open_pairs
                self.token_start, self.adjacent = True, False
            elif char == "#":
                if self.token_start or self.adjacent or at == 0 or line[at - 1] in " \t":
                    self.token_start, self.adjacent = True, False
                    return n
                self.token_start = self.adjacent = False
            elif char in "\"'":
                if self.token_start:
                    end = _quote_end(line, pos, char)
                    if end < 0:
                        self.quote = char
                        return n
                    pos = end
                    self.token_start, self.adjacent = False, True
                else:
                    self.adjacent = False  # inside plain text
            elif char == "*" and self.token_start:  # an alias
                pos = _ANCHOR.match(line, at).end()
                self.token_start, self.adjacent = False, True
            elif char in "&!*" or (char == "?" and not self.token_start):
                self.adjacent = False  # inside plain text
            elif char == ":" and not (self.token_start or self.adjacent
                                      or line[pos:pos + 1] in ("", " ", "\t", ",", "[", "]",
                                                                "{", "}")):
                self.token_start = self.adjacent = False  # inside plain text
            else:  # '?' or ':' that starts or ends a key
                if flow[-1] == "[" and not pairs[-1]:
                    pairs[-1] = True  # `[a: b]` is a list of one mapping
                    self.open_pairs += 1
                    widest[-1] += 1
                    self._reached(widest[-1])
                self.token_start, self.adjacent = True, False
        return n

    def _reached(self, depth: int) -> None:
        self.flow_deepest = max(self.flow_deepest, depth)
        if depth > self.limit:
            line = self.number if self.props is None else self.props
            raise _Deep(line)
        self.props = None

    def _end_item(self) -> None:
        if self.pairs[-1]:
            self.pairs[-1] = False
            self.open_pairs -= 1

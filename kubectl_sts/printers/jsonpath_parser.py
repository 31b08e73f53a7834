"""kubectl's JSONPath template dialect (client-go ``util/jsonpath``): the parser. A template is
the text outside braces and, for each ``{action}``, its nodes (plain tuples tagged by their
first element), which jsonpath.py evaluates. Also kubectl's relaxed form of a path (``--sort-by``,
custom columns). Pure: no I/O, no third-party imports."""

import re
from typing import Any, List, NamedTuple, Tuple, Union

__all__ = ["JSONPathError", "EngineError", "Node", "Template", "parse", "relaxed"]


class JSONPathError(ValueError):
    """A template that does not parse, or fails on the data; ``reason`` is the bare upstream error."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


class EngineError(Exception):
    """An error of the parser or the evaluator in upstream's words, wrapped into JSONPathError
    with kubectl's prefix by parse, execute and results."""


# ---- nodes: plain tuples, tagged by their first element ---------------------------------------
Node = Tuple[Any, ...]
Param = Tuple[bool, int, bool]          # (known, value, derived)


class Template(NamedTuple):
    source: str
    parts: List[Union[str, List[Node]]]   # text outside braces, or the nodes of one {action}


_TERMINATORS = set(" \t\r\n.,[]$@{}")
_DICT_KEY = re.compile(r"^'([^']*)'$")
_SLICE = re.compile(r"^(-?[0-9]*)(:-?[0-9]*)?(:-?[0-9]*)?$")
_FILTER = re.compile(r"^([^!<>=]+)([!<>=]+)(.+?)$")
_SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def _alnum(c: str) -> bool:
    return c == "_" or c.isalpha() or c.isdigit()


def _go_rune(c: str) -> str:
    return "U+%04X '%s'" % (ord(c), c) if c.isprintable() else "U+%04X" % ord(c)


def _unquote(s: str) -> str:
    quote, body, out, i = s[0], s[1:-1], [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1:i + 2]
        if e in _SIMPLE_ESC:
            out.append(_SIMPLE_ESC[e])
            i += 2
        elif e == quote:
            out.append(e)
            i += 2
        elif e in ("x", "u", "U"):
            n = {"x": 2, "u": 4, "U": 8}[e]
            digits = body[i + 2:i + 2 + n]
            if len(digits) != n or not all(d in "0123456789abcdefABCDEF" for d in digits):
                raise EngineError("unquote string %s error invalid syntax" % s)
            out.append(chr(int(digits, 16)))
            i += 2 + n
        elif re.match(r"[0-7]{3}", body[i + 1:i + 4]) and int(body[i + 1:i + 4], 8) < 256:
            out.append(chr(int(body[i + 1:i + 4], 8)))
            i += 4
        else:
            raise EngineError("unquote string %s error invalid syntax" % s)
    return "".join(out)


class _Parser:
    def __init__(self, text: str) -> None:
        self.s, self.pos = text, 0

    def peek(self) -> str:
        return self.s[self.pos:self.pos + 1]

    def template(self) -> List[Union[str, List[Node]]]:
        parts: List[Union[str, List[Node]]] = []
        while self.pos < len(self.s):
            brace = self.s.find("{", self.pos)
            if brace < 0:
                parts.append(self.s[self.pos:])
                break
            if brace > self.pos:
                parts.append(self.s[self.pos:brace])
            self.pos = brace + 1
            nodes: List[Node] = []
            self.action(nodes)
            parts.append(nodes)
        return parts

    def action(self, cur: List[Node]) -> None:
        """Parse the inside of one {action} up to and including its closing brace."""
        while True:
            # startswith at pos, never a copy of the rest: a copy per token made a long
            # template quadratic (500 000 actions took minutes)
            if self.s.startswith("}", self.pos):
                self.pos += 1
                return
            if self.s.startswith("[?(", self.pos):
                self.filter(cur)
                continue
            if self.s.startswith("..", self.pos):
                if cur and cur[-1][0] == "recursive":
                    raise EngineError("invalid multiple recursive descent")
                self.pos += 2
                cur.append(("recursive",))
                if _alnum(self.peek()):
                    self.field(cur)
                continue
            c = self.peek()
            if c in ("", "\r", "\n"):
                raise EngineError("unclosed action")
            self.pos += 1
            if c in " @$":
                continue
            if c == "[":
                self.array(cur)
            elif c in "\"'":
                self.quote(cur, c)
            elif c == ".":
                self.field(cur)
            elif c in "+-" or c.isdigit():
                self.pos -= 1
                self.number(cur)
            elif _alnum(c):
                self.pos -= 1
                self.identifier(cur)
            else:
                raise EngineError("unrecognized character in action: %s" % _go_rune(c))

    def word(self) -> str:
        start = self.pos
        while self.pos < len(self.s) and self.s[self.pos] not in _TERMINATORS:
            self.pos += 2 if self.s[self.pos] == "\\" else 1
        self.pos = min(self.pos, len(self.s))
        return self.s[start:self.pos]

    def field(self, cur: List[Node]) -> None:
        value = self.word()
        cur.append(("wildcard",) if value == "*" else ("field", value.replace("\\", "")))

    def identifier(self, cur: List[Node]) -> None:
        value = self.word()
        cur.append(("bool", value == "true") if value in ("true", "false") else ("ident", value))

    def number(self, cur: List[Node]) -> None:
        start = self.pos
        if self.peek() in ("+", "-"):
            self.pos += 1
        while self.peek() != "" and (self.peek() == "." or self.peek().isdigit()):
            self.pos += 1
        value = self.s[start:self.pos]
        if re.match(r"^[+-]?[0-9]+$", value):
            cur.append(("int", int(value)))
            return
        try:
            cur.append(("float", float(value)))
        except ValueError:
            raise EngineError("cannot parse number %s" % value) from None

    def quote(self, cur: List[Node], end: str) -> None:
        start = self.pos - 1
        while True:
            c = self.peek()
            if c in ("", "\n"):
                raise EngineError("unterminated quoted string")
            self.pos += 1
            if c == end and self.s[self.pos - 2] != "\\":
                break
        cur.append(("text", _unquote(self.s[start:self.pos])))

    def array(self, cur: List[Node]) -> None:
        end = self.pos
        while end < len(self.s) and self.s[end] not in "]\n":
            end += 1
        if end >= len(self.s) or self.s[end] == "\n":
            raise EngineError("unterminated array")
        text, self.pos = self.s[self.pos:end], end + 1
        text = ":" if text == "*" else text
        pieces = text.split(",")
        if len(pieces) > 1:
            cur.append(("union", [_sub_action("[%s]" % p.strip(" ")) for p in pieces]))
            return
        key = _DICT_KEY.match(text)
        if key:
            cur.extend(_sub_action("." + key.group(1)))
            return
        m = _SLICE.match(text)
        if not m:
            raise EngineError("invalid array index %s" % text)
        params: List[Param] = []
        for i, raw in enumerate(m.groups()):
            raw = raw or ""
            if raw:
                raw = raw[1:] if i > 0 else raw
                if i > 0 and raw == "":
                    params.append((False, 0, False))
                    continue
                try:
                    params.append((True, int(raw), False))
                except ValueError:
                    raise EngineError("array index %s is not a number" % raw) from None
            elif i == 1:
                params.append((True, params[0][1] + 1, True))
            else:
                params.append((False, 0, False))
        cur.append(("array", tuple(params)))

    def filter(self, cur: List[Node]) -> None:
        self.pos += 3
        start, begin, end, pair = self.pos, False, False, ""
        while True:
            c = self.peek()
            if c in ("", "\n"):
                raise EngineError("unterminated filter")
            self.pos += 1
            if c in "\"'":
                if not begin:
                    begin, pair = True, c
                elif self.s[self.pos - 2] != "\\" and c == pair:
                    end = True
            elif c == ")" and begin == end:
                break
        if self.peek() != "]":
            raise EngineError("unclosed array expect ]")
        self.pos += 1
        text = self.s[start:self.pos - 2]
        m = _FILTER.match(text)
        if m is None:
            cur.append(("filter", _sub_action(text), [], "exists"))
        else:
            cur.append(("filter", _sub_action(m.group(1)), _sub_action(m.group(3)), m.group(2)))


def _sub_action(text: str) -> List[Node]:
    p = _Parser("{%s}" % text)
    p.pos = 1
    nodes: List[Node] = []
    p.action(nodes)
    return nodes


MAX_RANGE_DEPTH = 100


def _check_depth(parts: List[Union[str, List[Node]]]) -> None:
    """Nested {range} are evaluated recursively: more than MAX_RANGE_DEPTH is refused here
    with a clear error (upstream's Go stack takes thousands; Python's would overflow)."""
    depth = 0
    for part in parts:
        if isinstance(part, str) or not part:
            continue
        if part[0] == ("ident", "range"):
            depth += 1
            if depth > MAX_RANGE_DEPTH:
                raise EngineError("more than %d nested range actions" % MAX_RANGE_DEPTH)
        elif part == [("ident", "end")] and depth:
            depth -= 1


def parse(template: str) -> Template:
    """Parse TEMPLATE; JSONPathError carries kubectl's `error parsing jsonpath ...` message."""
    try:
        parts = _Parser(template).template()
        _check_depth(parts)
        return Template(template, parts)
    except EngineError as e:
        raise JSONPathError("error parsing jsonpath %s, %s" % (template, e), str(e)) from None


_RELAXED = re.compile(r"^\{\.?([^{}]+)\}$|^\.?([^{}]+)$")


def relaxed(expr: str) -> str:
    """kubectl's RelaxedJSONPathExpression: `a.b`, `.a.b`, `{a.b}` and `{.a.b}` all become `{.a.b}`."""
    if not expr:
        return expr
    m = _RELAXED.match(expr)
    if m is None:
        raise JSONPathError("unexpected path string, expected a 'name1.name2' or '.name1.name2' or "
                            "'{name1.name2}' or '{.name1.name2}'")
    return "{.%s}" % (m.group(1) or m.group(2))

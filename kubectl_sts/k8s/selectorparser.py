"""The label selector query string's lexer and parser (``labels.Parse`` of
``k8s.io/apimachinery``): what ``kubectl -l`` and the API server's ``labelSelector`` accept,
with the API server's error messages.  The requirements it builds, their matching and
formatting are in k8s/selectors.py.
"""

from typing import List, Optional, Set, Tuple

from .names import is_qualified_name
from .selectors import (BINARY_OPERATORS, DOES_NOT_EXIST, DOUBLE_EQUALS, EQUALS, EXISTS,
                        GREATER_THAN, IN, LESS_THAN, NOT_EQUALS, NOT_IN, Requirement,
                        SelectorError, field_invalid, new_requirement, sorted_by_key)

__all__ = ["parse_label_selector"]

Token = Tuple[str, str]                 # (kind, literal)

# Token kinds
_ERROR = "error"
_EOS = "eos"
_CLOSED_PAR = "closedpar"
_COMMA = "comma"
_NOT = "not"  # DoesNotExistToken "!"
_DOUBLE_EQUALS = "doubleequals"
_EQUALS = "equals"
_GT = "gt"
_IDENT = "identifier"
_IN = "in"
_LT = "lt"
_NOT_EQUALS = "notequals"
_NOT_IN = "notin"
_OPEN_PAR = "openpar"

_STRING_TO_TOKEN = {
    ")": _CLOSED_PAR,
    ",": _COMMA,
    "!": _NOT,
    "==": _DOUBLE_EQUALS,
    "=": _EQUALS,
    ">": _GT,
    "in": _IN,
    "<": _LT,
    "!=": _NOT_EQUALS,
    "notin": _NOT_IN,
    "(": _OPEN_PAR,
}

_WHITESPACE = " \t\r\n"
_SPECIAL = "=!(),><"


def _lex(text: str) -> List[Token]:
    """Tokenize a label selector the way labels.Lexer does."""
    items: List[Token] = []
    pos = 0
    n = len(text)
    while True:
        while pos < n and text[pos] in _WHITESPACE:
            pos += 1
        if pos >= n:
            items.append((_EOS, ""))
            return items
        ch = text[pos]
        if ch in _SPECIAL:
            buf = ""
            last: Optional[Token] = None
            while pos < n and text[pos] in _SPECIAL:
                candidate = buf + text[pos]
                tok = _STRING_TO_TOKEN.get(candidate)
                if tok is not None:
                    buf = candidate
                    last = (tok, candidate)
                    pos += 1
                elif last is not None:
                    break
                else:
                    buf = candidate
                    pos += 1
            if last is None:
                items.append((_ERROR, "error expected: keyword found '%s'" % buf))
            else:
                items.append(last)
        else:
            start = pos
            while pos < n and text[pos] not in _SPECIAL and text[pos] not in _WHITESPACE:
                pos += 1
            word = text[start:pos]
            tok = _STRING_TO_TOKEN.get(word)
            items.append((tok, word) if tok is not None else (_IDENT, word))


class _Parser(object):
    KEY_AND_OPERATOR = 0
    VALUES = 1

    def __init__(self, text: str) -> None:
        self.items = _lex(text)
        self.pos = 0

    def _adjust(self, item: Token, context: int) -> Token:
        tok, lit = item
        if context == self.VALUES and tok in (_IN, _NOT_IN):
            tok = _IDENT
        return tok, lit

    def lookahead(self, context: int) -> Token:
        return self._adjust(self.items[self.pos], context)

    def consume(self, context: int) -> Token:
        item = self.items[self.pos]
        self.pos += 1
        return self._adjust(item, context)

    def parse(self) -> List[Requirement]:
        requirements = []
        while True:
            tok, lit = self.lookahead(self.VALUES)
            if tok in (_IDENT, _NOT):
                try:
                    requirements.append(self.parse_requirement())
                except SelectorError as e:
                    raise SelectorError("unable to parse requirement: %s" % e)
                t, lit = self.consume(self.VALUES)
                if t == _EOS:
                    return requirements
                if t == _COMMA:
                    t2, l2 = self.lookahead(self.VALUES)
                    if t2 not in (_IDENT, _NOT):
                        raise SelectorError("found '%s', expected: identifier after ','" % l2)
                else:
                    raise SelectorError("found '%s', expected: ',' or 'end of string'" % lit)
            elif tok == _EOS:
                return requirements
            else:
                raise SelectorError("found '%s', expected: !, identifier, or 'end of string'" % lit)

    def parse_requirement(self) -> Requirement:
        key, op = self.parse_key_and_infer_operator()
        if op in (EXISTS, DOES_NOT_EXIST):
            return new_requirement(key, op, [])
        op = self.parse_operator()
        if op in (IN, NOT_IN):
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return new_requirement(key, op, sorted(values))

    def parse_key_and_infer_operator(self) -> Tuple[str, Optional[str]]:
        op = None
        tok, lit = self.consume(self.VALUES)
        if tok == _NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.consume(self.VALUES)
        if tok != _IDENT:
            raise SelectorError("found '%s', expected: identifier" % lit)
        key_errs = is_qualified_name(lit)
        if key_errs:
            # The parser validates keys with a nil field path, hence "<nil>".
            raise SelectorError(field_invalid("<nil>", lit, "; ".join(key_errs)))
        t, _ = self.lookahead(self.VALUES)
        if t in (_EOS, _COMMA) and op != DOES_NOT_EXIST:
            op = EXISTS
        return lit, op

    def parse_operator(self) -> str:
        tok, lit = self.consume(self.KEY_AND_OPERATOR)
        ops = {
            _IN: IN,
            _EQUALS: EQUALS,
            _DOUBLE_EQUALS: DOUBLE_EQUALS,
            _GT: GREATER_THAN,
            _LT: LESS_THAN,
            _NOT_IN: NOT_IN,
            _NOT_EQUALS: NOT_EQUALS,
        }
        if tok not in ops:
            raise SelectorError("found '%s', expected: %s" % (lit, ", ".join(BINARY_OPERATORS)))
        return ops[tok]

    def parse_values(self) -> Set[str]:
        tok, lit = self.consume(self.VALUES)
        if tok != _OPEN_PAR:
            raise SelectorError("found '%s' expected: '('" % lit)
        tok, lit = self.lookahead(self.VALUES)
        if tok in (_IDENT, _COMMA):
            values = self.parse_identifiers_list()
            tok2, _ = self.consume(self.VALUES)
            if tok2 != _CLOSED_PAR:
                raise SelectorError("found '%s', expected: ')'" % lit)
            return values
        if tok == _CLOSED_PAR:
            self.consume(self.VALUES)
            return {""}
        raise SelectorError("found '%s', expected: ',', ')' or identifier" % lit)

    def parse_identifiers_list(self) -> Set[str]:
        values = set()
        while True:
            tok, lit = self.consume(self.VALUES)
            if tok == _IDENT:
                values.add(lit)
                tok2, lit2 = self.lookahead(self.VALUES)
                if tok2 == _COMMA:
                    continue
                if tok2 == _CLOSED_PAR:
                    return values
                raise SelectorError("found '%s', expected: ',' or ')'" % lit2)
            if tok == _COMMA:
                if not values:
                    values.add("")  # "(,"
                tok2, _ = self.lookahead(self.VALUES)
                if tok2 == _CLOSED_PAR:
                    values.add("")  # ",)"
                    return values
                if tok2 == _COMMA:
                    self.consume(self.VALUES)
                    values.add("")  # ",,"
                continue
            raise SelectorError("found '%s', expected: ',', or identifier" % lit)

    def parse_exact_value(self) -> Set[str]:
        tok, _ = self.lookahead(self.VALUES)
        if tok in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume(self.VALUES)
        if tok == _IDENT:
            return {lit}
        raise SelectorError("found '%s', expected: identifier" % lit)


def parse_label_selector(text: Optional[str]) -> List[Requirement]:
    """Parse a ``labelSelector`` query string into a list of requirements.

    Supports ``a=b``, ``a==b``, ``a!=b``, ``a in (x,y)``, ``a notin (x)``,
    ``a``, ``!a``, ``a>1``, ``a<1``, comma separated, whitespace tolerant.
    The result is sorted by key, like ``labels.Parse``.  An empty (or ``None``)
    selector yields ``[]``, which matches everything.  Raises
    :class:`SelectorError` with the API server's message on bad input.
    """
    if not text:
        return []
    requirements = _Parser(text).parse()
    return sorted_by_key(requirements)

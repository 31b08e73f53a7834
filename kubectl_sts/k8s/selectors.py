"""Label and field selectors, as the Kubernetes API server understands them.

This module mirrors the behaviour of ``k8s.io/apimachinery`` (``labels`` and
``fields`` packages) closely enough that the simulated API server accepts and
rejects the same ``labelSelector`` / ``fieldSelector`` query strings as a real
kube-apiserver (v1.32), with the same error messages (which the server returns
as a 400 BadRequest).

Everything here is a pure function over plain JSON-compatible data; inputs are
never mutated.

Requirements are represented as immutable named tuples:

* :class:`Requirement` ``(key, operator, values)`` for label selectors, where
  ``operator`` is one of the apimachinery ``selection.Operator`` strings
  (``"="``, ``"=="``, ``"!="``, ``"in"``, ``"notin"``, ``"exists"``, ``"!"``,
  ``"gt"``, ``"lt"``) and ``values`` is a tuple of strings;
* :class:`FieldRequirement` ``(field, operator, value)`` for field selectors,
  with ``operator`` one of ``"="``, ``"=="``, ``"!="``.
"""

import re
from collections import namedtuple
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence  # noqa: F401 (type comments)

__all__ = [
    "SelectorError",
    "Requirement",
    "FieldRequirement",
    "EQUALS",
    "DOUBLE_EQUALS",
    "NOT_EQUALS",
    "IN",
    "NOT_IN",
    "EXISTS",
    "DOES_NOT_EXIST",
    "GREATER_THAN",
    "LESS_THAN",
    "parse_label_selector",
    "selector_from_label_selector",
    "selector_from_set",
    "matches_labels",
    "format_requirements",
    "format_label_selector",
    "format_labels",
    "parse_field_selector",
    "matches_fields",
    "field_value",
    "escape_field_value",
    "validate_label_key",
    "validate_label_value",
]


class SelectorError(Exception):
    """An unparsable or invalid selector.

    ``str(e)`` is the message the real API server puts in its 400 BadRequest
    Status for the same input.
    """


# selection.Operator values (k8s.io/apimachinery/pkg/selection).
EQUALS = "="
DOUBLE_EQUALS = "=="
NOT_EQUALS = "!="
IN = "in"
NOT_IN = "notin"
EXISTS = "exists"
DOES_NOT_EXIST = "!"
GREATER_THAN = "gt"
LESS_THAN = "lt"

_BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)

Requirement = namedtuple("Requirement", ["key", "operator", "values"])
Requirement.__doc__ = "One label selector requirement: key, operator, tuple of values."

FieldRequirement = namedtuple("FieldRequirement", ["field", "operator", "value"])
FieldRequirement.__doc__ = "One field selector term: dotted field path, operator, value."


# Label keys and values are checked by the format validators of k8s/names.py.
from .gostrings import go_quote  # noqa: E402
from .names import (  # noqa: E402
    is_dns1123_subdomain as _is_dns1123_subdomain,  # noqa: F401
    is_qualified_name as _is_qualified_name,
    is_valid_label_value as _is_valid_label_value,
    max_len_error, regex_error,  # noqa: F401 (used by the sandbox's validation too)
)


def validate_label_key(key):
    # type: (str) -> List[str]
    """Return the list of problems with ``key`` as a label key (empty if valid)."""
    return _is_qualified_name(key)


def validate_label_value(value):
    # type: (str) -> List[str]
    """Return the list of problems with ``value`` as a label value (empty if valid)."""
    return _is_valid_label_value(value)


# ---------------------------------------------------------------------------
# Go-style error formatting (field.Error / utilerrors.Aggregate)
# ---------------------------------------------------------------------------

def _go_string_slice(values):
    """Go's ``%#v`` of a []string (``None`` stands for a nil slice)."""
    if values is None:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def _invalid(path, value, detail):
    """field.Invalid(path, value, detail).Error()."""
    if isinstance(value, str):
        shown = go_quote(value)
    else:
        shown = _go_string_slice(value)
    msg = "%s: Invalid value: %s" % (path, shown)
    if detail:
        msg += ": " + detail
    return msg


def _aggregate(messages):
    """utilerrors.NewAggregate(...).Error(): one message, or '[a, b]' (deduplicated)."""
    seen = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def _parse_int64(s):
    """strconv.ParseInt(s, 10, 64) succeeds?"""
    if not re.fullmatch(r"[+-]?[0-9]+", s):
        return None
    v = int(s)
    if v < -(2 ** 63) or v > 2 ** 63 - 1:
        return None
    return v


def _new_requirement(key, op, values, nil_values=False):
    """labels.NewRequirement with no field path.

    ``values`` is a sequence of strings; ``nil_values`` tells that a Go nil
    slice was passed (only matters for error messages).  Returns a
    :class:`Requirement` or raises :class:`SelectorError`.
    """
    errs = []
    key_errs = _is_qualified_name(key)
    if key_errs:
        errs.append(_invalid("key", key, "; ".join(key_errs)))
    shown_values = None if (nil_values and not values) else list(values)
    if op in (IN, NOT_IN):
        if len(values) == 0:
            errs.append(
                _invalid("values", shown_values, "for 'in', 'notin' operators, values set can't be empty")
            )
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errs.append(_invalid("values", shown_values, "exact-match compatibility requires one single value"))
    elif op in (EXISTS, DOES_NOT_EXIST):
        if len(values) != 0:
            errs.append(
                _invalid("values", shown_values, "values set must be empty for exists and does not exist")
            )
    elif op in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(
                _invalid("values", shown_values, "for 'Gt', 'Lt' operators, exactly one value is required")
            )
        for i, v in enumerate(values):
            if _parse_int64(v) is None:
                errs.append(
                    _invalid("values[%d]" % i, v, "for 'Gt', 'Lt' operators, the value must be an integer")
                )
    else:
        supported = ", ".join(go_quote(o) for o in _BINARY_OPERATORS + (EXISTS, DOES_NOT_EXIST))
        errs.append("operator: Unsupported value: %s: supported values: %s" % (go_quote(str(op)), supported))
    for i, v in enumerate(values):
        v_errs = _is_valid_label_value(v)
        if v_errs:
            errs.append(_invalid("values[%d][%s]" % (i, key), v, "; ".join(v_errs)))
    if errs:
        raise SelectorError(_aggregate(errs))
    return Requirement(key, op, tuple(values))


def _sorted_by_key(requirements):
    return sorted(requirements, key=lambda r: r.key)


# ---------------------------------------------------------------------------
# Label selector string parsing (labels.Parse)
# ---------------------------------------------------------------------------

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


def _lex(text):
    """Tokenize a label selector the way labels.Lexer does."""
    items = []
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
            last = None
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

    def __init__(self, text):
        self.items = _lex(text)
        self.pos = 0

    def _adjust(self, item, context):
        tok, lit = item
        if context == self.VALUES and tok in (_IN, _NOT_IN):
            tok = _IDENT
        return tok, lit

    def lookahead(self, context):
        return self._adjust(self.items[self.pos], context)

    def consume(self, context):
        item = self.items[self.pos]
        self.pos += 1
        return self._adjust(item, context)

    def parse(self):
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

    def parse_requirement(self):
        key, op = self.parse_key_and_infer_operator()
        if op in (EXISTS, DOES_NOT_EXIST):
            return _new_requirement(key, op, [])
        op = self.parse_operator()
        if op in (IN, NOT_IN):
            values = self.parse_values()
        else:
            values = self.parse_exact_value()
        return _new_requirement(key, op, sorted(values))

    def parse_key_and_infer_operator(self):
        op = None
        tok, lit = self.consume(self.VALUES)
        if tok == _NOT:
            op = DOES_NOT_EXIST
            tok, lit = self.consume(self.VALUES)
        if tok != _IDENT:
            raise SelectorError("found '%s', expected: identifier" % lit)
        key_errs = _is_qualified_name(lit)
        if key_errs:
            # The parser validates keys with a nil field path, hence "<nil>".
            raise SelectorError(_invalid("<nil>", lit, "; ".join(key_errs)))
        t, _ = self.lookahead(self.VALUES)
        if t in (_EOS, _COMMA) and op != DOES_NOT_EXIST:
            op = EXISTS
        return lit, op

    def parse_operator(self):
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
            raise SelectorError("found '%s', expected: %s" % (lit, ", ".join(_BINARY_OPERATORS)))
        return ops[tok]

    def parse_values(self):
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

    def parse_identifiers_list(self):
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

    def parse_exact_value(self):
        tok, _ = self.lookahead(self.VALUES)
        if tok in (_EOS, _COMMA):
            return {""}
        tok, lit = self.consume(self.VALUES)
        if tok == _IDENT:
            return {lit}
        raise SelectorError("found '%s', expected: identifier" % lit)


def parse_label_selector(text):
    # type: (Optional[str]) -> List[Requirement]
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
    return _sorted_by_key(requirements)


# ---------------------------------------------------------------------------
# metav1.LabelSelector
# ---------------------------------------------------------------------------

_EXPRESSION_OPERATORS = {
    "In": IN,
    "NotIn": NOT_IN,
    "Exists": EXISTS,
    "DoesNotExist": DOES_NOT_EXIST,
}


def selector_from_label_selector(obj):
    # type: (Optional[Mapping[str, Any]]) -> List[Requirement]
    """Convert a ``metav1.LabelSelector`` dict into requirements.

    ``{"matchLabels": {...}, "matchExpressions": [{"key", "operator", "values"}]}``
    with operators ``In``, ``NotIn``, ``Exists``, ``DoesNotExist``.  An empty
    or ``None`` selector gives ``[]`` (matches everything).  Invalid keys,
    values or operators raise :class:`SelectorError` with the message of
    ``metav1.LabelSelectorAsSelector``.
    """
    if not obj:
        return []
    match_labels = obj.get("matchLabels") or {}
    match_expressions = obj.get("matchExpressions") or []
    requirements = []
    for key in sorted(match_labels):
        value = match_labels[key]
        requirements.append(_new_requirement(str(key), EQUALS, [_as_str(value)]))
    for expr in match_expressions:
        expr = expr or {}
        operator = expr.get("operator")
        op = _EXPRESSION_OPERATORS.get(operator) if isinstance(operator, str) else None
        if op is None:
            raise SelectorError(
                "%s is not a valid label selector operator" % go_quote("" if operator is None else str(operator))
            )
        raw_values = expr.get("values")
        values = [_as_str(v) for v in (raw_values or [])]
        requirements.append(_new_requirement(_as_str(expr.get("key")), op, values, nil_values=True))
    return _sorted_by_key(requirements)


def selector_from_set(labels):
    # type: (Optional[Mapping[str, str]]) -> List[Requirement]
    """Requirements matching exactly the given ``{key: value}`` map (no validation)."""
    if not labels:
        return []
    return _sorted_by_key(Requirement(str(k), EQUALS, (_as_str(v),)) for k, v in labels.items())


def _as_str(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _requirement_matches(req, labels):
    key, op, values = req
    present = key in labels
    if op in (IN, EQUALS, DOUBLE_EQUALS):
        return present and labels[key] in values
    if op in (NOT_IN, NOT_EQUALS):
        return (not present) or labels[key] not in values
    if op == EXISTS:
        return present
    if op == DOES_NOT_EXIST:
        return not present
    if op in (GREATER_THAN, LESS_THAN):
        if not present or len(values) != 1:
            return False
        have = _parse_int64(labels[key])
        want = _parse_int64(values[0])
        if have is None or want is None:
            return False
        return have > want if op == GREATER_THAN else have < want
    return False


def matches_labels(requirements, labels):
    # type: (Iterable[Requirement], Optional[Mapping[str, str]]) -> bool
    """True if every requirement matches ``labels`` (``None`` means no labels)."""
    labels = labels or {}
    return all(_requirement_matches(Requirement(*r), labels) for r in requirements)


def _requirement_string(req):
    key, op, values = req
    out = "!" + key if op == DOES_NOT_EXIST else key
    if op in (EXISTS, DOES_NOT_EXIST):
        return out
    symbols = {
        EQUALS: "=",
        DOUBLE_EQUALS: "==",
        NOT_EQUALS: "!=",
        IN: " in ",
        NOT_IN: " notin ",
        GREATER_THAN: ">",
        LESS_THAN: "<",
    }
    out += symbols.get(op, "")
    joined = values[0] if len(values) == 1 else ",".join(sorted(values))
    if op in (IN, NOT_IN):
        return out + "(" + joined + ")"
    return out + joined


def format_requirements(requirements):
    # type: (Iterable[Requirement]) -> str
    """``Selector.String()``: requirements joined with ``,`` ('' when empty)."""
    return ",".join(_requirement_string(Requirement(*r)) for r in requirements)


def format_label_selector(obj, empty=""):
    # type: (Optional[Mapping[str, Any]], str) -> str
    """String form of a ``metav1.LabelSelector`` dict, e.g. ``app=web,tier in (db)``.

    This is ``LabelSelectorAsSelector(obj).String()``, what the API server
    puts in ``status.selector`` of a ``/scale`` subresource.  An empty or
    ``None`` selector gives ``empty`` (``""`` by default; the table printers'
    ``metav1.FormatLabelSelector`` shows ``"<none>"``).  Raises
    :class:`SelectorError` for an invalid selector.
    """
    text = format_requirements(selector_from_label_selector(obj))
    return text if text else empty


def format_labels(labels):
    # type: (Optional[Mapping[str, str]]) -> str
    """``labels.FormatLabels``: ``k=v`` sorted by key, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join("%s=%s" % (k, _as_str(labels[k])) for k in sorted(labels))


# ---------------------------------------------------------------------------
# Field selectors (fields.ParseSelector)
# ---------------------------------------------------------------------------

_TERM_OPERATORS = ("!=", "==", "=")


def _split_terms(text):
    terms = []
    start = 0
    in_slash = False
    for i, ch in enumerate(text):
        if in_slash:
            in_slash = False
        elif ch == "\\":
            in_slash = True
        elif ch == ",":
            terms.append(text[start:i])
            start = i + 1
    terms.append(text[start:])
    return terms


def _split_term(term):
    for i in range(len(term)):
        remaining = term[i:]
        for op in _TERM_OPERATORS:
            if remaining.startswith(op):
                return term[:i], op, term[i + len(op):]
    return None


def _unescape_value(value):
    if not any(c in value for c in "\\,="):
        return value
    out = []
    in_slash = False
    for ch in value:
        if in_slash:
            if ch in "\\,=":
                out.append(ch)
            else:
                raise SelectorError("invalid field selector: invalid escape sequence: \\" + ch)
            in_slash = False
            continue
        if ch == "\\":
            in_slash = True
        elif ch in ",=":
            # Go prints the rune with %v, i.e. as its code point number.
            raise SelectorError("invalid field selector: unescaped character in value: %d" % ord(ch))
        else:
            out.append(ch)
    if in_slash:
        raise SelectorError("invalid field selector: invalid escape sequence: \\")
    return "".join(out)


def escape_field_value(value):
    # type: (str) -> str
    """``fields.EscapeValue``: escape ``\\``, ``,`` and ``=`` for use in a selector."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def parse_field_selector(text):
    # type: (Optional[str]) -> List[FieldRequirement]
    """Parse a ``fieldSelector`` query string.

    Terms are ``path=value``, ``path==value`` or ``path!=value`` separated by
    commas; ``\\,``, ``\\=`` and ``\\\\`` escape those characters in values.
    Terms come back sorted, like ``fields.ParseSelector``.  Raises
    :class:`SelectorError` with the server's message on bad input.
    """
    if not text:
        return []
    requirements = []
    for part in sorted(_split_terms(text)):
        if part == "":
            continue
        split = _split_term(part)
        if split is None:
            raise SelectorError("invalid selector: '%s'; can't understand '%s'" % (text, part))
        lhs, op, rhs = split
        requirements.append(FieldRequirement(lhs, op, _unescape_value(rhs)))
    return requirements


# Boolean fields the server always has (Go zero value false) even when absent
# from the JSON.
_BOOL_FIELDS_DEFAULT_FALSE = frozenset(["spec.hostNetwork", "spec.unschedulable"])


def _stringify_field(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return ""


def field_value(obj, path):
    # type: (Mapping[str, Any], str) -> str
    """The string value of dotted ``path`` in ``obj`` as a field selector sees it.

    A missing field is ``""``; booleans are ``"true"``/``"false"``.  For Events
    ``source`` is ``source.component`` (or ``reportingComponent``), as in the
    API server's event field set.
    """
    if obj is None:
        return ""
    if path == "source" and obj.get("kind") == "Event":
        source = obj.get("source")
        component = source.get("component") if isinstance(source, dict) else None
        return _stringify_field(component or obj.get("reportingComponent"))
    current = obj  # type: Any
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            current = None
            break
    if current is None and path in _BOOL_FIELDS_DEFAULT_FALSE:
        return "false"
    return _stringify_field(current)


def matches_fields(requirements, obj):
    # type: (Iterable[FieldRequirement], Mapping[str, Any]) -> bool
    """True if ``obj`` satisfies every field requirement."""
    for req in requirements:
        field, op, value = req
        actual = field_value(obj, field)
        if op == NOT_EQUALS:
            if actual == value:
                return False
        elif actual != value:
            return False
    return True

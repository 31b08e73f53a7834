"""Label selectors, as the Kubernetes API server and kubectl understand them: requirements,
``metav1.LabelSelector``, matching and formatting.

This module mirrors the behaviour of ``k8s.io/apimachinery``'s ``labels`` package closely enough
that the simulated API server accepts and rejects the same ``labelSelector`` query strings as a
real kube-apiserver (v1.32), with the same error messages (which the server returns as a 400
BadRequest).  The query string's lexer and parser (``labels.Parse``) are in
k8s/selectorparser.py; the sandbox's field selectors in kubectl_sts_sandbox/fieldselectors.py.

Everything here is a pure function over plain JSON-compatible data; inputs are never mutated.

A requirement is an immutable named tuple :class:`Requirement` ``(key, operator, values)``,
where ``operator`` is one of the apimachinery ``selection.Operator`` strings (``"="``, ``"=="``,
``"!="``, ``"in"``, ``"notin"``, ``"exists"``, ``"!"``, ``"gt"``, ``"lt"``) and ``values`` is a
tuple of strings.
"""

import re
from typing import Any, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple

from .gostrings import go_quote
# Label keys and values are checked by the format validators of k8s/names.py.
from .names import is_qualified_name, is_valid_label_value

__all__ = [
    "SelectorError",
    "Requirement",
    "EQUALS",
    "DOUBLE_EQUALS",
    "NOT_EQUALS",
    "IN",
    "NOT_IN",
    "EXISTS",
    "DOES_NOT_EXIST",
    "GREATER_THAN",
    "LESS_THAN",
    "BINARY_OPERATORS",
    "new_requirement",
    "field_invalid",
    "sorted_by_key",
    "selector_from_label_selector",
    "selector_from_set",
    "matches_labels",
    "format_requirements",
    "format_label_selector",
    "format_labels",
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

BINARY_OPERATORS = (IN, NOT_IN, EQUALS, DOUBLE_EQUALS, NOT_EQUALS, GREATER_THAN, LESS_THAN)


class Requirement(NamedTuple):
    """One label selector requirement: key, operator, tuple of values."""
    key: str
    operator: str
    values: Tuple[str, ...]


def validate_label_key(key: str) -> List[str]:
    """Return the list of problems with ``key`` as a label key (empty if valid)."""
    return is_qualified_name(key)


def validate_label_value(value: str) -> List[str]:
    """Return the list of problems with ``value`` as a label value (empty if valid)."""
    return is_valid_label_value(value)


# ---------------------------------------------------------------------------
# Go-style error formatting (field.Error / utilerrors.Aggregate)
# ---------------------------------------------------------------------------

def _go_string_slice(values: Optional[Sequence[str]]) -> str:
    """Go's ``%#v`` of a []string (``None`` stands for a nil slice)."""
    if values is None:
        return "[]string(nil)"
    return "[]string{" + ", ".join(go_quote(v) for v in values) + "}"


def field_invalid(path: str, value: Any, detail: str) -> str:
    """field.Invalid(path, value, detail).Error()."""
    if isinstance(value, str):
        shown = go_quote(value)
    else:
        shown = _go_string_slice(value)
    msg = "%s: Invalid value: %s" % (path, shown)
    if detail:
        msg += ": " + detail
    return msg


def _aggregate(messages: Iterable[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message, or '[a, b]' (deduplicated)."""
    seen: List[str] = []
    for m in messages:
        if m not in seen:
            seen.append(m)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def _parse_int64(s: str) -> Optional[int]:
    """strconv.ParseInt(s, 10, 64) succeeds?"""
    if not re.fullmatch(r"[+-]?[0-9]+", s):
        return None
    v = int(s)
    if v < -(2 ** 63) or v > 2 ** 63 - 1:
        return None
    return v


def new_requirement(key: str, op: str, values: Sequence[str], nil_values: bool = False) -> Requirement:
    """labels.NewRequirement with no field path.

    ``values`` is a sequence of strings; ``nil_values`` tells that a Go nil
    slice was passed (only matters for error messages).  Returns a
    :class:`Requirement` or raises :class:`SelectorError`.
    """
    errs: List[str] = []
    key_errs = is_qualified_name(key)
    if key_errs:
        errs.append(field_invalid("key", key, "; ".join(key_errs)))
    shown_values = None if (nil_values and not values) else list(values)
    if op in (IN, NOT_IN):
        if len(values) == 0:
            errs.append(field_invalid("values", shown_values,
                                      "for 'in', 'notin' operators, values set can't be empty"))
    elif op in (EQUALS, DOUBLE_EQUALS, NOT_EQUALS):
        if len(values) != 1:
            errs.append(field_invalid("values", shown_values,
                                      "exact-match compatibility requires one single value"))
    elif op in (EXISTS, DOES_NOT_EXIST):
        if len(values) != 0:
            errs.append(field_invalid("values", shown_values,
                                      "values set must be empty for exists and does not exist"))
    elif op in (GREATER_THAN, LESS_THAN):
        if len(values) != 1:
            errs.append(field_invalid("values", shown_values,
                                      "for 'Gt', 'Lt' operators, exactly one value is required"))
        for i, v in enumerate(values):
            if _parse_int64(v) is None:
                errs.append(field_invalid("values[%d]" % i, v,
                                          "for 'Gt', 'Lt' operators, the value must be an integer"))
    else:
        supported = ", ".join(go_quote(o) for o in BINARY_OPERATORS + (EXISTS, DOES_NOT_EXIST))
        errs.append("operator: Unsupported value: %s: supported values: %s" % (go_quote(str(op)), supported))
    for i, v in enumerate(values):
        v_errs = is_valid_label_value(v)
        if v_errs:
            errs.append(field_invalid("values[%d][%s]" % (i, key), v, "; ".join(v_errs)))
    if errs:
        raise SelectorError(_aggregate(errs))
    return Requirement(key, op, tuple(values))


def sorted_by_key(requirements: Iterable[Requirement]) -> List[Requirement]:
    return sorted(requirements, key=lambda r: r.key)


# ---------------------------------------------------------------------------
# metav1.LabelSelector
# ---------------------------------------------------------------------------

_EXPRESSION_OPERATORS = {
    "In": IN,
    "NotIn": NOT_IN,
    "Exists": EXISTS,
    "DoesNotExist": DOES_NOT_EXIST,
}


def selector_from_label_selector(obj: Optional[Mapping[str, Any]]) -> List[Requirement]:
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
    requirements: List[Requirement] = []
    for key in sorted(match_labels):
        value = match_labels[key]
        requirements.append(new_requirement(str(key), EQUALS, [_as_str(value)]))
    for expr in match_expressions:
        expr = expr or {}
        operator = expr.get("operator")
        op = _EXPRESSION_OPERATORS.get(operator) if isinstance(operator, str) else None
        if op is None:
            raise SelectorError("%s is not a valid label selector operator"
                                % go_quote("" if operator is None else str(operator)))
        raw_values = expr.get("values")
        values = [_as_str(v) for v in (raw_values or [])]
        requirements.append(new_requirement(_as_str(expr.get("key")), op, values, nil_values=True))
    return sorted_by_key(requirements)


def selector_from_set(labels: Optional[Mapping[str, str]]) -> List[Requirement]:
    """Requirements matching exactly the given ``{key: value}`` map (no validation)."""
    if not labels:
        return []
    return sorted_by_key(Requirement(str(k), EQUALS, (_as_str(v),)) for k, v in labels.items())


def _as_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _requirement_matches(req: Requirement, labels: Mapping[str, str]) -> bool:
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


def matches_labels(requirements: Iterable[Sequence[Any]], labels: Optional[Mapping[str, str]]) -> bool:
    """True if every requirement matches ``labels`` (``None`` means no labels)."""
    labels = labels or {}
    return all(_requirement_matches(Requirement(*r), labels) for r in requirements)


def _requirement_string(req: Requirement) -> str:
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


def format_requirements(requirements: Iterable[Sequence[Any]]) -> str:
    """``Selector.String()``: requirements joined with ``,`` ('' when empty)."""
    return ",".join(_requirement_string(Requirement(*r)) for r in requirements)


def format_label_selector(obj: Optional[Mapping[str, Any]], empty: str = "") -> str:
    """String form of a ``metav1.LabelSelector`` dict, e.g. ``app=web,tier in (db)``.

    This is ``LabelSelectorAsSelector(obj).String()``, what the API server
    puts in ``status.selector`` of a ``/scale`` subresource.  An empty or
    ``None`` selector gives ``empty`` (``""`` by default; the table printers'
    ``metav1.FormatLabelSelector`` shows ``"<none>"``).  Raises
    :class:`SelectorError` for an invalid selector.
    """
    text = format_requirements(selector_from_label_selector(obj))
    return text if text else empty


def format_labels(labels: Optional[Mapping[str, str]]) -> str:
    """``labels.FormatLabels``: ``k=v`` sorted by key, ``<none>`` when empty."""
    if not labels:
        return "<none>"
    return ",".join("%s=%s" % (k, _as_str(labels[k])) for k in sorted(labels))

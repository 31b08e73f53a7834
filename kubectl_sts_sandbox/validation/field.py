"""Field errors as kube-apiserver reports them (``k8s.io/apimachinery/pkg/util/validation/field``)
and the Go renderings of bad values in their messages.

A cause is a ``StatusCause`` dict (``reason`` / ``message`` / ``field``). Its message is
``"<Type>[: <value>][: <detail>]"`` where the value is rendered the way Go's
``field.Error.ErrorBody`` renders it (strings quoted, Go structs in ``%#v`` form).
"""

from __future__ import annotations

import json
from typing import Any, Dict, Iterable, List, Optional

from kubectl_sts.k8s.gostrings import go_quote
from ..untyped import is_int

Cause = Dict[str, Any]
Causes = List[Cause]

REQUIRED = "FieldValueRequired"
INVALID = "FieldValueInvalid"
NOT_SUPPORTED = "FieldValueNotSupported"
FORBIDDEN = "FieldValueForbidden"
DUPLICATE = "FieldValueDuplicate"
TOO_LONG = "FieldValueTooLong"

IS_NEGATIVE_MSG = "must be greater than or equal to 0"
MAX_INT32 = 2147483647


class GoRepr(object):
    """A bad value that is printed verbatim (a Go ``%#v`` / ``String()``
    rendering computed by the caller)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _render_value(value: Any) -> str:
    if isinstance(value, GoRepr):
        return value.text
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if is_int(value):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return go_quote(value)
    return go_map_repr(value) if isinstance(value, dict) else json.dumps(value)


def _cause(reason: str, field: str, value: Any = None, detail: str = "",
           show_value: bool = True) -> Cause:
    labels = {
        REQUIRED: "Required value",
        INVALID: "Invalid value",
        NOT_SUPPORTED: "Unsupported value",
        FORBIDDEN: "Forbidden",
        DUPLICATE: "Duplicate value",
        TOO_LONG: "Too long",
    }
    msg = labels[reason]
    if show_value and reason in (INVALID, NOT_SUPPORTED, DUPLICATE):
        msg += ": " + _render_value(value)
    if detail:
        msg += ": " + detail
    return {"reason": reason, "message": msg, "field": field}


def required(field: str, detail: str = "") -> Cause:
    return _cause(REQUIRED, field, detail=detail)


def invalid(field: str, value: Any, detail: str) -> Cause:
    return _cause(INVALID, field, value, detail)


def not_supported(field: str, value: Any, valid_values: Iterable[str]) -> Cause:
    detail = ""
    if valid_values:
        detail = "supported values: " + ", ".join(go_quote(v) for v in valid_values)
    return _cause(NOT_SUPPORTED, field, value, detail)


def forbidden(field: str, detail: str) -> Cause:
    return _cause(FORBIDDEN, field, detail=detail)


def duplicate(field: str, value: Any) -> Cause:
    return _cause(DUPLICATE, field, value)


def too_long(field: str, max_length: int) -> Cause:
    return _cause(TOO_LONG, field, detail="must have at most %d bytes" % max_length)


def inclusive_range_error(lo: int, hi: int) -> str:
    """validation.InclusiveRangeError (k8s.io/apimachinery/pkg/util/validation)."""
    return "must be between %d and %d, inclusive" % (lo, hi)


def go_map_repr(m: Optional[Dict[Any, Any]]) -> str:
    """``%#v`` of a ``map[string]string``: keys sorted, ``nil`` for None."""
    if m is None:
        return "map[string]string(nil)"
    items = ", ".join(
        "%s:%s" % (go_quote(str(k)), go_quote(str(m[k]))) for k in sorted(m)
    )
    return "map[string]string{%s}" % items


# ---------------------------------------------------------------------------
# Comparing specs on update
# ---------------------------------------------------------------------------


def _normalize(v: Any) -> Any:
    """Approximate apimachinery's Semantic.DeepEqual: nil and empty maps,
    slices and strings compare equal to an absent field."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            nx = _normalize(x)
            if nx is None or nx == {} or nx == [] or nx == "":
                continue
            out[k] = nx
        return out
    if isinstance(v, list):
        return [_normalize(x) for x in v]
    return v


def semantic_equal(a: Any, b: Any) -> bool:
    return _normalize(a) == _normalize(b)


def _go_field_name(key: str) -> str:
    return key[:1].upper() + key[1:]


def spec_diff(go_type: str, old: Any, new: Any) -> str:
    """A short, deterministic stand-in for the go-cmp diff the server
    appends to some Forbidden messages (top-level fields only)."""
    old = _normalize(old if isinstance(old, dict) else {})
    new = _normalize(new if isinstance(new, dict) else {})
    lines = ["  %s{" % go_type]
    for key in sorted(set(old) | set(new)):
        if old.get(key) == new.get(key):
            continue
        name = _go_field_name(key)
        if key in old:
            lines.append("- \t%s: %s," % (name, json.dumps(old[key], sort_keys=True)))
        if key in new:
            lines.append("+ \t%s: %s," % (name, json.dumps(new[key], sort_keys=True)))
    lines.append("  }")
    return "\n".join(lines)

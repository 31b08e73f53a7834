"""Field selectors (``fieldSelector``), as kube-apiserver understands them: the query string's
parser (``fields.ParseSelector`` of ``k8s.io/apimachinery``, with its error messages), the
value of a field as a selector sees it, matching, and the field labels each resource supports.

A term is an immutable named tuple :class:`FieldRequirement` ``(field, operator, value)``, with
``operator`` one of ``"="``, ``"=="``, ``"!="``.  Errors are the neutral layer's
:class:`SelectorError` (k8s/selectors.py), which the server answers with a 400 BadRequest.
"""

from typing import Any, Iterable, List, Mapping, NamedTuple, Optional, Tuple

from kubectl_sts.k8s.selectors import NOT_EQUALS, SelectorError

__all__ = [
    "FieldRequirement",
    "parse_field_selector",
    "matches_fields",
    "field_value",
    "escape_field_value",
    "unsupported_field",
]


class FieldRequirement(NamedTuple):
    """One field selector term: dotted field path, operator, value."""
    field: str
    operator: str
    value: str


# The field labels a resource's field selector may name, besides metadata.name and
# metadata.namespace (the registries' GetAttrs / field label conversion funcs).
FIELD_LABELS = {
    "pods": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
             "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP",
             "status.nominatedNodeName"},
    "events": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
               "involvedObject.uid", "involvedObject.apiVersion",
               "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
               "reportingComponent", "source", "type"},
    "namespaces": {"status.phase"},
    "persistentvolumeclaims": {"status.phase"},
    "secrets": {"type"},
}


def unsupported_field(plural: str, requirements: Iterable[FieldRequirement]) -> Optional[str]:
    """The first field the requirements name that resource `plural` cannot select on, if any."""
    allowed = {"metadata.name", "metadata.namespace"} | FIELD_LABELS.get(plural, set())
    for req in requirements:
        if req.field not in allowed:
            return req.field
    return None


_TERM_OPERATORS = ("!=", "==", "=")


def _split_terms(text: str) -> List[str]:
    terms: List[str] = []
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


def _split_term(term: str) -> Optional[Tuple[str, str, str]]:
    for i in range(len(term)):
        remaining = term[i:]
        for op in _TERM_OPERATORS:
            if remaining.startswith(op):
                return term[:i], op, term[i + len(op):]
    return None


def _unescape_value(value: str) -> str:
    if not any(c in value for c in "\\,="):
        return value
    out: List[str] = []
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


def escape_field_value(value: str) -> str:
    """``fields.EscapeValue``: escape ``\\``, ``,`` and ``=`` for use in a selector."""
    return value.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=")


def parse_field_selector(text: Optional[str]) -> List[FieldRequirement]:
    """Parse a ``fieldSelector`` query string.

    Terms are ``path=value``, ``path==value`` or ``path!=value`` separated by
    commas; ``\\,``, ``\\=`` and ``\\\\`` escape those characters in values.
    Terms come back sorted, like ``fields.ParseSelector``.  Raises
    :class:`SelectorError` with the server's message on bad input.
    """
    if not text:
        return []
    requirements: List[FieldRequirement] = []
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


def _stringify_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return ""


def field_value(obj: Optional[Mapping[str, Any]], path: str) -> str:
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
    current: Any = obj
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        else:
            current = None
            break
    if current is None and path in _BOOL_FIELDS_DEFAULT_FALSE:
        return "false"
    return _stringify_field(current)


def matches_fields(requirements: Iterable[Tuple[str, str, str]], obj: Mapping[str, Any]) -> bool:
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

"""kubectl's JSONPath template dialect (client-go ``util/jsonpath``), as ``kubectl get -o jsonpath=``
prints it: the evaluator and Go's formatting of the values (the parser: jsonpath_parser.py).
Pure: no I/O, no third-party imports.

Data is plain JSON-compatible Python (dict, list, str, int, float, bool, None), as kubectl sees an
object decoded from the API server (integers stay integers, other numbers are floats). Go walks maps
in random order (``.*``, ``..``); here map keys are visited in sorted order, as Go's JSON encoder does.
"""

import json
import re
from decimal import Decimal
from typing import Any, Iterator, List, Tuple, Union

from .jsonpath_parser import EngineError, JSONPathError, Node, Template, parse

__all__ = ["execute", "render", "results", "go_print", "go_json"]


# ---- Go formatting ---------------------------------------------------------------------------

def _digits(f: float) -> Tuple[str, int]:
    """Shortest round-trip digits of abs(f) and the position of the decimal point."""
    sign, digits, exp = Decimal(repr(abs(f))).as_tuple()
    ds = "".join(map(str, digits)).rstrip("0") or "0"
    return ds, len(digits) + int(exp)


def _fmt_f(ds: str, dp: int) -> str:
    if dp <= 0:
        return "0." + "0" * -dp + ds
    if dp >= len(ds):
        return ds + "0" * (dp - len(ds))
    return ds[:dp] + "." + ds[dp:]


def _fmt_e(ds: str, dp: int) -> str:
    exp = dp - 1
    return "%s%se%s%02d" % (ds[0], "." + ds[1:] if len(ds) > 1 else "", "-" if exp < 0 else "+", abs(exp))


def _go_float(f: float, json_style: bool) -> str:
    if f != f or f in (float("inf"), float("-inf")):
        if json_style:
            raise EngineError("json: unsupported value: %s" % _go_float(f, False))
        return "NaN" if f != f else ("+Inf" if f > 0 else "-Inf")
    sign = "-" if str(f).startswith("-") else ""
    if f == 0:
        return sign + "0"
    ds, dp = _digits(f)
    if json_style:      # encoding/json: %f unless tiny or huge, then %e with e-07 shortened to e-7
        if 1e-6 <= abs(f) < 1e21:
            return sign + _fmt_f(ds, dp)
        return sign + re.sub(r"e-0(\d)$", r"e-\1", _fmt_e(ds, dp))
    exp = dp - 1        # fmt %v: strconv 'g' with the shortest digits (%e below 1e-4 and from 1e6)
    return sign + (_fmt_e(ds, dp) if exp < -4 or exp >= 6 else _fmt_f(ds, dp))


def _json_str(s: str) -> str:
    out = json.dumps(s, ensure_ascii=False)
    for c, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                   ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        out = out.replace(c, esc)
    return out


def go_json(v: Any) -> str:
    """VALUE as Go's json.Marshal writes it: compact, map keys sorted, HTML characters escaped."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _go_float(v, True)
    if isinstance(v, str):
        return _json_str(v)
    if isinstance(v, dict):
        return "{%s}" % ",".join("%s:%s" % (_json_str(str(k)), go_json(v[k])) for k in sorted(v))
    return "[%s]" % ",".join(go_json(x) for x in v)


def go_print(v: Any) -> str:
    """VALUE as Go's fmt.Print writes an interface{} (map[k:v], [a b], <nil>)."""
    if v is None:
        return "<nil>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return _go_float(v, False)
    if isinstance(v, dict):
        return "map[%s]" % " ".join("%s:%s" % (k, go_print(v[k])) for k in sorted(v))
    if isinstance(v, (list, tuple)):
        return "[%s]" % " ".join(go_print(x) for x in v)
    return str(v)


def _go_type(v: Any) -> str:
    if isinstance(v, dict):
        return "map[string]interface {}"
    if isinstance(v, (list, tuple)):
        return "[]interface {}"
    return {bool: "bool", int: "int64", float: "float64", str: "string"}.get(type(v), type(v).__name__)


def _text(v: Any) -> str:
    """One result as the jsonpath printer writes it: maps and lists as JSON, null as null."""
    if v is None:
        return "null"
    if isinstance(v, (dict, list, tuple)):
        return go_json(v)
    return go_print(v)


# ---- evaluation ------------------------------------------------------------------------------

def _children(v: Any) -> List[Any]:
    if isinstance(v, dict):
        return [v[k] for k in sorted(v)]
    if isinstance(v, (list, tuple)):
        return list(v)
    if isinstance(v, str):
        return list(v.encode("utf-8"))      # Go indexes a string by its bytes
    return []


def _kind(v: Any) -> str:
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    raise EngineError("invalid type for comparison")


def _compare(op: str, left: Any, right: Any) -> bool:
    k1, k2 = _kind(left), _kind(right)
    if k1 != k2:
        raise EngineError("incompatible types for comparison")
    if op in ("==", "!="):
        return (left == right) == (op == "==")
    if k1 == "bool":
        raise EngineError("invalid type for comparison")
    less = left < right
    if op == "<":
        return bool(less)
    if op == ">=":
        return not less
    if op == "<=":
        return bool(less or left == right)
    if op == ">":
        return not (less or left == right)
    raise EngineError("unrecognized filter operator %s" % op)


class _Engine:
    def __init__(self, allow_missing_keys: bool) -> None:
        self.allow_missing = allow_missing_keys

    def walk(self, values: List[Any], nodes: List[Node]) -> List[Any]:
        for node in nodes:
            values = getattr(self, "_" + node[0])(values, node)
        return values

    def _text(self, values: List[Any], node: Node) -> List[Any]:
        return [node[1]]

    def _int(self, values: List[Any], node: Node) -> List[Any]:
        return [node[1] for _ in values]

    _float = _bool = _int

    def _ident(self, values: List[Any], node: Node) -> List[Any]:
        if node[1] == "range":
            return values
        if node[1] == "end":
            raise EngineError("not in range, nothing to end")
        raise EngineError("unrecognized identifier %s" % node[1])

    def _field(self, values: List[Any], node: Node) -> List[Any]:
        if not values:
            return []
        out = [v[node[1]] for v in values if isinstance(v, dict) and node[1] in v]
        if not out and not self.allow_missing:
            raise EngineError("%s is not found" % node[1])
        return out

    def _wildcard(self, values: List[Any], node: Node) -> List[Any]:
        return [c for v in values if v is not None for c in _children(v)]

    def _recursive(self, values: List[Any], node: Node) -> List[Any]:
        out: List[Any] = []
        for v in values:
            kids = _children(v) if v is not None else []
            if kids:
                out.append(v)
                out.extend(self._recursive(kids, node))
        return out

    def _union(self, values: List[Any], node: Node) -> List[Any]:
        return [r for branch in node[1] for r in self.walk(values, branch)]

    def _array(self, values: List[Any], node: Node) -> List[Any]:
        out: List[Any] = []
        for v in values:
            if v is None:
                continue
            if not isinstance(v, (list, tuple)):
                raise EngineError("%s is not array or slice" % _go_type(v))
            (k0, start, _), (k1, stop, derived), (k2, step, _) = node[1]
            n = len(v)
            start = start if k0 else 0
            start += n if start < 0 else 0
            stop = stop if k1 else n
            stop += n if stop < 0 or (stop == 0 and derived) else 0
            if stop == start:
                return out                  # upstream stops at the first empty selection
            if start >= n or start < 0:
                raise EngineError("array index out of bounds: index %d, length %d" % (start, n))
            if stop > n or stop < 0:
                raise EngineError("array index out of bounds: index %d, length %d" % (stop - 1, n))
            if start > stop:
                raise EngineError("starting index %d is greater than ending index %d" % (start, stop))
            if k2 and step <= 0:
                raise EngineError("step must be > 0")
            out.extend(v[start:stop:step if k2 else 1])
        return out

    def _filter(self, values: List[Any], node: Node) -> List[Any]:
        _, left, right, op = node
        out: List[Any] = []
        for v in values:
            if not isinstance(v, (list, tuple)):
                raise EngineError("%s is not array or slice and cannot be filtered" % go_print(v))
            for item in v:
                if op == "exists":
                    try:
                        found = self.walk([item], left)
                    except EngineError:
                        continue
                    if found:
                        out.append(item)
                    continue
                lefts = self.walk([item], left)
                if len(lefts) > 1:
                    raise EngineError("can only compare one element at a time")
                rights = self.walk([item], right) if lefts else []
                if len(rights) > 1:
                    raise EngineError("can only compare one element at a time")
                if lefts and rights and _compare(op, lefts[0], rights[0]):
                    out.append(item)
        return out


def _blocks(parts: List[Union[str, List[Node]]], i: int, top: bool) -> Tuple[List[Any], int]:
    """Group the template's parts into a tree: ("range", nodes, body) for each {range}...{end}."""
    out: List[Any] = []
    while i < len(parts):
        part = parts[i]
        i += 1
        if not isinstance(part, str) and part[:1] == [("ident", "range")]:
            body, i = _blocks(parts, i, False)
            out.append(("range", part[1:], body))
        elif not isinstance(part, str) and part == [("ident", "end")] and not top:
            return out, i
        else:
            out.append(part)
    return out, i


def _run(engine: _Engine, tree: List[Any], data: Any) -> Iterator[str]:
    for item in tree:
        if isinstance(item, str):
            yield item
        elif isinstance(item, tuple):
            results = engine.walk([data], item[1])
            for value in results:
                yield from _run(engine, item[2], value)
            if not results:            # upstream still walks the body once, for its errors
                for _ in _run(engine, item[2], None):
                    pass
        else:
            yield " ".join(_text(v) for v in engine.walk([data], item))


def execute(template: Template, data: Any, allow_missing_keys: bool = True) -> str:
    """The text kubectl prints for DATA; JSONPathError with kubectl's `error executing jsonpath`."""
    tree, _ = _blocks(template.parts, 0, True)
    try:
        return "".join(_run(_Engine(allow_missing_keys), tree, data))
    except EngineError as e:
        raise JSONPathError('error executing jsonpath %s: Error executing template: %s. '
                            'Printing more information for debugging the template:'
                            % (json.dumps(template.source), e), str(e)) from None


def render(template: str, data: Any, allow_missing_keys: bool = True) -> str:
    return execute(parse(template), data, allow_missing_keys)


def results(template: Template, data: Any, allow_missing_keys: bool = True) -> List[List[Any]]:
    """The values of each printed {action} (client-go FindResults), for custom columns."""
    tree, _ = _blocks(template.parts, 0, True)
    engine = _Engine(allow_missing_keys)
    out: List[List[Any]] = []

    def collect(items: List[Any], cur: Any) -> None:
        for item in items:
            if isinstance(item, str):
                out.append([item])
            elif isinstance(item, tuple):
                for value in engine.walk([cur], item[1]):
                    collect(item[2], value)
            else:
                out.append(engine.walk([cur], item))
    try:
        collect(tree, data)
    except EngineError as e:
        raise JSONPathError(str(e)) from None
    return out

"""metav1.FieldsV1, the field sets of `metadata.managedFields`, as sets of paths: what the API
server's field manager writes and what a client reads to learn who owns a field.

The serialization is structured-merge-diff v4's (sigs.k8s.io/structured-merge-diff/v4
fieldpath/serialize.go SetNodeMap.writeJSON/readJSON, serialize-pe.go SerializePathElement /
DeserializePathElement): a JSON object whose keys are path elements, `f:<field name>`,
`k:<JSON object of the key fields>` (an item of a map-type list, its keys sorted by name),
`v:<JSON value>` (an item of a set-type list) and `i:<index>` (an item of an atomic list,
rarely serialized); a child `{}` is a member, and the key `.` marks a node that is a member
itself and also has members below it.

A path here is a tuple of elements, each a pair: ("f", name), ("k", ((key, value), ...)) with
the key fields sorted, ("v", value) or ("i", index)."""

import functools
import json
from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

PathElement = Tuple[str, Any]
Path = Tuple[PathElement, ...]

__all__ = ["Path", "PathElement", "field", "key", "value", "parse_element", "format_element",
           "decode", "encode", "format_path", "under", "owners_of"]


def field(name: str) -> PathElement:
    return ("f", name)


def key(**fields: Any) -> PathElement:
    """The element of a map-type list's item with these key fields."""
    return ("k", tuple(sorted(fields.items())))


def value(v: Any) -> PathElement:
    return ("v", _hashable(v))


def _hashable(v: Any) -> Any:
    if isinstance(v, dict):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_hashable(x) for x in v)
    return v


def _plain(v: Any) -> Any:
    if isinstance(v, tuple) and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                                    for p in v) and v:
        return {k: _plain(x) for k, x in v}
    if isinstance(v, tuple):
        return [_plain(x) for x in v]
    return v


def parse_element(text: str) -> PathElement:
    """DeserializePathElement: ValueError for text that is none of the four forms."""
    kind, sep, rest = text.partition(":")
    if not sep or kind not in ("f", "k", "v", "i"):
        raise ValueError("unknown path element type: %r" % text)
    if kind == "f":
        return ("f", rest)
    if kind == "i":
        return ("i", int(rest))
    decoded = json.loads(rest)
    if kind == "k":
        if not isinstance(decoded, dict):
            raise ValueError("expected key value pairs in %r" % text)
        return ("k", tuple(sorted((k, _hashable(v)) for k, v in decoded.items())))
    return ("v", _hashable(decoded))


@functools.lru_cache(maxsize=65536)
def format_element(pe: PathElement) -> str:
    """SerializePathElement (memoized: the API server's field manager encodes the same
    elements on every write)."""
    kind, v = pe
    if kind == "f":
        return "f:" + v
    if kind == "i":
        return "i:%d" % v
    if kind == "k":
        return "k:" + json.dumps({k: _plain(x) for k, x in v}, separators=(",", ":"),
                                 sort_keys=True)
    return "v:" + json.dumps(_plain(v), separators=(",", ":"))


def decode(fields: Optional[Mapping[str, Any]]) -> Set[Path]:
    """The members of a FieldsV1 object (ValueError when it is malformed)."""
    out: Set[Path] = set()

    def walk(node: Mapping[str, Any], prefix: Path) -> None:
        for text, child in node.items():
            if text == ".":
                out.add(prefix)
                continue
            if not isinstance(child, Mapping):
                raise ValueError("expected an object at %s" % text)
            path = prefix + (parse_element(text),)
            if not child:
                out.add(path)
            else:
                walk(child, path)

    walk(fields or {}, ())
    return out


def encode(paths: Iterable[Path]) -> Dict[str, Any]:
    """The FieldsV1 object of a set of paths (the empty path is never a member)."""
    root: Dict[str, Any] = {}
    ends = []
    for path in set(paths):
        if not path:
            continue
        node = root
        for pe in path:
            node = node.setdefault(format_element(pe), {})
        ends.append(node)
    for node in ends:       # each a different node: only its own "." can be added to it
        if node:
            node["."] = {}
    return root


def format_path(path: Path) -> str:
    """A path as the API server's conflict messages write it (fieldpath.Path.String):
    `.spec.replicas`, `.spec.template.spec.containers[name="app"].image`."""
    out = []
    for kind, v in path:
        if kind == "f":
            out.append("." + v)
        elif kind == "i":
            out.append("[%d]" % v)
        elif kind == "k":
            out.append("[" + ",".join("%s=%s" % (k, json.dumps(_plain(x))) for k, x in v) + "]")
        else:
            out.append("[=%s]" % json.dumps(_plain(v)))
    return "".join(out)


def under(paths: Iterable[Path], prefix: Path) -> List[Path]:
    """The paths at or below `prefix`."""
    n = len(prefix)
    return sorted((p for p in paths if p[:n] == prefix), key=format_path)


def owners_of(managed_fields: Optional[Iterable[Mapping[str, Any]]],
              prefix: Path) -> List[Tuple[Mapping[str, Any], List[Path]]]:
    """The managedFields entries that own `prefix` or anything below it, each with those
    paths, in the order of the list. Entries that are not FieldsV1 or do not decode are
    skipped (the API server refuses to store them, so only a broken object has them)."""
    out = []
    for entry in managed_fields or ():
        if entry.get("fieldsType", "FieldsV1") != "FieldsV1":
            continue
        try:
            paths = decode(entry.get("fieldsV1"))
        except (ValueError, TypeError):
            continue
        owned = under(paths, prefix)
        if owned:
            out.append((entry, owned))
    return out

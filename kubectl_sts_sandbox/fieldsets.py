"""Field sets of objects, and the merge server-side apply does, over the structural schema of
fieldschema.py. Pure functions over plain JSON values; paths are kubectl_sts.k8s.fieldsv1's
tuples of path elements.

Upstream: sigs.k8s.io/structured-merge-diff/v4 (v6 in Kubernetes 1.35):
- `to_set`: typed/tofieldset.go `toFieldSetWalker` (a scalar, an atomic list or map, a list
  item, a map entry that is not a declared struct field, an empty or null value are members;
  a declared struct field only through its members);
- `compare`: typed/compare.go `compareWalker` (Added, Modified, Removed; a map or list that
  appears or disappears is itself added or removed, and so is everything under it);
- `merge`: typed/merge.go `mergingWalker` (`visitListItems` keeps the order of both sides as
  upstream does, `doMap` treats two empty maps as a leaf);
- `remove`: typed/remove.go `removingWalker` (removing a path drops its whole value);
- `with_named_fields`: fieldpath/set.go `EnsureNamedFieldsAreMembers`;
- `item_element`: typed/helpers.go `listItemToPathElement` (a map-type list's item is named
  by its key fields, a key it omits takes the schema's default; a set's by its value)."""

from typing import Any, Dict, Iterable, List, Optional, Set, Tuple

from kubectl_sts.k8s.fieldsv1 import Path, PathElement, _hashable
from .fieldschema import ASSOC, DEDUCED, LIST, SET, STRUCT, TypeNode

MISSING: Any = object()
FieldSet = Set[Path]


class ApplyError(ValueError):
    """A value the schema cannot name (a map-type list item without its keys, a duplicate)."""


def item_element(t: TypeNode, item: Any, index: int) -> PathElement:
    if t.relation == ASSOC and t.keys:
        if not isinstance(item, dict):
            raise ApplyError("associative list with keys has an element that is not a map")
        pairs = []
        for k in t.keys:
            if k in item:
                pairs.append((k, _hashable(item[k])))
            elif k in t.key_defaults:
                pairs.append((k, _hashable(t.key_defaults[k])))
            else:
                raise ApplyError("associative list with keys has an element that omits key "
                                 "field \"%s\" (and doesn't have default value)" % k)
        return ("k", tuple(sorted(pairs)))
    if t.relation == SET:
        return ("v", _hashable(item))
    return ("i", index)


def _granular_list(t: TypeNode) -> bool:
    return t.kind == LIST and t.relation in (ASSOC, SET)


def _is_map(t: TypeNode) -> bool:
    return (t.kind == STRUCT and not t.atomic) or t.kind == DEDUCED


def _items(t: TypeNode, value: List[Any], allow_duplicates: bool = True
           ) -> List[Tuple[PathElement, Any]]:
    out = []
    seen = set()
    for i, item in enumerate(value):
        pe = item_element(t, item, i)
        if pe in seen and not allow_duplicates:
            raise ApplyError("duplicate entries for key %s" % (pe,))
        seen.add(pe)
        out.append((pe, item))
    return out


# -- ToFieldSet ------------------------------------------------------------------------------
def to_set(value: Any, t: TypeNode, path: Path = (), out: Optional[FieldSet] = None,
           strict: bool = False) -> FieldSet:
    """The fields a value sets (an applied configuration's, for its applier)."""
    if out is None:
        out = set()
    if isinstance(value, dict) and _is_map(t):
        for k, v in value.items():
            child = path + (("f", k),)
            ct = t.child(k) if t.kind == STRUCT else _deduced_child(v)
            to_set(v, ct, child, out, strict)
            if v is None or v == {} or t.kind == DEDUCED or k not in t.fields:
                out.add(child)
        return out
    if isinstance(value, list) and _granular_list(t):
        elem = t.elem or _deduced_child(None)
        for pe, item in _items(t, value, allow_duplicates=not strict):
            child = path + (pe,)
            to_set(item, elem, child, out, strict)
            out.add(child)
        return out
    if path:
        out.add(path)
    return out


def _deduced_child(value: Any) -> TypeNode:
    from .fieldschema import DEDUCED_TYPE, SCALAR_TYPE
    return DEDUCED_TYPE if isinstance(value, dict) or value is None else SCALAR_TYPE


def _all_paths(value: Any, t: TypeNode, path: Path, out: FieldSet) -> None:
    """`path` and every path below it (a value that appeared or disappeared)."""
    out.add(path)
    if isinstance(value, dict) and _is_map(t):
        for k, v in value.items():
            ct = t.child(k) if t.kind == STRUCT else _deduced_child(v)
            _all_paths(v, ct, path + (("f", k),), out)
    elif isinstance(value, list) and _granular_list(t):
        elem = t.elem or _deduced_child(None)
        for pe, item in _items(t, value):
            _all_paths(item, elem, path + (pe,), out)


# -- Compare ---------------------------------------------------------------------------------
class Comparison:
    __slots__ = ("added", "modified", "removed")

    def __init__(self) -> None:
        self.added: FieldSet = set()
        self.modified: FieldSet = set()
        self.removed: FieldSet = set()

    def changed(self) -> FieldSet:
        return self.added | self.modified


def compare(lhs: Any, rhs: Any, t: TypeNode, skip: Iterable[str] = ()) -> Comparison:
    """What changed from `lhs` to `rhs` (MISSING for an absent side). Top-level keys in
    `skip` are not compared. Non-pointer struct fields (TypeNode.zero) exist in both as `{}`
    when their parent does, as in the API server's typed objects."""
    out = Comparison()
    skipped = set(skip)
    if isinstance(lhs, dict) and isinstance(rhs, dict):
        for k in set(lhs) | set(rhs):
            if k in skipped:
                continue
            _compare(lhs.get(k, MISSING), rhs.get(k, MISSING), t.child(k), (("f", k),),
                     k in t.zero, out)
    else:
        _compare(lhs, rhs, t, (), False, out)
    return out


def _compare(lhs: Any, rhs: Any, t: TypeNode, path: Path, zero: bool, out: Comparison) -> None:
    if zero:
        lhs = {} if lhs is MISSING else lhs
        rhs = {} if rhs is MISSING else rhs
    if lhs is rhs or (lhs is not MISSING and rhs is not MISSING and lhs == rhs
                      and type(lhs) is type(rhs)):
        return
    if lhs is MISSING:
        _all_paths(rhs, t, path, out.added)
        return
    if rhs is MISSING:
        _all_paths(lhs, t, path, out.removed)
        return
    if isinstance(lhs, dict) and isinstance(rhs, dict) and _is_map(t):
        if not lhs and not rhs:
            return
        for k in set(lhs) | set(rhs):
            ct = t.child(k) if t.kind == STRUCT else _deduced_child(rhs.get(k, lhs.get(k)))
            _compare(lhs.get(k, MISSING), rhs.get(k, MISSING), ct, path + (("f", k),),
                     k in t.zero, out)
        return
    if isinstance(lhs, list) and isinstance(rhs, list) and _granular_list(t) and (lhs or rhs):
        elem = t.elem or _deduced_child(None)
        try:
            left = dict(_items(t, lhs))
            right = dict(_items(t, rhs))
        except ApplyError:
            out.modified.add(path)
            return
        for pe in set(left) | set(right):
            _compare(left.get(pe, MISSING), right.get(pe, MISSING), elem, path + (pe,), False,
                     out)
        return
    out.modified.add(path)


# -- Merge -----------------------------------------------------------------------------------
def merge(lhs: Any, rhs: Any, t: TypeNode) -> Any:
    """`rhs` (an applied configuration) merged into `lhs` (the live object)."""
    if rhs is MISSING:
        return lhs
    if lhs is MISSING or lhs is None:
        return rhs
    if isinstance(lhs, dict) and isinstance(rhs, dict) and _is_map(t):
        if not lhs and not rhs:
            return rhs
        out = dict(lhs)
        for k, v in rhs.items():
            ct = t.child(k) if t.kind == STRUCT else _deduced_child(v)
            out[k] = merge(lhs.get(k, MISSING), v, ct)
        return out
    if isinstance(lhs, list) and isinstance(rhs, list) and _granular_list(t):
        return _merge_list(lhs, rhs, t)
    return rhs


def _merge_list(lhs: List[Any], rhs: List[Any], t: TypeNode) -> List[Any]:
    elem = t.elem or _deduced_child(None)
    r_items = _items(t, rhs, allow_duplicates=False)
    l_items = _items(t, lhs)
    observed_l: Dict[PathElement, Any] = {}
    for pe, item in l_items:
        observed_l.setdefault(pe, item)
    observed_r = dict(r_items)
    shared = [pe for pe, _ in r_items if pe in observed_l]
    next_shared = shared.pop(0) if shared else None
    merged_r: Set[PathElement] = set()
    out: List[Any] = []
    li = ri = 0
    while li < len(l_items) or ri < len(r_items):
        if li < len(l_items) and ri < len(r_items):
            pe = l_items[li][0]
            if pe == r_items[ri][0]:
                merged_r.add(pe)
                out.append(merge(observed_l[pe], observed_r[pe], elem))
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if pe in observed_r and next_shared is not None and next_shared != pe:
                li += 1
                continue
        if li < len(l_items):
            pe, item = l_items[li]
            if pe not in observed_r:
                out.append(item)
                li += 1
                continue
            elif pe in merged_r:
                li += 1
        if ri < len(r_items):
            pe = r_items[ri][0]
            merged_r.add(pe)
            out.append(merge(observed_l.get(pe, MISSING), observed_r[pe], elem))
            ri += 1
            if next_shared is not None and next_shared == pe:
                next_shared = shared.pop(0) if shared else None
    return out


# -- Remove ----------------------------------------------------------------------------------
def remove(value: Any, paths: FieldSet, t: TypeNode) -> Any:
    """`value` without the values at `paths` (a map or list they empty is dropped too)."""
    if not paths:
        return value
    tree: Dict[PathElement, Any] = {}
    for p in paths:
        node = tree
        for pe in p[:-1]:
            node = node.setdefault(pe, {})
            if node is True:
                break
        else:
            node[p[-1]] = True
    return _remove(value, tree, t)


def _remove(value: Any, tree: Dict[PathElement, Any], t: TypeNode) -> Any:
    if isinstance(value, dict) and _is_map(t):
        out = {}
        for k, v in value.items():
            sub = tree.get(("f", k))
            if sub is True:
                continue
            if sub:
                ct = t.child(k) if t.kind == STRUCT else _deduced_child(v)
                v2 = _remove(v, sub, ct)
                if v2 in ({}, []) and v not in ({}, []):
                    continue
                v = v2
            out[k] = v
        return out
    if isinstance(value, list) and _granular_list(t):
        elem = t.elem or _deduced_child(None)
        out_l = []
        for pe, item in _items(t, value):
            sub = tree.get(pe)
            if sub is True:
                continue
            if sub:
                item = _remove(item, sub, elem)
            out_l.append(item)
        return out_l
    return value


def with_named_fields(paths: Iterable[Path], t: TypeNode) -> FieldSet:
    """`paths` plus every prefix of one that ends in a declared struct field."""
    out = set(paths)
    for p in paths:
        node = t
        for i, pe in enumerate(p[:-1]):
            if pe[0] == "f" and node.kind == STRUCT:
                if pe[1] in node.fields:
                    out.add(p[:i + 1])
                node = node.child(pe[1])
            elif pe[0] != "f" and node.kind == LIST:
                node = node.elem or _deduced_child(None)
            else:
                break
    return out

"""Kubernetes strategic merge patch (``application/strategic-merge-patch+json``), modelled on
``k8s.io/apimachinery/pkg/util/strategicpatch`` for the built-in types the sandbox serves.

The plugin changes pod templates with it (core/rollout/template.py) and the sandbox API server
applies it to PATCH requests; the sandbox's other patch formats (JSON patch, JSON merge patch)
and the Content-Type dispatch live in kubectl_sts_sandbox/patch.py and share :class:`PatchError`,
:func:`json_equal` and :func:`compact` from here.

Every function is pure: its arguments are never modified and the returned object shares no
mutable state with them.  Objects are plain JSON values as produced by ``json.loads``.
"""

import copy
import json
from typing import Any, Dict, List, Optional, Tuple

from .patchstrategies import (CONTEXTS, DEFAULT_ROOT_CONTEXT, MERGE_KEYS, OPAQUE,
                              PRIMITIVE_MERGE, ROOT_CONTEXTS)

__all__ = [
    "PatchError",
    "json_equal",
    "compact",
    "strategic_merge_patch",
]


class PatchError(Exception):
    """Raised for a patch that cannot be applied.

    ``str(e)`` is the one-line message the API server puts in its 422/400
    Status.
    """


def json_equal(a: Any, b: Any) -> bool:
    """Equality with JSON semantics.

    Unlike Python's ``==``, booleans are never equal to numbers
    (``True != 1``); numbers compare numerically (``1 == 1.0``); objects and
    arrays compare deeply.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return False
        return all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return all(json_equal(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    return a == b


def compact(value: Any) -> str:
    """One-line rendering of a JSON value for error messages."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------------------
# Strategic merge patch
# ---------------------------------------------------------------------------

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ELEMENT_ORDER = "$setElementOrder/"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"


class _Deleted(object):
    """Result of merging a map carrying ``"$patch": "delete"``."""

    def __repr__(self) -> str:
        return "<deleted>"


_DELETED = _Deleted()


def strategic_merge_patch(target: Any, patch: Any, kind: str) -> Any:
    """Apply a Kubernetes strategic merge patch to an object of ``kind``.

    Maps merge recursively and ``null`` deletes a key.  Lists listed in ``MERGE_KEYS``
    (k8s/patchstrategies.py) merge item by item (or as an ordered set of scalars); all other
    lists are replaced.  The directives ``$patch`` (replace / delete / merge),
    ``$setElementOrder/<list>``, ``$retainKeys`` and ``$deleteFromPrimitiveList/<list>`` are
    honoured; no ``$`` key survives in the result.
    """
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object, got %s" % compact(patch))
    original = copy.deepcopy(target) if isinstance(target, dict) else {}
    context = ROOT_CONTEXTS.get(kind, DEFAULT_ROOT_CONTEXT)
    result = _smp_map(original, copy.deepcopy(patch), context)
    if result is _DELETED:
        return {}
    return result


def _child_context(context: str, field: str) -> str:
    return CONTEXTS.get((context, field), OPAQUE)


def _merge_key(context: str, field: str) -> Optional[str]:
    """Merge key of a list field, PRIMITIVE_MERGE, or None (replace)."""
    return MERGE_KEYS.get((context, field))


def _bad_patch_type(directive: Any, patch: Any) -> PatchError:
    return PatchError("unknown patch type: %s in map: %s" % (compact(directive), compact(patch)))


def _no_merge_key(item: Any, merge_key: str) -> PatchError:
    return PatchError("map: %s does not contain declared merge key: %s" % (compact(item), merge_key))


def _smp_map(original: Any, patch: Dict[str, Any], context: str) -> Any:
    """Merge patch map into original map (both private copies).

    Returns the merged map, or _DELETED for ``"$patch": "delete"``.
    """
    if _DIRECTIVE in patch:
        directive = patch[_DIRECTIVE]
        body = dict((k, v) for k, v in patch.items() if k != _DIRECTIVE)
        if directive == "replace":
            # The map becomes the patch, cleaned of directives and nulls.
            return _smp_map({}, body, context)
        if directive == "delete":
            return _DELETED
        if directive != "merge":
            raise _bad_patch_type(directive, patch)
        patch = body

    if not isinstance(original, dict):
        original = {}

    _apply_retain_keys(original, patch)

    handled = set()
    # $setElementOrder lists are merged (together with the list they order)
    # before everything else, as the API server does.
    for key, order in patch.items():
        if key.startswith(_SET_ELEMENT_ORDER):
            field = _directive_field(key, _SET_ELEMENT_ORDER, "setElementOrder list")
            if _apply_set_element_order(original, patch, field, order, context):
                handled.add(field)

    deletions = []
    for key, value in patch.items():
        if key.startswith(_DELETE_FROM_PRIMITIVE_LIST):
            deletions.append((_directive_field(key, _DELETE_FROM_PRIMITIVE_LIST, "primitive list"), value))
            continue
        if key.startswith("$") or key in handled:
            # Directives already handled, or unknown ones: never kept.
            continue
        if value is None:
            original.pop(key, None)
            continue
        if key not in original:
            fresh = _smp_fresh(value, context, key)
            if fresh is not _DELETED:
                original[key] = fresh
            continue
        current = original[key]
        if isinstance(current, dict) and isinstance(value, dict):
            merged = _smp_map(current, value, _child_context(context, key))
            if merged is _DELETED:
                del original[key]
            else:
                original[key] = merged
        elif isinstance(current, list) and isinstance(value, list):
            original[key] = _smp_list(current, value, context, key)
        else:
            # Scalars, or a change of type: the patch value wins.
            fresh = _smp_fresh(value, context, key)
            if fresh is _DELETED:
                del original[key]
            else:
                original[key] = fresh

    for field, values in deletions:
        if not isinstance(values, list):
            raise PatchError("invalid patch format of primitive list: %s must be a list"
                             % (_DELETE_FROM_PRIMITIVE_LIST + field))
        current = original.get(field)
        if isinstance(current, list):
            original[field] = [v for v in current if _index_of(values, v, PRIMITIVE_MERGE) < 0]
    return original


def _directive_field(key: str, prefix: str, what: str) -> str:
    field = key[len(prefix):]
    if not field:
        raise PatchError("invalid patch format of %s: %s" % (what, key))
    return field


def _apply_retain_keys(original: Dict[str, Any], patch: Dict[str, Any]) -> None:
    if _RETAIN_KEYS not in patch:
        return
    retain = patch[_RETAIN_KEYS]
    if not isinstance(retain, list):
        raise PatchError("invalid patch format of retainKeys: %s must be a list" % _RETAIN_KEYS)
    for key, value in patch.items():
        if value is None or key.startswith("$"):
            continue
        if _index_of(retain, key, PRIMITIVE_MERGE) < 0:
            raise PatchError('invalid patch format of retainKeys: key "%s" is not listed in %s'
                             % (key, _RETAIN_KEYS))
    for key in list(original):
        if _index_of(retain, key, PRIMITIVE_MERGE) < 0:
            del original[key]


def _smp_fresh(value: Any, context: str, field: str) -> Any:
    """A patch value that has nothing to merge with, cleaned of directives
    and of nulls inside maps (what the API server stores for it)."""
    if isinstance(value, dict):
        return _smp_map({}, value, _child_context(context, field))
    if isinstance(value, list):
        return _smp_list([], value, context, field)
    return value


def _is_directive_item(item: Any) -> bool:
    return isinstance(item, dict) and _DIRECTIVE in item


def _clean_items(items: List[Any], item_context: str) -> List[Any]:
    """Items of a list that replaces the live one: directive-only elements
    dropped, maps cleaned."""
    result = []
    for item in items:
        if _is_directive_item(item):
            continue
        if isinstance(item, dict):
            item = _smp_map({}, item, item_context)
        elif isinstance(item, list):
            item = _clean_items(item, OPAQUE)
        result.append(item)
    return result


def _smp_list(original: List[Any], patch: List[Any], context: str, field: str) -> List[Any]:
    """Merge patch list into original list for ``field`` of a ``context`` map."""
    merge_key = _merge_key(context, field)
    item_context = _child_context(context, field)

    # A {"$patch": "replace"} element replaces the list with the others.
    if any(_is_directive_item(i) and i[_DIRECTIVE] == "replace" for i in patch):
        return _clean_items(patch, item_context)
    if merge_key is None:
        return _clean_items(patch, item_context)
    if not original and not patch:
        return []

    if merge_key == PRIMITIVE_MERGE:
        for item in original + patch:
            if isinstance(item, (dict, list)):
                raise PatchError("cannot merge lists without merge key for %s" % field)
        merged: List[Any] = []
        for item in original + patch:
            if _index_of(merged, item, PRIMITIVE_MERGE) < 0:
                merged.append(item)
        patch_order = patch
        server_order = original
    else:
        for item in original + patch:
            if not isinstance(item, dict):
                raise PatchError("cannot merge list %s by merge key %s: element %s is not a map"
                                 % (field, merge_key, compact(item)))
        patch_order = []
        for item in patch:
            if _DIRECTIVE not in item:
                patch_order.append(item)
                continue
            directive = item[_DIRECTIVE]
            if directive == "delete":
                if merge_key not in item:
                    raise _no_merge_key(item, merge_key)
                original = [o for o in original if not _same_key(o, item, merge_key)]
            elif directive == "merge":
                body = dict((k, v) for k, v in item.items() if k != _DIRECTIVE)
                if merge_key in body:
                    patch_order.append(body)
            else:
                raise _bad_patch_type(directive, item)
        merged = list(original)
        for item in patch_order:
            if merge_key not in item:
                raise _no_merge_key(item, merge_key)
            position = _index_of(merged, item, merge_key)
            if position >= 0:
                merged[position] = _smp_map(merged[position], item, item_context)
            else:
                merged.append(_smp_map({}, item, item_context))
        server_order = original

    # Like the API server: items named in the patch keep the patch's order,
    # the others keep the live order, and the two are interleaved by the live
    # order.  New items (unknown to the live list) thus come first.
    in_patch, server_only = _partition(merged, patch_order, merge_key)
    return _normalize_order(in_patch, server_only, patch_order, server_order, merge_key)


def _apply_set_element_order(original: Dict[str, Any], patch: Dict[str, Any], field: str,
                              order: Any, context: str) -> bool:
    """Merge ``field`` and order it by ``$setElementOrder/<field>``.

    Returns False (leaving ``field`` to the ordinary merge) when the field is
    not a merging list; True when ``original[field]`` has been set.
    """
    if not isinstance(order, list):
        raise PatchError("invalid patch format of setElementOrder list: %s%s must be a list"
                         % (_SET_ELEMENT_ORDER, field))
    merge_key = _merge_key(context, field)
    if merge_key is None:
        return False
    live: Any = original.get(field)
    found_live = isinstance(live, list)
    change: Any = patch.get(field)
    if field in patch and not isinstance(change, list):
        return False
    found_patch = isinstance(change, list)
    if merge_key != PRIMITIVE_MERGE:
        for item in order:
            if not isinstance(item, dict) or merge_key not in item:
                raise _no_merge_key(item, merge_key)
    if found_patch:
        _validate_against_order(change, order, merge_key, field)

    if found_live and found_patch:
        merged = _smp_list(live, change, context, field)
    elif found_live:
        merged = live
    elif found_patch:
        merged = _smp_list([], change, context, field)
    else:
        return True

    in_order, server_only = _partition(merged, order, merge_key)
    original[field] = _normalize_order(in_order, server_only, order, live if found_live else [], merge_key)
    return True


def _validate_against_order(change: List[Any], order: List[Any], merge_key: str, field: str) -> None:
    """Items of the patch list must appear in the order list, in its order."""
    items = [i for i in change if not _is_directive_item(i)]
    position = 0
    for item in items:
        while position < len(order) and not _same_entry(item, order[position], merge_key):
            position += 1
        if position >= len(order):
            raise PatchError("The order in patch list: %s doesn't match %s list: %s" % (
                compact(change), _SET_ELEMENT_ORDER + field, compact(order)))
        position += 1


def _same_key(a: Any, b: Any, merge_key: str) -> bool:
    return (isinstance(a, dict) and isinstance(b, dict) and merge_key in a and merge_key in b
            and json_equal(a[merge_key], b[merge_key]))


def _same_entry(a: Any, b: Any, merge_key: str) -> bool:
    if merge_key == PRIMITIVE_MERGE:
        return json_equal(a, b)
    return _same_key(a, b, merge_key)


def _index_of(items: List[Any], value: Any, merge_key: str) -> int:
    for position, item in enumerate(items):
        if _same_entry(item, value, merge_key):
            return position
    return -1


def _partition(items: List[Any], names: List[Any], merge_key: str) -> Tuple[List[Any], List[Any]]:
    named: List[Any] = []
    others: List[Any] = []
    for item in items:
        (named if _index_of(names, item, merge_key) >= 0 else others).append(item)
    return named, others


def _sorted_by(items: List[Any], order: List[Any], merge_key: str) -> List[Any]:
    """Stable sort by position in ``order``; items not in it go last."""
    def position(item: Any) -> Tuple[int, int]:
        index = _index_of(order, item, merge_key)
        return (0, index) if index >= 0 else (1, 0)
    return sorted(items, key=position)


def _normalize_order(named: List[Any], server_only: List[Any], named_order: List[Any],
                     server_order: List[Any], merge_key: str) -> List[Any]:
    """Order a merged list the way strategicpatch's normalizeElementOrder does.

    ``named`` items follow ``named_order``; ``server_only`` items follow
    ``server_order``; then each server-only item is placed before the first
    named item that comes after it in ``server_order``.  Named items that are
    not in the live list (new ones) are never preceded by a server-only item
    for that reason, so without ``$setElementOrder`` new items come first.
    """
    named = _sorted_by(named, named_order, merge_key)
    server_only = _sorted_by(server_only, server_order, merge_key)
    result = []
    i = j = 0
    while i < len(server_only) or j < len(named):
        if j >= len(named):
            result.append(server_only[i])
            i += 1
        elif i >= len(server_only):
            result.append(named[j])
            j += 1
        else:
            left = _index_of(server_order, server_only[i], merge_key)
            right = _index_of(server_order, named[j], merge_key)
            if left >= 0 and right >= 0 and left < right:
                result.append(server_only[i])
                i += 1
            else:
                result.append(named[j])
                j += 1
    return result

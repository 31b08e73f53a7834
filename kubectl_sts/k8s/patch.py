"""PATCH semantics of the simulated Kubernetes API server.

Three patch formats are implemented, the same three ``kubectl patch --type``
offers:

* :func:`merge_patch` -- RFC 7386 JSON merge patch
  (``application/merge-patch+json``);
* :func:`json_patch` -- RFC 6902 JSON patch (``application/json-patch+json``);
* :func:`strategic_merge_patch` -- Kubernetes strategic merge patch
  (``application/strategic-merge-patch+json``), modelled on
  ``k8s.io/apimachinery/pkg/util/strategicpatch`` for the built-in types this
  sandbox serves.

:func:`apply_patch` dispatches on the request's Content-Type.

Every function is pure: its arguments are never modified and the returned
object shares no mutable state with them.  Objects are plain JSON values as
produced by ``json.loads``.
"""

import copy
import json
import re

__all__ = [
    "PatchError",
    "merge_patch",
    "json_patch",
    "strategic_merge_patch",
    "apply_patch",
]


class PatchError(Exception):
    """Raised for a patch that cannot be applied.

    ``str(e)`` is the one-line message the API server puts in its 422/400
    Status.
    """


# ---------------------------------------------------------------------------
# helpers shared by all formats
# ---------------------------------------------------------------------------


def _json_equal(a, b):
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
        return all(_json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return False
        return all(_json_equal(x, y) for x, y in zip(a, b))
    if type(a) is not type(b):
        return False
    return a == b


def _compact(value):
    """One-line rendering of a JSON value for error messages."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------------------
# RFC 7386 JSON merge patch
# ---------------------------------------------------------------------------


def merge_patch(target, patch):
    """Apply an RFC 7386 JSON merge patch and return the new document.

    A patch that is not an object replaces the target wholesale; inside an
    object, ``null`` removes a member and objects merge recursively.
    """
    return _merge_patch(copy.deepcopy(target), patch)


def _merge_patch(target, patch):
    # ``target`` is already a private copy; ``patch`` is only read.
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if not isinstance(target, dict):
        target = {}
    for name, value in patch.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = _merge_patch(target.get(name), value)
    return target


# ---------------------------------------------------------------------------
# RFC 6902 JSON patch (with RFC 6901 JSON pointers)
# ---------------------------------------------------------------------------

_ARRAY_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_BAD_ESCAPE = re.compile(r"~(?![01])")


def _parse_pointer(pointer):
    """Split an RFC 6901 JSON pointer into its unescaped reference tokens."""
    if not isinstance(pointer, str):
        raise PatchError("invalid JSON pointer %s: must be a string" % _compact(pointer))
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError('invalid JSON pointer "%s": must be empty or start with "/"' % pointer)
    tokens = pointer[1:].split("/")
    for token in tokens:
        if _BAD_ESCAPE.search(token):
            raise PatchError('invalid JSON pointer "%s": "~" must be followed by "0" or "1"' % pointer)
    # ~1 must be decoded before ~0 so that "~01" becomes "~1", not "/".
    return [t.replace("~1", "/").replace("~0", "~") for t in tokens]


def _array_index(token, array, pointer, allow_end):
    """Index into ``array`` named by ``token``.

    ``allow_end`` permits ``len(array)`` (insertion point of ``add``).
    """
    if not _ARRAY_INDEX.match(token):
        raise PatchError('invalid array index "%s" in path "%s"' % (token, pointer))
    index = int(token)
    limit = len(array) if allow_end else len(array) - 1
    if index > limit:
        raise PatchError('array index %d out of bounds in path "%s"' % (index, pointer))
    return index


def _resolve_parent(doc, tokens, pointer, op):
    """Return the container that holds the value the pointer names."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (op, pointer))
            node = node[token]
        elif isinstance(node, list):
            if not _ARRAY_INDEX.match(token) or int(token) >= len(node):
                raise PatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (op, pointer))
            node = node[int(token)]
        else:
            raise PatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (op, pointer))
    if not isinstance(node, (dict, list)):
        raise PatchError('%s operation does not apply: doc is missing path: "%s": missing value' % (op, pointer))
    return node


def _pointer_get(doc, pointer, op):
    tokens = _parse_pointer(pointer)
    if not tokens:
        return doc
    parent = _resolve_parent(doc, tokens, pointer, op)
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError('%s operation does not apply: doc is missing key: %s: missing value' % (op, pointer))
        return parent[last]
    if not _ARRAY_INDEX.match(last) or int(last) >= len(parent):
        raise PatchError('%s operation does not apply: doc is missing key: %s: missing value' % (op, pointer))
    return parent[int(last)]


def _op_add(doc, pointer, value):
    tokens = _parse_pointer(pointer)
    if not tokens:
        return value
    parent = _resolve_parent(doc, tokens, pointer, "add")
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif last == "-":
        parent.append(value)
    else:
        parent.insert(_array_index(last, parent, pointer, allow_end=True), value)
    return doc


def _op_remove(doc, pointer):
    tokens = _parse_pointer(pointer)
    if not tokens:
        raise PatchError("remove operation does not apply: cannot remove the root of the document")
    parent = _resolve_parent(doc, tokens, pointer, "remove")
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("Unable to remove nonexistent key: %s: missing value" % pointer)
        return doc, parent.pop(last)
    if not _ARRAY_INDEX.match(last) or int(last) >= len(parent):
        raise PatchError("Unable to remove nonexistent key: %s: missing value" % pointer)
    return doc, parent.pop(int(last))


def _op_replace(doc, pointer, value):
    tokens = _parse_pointer(pointer)
    if not tokens:
        return value
    parent = _resolve_parent(doc, tokens, pointer, "replace")
    last = tokens[-1]
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError("replace operation does not apply: doc is missing key: %s: missing value" % pointer)
        parent[last] = value
    else:
        if not _ARRAY_INDEX.match(last) or int(last) >= len(parent):
            raise PatchError("replace operation does not apply: doc is missing key: %s: missing value" % pointer)
        parent[int(last)] = value
    return doc


def _required(operation, member, op):
    if member not in operation:
        raise PatchError('%s operation is missing required member "%s": %s' % (op, member, _compact(operation)))
    return operation[member]


def json_patch(target, operations):
    """Apply an RFC 6902 JSON patch (a list of operations).

    Supports ``add``, ``remove``, ``replace``, ``move``, ``copy`` and
    ``test``; paths are RFC 6901 JSON pointers (``~0`` = ``~``, ``~1`` =
    ``/``, ``-`` = past the end of an array for ``add``).  The patch is
    atomic: any failing operation raises :class:`PatchError` and nothing is
    returned.
    """
    if not isinstance(operations, list):
        raise PatchError("json patch must be a JSON array of operations, got %s" % _compact(operations))
    doc = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict):
            raise PatchError("json patch operation must be a JSON object, got %s" % _compact(operation))
        op = operation.get("op")
        if op is None:
            raise PatchError('json patch operation is missing required member "op": %s' % _compact(operation))
        path = _required(operation, "path", op)
        if op == "add":
            doc = _op_add(doc, path, copy.deepcopy(_required(operation, "value", op)))
        elif op == "remove":
            doc, _ = _op_remove(doc, path)
        elif op == "replace":
            doc = _op_replace(doc, path, copy.deepcopy(_required(operation, "value", op)))
        elif op == "move":
            source = _required(operation, "from", op)
            _parse_pointer(path)
            _pointer_get(doc, source, op)  # must exist, even for a no-op move
            if path == source:
                continue
            if path.startswith(source + "/"):
                raise PatchError('move operation does not apply: "from" %s is a prefix of "path" %s' % (source, path))
            doc, value = _op_remove(doc, source)
            doc = _op_add(doc, path, value)
        elif op == "copy":
            source = _required(operation, "from", op)
            value = copy.deepcopy(_pointer_get(doc, source, op))
            doc = _op_add(doc, path, value)
        elif op == "test":
            expected = _required(operation, "value", op)
            _parse_pointer(path)
            try:
                actual = _pointer_get(doc, path, op)
            except PatchError:
                raise PatchError("testing value %s failed: test failed" % path)
            if not _json_equal(actual, expected):
                raise PatchError("testing value %s failed: test failed" % path)
        else:
            raise PatchError("Unexpected kind: %s" % (op,))
    return doc


# ---------------------------------------------------------------------------
# Strategic merge patch
# ---------------------------------------------------------------------------
#
# The Go implementation reads patch strategies from struct tags of the typed
# objects.  The sandbox has no types, so the relevant part of the schema is
# spelled out below as two tables keyed by (context, field):
#
# * _CONTEXTS says what a field holds, so recursion knows where it is (for a
#   list, the context applies to each item).  Fields not listed hold an
#   "Opaque" value, in which no list merges.
# * _MERGE_KEYS lists the lists that merge instead of being replaced: the
#   value is the merge key, or PRIMITIVE_MERGE for a list of scalars merged as
#   an ordered set.  Every other list is replaced wholesale by the patch.
#
# To support another field, add its rows here; nothing else has to change.

PRIMITIVE_MERGE = ""
OPAQUE = "Opaque"

# What each kind's top-level object is; unknown kinds are treated as a generic
# workload (metadata + spec.template / spec.jobTemplate).
_ROOT_CONTEXTS = {
    "Pod": "Pod",
    "StatefulSet": "StatefulSet",
    "Service": "Service",
    "PersistentVolumeClaim": "PersistentVolumeClaim",
    "Scale": "Scale",
}
_DEFAULT_ROOT_CONTEXT = "Object"

_CONTEXTS = {
    # top-level objects
    ("Pod", "metadata"): "ObjectMeta",
    ("Pod", "spec"): "PodSpec",
    ("Pod", "status"): "PodStatus",
    ("StatefulSet", "metadata"): "ObjectMeta",
    ("StatefulSet", "spec"): "StatefulSetSpec",
    ("StatefulSet", "status"): "StatefulSetStatus",
    ("Service", "metadata"): "ObjectMeta",
    ("Service", "spec"): "ServiceSpec",
    ("PersistentVolumeClaim", "metadata"): "ObjectMeta",
    ("PersistentVolumeClaim", "status"): "PersistentVolumeClaimStatus",
    ("Scale", "metadata"): "ObjectMeta",
    ("Object", "metadata"): "ObjectMeta",
    ("Object", "spec"): "WorkloadSpec",
    # workloads: everything that embeds a pod template
    ("StatefulSetSpec", "template"): "PodTemplateSpec",
    ("StatefulSetSpec", "volumeClaimTemplates"): "PersistentVolumeClaim",
    ("WorkloadSpec", "template"): "PodTemplateSpec",
    ("WorkloadSpec", "jobTemplate"): "JobTemplateSpec",
    ("JobTemplateSpec", "metadata"): "ObjectMeta",
    ("JobTemplateSpec", "spec"): "WorkloadSpec",
    ("PodTemplateSpec", "metadata"): "ObjectMeta",
    ("PodTemplateSpec", "spec"): "PodSpec",
    # pod spec
    ("PodSpec", "containers"): "Container",
    ("PodSpec", "initContainers"): "Container",
    ("PodSpec", "ephemeralContainers"): "Container",
}

_MERGE_KEYS = {
    # metadata of any object
    ("ObjectMeta", "ownerReferences"): "uid",
    ("ObjectMeta", "finalizers"): PRIMITIVE_MERGE,
    # pod spec (Pod.spec and every template.spec)
    ("PodSpec", "containers"): "name",
    ("PodSpec", "initContainers"): "name",
    ("PodSpec", "ephemeralContainers"): "name",
    ("PodSpec", "volumes"): "name",
    ("PodSpec", "imagePullSecrets"): "name",
    ("PodSpec", "hostAliases"): "ip",
    ("PodSpec", "topologySpreadConstraints"): "topologyKey",
    ("PodSpec", "resourceClaims"): "name",
    ("PodSpec", "schedulingGates"): "name",
    # containers, init containers and ephemeral containers
    ("Container", "env"): "name",
    ("Container", "ports"): "containerPort",
    ("Container", "volumeMounts"): "mountPath",
    ("Container", "volumeDevices"): "devicePath",
    # Not ("Container", "resizePolicy"): the real type is +listType=atomic
    # with no patchStrategy, so the API server replaces it wholesale.
    # services
    ("ServiceSpec", "ports"): "port",
    # status
    ("PodStatus", "conditions"): "type",
    ("PodStatus", "podIPs"): "ip",
    ("PodStatus", "hostIPs"): "ip",
    ("PersistentVolumeClaimStatus", "conditions"): "type",
    ("StatefulSetStatus", "conditions"): "type",
}

_DIRECTIVE = "$patch"
_RETAIN_KEYS = "$retainKeys"
_SET_ELEMENT_ORDER = "$setElementOrder/"
_DELETE_FROM_PRIMITIVE_LIST = "$deleteFromPrimitiveList/"


class _Deleted(object):
    """Result of merging a map carrying ``"$patch": "delete"``."""

    def __repr__(self):
        return "<deleted>"


_DELETED = _Deleted()


def strategic_merge_patch(target, patch, kind):
    """Apply a Kubernetes strategic merge patch to an object of ``kind``.

    Maps merge recursively and ``null`` deletes a key.  Lists listed in
    ``_MERGE_KEYS`` merge item by item (or as an ordered set of scalars); all
    other lists are replaced.  The directives ``$patch`` (replace / delete /
    merge), ``$setElementOrder/<list>``, ``$retainKeys`` and
    ``$deleteFromPrimitiveList/<list>`` are honoured; no ``$`` key survives in
    the result.
    """
    if not isinstance(patch, dict):
        raise PatchError("strategic merge patch must be a JSON object, got %s" % _compact(patch))
    original = copy.deepcopy(target) if isinstance(target, dict) else {}
    context = _ROOT_CONTEXTS.get(kind, _DEFAULT_ROOT_CONTEXT)
    result = _smp_map(original, copy.deepcopy(patch), context)
    if result is _DELETED:
        return {}
    return result


def _child_context(context, field):
    return _CONTEXTS.get((context, field), OPAQUE)


def _merge_key(context, field):
    """Merge key of a list field, PRIMITIVE_MERGE, or None (replace)."""
    return _MERGE_KEYS.get((context, field))


def _bad_patch_type(directive, patch):
    return PatchError("unknown patch type: %s in map: %s" % (_compact(directive), _compact(patch)))


def _no_merge_key(item, merge_key):
    return PatchError("map: %s does not contain declared merge key: %s" % (_compact(item), merge_key))


def _smp_map(original, patch, context):
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
            raise PatchError("invalid patch format of primitive list: %s must be a list" % (_DELETE_FROM_PRIMITIVE_LIST + field))
        current = original.get(field)
        if isinstance(current, list):
            original[field] = [v for v in current if _index_of(values, v, PRIMITIVE_MERGE) < 0]
    return original


def _directive_field(key, prefix, what):
    field = key[len(prefix):]
    if not field:
        raise PatchError("invalid patch format of %s: %s" % (what, key))
    return field


def _apply_retain_keys(original, patch):
    if _RETAIN_KEYS not in patch:
        return
    retain = patch[_RETAIN_KEYS]
    if not isinstance(retain, list):
        raise PatchError("invalid patch format of retainKeys: %s must be a list" % _RETAIN_KEYS)
    for key, value in patch.items():
        if value is None or key.startswith("$"):
            continue
        if _index_of(retain, key, PRIMITIVE_MERGE) < 0:
            raise PatchError('invalid patch format of retainKeys: key "%s" is not listed in %s' % (key, _RETAIN_KEYS))
    for key in list(original):
        if _index_of(retain, key, PRIMITIVE_MERGE) < 0:
            del original[key]


def _smp_fresh(value, context, field):
    """A patch value that has nothing to merge with, cleaned of directives
    and of nulls inside maps (what the API server stores for it)."""
    if isinstance(value, dict):
        return _smp_map({}, value, _child_context(context, field))
    if isinstance(value, list):
        return _smp_list([], value, context, field)
    return value


def _is_directive_item(item):
    return isinstance(item, dict) and _DIRECTIVE in item


def _clean_items(items, item_context):
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


def _smp_list(original, patch, context, field):
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
        merged = []
        for item in original + patch:
            if _index_of(merged, item, PRIMITIVE_MERGE) < 0:
                merged.append(item)
        patch_order = patch
        server_order = original
    else:
        for item in original + patch:
            if not isinstance(item, dict):
                raise PatchError("cannot merge list %s by merge key %s: element %s is not a map" % (field, merge_key, _compact(item)))
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


def _apply_set_element_order(original, patch, field, order, context):
    """Merge ``field`` and order it by ``$setElementOrder/<field>``.

    Returns False (leaving ``field`` to the ordinary merge) when the field is
    not a merging list; True when ``original[field]`` has been set.
    """
    if not isinstance(order, list):
        raise PatchError("invalid patch format of setElementOrder list: %s%s must be a list" % (_SET_ELEMENT_ORDER, field))
    merge_key = _merge_key(context, field)
    if merge_key is None:
        return False
    live = original.get(field)
    found_live = isinstance(live, list)
    change = patch.get(field)
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


def _validate_against_order(change, order, merge_key, field):
    """Items of the patch list must appear in the order list, in its order."""
    items = [i for i in change if not _is_directive_item(i)]
    position = 0
    for item in items:
        while position < len(order) and not _same_entry(item, order[position], merge_key):
            position += 1
        if position >= len(order):
            raise PatchError("The order in patch list: %s doesn't match %s list: %s" % (
                _compact(change), _SET_ELEMENT_ORDER + field, _compact(order)))
        position += 1


def _same_key(a, b, merge_key):
    return (isinstance(a, dict) and isinstance(b, dict) and merge_key in a and merge_key in b
            and _json_equal(a[merge_key], b[merge_key]))


def _same_entry(a, b, merge_key):
    if merge_key == PRIMITIVE_MERGE:
        return _json_equal(a, b)
    return _same_key(a, b, merge_key)


def _index_of(items, value, merge_key):
    for position, item in enumerate(items):
        if _same_entry(item, value, merge_key):
            return position
    return -1


def _partition(items, names, merge_key):
    named, others = [], []
    for item in items:
        (named if _index_of(names, item, merge_key) >= 0 else others).append(item)
    return named, others


def _sorted_by(items, order, merge_key):
    """Stable sort by position in ``order``; items not in it go last."""
    def position(item):
        index = _index_of(order, item, merge_key)
        return (0, index) if index >= 0 else (1, 0)
    return sorted(items, key=position)


def _normalize_order(named, server_only, named_order, server_order, merge_key):
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


# ---------------------------------------------------------------------------
# Content-Type dispatch
# ---------------------------------------------------------------------------

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH_YAML = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"

# Same order as the real kube-apiserver's 415 message.
_ACCEPTED = (JSON_PATCH, MERGE_PATCH, APPLY_PATCH_YAML, STRATEGIC_MERGE_PATCH)


def apply_patch(content_type, target, patch_body, kind):
    """Apply ``patch_body`` (already JSON-decoded) as the Content-Type says.

    Parameters after ``;`` (e.g. ``charset=utf-8``) are ignored.  Server-side
    apply and unknown media types raise :class:`PatchError`.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == JSON_PATCH:
        return json_patch(target, patch_body)
    if media_type == MERGE_PATCH:
        if not isinstance(patch_body, dict):
            raise PatchError("merge patch must be a JSON object, got %s" % _compact(patch_body))
        return merge_patch(target, patch_body)
    if media_type == STRATEGIC_MERGE_PATCH:
        return strategic_merge_patch(target, patch_body, kind)
    if media_type in (APPLY_PATCH_YAML, APPLY_PATCH_CBOR):
        raise PatchError("server-side apply is not supported by the sandbox")
    raise PatchError("the body of the request was in an unknown format - accepted media types include: %s"
                     % ", ".join(_ACCEPTED))

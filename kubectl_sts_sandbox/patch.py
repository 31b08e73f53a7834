"""PATCH semantics of the sandbox API server: the three formats ``kubectl patch --type``
offers, dispatched on the request's Content-Type by :func:`apply_patch`:

* :func:`merge_patch` -- RFC 7386 JSON merge patch (``application/merge-patch+json``);
* :func:`json_patch` -- RFC 6902 JSON patch (``application/json-patch+json``);
* the Kubernetes strategic merge patch (``application/strategic-merge-patch+json``), from the
  neutral layer (kubectl_sts/k8s/strategicpatch.py, which the plugin uses too).

Every function is pure: its arguments are never modified and the returned object shares no
mutable state with them.  Objects are plain JSON values as produced by ``json.loads``.
"""

import copy
import re
from typing import Any, Dict, List, Optional, Tuple, Union

from kubectl_sts.k8s.strategicpatch import PatchError, compact, json_equal, strategic_merge_patch

__all__ = [
    "merge_patch",
    "json_patch",
    "apply_patch",
]


# ---------------------------------------------------------------------------
# RFC 7386 JSON merge patch
# ---------------------------------------------------------------------------


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch and return the new document.

    A patch that is not an object replaces the target wholesale; inside an
    object, ``null`` removes a member and objects merge recursively.
    """
    return _merge_patch(copy.deepcopy(target), patch)


def _merge_patch(target: Any, patch: Any) -> Any:
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


def _parse_pointer(pointer: Any) -> List[str]:
    """Split an RFC 6901 JSON pointer into its unescaped reference tokens."""
    if not isinstance(pointer, str):
        raise PatchError("invalid JSON pointer %s: must be a string" % compact(pointer))
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


def _array_index(token: str, array: List[Any], pointer: str, allow_end: bool) -> int:
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


def _missing_path(op: str, pointer: str) -> PatchError:
    return PatchError('%s operation does not apply: doc is missing path: "%s": missing value'
                      % (op, pointer))


def _missing_key(op: str, pointer: str) -> PatchError:
    return PatchError("%s operation does not apply: doc is missing key: %s: missing value"
                      % (op, pointer))


def _resolve_parent(doc: Any, tokens: List[str], pointer: str, op: str) -> Any:
    """Return the container that holds the value the pointer names."""
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise _missing_path(op, pointer)
            node = node[token]
        elif isinstance(node, list):
            if not _ARRAY_INDEX.match(token) or int(token) >= len(node):
                raise _missing_path(op, pointer)
            node = node[int(token)]
        else:
            raise _missing_path(op, pointer)
    if not isinstance(node, (dict, list)):
        raise _missing_path(op, pointer)
    return node


def _locate(doc: Any, pointer: Any, op: str) -> Optional[Tuple[Any, str]]:
    """The container (a dict or a list) of the value `pointer` names, and the pointer's last
    token; None when the pointer names the whole document."""
    tokens = _parse_pointer(pointer)
    if not tokens:
        return None
    return _resolve_parent(doc, tokens, pointer, op), tokens[-1]


def _member(parent: Any, token: str) -> Optional[Union[str, int]]:
    """The key or index of the existing member `token` of a container, None when it has none."""
    if isinstance(parent, dict):
        return token if token in parent else None
    return int(token) if _ARRAY_INDEX.match(token) and int(token) < len(parent) else None


def _pointer_get(doc: Any, pointer: Any, op: str) -> Any:
    found = _locate(doc, pointer, op)
    if found is None:
        return doc
    parent, last = found
    member = _member(parent, last)
    if member is None:
        raise _missing_key(op, pointer)
    return parent[member]


def _op_add(doc: Any, pointer: Any, value: Any) -> Any:
    found = _locate(doc, pointer, "add")
    if found is None:
        return value
    parent, last = found
    if isinstance(parent, dict):
        parent[last] = value
    elif last == "-":
        parent.append(value)
    else:
        parent.insert(_array_index(last, parent, pointer, allow_end=True), value)
    return doc


def _op_remove(doc: Any, pointer: Any) -> Tuple[Any, Any]:
    found = _locate(doc, pointer, "remove")
    if found is None:
        raise PatchError("remove operation does not apply: cannot remove the root of the document")
    parent, last = found
    member = _member(parent, last)
    if member is None:
        raise PatchError("Unable to remove nonexistent key: %s: missing value" % pointer)
    return doc, parent.pop(member)


def _op_replace(doc: Any, pointer: Any, value: Any) -> Any:
    found = _locate(doc, pointer, "replace")
    if found is None:
        return value
    parent, last = found
    member = _member(parent, last)
    if member is None:
        raise _missing_key("replace", pointer)
    parent[member] = value
    return doc


def _required(operation: Dict[str, Any], member: str, op: Any) -> Any:
    if member not in operation:
        raise PatchError('%s operation is missing required member "%s": %s'
                         % (op, member, compact(operation)))
    return operation[member]


def json_patch(target: Any, operations: Any) -> Any:
    """Apply an RFC 6902 JSON patch (a list of operations).

    Supports ``add``, ``remove``, ``replace``, ``move``, ``copy`` and
    ``test``; paths are RFC 6901 JSON pointers (``~0`` = ``~``, ``~1`` =
    ``/``, ``-`` = past the end of an array for ``add``).  The patch is
    atomic: any failing operation raises :class:`PatchError` and nothing is
    returned.
    """
    if not isinstance(operations, list):
        raise PatchError("json patch must be a JSON array of operations, got %s" % compact(operations))
    doc = copy.deepcopy(target)
    for operation in operations:
        if not isinstance(operation, dict):
            raise PatchError("json patch operation must be a JSON object, got %s" % compact(operation))
        op = operation.get("op")
        if op is None:
            raise PatchError('json patch operation is missing required member "op": %s' % compact(operation))
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
                raise PatchError('move operation does not apply: "from" %s is a prefix of "path" %s'
                                 % (source, path))
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
            if not json_equal(actual, expected):
                raise PatchError("testing value %s failed: test failed" % path)
        else:
            raise PatchError("Unexpected kind: %s" % (op,))
    return doc


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


def apply_patch(content_type: Optional[str], target: Any, patch_body: Any, kind: str) -> Any:
    """Apply ``patch_body`` (already JSON-decoded) as the Content-Type says.

    Parameters after ``;`` (e.g. ``charset=utf-8``) are ignored.  Unknown media
    types raise :class:`PatchError`; server-side apply is not a patch of a document
    but a merge over the schema with field ownership: the server sends it to
    applier.py, never here (it raises :class:`PatchError` too).
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == JSON_PATCH:
        return json_patch(target, patch_body)
    if media_type == MERGE_PATCH:
        if not isinstance(patch_body, dict):
            raise PatchError("merge patch must be a JSON object, got %s" % compact(patch_body))
        return merge_patch(target, patch_body)
    if media_type == STRATEGIC_MERGE_PATCH:
        return strategic_merge_patch(target, patch_body, kind)
    if media_type in (APPLY_PATCH_YAML, APPLY_PATCH_CBOR):
        raise PatchError("server-side apply is not supported by the sandbox")
    raise PatchError("the body of the request was in an unknown format - accepted media types include: %s"
                     % ", ".join(_ACCEPTED))

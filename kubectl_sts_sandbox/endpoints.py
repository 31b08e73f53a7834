"""What the resource endpoints answer, apart from HTTP: the checks of a created or replaced
object against its URL, list pages (limit and continue), the scale subresource, patches, delete
options and delete answers (the generic registry's handlers, apiserver/pkg/endpoints/handlers).
The Handler (server.py) reads the request and sends what these return."""

import base64
import copy
import json
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple

from kubectl_sts.k8s.selectors import format_label_selector
from kubectl_sts.k8s.strategicpatch import PatchError
from . import errors
from .errors import ApiError
from .patch import apply_patch
from .resources import ResourceType, api_version

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]

# Registries with ReturnDeletedObject (kube-apiserver): an immediate delete answers with the
# object, not a Status (the official clients deserialize the body as that kind).
_RETURN_DELETED_OBJECT = {"pods", "namespaces", "services", "persistentvolumeclaims",
                          "persistentvolumes"}


def check_create(rt: ResourceType, ns: Optional[str], body: Obj) -> None:
    """A POSTed object must not name another namespace or kind than its URL."""
    if ns and body.get("metadata", {}).get("namespace") not in (None, "", ns):
        raise errors.bad_request("the namespace of the provided object does not match "
                                 "the namespace sent on the request")
    if body.get("kind") and body.get("kind") != rt.kind:
        raise errors.bad_request("the server could not process the request: kind %s does"
                                 " not match %s" % (body.get("kind"), rt.kind))


def check_replace(rt: ResourceType, ns: Optional[str], name: str, body: Obj) -> None:
    """A PUT object must not name another object than its URL; it gets the URL's name and
    namespace."""
    if body.get("metadata", {}).get("name") not in (None, name):
        raise errors.bad_request("the name of the object (%s) does not match the name on "
                                 "the URL (%s)" % (body["metadata"]["name"], name))
    body.setdefault("metadata", {})["name"] = name
    if rt.namespaced:
        body["metadata"]["namespace"] = ns


def page(items: List[Obj], rv: int, query: Mapping[str, str]) -> Tuple[List[Obj], Obj]:
    """The items of a list answer after the query's `continue` token, at most `limit` of them,
    and the list's metadata (resourceVersion, and the next token when there are more)."""
    meta: Obj = {"resourceVersion": str(rv)}
    limit = int(query.get("limit") or 0)
    token = query.get("continue")
    if token:
        try:
            state = json.loads(base64.b64decode(token))
            start = (state["ns"], state["name"])
        except Exception:
            raise errors.bad_request("continue key is not valid: illegal base64 data")
        items = [o for o in items
                 if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
    if limit and len(items) > limit:
        last = items[limit - 1]["metadata"]
        meta["continue"] = base64.b64encode(json.dumps(
            {"ns": last.get("namespace", ""), "name": last["name"], "rv": rv}).encode()).decode()
        meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    return items, meta


def scale_of(sts: Obj) -> Obj:
    """The Scale (autoscaling/v1) of a StatefulSet."""
    meta = sts["metadata"]
    return {"kind": "Scale", "apiVersion": "autoscaling/v1",
            "metadata": {k: copy.deepcopy(meta[k]) for k in
                         ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
                         if k in meta},
            "spec": {"replicas": sts["spec"].get("replicas", 1)},
            "status": {"replicas": (sts.get("status") or {}).get("replicas", 0),
                       "selector": format_label_selector(sts["spec"].get("selector"))}}


def write_scale(store: "Store", rt: ResourceType, ns: Optional[str], name: str, scale: Obj,
                dry_run: bool, manager: Optional[str] = None) -> Obj:
    """Set the replicas of a StatefulSet from a Scale (a PUT or PATCH of /scale); the Scale
    it then has. In managedFields the write is `manager`'s through the scale subresource, on
    the set's apiVersion (apiserver fieldmanager/scalehandler.go `ToParent`)."""
    if rt.kind != "StatefulSet":
        raise errors.method_not_allowed()
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or replicas < 0:
        from .validation import invalid_status
        raise errors.invalid(invalid_status("Scale", "autoscaling", name, [{
            "reason": "FieldValueInvalid", "field": "spec.replicas",
            "message": "Invalid value: %s: must be greater than or equal to 0"
                       % json.dumps(replicas)}]))
    with store.cond:
        obj = store.get(rt, ns, name)
        wanted = (scale.get("metadata") or {}).get("resourceVersion")
        if wanted and wanted != obj["metadata"]["resourceVersion"]:
            raise errors.conflict(rt, name)
        obj["spec"]["replicas"] = replicas
        updated = store.update(rt, obj, dry_run=dry_run, subresource="scale", manager=manager)
    return scale_of(updated)


def patched(content_type: str, target: Obj, body: Any, kind: str, name: str) -> Obj:
    """`target` (an object of `kind` named `name`) with the patch `body` applied as its
    Content-Type says."""
    try:
        result = apply_patch(content_type, target, body, kind)
    except PatchError as exc:
        if "unknown format" in str(exc) or "media type" in str(exc):
            raise errors.unsupported_media_type(content_type)
        raise ApiError(errors.status(422, "Invalid", str(exc)))
    if not isinstance(result, dict):
        raise ApiError(errors.status(422, "Invalid", "patched object is not an object"))
    meta = result.setdefault("metadata", {})
    if meta.get("name") != name:
        raise errors.bad_request("the name of the object (%s) does not match the name on "
                                 "the URL (%s)" % (meta.get("name"), name))
    return result


class DeleteOptions(NamedTuple):
    propagation: Optional[str]
    grace: Optional[int]
    preconditions: Optional[Obj]
    dry_run: bool


def delete_options(query: Mapping[str, str], body: Any, dry_run: bool) -> DeleteOptions:
    """DeleteOptions from the body and the query."""
    body = body or {}
    propagation = query.get("propagationPolicy") or body.get("propagationPolicy")
    if body.get("orphanDependents") is True:
        propagation = "Orphan"
    grace = query.get("gracePeriodSeconds", body.get("gracePeriodSeconds"))
    grace = int(grace) if grace not in (None, "") else None
    dry_run = dry_run or "All" in (body.get("dryRun") or [])
    return DeleteOptions(propagation, grace, body.get("preconditions"), dry_run)


def delete(store: "Store", rt: ResourceType, ns: Optional[str], name: str,
           options: DeleteOptions) -> Tuple[Obj, bool]:
    """Delete one object: what the answer is (the object, or a Status), and whether it is
    the object."""
    obj, removed = store.delete(rt, ns, name, propagation=options.propagation,
                                preconditions=options.preconditions, grace=options.grace,
                                dry_run=options.dry_run)
    if removed and rt.plural not in _RETURN_DELETED_OBJECT:
        details = {"name": name, "kind": rt.plural, "uid": obj["metadata"]["uid"]}
        if rt.group:
            details["group"] = rt.group
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "details": details}, False
    return obj, True


def delete_collection(store: "Store", rt: ResourceType, ns: Optional[str],
                      predicate: Callable[[Obj], bool], options: DeleteOptions) -> Obj:
    """The registry's DeleteCollection: the request's DeleteOptions applied to each item;
    the list of what it deleted."""
    items, _ = store.list(rt, ns, predicate)
    deleted = []
    for obj in items:
        try:
            gone, _ = store.delete(rt, obj["metadata"].get("namespace"),
                                   obj["metadata"]["name"], propagation=options.propagation,
                                   grace=options.grace, dry_run=options.dry_run)
            deleted.append(gone)
        except ApiError:
            continue
    return {"kind": rt.kind + "List", "apiVersion": api_version(rt),
            "metadata": {"resourceVersion": str(store.rv)}, "items": deleted}

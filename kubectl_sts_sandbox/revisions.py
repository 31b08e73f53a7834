"""ControllerRevision data, hashing and naming, as the StatefulSet controller computes them,
and the controller's revision history: the current and update revisions of a set, new
revisions, and the truncation of old ones."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Union

from kubectl_sts.k8s.statefulset import pod_revision
from .ownership import claim_objects, owner_ref
from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
CR = BY_KIND["ControllerRevision"]
HASH_LABEL = "controller.kubernetes.io/hash"     # history.ControllerRevisionHashLabel

_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def fnv32(data: Union[bytes, bytearray]) -> int:
    """FNV-1 32-bit (Go's hash/fnv New32), not FNV-1a."""
    h = 0x811C9DC5
    for byte in data:
        h = (h * 0x01000193) & 0xFFFFFFFF
        h ^= byte
    return h


def safe_encode(text: str) -> str:
    return "".join(_ALPHABET[ord(ch) % len(_ALPHABET)] for ch in text)


def revision_data(template: Obj) -> str:
    """The raw `data` of a revision: a strategic merge patch that replaces spec.template,
    encoded with map keys sorted. Returned as the exact string that is hashed and compared."""
    patch = {"spec": {"template": dict(template, **{"$patch": "replace"})}}
    return go_json(patch)


def go_json(value: Any) -> str:
    """JSON as Go's encoding/json writes a map: sorted keys, no spaces, UTF-8 kept, and
    <, >, &, U+2028, U+2029 escaped."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return text


def revision_hash(raw: str, collision_count: Optional[int] = None) -> str:
    data = raw.encode("utf-8")
    if collision_count is not None:
        data += str(collision_count).encode("ascii")
    return safe_encode(str(fnv32(data)))


def revision_name(sts_name: str, hash_: str) -> str:
    return "%s-%s" % (sts_name[:223], hash_)


def template_from_data(data: Obj) -> Obj:
    """The pod template a revision's data restores (without the directive)."""
    template = dict(data["spec"]["template"])
    template.pop("$patch", None)
    return template


# ---------------------------------------------------------------------------------------------
# The StatefulSet controller's revision history (stateful_set_control.go getStatefulSetRevisions,
# truncateHistory; pkg/controller/history)
# ---------------------------------------------------------------------------------------------

def _raw(cr: Obj) -> str:
    return go_json(cr.get("data"))


def claim_revisions(store: Store, sts: Obj, reqs: Any) -> List[Obj]:
    """The set's revisions, oldest first (SortControllerRevisions: by revision, then
    creation, then name): the ones its selector matches that it controls, after adopting
    the orphans among them (stateful_set.go adoptOrphanRevisions,
    ListControllerRevisions). Unlike pods, a revision that stops matching is never released:
    it keeps its owner reference and is no longer listed."""
    revs = claim_objects(store, CR, sts, reqs, release=False)
    revs.sort(key=lambda r: (r.get("revision", 0), r["metadata"]["creationTimestamp"],
                             r["metadata"]["name"]))
    return revs


def resolve_revisions(store: Store, sts: Obj, revs: List[Obj],
                      collision: int) -> Tuple[Obj, Obj, int]:
    """(current revision, update revision, collision count): the update revision is the
    newest equal to the template (renumbered when older ones follow it) or a new one."""
    raw = revision_data(sts["spec"]["template"])
    equal = [r for r in revs if _raw(r) == raw]
    max_rev = max([r.get("revision", 0) for r in revs] or [0])
    if equal and equal[-1] is revs[-1]:
        update_rev = revs[-1]
    elif equal:
        renumbered = copy.deepcopy(equal[-1])
        renumbered["revision"] = max_rev + 1
        update_rev = store.update(CR, renumbered, internal=True)
    else:
        update_rev, collision = _create_revision(store, sts, raw, max_rev + 1, collision)
    current_name = (sts.get("status") or {}).get("currentRevision")
    current_rev = update_rev
    for r in revs:
        if r["metadata"]["name"] == current_name:
            current_rev = r
    if current_name == update_rev["metadata"]["name"]:
        current_rev = update_rev
    return current_rev, update_rev, collision


def _create_revision(store: Store, sts: Obj, raw: str, number: int,
                     collision: int) -> Tuple[Obj, int]:
    """newRevision, then history.CreateControllerRevision: the name takes the hash with the
    collision count, counted up while the name is taken by a revision with other data (one
    with the same data is returned as it is). The hash label keeps the hash of the count
    the controller started with (NewControllerRevision sets it once; the retries rename)."""
    ns = sts["metadata"]["namespace"]
    labels = dict(sts["spec"]["template"].get("metadata", {}).get("labels") or {})
    labels[HASH_LABEL] = revision_hash(raw, collision)
    while True:
        name = revision_name(sts["metadata"]["name"], revision_hash(raw, collision))
        existing = store.peek(CR, ns, name)
        if existing is None:
            cr = {"metadata": {"name": name, "namespace": ns, "labels": labels,
                               "ownerReferences": [owner_ref(sts)]},
                  "data": json.loads(raw), "revision": number}
            if sts["metadata"].get("annotations"):
                cr["metadata"]["annotations"] = dict(sts["metadata"]["annotations"])
            return store.create(CR, cr, namespace=ns, internal=True), collision
        if _raw(existing) == raw:
            return existing, collision
        collision += 1


def truncate_history(store: Store, sts: Obj, revs: List[Obj], pods: List[Obj],
                     current_rev: Obj, update_rev: Obj) -> bool:
    """truncateHistory: delete the oldest revisions that are not live (the current and update
    revisions, any pod's) beyond spec.revisionHistoryLimit. True when a delete failed (the
    sync's error)."""
    live = {current_rev["metadata"]["name"], update_rev["metadata"]["name"]}
    live.update(pod_revision(p) for p in pods)
    history = [r for r in revs if r["metadata"]["name"] not in live]
    limit = sts["spec"].get("revisionHistoryLimit", 10)
    if limit < 0 or len(history) <= limit:
        return False
    for r in history[:len(history) - limit]:
        try:
            store.delete(CR, r["metadata"]["namespace"], r["metadata"]["name"])
        except Exception:
            return True
    return False


def deleting_revision_names(sts: Obj, revs: List[Obj]) -> Tuple[Optional[str], str, int]:
    """(current, update revision names, collision count) of a set with a deletionTimestamp,
    found without writing any: a real controller would (re)create the update revision here,
    which the garbage collector deletes again; the names it reports are the same."""
    raw = revision_data(sts["spec"]["template"])
    collision = (sts.get("status") or {}).get("collisionCount") or 0
    equal = [r for r in revs if _raw(r) == raw]
    if equal:
        upd_name = equal[-1]["metadata"]["name"]
    else:
        upd_name = revision_name(sts["metadata"]["name"], revision_hash(raw, collision))
    cur_name = (sts.get("status") or {}).get("currentRevision")
    if cur_name not in {r["metadata"]["name"] for r in revs}:
        cur_name = upd_name
    return cur_name, upd_name, collision

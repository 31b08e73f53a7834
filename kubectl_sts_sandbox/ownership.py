"""Owner references as controllers write and follow them: the controller reference of an
object, a new one, dropping an owner's, and the adopt/release step of a controller's
sync (pkg/controller/controller_ref_manager.go ClaimObject)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from kubectl_sts.k8s.selectors import matches_labels

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]


def owner_ref(obj: Obj, block: bool = True) -> Obj:
    """A controller reference to `obj` (metav1.NewControllerRef)."""
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": block}


def controller_of(obj: Obj) -> Optional[Obj]:
    """The owner reference marked controller (metav1.GetControllerOf), or None."""
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def without_owner(obj: Obj, uid: str) -> Obj:
    """A copy of `obj` without the owner references to `uid`; ownerReferences is omitempty,
    so the field goes with the last one."""
    obj = copy.deepcopy(obj)
    refs = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid]
    if refs:
        obj["metadata"]["ownerReferences"] = refs
    else:
        del obj["metadata"]["ownerReferences"]
    return obj


def claim_objects(store: Store, rt: ResourceType, owner: Obj, reqs: Any,
                  accept: Optional[Callable[[Obj], bool]] = None,
                  release: bool = True) -> List[Obj]:
    """The objects of type `rt` in the owner's namespace that the owner controls, after
    adopting the orphans its selector (the requirements `reqs`) matches and releasing the
    ones it controls that stopped matching. `accept` filters first (ClaimPods' isMemberOf):
    what it rejects is neither kept nor released. What stopped matching is not returned, and
    left as it is while the owner is being deleted or with release=False (the StatefulSet
    controller's revisions)."""
    uid = owner["metadata"]["uid"]
    deleting = owner["metadata"].get("deletionTimestamp")
    items, _ = store.list(rt, owner["metadata"]["namespace"])
    owned = []
    for obj in items:
        if accept is not None and not accept(obj):
            continue
        ref = controller_of(obj)
        selected = bool(reqs) and matches_labels(reqs, obj["metadata"].get("labels"))
        if ref is not None and ref.get("uid") == uid:
            if selected:
                owned.append(obj)
            elif release and not deleting:             # release what stopped matching
                store.update(rt, without_owner(obj, uid), internal=True)
        elif ref is None and selected and not obj["metadata"].get("deletionTimestamp") and \
                not deleting:
            obj = copy.deepcopy(obj)                   # adopt an orphan
            obj["metadata"].setdefault("ownerReferences", []).append(owner_ref(owner))
            owned.append(store.update(rt, obj, internal=True))
    return owned

"""The garbage collector: ownerReference cascades (Background, Foreground, Orphan)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Tuple

from .ownership import without_owner

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]


class GarbageCollector:
    def __init__(self, store: Store) -> None:
        self.store = store
        # uid -> (rt, ns, name)
        self.live: Dict[Optional[str], Tuple[ResourceType, str, str]] = {}
        self.dependents: Dict[str, Set[str]] = {}   # owner uid -> set of dependent uids
        self.check: Set[str] = set()        # dependent uids to look at
        # uids of owners with foregroundDeletion/orphan finalizers
        self.owners_waiting: Set[str] = set()

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        uid = meta.get("uid")
        if etype == "DELETED":
            self.live.pop(uid, None)
            self.check.update(self.dependents.pop(uid, set()))
            self.owners_waiting.discard(uid)
            return
        self.live[uid] = (rt, meta.get("namespace", ""), meta["name"])
        refs = meta.get("ownerReferences") or []
        for ref in refs:
            self.dependents.setdefault(ref.get("uid"), set()).add(uid)
        if refs:
            self.check.add(uid)
        finalizers = meta.get("finalizers") or []
        if meta.get("deletionTimestamp") and ("foregroundDeletion" in finalizers or
                                              "orphan" in finalizers):
            self.owners_waiting.add(uid)

    def _obj(self, uid: Optional[str]) -> Optional[Obj]:
        where = self.live.get(uid)
        return self.store.peek(*where) if where else None

    def step(self) -> None:
        for uid in list(self.owners_waiting):
            self._finish_owner(uid)
        work = list(self.check)
        self.check.clear()
        for uid in work:
            obj = self._obj(uid)
            if obj is None:
                continue
            refs = obj["metadata"].get("ownerReferences") or []
            if not refs:
                continue
            solid = [r for r in refs if self._owner_alive(r, obj)]
            if not solid:
                if not obj["metadata"].get("deletionTimestamp"):
                    rt, ns, name = self.live[uid]
                    self.store.delete(rt, ns, name)
            elif len(solid) != len(refs):
                fixed = copy.deepcopy(obj)
                fixed["metadata"]["ownerReferences"] = solid
                self.store.update(self.live[uid][0], fixed, internal=True)

    def _owner_alive(self, ref: Obj, dependent: Obj) -> bool:
        owner = self._obj(ref.get("uid"))
        if owner is None:
            return False
        # an owner in foreground deletion still blocks: its dependents are deleted by
        # _finish_owner, not here
        return owner["metadata"]["name"] == ref.get("name")

    def _has_dependents(self, uid: str) -> bool:
        for dep_uid in self.dependents.get(uid, ()):
            dep = self._obj(dep_uid)
            if dep is not None and any(r.get("uid") == uid for r in
                                       dep["metadata"].get("ownerReferences") or []):
                return True
        return False

    def _finish_owner(self, uid: str) -> None:
        owner = self._obj(uid)
        if owner is None:
            self.owners_waiting.discard(uid)
            return
        rt = self.live[uid][0]
        finalizers = owner["metadata"].get("finalizers") or []
        deps = [d for d in (self._obj(d) for d in self.dependents.get(uid, ())) if d is not None
                and any(r.get("uid") == uid for r in d["metadata"].get("ownerReferences") or [])]
        if "orphan" in finalizers:
            for dep in deps:
                self.store.update(self.live[dep["metadata"]["uid"]][0], without_owner(dep, uid),
                                  internal=True)
            deps = []
            finalizers = [f for f in finalizers if f != "orphan"]
        elif "foregroundDeletion" in finalizers:
            blocking = []
            for dep in deps:
                if not dep["metadata"].get("deletionTimestamp"):
                    # like kube-controller-manager's attemptToDeleteItem: a dependent is itself
                    # deleted in the foreground only when it has dependents of its own
                    drt, dns, dname = self.live[dep["metadata"]["uid"]]
                    self.store.delete(drt, dns, dname, propagation="Foreground"
                                      if self._has_dependents(dep["metadata"]["uid"]) else None)
                if any(r.get("uid") == uid and r.get("blockOwnerDeletion")
                       for r in dep["metadata"].get("ownerReferences") or []):
                    blocking.append(dep)
            if blocking:
                return
            finalizers = [f for f in finalizers if f != "foregroundDeletion"]
        else:
            self.owners_waiting.discard(uid)
            return
        current = self.store.peek(*self.live[uid])
        if current is None:
            return
        fixed = copy.deepcopy(current)
        fixed["metadata"]["finalizers"] = finalizers
        if not finalizers:
            del fixed["metadata"]["finalizers"]
        self.owners_waiting.discard(uid)
        self.store.update(rt, fixed, internal=True)

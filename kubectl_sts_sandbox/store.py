"""The sandbox's object store: what etcd plus the generic registry do in a real API server.

Objects are plain dicts. A stored dict is never mutated: every write stores a new one, so
readers may serialise what `peek`/`list` return without copying (and must not modify it).
"""

import collections
import copy
import random
import threading
import uuid
from typing import (TYPE_CHECKING, Any, Callable, DefaultDict, Deque, Dict, List, NamedTuple,
                    Optional, Tuple)

from . import errors, managedfields
from .resources import ResourceType, api_version

if TYPE_CHECKING:
    from .clock import Clock

Obj = Dict[str, Any]
Key = Tuple[str, str]                   # (namespace, name); "" for cluster-scoped objects

APPLIED = "\x00applied"                  # update(manager=APPLIED): managedFields already set
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
# One committed change. `previous` is the stored object it replaced (None for ADDED): a watch
# with a selector needs both to turn a change of labels into ADDED or DELETED for its client,
# as the API server's watch cache does.
class WatchEntry(NamedTuple):
    rv: int
    rt: ResourceType
    namespace: str
    type: str                           # ADDED, MODIFIED, DELETED
    object: Obj
    previous: Optional[Obj]

# Resources whose main endpoint ignores status (it is written through /status).
_STATUS_SUBRESOURCE = {"pods", "persistentvolumeclaims", "persistentvolumes", "services",
                       "statefulsets", "namespaces", "poddisruptionbudgets", "nodes",
                       # CRDs with a status subresource (crds.py)
                       "customresourcedefinitions", "volumesnapshots", "volumesnapshotcontents",
                       "volumegroupsnapshots", "volumegroupsnapshotcontents"}


# Metadata that an update cannot change.
_SERVER_SET_FIELDS = ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "generation", "namespace")


def _same_apart_from_rv(new: Obj, old: Obj) -> bool:
    if {k: v for k, v in new.items() if k != "metadata"} != \
            {k: v for k, v in old.items() if k != "metadata"}:
        return False
    strip = lambda meta: {k: v for k, v in meta.items() if k != "resourceVersion"}  # noqa: E731
    return strip(new["metadata"]) == strip(old["metadata"])


# ObjectMeta fields tagged `omitempty`: an empty list or map is never stored or served.
_OMIT_EMPTY_META = ("ownerReferences", "finalizers", "labels", "annotations", "managedFields")


def _omit_empty_meta(meta: Obj) -> None:
    for field in _OMIT_EMPTY_META:
        if field in meta and meta[field] in ([], {}):
            del meta[field]


def random_suffix(n: int = 5, rng: Any = random) -> str:
    """The random suffix of a generated name (generateName)."""
    return "".join(rng.choice(_NAME_CHARS) for _ in range(n))


class Store:
    def __init__(self, clock: "Clock", history: int = 50000,
                 admit: Optional[Callable[[ResourceType, Obj, Optional[Obj]], None]] = None
                 ) -> None:
        self.clock = clock
        self.cond = threading.Condition(threading.RLock())
        self.rv = 1
        self.data: DefaultDict[ResourceType, Dict[Key, Obj]] = collections.defaultdict(dict)
        self.log: Deque[WatchEntry] = collections.deque(maxlen=history)
        self.compacted_rv = 0                          # events at or below this are gone
        # f(rt, type, obj), called under the lock
        self.listeners: List[Callable[[ResourceType, str, Obj], None]] = []
        self.admit = admit                             # f(rt, obj, old) -> defaults + validation
        self._local = threading.local()                # per writer: see defaulted()

    # -- reading -----------------------------------------------------------------------------
    def peek(self, rt: ResourceType, namespace: Optional[str], name: str) -> Optional[Obj]:
        """The stored object (not a copy: never modify it), or None."""
        with self.cond:
            return self.data[rt].get((namespace or "", name))

    def get(self, rt: ResourceType, namespace: Optional[str], name: str) -> Obj:
        """A copy of the stored object; 404 when there is none."""
        obj = self.peek(rt, namespace, name)
        if obj is None:
            raise errors.not_found(rt, name)
        return copy.deepcopy(obj)

    def list(self, rt: ResourceType, namespace: Optional[str] = None,
             predicate: Optional[Callable[[Obj], bool]] = None) -> Tuple[List[Obj], int]:
        """Objects of one type (sorted by namespace/name) and the store's resourceVersion."""
        with self.cond:
            items = [obj for (ns, _), obj in self.data[rt].items()
                     if (not namespace or ns == namespace) and (predicate is None or predicate(obj))]
            rv = self.rv
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return items, rv

    def events_since(self, rv: int) -> List[WatchEntry]:
        """Watch entries after `rv`; raises 410 Gone when some of them were compacted away."""
        with self.cond:
            if rv < self.compacted_rv:
                raise errors.gone("too old resource version: %d (%d)" % (rv, self.compacted_rv + 1))
            if not self.log or self.log[-1].rv <= rv:
                return []
            # The log is ordered by rv: skip from the right end for the common (recent) case.
            out: List[WatchEntry] = []
            for entry in reversed(self.log):
                if entry.rv <= rv:
                    break
                out.append(entry)
            out.reverse()
            return out

    def compact(self) -> None:
        """Forget every watch event so far (tests use it to provoke 410 Gone)."""
        with self.cond:
            self.log.clear()
            self.compacted_rv = self.rv

    # -- writing -----------------------------------------------------------------------------
    def _commit(self, rt: ResourceType, etype: str, obj: Obj, remove: bool = False) -> Obj:
        self.rv += 1
        meta = obj["metadata"]
        meta["resourceVersion"] = str(self.rv)
        key = (meta.get("namespace", ""), meta["name"])
        previous = self.data[rt].get(key)
        if remove:
            self.data[rt].pop(key, None)
        else:
            self.data[rt][key] = obj
        if len(self.log) == self.log.maxlen:
            self.compacted_rv = self.log[0].rv
        self.log.append(WatchEntry(self.rv, rt, key[0], etype, obj, previous))
        for listener in list(self.listeners):
            listener(rt, etype, obj)
        self.cond.notify_all()
        return obj

    def _check_namespace(self, rt: ResourceType, obj: Obj) -> None:
        if not rt.namespaced:
            return
        from .resources import BY_KIND
        ns = obj["metadata"].get("namespace") or "default"
        ns_obj = self.data[BY_KIND["Namespace"]].get(("", ns))
        if ns_obj is None:
            raise errors.not_found(BY_KIND["Namespace"], ns)
        if ns_obj["metadata"].get("deletionTimestamp"):
            raise errors.terminating_namespace(ns, rt, obj["metadata"].get("name", ""))

    def create(self, rt: ResourceType, obj: Obj, namespace: Optional[str] = None,
               dry_run: bool = False, internal: bool = False,
               manager: Optional[str] = None) -> Obj:
        """POST semantics: the object as stored (`internal`: a controller's write, not
        admitted). `manager`: whose Update it is in managedFields (None: the sandbox
        component's, managedfields.manager_for; "": not tracked)."""
        self._local.defaulted = None
        obj = copy.deepcopy(obj)
        obj["apiVersion"] = api_version(rt)
        obj["kind"] = rt.kind
        meta = obj.setdefault("metadata", {})
        if rt.namespaced:
            meta["namespace"] = namespace or meta.get("namespace") or "default"
        else:
            meta.pop("namespace", None)
        with self.cond:
            if not meta.get("name") and meta.get("generateName"):
                for _ in range(20):
                    candidate = meta["generateName"] + random_suffix()
                    if (meta.get("namespace", ""), candidate) not in self.data[rt]:
                        meta["name"] = candidate
                        break
            sent_managed = meta.pop("managedFields", None)
            for field in ("uid", "resourceVersion", "deletionTimestamp", "generation",
                          "deletionGracePeriodSeconds"):
                meta.pop(field, None)
            meta["creationTimestamp"] = self.clock.stamp()
            if rt.generation:
                meta["generation"] = 1
            if not internal and self.admit:
                self.admit(rt, obj, None)
            self._check_namespace(rt, obj)
            if (meta.get("namespace", ""), meta["name"]) in self.data[rt]:
                raise errors.already_exists(rt, meta["name"])
            meta["uid"] = str(uuid.uuid4())
            if manager == APPLIED:
                meta["managedFields"] = sent_managed
            else:
                self._track(rt, None, obj, manager, None, internal, sent_managed)
            _omit_empty_meta(meta)
            if dry_run:
                meta.pop("resourceVersion", None)   # "" is omitted (omitempty)
                return obj
            return self._commit(rt, "ADDED", obj)

    def update(self, rt: ResourceType, obj: Obj, subresource: Optional[str] = None,
               dry_run: bool = False, internal: bool = False,
               manager: Optional[str] = None) -> Obj:
        """PUT semantics. `subresource` "status" takes the status (and, from clients, the
        metadata) from obj and keeps the stored spec; the main resource keeps the stored
        status ("scale" writes the main resource, recorded as through /scale). A
        resourceVersion in obj is a precondition. `manager` as for create; an applier's
        write (applier.py) sets managedFields itself and passes `manager=APPLIED`."""
        self._local.defaulted = None
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        name = meta.get("name", "")
        with self.cond:
            old = self.data[rt].get((meta.get("namespace", "") if rt.namespaced else "", name))
            if old is None:
                raise errors.not_found(rt, name)
            wanted_rv = meta.get("resourceVersion")
            if wanted_rv and wanted_rv != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name)
            if subresource == "status":
                new = copy.deepcopy(old)
                new["status"] = obj.get("status", {})
                if not internal:
                    # the registries' status strategies reset only the spec: metadata changes
                    # sent to /status are kept (pods also keep their ownerReferences)
                    new["metadata"] = meta
                    keep = _SERVER_SET_FIELDS + (("ownerReferences",) if rt.plural == "pods"
                                                 else ())
                    for field in keep:
                        if field in old["metadata"]:
                            meta[field] = copy.deepcopy(old["metadata"][field])
                        else:
                            meta.pop(field, None)
                    if self.admit:
                        self.admit(rt, new, old)
            else:
                new = obj
                new["apiVersion"], new["kind"] = old["apiVersion"], old["kind"]
                if rt.plural in _STATUS_SUBRESOURCE and not internal:
                    if "status" in old:
                        new["status"] = copy.deepcopy(old["status"])
                    else:
                        new.pop("status", None)
                for field in _SERVER_SET_FIELDS:
                    if field in old["metadata"]:
                        meta[field] = old["metadata"][field]
                    else:
                        meta.pop(field, None)
                if not internal and self.admit:
                    self.admit(rt, new, old)
                if rt.generation and new.get("spec") != old.get("spec"):
                    meta["generation"] = old["metadata"].get("generation", 1) + 1
            _omit_empty_meta(new["metadata"])
            if manager != APPLIED:
                self._track(rt, old, new, manager, subresource, internal,
                            new["metadata"].get("managedFields"))
            if dry_run:
                return new
            if _same_apart_from_rv(new, old):
                return old      # like etcd3's GuaranteedUpdate: no write, no event, same rv
            if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers") \
                    and not self._awaiting_kubelet(rt, new):
                return self._commit(rt, "DELETED", new, remove=True)
            return self._commit(rt, "MODIFIED", new)

    def defaulted(self, obj: Obj) -> None:
        """Called by admission between defaulting and the mutating admission plugins: the
        object the field manager compares (mutations after it are nobody's)."""
        self._local.defaulted = copy.deepcopy(obj)

    def _track(self, rt: ResourceType, old: Optional[Obj], new: Obj, manager: Optional[str],
               subresource: Optional[str], internal: bool, sent: Any) -> None:
        """Record the write in new's managedFields (managedfields.update)."""
        meta = new["metadata"]
        seen = getattr(self._local, "defaulted", None)
        self._local.defaulted = None
        if seen is not None:
            _omit_empty_meta(seen.setdefault("metadata", {}))
        if manager is None:
            manager = managedfields.manager_for(rt, new, subresource, internal)
        if not manager:
            live = (old or {}).get("metadata", {}).get("managedFields")
            if live:
                meta["managedFields"] = live
            else:
                meta.pop("managedFields", None)
            return
        if sent is not None:
            meta["managedFields"] = sent
        managedfields.update(rt, old, new, manager, subresource, self.clock.stamp(), seen)

    @staticmethod
    def _awaiting_kubelet(rt: ResourceType, obj: Obj) -> bool:
        """Deleted but held by something other than metadata.finalizers: a pod in its grace
        period (the kubelet ends it), a namespace with spec.finalizers (its content goes first)."""
        if rt.plural == "pods":
            return obj["metadata"].get("deletionGracePeriodSeconds", 0) > 0
        if rt.plural == "namespaces":
            return bool((obj.get("spec") or {}).get("finalizers"))
        return False

    def delete(self, rt: ResourceType, namespace: Optional[str], name: str,
               propagation: Optional[str] = None, preconditions: Optional[Obj] = None,
               grace: Optional[int] = None, dry_run: bool = False) -> Tuple[Obj, bool]:
        """DELETE semantics: graceful for scheduled pods, finalizers hold an object with a
        deletionTimestamp, Foreground/Orphan add their finalizer for the garbage collector.
        Returns (object, removed_now)."""
        with self.cond:
            old = self.data[rt].get((namespace or "" if rt.namespaced else "", name))
            if old is None:
                raise errors.not_found(rt, name)
            preconditions = preconditions or {}
            if preconditions.get("uid") and preconditions["uid"] != old["metadata"]["uid"]:
                raise errors.conflict(rt, name, "Precondition failed: UID in precondition: %s, "
                                      "UID in object meta: %s" % (preconditions["uid"],
                                                                  old["metadata"]["uid"]))
            if preconditions.get("resourceVersion") and \
                    preconditions["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise errors.conflict(rt, name, "Precondition failed: ResourceVersion in "
                                      "precondition: %s, ResourceVersion in object meta: %s"
                                      % (preconditions["resourceVersion"],
                                         old["metadata"]["resourceVersion"]))
            new = copy.deepcopy(old)
            meta = new["metadata"]
            finalizers = list(meta.get("finalizers") or [])
            if propagation == "Foreground" and "foregroundDeletion" not in finalizers:
                finalizers.append("foregroundDeletion")
            elif propagation == "Orphan" and "orphan" not in finalizers:
                finalizers.append("orphan")
            graceful = False
            if rt.plural == "pods":
                if grace is None:
                    grace = (new.get("spec") or {}).get("terminationGracePeriodSeconds", 30)
                pending_grace = meta.get("deletionGracePeriodSeconds")
                graceful = bool(new.get("spec", {}).get("nodeName")) and grace > 0 and \
                    new.get("status", {}).get("phase") not in ("Succeeded", "Failed")
                if pending_grace is not None and grace >= pending_grace:
                    graceful = pending_grace > 0    # a second delete cannot lengthen the grace
                    grace = pending_grace
            if rt.plural == "namespaces" and (new.get("spec") or {}).get("finalizers"):
                graceful = True
                new["status"] = {"phase": "Terminating"}
            if finalizers:
                meta["finalizers"] = finalizers
            if not finalizers and not graceful:
                if dry_run:
                    return new, True
                if not meta.get("deletionTimestamp"):
                    meta["deletionTimestamp"] = self.clock.stamp()
                meta.pop("deletionGracePeriodSeconds", None)
                return self._commit(rt, "DELETED", new, remove=True), True
            if dry_run:
                return new, False
            if rt.plural == "pods":
                seconds = (grace or 0) if graceful else 0
                meta["deletionGracePeriodSeconds"] = seconds
                if not meta.get("deletionTimestamp") or graceful:
                    meta["deletionTimestamp"] = self.clock.stamp(self.clock.now() + seconds)
            elif not meta.get("deletionTimestamp"):
                meta["deletionTimestamp"] = self.clock.stamp()
                meta["deletionGracePeriodSeconds"] = 0
            if new == old:
                return new, False
            return self._commit(rt, "MODIFIED", new), False

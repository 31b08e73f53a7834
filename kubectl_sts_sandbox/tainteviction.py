"""NoExecute taints and the pods on their nodes, as the API server and the controller manager
handle them.

- Admission (plugin/pkg/admission/defaulttolerationseconds, Admit): a pod created without a
  toleration for `node.kubernetes.io/not-ready:NoExecute`, or for
  `node.kubernetes.io/unreachable:NoExecute`, gets one (operator Exists) with
  `tolerationSeconds` from `Config.default_toleration_seconds` (kube-apiserver's
  --default-not-ready-toleration-seconds / --default-unreachable-toleration-seconds, 300).
- The taint eviction controller (pkg/controller/tainteviction/taint_eviction.go:
  processPodOnNode, getMinTolerationTime, addConditionAndDeletePod): a pod on a node with a
  NoExecute taint it does not tolerate is deleted at once; one that tolerates every such taint
  for a while is deleted when the shortest `tolerationSeconds` has passed since the controller
  first saw it tainted (none: never). The delete is graceful, after a DisruptionTarget
  condition (DeletionByTaintManager), with a TaintManagerEviction event; on a node whose
  kubelet is gone the pod then stays Terminating. A scheduled deletion whose taint goes away
  is cancelled, with an event too."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from kubectl_sts.k8s.conditions import find_condition
from . import events
from .clock import time_to_step
from kubectl_sts.k8s.taints import NOT_READY, UNREACHABLE
from .nodes import tolerates
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]

NODE = BY_KIND["Node"]
POD = BY_KIND["Pod"]
COMPONENT = "taint-eviction-controller"


def add_default_tolerations(pod: Obj, seconds: float) -> None:
    """DefaultTolerationSeconds, on a pod being created."""
    spec = pod.setdefault("spec", {})
    tolerations = spec.get("tolerations") or []
    for key in (NOT_READY, UNREACHABLE):
        if not any(t.get("key") in (key, "", None) and t.get("effect") in ("NoExecute", "", None)
                   for t in tolerations):
            tolerations.append({"key": key, "operator": "Exists", "effect": "NoExecute",
                                "tolerationSeconds": int(seconds)})
    spec["tolerations"] = tolerations


def eviction_delay(taints: List[Obj], tolerations: List[Obj]) -> Optional[float]:
    """Seconds until a pod with these tolerations is deleted from a node with these NoExecute
    taints: 0 at once (a taint it does not tolerate, or a toleration of 0 or less), None never."""
    used = []
    for taint in taints:           # GetMatchingTolerations: the first that tolerates each
        first = next((t for t in tolerations if tolerates(t, taint)), None)
        if first is None:
            return 0
        used.append(first)
    limits = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if not limits:
        return None
    return max(min(limits), 0)


class TaintEviction:
    def __init__(self, store: Store) -> None:
        self.store = store
        # (ns, name, uid) -> (first seen tainted, delay)
        self.scheduled: Dict[Tuple[str, str, str], Tuple[float, float]] = {}
        self.tainted: Set[str] = set()      # nodes with a NoExecute taint, at the last step
        self.dirty = True

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt is NODE or (rt is POD and (obj.get("spec") or {}).get("nodeName") in
                          self.tainted):
            self.dirty = True

    def next_due(self) -> Optional[float]:
        due = [start + delay for start, delay in self.scheduled.values()]
        return min(due) if due else None

    def step(self, now: float) -> None:
        if not time_to_step(self, now):
            return
        nodes, _ = self.store.list(NODE)
        tainted = {}
        for node in nodes:
            taints = [t for t in (node.get("spec") or {}).get("taints") or []
                      if t.get("effect") == "NoExecute"]
            if taints:
                tainted[node["metadata"]["name"]] = taints
        self.tainted = set(tainted)
        if not tainted and not self.scheduled:
            return                    # the common case: no pod to look at
        pods, _ = self.store.list(POD)
        wanted = {}
        for pod in pods:
            meta = pod["metadata"]
            node_taints = tainted.get((pod.get("spec") or {}).get("nodeName"))
            if not node_taints or meta.get("deletionTimestamp"):
                continue
            delay = eviction_delay(node_taints, (pod.get("spec") or {}).get("tolerations") or [])
            if delay is None:
                continue
            key = (meta["namespace"], meta["name"], meta.get("uid"))
            start = self.scheduled.get(key, (now, delay))[0]
            wanted[key] = (start, delay)
            if start + delay <= now:
                self._delete(pod)
                wanted.pop(key)
        for key in set(self.scheduled) - set(wanted):
            live = self.store.peek(POD, key[0], key[1])
            if live is not None and live["metadata"].get("uid") == key[2] and \
                    not live["metadata"].get("deletionTimestamp"):
                self._event(live, "Cancelling deletion of Pod %s/%s" % key[:2])
        self.scheduled = wanted

    def _delete(self, pod: Obj) -> None:
        meta = pod["metadata"]
        updated = copy.deepcopy(pod)
        conditions = updated.setdefault("status", {}).setdefault("conditions", [])
        if find_condition(updated, "DisruptionTarget") is None:
            conditions.append({"type": "DisruptionTarget", "status": "True",
                               "reason": "DeletionByTaintManager",
                               "message": "Taint manager: deleting due to NoExecute taint",
                               "lastTransitionTime": self.store.clock.stamp()})
            self.store.update(POD, updated, subresource="status", internal=True,
                                  manager="kube-controller-manager")
        self._event(pod, "Marking for deletion Pod %s/%s" % (meta["namespace"], meta["name"]))
        self.store.delete(POD, meta["namespace"], meta["name"])

    def _event(self, pod: Obj, message: str) -> None:
        events.record(self.store, pod, "Normal", "TaintManagerEviction", message, COMPONENT)

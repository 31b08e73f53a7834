"""Nodes that fail, and what the control plane does about it.

`kubectl annotate node NODE sandbox.kubectl-sts.io/kubelet=stopped` (sandbox only) stops that
node's kubelet: its pods get no status updates, a deleted pod on it stays Terminating (no
kubelet confirms it), and it neither renews its Lease nor posts its node status
(nodekubelet.py). Removing the annotation starts the kubelet again.

The node lifecycle controller (pkg/controller/nodelifecycle/node_lifecycle_controller.go):
- tryUpdateNodeHealth: a node is healthy while its kubelet renews its Lease in kube-node-lease
  or posts a new Ready heartbeat; once neither happened for node-monitor-grace-period
  (`Config.node_grace_seconds`, see nodekubelet.timings), its MemoryPressure, DiskPressure,
  PIDPressure and Ready conditions become Unknown (NodeStatusUnknown, "Kubelet stopped posting
  node status."; a missing one NodeStatusNeverUpdated), with the Normal event NodeNotReady
  (RecordNodeStatusChange) and, for each pod on the node, its Ready condition False and a
  Warning NodeNotReady "Node is not ready" (controller/util/node MarkPodsNotReady);
- processTaintBaseEviction: the `node.kubernetes.io/unreachable` NoExecute taint while Ready is
  Unknown (`not-ready` while False), removed once Ready is True (markNodeAsReachable);
- doNoScheduleTaintingPass, on every node change: the NoSchedule taints of the node's
  conditions (Ready False `not-ready`, Unknown `unreachable`, MemoryPressure, DiskPressure,
  PIDPressure, NetworkUnavailable True) and of `spec.unschedulable` (`kubectl cordon`:
  `node.kubernetes.io/unschedulable`), added with their timeAdded and removed when their cause
  goes (controller/util/node SwapNodeControllerTaint).
Not modelled: the zone disruption modes (no NoExecute taints while every node of every zone is
down) and the eviction rate limit (--node-eviction-rate, one node a zone per 10 s).

The non-graceful node shutdown (KEP-2268, GA 1.28): a node that is not Ready and carries the
`node.kubernetes.io/out-of-service` NoExecute taint has its pods deleted (the taint eviction
controller, tainteviction.py) and force-deleted (pod GC gcTerminating), which frees their
volumes. Pods bound to a node that was deleted are force-deleted too (pod GC gcOrphaned)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Set, Tuple

from kubectl_sts.k8s.conditions import node_ready
from kubectl_sts.k8s.taints import NOT_READY, OUT_OF_SERVICE, UNREACHABLE, UNSCHEDULABLE
from . import events
from .nodekubelet import (KUBELET_ANNOTATION, LEASE, LEASE_NAMESPACE, NodeKubelets, parse_time,
                          timings)
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]

NODE = BY_KIND["Node"]
POD = BY_KIND["Pod"]
__all__ = ["KUBELET_ANNOTATION", "NODE", "NodeLifecycle", "tolerates"]
COMPONENT = "node-controller"
# nodeConditionToTaintKeyStatusMap: (condition type, status) -> NoSchedule taint key
CONDITION_TAINTS = {("Ready", "False"): NOT_READY, ("Ready", "Unknown"): UNREACHABLE,
                    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
                    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
                    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
                    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure"}
_PASS_KEYS = set(CONDITION_TAINTS.values()) | {UNSCHEDULABLE}
# the conditions tryUpdateNodeHealth turns Unknown (NetworkUnavailable is the cloud's)
HEALTH_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


def tolerates(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") not in (None, "", taint.get("effect")):
        return False
    if toleration.get("operator") == "Exists":
        return toleration.get("key") in (None, "", taint.get("key"))
    return toleration.get("key") == taint.get("key") and \
        toleration.get("value", "") == taint.get("value", "")


class _Health:
    """nodeHealthData: when the controller last saw the node alive, and what it saw."""

    def __init__(self, probe: float, heartbeat: Any) -> None:
        self.probe = probe              # probeTimestamp
        self.heartbeat = heartbeat      # the Ready condition's lastHeartbeatTime seen
        self.renewed: Optional[float] = None    # the lease's renewTime seen
        self.deadline: Optional[float] = None   # when the node is late, unless it is Unknown


class NodeLifecycle:
    def __init__(self, store: Store, config: Any,
                 on_pods_changed: Callable[[str], None]) -> None:
        self.store = store
        self.config = config
        self.kubelets = NodeKubelets(store, config)
        self.on_pods_changed = on_pods_changed      # f(node): its kubelet resumed
        self.health: Dict[str, _Health] = {}
        self.dirty: Set[str] = set()        # nodes that changed (or whose pods did)
        self.swept = True                   # pod GC has looked since the last node deletion
        self.orphans: Set[Tuple[str, str]] = set()   # pods bound to a node that is not there

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt is NODE:
            self.kubelets.on_node(etype, obj)
            name = obj["metadata"]["name"]
            if etype == "DELETED":
                self.health.pop(name, None)
                self.dirty.discard(name)
                self.swept = False
            else:
                self.dirty.add(name)
        elif rt is POD and etype != "DELETED":
            node = (obj.get("spec") or {}).get("nodeName")
            if not node:
                return
            if node not in self.kubelets.kubelets:
                self.orphans.add((obj["metadata"]["namespace"], obj["metadata"]["name"]))
            elif self.kubelets.stopped(node):
                self.dirty.add(node)

    def kubelet_stopped(self, node_name: str) -> bool:
        return self.kubelets.stopped(node_name)

    def next_due(self) -> Optional[float]:
        dues = [h.deadline for h in self.health.values()] + [self.kubelets.next_due()]
        pending = [d for d in dues if d is not None]
        return min(pending) if pending else None

    def step(self, now: float) -> None:
        for name in self.kubelets.take_resumed():
            self.on_pods_changed(name)
        self.kubelets.step(now)
        dirty, self.dirty = self.dirty, set()
        late = {n for n, h in self.health.items() if h.deadline is not None and h.deadline <= now}
        for name in sorted(dirty | late):
            self._update_health(name, now)
        dirty |= self.dirty
        self.dirty = set()
        for name in sorted(dirty):
            node = self.store.peek(NODE, "", name)
            if node is None:
                continue
            self._no_schedule_pass(node)
            if not node_ready(node) and any(t.get("key") == OUT_OF_SERVICE for t in (
                    node.get("spec") or {}).get("taints") or []):
                self._shut_down(name)
        if not self.swept or self.orphans:
            self._orphaned()

    # -- tryUpdateNodeHealth, processTaintBaseEviction ------------------------------------------
    def _update_health(self, name: str, now: float) -> None:
        node = self.store.peek(NODE, "", name)
        if node is None:
            return
        _, grace = timings(self.config)
        ready = _condition(node, "Ready") or {}
        health = self.health.get(name)
        if health is None:
            health = self.health[name] = _Health(now, ready.get("lastHeartbeatTime"))
        elif ready.get("lastHeartbeatTime") != health.heartbeat:
            health.heartbeat = ready.get("lastHeartbeatTime")
            health.probe = now
        lease = self.store.peek(LEASE, LEASE_NAMESPACE, name)
        renewed = parse_time(((lease or {}).get("spec") or {}).get("renewTime"))
        if renewed is not None and (health.renewed is None or renewed > health.renewed):
            # a renewal seen: the sandbox's controller watches, so it counts from its renewTime
            # (upstream's monitorNodeHealth looks every node-monitor-period, 5 s, and counts
            # from then)
            health.renewed = renewed
            health.probe = max(health.probe, min(renewed, now))
        observed = ready.get("status", "Unknown")
        if now > health.probe + grace:
            node = self._mark_unknown(node, now)
            health.deadline = None
        else:
            health.deadline = health.probe + grace
        current = (_condition(node, "Ready") or {}).get("status", "Unknown")
        if current != "True" and observed == "True":
            # the status update wakes doNoScheduleTaintingPass at once; the NoExecute taint
            # waits for doNoExecuteTaintingPass (every 100 ms)
            self._no_schedule_pass(node)
            ref = {"kind": "Node", "apiVersion": "v1",
                   "metadata": {"name": name, "uid": node["metadata"].get("uid")}}
            events.record(self.store, ref, "Normal", "NodeNotReady", "Node %s status is now: "
                          "NodeNotReady" % name, COMPONENT)
            self._mark_pods_not_ready(name)
        self._taint_based_eviction(node, current)

    def _mark_unknown(self, node: Obj, now: float) -> Obj:
        """The grace period is over: each health condition Unknown, in the controller's words;
        the status is written when Ready changed."""
        stamp = self.store.clock.stamp(now)
        updated = copy.deepcopy(node)
        status = updated.setdefault("status", {})
        conditions: List[Obj] = status.setdefault("conditions", [])
        for ctype in HEALTH_CONDITIONS:
            cond = _condition(updated, ctype)
            if cond is None:
                conditions.append({"type": ctype, "status": "Unknown",
                                   "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                                   "lastTransitionTime": stamp,
                                   "reason": "NodeStatusNeverUpdated",
                                   "message": "Kubelet never posted node status."})
            elif cond.get("status") != "Unknown":
                cond.update(status="Unknown", reason="NodeStatusUnknown",
                            message="Kubelet stopped posting node status.",
                            lastTransitionTime=stamp)
        if _condition(updated, "Ready") == _condition(node, "Ready"):
            return node
        return self.store.update(NODE, updated, subresource="status", internal=True,
                                 manager="kube-controller-manager")

    def _mark_pods_not_ready(self, name: str) -> None:
        """MarkPodsNotReady: each pod's Ready condition (only that one) False, and a Warning."""
        pods, _ = self.store.list(POD, predicate=lambda p: (p.get("spec") or {}).get(
            "nodeName") == name)
        for pod in pods:
            ready = [c for c in (pod.get("status") or {}).get("conditions") or []
                     if c.get("type") == "Ready"]
            if not ready or ready[0].get("status") == "False":
                continue
            updated = copy.deepcopy(pod)
            for cond in updated["status"]["conditions"]:
                if cond.get("type") == "Ready":
                    cond.update(status="False", lastTransitionTime=self.store.clock.stamp())
            self.store.update(POD, updated, subresource="status", internal=True,
                                  manager="kube-controller-manager")
            events.record(self.store, pod, "Warning", "NodeNotReady", "Node is not ready",
                          COMPONENT)

    def _taint_based_eviction(self, node: Obj, ready: str) -> None:
        """processTaintBaseEviction: unreachable (Unknown) or not-ready (False) NoExecute,
        the other one swapped out; both removed on a Ready node (markNodeAsReachable)."""
        wanted = {"Unknown": UNREACHABLE, "False": NOT_READY}.get(ready)
        self._swap(node, "NoExecute", {UNREACHABLE, NOT_READY},
                   {wanted} if wanted else set())

    # -- doNoScheduleTaintingPass ------------------------------------------------------------
    def _no_schedule_pass(self, node: Obj) -> None:
        wanted = {CONDITION_TAINTS[(c.get("type"), c.get("status"))]
                  for c in (node.get("status") or {}).get("conditions") or []
                  if (c.get("type"), c.get("status")) in CONDITION_TAINTS}
        if (node.get("spec") or {}).get("unschedulable"):
            wanted.add(UNSCHEDULABLE)
        self._swap(node, "NoSchedule", _PASS_KEYS, wanted)

    def _swap(self, node: Obj, effect: str, keys: Set[str], wanted: Set[str]) -> None:
        """SwapNodeControllerTaint: of the taints with these keys and this effect, the node
        keeps the wanted ones, gets the missing ones (timeAdded now) and loses the others."""
        current = self.store.peek(NODE, "", node["metadata"]["name"])
        if current is None:
            return
        taints = list((current.get("spec") or {}).get("taints") or [])
        have = {t.get("key") for t in taints if t.get("effect") == effect and t.get("key") in keys}
        if have == wanted:
            return
        stamp = self.store.clock.stamp()
        kept = [t for t in taints if not (t.get("effect") == effect and
                                          t.get("key") in have - wanted)]
        kept += [{"key": key, "effect": effect, "timeAdded": stamp}
                 for key in sorted(wanted - have)]
        updated = copy.deepcopy(current)
        if kept:
            updated.setdefault("spec", {})["taints"] = kept
        else:
            updated.get("spec", {}).pop("taints", None)
        self.store.update(NODE, updated, internal=True, manager="kube-controller-manager")

    # -- pod GC ------------------------------------------------------------------------------------
    def _orphaned(self) -> None:
        """Pod GC gcOrphaned: pods bound to a node that no longer exists are force-deleted."""
        if self.swept:
            keys = [k for k in self.orphans]
        else:
            pods, _ = self.store.list(POD)
            keys = [(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods]
        self.swept, self.orphans = True, set()
        for ns, name in keys:
            pod = self.store.peek(POD, ns, name)
            node = (pod or {}).get("spec", {}).get("nodeName")
            if pod is not None and node and node not in self.kubelets.kubelets:
                self.store.delete(POD, ns, name, grace=0)

    def _shut_down(self, name: str) -> None:
        """Pod GC gcTerminating: the pods the taint eviction controller deleted from a node
        that is out of service are force-deleted (their volumes are detached at once)."""
        pods, _ = self.store.list(POD, predicate=lambda p: (p.get("spec") or {}).get(
            "nodeName") == name)
        for pod in pods:
            if pod["metadata"].get("deletionTimestamp"):
                self.store.delete(POD, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  grace=0)


def _condition(node: Obj, ctype: str) -> Optional[Obj]:
    for cond in (node.get("status") or {}).get("conditions") or []:
        if cond.get("type") == ctype:
            return cond  # type: ignore[no-any-return]
    return None

"""Nodes that fail, and what the control plane does about it.

`kubectl annotate node NODE sandbox.kubectl-sts.io/kubelet=stopped` (sandbox only) stops that
node's kubelet: its pods get no status updates, and a deleted pod on it stays Terminating (no
kubelet confirms it). After `Config.node_grace_seconds` (node-monitor-grace-period) the node
lifecycle controller (pkg/controller/nodelifecycle: tryUpdateNodeHealth, MarkPodsNotReady)
sets its Ready condition Unknown (NodeStatusUnknown, "Kubelet stopped posting node status."),
adds the `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints, and sets its pods'
Ready conditions False. Removing the annotation starts the kubelet again: Ready True, the
unreachable taints go.

The non-graceful node shutdown (KEP-2268, GA 1.28): a node that is not Ready and carries the
`node.kubernetes.io/out-of-service` NoExecute taint has its pods deleted (the taint eviction
controller, tainteviction.py) and force-deleted (pod GC gcTerminating), which frees their
volumes. Pods bound to a node that was deleted are force-deleted too (pod GC gcOrphaned)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, Optional, Set

from kubectl_sts.k8s.conditions import node_ready
from .clock import time_to_step
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]

NODE = BY_KIND["Node"]
POD = BY_KIND["Pod"]
KUBELET_ANNOTATION = "sandbox.kubectl-sts.io/kubelet"
UNREACHABLE = "node.kubernetes.io/unreachable"
OUT_OF_SERVICE = "node.kubernetes.io/out-of-service"


def tolerates(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") not in (None, "", taint.get("effect")):
        return False
    if toleration.get("operator") == "Exists":
        return toleration.get("key") in (None, "", taint.get("key"))
    return toleration.get("key") == taint.get("key") and \
        toleration.get("value", "") == taint.get("value", "")


class NodeLifecycle:
    def __init__(self, store: Store, config: Any,
                 on_pods_changed: Callable[[str], None]) -> None:
        self.store = store
        self.config = config
        self.stopped: Dict[str, float] = {}   # node name -> sim time its kubelet stopped
        self.unreachable: Set[str] = set()    # nodes marked NotReady by the lifecycle controller
        self.on_pods_changed = on_pods_changed      # f(node): its kubelet resumed
        self.dirty = True

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt is NODE or (rt is POD and obj.get("spec", {}).get("nodeName") in self.stopped):
            self.dirty = True

    def kubelet_stopped(self, node_name: str) -> bool:
        return node_name in self.stopped

    def next_due(self) -> Optional[float]:
        pending = [t + self.config.node_grace_seconds for n, t in self.stopped.items()
                   if n not in self.unreachable]
        return min(pending) if pending else None

    def step(self, now: float) -> None:
        if not time_to_step(self, now):
            return
        nodes, _ = self.store.list(NODE)
        names = set()
        for node in nodes:
            name = node["metadata"]["name"]
            names.add(name)
            stopped = (node["metadata"].get("annotations") or {}).get(KUBELET_ANNOTATION) == \
                "stopped"
            if stopped and name not in self.stopped:
                self.stopped[name] = now
            elif not stopped and name in self.stopped:
                del self.stopped[name]
                self.unreachable.discard(name)
                self._ready_again(node)
                self.on_pods_changed(name)
                continue
            if stopped and name not in self.unreachable and \
                    now - self.stopped[name] >= self.config.node_grace_seconds:
                self.unreachable.add(name)
                self._not_ready(node)
            if not node_ready(node) and any(t.get("key") == OUT_OF_SERVICE for t in (
                    node.get("spec") or {}).get("taints") or []):
                self._shut_down(name)
        for gone in set(self.stopped) - names:
            del self.stopped[gone]
            self.unreachable.discard(gone)
        self._orphaned(names)

    # -- what the controllers write ---------------------------------------------------------------
    def _not_ready(self, node: Obj) -> None:
        node = copy.deepcopy(node)
        stamp = self.store.clock.stamp()
        for cond in node.setdefault("status", {}).setdefault("conditions", []):
            if cond.get("type") == "Ready":
                cond.update(status="Unknown", reason="NodeStatusUnknown",
                            message="Kubelet stopped posting node status.",
                            lastTransitionTime=stamp)
        taints = [t for t in node.setdefault("spec", {}).get("taints") or []
                  if t.get("key") != UNREACHABLE]
        taints += [{"key": UNREACHABLE, "effect": "NoSchedule", "timeAdded": stamp},
                   {"key": UNREACHABLE, "effect": "NoExecute", "timeAdded": stamp}]
        node["spec"]["taints"] = taints
        self.store.update(NODE, node, internal=True)
        pods, _ = self.store.list(POD)
        for pod in pods:
            if pod.get("spec", {}).get("nodeName") != node["metadata"]["name"]:
                continue
            pod = copy.deepcopy(pod)
            for cond in (pod.get("status") or {}).get("conditions") or []:
                if cond.get("type") in ("Ready", "ContainersReady") and \
                        cond.get("status") == "True":
                    cond.update(status="False", lastTransitionTime=stamp)
            self.store.update(POD, pod, subresource="status", internal=True)

    def _ready_again(self, node: Obj) -> None:
        node = copy.deepcopy(node)
        for cond in node.setdefault("status", {}).setdefault("conditions", []):
            if cond.get("type") == "Ready":
                cond.update(status="True", reason="KubeletReady",
                            message="kubelet is posting ready status",
                            lastTransitionTime=self.store.clock.stamp())
        taints = [t for t in (node.get("spec") or {}).get("taints") or []
                  if t.get("key") != UNREACHABLE]
        if taints:
            node["spec"]["taints"] = taints
        else:
            node.get("spec", {}).pop("taints", None)
        self.store.update(NODE, node, internal=True)

    def _orphaned(self, names: Set[str]) -> None:
        """Pod GC gcOrphaned: pods bound to a node that no longer exists are force-deleted."""
        pods, _ = self.store.list(POD)
        for pod in pods:
            node = pod.get("spec", {}).get("nodeName")
            if node and node not in names:
                self.store.delete(POD, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  grace=0)

    def _shut_down(self, name: str) -> None:
        """Pod GC gcTerminating: the pods the taint eviction controller deleted from a node
        that is out of service are force-deleted (their volumes are detached at once)."""
        pods, _ = self.store.list(POD)
        for pod in pods:
            if pod.get("spec", {}).get("nodeName") == name and \
                    pod["metadata"].get("deletionTimestamp"):
                self.store.delete(POD, pod["metadata"]["namespace"], pod["metadata"]["name"],
                                  grace=0)

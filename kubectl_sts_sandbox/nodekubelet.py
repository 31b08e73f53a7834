"""The node half of every sandbox node's kubelet: the status it posts and the Lease it renews.

Registration (pkg/kubelet/kubelet_node_status.go initialNode + setNodeStatus): the node carries
the labels the kubelet sets (`kubernetes.io/hostname`, `kubernetes.io/os`, `kubernetes.io/arch`
and their `beta.kubernetes.io/` twins), the controller-managed attach-detach annotation,
`daemonEndpoints.kubeletEndpoint.Port` 10250 and the four conditions of
pkg/kubelet/nodestatus/setters.go (MemoryPressureCondition, DiskPressureCondition,
PIDPressureCondition, ReadyCondition, in that order): `cluster._node` builds it,
`kubelet_conditions` gives the conditions.

While a node's kubelet runs (sandbox: the node lacks the annotation
`sandbox.kubectl-sts.io/kubelet=stopped`), it
- renews the Lease `kube-node-lease/NODE` (coordination.k8s.io/v1; component-helpers
  apimachinery/lease/controller.go: created with holderIdentity NODE and leaseDurationSeconds
  40, kubelet's nodeLeaseDurationSeconds; then only spec.renewTime is written; the owner
  reference to the Node is set while there is none, pkg/kubelet/util/nodelease.go
  SetNodeOwnerFunc) every 10 s (nodeLeaseRenewIntervalFraction 0.25 x 40 s);
- posts its node status (kubelet_node_status.go tryUpdateNodeStatus) when a condition is not
  what it would report (e.g. back after a stop) and otherwise every nodeStatusReportFrequency
  (5 min), each time with fresh heartbeats, the events of setters.go
  (`Node NODE status is now: NodeReady` ...) on transitions, and recordNodeSchedulableEvent's
  NodeNotSchedulable / NodeSchedulable when spec.unschedulable flips.
A stopped kubelet writes nothing: the node lifecycle controller (nodes.py) sees the Lease age.

Time: the renewal interval is min(10 s, node_grace_seconds / 5) of simulated time (upstream:
10 s against a 50 s node-monitor-grace-period), but a kubelet writes at most twice a real
second whatever `Config.speed`; the grace period the controller applies is at least twice the
interval, so a running kubelet is never judged late (`timings`).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from . import events
from .clock import parse_rfc3339
from .resources import BY_KIND, api_version

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]

NODE = BY_KIND["Node"]
LEASE = BY_KIND["Lease"]
KUBELET_ANNOTATION = "sandbox.kubectl-sts.io/kubelet"
LEASE_NAMESPACE = "kube-node-lease"        # v1.NamespaceNodeLease
LEASE_DURATION_SECONDS = 40                # KubeletConfiguration nodeLeaseDurationSeconds
RENEW_FRACTION = 0.25                      # kubelet.go nodeLeaseRenewIntervalFraction
STATUS_REPORT_SECONDS = 300.0              # KubeletConfiguration nodeStatusReportFrequency
MIN_REAL_SECONDS = 0.5                     # sandbox: one write per kubelet per this, at most
# (type, status, reason, message, event) as setters.go posts them for a healthy node
KUBELET_CONDITIONS: Tuple[Tuple[str, str, str, str, str], ...] = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory",
     "kubelet has sufficient memory available", "NodeHasSufficientMemory"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure",
     "NodeHasNoDiskPressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available",
     "NodeHasSufficientPID"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status", "NodeReady"),
)


def timings(config: Any) -> Tuple[float, float]:
    """(lease renewal interval, node-monitor-grace-period) in simulated seconds."""
    grace = float(config.node_grace_seconds)
    renew = min(LEASE_DURATION_SECONDS * RENEW_FRACTION, grace / 5)
    renew = max(renew, MIN_REAL_SECONDS * float(getattr(config, "speed", 1.0)))
    return renew, max(grace, 2 * renew)


def micro_stamp(at: float) -> str:
    """A metav1.MicroTime as JSON has it: RFC 3339 with microseconds."""
    return datetime.datetime.fromtimestamp(at, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: Any) -> Optional[float]:
    """A Time or MicroTime as epoch seconds (None when missing or malformed)."""
    try:
        return parse_rfc3339(text) if isinstance(text, str) else None
    except ValueError:
        return None


def kubelet_conditions(old: List[Obj], stamp: str) -> Tuple[List[Obj], List[Tuple[str, str]]]:
    """The conditions after a healthy kubelet's setters ran at `stamp`: its four with fresh
    heartbeats (the transition time kept while the status is unchanged), any other condition
    left as it was; and the (event type, reason) of the transitions it records (none for a
    condition it creates: ReadyCondition and the pressure setters alike, for a new node)."""
    wanted = {c[0]: c for c in KUBELET_CONDITIONS}
    out: List[Obj] = []
    recorded: List[Tuple[str, str]] = []
    seen = set()
    for cond in old:
        spec = wanted.get(cond.get("type", ""))
        if spec is None:
            out.append(cond)
            continue
        seen.add(spec[0])
        changed = cond.get("status") != spec[1]
        out.append(_condition(spec, stamp, stamp if changed else cond.get("lastTransitionTime")))
        if changed:
            recorded.append(("Normal", spec[4]))
    for spec in KUBELET_CONDITIONS:
        if spec[0] not in seen:
            out.append(_condition(spec, stamp, stamp))
    return out, recorded


def _condition(spec: Tuple[str, str, str, str, str], heartbeat: str,
               transition: Optional[str]) -> Obj:
    return {"type": spec[0], "status": spec[1], "lastHeartbeatTime": heartbeat,
            "lastTransitionTime": transition or heartbeat, "reason": spec[2],
            "message": spec[3]}


def _without_heartbeats(conditions: List[Obj]) -> List[Obj]:
    """nodeConditionsHaveChanged's view: the conditions by type, heartbeats left out."""
    return sorted(({k: v for k, v in c.items() if k != "lastHeartbeatTime"} for c in conditions),
                  key=lambda c: str(c.get("type")))


class _Kubelet:
    """One node's kubelet, as far as its node status and lease go."""

    def __init__(self, name: str, uid: str, stopped: bool, now: float) -> None:
        self.name = name
        self.uid = uid
        self.stopped = stopped
        self.lease_due = 0.0            # create or renew the lease at the first step
        self.status_due = 0.0           # look at the status at the first step
        self.reported = now             # registration reported the status (initialNode)
        self.unschedulable = False      # kubelet.lastNodeUnschedulable


class NodeKubelets:
    """Every node's kubelet: status posts and lease renewals (see the module's docstring)."""

    def __init__(self, store: Store, config: Any) -> None:
        self.store = store
        self.config = config
        self.kubelets: Dict[str, _Kubelet] = {}
        self.resumed: List[str] = []    # nodes whose kubelet started again, not yet handled

    # -- what the kubelets learn from node events (a store listener: no writes here) ---------
    def on_node(self, etype: str, node: Obj) -> None:
        meta = node["metadata"]
        name = meta["name"]
        if etype == "DELETED":
            self.kubelets.pop(name, None)
            return
        stopped = (meta.get("annotations") or {}).get(KUBELET_ANNOTATION) == "stopped"
        kubelet = self.kubelets.get(name)
        if kubelet is None or kubelet.uid != meta.get("uid"):
            self.kubelets[name] = _Kubelet(name, meta.get("uid", ""), stopped,
                                           self.store.clock.now())
            return
        if stopped != kubelet.stopped:
            kubelet.stopped = stopped
            if not stopped:             # started again: it posts its status and renews now
                kubelet.lease_due = kubelet.status_due = 0.0
                self.resumed.append(name)
        elif not stopped:
            kubelet.status_due = min(kubelet.status_due, kubelet.reported)   # look again

    def stopped(self, name: str) -> bool:
        kubelet = self.kubelets.get(name)
        return kubelet is not None and kubelet.stopped

    def take_resumed(self) -> List[str]:
        names, self.resumed = self.resumed, []
        return names

    def next_due(self) -> Optional[float]:
        dues = [min(k.lease_due, k.status_due) for k in self.kubelets.values() if not k.stopped]
        return min(dues) if dues else None

    # -- what running kubelets write -----------------------------------------------------------
    def step(self, now: float) -> None:
        renew, _ = timings(self.config)
        report = max(STATUS_REPORT_SECONDS, MIN_REAL_SECONDS * float(self.config.speed))
        for kubelet in list(self.kubelets.values()):
            if kubelet.stopped:
                continue
            if kubelet.status_due <= now:
                self._post_status(kubelet, now, report)
            if kubelet.lease_due <= now:
                self._renew(kubelet, now)
                kubelet.lease_due = now + renew

    def _post_status(self, kubelet: _Kubelet, now: float, report: float) -> None:
        """tryUpdateNodeStatus: the setters' status, written when it changed (heartbeats
        aside) or nodeStatusReportFrequency has passed since the last report."""
        node = self.store.peek(NODE, "", kubelet.name)
        if node is None:
            return
        kubelet.status_due = kubelet.reported + report
        unschedulable = bool((node.get("spec") or {}).get("unschedulable"))
        if unschedulable != kubelet.unschedulable:
            # recordNodeSchedulableEvent, one of the setters of every status sync
            kubelet.unschedulable = unschedulable
            self._event(node, "NodeNotSchedulable" if unschedulable else "NodeSchedulable")
        old = list((node.get("status") or {}).get("conditions") or [])
        conditions, recorded = kubelet_conditions(old, self.store.clock.stamp(now))
        if _without_heartbeats(conditions) == _without_heartbeats(old) and \
                now < kubelet.reported + report:
            return
        status = dict(node.get("status") or {}, conditions=conditions)
        self.store.update(NODE, dict(node, status=status), subresource="status", internal=True)
        kubelet.reported = now
        kubelet.status_due = now + report
        for _, reason in recorded:
            self._event(node, reason)

    def _event(self, node: Obj, reason: str) -> None:
        """recordNodeStatusEvent: on the kubelet's nodeRef (UID = the node's name)."""
        name = node["metadata"]["name"]
        ref = {"kind": "Node", "metadata": {"name": name, "uid": name}}
        events.record(self.store, ref, "Normal", reason, "Node %s status is now: %s"
                      % (name, reason), "kubelet", name)

    def _renew(self, kubelet: _Kubelet, now: float) -> None:
        """lease controller sync: update the lease's renewTime, or create the lease."""
        owner = [{"apiVersion": "v1", "kind": "Node", "name": kubelet.name, "uid": kubelet.uid}]
        lease = self.store.peek(LEASE, LEASE_NAMESPACE, kubelet.name)
        try:
            if lease is None:
                self.store.create(LEASE, {
                    "apiVersion": api_version(LEASE), "kind": LEASE.kind,
                    "metadata": {"name": kubelet.name, "namespace": LEASE_NAMESPACE,
                                 "ownerReferences": owner},
                    "spec": {"holderIdentity": kubelet.name,
                             "leaseDurationSeconds": LEASE_DURATION_SECONDS,
                             "renewTime": micro_stamp(now)}}, internal=True)
                return
            meta = dict(lease["metadata"])
            if not meta.get("ownerReferences"):
                meta["ownerReferences"] = owner
            self.store.update(LEASE, dict(lease, metadata=meta, spec=dict(
                lease.get("spec") or {}, renewTime=micro_stamp(now))), internal=True)
        except Exception:   # kube-node-lease is gone or going: the kubelet tries again later
            return

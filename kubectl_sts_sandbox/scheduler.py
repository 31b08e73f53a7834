"""The default scheduler (pkg/scheduler): it takes the unscheduled pods of the
`default-scheduler` from its queue (schedqueue.py), runs the PreFilter and Filter plugins
(schedplugins.py) over the nodes, and binds the pod to a node that passes, or reports why none
does, and retries the pod when a cluster event may let it fit.

- schedule_one.go schedulingCycle/findNodesThatFitPod: no node at all is
  ErrNoNodesAvailable ("no nodes available to schedule pods"); otherwise a FitError.
- framework/types.go FitError.Error: "0/N nodes are available: " then the PreFilter message,
  or the per-node reasons counted and sorted ("3 node(s) were unschedulable"), nodes a
  PreFilterResult left out counting as "node(s) didn't satisfy plugin(s) [NodeAffinity]";
  then the PostFilter message: DefaultPreemption (default_preemption.go PostFilter,
  preemption.go Preempt) answers "preemption: not eligible due to preemptionPolicy=Never."
  for such pods, else "preemption: 0/N nodes are available: N Preemption is not helpful for
  scheduling." (every rejection modelled is UnschedulableAndUnresolvable).
- schedule_one.go handleSchedulingFailure: a Warning FailedScheduling event with that
  message, and the PodScheduled condition False, reason Unschedulable (updatePod with
  podutil.UpdatePodCondition: written only when it changes; lastTransitionTime kept while
  the status stays False).
- Binding: VolumeBinding PreBind provisions and binds the WaitForFirstConsumer claims
  (storage.py), then the binding sets spec.nodeName with PodScheduled True
  (pkg/registry/core/pod/storage assignPod), and the Scheduled event. The kubelet of the node
  takes it from there (kubelet.py).
- Scoring is not modelled: among the feasible nodes the pod takes the first in an order
  rotated by its ordinal, which spreads a StatefulSet's pods over the nodes.
- The events the queue reacts to come from the cache of nodes, claims, volumes and classes
  this scheduler keeps (as its informers do), so a node update is compared field by field
  with the previous one (NodeSchedulingPropertiesChange).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, Optional, Tuple

from . import events, schedplugins as plugins
from .kubelet import NODES
from .resources import BY_KIND
from .schedplugins import Event
from .schedqueue import QueuedPod, SchedulingQueue

if TYPE_CHECKING:
    from .resources import ResourceType
    from .storage import Storage
    from .store import Store

Obj = Dict[str, Any]

POD = BY_KIND["Pod"]
NODE = BY_KIND["Node"]
PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
SC = BY_KIND["StorageClass"]
SCHEDULER_NAME = "default-scheduler"
NO_NODES = "no nodes available to schedule pods"
KINDS = {PVC: plugins.CLAIM, PV: plugins.VOLUME, SC: plugins.CLASS}


class Scheduler:
    def __init__(self, store: Store, config: Any, storage: Storage,
                 bound: Callable[[Obj, str, float], None]) -> None:
        self.store = store
        self.storage = storage
        self.bound = bound                      # f(pod, node, now): the node's kubelet starts it
        now = store.clock.now()
        self.queue = SchedulingQueue(config.pod_initial_backoff_seconds,
                                     config.pod_max_backoff_seconds,
                                     config.pod_max_in_unschedulable_seconds, now,
                                     config.scheduler_pop_from_backoff)
        self.nodes: Dict[str, Obj] = {n["metadata"]["name"]: n for n in store.list(NODE)[0]}
        self.cache: Dict[Tuple[str, str, str], Obj] = {}   # (kind, ns, name) -> volume or class
        self.in_flight: Optional[str] = None    # the uid of the pod being scheduled

    # -- events ------------------------------------------------------------------------------
    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt is POD:
            self._pod_event(etype, obj)
        elif rt is NODE:
            name = obj["metadata"]["name"]
            old = self.nodes.get(name)
            new = None if etype == "DELETED" else obj
            if new is None:
                self.nodes.pop(name, None)
            else:
                self.nodes[name] = new
            for action in dict.fromkeys(plugins.node_events(old, new)):
                self._cluster_event(Event(plugins.NODE, action, old, new))
        elif rt in KINDS and etype != "DELETED":
            kind = KINDS[rt]
            old = None
            if rt is not PVC:                   # the hints compare volumes and classes
                key = (kind, "", obj["metadata"]["name"])
                old = self.cache.get(key)
                self.cache[key] = obj
            action = plugins.ADD if etype == "ADDED" else plugins.UPDATE
            self._cluster_event(Event(kind, action, old, obj))
        elif rt in KINDS:
            self.cache.pop((KINDS[rt], "", obj["metadata"]["name"]), None)

    def _pod_event(self, etype: str, pod: Obj) -> None:
        """eventhandlers.go: unscheduled pods of this scheduler are added to the queue,
        updated in it, and leave it when bound, deleted or being deleted."""
        meta, spec = pod["metadata"], pod.get("spec") or {}
        uid = meta["uid"]
        if uid == self.in_flight:
            return
        if etype == "DELETED" or spec.get("nodeName") or meta.get("deletionTimestamp") or \
                (spec.get("schedulerName") or SCHEDULER_NAME) != SCHEDULER_NAME:
            self.queue.forget(uid)
            return
        q = self.queue.pods.get(uid)
        if q is None:
            self.queue.add(pod, spec.get("priority") or 0, self.store.clock.now())
            return
        old, q.pod = q.pod, pod
        if uid in self.queue.unschedulable:
            # PriorityQueue.Update: the pod's own change, through the hints
            for action in plugins.pod_events(old, pod):
                if plugins.worth_requeuing(pod, q.rejectors,
                                           Event(plugins.POD, action, old, pod)):
                    self.queue.requeue(uid, self.store.clock.now())
                    break

    def _cluster_event(self, event: Event) -> None:
        """movePodsToActiveOrBackoffQueue over the pods the event's plugins rejected (none
        when no plugin registered the event: isEventOfInterest)."""
        if not self.queue.unschedulable:
            return
        wanted = plugins.interested(event)
        uids = self.queue.candidates(wanted) if wanted else ()
        now = self.store.clock.now()
        for uid in uids:
            q = self.queue.pods[uid]
            pod = self.store.peek(POD, q.ns, q.name)
            if pod is None or pod["metadata"]["uid"] != uid:
                continue
            if plugins.worth_requeuing(pod, q.rejectors, event):
                self.queue.requeue(uid, now)

    # -- the loop ------------------------------------------------------------------------------
    def next_due(self) -> Optional[float]:
        return self.queue.next_due()

    def step(self, now: float) -> None:
        self.queue.flush(now)
        for _ in range(10):                 # pods requeued by this step's own writes
            popped = self.queue.pop_all()
            if not popped:
                return
            for q in popped:
                self._schedule_one(q, self.store.clock.now())

    def _schedule_one(self, q: QueuedPod, now: float) -> None:
        pod = self.store.peek(POD, q.ns, q.name)
        if pod is None or pod["metadata"]["uid"] != q.uid or \
                (pod.get("spec") or {}).get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            self.queue.forget(q.uid)        # skipPodSchedule
            return
        self.in_flight = q.uid
        try:
            node, message, rejectors = self._find_node(pod)
            if node is not None:
                self.queue.forget(q.uid)
                try:
                    self._bind(pod, node, now)
                except Exception:
                    # handleBindingCycleError: back to the queue, to be tried after a backoff
                    self.queue.pods[q.uid] = q
                    self.queue.failed(q, (), now)
                    self.queue.requeue(q.uid, now)
                    raise
            else:
                self._failed(pod, message, now)
                self.queue.failed(q, rejectors, now)
        finally:
            self.in_flight = None

    def _find_node(self, pod: Obj) -> Tuple[Optional[str], str, FrozenSet[str]]:
        """(node, "", _) or (None, the FitError's message, the plugins that rejected it)."""
        nodes = [self.nodes[name] for name in sorted(self.nodes)]
        if not nodes:
            return None, NO_NODES, frozenset()
        state, rejection = plugins.pre_filter(self.store, self.storage, pod)
        if rejection is not None:
            return None, fit_error(pod, len(nodes), rejection.reasons[0], {}), \
                frozenset([rejection.plugin])
        if state.node_names is not None:
            nodes = [n for n in nodes if n["metadata"]["name"] in state.node_names]
        statuses: Dict[str, plugins.Rejection] = {}
        feasible = []
        for node in nodes:
            rejected = plugins.run_filters(state, node, self.store)
            if rejected is None:
                feasible.append(node["metadata"]["name"])
            else:
                statuses[node["metadata"]["name"]] = rejected
        if feasible:
            return _preferred(pod, feasible), "", frozenset()
        absent = len(self.nodes) - len(statuses)
        rejectors = frozenset(r.plugin for r in statuses.values()) | state.narrowed_by
        reasons: Dict[str, int] = {}
        for rejected in statuses.values():
            for reason in rejected.reasons:
                reasons[reason] = reasons.get(reason, 0) + 1
        if absent:
            reason = "node(s) didn't satisfy plugin(s) [%s]" % " ".join(sorted(state.narrowed_by))
            reasons[reason] = reasons.get(reason, 0) + absent
        return None, fit_error(pod, len(self.nodes), "", reasons), rejectors

    # -- the outcome ---------------------------------------------------------------------------
    def _failed(self, pod: Obj, message: str, now: float) -> None:
        events.record(self.store, pod, "Warning", "FailedScheduling", message, SCHEDULER_NAME)
        status = copy.deepcopy(pod.get("status") or {})
        if _set_condition(status, {"type": "PodScheduled", "status": "False",
                                   "lastProbeTime": None, "reason": "Unschedulable",
                                   "message": message}, now, self.store.clock.stamp(now)):
            fresh = copy.deepcopy(pod)
            fresh["status"] = status
            self.store.update(POD, fresh, subresource="status", internal=True,
                              manager="kube-scheduler")

    def _bind(self, pod: Obj, node: str, now: float) -> None:
        ns, name = pod["metadata"]["namespace"], pod["metadata"]["name"]
        for claim in plugins.claim_names(pod):        # VolumeBinding PreBind
            self.storage.bind(self.store.peek(PVC, ns, claim), node)
        fresh = copy.deepcopy(self.store.peek(POD, ns, name) or pod)
        fresh["spec"]["nodeName"] = node
        status = fresh.setdefault("status", {})
        _set_condition(status, {"type": "PodScheduled", "status": "True", "lastProbeTime": None},
                       now, self.store.clock.stamp(now))
        pod = self.store.update(POD, fresh, internal=True, manager="")  # pods/binding: untracked
        events.record(self.store, pod, "Normal", "Scheduled", "Successfully assigned %s/%s to %s"
                      % (ns, name, node), SCHEDULER_NAME)
        self.bound(pod, node, now)


def fit_error(pod: Obj, num_nodes: int, pre_filter: str, reasons: Dict[str, int]) -> str:
    """FitError.Error, with DefaultPreemption's PostFilter message."""
    message = "0/%d nodes are available:" % num_nodes
    if pre_filter:
        message += " %s." % pre_filter
    else:
        message += " %s." % ", ".join(sorted("%d %s" % (n, r) for r, n in reasons.items()))
    if (pod.get("spec") or {}).get("preemptionPolicy") == "Never":
        return message + " preemption: not eligible due to preemptionPolicy=Never."
    return message + " preemption: 0/%d nodes are available: %d Preemption is not helpful " \
                     "for scheduling." % (num_nodes, num_nodes)


def _set_condition(status: Obj, condition: Obj, now: float, stamp: str) -> bool:
    """podutil.UpdatePodCondition: False when nothing changes; the transition time stays
    while the status does."""
    conditions = status.setdefault("conditions", [])
    for i, old in enumerate(conditions):
        if old.get("type") != condition["type"]:
            continue
        same = old.get("status") == condition["status"]
        merged = dict(condition, lastTransitionTime=old.get("lastTransitionTime") if same
                      else stamp)
        if same and all(old.get(k) == merged.get(k) for k in ("reason", "message")):
            return False
        conditions[i] = merged
        return True
    conditions.append(dict(condition, lastTransitionTime=stamp))
    return True


def _preferred(pod: Obj, feasible: List[str]) -> str:
    """The first feasible node in an order rotated by the pod's ordinal (the sandbox's
    stand-in for scoring)."""
    digits = "".join(ch for ch in pod["metadata"]["name"] if ch.isdigit()) or "0"
    order = [NODES[(int(digits[-3:]) + i) % len(NODES)] for i in range(len(NODES))]
    order += sorted(set(feasible) - set(order))
    return next(name for name in order if name in feasible)

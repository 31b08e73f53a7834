"""The default scheduler profile's PreFilter and Filter plugins, for what the sandbox models,
in upstream's order (pkg/scheduler/apis/config/v1/default_plugins.go getDefaultPlugins:
NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, ... VolumeBinding, VolumeZone),
with their reasons word for word, and the cluster events each registers with its queueing
hint (EventsToRegister with SchedulerQueueingHints on, the default since 1.32).

- PreFilter (framework/runtime/framework.go RunPreFilterPlugins), in order: NodeAffinity
  (matchFields metadata.name In narrows the nodes; conflicting terms: "pod affinity terms
  conflict"), VolumeBinding (podHasPVCs: a missing claim, one being deleted or Lost; then
  "pod has unbound immediate PersistentVolumeClaims"), VolumeZone (getPVbyPod: the bound
  PVs' zone and region labels; a missing PV). The first rejection ends the cycle.
- Filter (RunFilterPlugins): per node, the first plugin that rejects gives the node's
  reasons; every reason here is UnschedulableAndUnresolvable, so preemption never helps.
  NodeUnschedulable (spec.unschedulable unless the pod tolerates
  node.kubernetes.io/unschedulable:NoSchedule), NodeName, TaintToleration (the first
  untolerated NoSchedule/NoExecute taint, FindMatchingUntoleratedTaint), NodeAffinity
  (nodeSelector and required node affinity, component-helpers nodeaffinity), VolumeBinding
  (binder.go FindPodVolumes: a bound PV's node affinity, a WaitForFirstConsumer class's
  allowedTopologies), VolumeZone (the PV's zone labels against the node's).

Not modelled: resources (NodeResourcesFit), ports, inter-pod affinity, topology spread, volume
limits and restrictions; the sandbox's nodes have room for every pod.
"""

from __future__ import annotations

from typing import (TYPE_CHECKING, Any, Callable, Dict, FrozenSet, List, NamedTuple, Optional,
                    Set, Tuple)

from kubectl_sts.k8s.nodes import terms_match
from kubectl_sts.k8s.storage import class_of
from kubectl_sts.k8s.taints import UNSCHEDULABLE as UNSCHEDULABLE_TAINT
from .nodes import tolerates
from .resources import BY_KIND

if TYPE_CHECKING:
    from .storage import Storage
    from .store import Store

Obj = Dict[str, Any]

PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
SC = BY_KIND["StorageClass"]

NODE_UNSCHEDULABLE = "NodeUnschedulable"
NODE_NAME = "NodeName"
TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
VOLUME_BINDING = "VolumeBinding"
VOLUME_ZONE = "VolumeZone"

# framework ActionType bits (pkg/scheduler/framework/types.go)
ADD, DELETE = 1, 2
UPDATE_NODE_ALLOCATABLE, UPDATE_NODE_LABEL, UPDATE_NODE_TAINT = 4, 8, 16
UPDATE_NODE_CONDITION, UPDATE_NODE_ANNOTATION = 32, 64
UPDATE_POD_LABEL, UPDATE_POD_TOLERATIONS, UPDATE_POD_OTHER = 128, 512, 4096
UPDATE = 8188                               # every Update* bit
NODE, POD = "Node", "Pod"
CLAIM, VOLUME, CLASS = "PersistentVolumeClaim", "PersistentVolume", "StorageClass"
# the zone and region labels VolumeZone reads on PVs (volume_zone.go topologyLabels)
TOPOLOGY_LABELS = ("failure-domain.beta.kubernetes.io/zone",
                   "failure-domain.beta.kubernetes.io/region",
                   "topology.kubernetes.io/zone", "topology.kubernetes.io/region")
_GA_LABEL = {TOPOLOGY_LABELS[0]: TOPOLOGY_LABELS[2], TOPOLOGY_LABELS[1]: TOPOLOGY_LABELS[3]}


class Event(NamedTuple):
    """A cluster event: the resource, its ActionType bits, the objects before and after."""
    resource: str
    action: int
    old: Optional[Obj]
    new: Optional[Obj]


class Rejection(NamedTuple):
    plugin: str
    reasons: Tuple[str, ...]


class CycleState:
    """What PreFilter computed for one pod, read by the Filters."""

    def __init__(self, pod: Obj) -> None:
        self.pod = pod
        self.node_names: Optional[Set[str]] = None     # PreFilterResult (None: all nodes)
        self.narrowed_by: Set[str] = set()             # plugins whose result narrowed them
        self.affinity = required_affinity(pod)
        self.bound: List[Obj] = []                     # the PVs of bound claims
        self.delayed: List[Obj] = []                   # unbound claims to provision
        self.zones: List[Tuple[str, FrozenSet[str]]] = []   # VolumeZone's (label, values)


def untolerated_taint(node: Obj, pod: Obj) -> Optional[Obj]:
    """v1helper.FindMatchingUntoleratedTaint with DoNotScheduleTaintsFilterFunc: the first
    NoSchedule or NoExecute taint of the node no toleration of the pod tolerates."""
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in (node.get("spec") or {}).get("taints") or []:
        if taint.get("effect") in ("NoSchedule", "NoExecute") and \
                not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


# -- node affinity: kubectl_sts/k8s/nodes.py (terms_match) ----------------------------------
def required_affinity(pod: Obj) -> Tuple[Dict[str, str], Optional[List[Obj]]]:
    """GetRequiredNodeAffinity: the nodeSelector, and the required terms (None: none)."""
    spec = pod.get("spec") or {}
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution")
    terms = None if required is None else (required.get("nodeSelectorTerms") or [])
    return dict(spec.get("nodeSelector") or {}), terms


def affinity_matches(affinity: Tuple[Dict[str, str], Optional[List[Obj]]], node: Obj) -> bool:
    selector, terms = affinity
    labels = (node.get("metadata") or {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in selector.items()):
        return False
    return terms is None or terms_match(terms, node)


# -- PreFilter -----------------------------------------------------------------------------------
def pre_filter(store: Store, storage: Storage, pod: Obj) -> Tuple[CycleState, Optional[Rejection]]:
    state = CycleState(pod)
    for plugin, run in ((NODE_AFFINITY, _node_affinity_pre_filter),
                        (VOLUME_BINDING, _volume_binding_pre_filter),
                        (VOLUME_ZONE, _volume_zone_pre_filter)):
        reason = run(store, storage, state)
        if reason is not None:
            return state, Rejection(plugin, (reason,))
    return state, None


def _node_affinity_pre_filter(store: Store, storage: Storage, state: CycleState) -> Optional[str]:
    terms = state.affinity[1]
    if not terms:
        return None
    names: Set[str] = set()
    for term in terms:
        term_names: Optional[Set[str]] = None
        for expr in (term or {}).get("matchFields") or []:
            if expr.get("key") == "metadata.name" and expr.get("operator") == "In":
                values = set(expr.get("values") or [])
                term_names = values if term_names is None else term_names & values
        if term_names is None:
            return None             # a term without a name: every node may do
        names |= term_names
    if not names:
        return "pod affinity terms conflict"
    state.node_names = names
    state.narrowed_by.add(NODE_AFFINITY)
    return None


def claim_names(pod: Obj) -> List[str]:
    return [v["persistentVolumeClaim"].get("claimName") or ""
            for v in (pod.get("spec") or {}).get("volumes") or [] if v.get("persistentVolumeClaim")]


def _volume_binding_pre_filter(store: Store, storage: Storage,
                               state: CycleState) -> Optional[str]:
    ns = state.pod["metadata"]["namespace"]
    claims = []
    for name in claim_names(state.pod):          # podHasPVCs
        claim = store.peek(PVC, ns, name)
        if claim is None:
            return 'persistentvolumeclaim "%s" not found' % name
        if (claim.get("status") or {}).get("phase") == "Lost":
            return 'persistentvolumeclaim "%s" bound to non-existent persistentvolume "%s"' % (
                name, (claim.get("spec") or {}).get("volumeName") or "")
        if claim["metadata"].get("deletionTimestamp"):
            return 'persistentvolumeclaim "%s" is being deleted' % name
        claims.append(claim)
    for claim in claims:
        volume = (claim.get("spec") or {}).get("volumeName")
        if volume:
            state.bound.append(store.peek(PV, "", volume) or {"metadata": {"name": volume}})
        elif storage.can_provision(claim):
            state.delayed.append(claim)
        else:
            # IsDelayBindingMode: a class that does not exist is not WaitForFirstConsumer
            return "pod has unbound immediate PersistentVolumeClaims"
    return None


def _volume_zone_pre_filter(store: Store, storage: Storage, state: CycleState) -> Optional[str]:
    """getPVbyPod. Unbound claims are skipped: the sandbox provisions them when the pod is
    bound (WaitForFirstConsumer, and claims without a class, which the sandbox serves too)."""
    for pv in state.bound:
        if "spec" not in pv:
            return 'persistentvolume "%s" not found' % pv["metadata"]["name"]
        state.zones += pv_topologies(pv)
    return None


def pv_topologies(pv: Obj) -> List[Tuple[str, FrozenSet[str]]]:
    """The PV's zone and region labels, a value "a__b" meaning either (LabelZonesToSet)."""
    labels = (pv.get("metadata") or {}).get("labels") or {}
    return [(key, frozenset(v for v in labels[key].split("__") if v))
            for key in TOPOLOGY_LABELS if key in labels]


# -- Filter ---------------------------------------------------------------------------------------
def _node_unschedulable(state: CycleState, node: Obj, store: Store) -> Tuple[str, ...]:
    if not (node.get("spec") or {}).get("unschedulable"):
        return ()
    taint = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
    if any(tolerates(t, taint) for t in (state.pod.get("spec") or {}).get("tolerations") or []):
        return ()
    return ("node(s) were unschedulable",)


def _node_name(state: CycleState, node: Obj, store: Store) -> Tuple[str, ...]:
    wanted = (state.pod.get("spec") or {}).get("nodeName")
    if wanted and wanted != node["metadata"]["name"]:
        return ("node(s) didn't match the requested node name",)
    return ()


def _taint_toleration(state: CycleState, node: Obj, store: Store) -> Tuple[str, ...]:
    taint = untolerated_taint(node, state.pod)
    if taint is None:
        return ()
    return ("node(s) had untolerated taint {%s: %s}" % (taint.get("key", ""),
                                                         taint.get("value", "")),)


def _node_affinity(state: CycleState, node: Obj, store: Store) -> Tuple[str, ...]:
    if affinity_matches(state.affinity, node):
        return ()
    return ("node(s) didn't match Pod's node affinity/selector",)


def _volume_binding(state: CycleState, node: Obj, store: Store) -> Tuple[str, ...]:
    """FindPodVolumes: bound claims' PV node affinity (CheckNodeAffinity, labels only), then
    whether the unbound claims can be provisioned there (checkVolumeProvisions: the class's
    allowedTopologies). A missing PV was already VolumeZone's PreFilter rejection."""
    conflict = unbound = False
    for pv in state.bound:
        terms = (((pv["spec"].get("nodeAffinity") or {}).get("required") or {})
                 .get("nodeSelectorTerms"))
        if terms is not None and not terms_match(terms, node, with_fields=False):
            conflict = True
    labels = (node.get("metadata") or {}).get("labels") or {}
    for claim in state.delayed:
        sc = store.peek(SC, "", class_of(claim)) or {}
        if not topology_matches(sc.get("allowedTopologies") or [], labels):
            unbound = True
    return tuple(reason for bad, reason in (
        (conflict, "node(s) had volume node affinity conflict"),
        (unbound, "node(s) didn't find available persistent volumes to bind")) if bad)


def topology_matches(terms: List[Obj], labels: Dict[str, str]) -> bool:
    """v1helper.MatchTopologySelectorTerms: no terms match everything; terms are ORed."""
    if not terms:
        return True
    return any(all(labels.get(e.get("key")) in (e.get("values") or [])
                   for e in (t or {}).get("matchLabelExpressions") or []) for t in terms)


def _volume_zone(state: CycleState, node: Obj, store: Store) -> Tuple[str, ...]:
    labels = (node.get("metadata") or {}).get("labels") or {}
    if not state.zones or not any(key in labels for key in TOPOLOGY_LABELS):
        return ()       # a node without zone labels takes any volume (single-zone clusters)
    for key, values in state.zones:
        value = labels.get(key, labels.get(_GA_LABEL.get(key, key)))
        if value is None or value not in values:
            return ("node(s) had no available volume zone",)
    return ()


FILTERS: Tuple[Tuple[str, Callable[[CycleState, Obj, Any], Tuple[str, ...]]], ...] = (
    (NODE_UNSCHEDULABLE, _node_unschedulable), (NODE_NAME, _node_name),
    (TAINT_TOLERATION, _taint_toleration), (NODE_AFFINITY, _node_affinity),
    (VOLUME_BINDING, _volume_binding), (VOLUME_ZONE, _volume_zone))


def run_filters(state: CycleState, node: Obj, store: Store) -> Optional[Rejection]:
    for plugin, run in FILTERS:
        reasons = run(state, node, store)
        if reasons:
            return Rejection(plugin, reasons)
    return None


# -- queueing hints (EventsToRegister) -------------------------------------------------------
def _unschedulable_after_node(pod: Obj, event: Event) -> bool:
    """NodeUnschedulable isSchedulableAfterNodeChange: a node added schedulable, or one that
    stopped being unschedulable."""
    new = bool(((event.new or {}).get("spec") or {}).get("unschedulable"))
    if event.old is None:
        return not new
    return bool((event.old.get("spec") or {}).get("unschedulable")) and not new


def _unschedulable_after_tolerations(pod: Obj, event: Event) -> bool:
    new = event.new or {}
    if new.get("metadata", {}).get("uid") != pod["metadata"].get("uid"):
        return False
    taint = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
    return any(tolerates(t, taint) for t in (new.get("spec") or {}).get("tolerations") or [])


def _taint_after_node(pod: Obj, event: Event) -> bool:
    """TaintToleration isSchedulableAfterNodeChange: untolerated before, tolerated now."""
    was = event.old is None or untolerated_taint(event.old, pod) is not None
    return was and untolerated_taint(event.new or {}, pod) is None


def _same_pod(pod: Obj, event: Event) -> bool:
    return (event.new or {}).get("metadata", {}).get("uid") == pod["metadata"].get("uid")


def _affinity_after_node(pod: Obj, event: Event) -> bool:
    """NodeAffinity isSchedulableAfterNodeChange: the node matches now and did not before."""
    affinity = required_affinity(pod)
    if not affinity_matches(affinity, event.new or {}):
        return False
    return event.old is None or not affinity_matches(affinity, event.old)


def _claim_of_pod(pod: Obj, event: Event) -> bool:
    """VolumeBinding/VolumeZone isSchedulableAfterPersistentVolumeClaimChange."""
    meta = (event.new or {}).get("metadata") or {}
    return meta.get("namespace") == pod["metadata"].get("namespace") and \
        meta.get("name") in claim_names(pod)


def _binding_after_class(pod: Obj, event: Event) -> bool:
    """VolumeBinding isSchedulableAfterStorageClassChange: a new class, or allowedTopologies
    changed."""
    return event.old is None or (event.old.get("allowedTopologies") !=
                                 (event.new or {}).get("allowedTopologies"))


def _zone_after_class(pod: Obj, event: Event) -> bool:
    return (event.new or {}).get("volumeBindingMode") == "WaitForFirstConsumer"


def _zone_after_volume(pod: Obj, event: Event) -> bool:
    return event.old is None or pv_topologies(event.old) != pv_topologies(event.new or {})


Hint = Optional[Callable[[Obj, Event], bool]]
# plugin -> [(resource, action bits, hint)]; no hint: Queue
EVENTS: Dict[str, List[Tuple[str, int, Hint]]] = {
    NODE_UNSCHEDULABLE: [(NODE, ADD | UPDATE_NODE_TAINT, _unschedulable_after_node),
                         (POD, UPDATE_POD_TOLERATIONS, _unschedulable_after_tolerations)],
    NODE_NAME: [(NODE, ADD, None)],
    TAINT_TOLERATION: [(NODE, ADD | UPDATE_NODE_TAINT, _taint_after_node),
                       (POD, UPDATE_POD_TOLERATIONS, _same_pod)],
    NODE_AFFINITY: [(NODE, ADD | UPDATE_NODE_LABEL, _affinity_after_node)],
    VOLUME_BINDING: [(CLASS, ADD | UPDATE, _binding_after_class),
                     (CLAIM, ADD | UPDATE, _claim_of_pod), (VOLUME, ADD | UPDATE, None),
                     (NODE, ADD | UPDATE_NODE_LABEL, None)],
    VOLUME_ZONE: [(CLASS, ADD, _zone_after_class), (NODE, ADD | UPDATE_NODE_LABEL, None),
                  (CLAIM, ADD | UPDATE, _claim_of_pod), (VOLUME, ADD | UPDATE, _zone_after_volume)],
}


def interested(event: Event) -> Set[str]:
    """The plugins that registered this event (ClusterEvent.Match)."""
    return {plugin for plugin, registered in EVENTS.items()
            if any(res == event.resource and action & event.action
                   for res, action, _ in registered)}


def worth_requeuing(pod: Obj, rejectors: FrozenSet[str], event: Event) -> bool:
    """isPodWorthRequeuing: Queue from any rejector's hint for a registered event; a pod
    rejected by no plugin (an error, no nodes) is retried on any event."""
    if not rejectors:
        return True
    for plugin in rejectors:
        for resource, action, hint in EVENTS.get(plugin, ()):
            if resource == event.resource and action & event.action and \
                    (hint is None or hint(pod, event)):
                return True
    return False


def node_events(old: Optional[Obj], new: Optional[Obj]) -> List[int]:
    """eventhandlers.go: Node Add, Delete, or the Update kinds NodeSchedulingPropertiesChange
    finds (spec.unschedulable turning false counts as UpdateNodeTaint)."""
    if old is None:
        return [ADD]
    if new is None:
        return [DELETE]
    out = []
    ospec, nspec = old.get("spec") or {}, new.get("spec") or {}
    if bool(ospec.get("unschedulable")) != bool(nspec.get("unschedulable")) and \
            not nspec.get("unschedulable"):
        out.append(UPDATE_NODE_TAINT)
    ostat, nstat = old.get("status") or {}, new.get("status") or {}
    if ostat.get("allocatable") != nstat.get("allocatable"):
        out.append(UPDATE_NODE_ALLOCATABLE)
    ometa, nmeta = old.get("metadata") or {}, new.get("metadata") or {}
    if ometa.get("labels") != nmeta.get("labels"):
        out.append(UPDATE_NODE_LABEL)
    if ospec.get("taints") != nspec.get("taints"):
        out.append(UPDATE_NODE_TAINT)
    strip = lambda conds: {c.get("type"): c.get("status") for c in conds or []}  # noqa: E731
    if strip(ostat.get("conditions")) != strip(nstat.get("conditions")):
        out.append(UPDATE_NODE_CONDITION)
    if ometa.get("annotations") != nmeta.get("annotations"):
        out.append(UPDATE_NODE_ANNOTATION)
    return out


def pod_events(old: Obj, new: Obj) -> List[int]:
    """PodSchedulingPropertiesChange for an unscheduled pod: labels, tolerations, else other."""
    out = []
    if (old.get("metadata") or {}).get("labels") != (new.get("metadata") or {}).get("labels"):
        out.append(UPDATE_POD_LABEL)
    if (old.get("spec") or {}).get("tolerations") != (new.get("spec") or {}).get("tolerations"):
        out.append(UPDATE_POD_TOLERATIONS)
    return out or [UPDATE_POD_OTHER]

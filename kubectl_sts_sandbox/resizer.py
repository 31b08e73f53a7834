"""Volume expansion as a CSI external-resizer and the kubelet carry it out (online expansion,
RecoverVolumeExpansionFailure on, as in v1.32).

When a bound claim's `spec.resources.requests.storage` exceeds its `status.capacity`:
1. the resizer marks it (external-resizer resize_status.go markControllerResizeInProgress):
   condition Resizing, `status.allocatedResources.storage` = the new size,
   `allocatedResourceStatuses.storage` = ControllerResizeInProgress, event Resizing;
2. after `Config.resize_seconds` the volume is expanded: the PV's `spec.capacity` grows, the
   claim waits for the node (markForPendingNodeExpansion): condition FileSystemResizePending,
   NodeResizePending, event FileSystemResizeRequired;
3. the kubelet of a running pod that mounts the claim expands the file system after another
   `resize_seconds`: `status.capacity` = the new size, the conditions and the resource status
   go, event FileSystemResizeSuccessful. No pod mounts it: it stays at step 2, as on a cluster.

Sandbox-only switches, the claim's annotation `sandbox.kubectl-sts.io/resize`:
- `fail`: the driver cannot grow the volume: event VolumeResizeFailed and
  ControllerResizeInfeasible (the driver's OutOfRange); the capacity stays;
- `offline`: the driver expands only unmounted file systems. The kubelet of a running pod
  that mounts the claim tries once: the driver answers FailedPrecondition, the kubelet marks
  the claim NodeResizeInProgress with the condition NodeResizeError ("failed to expand pvc
  with Expander.NodeExpand failed to expand the volume : rpc error: code = FailedPrecondition
  ...") and, as upstream, records no event and does not retry while the volume stays mounted
  (kubernetes pkg/volume/csi/expander.go NodeExpand inUseError;
  pkg/volume/util/operationexecutor/node_expander.go expandOnPlugin: MarkForInUseExpansionError;
  pkg/volume/util/resize_util.go MarkNodeExpansionFailedCondition). A pod that starts after the
  volume grew expands it at mount, which clears every resize condition
  (MarkNodeExpansionFinishedWithRecovery).

A kubelet that is stopped (nodes.py) expands nothing until it starts again."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Set, Tuple

from kubectl_sts.k8s.quantity import quantity_value as parse_quantity
from kubectl_sts.k8s.storage import (CONTROLLER_RESIZE_IN_PROGRESS, CONTROLLER_RESIZE_INFEASIBLE,
                                     NODE_RESIZE_IN_PROGRESS, NODE_RESIZE_PENDING,
                                     RESIZE_CONDITIONS, claim_capacity, claim_request, class_of,
                                     storage_of)
from . import events, storageclasses
from .resources import BY_KIND

if TYPE_CHECKING:
    from .nodes import NodeLifecycle
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]
Key = Tuple[str, str]

PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
POD = BY_KIND["Pod"]
SC = BY_KIND["StorageClass"]
NODE = BY_KIND["Node"]
FAIL_ANNOTATION = "sandbox.kubectl-sts.io/resize"
RESIZER = "external-resizer %s" % storageclasses.PROVISIONER
IN_PROGRESS = CONTROLLER_RESIZE_IN_PROGRESS
NODE_PENDING = NODE_RESIZE_PENDING
INFEASIBLE = CONTROLLER_RESIZE_INFEASIBLE
PENDING_MESSAGE = ("Waiting for user to (re-)start a pod to finish file system resize of "
                   "volume on node.")
OFFLINE_MESSAGE = ("failed to expand pvc with Expander.NodeExpand failed to expand the volume : "
                   "rpc error: code = FailedPrecondition desc = volume %s is in use: driver %s "
                   "expands only unmounted volumes")


def _target(claim: Obj) -> Optional[str]:
    """The size being expanded to: what the resizer allocated, else the request."""
    return storage_of(claim, "status", "allocatedResources", "storage") or claim_request(claim)


class Resizer:
    def __init__(self, store: Store, config: Any) -> None:
        self.store = store
        self.config = config
        self.dirty: Set[Key] = set()        # (ns, name) of claims to look at
        self.due: Dict[Key, float] = {}     # (ns, name) -> sim time of the next step
        # (ns, name) -> uids of the pods mounting it then
        self.mounted_when_grown: Dict[Key, Set[str]] = {}
        self.node_step: Set[Key] = set()    # claims waiting for a kubelet
        self.nodes: Optional[NodeLifecycle] = None     # set by the cluster

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        if rt is PVC and etype != "DELETED":
            self.dirty.add((meta["namespace"], meta["name"]))
        elif rt is PVC:
            self.due.pop((meta["namespace"], meta["name"]), None)
            self.node_step.discard((meta["namespace"], meta["name"]))
        elif rt is NODE:
            self.dirty |= self.node_step    # a kubelet may have started again
        elif rt is POD and etype != "DELETED":
            # a pod that starts running may finish a pending file-system expansion
            for vol in (obj.get("spec") or {}).get("volumes") or []:
                claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
                if claim:
                    self.dirty.add((meta["namespace"], claim))

    def next_due(self) -> Optional[float]:
        return min(self.due.values()) if self.due else None

    def step(self, now: float) -> None:
        keys = set(self.dirty)
        self.dirty.clear()
        for key, when in list(self.due.items()):
            if when <= now:
                del self.due[key]
                keys.add(key)
        for ns, name in sorted(keys):
            claim = self.store.peek(PVC, ns, name)
            if claim is not None and not claim["metadata"].get("deletionTimestamp"):
                self._sync(claim, now)

    # -- one claim ------------------------------------------------------------------------------
    def _sync(self, claim: Obj, now: float) -> None:
        status = claim.get("status") or {}
        if status.get("phase") != "Bound":
            return
        wanted = parse_quantity(claim_request(claim))
        have = parse_quantity(claim_capacity(claim))
        if wanted is None or have is None:
            return
        state = storage_of(status, "allocatedResourceStatuses", "storage")
        key = (claim["metadata"]["namespace"], claim["metadata"]["name"])
        if state is None:
            if wanted > have:
                self._start(claim, now, key)
        elif state == IN_PROGRESS and key not in self.due:
            self._expand_volume(claim, now, key)
        elif state in (NODE_PENDING, NODE_RESIZE_IN_PROGRESS) and key not in self.due:
            self.node_step.add(key)
            running = self._running_pods(claim)
            if self._mode(claim) == "offline":
                mounted_then = self.mounted_when_grown.get(key, set())
                started_since = [uid for uid in running if uid not in mounted_then]
                if not started_since:
                    if running and state == NODE_PENDING:
                        self._refuse_online(claim)
                    return
            if running:
                self.mounted_when_grown.pop(key, None)
                self.node_step.discard(key)
                self._finish(claim)
        elif state == INFEASIBLE and wanted <= have:
            # the user lowered the request back (recovery from a failed expansion)
            self._clear(claim)

    def _start(self, claim: Obj, now: float, key: Key) -> None:
        size = claim_request(claim)
        pv_name = claim["spec"].get("volumeName", "")
        if self._mode(claim) == "fail":
            events.record(self.store, claim, "Warning", "VolumeResizeFailed",
                          'resize volume "%s" by resizer "%s" failed: rpc error: code = '
                          'OutOfRange desc = requested size %s exceeds the volume\'s limit'
                          % (pv_name, storageclasses.PROVISIONER, size), RESIZER)
            self._status(claim, lambda st: st.setdefault("allocatedResourceStatuses", {})
                         .update(storage=INFEASIBLE))
            return

        def mark(st: Obj) -> None:
            _set_condition(st, "Resizing", None)
            st.setdefault("allocatedResources", {})["storage"] = size
            st.setdefault("allocatedResourceStatuses", {})["storage"] = IN_PROGRESS
        self._status(claim, mark)
        events.record(self.store, claim, "Normal", "Resizing",
                      "External resizer is resizing volume %s" % pv_name, RESIZER)
        self.due[key] = now + self.config.resize_seconds

    def _expand_volume(self, claim: Obj, now: float, key: Key) -> None:
        size = _target(claim)
        pv = self.store.peek(PV, "", claim["spec"].get("volumeName", ""))
        if pv is not None:
            pv = copy.deepcopy(pv)
            pv["spec"].setdefault("capacity", {})["storage"] = size
            self.store.update(PV, pv, internal=True)

        def pending(st: Obj) -> None:
            st["conditions"] = [c for c in st.get("conditions") or [] if c.get("type") !=
                                "Resizing"]
            _set_condition(st, "FileSystemResizePending", PENDING_MESSAGE)
            st["allocatedResourceStatuses"]["storage"] = NODE_PENDING
        self._status(claim, pending)
        events.record(self.store, claim, "Normal", "FileSystemResizeRequired",
                      "Require file system resize of volume on node", RESIZER)
        # the kubelet expands the file system resize_seconds after it sees NodeResizePending
        self.due[key] = now + self.config.resize_seconds
        self.mounted_when_grown[key] = set(self._running_pods(claim))

    def _refuse_online(self, claim: Obj) -> None:
        """The kubelet's one try at a mounted volume of an offline-only driver."""
        message = OFFLINE_MESSAGE % (claim["spec"].get("volumeName", ""),
                                     storageclasses.PROVISIONER)

        def refused(st: Obj) -> None:
            st["allocatedResourceStatuses"]["storage"] = NODE_RESIZE_IN_PROGRESS
            _set_condition(st, "NodeResizeError", message)
        self._status(claim, refused)

    def _finish(self, claim: Obj) -> None:
        size = _target(claim)

        def done(st: Obj) -> None:
            st["capacity"] = dict(st.get("capacity") or {}, storage=size)
            st["conditions"] = [c for c in st.get("conditions") or [] if c.get("type") not in
                                RESIZE_CONDITIONS]
            if not st["conditions"]:
                st.pop("conditions")
            st.pop("allocatedResourceStatuses", None)
        self._status(claim, done)
        node = self._node_of(claim)
        events.record(self.store, claim, "Normal", "FileSystemResizeSuccessful",
                      'MountVolume.NodeExpandVolume succeeded for volume "%s" %s'
                      % (claim["spec"].get("volumeName", ""), node or ""), "kubelet", host=node)

    def _clear(self, claim: Obj) -> None:
        self._status(claim, lambda st: st.pop("allocatedResourceStatuses", None))

    # -- helpers --------------------------------------------------------------------------------
    def _status(self, claim: Obj, change: Callable[[Obj], Any]) -> None:
        updated = copy.deepcopy(claim)
        status = updated.setdefault("status", {})
        change(status)
        for condition in status.get("conditions") or []:
            if condition.get("lastTransitionTime") is None and \
                    condition.get("type") in RESIZE_CONDITIONS:
                condition["lastTransitionTime"] = self.store.clock.stamp()
        self.store.update(PVC, updated, subresource="status", internal=True)

    def _pods_mounting(self, claim: Obj) -> Iterator[Obj]:
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        pods, _ = self.store.list(POD, ns)
        for pod in pods:
            for vol in (pod.get("spec") or {}).get("volumes") or []:
                if (vol.get("persistentVolumeClaim") or {}).get("claimName") == name:
                    yield pod

    def _running_pods(self, claim: Obj) -> List[str]:
        """The uids of the running pods that mount the claim on a node whose kubelet runs."""
        return [pod["metadata"]["uid"] for pod in self._pods_mounting(claim)
                if (pod.get("status") or {}).get("phase") == "Running" and
                not pod["metadata"].get("deletionTimestamp") and
                not (self.nodes is not None and
                     self.nodes.kubelet_stopped((pod.get("spec") or {}).get("nodeName", "")))]

    @staticmethod
    def _mode(claim: Obj) -> Optional[str]:
        return (claim["metadata"].get("annotations") or {}).get(FAIL_ANNOTATION)

    def _node_of(self, claim: Obj) -> Optional[str]:
        for pod in self._pods_mounting(claim):
            node = (pod.get("spec") or {}).get("nodeName")
            if node:
                return node
        return None


def _set_condition(status: Obj, ctype: str, message: Optional[str]) -> None:
    conditions = [c for c in status.get("conditions") or [] if c.get("type") != ctype]
    condition = {"type": ctype, "status": "True", "lastProbeTime": None,
                 "lastTransitionTime": None}
    if message:
        condition["message"] = message
    conditions.append(condition)
    status["conditions"] = conditions


def can_expand(store: Store, claim: Obj) -> bool:
    """PersistentVolumeClaimResize admission: the claim's class (the same before and after)
    exists and has allowVolumeExpansion: true."""
    name = class_of(claim)
    sc = store.peek(SC, "", name) if name else None
    return bool(sc and sc.get("allowVolumeExpansion") is True)

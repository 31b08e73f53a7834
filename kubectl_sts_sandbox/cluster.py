"""The simulated cluster: the store plus the control loops that run against it."""

from __future__ import annotations

import copy
import threading
from typing import Any, Dict, Mapping, Optional, Sequence, Set, Tuple

from kubectl_sts.k8s.storage import class_of
from . import configdata, priorityclasses, storageclasses, versions
from .apiservice import KubernetesService
from .clock import Clock
from .controller import StatefulSetController
from .disruption import Disruption
from .endpointslices import EndpointSlices
from .gc import GarbageCollector
from .kubelet import NODES, Kubelet
from .nodekubelet import kubelet_conditions
from .nodes import NodeLifecycle
from .podaccess import PodAccess
from .ownership import controller_of
from .resizer import Resizer, can_expand
from .resources import BY_KIND, RESOURCE_TYPES, SNAPSHOT_GROUPS, ResourceType
from .rootca import RootCAPublisher
from .scheduler import Scheduler
from .serviceaccounts import ServiceAccounts
from .snapshots import Snapshots
from .storage import Storage
from .store import Store
from .tainteviction import TaintEviction, add_default_tolerations

STS = BY_KIND["StatefulSet"]
POD = BY_KIND["Pod"]
PVC = BY_KIND["PersistentVolumeClaim"]
CR = BY_KIND["ControllerRevision"]
NS = BY_KIND["Namespace"]
SERVICE = BY_KIND["Service"]
NODE = BY_KIND["Node"]
SECRET = BY_KIND["Secret"]
CONFIGMAP = BY_KIND["ConfigMap"]
SC = BY_KIND["StorageClass"]
Obj = Dict[str, Any]


class Config:
    """Timings in simulated seconds. The defaults are fast, for tests; `demo()` is lifelike."""

    def __init__(self, speed: float = 1.0, start_seconds: float = 0.02,
                 ready_seconds: float = 0.02, terminate_seconds: float = 0.02,
                 crash_seconds: float = 0.05, backoff_seconds: float = 0.2,
                 maxunavailable_gate: Optional[bool] = None, watch_history: int = 50000,
                 reclaim_policy: str = "Delete", validate: bool = True,
                 resize_seconds: float = 0.05, node_grace_seconds: float = 0.2,
                 default_toleration_seconds: float = 300,
                 kubernetes_version: str = versions.DEFAULT,
                 feature_gates: Optional[Mapping[str, bool]] = None,
                 missing_images: Sequence[str] = (),
                 pod_initial_backoff_seconds: float = 1.0, pod_max_backoff_seconds: float = 10.0,
                 pod_max_in_unschedulable_seconds: float = 300.0,
                 scheduler_pop_from_backoff: Optional[bool] = None,
                 pod_access: Optional[PodAccess] = None, snapshots: bool = True,
                 snapshot_seconds: float = 0.05) -> None:
        self.speed = speed
        # the snapshot CRDs, the snapshot controller and the CSI snapshotter (snapshots.py);
        # False: a cluster without them (the kinds not served at all); snapshot_seconds: how
        # long the CSI driver takes to cut a snapshot
        self.snapshots = snapshots
        self.snapshot_seconds = snapshot_seconds
        # what pods answer to logs, exec, port-forward and proxy beyond the kubelet's own
        # lines (podaccess.py: kwok's Logs, Exec, PortForward kinds)
        self.pod_access = pod_access or PodAccess()
        self.start_seconds = start_seconds
        self.ready_seconds = ready_seconds
        self.terminate_seconds = terminate_seconds
        self.crash_seconds = crash_seconds
        self.backoff_seconds = backoff_seconds
        # the release played and its feature gates (versions.py): FeatureGateError (a
        # ValueError) for a gate kube-apiserver would refuse; maxunavailable_gate is the old
        # spelling of MaxUnavailableStatefulSet (an explicit feature_gates entry wins)
        gates = dict(feature_gates or {})
        if maxunavailable_gate is not None:
            gates.setdefault("MaxUnavailableStatefulSet", bool(maxunavailable_gate))
        self.features = versions.FeatureGates(kubernetes_version, gates)
        self.kubernetes_version = self.features.version
        # image references (globs) that fail to pull as a missing image (containers.py)
        self.missing_images: Tuple[str, ...] = tuple(missing_images)
        self.watch_history = watch_history
        self.reclaim_policy = reclaim_policy
        self.validate = validate
        self.resize_seconds = resize_seconds      # each step of a volume expansion
        # node-monitor-grace-period (50 s from 1.32, kubernetes #126287), at least twice the
        # node lease renewal interval (nodekubelet.timings)
        self.node_grace_seconds = node_grace_seconds
        # kube-apiserver --default-not-ready-toleration-seconds and
        # --default-unreachable-toleration-seconds (whole seconds, as in the pod spec)
        self.default_toleration_seconds = default_toleration_seconds
        # kube-scheduler's podInitialBackoffSeconds, podMaxBackoffSeconds and its queue's
        # podMaxInUnschedulablePodsDuration (scheduler.py, schedqueue.py)
        self.pod_initial_backoff_seconds = pod_initial_backoff_seconds
        self.pod_max_backoff_seconds = pod_max_backoff_seconds
        self.pod_max_in_unschedulable_seconds = pod_max_in_unschedulable_seconds
        # the SchedulerPopFromBackoffQ feature gate (beta and on from 1.33: versions.py); an
        # explicit value here wins over the release's default
        self._pop_from_backoff = scheduler_pop_from_backoff

    @property
    def scheduler_pop_from_backoff(self) -> bool:
        """Whether an idle scheduler pops pods from the backoff queue at once
        (SchedulerPopFromBackoffQ)."""
        if self._pop_from_backoff is not None:
            return self._pop_from_backoff
        return self.features.enabled("SchedulerPopFromBackoffQ")

    @property
    def maxunavailable_gate(self) -> bool:
        """Whether MaxUnavailableStatefulSet is on (the release's default unless set)."""
        return self.features.enabled("MaxUnavailableStatefulSet")

    @classmethod
    def demo(cls, **overrides: Any) -> Config:
        values: Dict[str, Any] = dict(start_seconds=1.0, ready_seconds=1.0, terminate_seconds=1.0,
                                      crash_seconds=3.0, backoff_seconds=10.0,
                                      resize_seconds=2.0, node_grace_seconds=50.0,
                                      snapshot_seconds=2.0)
        values.update(overrides)
        return cls(**values)


class Cluster:
    def __init__(self, config: Optional[Config] = None, root_ca: Optional[bytes] = None) -> None:
        self.config = config or Config()
        self.clock = Clock(self.config.speed)
        self.store = Store(self.clock, history=self.config.watch_history, admit=self._admit)
        self.storage = Storage(self.store, self.config.reclaim_policy)
        self.storage.snapshots_served = self.config.snapshots
        self.kubelet = Kubelet(self.store, self.config)
        self.scheduler = Scheduler(self.store, self.config, self.storage, self.kubelet.pod_bound)
        self.gc = GarbageCollector(self.store)
        self.resizer = Resizer(self.store, self.config)
        self.disruption = Disruption(self.store)
        self.endpointslices = EndpointSlices(self.store)
        self.nodes = NodeLifecycle(self.store, self.config, self.kubelet.node_resumed)
        self.taint_eviction = TaintEviction(self.store)
        self.kubelet.nodes = self.nodes
        self.resizer.nodes = self.nodes        # a stopped kubelet grows no file system
        self.serviceaccounts = ServiceAccounts(self.store)
        self.rootca = RootCAPublisher(self.store, root_ca)     # root_ca: PEM of the TLS CA
        # the `kubernetes` Service in default (apiservice.py; Sandbox.start advertises)
        self.kubernetes_service = KubernetesService(self.store)
        self.snapshots = Snapshots(self.store, self.config) if self.config.snapshots else None
        self.controller = StatefulSetController(self.store, self.config.maxunavailable_gate,
                                                parallel_broken_first=self.config.features.minor >= 37)
        self.dirty: Set[Tuple[str, str]] = set()      # (ns, name) of StatefulSets to sync
        self.requeue: Dict[Tuple[str, str], float] = {}   # (ns, name) -> simulated time
        self.terminating_ns: Set[str] = set()
        self._kick = True
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._service_ips = 0
        for listener in (self._on_change, self.scheduler.on_change, self.kubelet.on_change,
                         self.gc.on_change,
                         self.storage.on_change, self.serviceaccounts.on_change,
                         self.rootca.on_change,
                         self.resizer.on_change, self.disruption.on_change,
                         self.nodes.on_change, self.taint_eviction.on_change,
                         self.endpointslices.on_change, self.kubernetes_service.on_change):
            self.store.listeners.append(listener)
        if self.snapshots is not None:
            self.store.listeners.append(self.snapshots.on_change)
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.store.create(NS, {"metadata": {"name": ns}}, manager="kube-apiserver")
        for sc in storageclasses.initial_classes(self.config.reclaim_policy):
            self.store.create(SC, sc)
        if self.snapshots is not None:
            self.snapshots.install()      # the CRDs and the default VolumeSnapshotClass
        for pc in priorityclasses.SYSTEM_CLASSES:
            self.store.create(BY_KIND["PriorityClass"], pc)
        self.serviceaccounts.step()       # `default` exists before the first request
        self.rootca.step()                # and kube-root-ca.crt
        for node in NODES:
            self.store.create(NODE, _node(node, self.clock.stamp(), self.config.kubernetes_version),
                              internal=True)

    # -- admission: defaults, validation, and what admission plugins add -----------------------
    def _admit(self, rt: ResourceType, obj: Obj, old: Optional[Obj]) -> None:
        from . import admission, defaulting, validation
        gates = self.config.features.as_dict()
        defaulting.drop_disabled_fields(rt.plural, obj, old, self.config.maxunavailable_gate,
                                        gates)
        defaulting.apply_defaults(rt.plural, obj, self.config.maxunavailable_gate)
        if rt is SECRET:
            configdata.prepare_secret(obj)
        elif rt is CONFIGMAP:
            configdata.prepare_configmap(obj)
        elif rt is SC:
            storageclasses.apply_defaults(obj)
        # the field manager records the request as decoded and defaulted: mutating admission
        # and the registry run after it (apiserver handlers/create.go, update.go); only what
        # they add to a new pod, claim or service outside its status is anyone's concern
        if old is None and rt in (POD, PVC, SERVICE):
            self.store.defaulted(obj)
        if rt is POD and old is None:
            add_default_tolerations(obj, self.config.default_toleration_seconds)
        elif rt.group in SNAPSHOT_GROUPS and old is None:
            obj.pop("status", None)       # the CRD's status subresource: not set on create
        if old is None:
            if rt is PVC:
                from .validation.claims import normalize_data_sources
                if isinstance(obj.get("spec"), dict):
                    normalize_data_sources(obj["spec"])
                self.storage.admit_claim(obj)
                obj["status"] = {"phase": "Pending"}
            elif rt is POD:
                obj["status"] = {"phase": "Pending", "qosClass": "BestEffort"}
            elif rt is STS:
                obj["status"] = {"replicas": 0, "availableReplicas": 0}
            elif rt is SERVICE:
                self._allocate_cluster_ip(obj)
            elif rt is NS:
                obj["status"] = {"phase": "Active"}
        admission.admit(self, rt, obj, old)     # ServiceAccount, Priority, storage protection
        if self.config.validate:
            causes = validation.validate(rt.plural, obj, old, self.config.maxunavailable_gate,
                                         gates)
            if rt is SECRET:
                causes += configdata.validate_secret(obj, old)
            elif rt is CONFIGMAP:
                causes += configdata.validate_configmap(obj, old)
            elif rt is SC:
                causes += storageclasses.validate(obj, old)
            elif rt.group in SNAPSHOT_GROUPS:
                from . import crds
                causes += crds.validate(rt.plural, obj, old)
            if causes:
                from .errors import invalid
                raise invalid(validation.invalid_status(rt.kind, rt.group,
                                                        obj["metadata"].get("name", ""), causes))
        if rt is PVC and old is not None:
            self._admit_resize(obj, old)

    def _admit_resize(self, claim: Obj, old: Obj) -> None:
        """The PersistentVolumeClaimResize admission plugin (validating, so after the
        registry's validation: plugin/pkg/admission/storage/persistentvolume/resize)."""
        from kubectl_sts.k8s.quantity import quantity_value
        from .errors import forbidden
        new_size = quantity_value(((claim.get("spec") or {}).get("resources") or {})
                                  .get("requests", {}).get("storage"))
        old_size = quantity_value(((old.get("spec") or {}).get("resources") or {})
                                  .get("requests", {}).get("storage"))
        if new_size is None or old_size is None or new_size <= old_size:
            return
        name = claim["metadata"].get("name", "")
        if (old.get("status") or {}).get("phase") != "Bound":
            reason = "Only bound persistent volume claims can be expanded"
        elif class_of(claim) != class_of(old) or \
                not can_expand(self.store, claim):
            reason = ("only dynamically provisioned pvc can be resized and the storageclass "
                      "that provisions the pvc must support resize")
        else:
            return
        raise forbidden('persistentvolumeclaims "%s" is forbidden: %s' % (name, reason), PVC,
                        name)

    def _allocate_cluster_ip(self, svc: Obj) -> None:
        spec = svc.setdefault("spec", {})
        if spec.get("clusterIP") in (None, ""):
            self._service_ips += 1
            spec["clusterIP"] = "10.96.%d.%d" % (self._service_ips // 250, 1 + self._service_ips % 250)
        spec["clusterIPs"] = [spec["clusterIP"]]

    # -- change tracking -----------------------------------------------------------------------
    def _on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        ns = meta.get("namespace", "")
        if rt is STS:
            self.dirty.add((ns, meta["name"]))
        elif rt is POD or rt is CR:
            ref = controller_of(obj)
            if ref is not None and ref.get("kind") == "StatefulSet":
                self.dirty.add((ns, ref["name"]))
            elif ref is None:
                self._all_sets_dirty(ns)        # an orphan may be adopted
        elif rt is PVC and etype == "DELETED":
            self._all_sets_dirty(ns)            # a stale claim is gone: creation may go on
        elif rt is NS and meta.get("deletionTimestamp"):
            self.terminating_ns.add(meta["name"])
        self._kick = True

    def _all_sets_dirty(self, ns: str) -> None:
        for (sns, name) in list(self.store.data[STS].keys()):
            if sns == ns:
                self.dirty.add((sns, name))

    # -- the loop --------------------------------------------------------------------------------
    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-cluster", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self.store.cond:
            self.store.cond.notify_all()
        if self._thread:
            self._thread.join(timeout=5)

    def _snapshots_due(self) -> Optional[float]:
        return self.snapshots.next_due() if self.snapshots is not None else None

    def _run(self) -> None:
        cond = self.store.cond
        while not self._stop.is_set():
            with cond:
                now = self.clock.now()
                due = [t for t in list(self.requeue.values()) + [self.scheduler.next_due(),
                                                                 self.kubelet.next_due(),
                                                                 self.resizer.next_due(),
                                                                 self.nodes.next_due(),
                                                                 self.taint_eviction.next_due(),
                                                                 self._snapshots_due()]
                       if t is not None]
                if not self._kick and not self.dirty:
                    timeout = self.clock.real_seconds(min(due) - now) if due else 1.0
                    cond.wait(timeout=min(max(timeout, 0.001), 1.0))
                if self._stop.is_set():
                    return
                self._kick = False
                try:
                    self.step()
                except Exception:    # a bug in a control loop must not kill the sandbox
                    import traceback
                    traceback.print_exc()

    def step(self) -> None:
        """One pass of every control loop (under the store lock)."""
        now = self.clock.now()
        self._namespaces()
        self.serviceaccounts.step()
        self.rootca.step()
        self.gc.step()
        self.storage.step()
        for key, when in list(self.requeue.items()):
            if when <= now:
                del self.requeue[key]
                self.dirty.add(key)
        work = sorted(self.dirty)
        self.dirty.clear()
        for ns, name in work:
            again = self.controller.sync(ns, name)
            if again is not None:
                self.requeue[(ns, name)] = again
        self.scheduler.step(self.clock.now())
        self.kubelet.step(self.clock.now())
        self.resizer.step(self.clock.now())
        self.disruption.step()
        self.taint_eviction.step(self.clock.now())
        self.nodes.step(self.clock.now())
        self.endpointslices.step()
        self.kubernetes_service.step()
        if self.snapshots is not None:
            self.snapshots.step(self.clock.now())

    def _namespaces(self) -> None:
        for name in list(self.terminating_ns):
            ns = self.store.peek(NS, "", name)
            if ns is None:
                self.terminating_ns.discard(name)
                continue
            remaining = 0
            for rt in RESOURCE_TYPES:
                if not rt.namespaced:
                    continue
                items, _ = self.store.list(rt, name)
                for obj in items:
                    remaining += 1
                    if not obj["metadata"].get("deletionTimestamp"):
                        self.store.delete(rt, name, obj["metadata"]["name"])
            if remaining == 0:
                done = copy.deepcopy(ns)
                done["spec"]["finalizers"] = []
                self.store.update(NS, done, internal=True)
                self.terminating_ns.discard(name)


def _node(name: str, stamp: str, version: str = versions.DEFAULT) -> Obj:
    """The node NAME's kubelet of release `version` registers at `stamp`
    (kubelet_node_status.go initialNode and setNodeStatus; nodekubelet.py): its labels (the
    zone and region are the sandbox's), the controller-managed attach-detach annotation, its
    addresses, capacity, system info, kubelet port and four conditions. The kubelet reports
    kubeProxyVersion only while DisableNodeKubeProxyVersion is off, i.e. up to 1.32
    (pkg/kubelet/nodestatus/setters.go VersionInfo; the gate is on from 1.33)."""
    git_version = versions.RELEASES[versions.normalize(version)].git_version
    proxy_version = git_version if versions.minor_of(version) < 33 else ""
    tail = name.rsplit("-", 1)[-1]
    number = int(tail) if tail.isdigit() else 0
    zone = "zone-b" if name.endswith("-3") else "zone-a"
    labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux",
              "kubernetes.io/arch": "amd64", "kubernetes.io/hostname": name,
              "kubernetes.io/os": "linux", "topology.kubernetes.io/region": "sandbox",
              "topology.kubernetes.io/zone": zone}
    return {"metadata": {"name": name, "labels": labels, "annotations": {
                "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
            "spec": {},
            "status": {"conditions": kubelet_conditions([], stamp)[0],
                       "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.%d" % (1 + number)},
                                     {"type": "Hostname", "address": name}],
                       "capacity": {"cpu": "8", "memory": "16Gi", "pods": "110",
                                    "ephemeral-storage": "100Gi"},
                       "allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110",
                                       "ephemeral-storage": "100Gi"},
                       # every field of NodeSystemInfo is required (clients validate it)
                       "nodeInfo": {"kubeletVersion": git_version, "operatingSystem": "linux",
                                    "architecture": "amd64", "kubeProxyVersion": proxy_version,
                                    "containerRuntimeVersion": "containerd://1.7.24",
                                    "kernelVersion": "6.1.0-sandbox",
                                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "machineID": "sandbox-%s" % name,
                                    "systemUUID": "00000000-0000-0000-0000-%012d" % number,
                                    "bootID": "boot-%s" % name}}}

"""The simulated cluster: the store plus the control loops that run against it."""

from __future__ import annotations

import copy
import threading
from typing import Any, Dict, Optional, Set, Tuple

from kubectl_sts.k8s.storage import class_of
from . import configdata, priorityclasses, storageclasses
from .clock import Clock
from .controller import StatefulSetController
from .disruption import Disruption
from .endpointslices import EndpointSlices
from .gc import GarbageCollector
from .kubelet import NODES, Kubelet
from .nodes import NodeLifecycle
from .ownership import controller_of
from .resizer import Resizer, can_expand
from .resources import BY_KIND, RESOURCE_TYPES, ResourceType
from .rootca import RootCAPublisher
from .serviceaccounts import ServiceAccounts
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
                 maxunavailable_gate: bool = False, watch_history: int = 50000,
                 reclaim_policy: str = "Delete", validate: bool = True,
                 resize_seconds: float = 0.05, node_grace_seconds: float = 0.2,
                 default_toleration_seconds: float = 300) -> None:
        self.speed = speed
        self.start_seconds = start_seconds
        self.ready_seconds = ready_seconds
        self.terminate_seconds = terminate_seconds
        self.crash_seconds = crash_seconds
        self.backoff_seconds = backoff_seconds
        self.maxunavailable_gate = maxunavailable_gate
        self.watch_history = watch_history
        self.reclaim_policy = reclaim_policy
        self.validate = validate
        self.resize_seconds = resize_seconds      # each step of a volume expansion
        self.node_grace_seconds = node_grace_seconds  # node-monitor-grace-period
        # kube-apiserver --default-not-ready-toleration-seconds and
        # --default-unreachable-toleration-seconds (whole seconds, as in the pod spec)
        self.default_toleration_seconds = default_toleration_seconds

    @classmethod
    def demo(cls, **overrides: Any) -> Config:
        values: Dict[str, Any] = dict(start_seconds=1.0, ready_seconds=1.0, terminate_seconds=1.0,
                                      crash_seconds=3.0, backoff_seconds=10.0,
                                      resize_seconds=2.0, node_grace_seconds=40.0)
        values.update(overrides)
        return cls(**values)


class Cluster:
    def __init__(self, config: Optional[Config] = None, root_ca: Optional[bytes] = None) -> None:
        self.config = config or Config()
        self.clock = Clock(self.config.speed)
        self.store = Store(self.clock, history=self.config.watch_history, admit=self._admit)
        self.storage = Storage(self.store, self.config.reclaim_policy)
        self.kubelet = Kubelet(self.store, self.config, self.storage)
        self.gc = GarbageCollector(self.store)
        self.resizer = Resizer(self.store, self.config)
        self.disruption = Disruption(self.store)
        self.endpointslices = EndpointSlices(self.store)
        self.nodes = NodeLifecycle(self.store, self.config, self.kubelet.node_resumed)
        self.taint_eviction = TaintEviction(self.store)
        self.kubelet.nodes = self.nodes
        self.serviceaccounts = ServiceAccounts(self.store)
        self.rootca = RootCAPublisher(self.store, root_ca)     # root_ca: PEM of the TLS CA
        self.controller = StatefulSetController(self.store, self.config.maxunavailable_gate)
        self.dirty: Set[Tuple[str, str]] = set()      # (ns, name) of StatefulSets to sync
        self.requeue: Dict[Tuple[str, str], float] = {}   # (ns, name) -> simulated time
        self.terminating_ns: Set[str] = set()
        self._kick = True
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._service_ips = 0
        for listener in (self._on_change, self.kubelet.on_change, self.gc.on_change,
                         self.storage.on_change, self.serviceaccounts.on_change,
                         self.rootca.on_change,
                         self.resizer.on_change, self.disruption.on_change,
                         self.nodes.on_change, self.taint_eviction.on_change,
                         self.endpointslices.on_change):
            self.store.listeners.append(listener)
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.store.create(NS, {"metadata": {"name": ns}})
        for sc in storageclasses.initial_classes(self.config.reclaim_policy):
            self.store.create(SC, sc)
        for pc in priorityclasses.SYSTEM_CLASSES:
            self.store.create(BY_KIND["PriorityClass"], pc)
        self.serviceaccounts.step()       # `default` exists before the first request
        self.rootca.step()                # and kube-root-ca.crt
        for node in NODES:
            self.store.create(NODE, _node(node), internal=True)

    # -- admission: defaults, validation, and what admission plugins add -----------------------
    def _admit(self, rt: ResourceType, obj: Obj, old: Optional[Obj]) -> None:
        from . import admission, defaulting, validation
        defaulting.drop_disabled_fields(rt.plural, obj, old, self.config.maxunavailable_gate)
        defaulting.apply_defaults(rt.plural, obj, self.config.maxunavailable_gate)
        if rt is SECRET:
            configdata.prepare_secret(obj)
        elif rt is CONFIGMAP:
            configdata.prepare_configmap(obj)
        elif rt is SC:
            storageclasses.apply_defaults(obj)
        elif rt is POD and old is None:
            add_default_tolerations(obj, self.config.default_toleration_seconds)
        if old is None:
            if rt is PVC:
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
            causes = validation.validate(rt.plural, obj, old, self.config.maxunavailable_gate)
            if rt is SECRET:
                causes += configdata.validate_secret(obj, old)
            elif rt is CONFIGMAP:
                causes += configdata.validate_configmap(obj, old)
            elif rt is SC:
                causes += storageclasses.validate(obj, old)
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

    def _run(self) -> None:
        cond = self.store.cond
        while not self._stop.is_set():
            with cond:
                now = self.clock.now()
                due = [t for t in list(self.requeue.values()) + [self.kubelet.next_due(),
                                                                 self.resizer.next_due(),
                                                                 self.nodes.next_due(),
                                                                 self.taint_eviction.next_due()]
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
        self.kubelet.step(self.clock.now())
        self.resizer.step(self.clock.now())
        self.disruption.step()
        self.taint_eviction.step(self.clock.now())
        self.nodes.step(self.clock.now())
        self.endpointslices.step()

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


def _node(name: str) -> Obj:
    tail = name.rsplit("-", 1)[-1]
    number = int(tail) if tail.isdigit() else 0
    zone = "zone-b" if name.endswith("-3") else "zone-a"
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name,
                                                  "kubernetes.io/os": "linux",
                                                  "topology.kubernetes.io/region": "sandbox",
                                                  "topology.kubernetes.io/zone": zone}},
            "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "addresses": [{"type": "InternalIP", "address": "172.18.0.%d" % (1 + number)},
                                     {"type": "Hostname", "address": name}],
                       "capacity": {"cpu": "8", "memory": "16Gi", "pods": "110",
                                    "ephemeral-storage": "100Gi"},
                       "allocatable": {"cpu": "8", "memory": "16Gi", "pods": "110",
                                       "ephemeral-storage": "100Gi"},
                       # every field of NodeSystemInfo is required (clients validate it)
                       "nodeInfo": {"kubeletVersion": "v1.32.0", "operatingSystem": "linux",
                                    "architecture": "amd64", "kubeProxyVersion": "v1.32.0",
                                    "containerRuntimeVersion": "containerd://1.7.24",
                                    "kernelVersion": "6.1.0-sandbox",
                                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                                    "machineID": "sandbox-%s" % name,
                                    "systemUUID": "00000000-0000-0000-0000-%012d" % number,
                                    "bootID": "boot-%s" % name}}}

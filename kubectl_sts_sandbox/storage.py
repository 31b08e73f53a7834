"""Simulated dynamic provisioning (a local-path provisioner, WaitForFirstConsumer), the
pvc-protection finalizer, and PV reclaim.

A claim is provisioned when the first pod using it is scheduled, by the class it names: the PV
takes the class's provisioner and reclaimPolicy. A claim naming a class that does not exist is
never provisioned: the PV controller records ProvisioningFailed with the lister's NotFound
error (pv_controller.go provisionClaim -> findProvisionablePlugin) and the scheduler keeps its
pods Pending, until the class is created."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Tuple

from kubectl_sts.k8s.storage import class_of
from . import events, storageclasses
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]

PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
POD = BY_KIND["Pod"]
PROTECTION = "kubernetes.io/pvc-protection"
SC = BY_KIND["StorageClass"]
NODE = BY_KIND["Node"]
ZONE = "topology.kubernetes.io/zone"
PROVISIONER = storageclasses.PROVISIONER
DEFAULT_CLASS = "standard"


class Storage:
    def __init__(self, store: Store, reclaim_policy: str = "Delete") -> None:
        self.store = store
        self.reclaim_policy = reclaim_policy
        # (ns, claim name, what happened: NEW, MODIFIED, DELETED or POD, claim uid)
        self.dirty: Set[Tuple[str, str, str, Optional[str]]] = set()

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt is PVC and etype == "ADDED":
            self.dirty.add((obj["metadata"]["namespace"], obj["metadata"]["name"], "NEW",
                            obj["metadata"]["uid"]))
        elif rt is PVC:
            self.dirty.add((obj["metadata"]["namespace"], obj["metadata"]["name"], etype,
                            obj["metadata"]["uid"]))
        elif rt is POD and (etype == "DELETED" or obj["metadata"].get("deletionTimestamp")):
            for vol in obj.get("spec", {}).get("volumes") or []:
                if vol.get("persistentVolumeClaim"):
                    self.dirty.add((obj["metadata"]["namespace"],
                                    vol["persistentVolumeClaim"]["claimName"], "POD", None))

    def admit_claim(self, claim: Obj) -> None:
        """What admission does to a new claim: the default class (DefaultStorageClass) and the
        protection finalizer."""
        storageclasses.admit_claim(self.store, claim)
        finalizers = claim["metadata"].setdefault("finalizers", [])
        if PROTECTION not in finalizers:
            finalizers.append(PROTECTION)

    def step(self) -> None:
        work = list(self.dirty)
        self.dirty.clear()
        for ns, name, etype, uid in work:
            if etype == "DELETED":
                self._reclaim(uid)
                continue
            claim = self.store.peek(PVC, ns, name)
            if claim is not None and claim["metadata"].get("deletionTimestamp"):
                self._release_protection(claim)
            elif claim is not None and etype == "NEW" and not self.can_provision(claim):
                events.record(self.store, claim, "Warning", "ProvisioningFailed",
                              'storageclass.storage.k8s.io "%s" not found'
                              % class_of(claim), "persistentvolume-controller")

    def class_for(self, claim: Obj) -> Optional[Obj]:
        name = class_of(claim)
        return self.store.peek(SC, "", name) if name else None

    def can_provision(self, claim: Obj) -> bool:
        """A bound claim, a claim without class (served as before), or one whose class exists."""
        if claim["spec"].get("volumeName") or not class_of(claim):
            return True
        return self.class_for(claim) is not None

    def _in_use(self, claim: Obj) -> bool:
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        pods, _ = self.store.list(POD, ns)
        for pod in pods:
            if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                continue
            for vol in pod.get("spec", {}).get("volumes") or []:
                if (vol.get("persistentVolumeClaim") or {}).get("claimName") == name:
                    return True
        return False

    def _release_protection(self, claim: Obj) -> None:
        if PROTECTION not in (claim["metadata"].get("finalizers") or []) or self._in_use(claim):
            return
        claim = copy.deepcopy(claim)
        claim["metadata"]["finalizers"] = [f for f in claim["metadata"]["finalizers"]
                                           if f != PROTECTION]
        self.store.update(PVC, claim, internal=True)

    def _reclaim(self, claim_uid: Optional[str]) -> None:
        pvs, _ = self.store.list(PV)
        for pv in pvs:
            if (pv["spec"].get("claimRef") or {}).get("uid") != claim_uid:
                continue
            if pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
                self.store.delete(PV, "", pv["metadata"]["name"])
            else:
                released = copy.deepcopy(pv)
                released["status"] = {"phase": "Released"}
                self.store.update(PV, released, subresource="status", internal=True)

    def _topology(self, sc: Obj, node: str) -> Obj:
        """The PV's node affinity: the node itself for a `topology: node` class, else its
        zone."""
        if (sc.get("parameters") or {}).get("topology") == "node":
            return {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
        labels = ((self.store.peek(NODE, "", node) or {}).get("metadata") or {}).get(
            "labels") or {}
        return {"key": ZONE, "operator": "In", "values": [labels.get(ZONE, "zone-a")]}

    def bind(self, claim: Optional[Obj], node: str) -> None:
        """Provision a PV for a Pending claim and bind both (called when a pod is scheduled)."""
        if claim is None or claim["spec"].get("volumeName"):
            return
        uid = claim["metadata"]["uid"]
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        size = ((claim["spec"].get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
        modes = claim["spec"].get("accessModes") or ["ReadWriteOnce"]
        pv_name = "pvc-%s" % uid
        sc = self.class_for(claim) or {}
        provisioner = sc.get("provisioner") or PROVISIONER
        pv = {"metadata": {"name": pv_name,
                           "annotations": {"pv.kubernetes.io/provisioned-by": provisioner},
                           "finalizers": ["kubernetes.io/pv-protection"]},
              "spec": {"capacity": {"storage": size}, "accessModes": modes,
                       "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy")
                       or self.reclaim_policy,
                       "storageClassName": claim["spec"].get("storageClassName") or "",
                       "volumeMode": claim["spec"].get("volumeMode", "Filesystem"),
                       "hostPath": {"path": "/var/local-path-provisioner/%s_%s_%s"
                                            % (pv_name, ns, name), "type": "DirectoryOrCreate"},
                       "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns,
                                    "name": name, "uid": uid, "apiVersion": "v1",
                                    "resourceVersion": claim["metadata"]["resourceVersion"]},
                       "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                           self._topology(sc, node)]}]}}}}
        pv = self.store.create(PV, pv, internal=True)
        pv = copy.deepcopy(pv)
        pv["status"] = {"phase": "Bound"}
        self.store.update(PV, pv, subresource="status", internal=True)
        bound = copy.deepcopy(claim)
        bound["spec"]["volumeName"] = pv_name
        bound["metadata"].setdefault("annotations", {}).update({
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.beta.kubernetes.io/storage-provisioner": provisioner,
            "volume.kubernetes.io/storage-provisioner": provisioner,
            "volume.kubernetes.io/selected-node": node})
        bound = self.store.update(PVC, bound, internal=True)
        bound = copy.deepcopy(bound)
        bound["status"] = {"phase": "Bound", "accessModes": modes, "capacity": {"storage": size}}
        self.store.update(PVC, bound, subresource="status", internal=True)

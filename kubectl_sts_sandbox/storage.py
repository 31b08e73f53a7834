"""Simulated dynamic provisioning (a local-path provisioner, WaitForFirstConsumer), the PV
controller's binding and reclaim, and the pvc-protection and pv-protection controllers.

- Provisioning: a claim is provisioned when the first pod using it is scheduled, by the class
  it names: the PV takes the class's provisioner and reclaimPolicy. A claim naming a class that
  does not exist is never provisioned: the PV controller records ProvisioningFailed with the
  lister's NotFound error (pv_controller.go provisionClaim -> findProvisionablePlugin) and the
  scheduler keeps its pods Pending, until the class is created.
- The PV controller (pkg/controller/volume/persistentvolume/pv_controller.go syncVolume): a
  volume without a claimRef, or reserved for a claim not bound yet (claimRef without uid), is
  Available; one whose claim is gone (or whose claim is bound to another volume:
  isVolumeReleased) becomes Released, and reclaimVolume applies its reclaim policy: Retain
  leaves it Released with its claimRef, Delete deletes it (deleteVolumeOperation: the
  provisioner deletes the storage, then the PV object is deleted). A deleted claim queues the
  volume it was bound to (pv_controller_base.go deleteClaim). Each phase change stamps
  status.lastPhaseTransitionTime (PersistentVolumeLastPhaseTransitionTime, GA in 1.31:
  pkg/registry/core/persistentvolume/strategy.go).
- pvc-protection (pkg/controller/volume/pvcprotection/pvc_protection_controller.go
  processPVC): a claim being deleted keeps kubernetes.io/pvc-protection while a pod uses it;
  podUsesPVC counts every scheduled pod whose volumes name the claim, whatever its phase (a
  Failed or Succeeded pod keeps the claim until the pod is deleted); an unscheduled pod does
  not count. Pods are found through an index of claim -> pods (common.PodPVCIndexFunc), and a
  pod deleted, terminated or not scheduled queues its claims (enqueuePVCs).
- pv-protection (pkg/controller/volume/pvprotection/pv_protection_controller.go processPV):
  a volume being deleted keeps kubernetes.io/pv-protection while it is Bound (isBeingUsed).
- Both controllers add their finalizer to a live object that lacks it (NeedToAddFinalizer);
  admission adds it at creation (admission.py, StorageObjectInUseProtection).
- The events a claim records: WaitForFirstConsumer (or WaitForPodScheduled naming the pods
  not scheduled yet) from the PV controller's first sync of an unbound claim of a
  WaitForFirstConsumer class (emitEventForUnboundDelayBindingClaim), then ExternalProvisioning
  (provisionClaimOperationExternal) and the provisioner's Provisioning and
  ProvisioningSucceeded (sig-storage-lib-external-provisioner controller.go, its identity
  `<provisioner>_<host>_<uuid>`)."""

from __future__ import annotations

import copy
import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional, Set, Tuple

from kubectl_sts.k8s.storage import class_of
from . import events, restore, storageclasses
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]
Key = Tuple[str, str]                     # (namespace, name)

PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
POD = BY_KIND["Pod"]
PROTECTION = "kubernetes.io/pvc-protection"           # volumeutil.PVCProtectionFinalizer
PV_PROTECTION = "kubernetes.io/pv-protection"         # volumeutil.PVProtectionFinalizer
SC = BY_KIND["StorageClass"]
NODE = BY_KIND["Node"]
ZONE = "topology.kubernetes.io/zone"
SELECTED_NODE = "volume.kubernetes.io/selected-node"
PROVISIONER = storageclasses.PROVISIONER
DEFAULT_CLASS = "standard"
CONTROLLER = "persistentvolume-controller"


def _claims_of(pod: Obj) -> Set[str]:
    return {vol["persistentVolumeClaim"].get("claimName", "")
            for vol in (pod.get("spec") or {}).get("volumes") or []
            if isinstance(vol, dict) and isinstance(vol.get("persistentVolumeClaim"), dict)}


def _deleting(obj: Obj) -> bool:
    return bool(obj["metadata"].get("deletionTimestamp"))


def _has(obj: Obj, finalizer: str) -> bool:
    return finalizer in (obj["metadata"].get("finalizers") or [])


class Storage:
    def __init__(self, store: Store, reclaim_policy: str = "Delete") -> None:
        self.store = store
        self.reclaim_policy = reclaim_policy
        self.new_claims: Set[Key] = set()     # claims just created: can they be provisioned?
        self.claims: Set[Key] = set()         # claims for pvc-protection
        self.volumes: Set[str] = set()        # volumes for the PV controller and pv-protection
        self.users: Dict[Key, Set[str]] = {}  # (ns, claim) -> names of the pods naming it
        # the provisioner's identity in its events: <provisioner>_<host>_<uuid>, as
        # sig-storage-lib-external-provisioner's controller names itself
        self.identity = "%s_local-path-provisioner-sandbox_" + str(uuid.uuid4())
        self.snapshots_served = True      # the snapshot CRDs exist (Config.snapshots)

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        if rt is PVC:
            key = (meta["namespace"], meta["name"])
            if etype == "DELETED":
                if (obj.get("spec") or {}).get("volumeName"):
                    self.volumes.add(obj["spec"]["volumeName"])
                return
            if etype == "ADDED":
                self.new_claims.add(key)
            # pvcAddedUpdated: NeedToAddFinalizer || IsDeletionCandidate
            if _deleting(obj) or not _has(obj, PROTECTION):
                self.claims.add(key)
        elif rt is PV and etype != "DELETED":
            self.volumes.add(meta["name"])
        elif rt is POD:
            self._index_pod(etype, obj)

    def _index_pod(self, etype: str, pod: Obj) -> None:
        """The claim -> pods index (PodPVCIndex), and the claims a pod that can no longer hold
        them queues (enqueuePVCs: deleted, terminated, or not scheduled)."""
        meta = pod["metadata"]
        ns, name = meta["namespace"], meta["name"]
        names = _claims_of(pod)
        if not names:
            return
        for claim in names:
            if etype == "DELETED":
                users = self.users.get((ns, claim))
                if users is not None:
                    users.discard(name)
                    if not users:
                        del self.users[(ns, claim)]
            else:
                self.users.setdefault((ns, claim), set()).add(name)
        status = pod.get("status") or {}
        if etype == "DELETED" or status.get("phase") in ("Succeeded", "Failed") or \
                not (pod.get("spec") or {}).get("nodeName"):
            self.claims.update((ns, claim) for claim in names)

    def admit_claim(self, claim: Obj) -> None:
        """What the DefaultStorageClass admission plugin does to a new claim (the protection
        finalizer is StorageObjectInUseProtection's, in admission.py)."""
        storageclasses.admit_claim(self.store, claim)

    def step(self) -> None:
        new_claims, self.new_claims = self.new_claims, set()
        claims, self.claims = self.claims, set()
        volumes, self.volumes = self.volumes, set()
        for ns, name in sorted(new_claims):
            claim = self.store.peek(PVC, ns, name)
            if claim is None or _deleting(claim) or claim["spec"].get("volumeName"):
                continue
            if not self.can_provision(claim):
                events.record(self.store, claim, "Warning", "ProvisioningFailed",
                              'storageclass.storage.k8s.io "%s" not found'
                              % class_of(claim), CONTROLLER)
            elif self._delay_binding(claim):
                self._waiting_for_consumer(claim)
        for ns, name in sorted(claims):
            self._protect_claim(ns, name)
        for name in sorted(volumes):
            self._sync_volume(name)
            self._protect_volume(name)

    # -- pvc-protection ------------------------------------------------------------------------
    def _in_use(self, claim: Obj) -> bool:
        """podUsesPVC over the pods the index names: scheduled, whatever their phase."""
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        for pod_name in self.users.get((ns, name), ()):
            pod = self.store.peek(POD, ns, pod_name)
            if pod is not None and (pod.get("spec") or {}).get("nodeName") and \
                    name in _claims_of(pod):
                return True
        return False

    def _protect_claim(self, ns: str, name: str) -> None:
        claim = self.store.peek(PVC, ns, name)
        if claim is None:
            return
        if _deleting(claim):
            if _has(claim, PROTECTION) and not self._in_use(claim):
                self._set_finalizer(PVC, claim, PROTECTION, False)
        elif not _has(claim, PROTECTION):
            self._set_finalizer(PVC, claim, PROTECTION, True)

    def _set_finalizer(self, rt: ResourceType, obj: Obj, finalizer: str, present: bool) -> None:
        obj = copy.deepcopy(obj)
        finalizers = [f for f in obj["metadata"].get("finalizers") or [] if f != finalizer]
        if present:
            finalizers.append(finalizer)
        obj["metadata"]["finalizers"] = finalizers
        self.store.update(rt, obj, internal=True)

    # -- the PV controller and pv-protection ---------------------------------------------------
    def _set_phase(self, pv: Obj, phase: str) -> Obj:
        """updateVolumePhase, with the status strategy's lastPhaseTransitionTime."""
        updated = copy.deepcopy(pv)
        updated["status"] = dict(updated.get("status") or {}, phase=phase,
                                 lastPhaseTransitionTime=self.store.clock.stamp())
        return self.store.update(PV, updated, subresource="status", internal=True)

    def _released(self, pv: Obj) -> bool:
        """isVolumeReleased: its claim is gone, is another claim of that name, or is bound to
        another volume."""
        ref = pv["spec"].get("claimRef") or {}
        claim = self.store.peek(PVC, ref.get("namespace", ""), ref.get("name", ""))
        if claim is None or claim["metadata"]["uid"] != ref.get("uid"):
            return True
        bound_to = (claim.get("spec") or {}).get("volumeName")
        return bool(bound_to) and bound_to != pv["metadata"]["name"]

    def _sync_volume(self, name: str) -> None:
        pv = self.store.peek(PV, "", name)
        if pv is None:
            return
        phase = (pv.get("status") or {}).get("phase")
        ref = pv["spec"].get("claimRef")
        if not ref or not ref.get("uid"):
            # unused (a Released volume whose claimRef an admin removed, too), or reserved
            # for a claim that has not bound yet
            if phase != "Available":
                self._set_phase(pv, "Available")
            return
        if not self._released(pv):
            return
        if phase not in ("Released", "Failed"):
            pv = self._set_phase(pv, "Released")
        if pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete" and not _deleting(pv):
            # deleteVolumeOperation: the provisioner deletes the storage, then the object
            self.store.delete(PV, "", name)
        # Retain: nothing to do; Recycle (deprecated) is not simulated and stays Released

    def _protect_volume(self, name: str) -> None:
        pv = self.store.peek(PV, "", name)
        if pv is None:
            return
        if _deleting(pv):
            if _has(pv, PV_PROTECTION) and (pv.get("status") or {}).get("phase") != "Bound":
                self._set_finalizer(PV, pv, PV_PROTECTION, False)
        elif not _has(pv, PV_PROTECTION):
            self._set_finalizer(PV, pv, PV_PROTECTION, True)

    # -- the PV controller's events on claims ----------------------------------------------------
    def _delay_binding(self, claim: Obj) -> bool:
        """IsDelayBindingMode and not yet IsDelayBindingProvisioning."""
        sc = self.class_for(claim)
        return (sc or {}).get("volumeBindingMode") == "WaitForFirstConsumer" and \
            SELECTED_NODE not in (claim["metadata"].get("annotations") or {})

    def _waiting_for_consumer(self, claim: Obj, pods_seen: bool = True) -> None:
        """emitEventForUnboundDelayBindingClaim: WaitForFirstConsumer, or WaitForPodScheduled
        naming the pods that use the claim and are not scheduled yet (`pods_seen` False: the
        sync came before any pod was made)."""
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        waiting = []
        for pod_name in sorted(self.users.get((ns, name), ()) if pods_seen else ()):
            pod = self.store.peek(POD, ns, pod_name)
            if pod is not None and not (pod.get("spec") or {}).get("nodeName") and \
                    (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                waiting.append(pod_name)
        if not waiting:
            events.record(self.store, claim, "Normal", "WaitForFirstConsumer",
                          "waiting for first consumer to be created before binding", CONTROLLER)
        else:
            events.record(self.store, claim, "Normal", "WaitForPodScheduled",
                          "waiting for pod%s %s to be scheduled" % (
                              "s" if len(waiting) > 1 else "", ",".join(waiting)), CONTROLLER)

    def _provisioning_events(self, claim: Obj, provisioner: str, pv_name: str) -> None:
        """What a claim records while an external provisioner makes its volume: the PV
        controller's ExternalProvisioning (provisionClaimOperationExternal), then the
        provisioner's Provisioning and ProvisioningSucceeded."""
        ns, name = claim["metadata"]["namespace"], claim["metadata"]["name"]
        if (ns, name) in self.new_claims and self._delay_binding(claim):
            # made in this very pass with its pod (a StatefulSet makes the claim first): the
            # PV controller's first sync of the claim came before there was a consumer
            self.new_claims.discard((ns, name))
            self._waiting_for_consumer(claim, pods_seen=False)
        events.record(self.store, claim, "Normal", "ExternalProvisioning",
                      "Waiting for a volume to be created either by the external provisioner "
                      "'%s' or manually by the system administrator. If volume creation is "
                      "delayed, please verify that the provisioner is running and correctly "
                      "registered." % provisioner, CONTROLLER)
        identity = self.identity % provisioner
        events.record(self.store, claim, "Normal", "Provisioning",
                      'External provisioner is provisioning volume for claim "%s/%s"'
                      % (ns, name), identity)
        events.record(self.store, claim, "Normal", "ProvisioningSucceeded",
                      "Successfully provisioned volume %s" % pv_name, identity)

    def class_for(self, claim: Obj) -> Optional[Obj]:
        name = class_of(claim)
        return self.store.peek(SC, "", name) if name else None

    def can_provision(self, claim: Obj) -> bool:
        """A bound claim, a claim without class (served as before), or one whose class exists."""
        if claim["spec"].get("volumeName") or not class_of(claim):
            return True
        return self.class_for(claim) is not None

    def _topology(self, sc: Obj, node: str) -> Obj:
        """The PV's node affinity: the node itself for a `topology: node` class, else its
        zone."""
        if (sc.get("parameters") or {}).get("topology") == "node":
            return {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}
        labels = ((self.store.peek(NODE, "", node) or {}).get("metadata") or {}).get(
            "labels") or {}
        return {"key": ZONE, "operator": "In", "values": [labels.get(ZONE, "zone-a")]}

    def provision_error(self, claim: Optional[Obj]) -> Optional[str]:
        """Why the provisioner cannot provision the claim now (restoring from a snapshot that
        is not ready, too big, of another driver, ...: restore.py), after recording its
        ProvisioningFailed event on the claim; None when it can."""
        if claim is None or claim["spec"].get("volumeName"):
            return None
        sc = self.class_for(claim) or {}
        problem = restore.problem(self.store, claim, sc, self.snapshots_served)
        if problem is None:
            return None
        provisioner = sc.get("provisioner") or PROVISIONER
        events.record(self.store, claim, "Warning", "ProvisioningFailed",
                      'failed to provision volume with StorageClass "%s": %s'
                      % (class_of(claim), problem), self.identity % provisioner)
        return problem

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
        self._provisioning_events(claim, provisioner, pv_name)
        annotations = {"pv.kubernetes.io/provisioned-by": provisioner}
        source = restore.snapshot_source(claim)
        if source is not None:
            annotations[restore.RESTORED_FROM] = restore.restored_from(self.store, claim, source)
        pv = {"metadata": {"name": pv_name, "annotations": annotations,
                           "finalizers": [PV_PROTECTION]},
              "spec": {"capacity": {"storage": size}, "accessModes": modes,
                       "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy")
                       or self.reclaim_policy,
                       "storageClassName": claim["spec"].get("storageClassName") or "",
                       "volumeMode": claim["spec"].get("volumeMode", "Filesystem"),
                       **restore.volume_source(provisioner, pv_name, ns, name),
                       "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns,
                                    "name": name, "uid": uid, "apiVersion": "v1",
                                    "resourceVersion": claim["metadata"]["resourceVersion"]},
                       "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                           self._topology(sc, node)]}]}}}}
        # the provisioner's own client (local-path-provisioner's User-Agent prefix; an
        # external CSI provisioner's sidecar is csi-provisioner)
        pv = self.store.create(PV, pv, internal=True, manager="local-path-provisioner"
                               if provisioner == PROVISIONER else "csi-provisioner")
        self._set_phase(pv, "Bound")
        bound = copy.deepcopy(claim)
        bound["spec"]["volumeName"] = pv_name
        bound["metadata"].setdefault("annotations", {}).update({
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.beta.kubernetes.io/storage-provisioner": provisioner,
            "volume.kubernetes.io/storage-provisioner": provisioner,
            SELECTED_NODE: node})
        bound = self.store.update(PVC, bound, internal=True)
        bound = copy.deepcopy(bound)
        bound["status"] = {"phase": "Bound", "accessModes": modes, "capacity": {"storage": size}}
        self.store.update(PVC, bound, subresource="status", internal=True)

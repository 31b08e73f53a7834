"""A simulated snapshot controller, after
kubernetes-csi/external-snapshotter (v8), for the CSI hostpath driver (storageclasses.py).

The common controller (pkg/common-controller/snapshot_controller.go):
- checkAndUpdateSnapshotClass (snapshot_controller_base.go): a snapshot without a class gets
  the default VolumeSnapshotClass of its PV's driver (SetDefaultSnapshotClass: the class
  annotated `snapshot.storage.kubernetes.io/is-default-class: "true"` whose driver is the
  PV's; a non-CSI PV fails "snapshotting non-CSI volumes is not supported", an unbound claim
  "the PVC X is not yet bound to a PV, ..."): SetDefaultSnapshotClassFailed; a named class
  that does not exist: GetSnapshotClassFailed.
- syncSnapshot: checkandRemovePVCFinalizer (the source claim keeps
  `snapshot.storage.kubernetes.io/pvc-as-source-protection` while a snapshot of it is not
  ready: isPVCBeingUsed), processSnapshotWithDeletionTimestamp, checkandAddSnapshotFinalizers
  (`volumesnapshot-as-source-protection`, and `volumesnapshot-bound-protection` when bound
  to a content whose deletionPolicy is Delete), syncUnreadySnapshot: createSnapshotContent
  (ensurePVCFinalizer; the content `snapcontent-<snapshot uid>`
  (GetDynamicSnapshotContentNameForSnapshot) with volumeSnapshotRef, source.volumeHandle,
  the class's driver and deletionPolicy, sourceVolumeMode; event CreatingSnapshot; errors
  SnapshotContentCreationFailed "Failed to create snapshot content with error ..."), a
  pre-provisioned content found by name and bound (SnapshotContentMissing otherwise), and
  updateSnapshotStatus (boundVolumeSnapshotContentName, creationTime, readyToUse,
  restoreSize as a BinarySI quantity; events SnapshotCreated and SnapshotReady).
- deletion (checkandRemoveSnapshotFinalizersAndCheckandDeleteContent): refused while a
  Pending claim restores from it (SnapshotDeletePending "Snapshot is being used to restore a
  PVC"); the content annotated `volumesnapshot-being-deleted` and, with deletionPolicy
  Delete, deleted (the snapshot keeps its bound finalizer until the content is gone);
  Retain leaves the content. A content whose snapshot is gone is deleted when its policy
  is Delete (syncContent).
- addContentFinalizer: every live content gets
  `snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection`.

The VolumeSnapshotContents' side (the common controller's syncContent and the CSI
snapshotter sidecar): snapcontents.py. Group snapshots: groupsnapshots.py."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from . import crds, events, storageclasses
from .resources import BY_KIND, served
from .snapcontents import (API_GROUP, BEING_DELETED, Contents, binary_quantity, deleting,
                           dynamic_content_name, go_quote, has_finalizer, meta_of, reference,
                           refers_to)

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]
Key = Tuple[str, str]
VS = BY_KIND["VolumeSnapshot"]
VSC = BY_KIND["VolumeSnapshotContent"]
VSCLASS = BY_KIND["VolumeSnapshotClass"]
PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
CRD = BY_KIND["CustomResourceDefinition"]
# pkg/utils/util.go
BOUND_FINALIZER = "snapshot.storage.kubernetes.io/volumesnapshot-bound-protection"
SOURCE_FINALIZER = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"
PVC_FINALIZER = "snapshot.storage.kubernetes.io/pvc-as-source-protection"
DEFAULT_CLASS_ANNOTATION = "snapshot.storage.kubernetes.io/is-default-class"
CONTROLLER = "snapshot-controller"
CLASS_NAME = "csi-hostpath-snapclass"
UPDATE_FAILED = "snapshot controller failed to update"       # controllerUpdateFailMsg


def ready(snapshot: Obj) -> bool:
    """IsSnapshotReady."""
    return (snapshot.get("status") or {}).get("readyToUse") is True


class Snapshots:
    def __init__(self, store: Store, config: Any) -> None:
        """config: the cluster's Config (snapshot_seconds, the release played)."""
        self.store = store
        self.config = config
        self.minor = config.features.minor
        self.snapshots: Set[Key] = set()
        self.contents: Set[str] = set()
        self.cutting: Dict[str, float] = {}       # content -> when the driver has cut it
        # the driver's snapshots: handle -> (size in bytes, creation time in ns, volume)
        self.driver: Dict[str, Tuple[int, int, str]] = {}
        self.content_side = Contents(self)
        from .groupsnapshots import GroupSnapshots
        self.groups = GroupSnapshots(self) if served(BY_KIND["VolumeGroupSnapshot"],
                                                     self.minor) else None

    # -- setup ---------------------------------------------------------------------------------
    def install(self) -> None:
        """The CRDs (served per release) and the hostpath driver's default classes."""
        stamp = self.store.clock.stamp()
        for plural in crds.by_plural():
            rt = next(t for t in BY_KIND.values() if t.plural == plural)
            if served(rt, self.minor):
                self.store.create(CRD, crds.crd_object(plural, stamp), internal=True)
        self.store.create(VSCLASS, {
            "metadata": {"name": CLASS_NAME,
                         "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
            "driver": storageclasses.CSI_DRIVER, "deletionPolicy": "Delete"}, internal=True)
        if self.groups is not None:
            self.groups.install()

    # -- informers -----------------------------------------------------------------------------
    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        if rt is VS:
            self.snapshots.add((meta["namespace"], meta["name"]))
        elif rt is VSC:
            self.contents.add(meta["name"])
            ref = (obj.get("spec") or {}).get("volumeSnapshotRef") or {}
            if ref.get("name"):
                self.snapshots.add((ref.get("namespace", ""), ref["name"]))
        elif rt is PVC or rt is VSCLASS:
            # a claim bound (or gone), a class made: the snapshots waiting on it retry
            for ns, name in list(self.store.data[VS].keys()):
                if rt is VSCLASS or ns == meta.get("namespace"):
                    self.snapshots.add((ns, name))
        if self.groups is not None:
            self.groups.on_change(rt, etype, obj)

    def next_due(self) -> Optional[float]:
        due = list(self.cutting.values())
        group_due = self.groups.next_due() if self.groups is not None else None
        return min(due + ([group_due] if group_due is not None else [])) if \
            due or group_due is not None else None

    def step(self, now: float) -> None:
        for name, when in list(self.cutting.items()):
            if when <= now:
                del self.cutting[name]
                self.content_side.cut(name)
        contents, self.contents = self.contents, set()
        for name in sorted(contents):
            self.content_side.sync(name)
        snapshots, self.snapshots = self.snapshots, set()
        for ns, name in sorted(snapshots):
            self._sync_snapshot(ns, name)
        if self.groups is not None:
            self.groups.step(now)

    # -- writes ----------------------------------------------------------------------------------
    def set_finalizers(self, rt: ResourceType, obj: Obj, add: List[str],
                       remove: List[str]) -> Obj:
        fresh = copy.deepcopy(obj)
        finalizers = [f for f in meta_of(fresh).get("finalizers") or [] if f not in remove]
        finalizers += [f for f in add if f not in finalizers]
        if finalizers == (meta_of(obj).get("finalizers") or []):
            return obj
        meta_of(fresh)["finalizers"] = finalizers
        # a claim's pvc-as-source-protection is the common controller's write too
        return self.store.update(rt, fresh, internal=True,
                                 manager="snapshot-controller" if rt is PVC else None)

    def status(self, rt: ResourceType, obj: Obj, status: Obj) -> Obj:
        if status == obj.get("status"):
            return obj
        fresh = copy.deepcopy(obj)
        fresh["status"] = status
        return self.store.update(rt, fresh, subresource="status", internal=True)

    def event(self, obj: Obj, etype: str, reason: str, message: str,
              component: str = CONTROLLER) -> None:
        events.record(self.store, obj, etype, reason, message, component)

    def error(self, snapshot: Obj, reason: str, message: str, not_ready: bool) -> None:
        """updateSnapshotErrorStatusWithEvent: the error (and readyToUse false) in the status,
        once per message, and a Warning event."""
        status = copy.deepcopy(snapshot.get("status") or {})
        if (status.get("error") or {}).get("message") == message:
            return
        status["error"] = {"time": self.store.clock.stamp(), "message": message}
        if not_ready:
            status["readyToUse"] = False
        snapshot = self.status(VS, snapshot, status)
        self.event(snapshot, "Warning", reason, message)

    # -- the common controller: snapshots -------------------------------------------------------
    def _sync_snapshot(self, ns: str, name: str) -> None:
        snapshot = self.store.peek(VS, ns, name)
        if snapshot is None:
            return
        self._check_pvc_finalizer(snapshot)
        if deleting(snapshot):
            self._delete_snapshot(snapshot)
            return
        if self.groups is not None and self.groups.is_member(snapshot):
            self._sync_member(snapshot)
            return
        source = (snapshot.get("spec") or {}).get("source") or {}
        claim_name = source.get("persistentVolumeClaimName")
        content_name = source.get("volumeSnapshotContentName")
        if bool(claim_name) == bool(content_name):
            self.error(snapshot, "SnapshotValidationError", "Exactly one of "
                       "PersistentVolumeClaimName and VolumeSnapshotContentName should be "
                       "specified", True)
            return
        if claim_name and not self._check_class(snapshot):
            return
        snapshot = self.store.peek(VS, ns, name) or snapshot
        content = self.store.peek(VSC, "", content_name or dynamic_content_name(snapshot))
        if content is not None and not refers_to(content, snapshot):
            if content_name:
                self.error(snapshot, "SnapshotContentMisbound", "VolumeSnapshotContent [%s] "
                           "is bound to a different snapshot" % content_name, True)
                return
            content = None
        add = [] if has_finalizer(snapshot, SOURCE_FINALIZER) else [SOURCE_FINALIZER]
        if content is not None and not has_finalizer(snapshot, BOUND_FINALIZER) and \
                (content.get("spec") or {}).get("deletionPolicy") == "Delete":
            add.append(BOUND_FINALIZER)
        snapshot = self.set_finalizers(VS, snapshot, add, [])
        if content is None:
            if content_name:
                self.error(snapshot, "SnapshotContentMissing", "VolumeSnapshotContent is "
                           "missing", True)
                return
            content = self._create_content(snapshot)
            if content is None:
                return
        elif not ((content.get("spec") or {}).get("volumeSnapshotRef") or {}).get("uid"):
            content = self._bind(content, snapshot)     # bindandUpdateVolumeSnapshot
        self.update_status(snapshot, content)

    def _sync_member(self, snapshot: Obj) -> None:
        """A group snapshot's member (IsVolumeGroupSnapshotMember): no class, its content
        made by the group snapshot controller (groupsnapshots.py); its finalizers and status,
        with volumeGroupSnapshotName."""
        name = (snapshot.get("status") or {}).get("boundVolumeSnapshotContentName") or ""
        content = self.store.peek(VSC, "", name)
        if content is None or not refers_to(content, snapshot):
            return
        add = [SOURCE_FINALIZER]
        if (content.get("spec") or {}).get("deletionPolicy") == "Delete":
            add.append(BOUND_FINALIZER)
        snapshot = self.set_finalizers(VS, snapshot, add, [])
        from .groupsnapshots import group_of
        self.update_status(snapshot, content, group_of(snapshot) or "")

    def _check_class(self, snapshot: Obj) -> bool:
        """checkAndUpdateSnapshotClass; False after recording why not."""
        class_name = (snapshot.get("spec") or {}).get("volumeSnapshotClassName")
        if class_name:
            if self.store.peek(VSCLASS, "", class_name) is None:
                self.error(snapshot, "GetSnapshotClassFailed", "Failed to get snapshot class "
                           "with error volumesnapshotclasses.snapshot.storage.k8s.io \"%s\" "
                           "not found" % class_name, False)
                return False
            return True
        if ready(snapshot) or (snapshot.get("status") or {}).get(
                "boundVolumeSnapshotContentName"):
            return True
        pv, problem = self._volume(snapshot)
        if pv is not None and not (pv.get("spec") or {}).get("csi"):
            problem = "snapshotting non-CSI volumes is not supported, snapshot:%s/%s" % (
                meta_of(snapshot)["namespace"], meta_of(snapshot)["name"])
        if pv is not None and not problem:
            driver = pv["spec"]["csi"].get("driver")
            defaults = [c for c in self.store.list(VSCLASS)[0]
                        if (meta_of(c).get("annotations") or {}).get(
                            DEFAULT_CLASS_ANNOTATION) == "true" and c.get("driver") == driver]
            if not defaults:
                problem = "cannot find default snapshot class"
            elif len(defaults) > 1:
                problem = "%d default snapshot classes were found" % len(defaults)
            else:
                fresh = copy.deepcopy(snapshot)
                fresh["spec"]["volumeSnapshotClassName"] = meta_of(defaults[0])["name"]
                self.store.update(VS, fresh, internal=True)
                return True
        self.error(snapshot, "SetDefaultSnapshotClassFailed", "Failed to set default "
                   "snapshot class with error %s" % problem, False)
        return False

    def _volume(self, snapshot: Obj) -> Tuple[Optional[Obj], str]:
        """getVolumeFromVolumeSnapshot: the PV of the source claim, or why not."""
        ns = meta_of(snapshot)["namespace"]
        name = ((snapshot.get("spec") or {}).get("source") or {}).get(
            "persistentVolumeClaimName") or ""
        claim = self.store.peek(PVC, ns, name)
        if claim is None:
            return None, ('failed to retrieve PVC %s from the lister: "persistentvolumeclaim '
                          '\\"%s\\" not found"' % (name, name))
        volume = (claim.get("spec") or {}).get("volumeName")
        if not volume or (claim.get("status") or {}).get("phase") != "Bound":
            return None, ("the PVC %s is not yet bound to a PV, will not attempt to take a "
                          "snapshot" % name)
        pv = self.store.peek(PV, "", volume)
        if pv is None:
            return None, ('failed to retrieve PV %s from the API server: "persistentvolumes '
                          '\\"%s\\" not found"' % (volume, volume))
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        if ref.get("name") != name or ref.get("namespace") != ns or (
                ref.get("uid") and ref["uid"] != meta_of(claim)["uid"]):
            return None, "claim in dataSource not bound or invalid"
        return pv, ""

    def _create_content(self, snapshot: Obj) -> Optional[Obj]:
        """createSnapshotContent (ensurePVCFinalizer, getCreateSnapshotInput)."""
        ns, name = meta_of(snapshot)["namespace"], meta_of(snapshot)["name"]
        claim = self.store.peek(PVC, ns, snapshot["spec"]["source"]["persistentVolumeClaimName"])
        problem = ""
        if claim is None:
            problem = "%s %s on API server: cannot get claim from snapshot" % (UPDATE_FAILED,
                                                                               name)
        elif not has_finalizer(claim, PVC_FINALIZER):
            if deleting(claim):
                problem = ("%s %s on API server: cannot add finalizer on claim because it is "
                           "being deleted" % (UPDATE_FAILED, meta_of(claim)["name"]))
            else:
                self.set_finalizers(PVC, claim, [PVC_FINALIZER], [])
        pv: Optional[Obj] = None
        class_obj = self.store.peek(VSCLASS, "", snapshot["spec"].get(
            "volumeSnapshotClassName") or "")
        if not problem:
            pv, why = self._volume(snapshot)
            if class_obj is None:
                why = "failed to take snapshot %s without a snapshot class" % name
            if why:
                problem = "failed to get input parameters to create snapshot %s: %s" % (
                    name, go_quote(why))
            elif pv is not None and not (pv.get("spec") or {}).get("csi"):
                problem = "cannot find CSI PersistentVolumeSource for volume %s" % (
                    meta_of(pv)["name"])
        if problem or pv is None or class_obj is None:
            self.error(snapshot, "SnapshotContentCreationFailed",
                       "Failed to create snapshot content with error %s" % problem, True)
            return None
        content = {"metadata": {"name": dynamic_content_name(snapshot)},
                   "spec": {"volumeSnapshotRef": reference(snapshot),
                            "source": {"volumeHandle": pv["spec"]["csi"]["volumeHandle"]},
                            "volumeSnapshotClassName": meta_of(class_obj)["name"],
                            "deletionPolicy": class_obj.get("deletionPolicy"),
                            "driver": class_obj.get("driver"),
                            "sourceVolumeMode": pv["spec"].get("volumeMode", "Filesystem")}}
        created = self.store.create(VSC, content, internal=True)
        self.event(snapshot, "Normal", "CreatingSnapshot", "Waiting for a snapshot %s/%s to be "
                   "created by the CSI driver." % (ns, name))
        return created

    def _bind(self, content: Obj, snapshot: Obj) -> Obj:
        fresh = copy.deepcopy(content)
        fresh["spec"]["volumeSnapshotRef"] = dict(fresh["spec"]["volumeSnapshotRef"],
                                                  **reference(snapshot))
        return self.store.update(VSC, fresh, internal=True)

    def update_status(self, snapshot: Obj, content: Obj,
                      group_name: str = "") -> Obj:
        """updateSnapshotStatus, with its SnapshotCreated and SnapshotReady events."""
        cstatus = content.get("status") or {}
        status = copy.deepcopy(snapshot.get("status") or {})
        before_created = bool(status.get("creationTime"))
        before_ready = status.get("readyToUse") is True
        status.setdefault("boundVolumeSnapshotContentName", meta_of(content)["name"])
        if not status.get("creationTime") and cstatus.get("creationTime"):
            status["creationTime"] = self.store.clock.stamp(cstatus["creationTime"] / 1e9)
        now_ready = cstatus.get("readyToUse") is True
        if status.get("readyToUse") is not now_ready:
            status["readyToUse"] = now_ready
            if now_ready:
                status.pop("error", None)
        size = cstatus.get("restoreSize")
        if not status.get("restoreSize") and size:
            status["restoreSize"] = binary_quantity(int(size))
        if cstatus.get("error") and not now_ready:
            status["error"] = cstatus["error"]
        if group_name:
            status.setdefault("volumeGroupSnapshotName", group_name)
        if status == snapshot.get("status"):
            return snapshot
        ns, name = meta_of(snapshot)["namespace"], meta_of(snapshot)["name"]
        if not before_created and status.get("creationTime"):
            self.event(snapshot, "Normal", "SnapshotCreated", "Snapshot %s/%s was successfully "
                       "created by the CSI driver." % (ns, name))
        if not before_ready and now_ready:
            self.event(snapshot, "Normal", "SnapshotReady", "Snapshot %s/%s is ready to use."
                       % (ns, name))
        return self.status(VS, snapshot, status)

    def _check_pvc_finalizer(self, snapshot: Obj) -> None:
        """checkandRemovePVCFinalizer: the claim's finalizer goes once no snapshot of it is
        being cut (isPVCBeingUsed)."""
        ns = meta_of(snapshot)["namespace"]
        name = ((snapshot.get("spec") or {}).get("source") or {}).get("persistentVolumeClaimName")
        claim = self.store.peek(PVC, ns, name or "")
        if claim is None or not has_finalizer(claim, PVC_FINALIZER):
            return
        for other in self.store.list(VS, ns)[0]:
            source = (other.get("spec") or {}).get("source") or {}
            if source.get("persistentVolumeClaimName") == name and not ready(other) and \
                    not deleting(other):
                return
        self.set_finalizers(PVC, claim, [], [PVC_FINALIZER])

    def restoring(self, snapshot: Obj) -> bool:
        """isVolumeBeingCreatedFromSnapshot: a Pending claim names it as its dataSource."""
        for claim in self.store.list(PVC, meta_of(snapshot)["namespace"])[0]:
            source = (claim.get("spec") or {}).get("dataSource") or {}
            if source.get("name") == meta_of(snapshot)["name"] and \
                    source.get("kind") == "VolumeSnapshot" and \
                    source.get("apiGroup") == API_GROUP and \
                    (claim.get("status") or {}).get("phase") == "Pending":
                return True
        return False

    def _delete_snapshot(self, snapshot: Obj) -> None:
        """processSnapshotWithDeletionTimestamp and
        checkandRemoveSnapshotFinalizersAndCheckandDeleteContent."""
        in_group = "snapshot.storage.kubernetes.io/volumesnapshot-in-group-protection"
        if not (has_finalizer(snapshot, SOURCE_FINALIZER) or has_finalizer(snapshot, BOUND_FINALIZER) or
                has_finalizer(snapshot, in_group)):
            return
        name = (snapshot.get("status") or {}).get("boundVolumeSnapshotContentName") or ""
        source = (snapshot.get("spec") or {}).get("source") or {}
        if not name and source.get("persistentVolumeClaimName"):
            name = dynamic_content_name(snapshot)
        content = self.store.peek(VSC, "", name) if name else None
        if content is not None and not refers_to(content, snapshot, uid=True):
            content = None
        delete = content is not None and content["spec"].get("deletionPolicy") == "Delete"
        if content is not None and self.restoring(snapshot):
            self.event(snapshot, "Warning", "SnapshotDeletePending",
                       "Snapshot is being used to restore a PVC")
            return
        if self.groups is not None and self.groups.member_deletion_blocked(snapshot):
            return
        if content is not None:
            annotations = meta_of(content).get("annotations") or {}
            if annotations.get(BEING_DELETED) != "yes":
                fresh = copy.deepcopy(content)
                meta_of(fresh).setdefault("annotations", {})[BEING_DELETED] = "yes"
                content = self.store.update(VSC, fresh, internal=True)
            if delete and not deleting(content):
                self.store.delete(VSC, None, meta_of(content)["name"])
        remove = [SOURCE_FINALIZER, in_group] + ([] if delete else [BOUND_FINALIZER])
        self.set_finalizers(VS, snapshot, [], remove)

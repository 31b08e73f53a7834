"""The group snapshot controller and sidecar for VolumeGroupSnapshot
(groupsnapshot.storage.k8s.io/v1, served from 1.36), after kubernetes-csi/external-snapshotter
pkg/common-controller/groupsnapshot_controller_helper.go, for the CSI hostpath driver.

- The class (snapshot_controller_base.go checkAndUpdateGroupSnapshotClass): a named class
  that does not exist: GetGroupSnapshotClassFailed; none: the default class of the claims'
  driver (SetDefaultGroupSnapshotClass, annotation
  `groupsnapshot.storage.kubernetes.io/is-default-class`), else SetDefaultGroupSnapshotClassFailed.
- syncUnreadyGroupSnapshot / createGroupSnapshotContent: the claims the selector's
  matchLabels pick (getClaimsFromVolumeGroupSnapshot: "label selector ... not applied to any
  PVC"), each Bound to a CSI volume of the class's driver; the content
  `groupsnapcontent-<uid>` with their volume handles (event CreatingGroupSnapshot);
  updateGroupSnapshotStatus (boundVolumeGroupSnapshotContentName, creationTime, readyToUse;
  GroupSnapshotCreated, GroupSnapshotReady).
- The sidecar cuts the group (Config.snapshot_seconds; the `volumegroupsnapshot-being-created`
  annotation meanwhile): status volumeGroupSnapshotHandle, creationTime, readyToUse and
  volumeSnapshotInfoList (a snapshot per volume).
- createSnapshotsForGroupSnapshotContent: per volume a VolumeSnapshotContent and a
  VolumeSnapshot `snapcontent-`/`snapshot-<sha256(group uid + volume handle)>`
  (getSnapshotNameForVolumeGroupSnapshotContent), the snapshot owned by the group
  (BuildVolumeGroupSnapshotOwnerReference) with `volumesnapshot-in-group-protection`, the
  content annotated with the group handle; the snapshot controller then gives the members
  their status (with volumeGroupSnapshotName: snapshots.py).
- Finalizers: `volumegroupsnapshot-bound-protection` on a bound group,
  `volumegroupsnapshotcontent-bound-protection` on its content. Deletion
  (processGroupSnapshotWithDeletionTimestamp): refused while a member restores a claim
  (SnapshotDeletePending); the content annotated being-deleted and deleted with policy
  Delete; the members deleted; a member alone cannot be deleted while its group exists.
Pre-provisioned group contents (source.groupSnapshotHandles) are not simulated."""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any, Dict, List, Optional, Set, Tuple

from . import storageclasses
from .resources import BY_KIND

Obj = Dict[str, Any]
Key = Tuple[str, str]
VGS = BY_KIND["VolumeGroupSnapshot"]
VGSC = BY_KIND["VolumeGroupSnapshotContent"]
VGSCLASS = BY_KIND["VolumeGroupSnapshotClass"]
VS = BY_KIND["VolumeSnapshot"]
VSC = BY_KIND["VolumeSnapshotContent"]
PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
GROUP_API = "groupsnapshot.storage.k8s.io/v1"
DEFAULT_CLASS_ANNOTATION = "groupsnapshot.storage.kubernetes.io/is-default-class"
CLASS_NAME = "csi-hostpath-groupsnapclass"
BOUND_FINALIZER = "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-bound-protection"
CONTENT_FINALIZER = ("groupsnapshot.storage.kubernetes.io/"
                     "volumegroupsnapshotcontent-bound-protection")
IN_GROUP_FINALIZER = "snapshot.storage.kubernetes.io/volumesnapshot-in-group-protection"
BEING_CREATED = "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-being-created"
BEING_DELETED = "groupsnapshot.storage.kubernetes.io/volumegroupsnapshot-being-deleted"
HANDLE_ANNOTATION = "groupsnapshot.storage.k8s.io/volumeGroupSnapshotHandle"


def _meta(obj: Obj) -> Obj:
    meta: Obj = obj["metadata"]
    return meta


def _has(obj: Obj, finalizer: str) -> bool:
    return finalizer in (_meta(obj).get("finalizers") or [])


def member_names(group_uid: str, volume_handle: str) -> Tuple[str, str]:
    """(snapshot, content) names of a member: getSnapshotNameForVolumeGroupSnapshotContent."""
    digest = hashlib.sha256((group_uid + volume_handle).encode()).hexdigest()
    return "snapshot-" + digest, "snapcontent-" + digest


def group_of(snapshot: Obj) -> Optional[str]:
    """The name of the VolumeGroupSnapshot that owns a member snapshot."""
    for ref in _meta(snapshot).get("ownerReferences") or []:
        if ref.get("kind") == "VolumeGroupSnapshot" and ref.get("apiVersion") == GROUP_API:
            return str(ref.get("name"))
    return None


class GroupSnapshots:
    def __init__(self, snapshots: Any) -> None:
        """snapshots: the snapshot controller (snapshots.Snapshots) whose writes it shares."""
        self.ctl = snapshots
        self.store = snapshots.store
        self.groups: Set[Key] = set()
        self.contents: Set[str] = set()
        self.cutting: Dict[str, float] = {}

    def install(self) -> None:
        self.store.create(VGSCLASS, {
            "metadata": {"name": CLASS_NAME,
                         "annotations": {DEFAULT_CLASS_ANNOTATION: "true"}},
            "driver": storageclasses.CSI_DRIVER, "deletionPolicy": "Delete"}, internal=True)

    def on_change(self, rt: Any, etype: str, obj: Obj) -> None:
        meta = obj["metadata"]
        if rt is VGS:
            self.groups.add((meta["namespace"], meta["name"]))
            if etype == "DELETED":          # its members may go now
                for ns, name in list(self.store.data[VS].keys()):
                    member = self.store.data[VS][(ns, name)]
                    if ns == meta["namespace"] and group_of(member) == meta["name"]:
                        self.ctl.snapshots.add((ns, name))
        elif rt is VGSC:
            self.contents.add(meta["name"])
            ref = (obj.get("spec") or {}).get("volumeGroupSnapshotRef") or {}
            if ref.get("name"):
                self.groups.add((ref.get("namespace", ""), ref["name"]))
        elif rt is VS and group_of(obj):
            self.groups.add((meta["namespace"], group_of(obj) or ""))
        elif rt is PVC or rt is VGSCLASS:
            for ns, name in list(self.store.data[VGS].keys()):
                if rt is VGSCLASS or ns == meta.get("namespace"):
                    self.groups.add((ns, name))

    def next_due(self) -> Optional[float]:
        return min(self.cutting.values()) if self.cutting else None

    def step(self, now: float) -> None:
        for name, when in list(self.cutting.items()):
            if when <= now:
                del self.cutting[name]
                self._cut(name)
        contents, self.contents = self.contents, set()
        for name in sorted(contents):
            self._sync_content(name)
        groups, self.groups = self.groups, set()
        for ns, name in sorted(groups):
            self._sync_group(ns, name)

    def is_member(self, snapshot: Obj) -> bool:
        return group_of(snapshot) is not None

    def is_member_content(self, content: Obj) -> bool:
        return HANDLE_ANNOTATION in (_meta(content).get("annotations") or {})

    def member_deletion_blocked(self, snapshot: Obj) -> bool:
        """A member cannot go while its group exists (checkandRemoveSnapshotFinalizers...):
        SnapshotDeletePending; once the group is gone its in-group finalizer goes."""
        name = group_of(snapshot)
        ns = _meta(snapshot)["namespace"]
        if name and self.store.peek(VGS, ns, name) is not None:
            self.ctl.event(snapshot, "Warning", "SnapshotDeletePending", (
                "deletion of the individual volume snapshot %s/%s is not allowed as it belongs "
                "to group snapshot %s/%s. Deleting the group snapshot will trigger the deletion "
                "of all the individual volume snapshots that are part of the group."
                % (ns, _meta(snapshot)["name"], ns, name)))
            return True
        return False

    # -- groups ----------------------------------------------------------------------------------
    def _error(self, group: Obj, reason: str, message: str, not_ready: bool) -> None:
        status = copy.deepcopy(group.get("status") or {})
        if (status.get("error") or {}).get("message") == message:
            return
        status["error"] = {"time": self.store.clock.stamp(), "message": message}
        if not_ready:
            status["readyToUse"] = False
        group = self.ctl.status(VGS, group, status)
        self.ctl.event(group, "Warning", reason, message)

    def _volumes(self, group: Obj) -> Tuple[List[Obj], str]:
        """getVolumesFromVolumeGroupSnapshot: the PVs of the claims the selector picks."""
        ns = _meta(group)["namespace"]
        selector = (((group.get("spec") or {}).get("source") or {}).get("selector") or {})
        wanted = selector.get("matchLabels") or {}
        claims = [c for c in self.store.list(PVC, ns)[0]
                  if all((_meta(c).get("labels") or {}).get(k) == v for k, v in wanted.items())]
        if not claims:
            text = ",".join("%s=%s" % kv for kv in sorted(wanted.items()))
            return [], "label selector %s for group snapshot not applied to any PVC" % text
        volumes = []
        for claim in sorted(claims, key=lambda c: _meta(c)["name"]):
            if (claim.get("status") or {}).get("phase") != "Bound":
                return [], ("the PVC %s is not yet bound to a PV, will not attempt to take a "
                            "group snapshot" % _meta(claim)["name"])
            pv = self.store.peek(PV, "", claim["spec"].get("volumeName") or "")
            if pv is None:
                return [], "claim in dataSource not bound or invalid"
            volumes.append(pv)
        return volumes, ""

    def _check_class(self, group: Obj) -> bool:
        spec = group.get("spec") or {}
        name = spec.get("volumeGroupSnapshotClassName")
        if name:
            if self.store.peek(VGSCLASS, "", name) is None:
                self._error(group, "GetGroupSnapshotClassFailed", "failed to get group snapshot "
                            "class with error volumegroupsnapshotclasses.groupsnapshot.storage"
                            ".k8s.io \"%s\" not found" % name, False)
                return False
            return True
        volumes, problem = self._volumes(group)
        if volumes and not (volumes[0].get("spec") or {}).get("csi"):
            problem = "snapshotting non-CSI volumes is not supported, group snapshot:%s/%s" % (
                _meta(group)["namespace"], _meta(group)["name"])
        if not problem:
            driver = volumes[0]["spec"]["csi"].get("driver")
            defaults = [c for c in self.store.list(VGSCLASS)[0]
                        if (_meta(c).get("annotations") or {}).get(
                            DEFAULT_CLASS_ANNOTATION) == "true" and c.get("driver") == driver]
            if len(defaults) == 1:
                fresh = copy.deepcopy(group)
                fresh["spec"]["volumeGroupSnapshotClassName"] = _meta(defaults[0])["name"]
                self.store.update(VGS, fresh, internal=True)
                return True
            problem = ("cannot find default group snapshot class" if not defaults else
                       "%d default snapshot classes were found" % len(defaults))
        self._error(group, "SetDefaultGroupSnapshotClassFailed", "Failed to set default group "
                    "snapshot class with error %s" % problem, False)
        return False

    def _sync_group(self, ns: str, name: str) -> None:
        group = self.store.peek(VGS, ns, name)
        if group is None:
            return
        if _meta(group).get("deletionTimestamp"):
            self._delete_group(group)
            return
        if ((group.get("spec") or {}).get("source") or {}).get("volumeGroupSnapshotContentName"):
            return                          # pre-provisioned: not simulated
        if not (group.get("status") or {}).get("boundVolumeGroupSnapshotContentName") and \
                not self._check_class(group):
            return
        group = self.store.peek(VGS, ns, name) or group
        content = self.store.peek(VGSC, "", "groupsnapcontent-" + _meta(group)["uid"])
        if content is None:
            content = self._create_content(group)
            if content is None:
                return
        if not _has(group, BOUND_FINALIZER):
            group = self.ctl.set_finalizers(VGS, group, [BOUND_FINALIZER], [])
        if (content.get("status") or {}).get("volumeGroupSnapshotHandle"):
            self._members(group, content)
        self._update_status(group, content)

    def _create_content(self, group: Obj) -> Optional[Obj]:
        ns, name = _meta(group)["namespace"], _meta(group)["name"]
        class_obj = self.store.peek(VGSCLASS, "", group["spec"].get(
            "volumeGroupSnapshotClassName") or "")
        volumes, problem = self._volumes(group)
        if class_obj is None:
            problem = "failed to take group snapshot %s without a group snapshot class" % name
        if problem:
            from .snapcontents import _go_quote
            self._error(group, "GroupSnapshotContentCreationFailed", "failed to create group "
                        "snapshot content with error failed to get input parameters to create "
                        "group snapshot %s: %s" % (name, _go_quote(problem)), True)
            return None
        assert class_obj is not None
        handles = []
        for pv in volumes:
            csi = (pv.get("spec") or {}).get("csi")
            if not csi or csi.get("driver") != class_obj.get("driver"):
                text = ("cannot snapshot a non-CSI volume for group snapshot %s/%s: %s"
                        % (ns, name, _meta(pv)["name"]) if not csi else
                        "snapshot controller failed to update %s/%s on API server: Volume CSI "
                        "driver (%s) mismatch with VolumeGroupSnapshotClass (%s) %s/%s: %s"
                        % (ns, name, csi.get("driver"), class_obj.get("driver"), ns, name,
                           _meta(pv)["name"]))
                self._error(group, "GroupSnapshotContentCreationFailed", "failed to create "
                            "group snapshot content with error " + text, True)
                return None
            handles.append(csi["volumeHandle"])
        meta = _meta(group)
        content = {"metadata": {"name": "groupsnapcontent-" + meta["uid"]},
                   "spec": {"volumeGroupSnapshotRef": {
                       "kind": "VolumeGroupSnapshot", "namespace": ns, "name": name,
                       "uid": meta["uid"], "apiVersion": GROUP_API,
                       "resourceVersion": meta.get("resourceVersion", "")},
                       "source": {"volumeHandles": handles},
                       "volumeGroupSnapshotClassName": _meta(class_obj)["name"],
                       "deletionPolicy": class_obj.get("deletionPolicy"),
                       "driver": class_obj.get("driver")}}
        created = self.store.create(VGSC, content, internal=True)
        self.ctl.event(group, "Normal", "CreatingGroupSnapshot", "Waiting for a group snapshot "
                       "%s/%s to be created by the CSI driver." % (ns, name))
        return created

    def _members(self, group: Obj, content: Obj) -> None:
        """createSnapshotsForGroupSnapshotContent."""
        ns = _meta(group)["namespace"]
        status = content.get("status") or {}
        for info in status.get("volumeSnapshotInfoList") or []:
            snap_name, content_name = member_names(_meta(group)["uid"], info["volumeHandle"])
            claim = ""
            for pv in self.store.list(PV)[0]:
                if ((pv.get("spec") or {}).get("csi") or {}).get("volumeHandle") == \
                        info["volumeHandle"]:
                    claim = ((pv["spec"].get("claimRef") or {}).get("name")) or ""
            member = self.store.peek(VS, ns, snap_name)
            if member is None:
                member = self.store.create(VS, {
                    "metadata": {"name": snap_name, "namespace": ns,
                                 "ownerReferences": [{"apiVersion": GROUP_API,
                                                      "kind": "VolumeGroupSnapshot",
                                                      "name": _meta(group)["name"],
                                                      "uid": _meta(group)["uid"]}],
                                 "finalizers": [IN_GROUP_FINALIZER]},
                    "spec": {"source": {"persistentVolumeClaimName": claim}}},
                    namespace=ns, internal=True)
            if self.store.peek(VSC, "", content_name) is None:
                from .snapcontents import _reference
                self.store.create(VSC, {
                    "metadata": {"name": content_name, "annotations": {
                        HANDLE_ANNOTATION: status["volumeGroupSnapshotHandle"]}},
                    "spec": {"volumeSnapshotRef": _reference(member),
                             "deletionPolicy": content["spec"].get("deletionPolicy"),
                             "driver": content["spec"].get("driver"),
                             "source": {"volumeHandle": info["volumeHandle"]},
                             "sourceVolumeMode": "Filesystem"}}, internal=True)
                vsc = self.store.peek(VSC, "", content_name) or {}
                self.ctl.status(VSC, vsc, {
                    "snapshotHandle": info["snapshotHandle"],
                    "creationTime": info["creationTime"], "readyToUse": info["readyToUse"],
                    "restoreSize": info["restoreSize"],
                    "volumeGroupSnapshotHandle": status["volumeGroupSnapshotHandle"]})
            if not (member.get("status") or {}).get("boundVolumeSnapshotContentName"):
                self.ctl.status(VS, member, {"boundVolumeSnapshotContentName": content_name})

    def _update_status(self, group: Obj, content: Obj) -> None:
        """updateGroupSnapshotStatus with its GroupSnapshotCreated and GroupSnapshotReady."""
        cstatus = content.get("status") or {}
        status = copy.deepcopy(group.get("status") or {})
        created_before = bool(status.get("creationTime"))
        ready_before = status.get("readyToUse") is True
        status["boundVolumeGroupSnapshotContentName"] = _meta(content)["name"]
        if cstatus.get("creationTime") and not status.get("creationTime"):
            status["creationTime"] = cstatus["creationTime"]
        ready = cstatus.get("readyToUse") is True
        status["readyToUse"] = ready
        if ready:
            status.pop("error", None)
        if status == group.get("status"):
            return
        key = "%s/%s" % (_meta(group)["namespace"], _meta(group)["name"])
        if not created_before and status.get("creationTime"):
            self.ctl.event(group, "Normal", "GroupSnapshotCreated", "GroupSnapshot %s was "
                           "successfully created by the CSI driver." % key)
        if not ready_before and ready:
            self.ctl.event(group, "Normal", "GroupSnapshotReady", "GroupSnapshot %s is ready to "
                           "use." % key)
        self.ctl.status(VGS, group, status)

    def _delete_group(self, group: Obj) -> None:
        if not _has(group, BOUND_FINALIZER):
            return
        ns, name = _meta(group)["namespace"], _meta(group)["name"]
        members = [s for s in self.store.list(VS, ns)[0] if group_of(s) == name]
        for member in members:
            if self.ctl.restoring(member):
                self.ctl.event(group, "Warning", "SnapshotDeletePending", "Snapshot %s/%s "
                               "belonging to VolumeGroupSnapshot %s/%s is being used to restore "
                               "a PVC" % (ns, _meta(member)["name"], ns, name))
                return
        content_name = (group.get("status") or {}).get("boundVolumeGroupSnapshotContentName")
        content = self.store.peek(VGSC, "", content_name or "")
        delete = content is not None and content["spec"].get("deletionPolicy") == "Delete"
        if content is not None:
            if (_meta(content).get("annotations") or {}).get(BEING_DELETED) != "yes":
                fresh = copy.deepcopy(content)
                _meta(fresh).setdefault("annotations", {})[BEING_DELETED] = "yes"
                content = self.store.update(VGSC, fresh, internal=True)
            if delete and not _meta(content).get("deletionTimestamp"):
                self.store.delete(VGSC, None, _meta(content)["name"])
        for member in members:
            if not _meta(member).get("deletionTimestamp"):
                self.store.delete(VS, ns, _meta(member)["name"])
        if not (delete and self.store.peek(VGSC, "", content_name or "") is not None):
            self.ctl.set_finalizers(VGS, group, [], [BOUND_FINALIZER])

    # -- group contents: the common controller's side and the sidecar -----------------------------
    def _sync_content(self, name: str) -> None:
        content = self.store.peek(VGSC, "", name)
        if content is None:
            return
        meta = _meta(content)
        if meta.get("deletionTimestamp"):
            ref = content["spec"].get("volumeGroupSnapshotRef") or {}
            if (meta.get("annotations") or {}).get(BEING_DELETED) or \
                    self.store.peek(VGS, ref.get("namespace", ""), ref.get("name", "")) is None:
                if content["spec"].get("deletionPolicy") == "Delete":
                    for info in (content.get("status") or {}).get("volumeSnapshotInfoList") or []:
                        self.ctl.driver.pop(info.get("snapshotHandle"), None)
                self.cutting.pop(name, None)
                self.ctl.set_finalizers(VGSC, content, [], [CONTENT_FINALIZER])
            return
        if not _has(content, CONTENT_FINALIZER):
            content = self.ctl.set_finalizers(VGSC, content, [CONTENT_FINALIZER], [])
        if content["spec"]["source"].get("volumeHandles") and not content.get("status") and \
                name not in self.cutting and \
                (meta.get("annotations") or {}).get(BEING_CREATED) != "yes":
            fresh = copy.deepcopy(content)
            _meta(fresh).setdefault("annotations", {})[BEING_CREATED] = "yes"
            self.store.update(VGSC, fresh, internal=True)
            self.cutting[name] = self.store.clock.now() + self.ctl.config.snapshot_seconds

    def _cut(self, name: str) -> None:
        """CreateVolumeGroupSnapshot of the hostpath driver: a snapshot of every volume, all
        ready at once."""
        content = self.store.peek(VGSC, "", name)
        if content is None or content.get("status") or _meta(content).get("deletionTimestamp"):
            return
        infos = []
        for handle in content["spec"]["source"].get("volumeHandles") or []:
            snapshot_handle, size, created = self.ctl.content_side.cut_volume(handle)
            infos.append({"volumeHandle": handle, "snapshotHandle": snapshot_handle,
                          "creationTime": created, "readyToUse": True, "restoreSize": size})
        content = self.ctl.status(VGSC, content, {
            "volumeGroupSnapshotHandle": str(uuid.uuid4()),
            "creationTime": self.store.clock.stamp(), "readyToUse": True,
            "volumeSnapshotInfoList": infos})
        fresh = copy.deepcopy(content)
        (_meta(fresh).get("annotations") or {}).pop(BEING_CREATED, None)
        self.store.update(VGSC, fresh, internal=True)

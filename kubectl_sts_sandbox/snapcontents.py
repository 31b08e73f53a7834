"""The VolumeSnapshotContents' side of the simulated snapshot controller (snapshots.py):
the common controller's syncContent (addContentFinalizer; a content whose snapshot is gone
deleted when its deletionPolicy is Delete) and the CSI snapshotter sidecar
(pkg/sidecar-controller/snapshot_controller.go: syncContent, createSnapshot /
createSnapshotWrapper with the `volumesnapshot-being-created` annotation while the driver
cuts the snapshot, updateSnapshotContentStatus: snapshotHandle, creationTime in
nanoseconds, readyToUse, restoreSize in bytes; checkandUpdateContentStatus for a
pre-provisioned content, through the driver's ListSnapshots; shouldDelete,
deleteCSISnapshotOperation and clearVolumeContentStatus, then removeContentFinalizer), for
the CSI hostpath driver, whose snapshots are ready at once and restore to the volume's
capacity. Also the helpers both sides share (util.go's names and references)."""

from __future__ import annotations

import copy
import uuid
from typing import Any, Dict, Tuple

from kubectl_sts.k8s.quantity import quantity_value
from . import storageclasses
from .resources import BY_KIND


Obj = Dict[str, Any]
VS = BY_KIND["VolumeSnapshot"]
VSC = BY_KIND["VolumeSnapshotContent"]
PV = BY_KIND["PersistentVolume"]
API_GROUP = "snapshot.storage.k8s.io"
CONTENT_FINALIZER = "snapshot.storage.kubernetes.io/volumesnapshotcontent-bound-protection"
BEING_DELETED = "snapshot.storage.kubernetes.io/volumesnapshot-being-deleted"
SIDECAR = "csi-snapshotter"         # the sidecar's field manager (its User-Agent prefix)
BEING_CREATED = "snapshot.storage.kubernetes.io/volumesnapshot-being-created"
SIDECAR = "csi-snapshotter " + storageclasses.CSI_DRIVER
_BINARY = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


def binary_quantity(size: int) -> str:
    """resource.NewQuantity(size, BinarySI).String()."""
    if size < 1024:
        return str(size)
    exp = 0
    while exp < 6 and size % 1024 == 0:
        size //= 1024
        exp += 1
    return "%d%s" % (size, _BINARY[exp])


def size_bytes(quantity: Any) -> int:
    value = quantity_value(quantity)
    return int(value) if value is not None else 0


def meta_of(obj: Obj) -> Obj:
    meta: Obj = obj["metadata"]
    return meta


def has_finalizer(obj: Obj, finalizer: str) -> bool:
    return finalizer in (meta_of(obj).get("finalizers") or [])


def deleting(obj: Obj) -> bool:
    return bool(meta_of(obj).get("deletionTimestamp"))


class Contents:
    def __init__(self, ctl: Any) -> None:
        """ctl: the snapshot controller (snapshots.Snapshots) whose writes it shares."""
        self.ctl = ctl
        self.store = ctl.store

    def sync(self, name: str) -> None:
        content = self.store.peek(VSC, "", name)
        if content is None:
            return
        if not deleting(content) and not has_finalizer(content, CONTENT_FINALIZER):
            content = self.ctl.set_finalizers(VSC, content, [CONTENT_FINALIZER], [])
        spec = content.get("spec") or {}
        ref = spec.get("volumeSnapshotRef") or {}
        if deleting(content):
            annotations = meta_of(content).get("annotations") or {}
            if annotations.get(BEING_DELETED) or not ref.get("uid") or \
                    self._snapshot_gone(content):
                self._sidecar_delete(content)
            return
        if ref.get("uid") and self._snapshot_gone(content) and \
                spec.get("deletionPolicy") == "Delete":
            fresh = copy.deepcopy(content)
            meta_of(fresh).setdefault("annotations", {})[BEING_DELETED] = "yes"
            self.store.update(VSC, fresh, internal=True)
            self.store.delete(VSC, None, name)
            return
        if self.ctl.groups is not None and self.ctl.groups.is_member_content(content):
            return
        source = spec.get("source") or {}
        if source.get("volumeHandle") and not content.get("status"):
            if name not in self.ctl.cutting and \
                    (meta_of(content).get("annotations") or {}).get(BEING_CREATED) != "yes":
                fresh = copy.deepcopy(content)
                meta_of(fresh).setdefault("annotations", {})[BEING_CREATED] = "yes"
                self.store.update(VSC, fresh, internal=True, manager=SIDECAR)
                self.ctl.cutting[name] = self.store.clock.now() + self.ctl.config.snapshot_seconds
        elif source.get("snapshotHandle") and not (content.get("status") or {}).get(
                "readyToUse"):
            self._list_snapshot(content)

    def _snapshot_gone(self, content: Obj) -> bool:
        ref = (content.get("spec") or {}).get("volumeSnapshotRef") or {}
        snapshot = self.store.peek(VS, ref.get("namespace", ""), ref.get("name", ""))
        return snapshot is None or meta_of(snapshot)["uid"] != ref.get("uid")

    def cut_volume(self, handle: str) -> Tuple[str, int, int]:
        """The hostpath driver's CreateSnapshot of a volume: (snapshot handle, size in bytes,
        creation time in ns); the size is the volume's capacity."""
        size = 0
        for pv in self.store.list(PV)[0]:
            if ((pv.get("spec") or {}).get("csi") or {}).get("volumeHandle") == handle:
                size = size_bytes(((pv.get("spec") or {}).get("capacity") or {}).get("storage"))
        snapshot_handle = str(uuid.uuid4())
        created = int(self.store.clock.now() * 1e9)
        self.ctl.driver[snapshot_handle] = (size, created, handle)
        return snapshot_handle, size, created

    def cut(self, name: str) -> None:
        """createSnapshotWrapper: the driver has cut the snapshot; updateSnapshotContentStatus
        and the being-created annotation removed."""
        content = self.store.peek(VSC, "", name)
        if content is None or content.get("status") or deleting(content):
            return
        handle, size, created = self.cut_volume(content["spec"]["source"]["volumeHandle"])
        status: Obj = {"snapshotHandle": handle, "creationTime": created, "readyToUse": True}
        if size > 0:
            status["restoreSize"] = size
        content = self.ctl.status(VSC, content, status)
        fresh = copy.deepcopy(content)
        (meta_of(fresh).get("annotations") or {}).pop(BEING_CREATED, None)
        self.store.update(VSC, fresh, internal=True, manager=SIDECAR)

    def _list_snapshot(self, content: Obj) -> None:
        """checkandUpdateContentStatusOperation for a pre-provisioned content: the driver's
        ListSnapshots by handle."""
        handle = content["spec"]["source"]["snapshotHandle"]
        known = self.ctl.driver.get(handle)
        if known is None:
            message = ("Failed to check and update snapshot content: failed to list snapshot "
                       "for content %s: \"rpc error: code = NotFound desc = snapshot id %s not "
                       "found\"" % (meta_of(content)["name"], handle))
            status = dict(content.get("status") or {}, readyToUse=False,
                          error={"time": self.store.clock.stamp(), "message": message})
            if (content.get("status") or {}).get("error", {}).get("message") != message:
                self.ctl.status(VSC, content, status)
                self.ctl.event(content, "Warning", "SnapshotContentCheckandUpdateFailed", message,
                           SIDECAR)
            return
        size, created, _ = known
        status = {"snapshotHandle": handle, "creationTime": created, "readyToUse": True}
        if size > 0:
            status["restoreSize"] = size
        self.ctl.status(VSC, content, status)

    def _sidecar_delete(self, content: Obj) -> None:
        """syncContent with shouldDelete: DeleteSnapshot for policy Delete, then the
        finalizer removed."""
        status = content.get("status") or {}
        if content["spec"].get("deletionPolicy") == "Delete" and status.get("snapshotHandle") \
                and not status.get("volumeGroupSnapshotHandle"):
            self.ctl.driver.pop(status["snapshotHandle"], None)
            cleared = {k: v for k, v in status.items()
                       if k not in ("snapshotHandle", "readyToUse", "creationTime",
                                    "restoreSize")}
            content = self.ctl.status(VSC, content, cleared)
        self.ctl.cutting.pop(meta_of(content)["name"], None)
        self.ctl.set_finalizers(VSC, content, [], [CONTENT_FINALIZER])


def dynamic_content_name(snapshot: Obj) -> str:
    """GetDynamicSnapshotContentNameForSnapshot."""
    return "snapcontent-" + meta_of(snapshot).get("uid", "")


def reference(snapshot: Obj) -> Obj:
    meta = meta_of(snapshot)
    return {"kind": "VolumeSnapshot", "namespace": meta["namespace"], "name": meta["name"],
            "uid": meta["uid"], "apiVersion": API_GROUP + "/v1",
            "resourceVersion": meta.get("resourceVersion", "")}


def refers_to(content: Obj, snapshot: Obj, uid: bool = False) -> bool:
    """IsVolumeSnapshotRefSet (`uid`: the uid must match too, not only be unset)."""
    ref = (content.get("spec") or {}).get("volumeSnapshotRef") or {}
    meta = meta_of(snapshot)
    if ref.get("name") != meta["name"] or ref.get("namespace") != meta["namespace"]:
        return False
    return ref.get("uid") == meta["uid"] if uid else ref.get("uid") in (None, "", meta["uid"])


def go_quote(text: str) -> str:
    """Go's %q of an error's text."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"')

"""Provisioning a claim from a VolumeSnapshot, as kubernetes-csi/external-provisioner does
(pkg/controller/controller.go): the claim's data source (`dataSource`, else `dataSourceRef`:
csiProvisioner.dataSource), the checks of prepareProvision (a name, the
snapshot.storage.k8s.io API group) and getSnapshotSource (the snapshot exists and is not
being deleted, is bound to a content that points back to it, of the class's driver, ready,
with a snapshot handle, and the requested size at least its restoreSize), each failure the
error `error getting handle for DataSource Type VolumeSnapshot by Name N: ...` that the
provisioner's ProvisioningFailed event carries (storage.py). The volumes of the CSI hostpath
driver carry spec.csi; a restored one is annotated with the snapshot it came from (a
sandbox annotation: the CSI CreateVolume's content source is not recorded in a PV)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Dict, Optional

from kubectl_sts.k8s.quantity import quantity_value
from . import storageclasses
from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
VS = BY_KIND["VolumeSnapshot"]
VSC = BY_KIND["VolumeSnapshotContent"]
API_GROUP = "snapshot.storage.k8s.io"
KIND = "VolumeSnapshot"
SOURCE_FINALIZER = "snapshot.storage.kubernetes.io/volumesnapshot-as-source-protection"
RESTORED_FROM = "sandbox.kubectl-sts.io/restored-from"


def snapshot_source(claim: Obj) -> Optional[Obj]:
    """csiProvisioner.dataSource when it names a VolumeSnapshot: {name, apiGroup,
    namespace}; None for no data source or another kind."""
    spec = claim.get("spec") or {}
    ref = spec.get("dataSource")
    namespace = claim["metadata"].get("namespace", "")
    if not isinstance(ref, dict):
        ref = spec.get("dataSourceRef")
        if isinstance(ref, dict) and ref.get("namespace"):
            namespace = ref["namespace"]
    if not isinstance(ref, dict) or ref.get("kind") != KIND:
        return None
    return {"name": ref.get("name") or "", "apiGroup": ref.get("apiGroup") or "",
            "namespace": namespace}


def _snapshot_problem(store: Store, claim: Obj, sc: Obj, source: Obj,
                      served: bool) -> Optional[str]:
    """getSnapshotSource's error, None when the snapshot can be restored."""
    name = source["name"]
    if not served:
        return ("error getting snapshot %s from api server: the server could not find the "
                "requested resource (get volumesnapshots.snapshot.storage.k8s.io %s)"
                % (name, name))
    snapshot = store.peek(VS, source["namespace"], name)
    if snapshot is None:
        return ('error getting snapshot %s from api server: volumesnapshots.snapshot.storage'
                '.k8s.io "%s" not found' % (name, name))
    meta = snapshot["metadata"]
    if meta.get("deletionTimestamp") and SOURCE_FINALIZER not in (meta.get("finalizers") or []):
        return "snapshot %s is being deleted" % name
    status = snapshot.get("status") or {}
    content_name = status.get("boundVolumeSnapshotContentName")
    if not content_name:
        return "snapshot %s not bound" % name
    content = store.peek(VSC, "", content_name)
    if content is None:
        return "error getting snapshotcontent %s for snapshot %s" % (content_name, name)
    ref = (content.get("spec") or {}).get("volumeSnapshotRef") or {}
    if ref.get("uid") != meta["uid"] or ref.get("namespace") != meta["namespace"] or \
            ref.get("name") != name:
        return "snapshotcontent %s for snapshot %s is bound to a different snapshot" % (
            content_name, name)
    if (content.get("spec") or {}).get("driver") != sc.get("provisioner"):
        return ("snapshotcontent %s for snapshot %s is not handled by CSI driver of "
                "StorageClass %s" % (content_name, name, sc.get("metadata", {}).get("name", "")))
    if status.get("readyToUse") is not True:
        return "snapshot %s is not Ready" % name
    if not (content.get("status") or {}).get("snapshotHandle"):
        return "snapshot handle %s is not available" % name
    if status.get("restoreSize") is not None:
        requested = quantity_value((((claim.get("spec") or {}).get("resources") or {})
                                    .get("requests") or {}).get("storage"))
        if requested is None:
            return "error getting capacity for PVC %s when creating snapshot %s" % (
                claim["metadata"]["name"], name)
        restore_size = quantity_value(status["restoreSize"]) or 0
        if requested < restore_size:
            return ("requested volume size %d is less than the size %d for the source "
                    "snapshot %s" % (int(requested), int(restore_size), name))
    return None


def problem(store: Store, claim: Obj, sc: Obj, served: bool = True) -> Optional[str]:
    """prepareProvision's error for a claim restoring from a snapshot (None: it can be
    provisioned, or it restores nothing)."""
    source = snapshot_source(claim)
    if source is None:
        return None
    if not source["name"]:
        return "the PVC source not found for PVC %s" % claim["metadata"]["name"]
    if source["apiGroup"] != API_GROUP:
        return ("the PVC source does not belong to the right APIGroup. Expected %s, Got %s"
                % (API_GROUP, source["apiGroup"]))
    why = _snapshot_problem(store, claim, sc, source, served)
    if why is None:
        return None
    return "error getting handle for DataSource Type %s by Name %s: %s" % (KIND, source["name"],
                                                                          why)


def restored_from(store: Store, claim: Obj, source: Obj) -> str:
    """The annotation's value: `<namespace>/<snapshot> <snapshot handle>`."""
    snapshot = store.peek(VS, source["namespace"], source["name"]) or {}
    content = store.peek(VSC, "", (snapshot.get("status") or {}).get(
        "boundVolumeSnapshotContentName") or "") or {}
    return "%s/%s %s" % (source["namespace"], source["name"],
                         (content.get("status") or {}).get("snapshotHandle", ""))


def volume_source(provisioner: str, pv_name: str, ns: str, name: str) -> Obj:
    """The PV's volume source: spec.csi for the CSI hostpath driver (the volume handle a
    UUID, the provisioner identity in volumeAttributes, as external-provisioner writes),
    hostPath for the local-path provisioner."""
    if provisioner == storageclasses.CSI_DRIVER:
        return {"csi": {"driver": provisioner, "volumeHandle": str(uuid.uuid4()),
                        "fsType": "ext4",
                        "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity":
                                             "1700000000000-1234-" + provisioner}}}
    return {"hostPath": {"path": "/var/local-path-provisioner/%s_%s_%s" % (pv_name, ns, name),
                         "type": "DirectoryOrCreate"}}

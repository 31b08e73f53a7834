"""`restore`: put an ordinal's claims back from a snapshot set (`kubectl sts snapshot`).

Pure functions over plain API objects: the snapshots of a set by claim, the plan (which
claims are replaced from which snapshot, which pods restart, the reclaim policy of each PV
replaced) and what refuses it, the claim created in place of the old one (the template's, as
the StatefulSet controller builds it, with a `dataSource` naming the snapshot), and the next
action of one ordinal from what the cluster shows now: the run is a loop over it, so a run
interrupted anywhere continues where the cluster stands.

Why the set is deleted around each ordinal: the StatefulSet controller creates a missing
claim from the template as soon as it creates the pod again (kubernetes
pkg/controller/statefulset/stateful_pod_control.go createMissingPersistentVolumeClaims), so a
claim cannot be replaced under a running set. The set is deleted with propagationPolicy
Orphan (its pods keep running), the ordinal's pod and claims are deleted and the claims
created from the snapshots, then the set is created again and adopts its pods (resize's
technique, core/resize.py recreated and adoption_problems)."""

from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.conditions import pod_ready
from ..k8s.quantity import canonical_quantity, quantity_value
from ..k8s.storage import claim_request, class_of
from .snapshots import SNAPSHOT_GROUP
from .labels import (SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_REVISION_ANNOTATION, SNAPSHOT_SET_LABEL,
                     SNAPSHOT_STS_LABEL, SNAPSHOT_TAKEN_ANNOTATION, SNAPSHOT_TEMPLATE_LABEL)

Obj = Dict[str, Any]
RETAIN = "Retain"

# the actions of one ordinal (next_action), in the order a run goes through them
RETAIN_PV, DELETE_SET, WAIT_SET_GONE, DELETE_POD, WAIT_POD_GONE = (
    "retain-pv", "delete-set", "wait-set-gone", "delete-pod", "wait-pod-gone")
DELETE_CLAIM, WAIT_CLAIM_GONE, CREATE_CLAIM, CREATE_SET, WAIT_READY, DONE = (
    "delete-claim", "wait-claim-gone", "create-claim", "create-set", "wait-ready", "done")
WAITS = (WAIT_SET_GONE, WAIT_POD_GONE, WAIT_CLAIM_GONE, WAIT_READY)


class RestoreRefused(Exception):
    """Nothing can be written: the message says why (exit 11 at the edge)."""


def _meta(obj: Optional[Obj]) -> Obj:
    return (obj or {}).get("metadata") or {}


def snapshots_by_claim(snapshots: Iterable[Obj], set_name: str,
                       sts_name: str) -> Dict[Tuple[str, int], Obj]:
    """The VolumeSnapshots of snapshot set `set_name` by (claim template, ordinal), from their
    labels (core/labels.py). Refused: no snapshot of that set, or a set of another
    StatefulSet."""
    found: Dict[Tuple[str, int], Obj] = {}
    others = set()
    for snap in snapshots:
        labels = _meta(snap).get("labels") or {}
        if labels.get(SNAPSHOT_SET_LABEL) != set_name:
            continue
        if labels.get(SNAPSHOT_STS_LABEL) != sts_name:
            others.add(labels.get(SNAPSHOT_STS_LABEL) or "?")
            continue
        try:
            ordinal = int(labels.get(SNAPSHOT_ORDINAL_LABEL, ""))
        except ValueError:
            continue
        found[(labels.get(SNAPSHOT_TEMPLATE_LABEL) or "", ordinal)] = snap
    if not found and others:
        raise RestoreRefused("snapshot set %s is of statefulset %s, not %s"
                             % (set_name, ", ".join(sorted(others)), sts_name))
    if not found:
        raise RestoreRefused("snapshot set %s not found (no VolumeSnapshot labelled %s=%s)"
                             % (set_name, SNAPSHOT_SET_LABEL, set_name))
    return found


def snapshot_problem(snap: Obj) -> Optional[str]:
    """Why a VolumeSnapshot cannot be restored from (status.error, not readyToUse), or None."""
    status = snap.get("status") or {}
    name = _meta(snap).get("name")
    error = status.get("error") or {}
    if error.get("message"):
        return "volumesnapshot %s has an error: %s" % (name, error["message"])
    if status.get("readyToUse") is not True:
        return "volumesnapshot %s is not readyToUse" % name
    return None


def _largest(*sizes: Optional[str]) -> Optional[str]:
    known = [s for s in sizes if s and quantity_value(s) is not None]
    if not known:
        return None
    return canonical_quantity(max(known, key=lambda s: quantity_value(s) or 0))


def plan(sts: Obj, set_name: str, snapshots: List[Obj], ordinals: Optional[List[int]],
         claims: Dict[str, Obj], pvs: Dict[str, Obj], classes: List[Obj],
         drivers: Dict[str, Optional[str]]) -> Obj:
    """The plan: {"set", "statefulSet", "ordinals": [{"ordinal", "pod", "claims": [row]}]};
    a row: the claim, its template, the snapshot (name, readyToUse, restoreSize, time,
    revision), the size the new claim asks for, the PV replaced and its reclaim policy.
    `ordinals`: None for every ordinal of the set; `claims` and `pvs` by name; `drivers`: the
    CSI driver of each snapshot (its VolumeSnapshotContent's spec.driver; None: unknown).
    Refused (RestoreRefused, the first problem): an ordinal out of range or without
    snapshots, a snapshot not ready, a claim's provisioner that is not the snapshot's
    driver."""
    name = _meta(sts).get("name") or ""
    templates = facts.claim_templates(sts)
    if not templates:
        raise RestoreRefused("statefulset %s has no volumeClaimTemplates" % name)
    by_claim = snapshots_by_claim(snapshots, set_name, name)
    in_range = facts.ordinals(sts)
    wanted = sorted({o for (_, o) in by_claim} & set(in_range)) if ordinals is None \
        else ordinals
    if not wanted:
        raise RestoreRefused("snapshot set %s has no snapshot of an ordinal of %s (%s)"
                             % (set_name, name, _range(in_range)))
    rows = []
    for ordinal in wanted:
        if ordinal not in in_range:
            raise RestoreRefused("ordinal %d is out of range: %s has ordinals %s"
                                 % (ordinal, name, _range(in_range)))
        rows.append({"ordinal": ordinal, "pod": facts.pod_name(name, ordinal),
                     "claims": [_row(sts, set_name, t, ordinal, by_claim, claims, pvs,
                                     classes, drivers) for t in templates]})
    return {"set": set_name, "statefulSet": name, "ordinals": rows}


def _range(ordinals: range) -> str:
    return "none" if not len(ordinals) else "%d..%d" % (ordinals[0], ordinals[-1])


def _row(sts: Obj, set_name: str, template: str, ordinal: int,
         by_claim: Dict[Tuple[str, int], Obj], claims: Dict[str, Obj], pvs: Dict[str, Obj],
         classes: List[Obj], drivers: Dict[str, Optional[str]]) -> Obj:
    claim_name = facts.claim_name(template, _meta(sts).get("name") or "", ordinal)
    snap = by_claim.get((template, ordinal))
    if snap is None:
        raise RestoreRefused("snapshot set %s has no snapshot of claim %s"
                             % (set_name, claim_name))
    problem = snapshot_problem(snap)
    if problem:
        raise RestoreRefused(problem)
    claim = claims.get(claim_name)
    tmpl = _template(sts, template)
    cls = (class_of(claim) if claim else "") or (tmpl.get("spec") or {}).get(
        "storageClassName") or ""
    snap_name = _meta(snap)["name"]
    driver = drivers.get(snap_name)
    # the provisioner restores a snapshot only when its content's driver is the new claim's
    # StorageClass provisioner, and into a request no smaller than its restoreSize
    # (kubernetes-csi/external-provisioner pkg/controller/controller.go getSnapshotSource:
    # snapContentObj.Spec.Driver != sc.Provisioner, volSizeBytes < RestoreSize)
    provisioner = next((c.get("provisioner") for c in classes
                        if _meta(c).get("name") == cls), None)
    if driver and provisioner and driver != provisioner:
        raise RestoreRefused("claim %s is provisioned by %s (storageclass %s), but snapshot %s "
                             "was taken by %s" % (claim_name, provisioner, cls, snap_name,
                                                  driver))
    status = snap.get("status") or {}
    volume = ((claim or {}).get("spec") or {}).get("volumeName")
    pv = pvs.get(volume or "")
    annotations = _meta(snap).get("annotations") or {}
    return {"claim": claim_name, "template": template, "exists": claim is not None,
            "uid": _meta(claim).get("uid"), "snapshot": snap_name,
            "readyToUse": status.get("readyToUse") is True,
            "restoreSize": status.get("restoreSize"),
            "takenAt": annotations.get(SNAPSHOT_TAKEN_ANNOTATION) or status.get("creationTime"),
            "revision": annotations.get(SNAPSHOT_REVISION_ANNOTATION),
            "size": _largest((tmpl.get("spec") or {}).get("resources", {}).get(
                "requests", {}).get("storage"), claim_request(claim) if claim else None,
                status.get("restoreSize")),
            "storageClass": cls or None,
            "pv": volume, "reclaimPolicy": ((pv or {}).get("spec") or {}).get(
                "persistentVolumeReclaimPolicy") if pv else None}


def _template(sts: Obj, template: str) -> Obj:
    for tmpl in (sts.get("spec") or {}).get("volumeClaimTemplates") or []:
        if _meta(tmpl).get("name") == template:
            return tmpl
    return {}


def plan_lines(the_plan: Obj, namespace: str, backup: str) -> List[str]:
    """The plan as the user reads it before confirming."""
    name = the_plan["statefulSet"]
    lines = ["restore statefulset %s from snapshot set %s:" % (name, the_plan["set"])]
    retained = []
    for row in the_plan["ordinals"]:
        lines.append("  ordinal %d: pod %s restarts" % (row["ordinal"], row["pod"]))
        for c in row["claims"]:
            lines.append("    persistentvolumeclaim/%s replaced from volumesnapshot/%s "
                         "(readyToUse, restoreSize %s, taken %s, revision %s; the new claim "
                         "asks for %s)" % (c["claim"], c["snapshot"], c["restoreSize"] or "?",
                                           c["takenAt"] or "?", c["revision"] or "?",
                                           c["size"] or "?"))
            if c["pv"]:
                keep = c["reclaimPolicy"] == RETAIN
                lines.append("      its volume persistentvolume/%s (reclaimPolicy %s)%s" % (
                    c["pv"], c["reclaimPolicy"] or "?",
                    " is kept" if keep else ": set to Retain first, so it is kept"))
                retained.append(c["pv"])
            elif not c["exists"]:
                lines.append("      (the claim does not exist: it is created)")
    lines.append("data written to these volumes since the snapshots were taken is lost")
    lines.append("statefulset %s is deleted (--cascade=orphan: the other pods keep running) and "
                 "created again around each ordinal; backup: %s" % (name, backup))
    if retained:
        lines.append("the old volumes stay until you delete them: kubectl delete pv %s"
                     % " ".join(retained))
    return lines


def restored_claim(sts: Obj, template: str, ordinal: int, row: Obj) -> Obj:
    """The claim created in place of the old one: the template as the StatefulSet controller
    builds a claim (stateful_set_utils.go getPersistentVolumeClaims: the template's labels with
    the selector's matchLabels over them, its annotations and spec), with the storage class
    the old claim had when the template names none, a request no smaller than the snapshot's
    restoreSize (nor the old claim's), and `dataSource` naming the VolumeSnapshot."""
    import copy
    tmpl = _template(sts, template)
    meta = _meta(tmpl)
    labels = dict(meta.get("labels") or {})
    labels.update(((sts.get("spec") or {}).get("selector") or {}).get("matchLabels") or {})
    body_meta: Obj = {"name": row["claim"], "namespace": _meta(sts).get("namespace"),
                      "labels": labels}
    if meta.get("annotations"):
        body_meta["annotations"] = dict(meta["annotations"])
    spec = copy.deepcopy(tmpl.get("spec") or {})
    if not spec.get("storageClassName") and row.get("storageClass"):
        spec["storageClassName"] = row["storageClass"]
    if row.get("size"):
        spec.setdefault("resources", {}).setdefault("requests", {})["storage"] = row["size"]
    spec.pop("dataSourceRef", None)
    spec["dataSource"] = {"apiGroup": SNAPSHOT_GROUP, "kind": "VolumeSnapshot",
                          "name": row["snapshot"]}
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": body_meta,
            "spec": spec}


def is_restored(claim: Optional[Obj], old_uid: Optional[str], snapshot: str) -> bool:
    """Whether `claim` is the one created from `snapshot` (not the claim it replaces)."""
    if claim is None or _meta(claim).get("deletionTimestamp"):
        return False
    source = (claim.get("spec") or {}).get("dataSource") or {}
    return _meta(claim).get("uid") != old_uid and source.get("kind") == "VolumeSnapshot" \
        and source.get("name") == snapshot and source.get("apiGroup") == SNAPSHOT_GROUP


def next_action(sts: Optional[Obj], pod: Optional[Obj], old_pod_uid: Optional[str],
                claims: List[Obj]) -> Tuple[str, Optional[str]]:
    """What one ordinal needs next, from the cluster as it is: (action, the object it is
    about). `sts`: the set (None: missing); `pod`: the ordinal's pod; `old_pod_uid`: its uid
    before the restore; `claims`: one entry per claim, {"claim": its name, "current": the
    claim now (None: missing), "oldUid": its uid before the restore, "snapshot": the name,
    "pv": the old claim's PV now (None: none or gone)}.

    Until every claim is restored: the PVs of the old claims Retain, the set gone, the pod
    gone, the old claims gone, the new ones created. Then the set created again and the pod
    (a new one) Ready."""
    pending = [c for c in claims if not is_restored(c["current"], c["oldUid"], c["snapshot"])]
    set_deleting = bool(_meta(sts).get("deletionTimestamp"))
    if not pending:
        if sts is None:
            return CREATE_SET, None
        if set_deleting:
            return WAIT_SET_GONE, None
        if pod is not None and _meta(pod).get("uid") != old_pod_uid and pod_ready(pod) \
                and not _meta(pod).get("deletionTimestamp"):
            return DONE, None
        return WAIT_READY, None
    for c in pending:
        current, pv = c["current"], c.get("pv")
        if current is not None and _meta(current).get("uid") == c["oldUid"] and pv and \
                (pv.get("spec") or {}).get("persistentVolumeReclaimPolicy") != RETAIN:
            return RETAIN_PV, _meta(pv).get("name")
    if sts is not None:
        return (WAIT_SET_GONE if set_deleting else DELETE_SET), None
    if pod is not None:
        if _meta(pod).get("deletionTimestamp"):
            return WAIT_POD_GONE, _meta(pod).get("name")
        return DELETE_POD, _meta(pod).get("name")
    for c in pending:
        if c["current"] is not None and not _meta(c["current"]).get("deletionTimestamp"):
            return DELETE_CLAIM, c["claim"]
    for c in pending:
        if c["current"] is not None:
            return WAIT_CLAIM_GONE, c["claim"]
    return CREATE_CLAIM, pending[0]["claim"]

"""`snapshot`: a snapshot set of a StatefulSet's volumes (one VolumeSnapshot per claim of each
ordinal, or one VolumeGroupSnapshot), pure: its name, the claims it takes, the
VolumeSnapshotClass of each, the refusals before any write, the objects created, the progress
of a wait, and the sets found (`--list`, `--delete`). The label and annotation names the
`restore` command relies on are in labels.py.

Upstream, kubernetes-csi/external-snapshotter: the VolumeSnapshot v1 API (client/apis/
volumesnapshot/v1/types.go: spec.source.persistentVolumeClaimName, spec.volumeSnapshotClassName,
status.readyToUse, restoreSize, creationTime, error.message) and the snapshot controller's
choice of a class when none is named (pkg/common-controller/snapshot_controller.go,
SetDefaultSnapshotClass: the driver of the source PV, pvDriverFromSnapshot, and the classes
annotated IsVolumeSnapshotClassDefaultAnnotation with that driver; none: "cannot find default
snapshot class", more than one: "%d default snapshot classes were found"). The plugin makes that
choice itself before writing, so a claim with no class is refused up front instead of leaving a
snapshot that never becomes ready. A claim whose bound PV is no CSI volume (no spec.csi) is
refused as such: the controller refuses it whatever the classes (pvDriverFromSnapshot,
"snapshotting non-CSI volumes is not supported"; pvDriverFromGroupSnapshot for a group).

What a snapshot's data belongs to is the revision of its ordinal's pod when it was taken (the
pod's controller-revision-hash label), not the set's update revision: after `rollout` staged a
new template, the pods still run (and write with) the current one. Each snapshot records its
own (labels.py SNAPSHOT_REVISION_ANNOTATION)."""

import datetime
from fractions import Fraction
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.quantity import quantity_value
from ..k8s.storage import class_of
from .labels import (SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_ORDINALS_ANNOTATION,
                     SNAPSHOT_REVISION_ANNOTATION, SNAPSHOT_SET_LABEL, SNAPSHOT_STS_LABEL,
                     SNAPSHOT_TAKEN_ANNOTATION, SNAPSHOT_TEMPLATE_LABEL)
from .pvc import claims_of

Obj = Dict[str, Any]

SNAPSHOT_GROUP, SNAPSHOT_VERSION = "snapshot.storage.k8s.io", "v1"
GROUP_SNAPSHOT_GROUP = "groupsnapshot.storage.k8s.io"
# external-snapshotter pkg/utils/util.go: IsDefaultSnapshotClassAnnotation /
# IsDefaultGroupSnapshotClassAnnotation
DEFAULT_CLASS_ANNOTATION = "snapshot.storage.kubernetes.io/is-default-class"
DEFAULT_GROUP_CLASS_ANNOTATION = "groupsnapshot.storage.kubernetes.io/is-default-class"
INSTALL = ("install the external-snapshotter CRDs and controller "
           "(https://github.com/kubernetes-csi/external-snapshotter#usage)")
LABEL_VALUE_MAX = 63        # a label value (the set's name is one)
_STAMP = "%Y%m%d-%H%M%S"


# -- names ------------------------------------------------------------------------------------

def set_name(sts_name: str, now: datetime.datetime) -> str:
    """`<sts>-<UTC YYYYMMDD-HHMMSS>`; the set's name is a label value (63 characters at most):
    a long StatefulSet name is cut so that the stamp stays whole."""
    stamp = now.astimezone(datetime.timezone.utc).strftime(_STAMP)
    head = sts_name[:LABEL_VALUE_MAX - len(stamp) - 1].rstrip("-.")
    return "%s-%s" % (head, stamp)


def snapshot_name(set_: str, template: str, ordinal: int) -> str:
    """The VolumeSnapshot of claim <template>-<sts>-<K> in set <set>: `<set>-<template>-<K>`."""
    return "%s-%s-%d" % (set_, template, ordinal)


def rfc3339(now: datetime.datetime) -> str:
    return now.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- what the server serves -------------------------------------------------------------------

def not_served(resources: Optional[Obj]) -> Optional[str]:
    """The refusal when the server does not serve VolumeSnapshots: `resources` is the
    APIResourceList of /apis/snapshot.storage.k8s.io/v1 (None: 404)."""
    names = {r.get("name") for r in (resources or {}).get("resources") or []}
    if {"volumesnapshots", "volumesnapshotclasses"} <= names:
        return None
    return "the server does not serve %s/%s: %s" % (SNAPSHOT_GROUP, SNAPSHOT_VERSION, INSTALL)


def group_version(group: Optional[Obj]) -> Optional[str]:
    """The version of groupsnapshot.storage.k8s.io to use, from its APIGroup discovery document
    (/apis/groupsnapshot.storage.k8s.io; None: 404): the preferred one."""
    if not group:
        return None
    preferred = (group.get("preferredVersion") or {}).get("version")
    if preferred:
        return preferred
    versions = group.get("versions") or []
    return versions[0].get("version") if versions else None


# -- which claims, which class ----------------------------------------------------------------

def claim_driver(claim: Obj, pvs: Optional[Dict[str, Obj]],
                 storage_classes: Optional[List[Obj]]) -> Optional[str]:
    """The CSI driver of a claim: its bound PV's spec.csi.driver (pvDriverFromSnapshot), else
    its StorageClass's provisioner (what the controller read before v6: a volume that is no
    CSI volume is then refused by the driver it names having no class); None when neither
    says."""
    pv = (pvs or {}).get((claim.get("spec") or {}).get("volumeName") or "")
    driver = (((pv or {}).get("spec") or {}).get("csi") or {}).get("driver")
    if driver:
        return str(driver)
    wanted = class_of(claim)
    for sc in storage_classes or []:
        if sc["metadata"]["name"] == wanted:
            return sc.get("provisioner")
    return None


def not_csi(claim: Obj, pvs: Optional[Dict[str, Obj]],
            storage_classes: Optional[List[Obj]]) -> Optional[str]:
    """The refusal for a claim bound to a PV that is no CSI volume (no spec.csi: local-path,
    hostPath, an in-tree plugin), None otherwise or when the PV is unknown (not read). No
    VolumeSnapshotClass can help: the snapshot controller refuses such a source
    (external-snapshotter pkg/common-controller/snapshot_controller.go, pvDriverFromSnapshot:
    "snapshotting non-CSI volumes is not supported")."""
    volume = (claim.get("spec") or {}).get("volumeName") or ""
    pv = (pvs or {}).get(volume)
    if pv is None or ((pv.get("spec") or {}).get("csi") or {}).get("driver"):
        return None
    wanted = class_of(claim) or ((pv.get("spec") or {}).get("storageClassName") or "")
    provisioner = next((sc.get("provisioner") for sc in storage_classes or []
                        if sc["metadata"]["name"] == wanted), None) or \
        ((pv.get("metadata") or {}).get("annotations") or {}).get(
            "pv.kubernetes.io/provisioned-by")
    return ("claim %s's volume %s is not a CSI volume (%s): volume snapshots need a CSI "
            "driver with snapshot support" % (
                claim["metadata"]["name"], volume, ", ".join(
                    ["provisioner %s" % provisioner] * bool(provisioner) +
                    ["storageclass %s" % wanted] * bool(wanted)) or "no storageclass"))


def pick_class(driver: Optional[str], classes: List[Obj], given: Optional[str],
               claim: str, annotation: str = DEFAULT_CLASS_ANNOTATION,
               kind: str = "VolumeSnapshotClass") -> Tuple[Optional[str], Optional[str]]:
    """(class name, None) or (None, the refusal) for one claim: the class given, which must
    exist and be for the claim's driver; else the one default class of the driver
    (SetDefaultSnapshotClass)."""
    if driver is None:
        return None, ("claim %s has no CSI driver (neither its PV nor its StorageClass names "
                      "one): it cannot be snapshotted" % claim)
    if given:
        found = [c for c in classes if c["metadata"]["name"] == given]
        if not found:
            return None, "%s %s not found" % (kind, given)
        if found[0].get("driver") != driver:
            return None, ("%s %s is for driver %s, claim %s's driver is %s" % (
                kind, given, found[0].get("driver"), claim, driver))
        return given, None
    defaults = sorted(c["metadata"]["name"] for c in classes
                      if c.get("driver") == driver and
                      ((c["metadata"].get("annotations") or {}).get(annotation) == "true"))
    if len(defaults) == 1:
        return defaults[0], None
    if not defaults:
        others = sorted(c["metadata"]["name"] for c in classes if c.get("driver") == driver)
        hint = "pass --class %s or annotate one %s: \"true\"" % (others[0], annotation) \
            if others else "create a %s for driver %s annotated %s: \"true\", or pass " \
            "--class" % (kind, driver, annotation)
        return None, "no default %s for claim %s's driver %s: %s" % (kind, claim, driver, hint)
    return None, ("%d default %ses for claim %s's driver %s (%s): pass --class" % (
        len(defaults), kind, claim, driver, ", ".join(defaults)))


def chosen_ordinals(sts: Obj, asked: Optional[List[int]]) -> List[int]:
    return list(asked) if asked else list(facts.ordinals(sts))


def plan(sts: Obj, claims: List[Obj], pvs: Optional[Dict[str, Obj]],
         storage_classes: Optional[List[Obj]], classes: List[Obj], ordinals: Optional[List[int]],
         given: Optional[str], now: datetime.datetime, group: bool = False,
         group_classes: Optional[List[Obj]] = None, pods: Optional[List[Obj]] = None) -> Obj:
    """The snapshot set to take: its name and labels, one entry per claim (name, claim,
    template, ordinal, driver, class, revision: the controller-revision-hash of the
    ordinal's pod in `pods`, None without one), `revision` (their revisions as one line,
    revision_text), and `refused`: the first reason not to write (a claim missing or not
    bound, not a CSI volume, no class for its driver), None when it may go ahead."""
    name = sts["metadata"]["name"]
    set_ = set_name(name, now)
    wanted = chosen_ordinals(sts, ordinals)
    owned = claims_of(sts, claims)
    running = facts.pods_by_ordinal(name, pods or [])
    out: Obj = {"set": set_, "statefulSet": name, "namespace": sts["metadata"].get("namespace"),
                "takenAt": rfc3339(now), "revision": "",
                "ordinals": wanted, "group": group, "snapshots": [], "refused": None}
    templates = facts.claim_templates(sts)
    refusals: List[str] = []
    if not templates:
        refusals.append("statefulset %s has no volumeClaimTemplates: nothing to snapshot" % name)
    drivers = set()
    for ordinal in wanted:
        for template in templates:
            claim_name = facts.claim_name(template, name, ordinal)
            claim = owned.get((template, ordinal))
            entry: Obj = {"name": snapshot_name(set_, template, ordinal), "claim": claim_name,
                          "template": template, "ordinal": ordinal, "driver": None,
                          "class": None, "csi": None,
                          "revision": facts.pod_revision(running.get(ordinal)) or None}
            out["snapshots"].append(entry)
            if claim is None:
                refusals.append("claim %s does not exist" % claim_name)
                continue
            phase = (claim.get("status") or {}).get("phase") or "Pending"
            if phase != "Bound":
                refusals.append("claim %s is not bound (%s)" % (claim_name, phase))
                continue
            why = not_csi(claim, pvs, storage_classes)
            if why:
                entry["csi"] = False
                refusals.append(why)
                continue
            entry["driver"] = claim_driver(claim, pvs, storage_classes)
            drivers.add(entry["driver"])
            if group:
                continue
            entry["class"], why = pick_class(entry["driver"], classes, given, claim_name)
            if why:
                refusals.append(why)
    if group and not refusals:
        out["groupClass"], why = _group_class(drivers, group_classes or [], given, out)
        if why:
            refusals.append(why)
    out["revision"] = revision_text({e["ordinal"]: e["revision"] for e in out["snapshots"]})
    out["refused"] = refusals[0] if refusals else None
    return out


def revision_text(by_ordinal: Dict[int, Optional[str]]) -> str:
    """The revisions of a set's ordinals as one line: `web-abc` when they are one, else each
    with its ordinals, `web-abc (0,1), web-def (2)`; `<unknown>` for an ordinal without a
    recorded revision (no pod when it was taken), `<none>` for no ordinal."""
    found: Dict[str, List[int]] = {}
    for ordinal in sorted(by_ordinal):
        found.setdefault(by_ordinal[ordinal] or "<unknown>", []).append(ordinal)
    if len(found) <= 1:
        return next(iter(found), "<none>")
    return ", ".join("%s (%s)" % (revision, ",".join(str(o) for o in ordinals))
                     for revision, ordinals in found.items())


def _group_class(drivers: Iterable[Optional[str]], classes: List[Obj], given: Optional[str],
                 out: Obj) -> Tuple[Optional[str], Optional[str]]:
    found = sorted(d or "" for d in set(drivers))
    if len(found) != 1 or not found[0]:
        return None, ("a group snapshot needs every claim on one CSI driver; the claims use %s"
                      % (", ".join(found) or "none"))
    return pick_class(found[0], classes, given, out["snapshots"][0]["claim"],
                      DEFAULT_GROUP_CLASS_ANNOTATION, "VolumeGroupSnapshotClass")


# -- the objects ------------------------------------------------------------------------------

def _meta(plan_: Obj, name: str, entry: Optional[Obj]) -> Obj:
    """The labels and annotations of a snapshot of the set (`entry`: its plan entry; None: the
    VolumeGroupSnapshot, which has no ordinal, template or revision of its own)."""
    labels = {SNAPSHOT_SET_LABEL: plan_["set"], SNAPSHOT_STS_LABEL: plan_["statefulSet"]}
    annotations = {SNAPSHOT_ORDINALS_ANNOTATION: ",".join(str(o) for o in plan_["ordinals"]),
                   SNAPSHOT_TAKEN_ANNOTATION: plan_["takenAt"]}
    if entry is not None:
        labels[SNAPSHOT_ORDINAL_LABEL] = str(entry["ordinal"])
        labels[SNAPSHOT_TEMPLATE_LABEL] = entry["template"]
        if entry.get("revision"):
            annotations[SNAPSHOT_REVISION_ANNOTATION] = entry["revision"]
    meta: Obj = {"name": name, "labels": labels, "annotations": annotations}
    if plan_.get("namespace"):
        meta["namespace"] = plan_["namespace"]
    return meta


def snapshot_objects(plan_: Obj) -> List[Obj]:
    """The VolumeSnapshots of a plan (not --group), in the plan's order."""
    return [{"apiVersion": "%s/%s" % (SNAPSHOT_GROUP, SNAPSHOT_VERSION),
             "kind": "VolumeSnapshot",
             "metadata": _meta(plan_, e["name"], e),
             "spec": {"volumeSnapshotClassName": e["class"],
                      "source": {"persistentVolumeClaimName": e["claim"]}}}
            for e in plan_["snapshots"]]


def group_object(plan_: Obj, version: str) -> Obj:
    """The VolumeGroupSnapshot of a --group plan: it selects the claims labelled with the set
    (claim_labels), named after the set."""
    return {"apiVersion": "%s/%s" % (GROUP_SNAPSHOT_GROUP, version),
            "kind": "VolumeGroupSnapshot",
            "metadata": _meta(plan_, plan_["set"], None),
            "spec": {"volumeGroupSnapshotClassName": plan_.get("groupClass"),
                     "source": {"selector": {"matchLabels": {
                         SNAPSHOT_SET_LABEL: plan_["set"]}}}}}


def claim_labels(plan_: Obj) -> Obj:
    """The merge patch that labels a claim with the set, for a group snapshot's selector: only
    metadata.labels changes, never the claim's spec."""
    return {"metadata": {"labels": {SNAPSHOT_SET_LABEL: plan_["set"]}}}


def group_members(plan_: Obj, group_uid: Optional[str], snapshots: List[Obj]) -> Dict[str, Obj]:
    """The member VolumeSnapshots the snapshot controller made for the set's group snapshot
    (external-snapshotter pkg/common-controller/groupsnapshot_controller_helper.go,
    createSnapshotsForGroupSnapshotContent: owned by the VolumeGroupSnapshot, their
    spec.source.persistentVolumeClaimName the claim), by claim name; only the plan's claims."""
    claims = {e["claim"] for e in plan_["snapshots"]}
    out = {}
    for s in snapshots:
        owners = (s.get("metadata") or {}).get("ownerReferences") or []
        if not any(o.get("kind") == "VolumeGroupSnapshot" and o.get("name") == plan_["set"] and
                   (group_uid is None or o.get("uid") == group_uid) for o in owners):
            continue
        claim = ((s.get("spec") or {}).get("source") or {}).get("persistentVolumeClaimName")
        if claim in claims:
            out[str(claim)] = s
    return out


def group_owner(snapshot: Obj) -> Optional[Obj]:
    """The VolumeGroupSnapshot a member snapshot belongs to, from the owner reference the
    snapshot controller gives it (external-snapshotter pkg/utils/util.go,
    BuildVolumeGroupSnapshotOwnerReference): {apiVersion, name, uid}; None for a snapshot of
    its own."""
    for ref in (snapshot.get("metadata") or {}).get("ownerReferences") or []:
        if ref.get("kind") == "VolumeGroupSnapshot" and \
                str(ref.get("apiVersion", "")).startswith(GROUP_SNAPSHOT_GROUP + "/"):
            return {k: ref.get(k) for k in ("apiVersion", "name", "uid")}
    return None


def member_patch(plan_: Obj, claim: str) -> Obj:
    """The merge patch that labels a group's member snapshot as one of the set (the labels and
    annotations `restore` reads), for claim `claim`."""
    entry = next(e for e in plan_["snapshots"] if e["claim"] == claim)
    meta = _meta(plan_, "", entry)
    return {"metadata": {"labels": meta["labels"], "annotations": meta["annotations"]}}


# -- waiting ----------------------------------------------------------------------------------

def snapshot_state(snapshot: Optional[Obj]) -> Tuple[str, Optional[str]]:
    """("ready" | "pending" | "failed" | "missing", the controller's error message)."""
    if snapshot is None:
        return "missing", None
    status = snapshot.get("status") or {}
    if status.get("readyToUse") is True:
        return "ready", None
    message = (status.get("error") or {}).get("message")
    if message:
        return "failed", str(message)
    return "pending", None


def progress(names: List[str], live: Dict[str, Obj]) -> Obj:
    """How far a set is: {"done", "failed" (one line naming the snapshot and the controller's
    message, or None), "line" (progress), "ready" (names)}."""
    ready: List[str] = []
    pending: List[str] = []
    for name in names:
        state, message = snapshot_state(live.get(name))
        if state == "failed":
            return {"done": False, "failed": "volumesnapshot %s failed: %s" % (name, message),
                    "line": None, "ready": ready}
        (ready if state == "ready" else pending).append(name)
    return {"done": not pending, "failed": None, "ready": ready,
            "line": "waiting: %d/%d snapshots ready to use (%s)" % (
                len(ready), len(names), ", ".join(pending[:3]) + (", ..." if len(pending) > 3
                                                                   else ""))}


def took(snapshot: Obj) -> Optional[float]:
    """Seconds from the snapshot's creation to its status.creationTime (when the storage cut
    it); None when either is unknown."""
    from ..k8s.humanreadable import parse_timestamp
    created = parse_timestamp((snapshot.get("metadata") or {}).get("creationTimestamp"))
    cut = parse_timestamp((snapshot.get("status") or {}).get("creationTime"))
    if created is None or cut is None:
        return None
    return max(0.0, (cut - created).total_seconds())


# -- the sets found ---------------------------------------------------------------------------

def size_text(total: Optional[Fraction]) -> str:
    """A byte count as a quantity: the largest binary suffix that divides it."""
    if total is None:
        return "<unknown>"
    value = int(total)
    for suffix, factor in (("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)):
        if value and value % factor == 0:
            return "%d%s" % (value // factor, suffix)
    return str(value)


def total_size(snapshots: Iterable[Obj]) -> Optional[Fraction]:
    """The sum of the restoreSizes (None when any ready snapshot has none)."""
    total = Fraction(0)
    for s in snapshots:
        value = quantity_value((s.get("status") or {}).get("restoreSize"))
        if value is None:
            return None
        total += value
    return total


def sets_of(sts_name: str, snapshots: List[Obj]) -> List[Obj]:
    """The snapshot sets of a StatefulSet from its VolumeSnapshots (newest first): name, time,
    revision (revision_text), revisions (the recorded revision of each ordinal, by ordinal),
    ordinals, snapshots ready and total, total size, members."""
    groups: Dict[str, List[Obj]] = {}
    for s in snapshots:
        labels = s["metadata"].get("labels") or {}
        if labels.get(SNAPSHOT_STS_LABEL) != sts_name or not labels.get(SNAPSHOT_SET_LABEL):
            continue
        groups.setdefault(labels[SNAPSHOT_SET_LABEL], []).append(s)
    rows = []
    for name, members in groups.items():
        first = members[0]["metadata"].get("annotations") or {}
        ready = [m for m in members if snapshot_state(m)[0] == "ready"]
        failed = [m for m in members if snapshot_state(m)[0] == "failed"]
        total = total_size(ready) if ready else None
        revisions = recorded_revisions(members)
        rows.append({"name": name, "takenAt": first.get(SNAPSHOT_TAKEN_ANNOTATION) or "",
                     "revision": revision_text(revisions),
                     "revisions": {str(o): revisions[o] for o in sorted(revisions)},
                     "ordinals": first.get(SNAPSHOT_ORDINALS_ANNOTATION) or "",
                     "ready": len(ready), "failed": len(failed), "total": len(members),
                     "size": size_text(total) if ready else "0",
                     "group": any(group_owner(m) for m in members),
                     "snapshots": sorted(m["metadata"]["name"] for m in members)})
    rows.sort(key=lambda r: (r["takenAt"], r["name"]), reverse=True)
    return rows


def recorded_revisions(members: List[Obj]) -> Dict[int, Optional[str]]:
    """The revision each snapshot of a set records (SNAPSHOT_REVISION_ANNOTATION), by ordinal
    (its label; the claims of one ordinal were taken from one pod)."""
    out: Dict[int, Optional[str]] = {}
    for m in members:
        ordinal = str((m["metadata"].get("labels") or {}).get(SNAPSHOT_ORDINAL_LABEL, ""))
        if ordinal.isdigit():
            out[int(ordinal)] = out.get(int(ordinal)) or (
                m["metadata"].get("annotations") or {}).get(SNAPSHOT_REVISION_ANNOTATION)
    return out


def set_rows(sets: List[Obj]) -> List[List[str]]:
    """--list's table rows: NAME TAKEN REVISION ORDINALS READY SIZE GROUP (true: the members
    of one VolumeGroupSnapshot, taken together)."""
    return [[s["name"], s["takenAt"], s["revision"], s["ordinals"],
             "%d/%d" % (s["ready"], s["total"]), s["size"], str(s["group"]).lower()]
            for s in sets]


SET_HEADERS = ("NAME", "TAKEN", "REVISION", "ORDINALS", "READY", "SIZE", "GROUP")


def members_to_delete(set_: str, snapshots: List[Obj]) -> List[Obj]:
    """The snapshots of one set, each as (name, uid) for a delete with a uid precondition, and
    the group it belongs to (group_owner; None: a snapshot of its own)."""
    return sorted(({"name": s["metadata"]["name"], "uid": s["metadata"].get("uid"),
                    "claim": ((s.get("spec") or {}).get("source") or {}).get(
                        "persistentVolumeClaimName"), "group": group_owner(s)}
                   for s in snapshots
                   if (s["metadata"].get("labels") or {}).get(SNAPSHOT_SET_LABEL) == set_),
                  key=lambda m: m["name"])


def deletions(members: List[Obj]) -> Tuple[List[Obj], List[Obj]]:
    """What `--delete SET` deletes: (the VolumeGroupSnapshots, each {apiVersion, name, uid,
    members}; the snapshots of their own). A group's member is never deleted alone: the
    snapshot controller refuses it while its group exists (SnapshotDeletePending, external-
    snapshotter pkg/common-controller/snapshot_controller.go,
    checkandRemoveSnapshotFinalizersAndCheckandDeleteContent: "deletion of the individual
    volume snapshot ... is not allowed as it belongs to group snapshot"); deleting the group
    deletes its members (groupsnapshot_controller_helper.go,
    processGroupSnapshotWithDeletionTimestamp)."""
    groups: Dict[Tuple[str, str], Obj] = {}
    alone = []
    for m in members:
        owner = m.get("group")
        if owner is None:
            alone.append(m)
            continue
        groups.setdefault((owner["name"], owner["uid"]), dict(owner, members=[]))[
            "members"].append(m)
    return [groups[k] for k in sorted(groups)], alone


def restore_advice(sts_name: str, set_: str, ordinal: Any = "K") -> str:
    """The line that names the data as it was before (the `restore` command)."""
    return "the data as it was before: kubectl sts restore %s --from %s --ordinal %s" % (
        sts_name, set_, ordinal)

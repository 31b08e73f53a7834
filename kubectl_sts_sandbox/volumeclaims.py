"""The StatefulSet controller's PersistentVolumeClaims: one per volumeClaimTemplate and
ordinal, created before the pod, with owner references that follow the
persistentVolumeClaimRetentionPolicy (stateful_pod_control.go createPersistentVolumeClaims,
UpdatePodClaimForRetentionPolicy; stateful_set_utils.go isStale,
claimOwnerMatchesSetAndPod; claim names from kubectl_sts.k8s.statefulset)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

from kubectl_sts.k8s.statefulset import claim_name
from .ownership import owner_ref
from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
# records an event on the set: (set, type, reason, message)
Recorder = Callable[[Obj, str, str, str], None]
PVC = BY_KIND["PersistentVolumeClaim"]


def _claims(sts: Obj, ordinal: int) -> Iterator[Tuple[Obj, str]]:
    for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
        yield tmpl, claim_name(tmpl["metadata"]["name"], sts["metadata"]["name"], ordinal)


def claims_stale(store: Store, sts: Obj, pod_name: str, ordinal: int) -> bool:
    """A claim of the ordinal is still owned by a pod of that name (a deleted incarnation,
    under whenScaled: Delete): the new pod waits until the claim is gone."""
    for _, cname in _claims(sts, ordinal):
        claim = store.peek(PVC, sts["metadata"]["namespace"], cname)
        for ref in (claim or {}).get("metadata", {}).get("ownerReferences") or []:
            if ref.get("kind") == "Pod" and ref.get("name") == pod_name:
                return True
    return False


def create_claims(store: Store, sts: Obj, pod: Obj, ordinal: int,
                  record: Recorder) -> Optional[str]:
    """Create the ordinal's missing claims; the error that stops it, or None."""
    ns = sts["metadata"]["namespace"]
    for tmpl, cname in _claims(sts, ordinal):
        claim = store.peek(PVC, ns, cname)
        if claim is not None:
            if claim["metadata"].get("deletionTimestamp"):
                return "pvc %s is being deleted" % cname
            continue
        labels = dict(tmpl["metadata"].get("labels") or {})
        labels.update((sts["spec"].get("selector") or {}).get("matchLabels") or {})
        meta = {"name": cname, "namespace": ns, "labels": labels}
        if tmpl["metadata"].get("annotations"):
            meta["annotations"] = dict(tmpl["metadata"]["annotations"])
        claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": meta,
                 "spec": copy.deepcopy(tmpl.get("spec") or {})}
        try:
            store.create(PVC, claim, namespace=ns)
        except Exception as exc:
            return str(exc)
        record(sts, "Normal", "SuccessfulCreate",
               "create Claim %s Pod %s in StatefulSet %s success"
               % (cname, pod["metadata"]["name"], sts["metadata"]["name"]))
    return None


def fix_claim_refs(store: Store, sts: Obj, pod: Obj, ordinal: int, condemned: bool,
                   record: Recorder) -> None:
    """Set the owner references of the pod's claims as the retention policy wants them: the
    pod's when it is condemned by a scale-down under whenScaled: Delete, else the set's
    under whenDeleted: Delete, else none of ours."""
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    when_deleted = policy.get("whenDeleted", "Retain")
    when_scaled = policy.get("whenScaled", "Retain")
    sts_uid = sts["metadata"]["uid"]
    pod_uid = pod["metadata"].get("uid")
    wanted: List[Obj] = []
    if condemned and when_scaled == "Delete":
        wanted = [owner_ref(pod)]
    elif when_deleted == "Delete":
        wanted = [owner_ref(sts)]
    for _, cname in _claims(sts, ordinal):
        claim = store.peek(PVC, sts["metadata"]["namespace"], cname)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            continue
        refs = claim["metadata"].get("ownerReferences") or []
        ours = [r for r in refs if r.get("uid") in (sts_uid, pod_uid)]
        others = [r for r in refs if r.get("uid") not in (sts_uid, pod_uid)]
        if any(r.get("controller") and not _stale_pod_ref(r, pod) for r in others):
            record(sts, "Warning", "ConflictingController",
                   "found a conflicting controller reference on claim %s" % cname)
            continue
        if _ref_keys(ours) == _ref_keys(wanted):
            continue
        claim = copy.deepcopy(claim)
        claim["metadata"]["ownerReferences"] = others + wanted
        if not claim["metadata"]["ownerReferences"]:
            del claim["metadata"]["ownerReferences"]
        store.update(PVC, claim, internal=True)


def _ref_keys(refs: List[Obj]) -> List[Tuple[Any, Any]]:
    return sorted((r.get("kind"), r.get("uid")) for r in refs)


def _stale_pod_ref(ref: Obj, pod: Obj) -> bool:
    return ref.get("kind") == "Pod" and ref.get("name") == pod["metadata"]["name"]

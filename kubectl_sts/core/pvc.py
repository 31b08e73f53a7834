"""`pvc`: the claims of a StatefulSet, one view of a claim for every command, and which
orphaned claims may be pruned. Pure functions over the plain API objects (the claims table:
printers/pvc.py)."""

from typing import Any, Dict, List, Optional, Tuple

from ..k8s import statefulset as facts
from ..k8s.humanreadable import age
from ..k8s.quantity import canonical_quantity

Obj = Dict[str, Any]


def claims_of(sts: Obj, claims: List[Obj]) -> Dict[Tuple[str, int], Obj]:
    """Claims that belong to the set by name (`<template>-<set>-<ordinal>`, the controller's
    naming): {(template, ordinal): claim}, in the order of `claims`; others are left out."""
    name = sts["metadata"]["name"]
    templates = facts.claim_templates(sts)
    out = {}
    for claim in claims:
        for template in templates:
            ordinal = facts.claim_ordinal(template, name, claim["metadata"]["name"])
            if ordinal is not None:
                out[(template, ordinal)] = claim
    return out


def claim_view(claim: Obj, template: str, ordinal: Optional[int], pvs: Optional[Dict[str, Obj]],
               now: Any) -> Obj:
    """The one view of a claim in every public document (status, scale plan, pvc): `status`
    and `phase` say the same (Terminating while it is being deleted); `reclaimPolicy` is its
    PV's, or "unknown" when PVs were not read."""
    meta = claim["metadata"]
    spec, status = claim.get("spec") or {}, claim.get("status") or {}
    capacity = (status.get("capacity") or {}).get("storage") or \
        ((spec.get("resources") or {}).get("requests") or {}).get("storage") or ""
    phase = "Terminating" if meta.get("deletionTimestamp") else status.get("phase", "Pending")
    pv = pvs.get(spec.get("volumeName") or "") if pvs is not None else None
    return {"name": meta["name"], "uid": meta.get("uid"),
            "resourceVersion": meta.get("resourceVersion"),
            "template": template, "ordinal": ordinal, "exists": True,
            "status": phase, "phase": phase,
            "capacity": canonical_quantity(capacity) if capacity else "",
            "storageClass": spec.get("storageClassName") or "",
            "volume": spec.get("volumeName") or "",
            "age": age(meta.get("creationTimestamp"), now),
            "createdAt": meta.get("creationTimestamp"),
            "reclaimPolicy": ((pv or {}).get("spec") or {}).get("persistentVolumeReclaimPolicy")
            if pvs is not None else "unknown"}


def list_claims(sts: Obj, claims: List[Obj], pods: List[Obj], pvs: Optional[Dict[str, Obj]],
                now: Any) -> List[Obj]:
    """Every claim of the set with its place: in-range, orphaned (outside the range), and
    whether it is bound and mounted."""
    in_range = facts.ordinals(sts)
    mounted = {}
    for pod in pods:
        for vol in (pod.get("spec") or {}).get("volumes") or []:
            claim = (vol.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                mounted[claim] = pod["metadata"]["name"]
    out = []
    for (template, ordinal), claim in sorted(claims_of(sts, claims).items(),
                                             key=lambda kv: (kv[0][1], kv[0][0])):
        entry = claim_view(claim, template, ordinal, pvs, now)
        entry["inRange"] = ordinal in in_range
        entry["orphaned"] = not entry["inRange"]
        entry["bound"] = entry["phase"] == "Bound"
        entry["mountedBy"] = mounted.get(entry["name"])
        out.append(entry)
    return out


def prunable(entries: List[Obj], ordinal: Optional[int] = None) -> List[Obj]:
    """Orphaned claims that may be deleted: outside the range, not mounted by any pod, not
    already terminating; optionally only those of one ordinal."""
    return [e for e in entries if e["orphaned"] and not e["mountedBy"] and
            e["phase"] != "Terminating" and (ordinal is None or e["ordinal"] == ordinal)]

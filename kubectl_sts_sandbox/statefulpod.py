"""The pods of a StatefulSet as its controller builds and checks them (v1.32,
pkg/controller/statefulset/stateful_set_utils.go newVersionedStatefulSetPod, newStatefulSetPod,
initIdentity, updateIdentity, identityMatches, updateStorage, storageMatches; the template's
labels, annotations and finalizers from pkg/controller/controller_utils.go
GetPodFromTemplate)."""

from __future__ import annotations

import copy
from typing import Any, Dict, List

from kubectl_sts.k8s.statefulset import (POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL, claim_name,
                                          parent_and_ordinal)
from . import revisions
from .ownership import owner_ref

Obj = Dict[str, Any]


def new_pod(sts: Obj, current_rev: Obj, update_rev: Obj, start: int, ordinal: int) -> Obj:
    """newVersionedStatefulSetPod: the ordinal's pod at the current revision below the
    partition (or, with no rollingUpdate, below status.currentReplicas), else at the update
    revision."""
    strategy = sts["spec"].get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    current_count = (sts.get("status") or {}).get("currentReplicas") or 0
    use_current = (strategy.get("type") == "RollingUpdate" and rolling is None and
                   ordinal < start + current_count) or \
        (rolling is not None and ordinal < start + (rolling.get("partition") or 0))
    rev = current_rev if use_current else update_rev
    template = revisions.template_from_data(rev["data"])
    tmeta = template.get("metadata") or {}
    name = "%s-%d" % (sts["metadata"]["name"], ordinal)
    meta: Obj = {"name": name, "generateName": sts["metadata"]["name"] + "-",
                 "namespace": sts["metadata"]["namespace"],
                 "labels": dict(tmeta.get("labels") or {}), "ownerReferences": [owner_ref(sts)]}
    for field in ("annotations", "finalizers"):
        if tmeta.get(field):
            meta[field] = copy.deepcopy(tmeta[field])
    pod: Obj = {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
                "spec": copy.deepcopy(template.get("spec") or {})}
    update_identity(sts, pod)
    # initIdentity: hostname and subdomain only at creation (subdomain omitempty)
    pod["spec"]["hostname"] = name
    if sts["spec"].get("serviceName"):
        pod["spec"]["subdomain"] = sts["spec"]["serviceName"]
    update_storage(sts, pod)
    meta["labels"][REVISION_LABEL] = rev["metadata"]["name"]        # setPodRevision
    return pod


def identity_matches(sts: Obj, pod: Obj) -> bool:
    """The pod's name and namespace are the set's and its pod-name label is its name (the
    pod-index label is not checked)."""
    parent, ordinal = parent_and_ordinal(pod["metadata"]["name"])
    return ordinal >= 0 and parent == sts["metadata"]["name"] and \
        pod["metadata"].get("namespace") == sts["metadata"]["namespace"] and \
        (pod["metadata"].get("labels") or {}).get(POD_NAME_LABEL) == pod["metadata"]["name"]


def update_identity(sts: Obj, pod: Obj) -> None:
    """The pod-name and pod-index labels (PodIndexLabel is GA in 1.32)."""
    ordinal = parent_and_ordinal(pod["metadata"]["name"])[1]
    labels = pod["metadata"].setdefault("labels", {})
    labels[POD_NAME_LABEL] = pod["metadata"]["name"]
    labels[POD_INDEX_LABEL] = str(ordinal)


def _claim_volumes(sts: Obj, ordinal: int) -> List[Obj]:
    return [{"name": c["metadata"]["name"], "persistentVolumeClaim": {
        "claimName": claim_name(c["metadata"]["name"], sts["metadata"]["name"], ordinal)}}
        for c in sts["spec"].get("volumeClaimTemplates") or []]


def storage_matches(sts: Obj, pod: Obj) -> bool:
    """Every claim template has a volume of its name using the ordinal's claim."""
    ordinal = parent_and_ordinal(pod["metadata"]["name"])[1]
    if ordinal < 0:
        return False
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for wanted in _claim_volumes(sts, ordinal):
        source = (volumes.get(wanted["name"]) or {}).get("persistentVolumeClaim")
        if not source or source.get("claimName") != wanted["persistentVolumeClaim"]["claimName"]:
            return False
    return True


def update_storage(sts: Obj, pod: Obj) -> None:
    """The claims' volumes first (upstream ranges over a map: template order here), then the
    pod's other volumes; a volume named like a claim template is replaced."""
    ordinal = parent_and_ordinal(pod["metadata"]["name"])[1]
    claims = _claim_volumes(sts, ordinal)
    names = {v["name"] for v in claims}
    others = [v for v in pod["spec"].get("volumes") or [] if v.get("name") not in names]
    if claims or others:
        pod["spec"]["volumes"] = claims + others

"""The StatefulSet controller's pods as it builds and checks them, and its
PersistentVolumeClaims: one per volumeClaimTemplate and ordinal, created before the pod, with
owner references that follow the persistentVolumeClaimRetentionPolicy (StatefulSetAutoDeletePVC,
GA and always on in 1.32).

Pods (v1.32 stateful_set_utils.go newVersionedStatefulSetPod, newStatefulSetPod, initIdentity,
updateIdentity, identityMatches, updateStorage, storageMatches; the template's labels,
annotations and finalizers from pkg/controller/controller_utils.go GetPodFromTemplate).

Upstream (v1.32): stateful_pod_control.go createPersistentVolumeClaims,
ClaimsMatchRetentionPolicy, UpdatePodClaimForRetentionPolicy, PodClaimIsStale,
recordClaimEvent; stateful_set_utils.go getPersistentVolumeClaims, isClaimOwnerUpToDate,
updateClaimOwnerRefForSetAndPod, hasUnexpectedController, hasNonControllerOwner,
hasStaleOwnerRef, hasOwnerRef, matchesRef, addControllerRef (kubernetes #122499, and its
cherry-pick #126581).
Claim names come from kubectl_sts.k8s.statefulset."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Tuple

from kubectl_sts.k8s.statefulset import (POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL, claim_name,
                                          parent_and_ordinal)
from . import revisions
from .ownership import owner_ref
from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
# records an event on the set: (set, type, reason, message)
Recorder = Callable[[Obj, str, str, str], None]
PVC = BY_KIND["PersistentVolumeClaim"]
SET_KIND = ("apps/v1", "StatefulSet")      # controllerKind
POD_KIND = ("v1", "Pod")                   # podKind
RETAIN, DELETE = "Retain", "Delete"
_POLICIES = {(RETAIN, RETAIN), (RETAIN, DELETE), (DELETE, RETAIN), (DELETE, DELETE)}


def _claims(sts: Obj, ordinal: int) -> Iterator[Tuple[Obj, str]]:
    for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
        yield tmpl, claim_name(tmpl["metadata"]["name"], sts["metadata"]["name"], ordinal)


# -- the pods -----------------------------------------------------------------------------------

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


# -- the claims ----------------------------------------------------------------------------------

def aggregate(errors: List[str]) -> Optional[str]:
    """utilerrors.NewAggregate(errs).Error(): one message as it is, several (duplicates
    dropped) as "[a, b]"."""
    unique = list(dict.fromkeys(errors))
    if not unique:
        return None
    return unique[0] if len(unique) == 1 else "[%s]" % ", ".join(unique)


def create_claims(store: Store, sts: Obj, pod: Obj, ordinal: int,
                  record: Recorder) -> Optional[str]:
    """createPersistentVolumeClaims: create the ordinal's missing claims; the aggregated
    error of every claim that failed (or is being deleted), or None. A claim is the template
    with the selector's matchLabels over its labels (getPersistentVolumeClaims)."""
    ns = sts["metadata"]["namespace"]
    errors: List[str] = []
    for tmpl, cname in _claims(sts, ordinal):
        claim = store.peek(PVC, ns, cname)
        if claim is not None:
            if claim["metadata"].get("deletionTimestamp"):
                errors.append("pvc %s is being deleted" % cname)
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
            errors.append("failed to create PVC %s: %s" % (cname, exc))
            if getattr(exc, "code", None) != 409:            # AlreadyExists: no event
                record(sts, "Warning", "FailedCreate",
                       "create Claim %s for Pod %s in StatefulSet %s failed error: %s"
                       % (cname, pod["metadata"]["name"], sts["metadata"]["name"], exc))
            continue
        record(sts, "Normal", "SuccessfulCreate",
               "create Claim %s Pod %s in StatefulSet %s success"
               % (cname, pod["metadata"]["name"], sts["metadata"]["name"]))
    return aggregate(errors)


def pod_claim_is_stale(store: Store, sts: Obj, pod_name: str, ordinal: int) -> bool:
    """PodClaimIsStale for a pod about to be created (no uid yet): under whenScaled: Delete,
    a claim whose first Pod reference of that name exists is still owned by a deleted
    incarnation, and the new pod waits until the claim is gone."""
    if _policy(sts)[1] == RETAIN:
        return False
    for _, cname in _claims(sts, ordinal):
        claim = store.peek(PVC, sts["metadata"]["namespace"], cname)
        if claim is not None and _stale(claim, pod_name, None, POD_KIND):
            return True
    return False


def claims_match_retention_policy(store: Store, sts: Obj, pod: Obj) -> bool:
    """ClaimsMatchRetentionPolicy: every existing claim of the pod is up to date."""
    ordinal = _ordinal(pod)
    for _, cname in _claims(sts, ordinal):
        claim = store.peek(PVC, sts["metadata"]["namespace"], cname)
        if claim is not None and not is_claim_owner_up_to_date(claim, sts, pod):
            return False
    return True


def update_claims_for_retention_policy(store: Store, sts: Obj, pod: Obj,
                                       record: Recorder) -> Optional[str]:
    """UpdatePodClaimForRetentionPolicy: a Warning ConflictingController for every claim
    another controller manages (whether or not it is up to date), and an update of every
    claim whose owner references are not up to date. Returns the error that stopped it."""
    ns = sts["metadata"]["namespace"]
    for _, cname in _claims(sts, _ordinal(pod)):
        claim = store.peek(PVC, ns, cname)
        if claim is None:
            continue                 # "Expected claim missing, continuing to pick up..."
        if has_unexpected_controller(claim, sts, pod):
            record(sts, "Warning", "ConflictingController",
                   "PersistentVolumeClaim %s has a conflicting OwnerReference that acts as a "
                   "manging controller, the retention policy is ignored for this claim" % cname)
        if not is_claim_owner_up_to_date(claim, sts, pod):
            claim = copy.deepcopy(claim)
            update_claim_owner_refs(claim, sts, pod)
            try:
                store.update(PVC, claim, internal=True)
            except Exception as exc:
                return "could not update claim %s for delete policy ownerRefs: %s" % (cname,
                                                                                      exc)
    return None


# -- stateful_set_utils.go ---------------------------------------------------------------------

def _policy(sts: Obj) -> Tuple[str, str]:
    """(whenDeleted, whenScaled), Retain when unset (getPersistentVolumeClaimRetentionPolicy)."""
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or RETAIN, policy.get("whenScaled") or RETAIN


def _ordinal(pod: Obj) -> int:
    return parent_and_ordinal(pod["metadata"]["name"])[1]


def _scaled_down(sts: Obj, pod: Obj) -> bool:
    """!podInOrdinalRange(pod, set)."""
    start = ((sts["spec"].get("ordinals") or {}).get("start") or 0)
    return not start <= _ordinal(pod) < start + sts["spec"].get("replicas", 1)


def _refs(claim: Obj) -> List[Obj]:
    return claim["metadata"].get("ownerReferences") or []


def _matches(ref: Obj, name: str, gvk: Tuple[str, str]) -> bool:
    """matchesRef: the same API version, kind and name (the uid is not compared)."""
    return (ref.get("apiVersion"), ref.get("kind")) == gvk and ref.get("name") == name


def _stale(claim: Obj, name: str, uid: Optional[str], gvk: Tuple[str, str]) -> bool:
    """hasStaleOwnerRef: the first reference matching the object has another uid."""
    for ref in _refs(claim):
        if _matches(ref, name, gvk):
            return ref.get("uid") != uid
    return False


def _has_owner(claim: Obj, uid: Optional[str]) -> bool:
    """hasOwnerRef: a reference with the owner's uid, controller or not."""
    return uid is not None and any(r.get("uid") == uid for r in _refs(claim))


def has_unexpected_controller(claim: Obj, sts: Obj, pod: Obj) -> bool:
    """Under a policy other than Retain/Retain, a controller reference that is neither the
    set nor the pod, or a reference to their names with another uid."""
    if _policy(sts) == (RETAIN, RETAIN):
        return False
    for ref in _refs(claim):
        if _matches(ref, sts["metadata"]["name"], SET_KIND):
            if ref.get("uid") != sts["metadata"]["uid"]:
                return True
            continue
        if _matches(ref, pod["metadata"]["name"], POD_KIND):
            if ref.get("uid") != pod["metadata"].get("uid"):
                return True
            continue
        if ref.get("controller"):
            return True
    return False


def is_claim_owner_up_to_date(claim: Obj, sts: Obj, pod: Obj) -> bool:
    """Whether the claim's references follow the policy: none of ours under Retain/Retain,
    the set's under whenDeleted: Delete while the pod is in range, the pod's once it is
    scaled down under whenScaled: Delete. Stale references and other controllers are left
    alone (only our own references beside another controller are to be removed)."""
    sts_uid, pod_uid = sts["metadata"]["uid"], pod["metadata"].get("uid")
    if _stale(claim, sts["metadata"]["name"], sts_uid, SET_KIND) or \
            _stale(claim, pod["metadata"]["name"], pod_uid, POD_KIND):
        return True
    if has_unexpected_controller(claim, sts, pod):
        return not (_has_owner(claim, sts_uid) or _has_owner(claim, pod_uid))
    if any(r.get("uid") in (sts_uid, pod_uid) and r.get("uid") is not None and
           not r.get("controller") for r in _refs(claim)):           # hasNonControllerOwner
        return False
    set_ref, pod_ref = _has_owner(claim, sts_uid), _has_owner(claim, pod_uid)
    scaled_down = _scaled_down(sts, pod)
    policy = _policy(sts)                                     # (whenDeleted, whenScaled)
    if policy == (DELETE, DELETE):
        return scaled_down != set_ref and scaled_down == pod_ref
    if policy == (RETAIN, DELETE):
        return not set_ref and scaled_down == pod_ref
    if policy == (DELETE, RETAIN):
        return set_ref and not pod_ref
    return not set_ref and not pod_ref          # Retain/Retain (and unknown values)


def update_claim_owner_refs(claim: Obj, sts: Obj, pod: Obj) -> None:
    """updateClaimOwnerRefForSetAndPod: drop every reference to the set's and the pod's
    names, then (unless another controller manages the claim) add the controller references
    the policy wants, after the others. ownerReferences is omitempty."""
    unexpected = has_unexpected_controller(claim, sts, pod)
    refs = [r for r in _refs(claim) if not _matches(r, sts["metadata"]["name"], SET_KIND) and
            not _matches(r, pod["metadata"]["name"], POD_KIND)]
    policy = _policy(sts)
    if not unexpected and policy != (RETAIN, RETAIN) and policy in _POLICIES:
        scaled_down = _scaled_down(sts, pod)
        if policy[1] == DELETE and scaled_down:
            refs = _add_controller(refs, pod)
        if policy[0] == DELETE and not (policy[1] == DELETE and scaled_down):
            refs = _add_controller(refs, sts)
    if refs:
        claim["metadata"]["ownerReferences"] = refs
    else:
        claim["metadata"].pop("ownerReferences", None)


def _add_controller(refs: List[Obj], owner: Obj) -> List[Obj]:
    """addControllerRef: append a controller reference unless one with its uid is there."""
    if any(r.get("uid") == owner["metadata"].get("uid") for r in refs):
        return refs
    return refs + [owner_ref(owner)]

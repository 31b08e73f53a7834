"""PodDisruptionBudgets: the disruption controller's status and the eviction subresource.

The controller (kube-controller-manager pkg/controller/disruption/disruption.go: trySync,
getExpectedPodCount, countHealthyPods, buildDisruptedPodMap, updatePdbStatus) keeps, for every
budget: expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed, disruptedPods,
observedGeneration and the DisruptionAllowed condition.
- minAvailable as an integer: desiredHealthy is it, expectedPods the pods selected;
- minAvailable as a percentage, or maxUnavailable: expectedPods is the scale of the pods'
  controllers (a StatefulSet's spec.replicas), desiredHealthy the percentage of it rounded up,
  or expectedPods - maxUnavailable (a percentage of it rounded up);
- currentHealthy: selected pods that are Ready, not being deleted, not recently evicted.

Eviction (pkg/registry/core/pod/storage/eviction.go, EvictionREST.Create): 404 for a missing
pod; the delete preconditions (409); a pod that is not running (Pending, Succeeded, Failed) or
already being deleted goes without a budget check; more than one budget is a 500; a budget not
yet observed, or with no disruption allowed, is 429 with the DisruptionBudget cause; an allowed
eviction takes one disruption (disruptedPods) and deletes the pod: 201."""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Set, Tuple

from kubectl_sts.k8s.conditions import find_condition, pod_ready
from kubectl_sts.k8s.selectors import matches_labels, selector_from_label_selector
from . import errors
from .clock import parse_rfc3339
from .ownership import controller_of
from .resources import BY_KIND

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]

PDB = BY_KIND["PodDisruptionBudget"]
POD = BY_KIND["Pod"]
STS = BY_KIND["StatefulSet"]
DELETION_TIMEOUT = 120.0          # disruptedPods entries expire after 2 minutes
TOO_MANY = "Cannot evict pod as it would violate the pod's disruption budget."


def _selects(pdb: Obj, pod: Obj) -> bool:
    selector = (pdb.get("spec") or {}).get("selector")
    if selector is None:
        return False               # policy/v1: a nil selector selects nothing
    return matches_labels(selector_from_label_selector(selector),
                          pod["metadata"].get("labels") or {})


def _scaled(value: Any, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent."""
    if isinstance(value, int):
        return value
    text = str(value)
    if text.endswith("%"):
        fraction = int(text[:-1]) * total / 100.0
        return int(math.ceil(fraction)) if round_up else int(math.floor(fraction))
    return int(text)


class Disruption:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.dirty: Set[str] = set()          # namespaces to sync

    def on_change(self, rt: ResourceType, etype: str, obj: Obj) -> None:
        if rt in (PDB, POD, STS):
            self.dirty.add(obj["metadata"].get("namespace", ""))

    def step(self) -> None:
        work, self.dirty = self.dirty, set()
        for ns in sorted(work):
            pdbs, _ = self.store.list(PDB, ns)
            if not pdbs:
                continue
            pods, _ = self.store.list(POD, ns)
            for pdb in pdbs:
                if not pdb["metadata"].get("deletionTimestamp"):
                    self._sync(pdb, pods)

    # -- the controller -------------------------------------------------------------------------
    def _expected(self, pdb: Obj, pods: List[Obj]) -> Tuple[int, int]:
        """(expectedPods, desiredHealthy)."""
        spec = pdb.get("spec") or {}
        if spec.get("maxUnavailable") is not None:
            expected = self._scale(pods)
            desired = max(expected - _scaled(spec["maxUnavailable"], expected, True), 0)
        elif isinstance(spec.get("minAvailable"), int):
            expected, desired = len(pods), spec["minAvailable"]
        elif spec.get("minAvailable") is not None:
            expected = self._scale(pods)
            desired = _scaled(spec["minAvailable"], expected, True)
        else:
            expected, desired = len(pods), 0
        return expected, desired

    def _scale(self, pods: List[Obj]) -> int:
        """The sum of the scale of the pods' controllers (getExpectedScale)."""
        seen, total = set(), 0
        for pod in pods:
            ref = controller_of(pod)
            if ref is None:
                total += 1                 # a bare pod counts for itself
                continue
            if ref.get("uid") in seen:
                continue
            seen.add(ref.get("uid"))
            owner = self.store.peek(STS, pod["metadata"]["namespace"], ref.get("name", "")) \
                if ref.get("kind") == "StatefulSet" else None
            total += ((owner or {}).get("spec") or {}).get("replicas", 1) if owner else 1
        return total

    def _sync(self, pdb: Obj, all_pods: List[Obj]) -> None:
        now = self.store.clock.now()
        pods = [p for p in all_pods if _selects(pdb, p)]
        expected, desired = self._expected(pdb, pods)
        old = pdb.get("status") or {}
        disrupted = {}
        names = {p["metadata"]["name"]: p for p in pods}
        for name, stamp in (old.get("disruptedPods") or {}).items():
            pod = names.get(name)
            if pod is None or pod["metadata"].get("deletionTimestamp"):
                continue
            if (parse_rfc3339(stamp) or 0) + DELETION_TIMEOUT < now:
                continue
            disrupted[name] = stamp
        healthy = sum(1 for p in pods if pod_ready(p) and not p["metadata"].get("deletionTimestamp")
                      and p["metadata"]["name"] not in disrupted)
        allowed = healthy - desired
        if expected <= 0 or allowed <= 0:
            allowed = 0
        status = {"observedGeneration": pdb["metadata"].get("generation", 1),
                  "disruptionsAllowed": allowed, "currentHealthy": healthy,
                  "desiredHealthy": desired, "expectedPods": expected}
        if disrupted:
            status["disruptedPods"] = disrupted
        condition = {"type": "DisruptionAllowed", "status": "True" if allowed > 0 else "False",
                     "reason": "SufficientPods" if allowed > 0 else "InsufficientPods",
                     "message": "", "observedGeneration": status["observedGeneration"]}
        previous = find_condition(pdb, "DisruptionAllowed")
        if previous is not None and previous.get("status") == condition["status"] and \
                previous.get("reason") == condition["reason"]:
            condition["lastTransitionTime"] = previous.get("lastTransitionTime")
        else:
            condition["lastTransitionTime"] = self.store.clock.stamp()
        status["conditions"] = [condition]
        if status != old:
            updated = copy.deepcopy(pdb)
            updated["status"] = status
            self.store.update(PDB, updated, subresource="status", internal=True)

    # -- the eviction subresource ---------------------------------------------------------------
    def evict(self, ns: str, name: str, eviction: Optional[Obj], dry_run: bool = False) -> Obj:
        """POST pods/NAME/eviction. Returns the 201 Status body; raises ApiError."""
        meta = (eviction or {}).get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise errors.bad_request("name in URL does not match name in Eviction object")
        pod = self.store.get(POD, ns, name)               # 404 as for a GET
        options = (eviction or {}).get("deleteOptions") or {}
        preconditions = options.get("preconditions")
        if pod["metadata"].get("deletionTimestamp") or \
                (pod.get("status") or {}).get("phase") in ("Pending", "Succeeded", "Failed"):
            return self._delete(pod, options, preconditions, dry_run)
        pdbs = [p for p in self.store.list(PDB, ns)[0] if _selects(p, pod)]
        if len(pdbs) > 1:
            raise errors.ApiError(errors.status(
                500, "InternalError", "This pod has more than one PodDisruptionBudget, which "
                "the eviction subresource does not support."))
        if pdbs:
            self._take_disruption(pdbs[0], pod, dry_run)
        return self._delete(pod, options, preconditions, dry_run)

    def _take_disruption(self, pdb: Obj, pod: Obj, dry_run: bool) -> None:
        status = pdb.get("status") or {}
        name = pdb["metadata"]["name"]
        if status.get("observedGeneration", 0) < pdb["metadata"].get("generation", 1):
            raise _too_many("The disruption budget %s is still being processed by the server."
                            % name)
        healthy, desired = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
        # unhealthyPodEvictionPolicy IfHealthyBudget: an unready pod may go while the budget
        # is met, without taking a disruption
        if not pod_ready(pod) and healthy >= desired:
            return
        if status.get("disruptionsAllowed", 0) <= 0:
            raise _too_many("The disruption budget %s needs %d healthy pods and has %d "
                            "currently" % (name, desired, healthy))
        if dry_run:
            return
        updated = copy.deepcopy(pdb)
        updated["status"]["disruptionsAllowed"] = status["disruptionsAllowed"] - 1
        updated["status"].setdefault("disruptedPods", {})[pod["metadata"]["name"]] = \
            self.store.clock.stamp()
        self.store.update(PDB, updated, subresource="status", internal=True)

    def _delete(self, pod: Obj, options: Obj, preconditions: Optional[Obj], dry_run: bool) -> Obj:
        grace = options.get("gracePeriodSeconds")
        self.store.delete(POD, pod["metadata"]["namespace"], pod["metadata"]["name"],
                          preconditions=preconditions, grace=grace, dry_run=dry_run)
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success",
                "code": 201}


def _too_many(cause: str) -> errors.ApiError:
    return errors.ApiError(errors.status(429, "TooManyRequests", TOO_MANY, {
        "causes": [{"reason": "DisruptionBudget", "message": cause}]}))

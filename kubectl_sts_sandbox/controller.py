"""The simulated StatefulSet controller (kube-controller-manager v1.32 behaviour; see
shared/docs/statefulset-semantics.md sections 1-6). One `sync` is one reconcile of one set:
the pod loop and the status are here; adopting and releasing is ownership.py, the revision
history revisions.py, the claims of each ordinal volumeclaims.py."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple

from kubectl_sts.k8s.conditions import find_condition, pod_ready
from kubectl_sts.k8s.selectors import selector_from_label_selector
from kubectl_sts.k8s.statefulset import (POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL, claim_name,
                                          parent_and_ordinal, pod_revision)
from . import events, revisions
from .clock import parse_rfc3339
from .ownership import claim_objects, owner_ref
from .resources import BY_KIND
from .volumeclaims import claims_stale, create_claims, fix_claim_refs

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
STS = BY_KIND["StatefulSet"]
POD = BY_KIND["Pod"]

COMPONENT = "statefulset-controller"


def is_created(pod: Optional[Obj]) -> bool:
    return pod is not None and bool((pod.get("status") or {}).get("phase"))


def is_terminating(pod: Optional[Obj]) -> bool:
    return pod is not None and bool(pod["metadata"].get("deletionTimestamp"))


def is_running_ready(pod: Optional[Obj]) -> bool:
    if pod is None or (pod.get("status") or {}).get("phase") != "Running":
        return False
    return pod_ready(pod)


def available_at(pod: Optional[Obj], min_ready: float) -> float:
    """Simulated time from which a Running&Ready pod counts as available."""
    cond = find_condition(pod, "Ready")
    since = parse_rfc3339(cond.get("lastTransitionTime")) if cond else None
    return (since or 0) + min_ready


def is_available(pod: Optional[Obj], min_ready: float, now: float) -> bool:
    if not is_running_ready(pod):
        return False
    return min_ready <= 0 or available_at(pod, min_ready) <= now


def is_unhealthy(pod: Optional[Obj]) -> bool:
    return not is_running_ready(pod) or is_terminating(pod)


def start_ordinal(sts: Obj) -> int:
    return ((sts["spec"].get("ordinals") or {}).get("start") or 0)


def resolve_max_unavailable(value: Any, replicas: int) -> int:
    if value is None:
        return 1
    if isinstance(value, str) and value.endswith("%"):
        result = int(replicas * int(value[:-1]) / 100)   # rounded down in code
    else:
        result = int(value)
    return max(1, result)


class StatefulSetController:
    def __init__(self, store: Store, maxunavailable_gate: bool = False,
                 parallel_broken_first: bool = True) -> None:
        self.store = store
        self.maxunavailable_gate = maxunavailable_gate
        # #137666 (1.37): under Parallel, old-revision pods already unavailable are replaced
        # first and do not spend the maxUnavailable budget; 1.35 lacks it (#137409)
        self.parallel_broken_first = parallel_broken_first
        # (ns, name) -> failed syncs in a row (the rate limiter's count)
        self.failures: Dict[Tuple[str, str], int] = {}
        self._failed = False      # whether the sync under way hit an error

    # -- entry point --------------------------------------------------------------------------
    def sync(self, namespace: str, name: str) -> Optional[float]:
        """Reconcile one StatefulSet. Returns a simulated time at which to sync again, or None."""
        sts = self.store.peek(STS, namespace, name)
        if sts is None:
            self.failures.pop((namespace, name), None)
            return None
        reqs = selector_from_label_selector(sts["spec"].get("selector"))
        revs = revisions.claim_revisions(self.store, sts, reqs)
        pods = self._claim_pods(sts, reqs)
        if sts["metadata"].get("deletionTimestamp"):
            # stateful_set_control.go updateStatefulSet: a set being deleted gets its status
            # computed and written, nothing else (the garbage collector removes the pods)
            self._write_deleting_status(sts, revs, pods)
            return None
        collision = (sts.get("status") or {}).get("collisionCount") or 0
        current_rev, update_rev, collision = revisions.resolve_revisions(self.store, sts, revs,
                                                                         collision)
        self._failed = False
        requeue = self._reconcile(sts, pods, current_rev, update_rev, collision)
        self._prune_revisions(sts, reqs, current_rev, update_rev)
        key = (namespace, name)
        if self._failed:
            # a sync that returned an error is retried with the workqueue's per-item
            # exponential backoff (5ms doubling, at most 1000s): stateful_set.go
            # processNextWorkItem -> AddRateLimited
            count = self.failures.get(key, 0)
            self.failures[key] = count + 1
            retry = self.store.clock.now() + min(0.005 * (2 ** min(count, 30)), 1000.0)
            requeue = retry if requeue is None else min(requeue, retry)
        else:
            self.failures.pop(key, None)                # queue.Forget
        return requeue

    # -- ownership and history ---------------------------------------------------------------
    def _claim_pods(self, sts: Obj, reqs: Any) -> List[Obj]:
        name = sts["metadata"]["name"]
        pods = claim_objects(self.store, POD, sts, reqs,
                             accept=lambda p: parent_and_ordinal(p["metadata"]["name"])[0] == name)
        return [p for p in pods if parent_and_ordinal(p["metadata"]["name"])[0] == name]

    def _prune_revisions(self, sts: Obj, reqs: Any, current_rev: Obj, update_rev: Obj) -> None:
        """Truncate the history of the set as it is after the sync."""
        live = self.store.peek(STS, sts["metadata"]["namespace"], sts["metadata"]["name"])
        if live is None:
            return
        revs = revisions.claim_revisions(self.store, live, reqs)
        revisions.truncate_history(self.store, live, revs, self._claim_pods(live, reqs),
                                   current_rev, update_rev)

    # -- the reconcile loop (section 3) -------------------------------------------------------
    def _reconcile(self, sts: Obj, pods: List[Obj], current_rev: Obj, update_rev: Obj,
                   collision: int) -> Optional[float]:
        spec = sts["spec"]
        now = self.store.clock.now()
        min_ready = spec.get("minReadySeconds") or 0
        start = start_ordinal(sts)
        count = spec.get("replicas", 1)
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        cur_name, upd_name = current_rev["metadata"]["name"], update_rev["metadata"]["name"]

        replicas: List[Any] = [None] * count   # a pod, None (missing), "created" (by _act)
        condemned: List[Obj] = []
        for pod in pods:
            ordinal = parent_and_ordinal(pod["metadata"]["name"])[1]
            if start <= ordinal < start + count:
                replicas[ordinal - start] = pod
            else:
                condemned.append(pod)
        condemned.sort(key=lambda p: -parent_and_ordinal(p["metadata"]["name"])[1])

        status = _count_status(sts, pods, cur_name, upd_name, collision, now)

        first_unhealthy = None
        for pod in replicas + list(reversed(condemned)):
            if pod is not None and is_unhealthy(pod):
                first_unhealthy = pod
                break
            if pod is None:
                break

        ctx = _Context(sts, current_rev, update_rev, status, now, min_ready, start, monotonic)
        self._act(ctx, replicas, condemned, first_unhealthy)

        _complete_rolling_update(sts, status)
        self._write_status(sts, status)
        requeue = None
        if min_ready > 0:
            waits = [available_at(p, min_ready) for p in pods
                     if is_running_ready(p) and not is_available(p, min_ready, now)]
            requeue = min(waits) if waits else None
        return requeue

    def _act(self, ctx: _Context, replicas: List[Any], condemned: List[Obj],
             first_unhealthy: Optional[Obj]) -> None:
        sts = ctx.sts
        if (sts["spec"].get("updateStrategy") or {}).get("type") == "Recreate" and \
                self._recreate(ctx, replicas + condemned):
            return
        for i in range(len(replicas)):
            pod = replicas[i]
            ordinal = ctx.start + i
            if pod is not None and pod.get("status", {}).get("phase") in ("Failed", "Succeeded"):
                if not is_terminating(pod):
                    self._delete_pod(sts, pod)
                if ctx.monotonic:
                    return
                continue
            if pod is None:
                if not self._create_pod(ctx, ordinal):
                    return
                if ctx.monotonic:
                    return
                replicas[i] = "created"
                continue
            if pod.get("status", {}).get("phase") == "Pending":
                create_claims(self.store, sts, pod, ordinal, self._event)
            if ctx.monotonic and (is_terminating(pod) or not is_running_ready(pod) or
                                  not is_available(pod, ctx.min_ready, ctx.now)):
                return
            self._fix_identity(ctx, pod, ordinal)

        for pod in condemned:
            fix_claim_refs(self.store, sts, pod, parent_and_ordinal(pod["metadata"]["name"])[1],
                           True, self._event)
        for pod in condemned:
            if is_terminating(pod):
                if ctx.monotonic:
                    return
                continue
            if ctx.monotonic and pod is not first_unhealthy and (
                    not is_running_ready(pod) or not is_available(pod, ctx.min_ready, ctx.now)):
                return
            self._delete_pod(sts, pod)
            if ctx.monotonic:
                return

        strategy = sts["spec"].get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return
        rolling = strategy.get("rollingUpdate")
        update_min = (rolling or {}).get("partition") or 0 if rolling is not None else 0
        upd_name = ctx.update_rev["metadata"]["name"]
        cur_name = ctx.current_rev["metadata"]["name"]
        if self.maxunavailable_gate and rolling is not None:
            self._rolling_max_unavailable(ctx, replicas, update_min, rolling)
            return
        for target in range(len(replicas) - 1, update_min - 1, -1):
            pod = replicas[target]
            if not isinstance(pod, dict):
                return                                  # created in this sync: wait for it
            if pod_revision(pod) != upd_name and not is_terminating(pod):
                self._delete_pod(sts, pod)
                if pod_revision(pod) == cur_name:
                    ctx.status["currentReplicas"] -= 1
                return
            if is_unhealthy(pod):
                return

    def _recreate(self, ctx: _Context, pods: List[Any]) -> bool:
        """updateStrategy Recreate (KEP-3541, alpha in 1.37, #137187; the StatefulSet page of
        the docs, website #56326): every pod of another revision is deleted at once, and no
        pod is created until all of them are gone, so two revisions never run together.
        Whether the sync stops here (old pods remain)."""
        upd_name = ctx.update_rev["metadata"]["name"]
        old = [p for p in pods if isinstance(p, dict) and pod_revision(p) != upd_name]
        for pod in old:
            if not is_terminating(pod):
                self._delete_pod(ctx.sts, pod)
                if pod_revision(pod) == ctx.current_rev["metadata"]["name"]:
                    ctx.status["currentReplicas"] -= 1
        return bool(old)

    def _rolling_max_unavailable(self, ctx: _Context, replicas: List[Any], update_min: int,
                                 rolling: Obj) -> None:
        upd_name = ctx.update_rev["metadata"]["name"]
        max_unavailable = resolve_max_unavailable(rolling.get("maxUnavailable"), len(replicas))

        def broken_old(p: Any) -> bool:
            return isinstance(p, dict) and pod_revision(p) != upd_name and \
                not is_terminating(p) and not is_available(p, ctx.min_ready, ctx.now)
        fix = not ctx.monotonic and self.parallel_broken_first
        doomed: List[Obj] = []
        if fix:
            # stateful_set_control.go (#137666), Parallel: phase 1 replaces the pods of an old
            # revision that are unavailable already (highest first, at most maxUnavailable a
            # sync); they do not count against the budget of phase 2
            doomed = [p for p in reversed(replicas[update_min:]) if broken_old(p)]
            doomed = doomed[:max_unavailable]
        unavailable = sum(1 for p in replicas if not (fix and broken_old(p)) and (
            not isinstance(p, dict) or is_terminating(p)
            or not is_available(p, ctx.min_ready, ctx.now)))
        budget = max_unavailable - unavailable
        for target in range(len(replicas) - 1, update_min - 1, -1):
            if budget <= 0:
                break
            pod = replicas[target]
            if isinstance(pod, dict) and pod_revision(pod) != upd_name and \
                    not is_terminating(pod) and not (fix and broken_old(pod)):
                doomed.append(pod)
                budget -= 1
        for pod in doomed:
            self._delete_pod(ctx.sts, pod)
            if pod_revision(pod) == ctx.current_rev["metadata"]["name"]:
                ctx.status["currentReplicas"] -= 1

    # -- pods and claims ----------------------------------------------------------------------
    def _new_pod(self, ctx: _Context, ordinal: int) -> Obj:
        sts = ctx.sts
        strategy = sts["spec"].get("updateStrategy") or {}
        rolling = strategy.get("rollingUpdate")
        current_count = (sts.get("status") or {}).get("currentReplicas") or 0
        use_current = (strategy.get("type") == "RollingUpdate" and rolling is None and
                       ordinal < ctx.start + current_count) or \
            (rolling is not None and ordinal < ctx.start + (rolling.get("partition") or 0))
        rev = ctx.current_rev if use_current else ctx.update_rev
        template = revisions.template_from_data(rev["data"])
        name = "%s-%d" % (sts["metadata"]["name"], ordinal)
        tmeta = template.get("metadata") or {}
        labels = dict(tmeta.get("labels") or {})
        labels[REVISION_LABEL] = rev["metadata"]["name"]
        labels[POD_NAME_LABEL] = name
        labels[POD_INDEX_LABEL] = str(ordinal)
        meta = {"name": name, "generateName": sts["metadata"]["name"] + "-",
                "namespace": sts["metadata"]["namespace"], "labels": labels,
                "ownerReferences": [owner_ref(sts)]}
        for field in ("annotations", "finalizers"):
            if tmeta.get(field):
                meta[field] = copy.deepcopy(tmeta[field])
        spec = copy.deepcopy(template.get("spec") or {})
        spec["hostname"] = name
        if sts["spec"].get("serviceName"):
            spec["subdomain"] = sts["spec"]["serviceName"]
        claims = sts["spec"].get("volumeClaimTemplates") or []
        claim_names = {c["metadata"]["name"] for c in claims}
        volumes = [v for v in spec.get("volumes") or [] if v.get("name") not in claim_names]
        for c in claims:
            volumes.append({"name": c["metadata"]["name"], "persistentVolumeClaim": {
                "claimName": claim_name(c["metadata"]["name"], sts["metadata"]["name"], ordinal)}})
        if volumes:
            spec["volumes"] = volumes
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}

    def _create_pod(self, ctx: _Context, ordinal: int) -> bool:
        sts = ctx.sts
        pod = self._new_pod(ctx, ordinal)
        name = pod["metadata"]["name"]
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenScaled") == "Delete" and claims_stale(self.store, sts, name, ordinal):
            return False
        error = create_claims(self.store, sts, pod, ordinal, self._event)
        if error is None:
            try:
                # through admission, as a real controller's create is: the pod gets the API
                # defaults (e.g. enableServiceLinks) and status.phase Pending
                pod = self.store.create(POD, pod, namespace=sts["metadata"]["namespace"])
            except Exception as exc:                   # e.g. the namespace is terminating
                error = str(exc)
                if getattr(exc, "code", None) == 409:
                    # stateful_pod_control.go CreateStatefulPod "sinks" AlreadyExists: the
                    # error is returned (the sync is retried) but no event is recorded
                    self._failed = True
                    return False
        if error is not None:
            self._failed = True
            self._event(sts, "Warning", "FailedCreate",
                        "create Pod %s in StatefulSet %s failed error: %s"
                        % (name, sts["metadata"]["name"], error))
            return False
        self._event(sts, "Normal", "SuccessfulCreate", "create Pod %s in StatefulSet %s successful"
                    % (name, sts["metadata"]["name"]))
        fix_claim_refs(self.store, sts, pod, ordinal, False, self._event)
        return True

    def _fix_identity(self, ctx: _Context, pod: Obj, ordinal: int) -> None:
        labels = pod["metadata"].get("labels") or {}
        name = pod["metadata"]["name"]
        # stateful_set_utils.go identityMatches checks the pod-name label, not the pod-index
        # label; updateIdentity then writes both
        if labels.get(POD_NAME_LABEL) != name:
            fixed = copy.deepcopy(pod)
            fixed["metadata"].setdefault("labels", {}).update(
                {POD_NAME_LABEL: name, POD_INDEX_LABEL: str(ordinal)})
            self.store.update(POD, fixed, internal=True)
            self._event(ctx.sts, "Normal", "SuccessfulUpdate", "update Pod %s in StatefulSet %s "
                        "successful" % (name, ctx.sts["metadata"]["name"]))
        fix_claim_refs(self.store, ctx.sts, pod, ordinal, False, self._event)

    def _delete_pod(self, sts: Obj, pod: Obj) -> None:
        name = pod["metadata"]["name"]
        try:
            self.store.delete(POD, pod["metadata"]["namespace"], name)
        except Exception:
            return
        self._event(sts, "Normal", "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful"
                    % (name, sts["metadata"]["name"]))

    def _event(self, sts: Obj, etype: str, reason: str, message: str) -> None:
        events.record(self.store, sts, etype, reason, message, COMPONENT)

    # -- status (section 5) -------------------------------------------------------------------
    def _write_deleting_status(self, sts: Obj, revs: List[Obj], pods: List[Obj]) -> None:
        """The status of a set with a deletionTimestamp (its revisions are found without
        writing any)."""
        cur_name, upd_name, collision = revisions.deleting_revision_names(sts, revs)
        status = _count_status(sts, pods, cur_name, upd_name, collision, self.store.clock.now())
        _complete_rolling_update(sts, status)
        self._write_status(sts, status)

    def _write_status(self, sts: Obj, status: Obj) -> None:
        fresh = self.store.peek(STS, sts["metadata"]["namespace"], sts["metadata"]["name"])
        if fresh is None:
            return
        old = fresh.get("status") or {}
        keys = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas",
                "availableReplicas", "currentRevision", "updateRevision")
        if status["observedGeneration"] <= (old.get("observedGeneration") or 0) and \
                all(status[k] == (old.get(k) or (0 if k.endswith("Replicas") or k == "replicas"
                                                 else "")) for k in keys):
            return
        out: Obj = {}
        for key, value in status.items():
            if key in ("replicas", "availableReplicas", "collisionCount") or value:
                out[key] = value
        updated = copy.deepcopy(fresh)
        updated["status"] = out
        self.store.update(STS, updated, subresource="status", internal=True)


def _count_status(sts: Obj, pods: List[Obj], cur_name: Optional[str], upd_name: str,
                  collision: int, now: float) -> Obj:
    """stateful_set_control.go computeReplicaStatus over the set's pods."""
    min_ready = sts["spec"].get("minReadySeconds") or 0
    status: Obj = {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": 0,
                   "readyReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0,
                   "availableReplicas": 0, "currentRevision": cur_name,
                   "updateRevision": upd_name, "collisionCount": collision}
    for pod in pods:
        if is_created(pod):
            status["replicas"] += 1
        if is_running_ready(pod):
            status["readyReplicas"] += 1
            if is_available(pod, min_ready, now):
                status["availableReplicas"] += 1
        if is_created(pod) and not is_terminating(pod):
            if pod_revision(pod) == cur_name:
                status["currentReplicas"] += 1
            if pod_revision(pod) == upd_name:
                status["updatedReplicas"] += 1
    return status


def _complete_rolling_update(sts: Obj, status: Obj) -> None:
    """stateful_set_utils.go completeRollingUpdate (called by updateStatefulSetStatus)."""
    count = sts["spec"].get("replicas", 1)
    # Recreate completes as RollingUpdate does (KEP-3541: the same status fields)
    if sts["spec"].get("updateStrategy", {}).get("type") in ("RollingUpdate", "Recreate") and \
            status["updatedReplicas"] == count and status["readyReplicas"] == count and \
            status["replicas"] == count:
        status["currentRevision"] = status["updateRevision"]
        status["currentReplicas"] = status["updatedReplicas"]


class _Context:
    """What one sync's pod loop works with."""

    def __init__(self, sts: Obj, current_rev: Obj, update_rev: Obj, status: Obj, now: float,
                 min_ready: float, start: int, monotonic: bool) -> None:
        self.sts, self.current_rev, self.update_rev, self.status = sts, current_rev, update_rev, status
        self.now, self.min_ready, self.start, self.monotonic = now, min_ready, start, monotonic

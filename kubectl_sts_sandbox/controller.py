"""The simulated StatefulSet controller (kube-controller-manager v1.32:
pkg/controller/statefulset/stateful_set.go sync; stateful_set_control.go UpdateStatefulSet,
updateStatefulSet, processReplica, processCondemned, runForAll, slowStartBatch,
updateStatefulSetStatus; stateful_pod_control.go CreateStatefulPod, UpdateStatefulPod,
DeleteStatefulPod, recordPodEvent). One `sync` is one reconcile of one set: the pod loop and
the status are here; adopting and releasing is ownership.py, the revision history
revisions.py, the pods as built and the claims of each ordinal volumeclaims.py."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from kubectl_sts.k8s.selectors import selector_from_label_selector
from kubectl_sts.k8s.statefulset import parent_and_ordinal, pod_revision, resolve_max_unavailable
from . import events, revisions, volumeclaims
from .podstates import (available_at, is_available, is_created, is_running_ready,
                        is_terminating, is_unhealthy)
from .ownership import claim_objects
from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
# what one replica's step returns: (whether a monotonic sync stops there, its error or None)
Step = Tuple[bool, Optional[str]]
STS = BY_KIND["StatefulSet"]
POD = BY_KIND["Pod"]
MAX_BATCH = 500                # stateful_set_control.go MaxBatchSize

COMPONENT = "statefulset-controller"


def start_ordinal(sts: Obj) -> int:
    return ((sts["spec"].get("ordinals") or {}).get("start") or 0)


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
        # UpdateStatefulSet: truncateHistory with the revisions listed and the pods claimed
        # before the update (a revision this sync made is the update revision: live)
        if revisions.truncate_history(self.store, sts, revs, pods, current_rev, update_rev):
            self._failed = True
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

    def _claim_pods(self, sts: Obj, reqs: Any) -> List[Obj]:
        name = sts["metadata"]["name"]
        pods = claim_objects(self.store, POD, sts, reqs,
                             accept=lambda p: parent_and_ordinal(p["metadata"]["name"])[0] == name)
        return [p for p in pods if parent_and_ordinal(p["metadata"]["name"])[0] == name]

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
        """updateStatefulSet after the status is counted: each replica (processReplica),
        the claims of the condemned pods (fixPodClaim), the condemned pods
        (processCondemned), then the rolling update."""
        if (ctx.sts["spec"].get("updateStrategy") or {}).get("type") == "Recreate" and \
                self._recreate(ctx, replicas + condemned):
            return
        if self._run_for_all(len(replicas), lambda i: self._process_replica(ctx, replicas, i),
                             ctx.monotonic):
            return
        if self._run_for_all(len(condemned), lambda i: self._fix_condemned(ctx, condemned[i]),
                             ctx.monotonic):
            return
        if self._run_for_all(len(condemned), lambda i: self._process_condemned(
                ctx, condemned[i], first_unhealthy), ctx.monotonic):
            return

        strategy = ctx.sts["spec"].get("updateStrategy") or {}
        if strategy.get("type") == "OnDelete":
            return
        rolling = strategy.get("rollingUpdate")
        update_min = (rolling or {}).get("partition") or 0 if rolling is not None else 0
        upd_name = ctx.update_rev["metadata"]["name"]
        if self.maxunavailable_gate and rolling is not None:
            self._rolling_max_unavailable(ctx, replicas, update_min, rolling)
            return
        for target in range(len(replicas) - 1, update_min - 1, -1):
            pod = replicas[target]
            if not isinstance(pod, dict):
                return                                  # created in this sync: wait for it
            if pod_revision(pod) != upd_name and not is_terminating(pod):
                self._delete_for_update(ctx, pod)
                return
            if is_unhealthy(pod):
                return

    def _run_for_all(self, count: int, fn: Callable[[int], Step], monotonic: bool) -> bool:
        """runForAll: in order, stopping at the first item that blocks or fails (monotonic),
        else slowStartBatch's batches of 1, 2, 4, ... (at most 500) where only a failure
        stops, after its batch. True when the sync goes no further; a failure fails it."""
        if monotonic:
            for i in range(count):
                stop, error = fn(i)
                if error is not None:
                    self._failed = True
                if stop or error is not None:
                    return True
            return False
        done, batch = 0, 1
        while done < count:
            size = min(batch, count - done)
            failed = [e for e in (fn(i)[1] for i in range(done, done + size)) if e is not None]
            if failed:
                self._failed = True
                return True
            done += size
            batch = min(2 * size, MAX_BATCH)
        return False

    def _process_replica(self, ctx: _Context, replicas: List[Any], i: int) -> Step:
        """processReplica: (whether a monotonic sync stops here, the error)."""
        sts, pod, ordinal = ctx.sts, replicas[i], ctx.start + i
        if pod is not None and pod.get("status", {}).get("phase") in ("Failed", "Succeeded"):
            failed = None if is_terminating(pod) else self._delete_pod(sts, pod)
            return True, None if failed is None else str(failed)  # made again once it is gone
        if pod is None:
            name = "%s-%d" % (sts["metadata"]["name"], ordinal)
            if volumeclaims.pod_claim_is_stale(self.store, sts, name, ordinal):
                return True, None
            created = self._create_pod(ctx, ordinal)
            if created is not None:
                return True, created
            replicas[i] = "created"
            return ctx.monotonic, None  # as built it matches its identity, storage and claims
        error: Optional[str] = None
        if pod.get("status", {}).get("phase") == "Pending":
            # createMissingPersistentVolumeClaims: the claims, then their owner references
            error = volumeclaims.create_claims(self.store, sts, pod, ordinal, self._event)
            if error is None:
                error = volumeclaims.update_claims_for_retention_policy(self.store, sts, pod,
                                                                        self._event)
                if error is not None:
                    self._pod_event(sts, "update", pod["metadata"]["name"], error)
            if error is not None:
                return True, error
        if ctx.monotonic and (is_terminating(pod) or not is_running_ready(pod) or
                              not is_available(pod, ctx.min_ready, ctx.now)):
            return True, None
        if volumeclaims.identity_matches(sts, pod) and volumeclaims.storage_matches(sts, pod) and \
                volumeclaims.claims_match_retention_policy(self.store, sts, pod):
            return False, None
        error = self._update_stateful_pod(sts, pod)
        return error is not None, error

    def _fix_condemned(self, ctx: _Context, pod: Obj) -> Step:
        """fixPodClaim: the owner references of a condemned pod's claims (no event)."""
        if volumeclaims.claims_match_retention_policy(self.store, ctx.sts, pod):
            return False, None
        error = volumeclaims.update_claims_for_retention_policy(self.store, ctx.sts, pod,
                                                                self._event)
        return error is not None, error

    def _process_condemned(self, ctx: _Context, pod: Obj,
                           first_unhealthy: Optional[Obj]) -> Step:
        if is_terminating(pod):
            return ctx.monotonic, None
        if ctx.monotonic and pod is not first_unhealthy and (
                not is_running_ready(pod) or not is_available(pod, ctx.min_ready, ctx.now)):
            return True, None
        error = self._delete_pod(ctx.sts, pod)
        return True, None if error is None else str(error)

    def _recreate(self, ctx: _Context, pods: List[Any]) -> bool:
        """updateStrategy Recreate (KEP-3541, alpha in 1.37, #137187; the StatefulSet page of
        the docs, website #56326): every pod of another revision is deleted at once, and no
        pod is created until all of them are gone, so two revisions never run together.
        Whether the sync stops here (old pods remain)."""
        upd_name = ctx.update_rev["metadata"]["name"]
        old = [p for p in pods if isinstance(p, dict) and pod_revision(p) != upd_name]
        for pod in old:
            if not is_terminating(pod) and self._delete_for_update(ctx, pod):
                break
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
            if self._delete_for_update(ctx, pod):
                return

    def _delete_for_update(self, ctx: _Context, pod: Obj) -> bool:
        """Delete a pod not at the update revision; True when that failed. currentReplicas
        goes down by one whatever the pod's revision (a pod of a third revision was never
        counted: upstream decrements unconditionally); a pod already gone is no error."""
        error = self._delete_pod(ctx.sts, pod)
        if error is not None and getattr(error, "code", None) != 404:
            self._failed = True
            return True
        ctx.status["currentReplicas"] -= 1
        return False

    # -- pods and claims (stateful_pod_control.go) --------------------------------------------
    def _create_pod(self, ctx: _Context, ordinal: int) -> Optional[str]:
        """CreateStatefulPod: the claims, then the pod (through admission, as a real
        controller's create is: it gets the API defaults and status.phase Pending), then the
        claims' owner references with the pod as built (no uid yet), and only then the
        create's event. AlreadyExists is an error without an event ("sinks")."""
        sts = ctx.sts
        pod = volumeclaims.new_pod(sts, ctx.current_rev, ctx.update_rev, ctx.start, ordinal)
        name = pod["metadata"]["name"]
        error = volumeclaims.create_claims(self.store, sts, pod, ordinal, self._event)
        if error is None:
            try:
                self.store.create(POD, pod, namespace=sts["metadata"]["namespace"])
            except Exception as exc:                   # e.g. the namespace is terminating
                if getattr(exc, "code", None) == 409:
                    return str(exc)
                error = str(exc)
            claims_error = volumeclaims.update_claims_for_retention_policy(self.store, sts, pod,
                                                                           self._event)
            if claims_error is not None:
                self._pod_event(sts, "update", name, claims_error)
                return claims_error
        self._pod_event(sts, "create", name, error)
        return error

    def _update_stateful_pod(self, sts: Obj, pod: Obj) -> Optional[str]:
        """UpdateStatefulPod: the identity labels, the claim volumes (and missing claims), the
        claims' owner references; then one PUT of the pod, retried on conflicts, and one
        SuccessfulUpdate (or FailedUpdate) event, also when only the claims changed (the PUT
        of an unchanged pod writes nothing: it is skipped here)."""
        name, ns = pod["metadata"]["name"], pod["metadata"]["namespace"]
        error: Optional[str] = None
        for _ in range(4):                      # retry.RetryOnConflict(retry.DefaultBackoff)
            new = copy.deepcopy(pod)
            consistent = True
            if not volumeclaims.identity_matches(sts, new):
                volumeclaims.update_identity(sts, new)
                consistent = False
            if not volumeclaims.storage_matches(sts, new):
                volumeclaims.update_storage(sts, new)
                consistent = False
                error = volumeclaims.create_claims(self.store, sts, new,
                                                   parent_and_ordinal(name)[1], self._event)
                if error is not None:
                    self._pod_event(sts, "update", name, error)
                    return error
            if not volumeclaims.claims_match_retention_policy(self.store, sts, new):
                error = volumeclaims.update_claims_for_retention_policy(self.store, sts, new,
                                                                        self._event)
                if error is not None:
                    self._pod_event(sts, "update", name, error)
                    return error
                consistent = False
            if consistent:
                return None
            try:
                if new != pod:
                    self.store.update(POD, new)     # a PUT: validated as any pod update
                error = None
                break
            except Exception as exc:
                error = str(exc)
                fresh = self.store.peek(POD, ns, name)
                if getattr(exc, "code", None) != 409 or fresh is None:
                    break
                pod = fresh
        self._pod_event(sts, "update", name, error)
        return error

    def _delete_pod(self, sts: Obj, pod: Obj) -> Optional[Exception]:
        """DeleteStatefulPod: the delete and its event, SuccessfulDelete or FailedDelete."""
        name = pod["metadata"]["name"]
        try:
            self.store.delete(POD, pod["metadata"]["namespace"], name)
        except Exception as exc:
            self._pod_event(sts, "delete", name, str(exc))
            return exc
        self._pod_event(sts, "delete", name)
        return None

    def _pod_event(self, sts: Obj, verb: str, pod_name: str, error: Optional[str] = None) -> None:
        """recordPodEvent: Successful<Verb> "<verb> Pod P in StatefulSet S successful", or
        Warning Failed<Verb> "... failed error: <error>"."""
        if error is None:
            self._event(sts, "Normal", "Successful" + verb.title(), "%s Pod %s in StatefulSet "
                        "%s successful" % (verb, pod_name, sts["metadata"]["name"]))
        else:
            self._event(sts, "Warning", "Failed" + verb.title(), "%s Pod %s in StatefulSet %s "
                        "failed error: %s" % (verb, pod_name, sts["metadata"]["name"], error))

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
        if any(status[k] < 0 for k in keys if k.endswith("eplicas")):
            # ValidateStatefulSetStatus refuses a negative count (currentReplicas after the
            # decrement for a pod of a third revision): the update fails, the sync is retried
            self._failed = True
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

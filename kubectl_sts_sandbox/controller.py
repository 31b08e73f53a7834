"""The simulated StatefulSet controller (kube-controller-manager v1.32 behaviour; see
shared/docs/statefulset-semantics.md sections 1-6). One `sync` is one reconcile of one set."""

import copy
import json
import re

from . import events, revisions
from .clock import parse_rfc3339
from .resources import BY_KIND
from kubectl_sts.k8s.selectors import matches_labels, selector_from_label_selector

STS = BY_KIND["StatefulSet"]
POD = BY_KIND["Pod"]
PVC = BY_KIND["PersistentVolumeClaim"]
CR = BY_KIND["ControllerRevision"]

_NAME_RE = re.compile(r"^(.*)-([0-9]+)$")
REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
COMPONENT = "statefulset-controller"


def parse_ordinal(name):
    m = _NAME_RE.match(name)
    return (m.group(1), int(m.group(2))) if m else (None, -1)


def is_created(pod):
    return pod is not None and bool((pod.get("status") or {}).get("phase"))


def is_terminating(pod):
    return pod is not None and bool(pod["metadata"].get("deletionTimestamp"))


def ready_condition(pod):
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "Ready":
            return cond
    return None


def is_running_ready(pod):
    if pod is None or (pod.get("status") or {}).get("phase") != "Running":
        return False
    cond = ready_condition(pod)
    return cond is not None and cond.get("status") == "True"


def available_at(pod, min_ready):
    """Simulated time from which a Running&Ready pod counts as available."""
    cond = ready_condition(pod)
    since = parse_rfc3339(cond.get("lastTransitionTime")) if cond else None
    return (since or 0) + min_ready


def is_available(pod, min_ready, now):
    if not is_running_ready(pod):
        return False
    return min_ready <= 0 or available_at(pod, min_ready) <= now


def is_unhealthy(pod):
    return not is_running_ready(pod) or is_terminating(pod)


def pod_revision(pod):
    return ((pod or {}).get("metadata", {}).get("labels") or {}).get(REVISION_LABEL, "")


def owner_ref(obj, block=True):
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": obj["metadata"]["name"],
            "uid": obj["metadata"]["uid"], "controller": True, "blockOwnerDeletion": block}


def controller_of(obj):
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def start_ordinal(sts):
    return ((sts["spec"].get("ordinals") or {}).get("start") or 0)


def claim_name(template_name, sts_name, ordinal):
    return "%s-%s-%d" % (template_name, sts_name, ordinal)


def resolve_max_unavailable(value, replicas):
    if value is None:
        return 1
    if isinstance(value, str) and value.endswith("%"):
        result = int(replicas * int(value[:-1]) / 100)   # rounded down in code
    else:
        result = int(value)
    return max(1, result)


class StatefulSetController:
    def __init__(self, store, maxunavailable_gate=False):
        self.store = store
        self.maxunavailable_gate = maxunavailable_gate
        self.failures = {}        # (ns, name) -> failed syncs in a row (the rate limiter's count)
        self._failed = False      # whether the sync under way hit an error

    # -- entry point --------------------------------------------------------------------------
    def sync(self, namespace, name):
        """Reconcile one StatefulSet. Returns a simulated time at which to sync again, or None."""
        sts = self.store.peek(STS, namespace, name)
        if sts is None:
            self.failures.pop((namespace, name), None)
            return None
        reqs = selector_from_label_selector(sts["spec"].get("selector"))
        revs = self._claim_revisions(sts, reqs)
        pods = self._claim_pods(sts, reqs)
        if sts["metadata"].get("deletionTimestamp"):
            # stateful_set_control.go updateStatefulSet: a set being deleted gets its status
            # computed and written, nothing else (the garbage collector removes the pods)
            self._write_deleting_status(sts, revs, pods)
            return None
        collision = (sts.get("status") or {}).get("collisionCount") or 0
        current_rev, update_rev, collision = self._resolve_revisions(sts, revs, collision)
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

    # -- ownership ----------------------------------------------------------------------------
    def _claim(self, rt, sts, reqs, accept_name=None):
        uid = sts["metadata"]["uid"]
        items, _ = self.store.list(rt, sts["metadata"]["namespace"])
        owned = []
        for obj in items:
            if accept_name is not None and not accept_name(obj):
                continue                # ClaimPods' filter (isMemberOf): neither kept nor released
            ref = controller_of(obj)
            selected = bool(reqs) and matches_labels(reqs, obj["metadata"].get("labels"))
            if ref is not None and ref.get("uid") == uid:
                if selected or sts["metadata"].get("deletionTimestamp"):
                    owned.append(obj)
                else:                                  # release what stopped matching
                    obj = copy.deepcopy(obj)
                    refs = [r for r in obj["metadata"]["ownerReferences"] if r.get("uid") != uid]
                    if refs:
                        obj["metadata"]["ownerReferences"] = refs
                    else:                              # omitempty: no empty list is served
                        del obj["metadata"]["ownerReferences"]
                    self.store.update(rt, obj, internal=True)
            elif ref is None and selected and not obj["metadata"].get("deletionTimestamp") and \
                    not sts["metadata"].get("deletionTimestamp"):
                obj = copy.deepcopy(obj)             # adopt an orphan
                obj["metadata"].setdefault("ownerReferences", []).append(owner_ref(sts))
                owned.append(self.store.update(rt, obj, internal=True))
        return owned

    def _claim_revisions(self, sts, reqs):
        revs = self._claim(CR, sts, reqs)
        revs.sort(key=lambda r: (r.get("revision", 0), r["metadata"]["creationTimestamp"],
                                 r["metadata"]["name"]))
        return revs

    def _claim_pods(self, sts, reqs):
        name = sts["metadata"]["name"]
        pods = self._claim(POD, sts, reqs,
                           accept_name=lambda p: parse_ordinal(p["metadata"]["name"])[0] == name)
        return [p for p in pods if parse_ordinal(p["metadata"]["name"])[0] == name]

    # -- revisions (section 2) ----------------------------------------------------------------
    def _resolve_revisions(self, sts, revs, collision):
        raw = revisions.revision_data(sts["spec"]["template"])
        equal = [r for r in revs if _raw(r) == raw]
        max_rev = max([r.get("revision", 0) for r in revs] or [0])
        if equal and equal[-1] is revs[-1]:
            update_rev = revs[-1]
        elif equal:
            renumbered = copy.deepcopy(equal[-1])
            renumbered["revision"] = max_rev + 1
            update_rev = self.store.update(CR, renumbered, internal=True)
        else:
            update_rev, collision = self._create_revision(sts, raw, max_rev + 1, collision)
        current_name = (sts.get("status") or {}).get("currentRevision")
        current_rev = update_rev
        for r in revs:
            if r["metadata"]["name"] == current_name:
                current_rev = r
        if current_name == update_rev["metadata"]["name"]:
            current_rev = update_rev
        return current_rev, update_rev, collision

    def _create_revision(self, sts, raw, number, collision):
        ns = sts["metadata"]["namespace"]
        while True:
            hash_ = revisions.revision_hash(raw, collision)
            name = revisions.revision_name(sts["metadata"]["name"], hash_)
            existing = self.store.peek(CR, ns, name)
            if existing is None:
                labels = dict(sts["spec"]["template"].get("metadata", {}).get("labels") or {})
                labels["controller.kubernetes.io/hash"] = hash_
                cr = {"metadata": {"name": name, "namespace": ns, "labels": labels,
                                   "ownerReferences": [owner_ref(sts)]},
                      "data": json.loads(raw), "revision": number}
                if sts["metadata"].get("annotations"):
                    cr["metadata"]["annotations"] = dict(sts["metadata"]["annotations"])
                return self.store.create(CR, cr, namespace=ns, internal=True), collision
            if _raw(existing) == raw:
                return existing, collision
            collision += 1

    def _prune_revisions(self, sts, reqs, current_rev, update_rev):
        sts = self.store.peek(STS, sts["metadata"]["namespace"], sts["metadata"]["name"])
        if sts is None:
            return
        revs = self._claim_revisions(sts, reqs)
        pods = self._claim_pods(sts, reqs)
        live = {current_rev["metadata"]["name"], update_rev["metadata"]["name"]}
        live.update(pod_revision(p) for p in pods)
        history = [r for r in revs if r["metadata"]["name"] not in live]
        limit = sts["spec"].get("revisionHistoryLimit", 10)
        for r in history[:max(0, len(history) - limit)]:
            self.store.delete(CR, r["metadata"]["namespace"], r["metadata"]["name"])

    # -- the reconcile loop (section 3) -------------------------------------------------------
    def _reconcile(self, sts, pods, current_rev, update_rev, collision):
        spec = sts["spec"]
        now = self.store.clock.now()
        min_ready = spec.get("minReadySeconds") or 0
        start = start_ordinal(sts)
        count = spec.get("replicas", 1)
        monotonic = spec.get("podManagementPolicy", "OrderedReady") != "Parallel"
        cur_name, upd_name = current_rev["metadata"]["name"], update_rev["metadata"]["name"]

        replicas = [None] * count
        condemned = []
        for pod in pods:
            ordinal = parse_ordinal(pod["metadata"]["name"])[1]
            if start <= ordinal < start + count:
                replicas[ordinal - start] = pod
            else:
                condemned.append(pod)
        condemned.sort(key=lambda p: -parse_ordinal(p["metadata"]["name"])[1])

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

    def _act(self, ctx, replicas, condemned, first_unhealthy):
        sts = ctx.sts
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
                self._create_claims(sts, pod, ordinal)
            if ctx.monotonic and (is_terminating(pod) or not is_running_ready(pod) or
                                  not is_available(pod, ctx.min_ready, ctx.now)):
                return
            self._fix_identity(ctx, pod, ordinal)

        for pod in condemned:
            self._fix_claim_refs(sts, pod, condemned=True)
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

    def _rolling_max_unavailable(self, ctx, replicas, update_min, rolling):
        upd_name = ctx.update_rev["metadata"]["name"]
        max_unavailable = resolve_max_unavailable(rolling.get("maxUnavailable"), len(replicas))
        unavailable = sum(1 for p in replicas if not isinstance(p, dict) or is_terminating(p)
                          or not is_available(p, ctx.min_ready, ctx.now))
        if unavailable >= max_unavailable:
            return
        doomed = []
        for target in range(len(replicas) - 1, update_min - 1, -1):
            pod = replicas[target]
            if isinstance(pod, dict) and pod_revision(pod) != upd_name and not is_terminating(pod):
                doomed.append(pod)
            if len(doomed) >= max_unavailable - unavailable:
                break
        for pod in doomed:
            self._delete_pod(ctx.sts, pod)
            if pod_revision(pod) == ctx.current_rev["metadata"]["name"]:
                ctx.status["currentReplicas"] -= 1

    # -- pods and claims ----------------------------------------------------------------------
    def _new_pod(self, ctx, ordinal):
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

    def _create_pod(self, ctx, ordinal):
        sts = ctx.sts
        pod = self._new_pod(ctx, ordinal)
        name = pod["metadata"]["name"]
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        if policy.get("whenScaled") == "Delete" and self._claims_stale(sts, name, ordinal):
            return False
        error = self._create_claims(sts, pod, ordinal)
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
        self._fix_claim_refs(sts, pod, condemned=False)
        return True

    def _claims(self, sts, ordinal):
        for tmpl in sts["spec"].get("volumeClaimTemplates") or []:
            yield tmpl, claim_name(tmpl["metadata"]["name"], sts["metadata"]["name"], ordinal)

    def _claims_stale(self, sts, pod_name, ordinal):
        for _, cname in self._claims(sts, ordinal):
            claim = self.store.peek(PVC, sts["metadata"]["namespace"], cname)
            for ref in (claim or {}).get("metadata", {}).get("ownerReferences") or []:
                if ref.get("kind") == "Pod" and ref.get("name") == pod_name:
                    return True
        return False

    def _create_claims(self, sts, pod, ordinal):
        ns = sts["metadata"]["namespace"]
        for tmpl, cname in self._claims(sts, ordinal):
            claim = self.store.peek(PVC, ns, cname)
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
                self.store.create(PVC, claim, namespace=ns)
            except Exception as exc:
                return str(exc)
            self._event(sts, "Normal", "SuccessfulCreate",
                        "create Claim %s Pod %s in StatefulSet %s success"
                        % (cname, pod["metadata"]["name"], sts["metadata"]["name"]))
        return None

    def _fix_claim_refs(self, sts, pod, condemned):
        policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
        when_deleted = policy.get("whenDeleted", "Retain")
        when_scaled = policy.get("whenScaled", "Retain")
        ordinal = parse_ordinal(pod["metadata"]["name"])[1]
        sts_uid = sts["metadata"]["uid"]
        pod_uid = pod["metadata"].get("uid")
        wanted = []
        if condemned and when_scaled == "Delete":
            wanted = [owner_ref(pod)]
        elif when_deleted == "Delete":
            wanted = [owner_ref(sts)]
        for _, cname in self._claims(sts, ordinal):
            claim = self.store.peek(PVC, sts["metadata"]["namespace"], cname)
            if claim is None or claim["metadata"].get("deletionTimestamp"):
                continue
            refs = claim["metadata"].get("ownerReferences") or []
            ours = [r for r in refs if r.get("uid") in (sts_uid, pod_uid)]
            others = [r for r in refs if r.get("uid") not in (sts_uid, pod_uid)]
            if any(r.get("controller") and not _stale_pod_ref(r, pod) for r in others):
                self._event(sts, "Warning", "ConflictingController",
                            "found a conflicting controller reference on claim %s" % cname)
                continue
            if _ref_keys(ours) == _ref_keys(wanted):
                continue
            claim = copy.deepcopy(claim)
            claim["metadata"]["ownerReferences"] = others + wanted
            if not claim["metadata"]["ownerReferences"]:
                del claim["metadata"]["ownerReferences"]
            self.store.update(PVC, claim, internal=True)

    def _fix_identity(self, ctx, pod, ordinal):
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
        self._fix_claim_refs(ctx.sts, pod, condemned=False)

    def _delete_pod(self, sts, pod):
        name = pod["metadata"]["name"]
        try:
            self.store.delete(POD, pod["metadata"]["namespace"], name)
        except Exception:
            return
        self._event(sts, "Normal", "SuccessfulDelete", "delete Pod %s in StatefulSet %s successful"
                    % (name, sts["metadata"]["name"]))

    def _event(self, sts, etype, reason, message):
        events.record(self.store, sts, etype, reason, message, COMPONENT)

    # -- status (section 5) -------------------------------------------------------------------
    def _write_deleting_status(self, sts, revs, pods):
        """The status of a set with a deletionTimestamp. The revisions are found without
        writing any: a real controller would (re)create the update revision here, which the
        garbage collector deletes again; the names it reports are the same."""
        raw = revisions.revision_data(sts["spec"]["template"])
        collision = (sts.get("status") or {}).get("collisionCount") or 0
        equal = [r for r in revs if _raw(r) == raw]
        if equal:
            upd_name = equal[-1]["metadata"]["name"]
        else:
            upd_name = revisions.revision_name(sts["metadata"]["name"],
                                               revisions.revision_hash(raw, collision))
        cur_name = (sts.get("status") or {}).get("currentRevision")
        if cur_name not in {r["metadata"]["name"] for r in revs}:
            cur_name = upd_name
        status = _count_status(sts, pods, cur_name, upd_name, collision, self.store.clock.now())
        _complete_rolling_update(sts, status)
        self._write_status(sts, status)

    def _write_status(self, sts, status):
        fresh = self.store.peek(STS, sts["metadata"]["namespace"], sts["metadata"]["name"])
        if fresh is None:
            return
        old = fresh.get("status") or {}
        keys = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas",
                "availableReplicas", "currentRevision", "updateRevision")
        if status["observedGeneration"] <= (old.get("observedGeneration") or 0) and \
                all(status[k] == (old.get(k) or (0 if k.endswith("Replicas") or k == "replicas" else ""))
                    for k in keys):
            return
        out = {}
        for key, value in status.items():
            if key in ("replicas", "availableReplicas", "collisionCount") or value:
                out[key] = value
        updated = copy.deepcopy(fresh)
        updated["status"] = out
        self.store.update(STS, updated, subresource="status", internal=True)


def _count_status(sts, pods, cur_name, upd_name, collision, now):
    """stateful_set_control.go computeReplicaStatus over the set's pods."""
    min_ready = sts["spec"].get("minReadySeconds") or 0
    status = {"observedGeneration": sts["metadata"].get("generation", 1), "replicas": 0,
              "readyReplicas": 0, "currentReplicas": 0, "updatedReplicas": 0,
              "availableReplicas": 0, "currentRevision": cur_name, "updateRevision": upd_name,
              "collisionCount": collision}
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


def _complete_rolling_update(sts, status):
    """stateful_set_utils.go completeRollingUpdate (called by updateStatefulSetStatus)."""
    count = sts["spec"].get("replicas", 1)
    if sts["spec"].get("updateStrategy", {}).get("type") == "RollingUpdate" and \
            status["updatedReplicas"] == count and status["readyReplicas"] == count and \
            status["replicas"] == count:
        status["currentRevision"] = status["updateRevision"]
        status["currentReplicas"] = status["updatedReplicas"]


class _Context:
    def __init__(self, sts, current_rev, update_rev, status, now, min_ready, start, monotonic):
        self.sts, self.current_rev, self.update_rev, self.status = sts, current_rev, update_rev, status
        self.now, self.min_ready, self.start, self.monotonic = now, min_ready, start, monotonic


def _raw(cr):
    return revisions.go_json(cr.get("data"))


def _ref_keys(refs):
    return sorted((r.get("kind"), r.get("uid")) for r in refs)


def _stale_pod_ref(ref, pod):
    return ref.get("kind") == "Pod" and ref.get("name") == pod["metadata"]["name"]

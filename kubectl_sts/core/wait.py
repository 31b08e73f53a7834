"""`kubectl sts wait`: whether a StatefulSet is done, has failed, or is only still going.

Pure: `judge(sts, pods, claims, mode, ondelete, now, book, progress_deadline)` looks at plain
API objects and the caller's bookkeeping (`book`: when the progress counters last changed,
when each pod was first seen unschedulable, each claim Pending), with `now` on the caller's
clock. It returns a dict: state ("done", "failed", "stalled", "pending-delete", "waiting"),
a one-line message, the rows still waited for, and when to look again without an event.
Under `--for rollout`, a template replaced or a partition moved back by another writer
(core/drift.py, against the set as the wait first saw it and this tool's record) ends the wait
in state "moved"; what else another writer moved is in `moved` (the lines), for notes."""

from typing import Any, Dict, List, Optional

from ..k8s import statefulset as facts
from ..k8s.conditions import find_condition
from ..k8s.statefulset import pod_revision
from .pods import is_ready, pod_failure

Obj = Dict[str, Any]


def new_book() -> Obj:
    """`left`: the set as the wait first saw it (core/drift.left_of)."""
    return {"signature": None, "changed": None, "unschedulable": {}, "pending": {},
            "left": None}


def progress_signature(sts: Optional[Obj]) -> Any:
    """What counts as progress: the counts and the current revision the controller reports."""
    status = (sts or {}).get("status") or {}
    return (status.get("updatedReplicas", 0), status.get("readyReplicas", 0),
            status.get("availableReplicas", 0), status.get("currentRevision"),
            status.get("replicas", 0), status.get("observedGeneration"))


def _unschedulable(pod: Obj) -> Optional[str]:
    """The scheduler's message when it cannot place the pod (PodScheduled False,
    Unschedulable), else None."""
    cond = find_condition(pod, "PodScheduled")
    if cond is not None and cond.get("status") == "False" and \
            cond.get("reason") == "Unschedulable":
        return cond.get("message") or "Unschedulable"
    return None


def _first_seen(seen: Dict[str, float], keys: List[str], now: float) -> Dict[str, float]:
    return {k: seen.get(k, now) for k in keys}


def judge(sts: Optional[Obj], pods: List[Obj], claims: List[Obj], mode: str, ondelete: str,
          now: float, book: Obj, progress_deadline: float) -> Obj:
    """See the module's docstring. `mode`: rollout, ready or deleted; `ondelete`: wait or
    report. Updates `book` in place (the caller keeps it between calls)."""
    if mode == "deleted":
        if sts is None:
            return {"state": "done", "message": "deleted", "waiting": [], "wake": None}
        return {"state": "waiting", "message": "statefulset %s still exists"
                % sts["metadata"]["name"], "waiting": [], "wake": None}
    if sts is None:
        return {"state": "failed", "message": "the StatefulSet was deleted", "waiting": [],
                "wake": None, "failure": None}
    from .drift import drift, left_of, line
    if book.get("left") is None:
        book["left"] = left_of(sts)
    moved = drift(book["left"], sts)
    if mode == "rollout" and any(c["blocks"] for c in moved):
        return {"state": "moved", "message": line(moved), "waiting": [], "wake": None,
                "moved": [line([c]) for c in moved]}
    result = _judge(sts, pods, claims, mode, ondelete, now, book, progress_deadline)
    if moved:
        result["moved"] = [line([c]) for c in moved]
    return result


def _judge(sts: Obj, pods: List[Obj], claims: List[Obj], mode: str, ondelete: str,
           now: float, book: Obj, progress_deadline: float) -> Obj:
    signature = progress_signature(sts)
    if signature != book["signature"]:
        book["signature"], book["changed"] = signature, now
    name = sts["metadata"]["name"]
    status = sts.get("status") or {}
    update = status.get("updateRevision") or ""
    by_ordinal = facts.pods_by_ordinal(name, pods)
    ordinals = list(facts.ordinals(sts))
    on_delete = facts.strategy_type(sts) == "OnDelete"
    partition = 0 if on_delete else (facts.effective_partition(sts) or 0)
    first_updated = facts.start(sts) + partition
    waiting: List[Obj] = []

    # fail fast on what the one diagnosis says fails fast: an updated pod that fails, a pod
    # the controller will not replace by itself (the forced-rollback trap)
    from .diagnosis import Facts, diagnose, fails_fast
    diagnosis = diagnose(Facts(sts=sts, pods=pods, claims=claims))
    verdicts = {row["ordinal"]: row for row in diagnosis["ordinals"]}
    row = fails_fast(diagnosis)
    if row is not None:
        from .rollout.stuck import set_verdict, verdict_text
        failed_pod = by_ordinal[row["ordinal"]]
        failure = pod_failure(failed_pod) or {"reason": row["verdict"], "container": None,
                                              "message": row["cause"]}
        verdict = set_verdict(sts, diagnosis)
        if verdict is not None and verdict["pod"] == row["pod"]:
            return _failed(failed_pod, failure, verdict_text(verdict))
        if row["verdict"] == "stuck":
            return _failed(failed_pod, dict(failure, message=row["cause"]),
                           "%s is stuck: %s" % (row["pod"], row["cause"]))
        return _failed(failed_pod, failure, "%s %s%s: %s" % (
            row["pod"], failure["reason"],
            " (container %s)" % failure["container"] if failure["container"] else "",
            failure["message"] or "no message"))

    # what takes longer than the progress deadline fails too: unschedulable pods, claims
    # that stay Pending
    unschedulable = {p["metadata"]["name"]: _unschedulable(p) for p in pods
                     if _unschedulable(p)}
    book["unschedulable"] = _first_seen(book["unschedulable"], list(unschedulable), now)
    pending_claims = {c["metadata"]["name"]: c for c in claims
                       if (c.get("status") or {}).get("phase") == "Pending"}
    book["pending"] = _first_seen(book["pending"], list(pending_claims), now)
    wake = None
    for pod_name, since in sorted(book["unschedulable"].items()):
        if now - since >= progress_deadline:
            return _failed(None, {"reason": "Unschedulable", "container": None,
                                  "message": unschedulable[pod_name]},
                           "%s has been unschedulable for %.0fs: %s" % (
                               pod_name, now - since, unschedulable[pod_name]))
        wake = _sooner(wake, since + progress_deadline)
    for claim_name, since in sorted(book["pending"].items()):
        if now - since >= progress_deadline:
            return _failed(None, {"reason": "ClaimPending", "container": None,
                                  "message": "PVC %s is Pending" % claim_name},
                           "PVC %s has been Pending for %.0fs" % (claim_name, now - since))
        wake = _sooner(wake, since + progress_deadline)

    # done?
    if status.get("observedGeneration", 0) < sts["metadata"].get("generation", 1):
        waiting.append({"pod": None, "why": "the controller has not observed the latest spec"})
    to_delete = []
    # progress names only pods that exist or come next: under OrderedReady the controller
    # makes a missing ordinal only once every ordinal below it is Ready
    ordered = facts.pod_management(sts) != "Parallel"
    held = None
    for ordinal in ordinals:
        pod = by_ordinal.get(ordinal)
        pod_name = facts.pod_name(name, ordinal)
        if pod is None:
            if not (ordered and held):
                waiting.append({"pod": pod_name, "why": "not created yet"})
            held = held or pod_name
        elif pod["metadata"].get("deletionTimestamp"):
            held = held or pod_name
            waiting.append({"pod": pod_name, "why": "terminating"})
        elif not is_ready(pod):
            held = held or pod_name
            verdict = verdicts.get(ordinal) or {}
            waiting.append({"pod": pod_name, "why": "not Ready" if verdict.get(
                "verdict") in (None, "progressing", "healthy") else "%s: %s" % (
                    verdict["verdict"], verdict["cause"])})
        elif mode == "rollout" and ordinal >= first_updated and pod_revision(pod) != update:
            if on_delete:
                to_delete.append(pod_name)
            waiting.append({"pod": pod_name, "why": "not updated (%s)" % (
                "delete it to update it: OnDelete" if on_delete else "revision %s"
                % (pod_revision(pod) or "?"))})
    available = status.get("availableReplicas", 0)
    if not waiting and available < facts.replicas(sts):
        waiting.append({"pod": None, "why": "%d of %d available (minReadySeconds %d)" % (
            available, facts.replicas(sts), facts.min_ready_seconds(sts))})
    if not waiting:
        message = "%d/%d Ready%s" % (len(ordinals), len(ordinals),
                                     " at revision %s" % update if mode == "rollout" else "")
        if mode == "rollout" and not on_delete:
            message = _held_message(message, update, partition, first_updated, ordinals,
                                    by_ordinal) or message
        return {"state": "done", "message": message, "waiting": [], "wake": None}
    if on_delete and mode == "rollout" and ondelete == "report" and to_delete and \
            len(to_delete) == len([w for w in waiting if w["pod"]]):
        return {"state": "pending-delete", "message": "OnDelete: delete these pods to update "
                "them: %s" % " ".join(to_delete), "waiting": waiting, "wake": None,
                "toDelete": to_delete}
    line = waiting_line(waiting)
    if now - book["changed"] >= progress_deadline:
        return {"state": "stalled", "message": "no progress for %.0fs: %s" % (
            now - book["changed"], line), "waiting": waiting, "wake": None}
    return {"state": "waiting", "message": line, "waiting": waiting,
            "wake": _sooner(wake, book["changed"] + progress_deadline)}


def _span(ordinals: List[int]) -> str:
    return "%d" % ordinals[0] if len(ordinals) == 1 else "%d..%d" % (ordinals[0], ordinals[-1])


def _held_message(message: str, update: str, partition: int, first_updated: int,
                  ordinals: List[int], by_ordinal: Dict[int, Obj]) -> Optional[str]:
    """The done line of a rollout that a partition holds back: which ordinals run the update
    revision and which stay at their revision (the controller replaces only the pods from the
    partition up: kubernetes pkg/controller/statefulset/stateful_set_control.go
    updateStatefulSet, `for target := len(replicas) - 1; target >= updateMin` with updateMin
    the partition, an index into replicas, which begin at the start ordinal). None: every
    ordinal runs it."""
    held = [o for o in ordinals if o < first_updated]
    revisions = sorted({pod_revision(by_ordinal[o]) or "?" for o in held if o in by_ordinal})
    if not held or revisions in ([], [update]):
        return None
    count = message.split(" ", 1)[0]
    updated = [o for o in ordinals if o >= first_updated]
    if not updated:
        head = "none at revision %s:" % update
    elif len(updated) == 1:
        head = "ordinal %d at revision %s," % (updated[0], update)
    else:
        head = "ordinals %d.. at revision %s," % (updated[0], update)
    return "%s Ready; %s %s held at %s by partition %d" % (
        count, head, _span(held), ", ".join(revisions), partition)


def waiting_line(waiting: List[Obj]) -> str:
    """What is still waited for, in one line: the first four rows (`web-2 not Ready`), and how
    many more."""
    return "; ".join("%s %s" % (w["pod"], w["why"]) if w["pod"] else w["why"]
                     for w in waiting[:4]) + (" (+%d more)" % (len(waiting) - 4)
                                              if len(waiting) > 4 else "")


def _sooner(a: Optional[float], b: float) -> float:
    return b if a is None else min(a, b)


def _failed(pod: Optional[Obj], failure: Obj, message: str) -> Obj:
    return {"state": "failed", "message": message, "waiting": [], "wake": None,
            "failure": dict(failure, pod=(pod or {}).get("metadata", {}).get("name"))}

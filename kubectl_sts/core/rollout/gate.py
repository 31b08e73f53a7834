"""When a rollout step is done, failed or still waiting; which pod a forced rollback deletes;
when a followed rollout is done. Pure functions over the StatefulSet and pod dicts; the clock
is the caller's (`now`, monotonic seconds), so the server's clock never matters."""

from typing import Any, Dict, List, Optional, Tuple

from ...k8s.statefulset import pods_by_ordinal
from ..pods import is_ready, pod_failure, readiness_deadline, restarts
from ...k8s.statefulset import pod_revision
from .stuck import stuck_pods
from .state import rollout_state

Obj = Dict[str, Any]


def new_book() -> Obj:
    """The gate's bookkeeping: uid -> when first seen Ready at the update revision (this
    tool's clock), uid -> restartCount when first seen at the update revision."""
    return {"readySince": {}, "baseline": {}}


def track(book: Obj, pods: List[Obj], update_revision: str, now: float) -> Obj:
    """The bookkeeping after seeing `pods` at `now`, for those at the update revision."""
    return track_pods(book, [p for p in pods if pod_revision(p) == update_revision], now)


def track_pods(book: Obj, pods: List[Obj], now: float) -> Obj:
    """The bookkeeping after seeing `pods` at `now`: a pod that stops being Ready starts its
    settle time again; its restart baseline is kept from the first sighting."""
    ready_since, baseline = dict(book["readySince"]), dict(book["baseline"])
    for pod in pods:
        uid = pod["metadata"]["uid"]
        baseline.setdefault(uid, restarts(pod))
        if is_ready(pod):
            ready_since.setdefault(uid, now)
        else:
            ready_since.pop(uid, None)
    return {"readySince": ready_since, "baseline": baseline}


def evaluate_step(sts: Obj, pods: List[Obj], partition: int, ready_since: Dict[str, float],
                  now: float, settle: float, baseline: Optional[Dict[str, int]] = None,
                  server_minor: Optional[int] = None, wall: Optional[float] = None,
                  ordinals: Optional[List[int]] = None) -> Obj:
    """Where a step stands: every ordinal >= start+partition must run the update revision, be
    Ready and have stayed Ready (without a restart) for `settle` (max of minReadySeconds and
    --settle). Returns done, failed (a diagnosis or None), waiting (rows), wake (the clock
    time to look again, or None). A pod the controller will never replace by itself (the
    forced-rollback trap, status's ROLLOUT STUCK) fails the step at once. `ordinals`: judge
    these instead (an OnDelete run in its own --order: those it updated so far)."""
    state = rollout_state(sts)
    name, start, replicas = state["name"], state["start"], state["replicas"]
    update = state["updateRevision"]
    by_ordinal = pods_by_ordinal(name, pods)
    waiting: List[Obj] = []
    wake = None
    failed = None
    if not state["observed"]:
        waiting.append({"ordinal": None, "pod": None,
                        "why": "the controller has not observed the latest spec yet"})
    judged = sorted(ordinals) if ordinals is not None else \
        range(start + min(partition, replicas), start + replicas)
    for ordinal in judged:
        pod = by_ordinal.get(ordinal)
        row = {"ordinal": ordinal, "pod": "%s-%d" % (name, ordinal)}
        if pod is None:
            row["why"] = "not created yet"
        elif pod["metadata"].get("deletionTimestamp"):
            row["why"] = "terminating"
        elif pod_revision(pod) != update:
            row["why"] = "not updated yet"
        else:
            uid = pod["metadata"]["uid"]
            failure = pod_failure(pod, (baseline or {}).get(uid))
            if failure and failed is None:
                failed = dict(failure, ordinal=ordinal, pod=row["pod"])
            if not is_ready(pod):
                row["why"] = failure["reason"] if failure else "not Ready"
            else:
                since = ready_since.get(uid)
                if since is None or now - since < settle:
                    left = settle - (now - since if since is not None else 0)
                    row["why"] = "settling (%.0fs left)" % max(left, 0)
                    due = (since if since is not None else now) + settle
                    wake = due if wake is None else min(wake, due)
        if "why" in row:
            waiting.append(row)
    if failed is None and state["observed"]:
        # a pod the controller will not replace by itself (core.diagnosis: the
        # forced-rollback trap, and the maxUnavailable budget a broken pod spends)
        for stuck in stuck_pods(sts, pods, server_minor, wall):
            blocker = by_ordinal[stuck["ordinal"]]
            failed = {"pod": stuck["pod"], "ordinal": stuck["ordinal"], "container": None,
                      "reason": (pod_failure(blocker) or {}).get("reason") or "Stuck",
                      "message": stuck["cause"], "stuck": True, "uid": stuck["uid"]}
            break
    if failed is None and wall is not None:
        # judge again when a readiness probe has failed for long enough to call a pod stuck
        for pod in pods:
            probe_due = None if is_ready(pod) else readiness_deadline(pod)
            if probe_due is not None and probe_due > wall:
                again = now + probe_due - wall + 0.5
                wake = again if wake is None else min(wake, again)
    return {"done": not waiting and failed is None, "failed": failed, "waiting": waiting,
            "wake": wake}


def undo_victims(sts: Obj, pods: List[Obj], restored_revision: str,
                 server_minor: Optional[int] = None, now: Optional[float] = None) -> List[Obj]:
    """The pods an undo will have to delete: those that, once the template of
    `restored_revision` is written, the controller will not replace by itself (they fail at
    the revision being undone; core.diagnosis). A pod that is only starting is not one: if it
    fails later, the undo's gate finds it stuck then."""
    from .stuck import after_undo
    by_name = {p["metadata"]["name"]: p for p in pods}
    return [by_name[row["pod"]] for row in stuck_pods(after_undo(sts, restored_revision), pods,
                                                        server_minor, now)]


def follow_verdict(sts: Obj) -> Tuple[bool, str]:
    """A followed rollout (`--status`): done when the controller observed the spec, the
    current revision is the update revision and every replica is updated and Ready; the
    progress line."""
    state = rollout_state(sts)
    st = sts.get("status") or {}
    line = "partition %s: %d/%d updated, %d/%d ready, revision %s%s" % (
        state["partition"] if state["partition"] is not None else "-",
        st.get("updatedReplicas", 0), state["replicas"], st.get("readyReplicas", 0),
        state["replicas"], state["updateRevision"],
        "" if state["updateRevision"] == state["currentRevision"] else
        " (current %s)" % state["currentRevision"])
    done = state["observed"] and state["updateRevision"] == state["currentRevision"] and \
        st.get("readyReplicas", 0) == state["replicas"] and \
        st.get("updatedReplicas", 0) == state["replicas"]
    return done, line

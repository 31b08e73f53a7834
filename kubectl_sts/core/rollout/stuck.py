"""What a rollout makes of the one diagnosis (core/diagnosis.py): the pods the controller
will not replace by itself (the step gate's and `wait`'s fail-fast, cheap when nothing
fails), which pods an undo will have to delete, and the set-level verdict (ROLLOUT STUCK,
BLOCKED) that status, the rollout plan and doctor show."""

import copy
from typing import Any, Dict, List, Optional

from ...k8s import statefulset as facts
from ...k8s.humanreadable import pod_summary
from ..diagnosis import Facts, diagnose, failing
from ..pods import is_ready, readiness_failing

Obj = Dict[str, Any]


def stuck_pods(sts: Obj, pods: List[Obj], server_minor: Optional[int] = None,
               now: Optional[float] = None) -> List[Obj]:
    """The rows of the pods the controller will not replace by itself (diagnose's `stuck`),
    from the set and its pods alone (`now`: epoch seconds, to tell a readiness probe that
    keeps failing from a pod still starting). Only a pod that is not Ready and fails can be
    stuck, so the diagnosis (O(replicas), at every watch event of a wait) runs only when one
    does."""
    for pod in pods:
        if is_ready(pod) or pod["metadata"].get("deletionTimestamp"):
            continue
        _, _, reason, restarts, _ = pod_summary(pod)
        if failing(reason, restarts, (pod.get("status") or {}).get("phase")) or \
                readiness_failing(pod, now):
            return diagnose(Facts(sts=sts, pods=pods, server_minor=server_minor,
                                  now=now))["stuck"]
    return []


def after_undo(sts: Obj, restored_revision: str) -> Obj:
    """The set as the controller sees it once an undo has written its template and lowered
    the partition to 0: the restored revision is the update revision (and the current one).
    For asking, before any write, which pods the undo will have to delete."""
    new = copy.deepcopy(sts)
    status = new.setdefault("status", {})
    status["updateRevision"] = status["currentRevision"] = restored_revision
    if facts.strategy_type(new) == "RollingUpdate":
        rolling = new["spec"].setdefault("updateStrategy", {}).setdefault("rollingUpdate", {})
        rolling["partition"] = 0
    return new


def rollout_verdict(name: str, revisions: Obj, diagnosis: Obj) -> Optional[Obj]:
    """The set-level verdict status, the rollout plan and doctor show: ROLLOUT STUCK when an
    ordinal is stuck (the controller will not replace it by itself) or a pod at the update
    revision fails while a rollout is in progress (the controller updates no other ordinal
    until it is Ready); BLOCKED when, under OrderedReady, the pod the controller waits for
    fails. None otherwise (a starting pod is not stuck). `revisions`: current, update,
    rolloutInProgress."""
    def summary(row: Obj, kind: str, message: str) -> Obj:
        return {"pod": row["pod"], "ordinal": row["ordinal"], "status": row["status"],
                "revision": row["revision"],
                "atUpdateRevision": row["revision"] == revisions["update"], "kind": kind,
                "message": message}
    for row in diagnosis["stuck"]:
        return summary(row, "rollout", "%s. Fix: kubectl sts repair %s --ordinal %d (deletes "
                       "%s so the controller makes it again)%s" % (
                           row["cause"], name, row["ordinal"], row["pod"],
                           "; or kubectl sts rollout %s --undo" % name
                           if revisions["rolloutInProgress"] else ""))
    for row in diagnosis["ordinals"]:
        if row["verdict"] == "failing" and revisions["rolloutInProgress"] and \
                row["revision"] == revisions["update"]:
            return summary(row, "rollout", "%s runs the update revision %s and fails (%s); the "
                           "controller updates no other ordinal until it is Ready. Undo: "
                           "kubectl sts rollout %s --undo (restores the template and deletes "
                           "%s), or fix the template and stage it again" % (
                               row["pod"], revisions["update"], row["cause"], name,
                               row["pod"]))
    for row in diagnosis["ordinals"]:
        if row["pod"] == diagnosis.get("waitsOn") and row["verdict"] == "failing":
            return summary(row, "progress", "%s fails (%s); under OrderedReady the controller "
                           "waits for it before touching any higher ordinal" % (
                               row["pod"], row["cause"]))
    return None


def verdict_text(verdict: Obj) -> str:
    """The line of the set's verdict: `ROLLOUT STUCK at web-2: ...` or `BLOCKED at ...`."""
    heading = "ROLLOUT STUCK" if verdict["kind"] == "rollout" else "BLOCKED"
    return "%s at %s: %s" % (heading, verdict["pod"], verdict["message"])


def set_verdict(sts: Obj, diagnosis: Obj) -> Optional[Obj]:
    """rollout_verdict for a set as the API serves it."""
    status = sts.get("status") or {}
    update, current = status.get("updateRevision") or "", status.get("currentRevision") or ""
    return rollout_verdict(sts["metadata"]["name"], {
        "update": update, "current": current,
        "rolloutInProgress": bool(update and update != current)}, diagnosis)

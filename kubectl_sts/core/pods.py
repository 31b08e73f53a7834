"""Facts about one pod that every command needs: ready, restarts, failing. (Its revision:
k8s/statefulset.pod_revision.)"""

from typing import Any, Dict, Optional

from ..k8s.conditions import pod_ready

Obj = Dict[str, Any]
# container waiting reasons that mean "failing", not "starting"
FAILING_REASONS = frozenset({
    "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName",
    "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    "ErrImageNeverPull"})


is_ready = pod_ready          # the pod's Ready condition is True (one home: k8s/conditions)


def restarts(pod: Obj) -> int:
    """The sum of the containers' restartCounts."""
    return sum(cs.get("restartCount", 0)
               for cs in (pod.get("status") or {}).get("containerStatuses") or [])


def pod_failure(pod: Obj, baseline_restarts: Optional[int] = None) -> Optional[Obj]:
    """Why a pod counts as failed (not merely starting), or None. With `baseline_restarts`,
    a restartCount above it counts as a failure too."""
    status = pod.get("status") or {}
    if status.get("phase") == "Failed":
        return {"container": None, "reason": status.get("reason") or "Failed",
                "message": status.get("message", "")}
    for cs in status.get("containerStatuses") or []:
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in FAILING_REASONS:
            return {"container": cs.get("name"), "reason": waiting["reason"],
                    "message": waiting.get("message", "")}
    if baseline_restarts is not None and restarts(pod) > baseline_restarts:
        return {"container": None, "reason": "Restarted",
                "message": "restartCount rose from %d to %d while settling"
                           % (baseline_restarts, restarts(pod))}
    return None

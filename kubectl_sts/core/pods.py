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


def readiness_deadline(pod: Obj) -> Optional[float]:
    """When (epoch seconds) a running container that is not ready will have had time to fail
    its readiness probe failureThreshold times since it started (initialDelaySeconds +
    periodSeconds x failureThreshold, the probe's defaults 0, 10 and 3:
    pkg/kubelet/prober/worker.go); None when no container waits on a probe."""
    from ..k8s.humanreadable import parse_timestamp
    status = pod.get("status") or {}
    if status.get("phase") != "Running":
        return None
    probes = {c.get("name"): c.get("readinessProbe") for c in
              (pod.get("spec") or {}).get("containers") or []}
    due = None
    for cs in status.get("containerStatuses") or []:
        probe = probes.get(cs.get("name"))
        running = (cs.get("state") or {}).get("running")
        started = parse_timestamp((running or {}).get("startedAt"))
        if cs.get("ready") or not probe or started is None:
            continue
        at = started.timestamp() + (probe.get("initialDelaySeconds") or 0) + \
            (probe.get("periodSeconds") or 10) * (probe.get("failureThreshold") or 3)
        due = at if due is None else min(due, at)
    return due


def readiness_failing(pod: Obj, now: Optional[float]) -> Optional[Obj]:
    """A running container not ready past its readiness_deadline: the pod does not get Ready
    by itself. None when it may still be starting (or `now` is unknown)."""
    due = readiness_deadline(pod)
    if now is None or due is None or now <= due:
        return None
    return {"container": None, "reason": "ReadinessProbeFailing",
            "message": "not Ready %ds after its readiness probe could have passed" % (now - due)}

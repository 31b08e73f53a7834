"""A pod's state as the StatefulSet controller judges it (pkg/controller/statefulset/
stateful_set_utils.go isCreated, isTerminating, isRunningAndReady, isRunningAndAvailable,
isHealthy; podutil.IsPodAvailable for minReadySeconds)."""

from __future__ import annotations

from typing import Any, Dict, Optional

from kubectl_sts.k8s.conditions import find_condition, pod_ready
from .clock import parse_rfc3339

Obj = Dict[str, Any]


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

"""Status conditions (metav1.Condition and the pod, node and claim condition types): the one
scan of `status.conditions` that the plugin and the sandbox share. Plain lookups: pod_ready
runs for every pod at every watch event of a rollout."""

from typing import Any, Mapping, Optional


def find_condition(obj: Optional[Mapping[str, Any]], ctype: str) -> Optional[Mapping[str, Any]]:
    """The first condition of type `ctype` in obj's status.conditions, or None
    (podutil.GetPodConditionFromList, nodeutil.GetNodeCondition)."""
    # API objects are decoded JSON: plain dicts and lists (isinstance against the Mapping ABC
    # costs 8 times as much, and this runs for every pod at every watch event)
    status = obj.get("status") if isinstance(obj, dict) else None
    conditions = status.get("conditions") if isinstance(status, dict) else None
    if isinstance(conditions, list):
        for cond in conditions:
            if isinstance(cond, dict) and cond.get("type") == ctype:
                return cond
    return None


def condition_status(obj: Optional[Mapping[str, Any]], ctype: str) -> Optional[str]:
    """The status ("True", "False", "Unknown") of obj's condition `ctype`, None without one."""
    cond = find_condition(obj, ctype)
    return None if cond is None else cond.get("status")


def is_condition_true(obj: Optional[Mapping[str, Any]], ctype: str) -> bool:
    return condition_status(obj, ctype) == "True"


def pod_ready(pod: Optional[Mapping[str, Any]]) -> bool:
    """The pod's Ready condition is True (podutil.IsPodReady). One call deep: it runs for
    every pod at every watch event of a rollout."""
    cond = find_condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def node_ready(node: Optional[Mapping[str, Any]]) -> bool:
    """The node's Ready condition is True (nodeutil.IsNodeReady)."""
    return is_condition_true(node, "Ready")

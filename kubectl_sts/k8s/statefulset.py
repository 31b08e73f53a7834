"""StatefulSet facts: the one home of what a StatefulSet object says, with the API's defaults
(pkg/apis/apps/v1/defaults.go, SetDefaults_StatefulSet) and the controller's naming rules
(pkg/controller/statefulset/stateful_set_utils.go: getPodName, getPersistentVolumeClaimName,
getOrdinal). Pure functions over the StatefulSet dict as the API serves it."""

import functools
import re
from typing import Any, Dict, List, Optional, Tuple

Obj = Dict[str, Any]

_ORDINAL_RE = re.compile(r"^(.*)-([0-9]+)$")
# the labels the controller puts on every pod it makes (stateful_set_utils.go
# updateIdentity, apps/v1 ControllerRevisionHashLabelKey, StatefulSetPodNameLabel,
# PodIndexLabel)
REVISION_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"


def spec(sts: Obj) -> Obj:
    return sts.get("spec") or {}


def replicas(sts: Obj) -> int:
    value = spec(sts).get("replicas")
    return 1 if value is None else int(value)


def start(sts: Obj) -> int:
    """`spec.ordinals.start` (StatefulSetStartOrdinal, GA in 1.31), 0 when unset."""
    return int((spec(sts).get("ordinals") or {}).get("start") or 0)


def ordinals(sts: Obj) -> range:
    """The ordinals the set should have: [start, start + replicas)."""
    return range(start(sts), start(sts) + replicas(sts))


def strategy_type(sts: Obj) -> str:
    return (spec(sts).get("updateStrategy") or {}).get("type") or "RollingUpdate"


def rolling_update(sts: Obj) -> Obj:
    return (spec(sts).get("updateStrategy") or {}).get("rollingUpdate") or {}


def partition(sts: Obj) -> Optional[int]:
    """The partition of a RollingUpdate set (0 when unset), None under OnDelete."""
    if strategy_type(sts) != "RollingUpdate":
        return None
    return int(rolling_update(sts).get("partition") or 0)


def effective_partition(sts: Obj) -> Optional[int]:
    """The partition as the controller applies it: never above the replica count."""
    value = partition(sts)
    return None if value is None else min(value, replicas(sts))


def max_unavailable(sts: Obj) -> Any:
    return rolling_update(sts).get("maxUnavailable")


def resolve_max_unavailable(value: Any, replicas: int) -> int:
    """maxUnavailable as the controller applies it: 1 when unset, a percentage of the
    replicas rounded down (the API comment says up; the code rounds down), at least 1
    (stateful_set_control.go, intstrutil.GetScaledValueFromIntOrPercent). ValueError for a
    value the API would not have accepted."""
    if value is None:
        return 1
    if isinstance(value, str) and value.endswith("%"):
        result = int(replicas * int(value[:-1]) / 100)
    else:
        result = int(value)
    return max(1, result)


def pod_management(sts: Obj) -> str:
    return spec(sts).get("podManagementPolicy") or "OrderedReady"


def min_ready_seconds(sts: Obj) -> int:
    return int(spec(sts).get("minReadySeconds") or 0)


def claim_templates(sts: Obj) -> List[str]:
    """The names of the volumeClaimTemplates, in order."""
    return [t["metadata"]["name"] for t in spec(sts).get("volumeClaimTemplates") or []]


def retention(sts: Obj) -> Dict[str, str]:
    """persistentVolumeClaimRetentionPolicy with its defaults (Retain, Retain)."""
    policy = spec(sts).get("persistentVolumeClaimRetentionPolicy") or {}
    return {"whenDeleted": policy.get("whenDeleted") or "Retain",
            "whenScaled": policy.get("whenScaled") or "Retain"}


def pod_name(set_name: str, ordinal: int) -> str:
    return "%s-%d" % (set_name, ordinal)


def claim_name(template: str, set_name: str, ordinal: int) -> str:
    return "%s-%s-%d" % (template, set_name, ordinal)


@functools.lru_cache(maxsize=65536)
def parent_and_ordinal(name: str) -> Tuple[Optional[str], int]:
    """(set name, ordinal) of a pod named `<set>-<ordinal>`, or (None, -1)
    (getParentNameAndOrdinal)."""
    m = _ORDINAL_RE.match(name)
    return (m.group(1), int(m.group(2))) if m else (None, -1)


def pod_revision(pod: Optional[Obj]) -> str:
    """The revision a pod was made from, its controller-revision-hash label ("" without one)."""
    return (((pod or {}).get("metadata") or {}).get("labels") or {}).get(REVISION_LABEL, "")


def pod_ordinal(set_name: str, name: str) -> Optional[int]:
    """The ordinal of a pod named `<set>-<ordinal>`, or None. Cached: a rollout's gate asks
    it for every pod at every watch event, and the names do not change."""
    m = _ORDINAL_RE.match(name)
    if not m or m.group(1) != set_name:
        return None
    return int(m.group(2))


def claim_ordinal(template: str, set_name: str, name: str) -> Optional[int]:
    """The ordinal of a claim named `<template>-<set>-<ordinal>`, or None."""
    prefix = "%s-%s-" % (template, set_name)
    rest = name[len(prefix):] if name.startswith(prefix) else ""
    return int(rest) if rest.isdigit() and (rest == "0" or not rest.startswith("0")) else None


def pods_by_ordinal(set_name: str, pods: List[Obj]) -> Dict[int, Obj]:
    """{ordinal: pod} of the pods named after the set (others are ignored)."""
    out = {}
    for pod in pods:
        ordinal = pod_ordinal(set_name, pod["metadata"]["name"])
        if ordinal is not None:
            out[ordinal] = pod
    return out

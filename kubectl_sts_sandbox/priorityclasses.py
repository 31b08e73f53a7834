"""scheduling.k8s.io/v1 PriorityClasses: the two system classes every cluster has, defaults,
validation, and the Priority admission plugin's check of a new default class.

- The system classes (pkg/apis/scheduling/v1/helpers.go systemPriorityClasses), made by
  kube-apiserver at start (pkg/registry/scheduling/rest/storage_scheduling.go,
  the bootstrap-system-priority-classes post-start hook): system-node-critical
  (SystemCriticalPriority + 1000 = 2000001000) and system-cluster-critical (2000000000),
  neither the global default.
- SetDefaults_PriorityClass (pkg/apis/scheduling/v1/defaults.go): preemptionPolicy
  PreemptLowerPriority.
- ValidatePriorityClass / ValidatePriorityClassUpdate (pkg/apis/scheduling/validation): a
  `system-` name is reserved for the system classes with their value and globalDefault; any
  other class's value is at most HighestUserDefinablePriority (1000000000); preemptionPolicy is
  Never or PreemptLowerPriority; value and preemptionPolicy are immutable.
- The Priority admission plugin's validatePriorityClass (plugin/pkg/admission/priority): a
  second class marked globalDefault is 403 `PriorityClass X is already marked as default. Only
  one default can exist`; getDefaultPriorityClass picks, among the classes marked
  globalDefault, the one with the lowest value.
Not simulated: the registry refusing to delete a system class (it is deleted like any other).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional

from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]

PC = BY_KIND["PriorityClass"]
SYSTEM_PREFIX = "system-"
SYSTEM_CRITICAL = 2000000000                    # scheduling.SystemCriticalPriority
HIGHEST_USER_DEFINABLE = 1000000000             # scheduling.HighestUserDefinablePriority
POLICIES = ("PreemptLowerPriority", "Never")
SYSTEM_CLASSES: List[Obj] = [
    {"metadata": {"name": "system-node-critical"}, "value": SYSTEM_CRITICAL + 1000,
     "description": "Used for system critical pods that must not be moved from their current "
                    "node.", "preemptionPolicy": "PreemptLowerPriority"},
    {"metadata": {"name": "system-cluster-critical"}, "value": SYSTEM_CRITICAL,
     "description": "Used for system critical pods that must run in the cluster, but can be "
                    "moved to another node if necessary.",
     "preemptionPolicy": "PreemptLowerPriority"},
]


def get(store: Store, name: str) -> Optional[Obj]:
    return store.peek(PC, "", name)


def global_default(store: Store) -> Optional[Obj]:
    """getDefaultPriorityClass: the class marked globalDefault with the lowest value."""
    found: Optional[Obj] = None
    for pc in store.list(PC)[0]:
        if pc.get("globalDefault") is True and (
                found is None or int(pc.get("value") or 0) < int(found.get("value") or 0)):
            found = pc
    return found


def apply_defaults(pc: Obj) -> None:
    if pc.get("preemptionPolicy") is None:
        pc["preemptionPolicy"] = "PreemptLowerPriority"


def _system_error(pc: Obj) -> Optional[str]:
    """IsKnownSystemPriorityClass's error, or None when `pc` is one of them."""
    name = pc["metadata"].get("name")
    for known in SYSTEM_CLASSES:
        if known["metadata"]["name"] == name:
            if pc.get("value") != known["value"]:
                return "value of %s PriorityClass must be %d" % (name, known["value"])
            if bool(pc.get("globalDefault")) is not False:
                return "globalDefault of %s PriorityClass must be false" % name
            return None
    return "%s is not a known system priority class" % name


def validate(pc: Obj, old: Optional[Obj]) -> List[Obj]:
    """The field errors past the metadata's (validation.validate checks those)."""
    from .validation.field import forbidden, invalid, not_supported, required
    out: List[Obj] = []
    if old is not None:
        if pc.get("value") != old.get("value"):
            out.append(forbidden("value", "may not be changed in an update."))
        if pc.get("preemptionPolicy") != old.get("preemptionPolicy"):
            out.append(invalid("preemptionPolicy", pc.get("preemptionPolicy"),
                               "field is immutable"))
        return out
    name = pc["metadata"].get("name") or ""
    if name.startswith(SYSTEM_PREFIX):
        error = _system_error(pc)
        if error is not None:
            out.append(forbidden("metadata.name", "priority class names with '%s' prefix are "
                                 "reserved for system use only. error: %s"
                                 % (SYSTEM_PREFIX, error)))
    elif isinstance(pc.get("value"), int) and pc["value"] > HIGHEST_USER_DEFINABLE:
        out.append(forbidden("value", "maximum allowed value of a user defined priority is %d"
                             % HIGHEST_USER_DEFINABLE))
    policy = pc.get("preemptionPolicy")
    if policy == "":
        out.append(required("preemptionPolicy"))
    elif policy not in POLICIES:
        out.append(not_supported("preemptionPolicy", policy, POLICIES))
    return out


def admit(store: Store, pc: Obj, old: Optional[Obj]) -> None:
    """validatePriorityClass: only one class may be the global default."""
    if pc.get("globalDefault") is not True:
        return
    current = global_default(store)
    name = pc["metadata"].get("name")
    if current is not None and (old is None or current["metadata"]["name"] != name):
        from .errors import forbidden
        raise forbidden('priorityclasses.scheduling.k8s.io "%s" is forbidden: PriorityClass %s '
                        'is already marked as default. Only one default can exist'
                        % (name, current["metadata"]["name"]), PC, name or "")

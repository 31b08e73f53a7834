"""The clusterrole-aggregation controller (pkg/controller/clusterroleaggregation/
clusterroleaggregation_controller.go syncClusterRole): a ClusterRole with an aggregationRule
gets the rules of every other ClusterRole its selectors match, those roles taken by name, each
rule once; so a ClusterRole labelled rbac.authorization.k8s.io/aggregate-to-view: "true" joins
view (and, through view, edit and admin).

The sandbox runs it on every ClusterRole change, in the writer's transaction (upstream it runs
moments later from its work queue)."""

import copy
from typing import TYPE_CHECKING, Any, Dict, List

from kubectl_sts.k8s.selectors import (SelectorError, matches_labels,
                                       selector_from_label_selector)
from .rbac import CLUSTER_ROLE

if TYPE_CHECKING:
    from .resources import ResourceType
    from .store import Store

Obj = Dict[str, Any]


def aggregated_rules(role: Obj, roles: List[Obj]) -> List[Obj]:
    """The rules `role`'s aggregationRule gathers from `roles` (syncClusterRole)."""
    rules: List[Obj] = []
    for selector in (role.get("aggregationRule") or {}).get("clusterRoleSelectors") or ():
        for other in sorted(roles, key=lambda r: r["metadata"]["name"]):
            if other["metadata"]["name"] == role["metadata"]["name"]:
                continue
            try:
                if not matches_labels(selector_from_label_selector(selector),
                                      other["metadata"].get("labels")):
                    continue
            except SelectorError:
                continue
            for rule in other.get("rules") or ():
                if rule not in rules:
                    rules.append(rule)
    return rules


def sync(store: "Store") -> None:
    """Bring every aggregated ClusterRole up to date, until none changes."""
    with store.cond:
        for _ in range(10):        # aggregation chains (view -> edit -> admin) settle in 3
            changed = False
            roles = store.list(CLUSTER_ROLE)[0]
            for role in roles:
                if not role.get("aggregationRule"):
                    continue
                rules = aggregated_rules(role, roles)
                if (role.get("rules") or []) == rules and (rules or "rules" in role):
                    continue
                updated = copy.deepcopy(role)
                updated["rules"] = rules
                store.update(CLUSTER_ROLE, updated, internal=True,
                             manager="kube-controller-manager")
                changed = True
                break               # the list is stale now
            if not changed:
                return


def watch(store: "Store") -> None:
    """Aggregate now and after every ClusterRole change."""
    busy: List[bool] = []

    def on_change(rt: "ResourceType", etype: str, obj: Obj) -> None:
        if rt is not CLUSTER_ROLE or busy:
            return
        busy.append(True)
        try:
            sync(store)
        finally:
            busy.pop()
    store.listeners.append(on_change)
    sync(store)

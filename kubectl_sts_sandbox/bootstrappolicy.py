"""The default RBAC policy every sandbox starts with: the ClusterRoles users meet and their
ClusterRoleBindings, as kube-apiserver's RBAC post-start hook writes them
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go ClusterRoles and
ClusterRoleBindings; the rules transcribed from its testdata/cluster-roles.yaml and
cluster-role-bindings.yaml, the user-facing roles as they stand since 1.31 through the release
branches read: admin, edit, view and their system:aggregate-to-* parts, cluster-admin,
system:discovery, system:basic-user, system:public-info-viewer). The aggregated roles (admin,
edit, view) are written with rules null and filled by the clusterrole-aggregation controller
(aggregation.py), as upstream.

The controllers' own roles (system:kube-scheduler, system:node, ...) are left out: nothing in
the sandbox authenticates as them."""

from typing import TYPE_CHECKING, Any, Dict, List, Sequence

from .rbac import CLUSTER_ROLE, CLUSTER_ROLE_BINDING

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]

READ = ["get", "list", "watch"]
WRITE = ["create", "delete", "deletecollection", "patch", "update"]
READ_WRITE = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"
GROUP = "rbac.authorization.k8s.io"


def _rule(groups: Sequence[str], resources: Sequence[str], verbs: Sequence[str]) -> Obj:
    return {"apiGroups": list(groups), "resources": list(resources), "verbs": list(verbs)}


def _urls(urls: Sequence[str], verbs: Sequence[str] = ("get",)) -> Obj:
    return {"nonResourceURLs": list(urls), "verbs": list(verbs)}


# name -> (rules or None for an aggregated role, aggregate-to label it carries or "",
#          the aggregate-to label it gathers or "")
_ROLES: Dict[str, Any] = {
    "admin": (None, "", "admin"),
    "cluster-admin": ([_rule(["*"], ["*"], ["*"]), _urls(["*"], ["*"])], "", ""),
    "edit": (None, "admin", "edit"),
    "system:aggregate-to-admin": ([
        _rule(["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
        _rule([GROUP], ["rolebindings", "roles"], READ_WRITE)], "admin", ""),
    "system:aggregate-to-edit": ([
        _rule([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                     "services/proxy"], READ),
        _rule([""], ["serviceaccounts"], ["impersonate"]),
        _rule([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
              WRITE),
        _rule([""], ["pods/eviction"], ["create"]),
        _rule([""], ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                     "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                     "services/proxy"], WRITE),
        _rule([""], ["serviceaccounts/token"], ["create"]),
        _rule(["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                         "replicasets", "replicasets/scale", "statefulsets",
                         "statefulsets/scale"], WRITE),
        _rule(["autoscaling"], ["horizontalpodautoscalers"], WRITE),
        _rule(["batch"], ["cronjobs", "jobs"], WRITE),
        _rule(["extensions"], ["daemonsets", "deployments", "deployments/rollback",
                               "deployments/scale", "ingresses", "networkpolicies", "replicasets",
                               "replicasets/scale", "replicationcontrollers/scale"], WRITE),
        _rule(["policy"], ["poddisruptionbudgets"], WRITE),
        _rule(["networking.k8s.io"], ["ingresses", "networkpolicies"], WRITE),
        _rule(["coordination.k8s.io"], ["leases"], READ_WRITE)], "edit", ""),
    "system:aggregate-to-view": ([
        _rule([""], ["configmaps", "endpoints", "persistentvolumeclaims",
                     "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                     "replicationcontrollers/scale", "serviceaccounts", "services",
                     "services/status"], READ),
        _rule([""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log",
                     "pods/status", "replicationcontrollers/status", "resourcequotas",
                     "resourcequotas/status"], READ),
        _rule([""], ["namespaces"], READ),
        _rule(["discovery.k8s.io"], ["endpointslices"], READ),
        _rule(["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments",
                         "deployments/scale", "deployments/status", "replicasets",
                         "replicasets/scale", "replicasets/status", "statefulsets",
                         "statefulsets/scale", "statefulsets/status"], READ),
        _rule(["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
              READ),
        _rule(["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], READ),
        _rule(["extensions"], ["daemonsets", "daemonsets/status", "deployments",
                               "deployments/scale", "deployments/status", "ingresses",
                               "ingresses/status", "networkpolicies", "replicasets",
                               "replicasets/scale", "replicasets/status",
                               "replicationcontrollers/scale"], READ),
        _rule(["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], READ),
        _rule(["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], READ)],
        "view", ""),
    "system:basic-user": ([
        _rule(["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
              ["create"]),
        _rule(["authentication.k8s.io"], ["selfsubjectreviews"], ["create"])], "", ""),
    "system:discovery": ([_urls(["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                 "/openapi", "/openapi/*", "/readyz", "/version",
                                 "/version/"])], "", ""),
    "system:public-info-viewer": ([_urls(["/healthz", "/livez", "/readyz", "/version",
                                          "/version/"])], "", ""),
    "view": (None, "edit", "view"),
}

# ClusterRoleBinding name (= its ClusterRole) -> the groups bound
_BINDINGS = {
    "cluster-admin": ["system:masters"],
    "system:basic-user": ["system:authenticated"],
    "system:discovery": ["system:authenticated"],
    "system:public-info-viewer": ["system:authenticated", "system:unauthenticated"],
}


def _meta(name: str, labels: Dict[str, str]) -> Obj:
    return {"name": name,
            "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            "labels": dict({"kubernetes.io/bootstrapping": "rbac-defaults"}, **labels)}


def cluster_roles() -> List[Obj]:
    out = []
    for name, (rules, carries, gathers) in sorted(_ROLES.items()):
        role: Obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                     "metadata": _meta(name, {AGGREGATE + carries: "true"} if carries else {})}
        if gathers:
            role["aggregationRule"] = {"clusterRoleSelectors": [
                {"matchLabels": {AGGREGATE + gathers: "true"}}]}
            role["rules"] = None
        else:
            role["rules"] = rules
        out.append(role)
    return out


def cluster_role_bindings() -> List[Obj]:
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
             "metadata": _meta(name, {}),
             "roleRef": {"apiGroup": GROUP, "kind": "ClusterRole", "name": name},
             "subjects": [{"apiGroup": GROUP, "kind": "Group", "name": g} for g in groups]}
            for name, groups in sorted(_BINDINGS.items())]


def ensure(store: "Store") -> None:
    """Create the default roles and bindings that are missing (the RBAC post-start hook's
    reconciliation, create-only: a role a user changed is kept), then aggregate."""
    from . import aggregation
    with store.cond:
        for role in cluster_roles():
            if store.peek(CLUSTER_ROLE, "", role["metadata"]["name"]) is None:
                store.create(CLUSTER_ROLE, role, internal=True)
        for binding in cluster_role_bindings():
            if store.peek(CLUSTER_ROLE_BINDING, "", binding["metadata"]["name"]) is None:
                store.create(CLUSTER_ROLE_BINDING, binding, internal=True)
        aggregation.watch(store)

"""Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, as pkg/apis/rbac/validation/
validation.go validates them (ValidateRole, ValidateClusterRole, ValidatePolicyRule,
ValidateRoleBinding, ValidateClusterRoleBinding, ValidateRoleBindingSubject and their
Update forms), after the v1 defaults of pkg/apis/rbac/v1/defaults.go (`defaults`)."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from kubectl_sts.k8s.names import name_is_dns_subdomain
from kubectl_sts.k8s.gostrings import go_quote
from .field import Causes, GoRepr, invalid, not_supported, required
from .meta import validate_label_selector, validate_meta

GROUP = "rbac.authorization.k8s.io"
RBAC_RESOURCES = ("roles", "clusterroles", "rolebindings", "clusterrolebindings")


def rbac_name(name: str, prefix: bool) -> List[str]:
    """ValidateRBACName: path.IsValidPathSegmentName."""
    if name in (".", ".."):
        return ["may not be '%s'" % name]
    return ["may not contain '%s'" % c for c in ("/", "%") if c in name]


def defaults(resource: str, obj: Dict[str, Any]) -> None:
    """SetDefaults_RoleBinding / _ClusterRoleBinding (roleRef.apiGroup) and SetDefaults_Subject
    (apiGroup of a User or Group)."""
    if resource in ("rolebindings", "clusterrolebindings"):
        ref = obj.get("roleRef")
        if isinstance(ref, dict) and not ref.get("apiGroup"):
            ref["apiGroup"] = GROUP
        for subject in obj.get("subjects") or ():
            if isinstance(subject, dict) and not subject.get("apiGroup") and \
                    subject.get("kind") in ("User", "Group"):
                subject["apiGroup"] = GROUP


def _strings(values: List[Any]) -> GoRepr:
    """%#v of a []string."""
    return GoRepr("[]string{%s}" % ", ".join(go_quote(str(v)) for v in values))


def _policy_rule(rule: Any, namespaced: bool, path: str) -> Causes:
    rule = rule if isinstance(rule, dict) else {}
    errs: Causes = []
    if not rule.get("verbs"):
        errs.append(required(path + ".verbs", "verbs must contain at least one value"))
    urls = rule.get("nonResourceURLs") or []
    if urls:
        if namespaced:
            errs.append(invalid(path + ".nonResourceURLs", _strings(urls),
                                "namespaced rules cannot apply to non-resource URLs"))
        if rule.get("apiGroups") or rule.get("resources") or rule.get("resourceNames"):
            errs.append(invalid(path + ".nonResourceURLs", _strings(urls),
                                "rules cannot apply to both regular resources and non-resource "
                                "URLs"))
        return errs
    if not rule.get("apiGroups"):
        errs.append(required(path + ".apiGroups",
                             "resource rules must supply at least one api group"))
    if not rule.get("resources"):
        errs.append(required(path + ".resources",
                             "resource rules must supply at least one resource"))
    return errs


def _subject(subject: Any, namespaced: bool, path: str) -> Causes:
    subject = subject if isinstance(subject, dict) else {}
    errs: Causes = []
    name, kind, group = subject.get("name") or "", subject.get("kind") or "", \
        subject.get("apiGroup") or ""
    if not name:
        errs.append(required(path + ".name"))
    if kind == "ServiceAccount":
        for msg in (name_is_dns_subdomain(name, False) if name else []):
            errs.append(invalid(path + ".name", name, msg))
        if group:
            errs.append(not_supported(path + ".apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            errs.append(required(path + ".namespace"))
    elif kind in ("User", "Group"):
        if group != GROUP:
            errs.append(not_supported(path + ".apiGroup", group, [GROUP]))
    else:
        errs.append(not_supported(path + ".kind", kind, ["ServiceAccount", "User", "Group"]))
    return errs


def _binding(obj: Dict[str, Any], old: Optional[Dict[str, Any]], namespaced: bool) -> Causes:
    errs = validate_meta(obj, old, rbac_name)
    raw = obj.get("roleRef")
    ref: Dict[str, Any] = raw if isinstance(raw, dict) else {}
    if ref.get("apiGroup") != GROUP:
        errs.append(not_supported("roleRef.apiGroup", ref.get("apiGroup") or "", [GROUP]))
    kinds = ["Role", "ClusterRole"] if namespaced else ["ClusterRole"]
    if ref.get("kind") not in kinds:
        errs.append(not_supported("roleRef.kind", ref.get("kind") or "", kinds))
    name = ref.get("name") or ""
    if not name:
        errs.append(required("roleRef.name"))
    for msg in rbac_name(name, False) if name else []:
        errs.append(invalid("roleRef.name", name, msg))
    for i, subject in enumerate(obj.get("subjects") or []):
        errs += _subject(subject, namespaced, "subjects[%d]" % i)
    if old is not None and (old.get("roleRef") or {}) != ref:
        errs.append(invalid("roleRef", _role_ref_repr(ref), "cannot change roleRef"))
    return errs


def _role_ref_repr(ref: Dict[str, Any]) -> GoRepr:
    return GoRepr('rbac.RoleRef{APIGroup:"%s", Kind:"%s", Name:"%s"}'
                  % (ref.get("apiGroup") or "", ref.get("kind") or "", ref.get("name") or ""))


def validate_rbac(resource: str, obj: Dict[str, Any], old: Optional[Dict[str, Any]]) -> Causes:
    if resource == "rolebindings":
        return _binding(obj, old, True)
    if resource == "clusterrolebindings":
        return _binding(obj, old, False)
    namespaced = resource == "roles"
    errs = validate_meta(obj, old, rbac_name)
    for i, rule in enumerate(obj.get("rules") or []):
        errs += _policy_rule(rule, namespaced, "rules[%d]" % i)
    aggregation = obj.get("aggregationRule")
    if not namespaced and isinstance(aggregation, dict):
        selectors = aggregation.get("clusterRoleSelectors") or []
        if not selectors:
            errs.append(required("aggregationRule.clusterRoleSelectors",
                                 "at least one clusterRoleSelector required if aggregationRule "
                                 "is non-nil"))
        for i, selector in enumerate(selectors):
            causes, _ = validate_label_selector(selector,
                                                "aggregationRule.clusterRoleSelectors[%d]" % i)
            errs += causes
    return errs

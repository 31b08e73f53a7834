"""The RBAC authorizer over the stored Roles, ClusterRoles and their bindings, as
kube-apiserver's (plugin/pkg/auth/authorizer/rbac/rbac.go RBACAuthorizer.Authorize and
RulesAllow/RuleAllows, the matching helpers of pkg/apis/rbac/v1/evaluation_helpers.go, the rule
resolver of pkg/registry/rbac/validation/rule.go VisitRulesFor, appliesTo and the describers
of the binding that allowed a request).

A request is described by `Attributes` (auth.py) or anything with the same fields: is_resource,
verb, group, resource, subresource, namespace, name, path. Rules are PolicyRule dicts (verbs,
apiGroups, resources, resourceNames, nonResourceURLs)."""

from typing import TYPE_CHECKING, Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from .resources import BY_KIND

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
Rule = Mapping[str, Any]

ROLE = BY_KIND["Role"]
CLUSTER_ROLE = BY_KIND["ClusterRole"]
ROLE_BINDING = BY_KIND["RoleBinding"]
CLUSTER_ROLE_BINDING = BY_KIND["ClusterRoleBinding"]
TYPES = (ROLE, CLUSTER_ROLE, ROLE_BINDING, CLUSTER_ROLE_BINDING)
SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"


# -- rule matching (pkg/apis/rbac/v1/evaluation_helpers.go) ------------------------------------

def verb_matches(rule: Rule, verb: str) -> bool:
    return any(v == "*" or v == verb for v in rule.get("verbs") or ())


def api_group_matches(rule: Rule, group: str) -> bool:
    return any(g == "*" or g == group for g in rule.get("apiGroups") or ())


def resource_matches(rule: Rule, combined: str, subresource: str) -> bool:
    """`combined` is resource or resource/subresource; a rule's `*/sub` matches any resource's
    subresource `sub` (ResourceMatches; `pods/*` matches nothing but itself)."""
    for resource in rule.get("resources") or ():
        if resource == "*" or resource == combined:
            return True
        if subresource and len(resource) == len(subresource) + 2 and \
                resource.startswith("*/") and resource.endswith(subresource):
            return True
    return False


def resource_name_matches(rule: Rule, name: str) -> bool:
    names = rule.get("resourceNames") or ()
    return not names or name in names


def non_resource_url_matches(rule: Rule, path: str) -> bool:
    for url in rule.get("nonResourceURLs") or ():
        if url == "*" or url == path:
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(attrs: Any, rule: Rule) -> bool:
    """RuleAllows of rbac.go."""
    if attrs.is_resource:
        combined = attrs.resource + ("/" + attrs.subresource if attrs.subresource else "")
        return verb_matches(rule, attrs.verb) and api_group_matches(rule, attrs.group) and \
            resource_matches(rule, combined, attrs.subresource) and \
            resource_name_matches(rule, attrs.name)
    return verb_matches(rule, attrs.verb) and non_resource_url_matches(rule, attrs.path)


# -- subjects (pkg/registry/rbac/validation/rule.go appliesTo) -----------------------------------

def service_account_user(namespace: str, name: str) -> str:
    return "%s%s:%s" % (SERVICE_ACCOUNT_PREFIX, namespace, name)


def applies_to(user: str, groups: Sequence[str], subject: Mapping[str, Any],
               namespace: str) -> bool:
    kind, name = subject.get("kind"), subject.get("name") or ""
    if kind == "User":
        return user == name
    if kind == "Group":
        return name in groups
    if kind == "ServiceAccount":
        sa_namespace = subject.get("namespace") or namespace
        return bool(sa_namespace) and user == service_account_user(sa_namespace, name)
    return False


def describe_subject(subject: Mapping[str, Any], binding_namespace: str) -> str:
    if subject.get("kind") == "ServiceAccount":
        return '%s "%s/%s"' % (subject["kind"], subject.get("name", ""),
                               subject.get("namespace") or binding_namespace)
    return '%s "%s"' % (subject.get("kind"), subject.get("name", ""))


def describe_binding(binding: Obj, subject: Mapping[str, Any]) -> str:
    """The clusterRoleBindingDescriber / roleBindingDescriber of rule.go."""
    meta, ref = binding["metadata"], binding.get("roleRef") or {}
    ns = meta.get("namespace") or ""
    if ns:
        return 'RoleBinding "%s/%s" of %s "%s" to %s' % (
            meta["name"], ns, ref.get("kind"), ref.get("name"), describe_subject(subject, ns))
    return 'ClusterRoleBinding "%s" of %s "%s" to %s' % (
        meta["name"], ref.get("kind"), ref.get("name"), describe_subject(subject, ""))


# -- the rule resolver (DefaultRuleResolver) -------------------------------------------------------

Visitor = Callable[[Optional[str], Optional[Rule], Optional[str]], bool]


def role_reference_rules(store: "Store", ref: Mapping[str, Any], namespace: str,
                         registry: bool = False) -> Tuple[List[Rule], Optional[str]]:
    """GetRoleReferenceRules: the rules of a binding's roleRef, or the error text (the
    authorizer's listers name the resource `role`, the registries `roles`)."""
    kind, name = ref.get("kind"), ref.get("name") or ""
    plural = "s" if registry else ""
    if kind == "Role":
        role = store.peek(ROLE, namespace, name)
        if role is None:
            return [], 'role%s.rbac.authorization.k8s.io "%s" not found' % (plural, name)
    elif kind == "ClusterRole":
        role = store.peek(CLUSTER_ROLE, "", name)
        if role is None:
            return [], 'clusterrole%s.rbac.authorization.k8s.io "%s" not found' % (plural, name)
    else:
        return [], 'unsupported role reference kind: "%s"' % kind
    return list(role.get("rules") or ()), None


def visit_rules_for(store: "Store", user: str, groups: Sequence[str], namespace: str,
                    visitor: Visitor) -> None:
    """VisitRulesFor: the rules of every ClusterRoleBinding, then of every RoleBinding in
    `namespace`, whose subjects include the user; visitor(source, rule, error) returns False
    to stop."""
    with store.cond:
        bindings = [b for b in store.list(CLUSTER_ROLE_BINDING, None)[0]]
        if namespace:
            bindings += store.list(ROLE_BINDING, namespace)[0]
    for binding in bindings:
        ns = binding["metadata"].get("namespace") or ""
        subject = next((s for s in binding.get("subjects") or ()
                        if applies_to(user, groups, s, ns)), None)
        if subject is None:
            continue
        rules, error = role_reference_rules(store, binding.get("roleRef") or {}, ns)
        if error is not None:
            if not visitor(None, None, error):
                return
            continue
        source = describe_binding(binding, subject)
        for rule in rules:
            if not visitor(source, rule, None):
                return


def authorize(store: "Store", user: str, groups: Sequence[str], attrs: Any
              ) -> Tuple[bool, str]:
    """RBACAuthorizer.Authorize: (allowed, reason); the reason names the binding that allowed,
    or the errors met (a binding to a missing role) when none did."""
    found: List[str] = []
    errors: List[str] = []

    def visit(source: Optional[str], rule: Optional[Rule], error: Optional[str]) -> bool:
        if rule is not None and rule_allows(attrs, rule):
            found.append("RBAC: allowed by %s" % source)
            return False
        if error is not None:
            errors.append(error)
        return True
    visit_rules_for(store, user, groups, attrs.namespace, visit)
    if found:
        return True, found[0]
    if not errors:
        return False, ""
    return False, "RBAC: " + (errors[0] if len(errors) == 1 else "[%s]" % ", ".join(errors))


def rules_for(store: "Store", user: str, groups: Sequence[str], namespace: str
              ) -> Tuple[List[Rule], List[str]]:
    """RulesFor: every rule that applies to the user in `namespace`, and the errors met."""
    rules: List[Rule] = []
    errors: List[str] = []

    def visit(source: Optional[str], rule: Optional[Rule], error: Optional[str]) -> bool:
        if rule is not None:
            rules.append(rule)
        if error is not None:
            errors.append(error)
        return True
    visit_rules_for(store, user, groups, namespace, visit)
    return rules, errors

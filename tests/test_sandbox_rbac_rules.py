"""RBAC's pure decisions in the sandbox, table-driven and without a server: rule matching
(rbac.go RuleAllows and the evaluation helpers), subjects, escalation's rule covering and its
message, aggregation, validation messages."""

import pytest

from kubectl_sts_sandbox import aggregation, escalation, rbac
from kubectl_sts_sandbox.auth import attributes
from kubectl_sts_sandbox.impersonation import split_service_account
from kubectl_sts_sandbox.validation.rbac import validate_rbac


def rule(verbs, groups=("",), resources=(), names=(), urls=()):
    out = {"verbs": list(verbs)}
    if resources:
        out.update(apiGroups=list(groups), resources=list(resources))
    if names:
        out["resourceNames"] = list(names)
    if urls:
        out["nonResourceURLs"] = list(urls)
    return out


def res(verb, resource, group="", sub="", name="", namespace="ns"):
    return attributes(verb, group, resource, sub, namespace, name)


def url(verb, path):
    return attributes(verb, path=path)


RULE_CASES = [
    # (rule, request, allowed)
    (rule(["get"], resources=["pods"]), res("get", "pods"), True),
    (rule(["get"], resources=["pods"]), res("list", "pods"), False),
    (rule(["*"], resources=["pods"]), res("deletecollection", "pods"), True),
    (rule(["get"], resources=["pods"]), res("get", "pods", group="apps"), False),
    (rule(["get"], groups=["*"], resources=["pods"]), res("get", "pods", group="apps"), True),
    (rule(["get"], resources=["*"]), res("get", "secrets"), True),
    (rule(["get"], resources=["pods"]), res("get", "pods", sub="log"), False),
    (rule(["get"], resources=["pods/log"]), res("get", "pods", sub="log"), True),
    (rule(["get"], resources=["*/log"]), res("get", "pods", sub="log"), True),
    (rule(["get"], resources=["*/log"]), res("get", "pods"), False),
    (rule(["get"], resources=["*/scale"]), res("get", "pods", sub="log"), False),
    (rule(["get"], resources=["pods/*"]), res("get", "pods", sub="log"), False),
    (rule(["get"], resources=["pods"], names=["web-0"]), res("get", "pods", name="web-0"), True),
    (rule(["get"], resources=["pods"], names=["web-0"]), res("get", "pods", name="web-1"), False),
    (rule(["list"], resources=["pods"], names=["web-0"]), res("list", "pods"), False),
    (rule(["get"], urls=["/healthz"]), url("get", "/healthz"), True),
    (rule(["get"], urls=["/healthz"]), url("get", "/healthz/etcd"), False),
    (rule(["get"], urls=["/healthz*"]), url("get", "/healthz/etcd"), True),
    (rule(["get"], urls=["/apis/*"]), url("get", "/apis/apps/v1"), True),
    (rule(["get"], urls=["/apis/*"]), url("get", "/apis"), False),
    (rule(["get"], urls=["*"]), url("get", "/anything"), True),
    (rule(["get"], urls=["/version"]), url("post", "/version"), False),
    (rule(["get"], resources=["pods"]), url("get", "/api"), False),
    (rule(["get"], urls=["/api"]), res("get", "pods"), False),
]


@pytest.mark.parametrize("policy_rule,request_attrs,allowed", RULE_CASES)
def test_rule_allows(policy_rule, request_attrs, allowed):
    assert rbac.rule_allows(request_attrs, policy_rule) is allowed


SUBJECT_CASES = [
    # (user, groups, subject, binding namespace, applies)
    ("alice", [], {"kind": "User", "name": "alice"}, "", True),
    ("alice", [], {"kind": "User", "name": "bob"}, "", False),
    ("alice", ["devs"], {"kind": "Group", "name": "devs"}, "", True),
    ("system:serviceaccount:ns:bot", [], {"kind": "ServiceAccount", "name": "bot"}, "ns", True),
    ("system:serviceaccount:ns:bot", [], {"kind": "ServiceAccount", "name": "bot"}, "", False),
    ("system:serviceaccount:ns:bot", [],
     {"kind": "ServiceAccount", "name": "bot", "namespace": "ns"}, "", True),
    ("system:serviceaccount:ns:bot", [],
     {"kind": "ServiceAccount", "name": "bot", "namespace": "other"}, "ns", False),
    ("alice", [], {"kind": "Robot", "name": "alice"}, "", False),
]


@pytest.mark.parametrize("user,groups,subject,namespace,applies", SUBJECT_CASES)
def test_subjects(user, groups, subject, namespace, applies):
    assert rbac.applies_to(user, groups, subject, namespace) is applies


def test_binding_descriptions():
    binding = {"metadata": {"name": "b", "namespace": "ns"},
               "roleRef": {"kind": "ClusterRole", "name": "view"}}
    assert rbac.describe_binding(binding, {"kind": "ServiceAccount", "name": "bot"}) == \
        'RoleBinding "b/ns" of ClusterRole "view" to ServiceAccount "bot/ns"'
    binding["metadata"] = {"name": "c"}
    assert rbac.describe_binding(binding, {"kind": "Group", "name": "g"}) == \
        'ClusterRoleBinding "c" of ClusterRole "view" to Group "g"'


COVER_CASES = [
    # (owned rules, wanted rules, covered)
    ([rule(["*"], groups=["*"], resources=["*"])], [rule(["get"], resources=["pods"])], True),
    ([rule(["get", "list"], resources=["pods"])], [rule(["get"], resources=["pods"])], True),
    ([rule(["get"], resources=["pods"])], [rule(["get", "list"], resources=["pods"])], False),
    ([rule(["get"], resources=["*/log"])], [rule(["get"], resources=["pods/log"])], True),
    ([rule(["get"], resources=["pods"], names=["a"])], [rule(["get"], resources=["pods"])],
     False),
    ([rule(["get"], resources=["pods"])], [rule(["get"], resources=["pods"], names=["a"])],
     True),
    ([rule(["get"], urls=["/apis/*"])], [rule(["get"], urls=["/apis/apps"])], True),
    ([rule(["get"], urls=["/apis"])], [rule(["get"], urls=["/apis/apps"])], False),
]


@pytest.mark.parametrize("owned,wanted,covered", COVER_CASES)
def test_covers(owned, wanted, covered):
    assert escalation.covers(owned, wanted)[0] is covered


def test_missing_rules_are_compacted_as_upstream_prints_them():
    _, missing = escalation.covers([], [rule(["get", "list"], resources=["nodes"]),
                                        rule(["get"], urls=["/metrics"])])
    assert sorted(escalation.compact_string(r) for r in escalation.compact_rules(missing)) == [
        '{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}',
        '{NonResourceURLs:["/metrics"], Verbs:["get"]}']


def test_aggregation_gathers_matching_roles_by_name_each_rule_once():
    def role(name, labels, rules, selector=None):
        out = {"metadata": {"name": name, "labels": labels}, "rules": rules}
        if selector:
            out["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": selector}]}
        return out
    a, b = rule(["get"], resources=["pods"]), rule(["list"], resources=["pods"])
    view = role("view", {}, None, {"agg": "true"})
    roles = [role("z", {"agg": "true"}, [b, a]), role("a", {"agg": "true"}, [a]),
             role("other", {}, [rule(["delete"], resources=["pods"])]), view]
    assert aggregation.aggregated_rules(view, roles) == [a, b]


VALIDATION_CASES = [
    ("roles", {"metadata": {"name": "r"}, "rules": [{"verbs": [], "apiGroups": [""]}]},
     ["rules[0].verbs: Required value: verbs must contain at least one value",
      "rules[0].resources: Required value: resource rules must supply at least one resource"]),
    ("clusterroles", {"metadata": {"name": "a/b"},
                      "rules": [{"verbs": ["get"], "nonResourceURLs": ["/x"],
                                 "resources": ["pods"]}]},
     ["metadata.name: Invalid value: \"a/b\": may not contain '/'",
      'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: rules cannot apply to both '
      'regular resources and non-resource URLs']),
    ("clusterroles", {"metadata": {"name": "c"}, "aggregationRule": {}},
     ["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector "
      "required if aggregationRule is non-nil"]),
    ("clusterrolebindings", {"metadata": {"name": "b"},
                             "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                         "kind": "Role", "name": "r"},
                             "subjects": [{"kind": "ServiceAccount", "name": "bot"}]},
     ['roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
      "subjects[0].namespace: Required value"]),
    ("rolebindings", {"metadata": {"name": "b"},
                      "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": "r"},
                      "subjects": [{"kind": "User", "name": "u", "apiGroup": "x"}]},
     ['subjects[0].apiGroup: Unsupported value: "x": supported values: '
      '"rbac.authorization.k8s.io"']),
]


@pytest.mark.parametrize("resource,obj,messages", VALIDATION_CASES)
def test_validation(resource, obj, messages):
    causes = validate_rbac(resource, obj, None)
    assert ["%s: %s" % (c["field"], c["message"]) for c in causes] == messages


def test_a_binding_cannot_change_its_role():
    old = {"metadata": {"name": "b", "namespace": "ns", "uid": "u"},
           "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "r"}}
    new = dict(old, roleRef=dict(old["roleRef"], name="s"))
    assert [c["message"] for c in validate_rbac("rolebindings", new, old)] == [
        'Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", '
        'Name:"s"}: cannot change roleRef']


@pytest.mark.parametrize("user,account", [
    ("system:serviceaccount:ns:bot", ("ns", "bot")), ("system:serviceaccount:ns", None),
    ("system:serviceaccount::bot", None), ("alice", None),
    ("system:serviceaccount:ns:bot:x", None)])
def test_service_account_user_names(user, account):
    assert split_service_account(user) == account

"""core/permissions.py without a server: which permissions a run of each variant asks for
before writing, the SelfSubjectAccessReview it sends, how the answer is read, the refusal
line, and the rules' scopes."""

import pytest

from kubectl_sts.core.permissions import (COMMANDS, VARIANTS, Permission, allowed,
                                          command_rules, covers, merged, refusal, review,
                                          rules_for, writes_needed)


@pytest.mark.parametrize("variant,dry_run,expected", [
    ("scale", "none", [("update", "apps", "statefulsets/scale", "ns"),
                       ("list", "", "pods", "ns"), ("watch", "", "pods", "ns"),
                       ("list", "", "persistentvolumeclaims", "ns"),
                       ("watch", "", "persistentvolumeclaims", "ns")]),
    ("scale", "server", [("update", "apps", "statefulsets/scale", "ns")]),
    ("scale", "client", []),
    ("pvc --prune", "server", [("delete", "", "persistentvolumeclaims", "ns")]),
    ("restart", "server", [("create", "", "pods/eviction", "ns")]),
    ("restart --force", "server", [("create", "", "pods/eviction", "ns"),
                                   ("delete", "", "pods", "ns")]),
    ("rollout --image", "none", [("update", "apps", "statefulsets", "ns")]),
    ("rollout --undo", "server", [("update", "apps", "statefulsets", "ns"),
                                  ("delete", "", "pods", "ns")]),
    ("resize", "server", [("patch", "", "persistentvolumeclaims", "ns"),
                          ("delete", "apps", "statefulsets", "ns"),
                          ("create", "apps", "statefulsets", "ns")]),
    ("repair (taint)", "server", [("get", "", "nodes", None), ("patch", "", "nodes", None)]),
    ("repair --fresh-volume", "server", [
        ("patch", "", "persistentvolumes", None),
        ("delete", "", "persistentvolumeclaims", "ns"), ("delete", "", "pods", "ns")]),
    ("repair --fresh-volume --no-keep", "server", [
        ("delete", "", "persistentvolumeclaims", "ns"), ("delete", "", "pods", "ns")]),
    ("status", "none", []),
    ("doctor", "none", []),
    ("wait", "none", []),
])
def test_what_a_run_asks_for_before_its_first_write(variant, dry_run, expected):
    assert [tuple(p) for p in writes_needed(variant, "ns", dry_run)] == expected


def test_the_lock_is_never_asked_for_and_never_in_a_dry_run():
    for variant in VARIANTS:
        asked = writes_needed(variant, "ns")
        assert not [p for p in asked if p.group == "coordination.k8s.io"], variant
        for dry_run in ("client", "server"):
            assert not [r for r in rules_for(variant, dry_run) if r.kind == "lock"], variant
        assert not [r for r in rules_for(variant, "client") if r.kind != "read"], variant


@pytest.mark.parametrize("permission,attributes", [
    (Permission("update", "apps", "statefulsets/scale", "web-ns"),
     {"verb": "update", "group": "apps", "resource": "statefulsets", "subresource": "scale",
      "namespace": "web-ns"}),
    (Permission("patch", "", "nodes", None),
     {"verb": "patch", "group": "", "resource": "nodes"}),
])
def test_the_review_asks_in_the_apis_words(permission, attributes):
    assert review(permission) == {
        "apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": attributes}}


@pytest.mark.parametrize("answer,expected", [
    ({"status": {"allowed": True}}, True),
    ({"status": {"allowed": False, "reason": "no RBAC policy matched"}}, False),
    ({"status": {"allowed": True, "denied": True}}, False),
    ({"status": {}}, False),
    ({}, False),
])
def test_the_answer(answer, expected):
    assert allowed(answer) is expected


@pytest.mark.parametrize("missing,user,line", [
    ([Permission("update", "apps", "statefulsets/scale", "default")], "alice",
     'error: User "alice" cannot update resource "statefulsets/scale" in API group "apps" in '
     'the namespace "default": kubectl-sts scale needs it; nothing was changed'),
    ([Permission("patch", "", "nodes", None), Permission("delete", "", "pods", "db")], None,
     'error: cannot patch resource "nodes" in API group "" at the cluster scope: kubectl-sts '
     'scale needs it (and 1 more permission); nothing was changed'),
    ([Permission("delete", "", "pods", "db")] * 3, "bob",
     'error: User "bob" cannot delete resource "pods" in API group "" in the namespace "db": '
     'kubectl-sts scale needs it (and 2 more permissions); nothing was changed'),
])
def test_the_refusal_line(missing, user, line):
    assert refusal("scale", missing, user) == line
    assert "\n" not in line


def test_cluster_scoped_resources_are_cluster_rules():
    for variant, rules in VARIANTS.items():
        for r in rules:
            if {"nodes", "persistentvolumes", "storageclasses"} & set(r.resources):
                assert r.cluster, (variant, r)


def test_covers_needs_a_cluster_rule_outside_a_namespace():
    rules = rules_for("status")
    assert covers(rules, "get", "apps", "statefulsets", namespaced=True)
    assert not covers(rules, "list", "apps", "statefulsets", namespaced=False)
    assert covers(rules_for("status -A"), "list", "apps", "statefulsets", namespaced=False)
    assert covers(rules, "get", "", "nodes", namespaced=False)
    assert not covers(rules, "patch", "", "nodes", namespaced=False)


def test_merged_unites_verbs_per_resource():
    rules = merged(command_rules("repair"))
    nodes = [r for r in rules if r.resources == ("nodes",)]
    assert len(nodes) == 1 and set(nodes[0].verbs) == {"list", "get", "patch"}
    assert not nodes[0].optional and nodes[0].cluster
    assert all(len(r.resources) == 1 for r in rules)
    lock = [r for r in rules if r.group == "coordination.k8s.io"]
    assert len(lock) == 1 and lock[0].optional


def test_every_command_is_in_the_table():
    assert set(COMMANDS) == {"status", "rollout", "scale", "pvc", "resize", "wait", "restart",
                             "repair", "doctor", "version", "completion", "snapshot",
                             "restore"}
    assert rules_for("version") == ()

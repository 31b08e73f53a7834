"""examples/rbac/ is what tools/rbac_manifests.py writes from core/permissions.py, and each
file's Role and ClusterRole allow exactly what the table says the command needs."""

import os
import sys

import pytest
import yaml

from kubectl_sts.core.permissions import COMMANDS, VARIANTS, covers, rules_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RBAC = os.path.join(ROOT, "examples", "rbac")
sys.path.insert(0, os.path.join(ROOT, "tools"))

import rbac_manifests  # noqa: E402


def test_the_committed_files_are_the_generated_ones():
    wanted = rbac_manifests.manifests()
    assert sorted(os.listdir(RBAC)) == sorted(wanted), \
        "run python3 tools/rbac_manifests.py"
    for name, text in wanted.items():
        with open(os.path.join(RBAC, name)) as f:
            assert f.read() == text, "examples/rbac/%s is stale: run " \
                                     "python3 tools/rbac_manifests.py" % name
    assert rbac_manifests.main(["--check"]) == 0


def _documents(name):
    with open(os.path.join(RBAC, name)) as f:
        return {d["kind"]: d for d in yaml.safe_load_all(f) if d}


def _allows(docs, verb, group, resource, namespaced):
    """Whether the file's Role (namespaced requests) or ClusterRole allows the request."""
    kinds = ("Role", "ClusterRole") if namespaced else ("ClusterRole",)
    return any(verb in r["verbs"] and group in r["apiGroups"] and resource in r["resources"]
               for kind in kinds for r in (docs.get(kind) or {}).get("rules", []))


@pytest.mark.parametrize("command", [c for c in COMMANDS if c != "version"])
def test_each_file_allows_what_its_command_needs_and_no_more(command):
    for name in ("%s.yaml" % command, "all.yaml"):
        docs = _documents(name)
        assert set(docs) <= {"Role", "ClusterRole"}
        for kind, doc in docs.items():
            assert doc["apiVersion"] == "rbac.authorization.k8s.io/v1"
            assert doc["metadata"]["name"] == ("kubectl-sts" if name == "all.yaml"
                                               else "kubectl-sts-" + command)
            assert "namespace" not in doc["metadata"]     # applied with -n
        needed = [r for v in COMMANDS[command] for r in rules_for(v)]
        for r in needed:
            for verb in r.verbs:
                for resource in r.resources:
                    assert _allows(docs, verb, r.group, resource, not r.cluster), \
                        (name, verb, r.group, resource)
    # nothing in the command's own file that none of its variants needs
    docs = _documents("%s.yaml" % command)
    table = [r for v in COMMANDS[command] for r in VARIANTS[v]]
    for kind, doc in docs.items():
        for rule in doc["rules"]:
            for verb in rule["verbs"]:
                for resource in rule["resources"]:
                    assert covers([r for r in table if r.cluster == (kind == "ClusterRole")],
                                  verb, rule["apiGroups"][0], resource, kind == "Role"), \
                        (command, kind, verb, resource)


def test_cluster_scoped_resources_are_only_in_cluster_roles():
    cluster_scoped = {"nodes", "persistentvolumes", "storageclasses", "namespaces"}
    for name in os.listdir(RBAC):
        role = _documents(name).get("Role") or {"rules": []}
        for rule in role["rules"]:
            assert not cluster_scoped & set(rule["resources"]), (name, rule)


def test_all_yaml_applied_and_bound_lets_a_user_run_the_commands(kubectl, cli, apps, core,
                                                                  namespace):
    """As an operator would: apply examples/rbac/all.yaml with kubectl, bind it to a user, and
    run commands as that user (impersonated, so it runs on a real cluster too); a user without
    the binding is refused in one line (exit 4)."""
    from helpers import create_settled
    create_settled(apps, core, namespace, replicas=2)
    user = "sts-operator-" + namespace
    assert kubectl("apply", "-f", os.path.join(RBAC, "all.yaml")).returncode == 0
    steps = [kubectl("create", "rolebinding", "kubectl-sts", "--role=kubectl-sts",
                     "--user=" + user),
             kubectl("create", "clusterrolebinding", user, "--clusterrole=kubectl-sts",
                     "--user=" + user, namespaced=False)]
    try:
        assert all(s.returncode == 0 for s in steps), [s.stderr for s in steps]
        can = kubectl("auth", "can-i", "update", "statefulsets/scale", "--as", user)
        assert can.stdout.strip() == "yes", can.stderr
        cannot = kubectl("auth", "can-i", "create", "pods/exec", "--as", user)
        assert cannot.stdout.strip() == "no"
        code, out, err = cli("--as", user, "status", "web")
        assert code == 0 and "web-1" in out, err
        code, out, err = cli("--as", user, "scale", "web", "--replicas", "1",
                             "--dry-run=server")
        assert code == 0, err
        code, out, err = cli("--as", user + "-unbound", "scale", "web", "--replicas", "1",
                             "--yes")
        assert code == 4 and len(err.strip().splitlines()) == 1, (code, err)
        assert "cannot" in err and "Traceback" not in err
    finally:
        kubectl("delete", "clusterrolebinding", user, namespaced=False)

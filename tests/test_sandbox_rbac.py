"""RBAC in the sandbox through the real kubectl: Roles, ClusterRoles and their bindings decide
what a token user, a service account and an anonymous request may do, with kube-apiserver's
messages; `kubectl auth can-i [--list]`, `auth whoami`, `create token`, `--as`; the default
ClusterRoles and their aggregation; escalation refused."""

import json
import subprocess
from typing import Any, Dict

import pytest
import urllib3

pytestmark = pytest.mark.kubectl


def run(kubectl_bin, kubeconfig, *args, input=None):
    return subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig] + list(args), input=input,
                          capture_output=True, text=True, timeout=60, stdin=None
                          if input is not None else subprocess.DEVNULL)


def ok(done):
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def user(sandbox, namespace, tmp_path):
    """(user name, kubeconfig) of a token user of this test's own, in its namespace."""
    name = "user-" + namespace
    return name, sandbox.user_kubeconfig(str(tmp_path / "user"), name, namespace=namespace)


def test_a_user_bound_to_a_role_can_do_what_it_allows_and_nothing_more(kubectl, kubectl_bin,
                                                                        user, namespace):
    name, config = user
    ok(kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods"))
    ok(kubectl("create", "rolebinding", "reads", "--role=pod-reader", "--user=" + name))
    assert ok(run(kubectl_bin, config, "get", "pods")) == ""
    done = run(kubectl_bin, config, "delete", "pod", "web-0")
    assert done.returncode == 1
    assert done.stderr == (
        'Error from server (Forbidden): pods "web-0" is forbidden: User "%s" cannot delete '
        'resource "pods" in API group "" in the namespace "%s"\n' % (name, namespace))
    done = run(kubectl_bin, config, "get", "pods", "-n", "default")
    assert done.stderr == (
        'Error from server (Forbidden): pods is forbidden: User "%s" cannot list resource '
        '"pods" in API group "" in the namespace "default"\n' % name)


def test_roles_and_bindings_as_kubectl_get_prints_them(kubectl, user):
    name, _ = user
    ok(kubectl("create", "role", "pod-reader", "--verb=get", "--resource=pods"))
    ok(kubectl("create", "rolebinding", "reads", "--role=pod-reader", "--user=" + name,
               "--group=readers", "--serviceaccount=ns1:bot"))
    lines = ok(kubectl("get", "rolebinding", "reads", "-o", "wide")).splitlines()
    assert lines[0].split() == ["NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"]
    assert lines[1].split()[:2] == ["reads", "Role/pod-reader"]
    assert lines[1].split()[3:] == [name, "readers", "ns1/bot"]
    assert ok(kubectl("get", "role")).splitlines()[0].split() == ["NAME", "CREATED", "AT"]


def test_a_cluster_role_through_a_role_binding(kubectl, kubectl_bin, user, namespace):
    name, config = user
    ok(kubectl("create", "rolebinding", "viewers", "--clusterrole=view", "--user=" + name))
    ok(run(kubectl_bin, config, "get", "statefulsets,services,configmaps"))
    done = run(kubectl_bin, config, "get", "secrets")
    assert 'cannot list resource "secrets"' in done.stderr
    done = run(kubectl_bin, config, "scale", "statefulset", "web", "--replicas=2")
    assert done.returncode == 1


def test_can_i_and_its_list(kubectl, kubectl_bin, user):
    name, config = user
    ok(kubectl("create", "role", "pod-reader", "--verb=get,list", "--resource=pods"))
    ok(kubectl("create", "rolebinding", "reads", "--role=pod-reader", "--user=" + name))
    assert run(kubectl_bin, config, "auth", "can-i", "list", "pods").stdout == "yes\n"
    done = run(kubectl_bin, config, "auth", "can-i", "delete", "pods")
    assert (done.returncode, done.stdout) == (1, "no\n")
    rows = [line.split() for line in ok(run(kubectl_bin, config, "auth", "can-i",
                                            "--list")).splitlines()]
    assert rows[0] == ["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"]
    assert ["pods", "[]", "[]", "[get", "list]"] in rows
    assert ["selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"] in rows
    assert ["[/version]", "[]", "[get]"] in rows
    assert not any("secrets" in row for row in rows)


def test_whoami_and_impersonation(kubectl, kubectl_bin, user, namespace):
    name, config = user
    assert ok(run(kubectl_bin, config, "auth", "whoami")).splitlines() == [
        "ATTRIBUTE   VALUE", "Username    " + name, "Groups      [system:authenticated]"]
    lines = ok(kubectl("auth", "whoami", "--as", "bob", "--as-group", "devs")).splitlines()
    assert lines[1:] == ["Username    bob", "Groups      [devs system:authenticated]"]
    done = run(kubectl_bin, config, "get", "pods", "--as", "bob")
    assert done.stderr == (
        'Error from server (Forbidden): users "bob" is forbidden: User "%s" cannot impersonate '
        'resource "users" in API group "" at the cluster scope\n' % name)
    account = "system:serviceaccount:%s:default" % namespace
    lines = ok(kubectl("auth", "whoami", "--as", account)).splitlines()
    assert lines[1].split() == ["Username", account]
    assert lines[2].split() == ["Groups", "[system:serviceaccounts",
                                "system:serviceaccounts:%s" % namespace,
                                "system:authenticated]"]
    done = kubectl("auth", "can-i", "list", "pods", "--as", account)
    assert (done.returncode, done.stdout) == (1, "no\n")


def test_create_token_then_use_it(sandbox, kubectl, kubectl_bin, namespace, tmp_path):
    ok(kubectl("create", "serviceaccount", "bot"))
    ok(kubectl("create", "rolebinding", "bot-view", "--clusterrole=view",
               "--serviceaccount=%s:bot" % namespace))
    token = ok(kubectl("create", "token", "bot", "--duration=15m")).strip()
    assert token.count(".") == 2
    config = sandbox.write_kubeconfig(str(tmp_path / "bot"), token=token, namespace=namespace)
    assert ok(run(kubectl_bin, config, "get", "pods")) == ""
    lines = ok(run(kubectl_bin, config, "auth", "whoami")).splitlines()
    assert lines[1].split() == ["Username", "system:serviceaccount:%s:bot" % namespace]
    assert lines[2].split()[0] == "UID"
    done = run(kubectl_bin, config, "delete", "pods", "--all")
    assert done.returncode == 0        # nothing to delete: the list is allowed
    done = run(kubectl_bin, config, "create", "configmap", "c")
    assert ('configmaps is forbidden: User "system:serviceaccount:%s:bot" cannot create '
            'resource "configmaps"' % namespace) in done.stderr
    done = kubectl("create", "token", "bot", "--duration=5m")
    assert done.stderr == (
        'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: '
        'spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 '
        'minutes\n')
    ok(kubectl("delete", "serviceaccount", "bot"))
    ok(kubectl("create", "serviceaccount", "bot"))      # the same name, another uid
    done = run(kubectl_bin, config, "get", "pods")
    assert done.returncode == 1
    assert "error: You must be logged in to the server (Unauthorized)" in done.stderr


def test_an_expired_token_is_401(kubectl_bin, tmp_path):
    from kubectl_sts_sandbox import Sandbox
    with Sandbox(tls=True) as sb:
        token = ok(run(kubectl_bin, sb.kubeconfig, "create", "token", "default",
                       "--duration=10m")).strip()
        config = sb.write_kubeconfig(str(tmp_path / "sa"), token=token)
        assert run(kubectl_bin, config, "auth", "whoami").returncode == 0
        sb.store.clock.advance(11 * 60 + 1)             # past exp and a minute's leeway
        done = run(kubectl_bin, config, "auth", "whoami")
        assert done.returncode == 1
        assert "Unauthorized" in done.stderr


def test_anonymous_requests_go_through_rbac(sandbox, namespace):
    http = urllib3.PoolManager(ca_certs=sandbox.ca_file, retries=False) if sandbox.tls else None
    if http is None:
        pytest.skip("anonymous requests over plain HTTP are the insecure port's superuser")
    for path in ("/healthz", "/livez", "/readyz", "/version"):
        assert http.request("GET", sandbox.url + path).status == 200, path
    answer = http.request("GET", sandbox.url + "/api/v1/namespaces/%s/pods" % namespace)
    assert answer.status == 403
    assert json.loads(answer.data)["message"] == (
        'pods is forbidden: User "system:anonymous" cannot list resource "pods" in API group '
        '"" in the namespace "%s"' % namespace)
    answer = http.request("GET", sandbox.url + "/apis")
    assert (answer.status, json.loads(answer.data)["message"]) == (
        403, 'forbidden: User "system:anonymous" cannot get path "/apis"')


def test_user_cluster_roles_aggregate_into_view(kubectl, kubectl_bin, user, namespace):
    name, config = user
    ok(kubectl("create", "rolebinding", "viewers", "--clusterrole=view", "--user=" + name))
    assert run(kubectl_bin, config, "get", "leases").returncode == 1
    extra: Dict[str, Any] = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
             "metadata": {"name": "leases-view-" + namespace,
                          "labels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}},
             "rules": [{"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
                        "verbs": ["get", "list"]}]}
    ok(kubectl("apply", "-f", "-", input=json.dumps(extra), namespaced=False))
    try:
        view = json.loads(ok(kubectl("get", "clusterrole", "view", "-o", "json",
                                     namespaced=False)))
        assert extra["rules"][0] in view["rules"]
        assert view["metadata"]["labels"]["kubernetes.io/bootstrapping"] == "rbac-defaults"
        assert ok(run(kubectl_bin, config, "get", "leases")) == ""
        edit = json.loads(ok(kubectl("get", "clusterrole", "edit", "-o", "json",
                                     namespaced=False)))
        assert extra["rules"][0] in edit["rules"]
    finally:
        ok(kubectl("delete", "clusterrole", extra["metadata"]["name"], namespaced=False))
    view = json.loads(ok(kubectl("get", "clusterrole", "view", "-o", "json", namespaced=False)))
    assert extra["rules"][0] not in view["rules"]


def test_escalation_is_refused(kubectl, kubectl_bin, user, namespace):
    name, config = user
    ok(kubectl("create", "rolebinding", "admins", "--clusterrole=admin", "--user=" + name))
    ok(run(kubectl_bin, config, "create", "role", "pods", "--verb=get", "--resource=pods"))
    done = run(kubectl_bin, config, "create", "role", "nodes", "--verb=get,list",
               "--resource=nodes")
    assert done.stderr == (
        'Error from server (Forbidden): roles.rbac.authorization.k8s.io "nodes" is forbidden: '
        'user "%s" (groups=["system:authenticated"]) is attempting to grant RBAC permissions '
        'not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get" "list"]}\n'
        % name)
    done = run(kubectl_bin, config, "create", "rolebinding", "root", "--clusterrole=cluster-admin",
               "--user=" + name)
    assert 'rolebindings.rbac.authorization.k8s.io "root" is forbidden: user' in done.stderr
    assert '{NonResourceURLs:["*"], Verbs:["*"]}' in done.stderr
    ok(run(kubectl_bin, config, "create", "rolebinding", "edits", "--clusterrole=edit",
           "--user=someone-else"))                      # admin holds every rule of edit


def test_rbac_objects_are_validated_and_applied(kubectl):
    bad = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
           "metadata": {"name": "bad"}, "roleRef": {"kind": "Foo", "name": "x"},
           "subjects": [{"kind": "User", "name": "a"}, {"kind": "Robot", "name": "b"}]}
    done = kubectl("apply", "-f", "-", input=json.dumps(bad))
    assert done.stderr.splitlines() == [
        'The RoleBinding "bad" is invalid: ',
        '* roleRef.kind: Unsupported value: "Foo": supported values: "Role", "ClusterRole"',
        '* subjects[1].kind: Unsupported value: "Robot": supported values: "ServiceAccount", '
        '"User", "Group"']
    role: Dict[str, Any] = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                            "metadata": {"name": "r1"},
            "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
    assert ok(kubectl("apply", "-f", "-", input=json.dumps(role))) == \
        "role.rbac.authorization.k8s.io/r1 created\n"
    role["rules"][0]["verbs"].append("list")
    assert ok(kubectl("apply", "-f", "-", input=json.dumps(role))) == \
        "role.rbac.authorization.k8s.io/r1 configured\n"
    assert json.loads(ok(kubectl("get", "role", "r1", "-o", "jsonpath={.rules}"))) == \
        role["rules"]
    role["rules"] = [{"nonResourceURLs": ["/x"], "verbs": ["get"]}]
    done = kubectl("apply", "-f", "-", input=json.dumps(role))
    assert 'rules[0].nonResourceURLs: Invalid value: []string{"/x"}: namespaced rules cannot ' \
        'apply to non-resource URLs' in done.stderr

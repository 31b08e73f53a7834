"""The sandbox's review resources through the real kubectl: `kubectl auth can-i` asks a
SelfSubjectAccessReview, answered by the authorizer that guards requests."""

import json
import subprocess

import pytest

pytestmark = pytest.mark.kubectl

SSAR = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def run(kubectl_bin, kubeconfig, *args, input=None):
    return subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig] + list(args), input=input,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def reader(sandbox, namespace, tmp_path):
    """A kubeconfig for the token user `reader`, granted get/list on pods in the namespace."""
    token = "reader-" + namespace
    sandbox.grant(token, "reader", [{"verbs": ["get", "list"], "resources": ["pods"],
                                     "apiGroups": [""], "namespaces": [namespace]}])
    return sandbox.write_kubeconfig(str(tmp_path / "reader"), token=token, namespace=namespace)


def test_can_i_answers_for_the_admin(sandbox, kubectl):
    done = kubectl("auth", "can-i", "delete", "statefulsets")
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr


def test_can_i_answers_for_a_limited_user(sandbox, kubectl_bin, reader, namespace):
    done = run(kubectl_bin, reader, "auth", "can-i", "list", "pods")
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr
    done = run(kubectl_bin, reader, "auth", "can-i", "delete", "pods")
    assert (done.returncode, done.stdout) == (1, "no\n"), done.stderr
    done = run(kubectl_bin, reader, "auth", "can-i", "list", "pods", "-n", "kube-system")
    assert (done.returncode, done.stdout) == (1, "no\n"), done.stderr


def test_can_i_non_resource_url(sandbox, kubectl_bin, reader):
    done = run(kubectl_bin, reader, "auth", "can-i", "get", "/version")
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr
    done = run(kubectl_bin, reader, "auth", "can-i", "get", "/metrics")
    assert (done.returncode, done.stdout) == (1, "no\n"), done.stderr


def test_can_i_as_another_user(sandbox, kubectl, namespace):
    sandbox.grant(None, "rbac-as-" + namespace, [{"verbs": ["get"], "resources": ["secrets"]}])
    done = kubectl("auth", "can-i", "get", "secrets", "--as", "rbac-as-" + namespace)
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr
    done = kubectl("auth", "can-i", "get", "pods", "--as", "rbac-as-" + namespace)
    assert (done.returncode, done.stdout) == (1, "no\n"), done.stderr


def test_review_body_and_validation(sandbox, kubectl):
    review = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
              "spec": {"nonResourceAttributes": {"verb": "get", "path": "/healthz"}}}
    done = kubectl("create", "-f", "-", "-o", "json", input=json.dumps(review))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["kind"] == "SelfSubjectAccessReview"
    assert answer["status"] == {"allowed": True}
    done = kubectl("create", "-f", "-", input=json.dumps(dict(review, spec={})))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'The SelfSubjectAccessReview "" is invalid: spec.resourceAttributes: Invalid value: '
        '"null": exactly one of nonResourceAttributes or resourceAttributes must be specified')


def test_reviews_are_listed_in_discovery_as_create_only(sandbox, kubectl):
    done = kubectl("get", "--raw", "/apis/authorization.k8s.io/v1", namespaced=False)
    assert done.returncode == 0, done.stderr
    resources = {r["name"]: r["verbs"] for r in json.loads(done.stdout)["resources"]}
    assert resources["selfsubjectaccessreviews"] == ["create"]
    assert resources["selfsubjectrulesreviews"] == ["create"]

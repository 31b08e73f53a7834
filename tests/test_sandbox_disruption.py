"""PodDisruptionBudgets on the sandbox: the disruption controller's status (as
kube-controller-manager keeps it), `kubectl get pdb`, and the pods/eviction subresource with
its real answers. Written against the API, so they run on a real cluster too (except the
slow-start annotation, which only the sandbox honours)."""

import json

import pytest

from builders import pdb
from helpers import create_settled, raw, wait_for

SLOW = {"sandbox.kubectl-sts.io/ready-after": "4s"}


def _set(apps, core, namespace, replicas=3, annotations=None):
    create_settled(apps, core, namespace, replicas=replicas, pod_management="Parallel",
                   pod_annotations=annotations)


def _pdb(kubectl, name="web", **spec):
    doc = pdb(name, **spec)
    out = kubectl("create", "-f", "-", input=json.dumps(doc))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "poddisruptionbudget.policy/%s created" % name


def _status(api_client, namespace, name="web", want=None):
    from kubernetes import client
    policy = client.PolicyV1Api(api_client)
    items = wait_for(policy.list_namespaced_pod_disruption_budget,
                     lambda items: name in items and (items[name].get("status") or {}).get(
                         "observedGeneration") == 1 and (want is None or want(
                             items[name]["status"])), timeout=30, namespace=namespace)
    return items[name]["status"]


def _evict(api_client, namespace, pod, uid=None):
    body = {"apiVersion": "policy/v1", "kind": "Eviction",
            "metadata": {"name": pod, "namespace": namespace}}
    if uid:
        body["deleteOptions"] = {"preconditions": {"uid": uid}}
    return raw(api_client, "POST", "/api/v1/namespaces/%s/pods/%s/eviction" % (namespace, pod),
               body=body)


@pytest.mark.parametrize("replicas, spec, expected, desired, allowed", [
    (3, {"minAvailable": 2}, 3, 2, 1),
    (3, {"minAvailable": "50%"}, 3, 2, 1),          # 1.5 rounded up
    (4, {"maxUnavailable": "50%"}, 4, 2, 2),
    (3, {"maxUnavailable": 1}, 3, 2, 1),
    (3, {"maxUnavailable": 0}, 3, 3, 0),
    (3, {"minAvailable": 5}, 3, 5, 0),
])
def test_the_controller_keeps_each_budgets_status(api_client, apps, core, namespace, kubectl,
                                                  replicas, spec, expected, desired, allowed):
    _set(apps, core, namespace, replicas)
    _pdb(kubectl, **spec)
    status = _status(api_client, namespace, want=lambda s: s.get("currentHealthy") == replicas)
    assert (status["expectedPods"], status["desiredHealthy"], status["disruptionsAllowed"]) == \
        (expected, desired, allowed)
    condition = status["conditions"][0]
    assert condition["type"] == "DisruptionAllowed"
    assert (condition["status"], condition["reason"]) == (
        ("True", "SufficientPods") if allowed else ("False", "InsufficientPods"))
    table = kubectl("get", "pdb", "web").stdout.splitlines()
    assert table[0].split() == ["NAME", "MIN", "AVAILABLE", "MAX", "UNAVAILABLE", "ALLOWED",
                                "DISRUPTIONS", "AGE"]
    assert table[1].split()[:4] == ["web", str(spec.get("minAvailable", "N/A")),
                                    str(spec.get("maxUnavailable", "N/A")), str(allowed)]


def test_an_eviction_takes_a_disruption_and_a_second_one_is_refused(
        sandbox, api_client, apps, core, namespace, kubectl):
    _set(apps, core, namespace, annotations=SLOW)
    _pdb(kubectl, minAvailable=2)
    _status(api_client, namespace, want=lambda s: s.get("disruptionsAllowed") == 1)
    uid = core.read_namespaced_pod("web-0", namespace).metadata.uid
    code, body = _evict(api_client, namespace, "web-0", uid)
    assert (code, body) == (201, {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                  "status": "Success", "code": 201})
    # web-0 comes back slowly: the budget has no disruption left meanwhile
    code, body = _evict(api_client, namespace, "web-1")
    assert code == 429
    assert body["reason"] == "TooManyRequests"
    assert body["message"] == "Cannot evict pod as it would violate the pod's disruption budget."
    assert body["details"]["causes"] == [{
        "reason": "DisruptionBudget",
        "message": "The disruption budget web needs 2 healthy pods and has 2 currently"}]
    # once web-0 is Ready again the next eviction is allowed
    _status(api_client, namespace, want=lambda s: s.get("currentHealthy") == 3)
    assert _evict(api_client, namespace, "web-1")[0] == 201


def test_eviction_answers_404_and_the_precondition_409(api_client, apps, core, namespace):
    _set(apps, core, namespace, replicas=1)
    code, body = _evict(api_client, namespace, "web-9")
    assert (code, body["reason"], body["message"]) == (404, "NotFound", 'pods "web-9" not found')
    code, body = _evict(api_client, namespace, "web-0", uid="not-the-uid")
    assert (code, body["reason"]) == (409, "Conflict")
    assert "Precondition failed: UID in precondition: not-the-uid" in body["message"]


def test_without_a_budget_an_eviction_deletes_the_pod(api_client, apps, core, namespace):
    _set(apps, core, namespace, replicas=1)
    uid = core.read_namespaced_pod("web-0", namespace).metadata.uid
    assert _evict(api_client, namespace, "web-0", uid)[0] == 201
    wait_for(core.list_namespaced_pod, lambda pods: "web-0" in pods and
             pods["web-0"]["metadata"]["uid"] != uid, timeout=30, namespace=namespace)

"""The `kubernetes` Service of namespace `default` and its EndpointSlice, as kube-apiserver's
controllers keep them (apiservice.py), seen through the real kubectl: their fields, and a
deleted one made again."""

import json

import pytest

from helpers import wait_for

pytestmark = pytest.mark.kubectl


def _get(kubectl, *args):
    result = kubectl("get", *args, "-n", "default", "-o", "json", namespaced=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_kubernetes_service(sandbox, kubectl):
    svc = _get(kubectl, "svc", "kubernetes")
    assert svc["metadata"]["labels"] == {"component": "apiserver", "provider": "kubernetes"}
    assert svc["spec"] == {
        "clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
        "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
        "ipFamilyPolicy": "SingleStack",
        "ports": [{"name": "https", "port": 443, "protocol": "TCP",
                   "targetPort": sandbox.port}],
        "sessionAffinity": "None", "type": "ClusterIP"}
    table = kubectl("get", "svc", "kubernetes", "-n", "default", namespaced=False)
    assert table.stdout.split("\n")[1].split()[:5] == [
        "kubernetes", "ClusterIP", "10.96.0.1", "<none>", "443/TCP"]


def test_its_endpointslice_is_the_api_server(sandbox, kubectl):
    eps = _get(kubectl, "endpointslice", "kubernetes")
    assert eps["metadata"]["labels"] == {"kubernetes.io/service-name": "kubernetes"}
    assert "ownerReferences" not in eps["metadata"]
    assert (eps["addressType"], eps["endpoints"], eps["ports"]) == (
        "IPv4", [{"addresses": ["127.0.0.1"], "conditions": {"ready": True}}],
        [{"name": "https", "port": sandbox.port, "protocol": "TCP"}])
    assert sandbox.url.endswith("://127.0.0.1:%d" % sandbox.port)   # where it really is


@pytest.mark.parametrize("kind", ["svc", "endpointslice"])
def test_deleted_it_comes_back(api_client, kubectl, core, kind):
    from kubernetes import client
    before = _get(kubectl, kind, "kubernetes")
    deleted = kubectl("delete", kind, "kubernetes", "-n", "default", namespaced=False)
    assert deleted.returncode == 0, deleted.stderr
    list_fn = core.list_namespaced_service if kind == "svc" else \
        client.DiscoveryV1Api(api_client).list_namespaced_endpoint_slice
    wait_for(list_fn, lambda items: "kubernetes" in items and
             items["kubernetes"]["metadata"]["uid"] != before["metadata"]["uid"],
             namespace="default", timeout=30)
    after = _get(kubectl, kind, "kubernetes")
    assert after["metadata"]["uid"] != before["metadata"]["uid"]
    for key in ("spec", "endpoints", "ports", "addressType"):
        assert after.get(key) == before.get(key)

"""EndpointSlices for Services, as the endpointslice controller keeps them: ready and not-ready
addresses, publishNotReadyAddresses, the hostnames of a headless Service's pods."""

import json

from helpers import create_settled, ready_status, wait_for
from kubectl_sts.cli.app import main


def _slices(kubectl):
    out = kubectl("get", "endpointslices", "-l", "kubernetes.io/service-name=web", "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["items"]


def _endpoints(kubectl):
    return {e["hostname"]: e["conditions"]["ready"]
            for s in _slices(kubectl) for e in s.get("endpoints") or []}


def _until(apps, namespace, predicate):
    """Watch the EndpointSlices until predicate({hostname: ready}) holds."""
    from kubernetes import client
    api = client.DiscoveryV1Api(apps.api_client)
    return wait_for(api.list_namespaced_endpoint_slice, lambda items: predicate({
        e.get("hostname"): (e.get("conditions") or {}).get("ready")
        for s in items.values() for e in s.get("endpoints") or []}), timeout=30,
        namespace=namespace, label_selector="kubernetes.io/service-name=web")


def test_pods_of_a_headless_service_get_records(apps, core, namespace, kubectl, capsys,
                                                kubeconfig):
    create_settled(apps, core, namespace, replicas=2, pod_management="Parallel")
    _until(apps, namespace, lambda e: e == {"web-0": True, "web-1": True})
    table = kubectl("get", "endpointslices").stdout.splitlines()
    assert table[0].split() == ["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]
    # a pod that is not Ready is published only with publishNotReadyAddresses
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"metadata": {
        "annotations": {"sandbox.kubectl-sts.io/behavior": "never-ready"}}}}})
    wait_for(core.list_namespaced_pod, lambda pods: ready_status(pods.get("web-1", {})) ==
             "False", timeout=60, namespace=namespace)
    _until(apps, namespace, lambda e: e.get("web-1") is False)
    capsys.readouterr()
    assert main(["--kubeconfig", kubeconfig, "-n", namespace, "doctor", "web"]) == 0
    assert "not-ready-not-in-dns: web-1 not Ready, so not in DNS" in capsys.readouterr().out
    core.patch_namespaced_service("web", namespace, {"spec": {"publishNotReadyAddresses": True}})
    _until(apps, namespace, lambda e: e.get("web-1") is True)
    assert _endpoints(kubectl)["web-1"] is True      # as kubectl shows it

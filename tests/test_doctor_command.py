"""`kubectl sts doctor` against a cluster: one test per hazard, and a clean set with none."""

import json

import pytest

import builders
from helpers import create, create_settled, settle, sts_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_HAZARDS

def _create(apps, core, namespace, replicas=2, service="headless", **kwargs):
    kwargs.setdefault("pod_management", "Parallel")
    if service == "clusterip":
        core.create_namespaced_service(namespace, builders.service(
            "web", cluster_ip=None, ports=[{"port": 80}]))
    elif service == "wrong-selector":
        core.create_namespaced_service(namespace, builders.service("web",
                                                                   selector={"app": "other"}))
    return create_settled(apps, core, namespace, with_service=service == "headless",
                          replicas=replicas, **kwargs)


def _doctor(capsys, kubeconfig, namespace, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "doctor"] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _checks(capsys, kubeconfig, namespace):
    code, out, err = _doctor(capsys, kubeconfig, namespace, "web", "-o", "json")
    doc = json.loads(out)
    return code, {(f["severity"], f["check"]): f for f in doc["findings"]}


def test_a_clean_set_has_no_findings(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace)
    code, out, err = _doctor(capsys, kubeconfig, namespace, "web")
    assert code == 0, err
    assert out == "no hazards found in 1 StatefulSet(s)\n"


@pytest.mark.parametrize("service, finding, fragment", [
    (None, ("error", "no-service"), "Service web (spec.serviceName) does not exist"),
    ("wrong-selector", ("error", "service-misses-pods"), "does not select web-0, web-1"),
    ("clusterip", ("warning", "service-not-headless"), "per-pod DNS records need a headless"),
])
def test_service_hazards(apps, core, namespace, kubeconfig, capsys, service, finding, fragment):
    _create(apps, core, namespace, service=service)
    code, found = _checks(capsys, kubeconfig, namespace)
    assert finding in found, found
    assert fragment in found[finding]["evidence"]
    assert code == (EXIT_HAZARDS if finding[0] == "error" else 0)


def test_retention_that_deletes_data(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, retention={"whenDeleted": "Delete", "whenScaled": "Retain"})
    code, found = _checks(capsys, kubeconfig, namespace)
    assert code == 0
    assert found[("warning", "retention-deletes-data")]["evidence"].startswith(
        "whenDeleted: Delete with PVs whose reclaimPolicy is Delete (data-web-0, data-web-1)")


def test_a_stale_partition(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, partition=1)
    _, found = _checks(capsys, kubeconfig, namespace)
    assert found[("warning", "stale-partition")]["evidence"] == (
        "partition is 1 with nothing pending: the next template change skips ordinals below 1 "
        "silently")


def test_a_budget_that_blocks_every_drain(apps, core, namespace, kubeconfig, kubectl, capsys):
    from kubernetes import client
    _create(apps, core, namespace)
    doc = builders.pdb(max_unavailable=0)
    assert kubectl("create", "-f", "-", input=json.dumps(doc)).returncode == 0
    wait_for(client.PolicyV1Api(apps.api_client).list_namespaced_pod_disruption_budget,
             lambda items: (items["web"].get("status") or {}).get("currentHealthy") == 2,
             timeout=30, namespace=namespace)
    _, found = _checks(capsys, kubeconfig, namespace)
    assert ("warning", "pdb-blocks-drain") in found


def test_a_class_that_cannot_expand(sandbox, apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, replicas=1, storage_class="fixed")
    _, found = _checks(capsys, kubeconfig, namespace)
    assert found[("info", "class-cannot-expand")]["evidence"].startswith(
        "StorageClass fixed of its PVCs does not allow volume expansion")


def test_max_unavailable_dropped_by_the_server(sandbox, kubectl_bin, capsys):
    # a 1.36 cluster: MaxUnavailableStatefulSet is off there (the session sandbox plays 1.37,
    # where it is on and the field is kept)
    import subprocess
    from kubectl_sts_sandbox import Sandbox
    sts = builders.statefulset(replicas=1, max_unavailable=2)
    svc = builders.service("web", selector={"app": "web"})
    with Sandbox(kubernetes_version="1.36") as sb:
        kubeconfig = sb.kubeconfig
        assert kubeconfig is not None
        for doc in (svc, sts):
            done = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "apply", "-f", "-"],
                                  input=json.dumps(doc), capture_output=True, text=True)
            assert done.returncode == 0, done.stderr
        settled = subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig, "rollout", "status",
                                  "sts/web", "--timeout=30s"], capture_output=True, text=True)
        assert settled.returncode == 0, settled.stderr
        _, found = _checks(capsys, kubeconfig, "default")
    assert found[("warning", "max-unavailable-dropped")]["evidence"].startswith(
        "the applied manifest sets maxUnavailable: 2, but the server dropped it")


def test_a_zero_grace_period(apps, core, namespace, kubeconfig, capsys):
    sts = builders.statefulset(replicas=1, grace=0)
    create(apps, core, namespace, sts)
    settle(apps, namespace, "web", 1)
    _, found = _checks(capsys, kubeconfig, namespace)
    assert ("warning", "zero-grace-period") in found


def test_claim_drift_and_orphans(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace)
    core.patch_namespaced_persistent_volume_claim("data-web-0", namespace, {"spec": {
        "resources": {"requests": {"storage": "2Gi"}}}})
    apps.patch_namespaced_stateful_set_scale("web", namespace, {"spec": {"replicas": 1}})
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 1), namespace=namespace)
    _, found = _checks(capsys, kubeconfig, namespace)
    assert found[("info", "claim-drift")]["evidence"] == \
        "PVC data-web-0 requests 2Gi, the template 1Gi"
    assert found[("info", "orphaned-pvcs")]["evidence"].startswith(
        "1 PVC(s) outside the ordinal range (data-web-1) keep ")


def test_the_forced_rollback_trap_is_an_error(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, pod_management=None)
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "registry.invalid/nope:1"}]}}}})
    wait_for(core.list_namespaced_pod, lambda pods: any(
        (cs.get("state") or {}).get("waiting", {}).get("reason") in ("ErrImagePull",
                                                                     "ImagePullBackOff")
        for p in pods.values() for cs in (p.get("status") or {}).get("containerStatuses") or []),
        timeout=60, namespace=namespace)
    code, found = _checks(capsys, kubeconfig, namespace)
    assert code == EXIT_HAZARDS
    assert ("error", "stuck") in found


def test_every_set_of_the_namespace_and_text_lines(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, partition=1)
    code, out, err = _doctor(capsys, kubeconfig, namespace)
    assert code == 0, err
    assert out.startswith("warning  web  stale-partition: partition is 1 with nothing pending")
    assert "; fix: kubectl sts rollout web --all" in out

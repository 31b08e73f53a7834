"""The sandbox as any supported Kubernetes release (1.32 to 1.37), with kube-apiserver's
--feature-gates, over HTTPS, and with images missing from their registry: through the real
kubectl and the `kubectl-sts sandbox` command, as a user would see them.

Upstream: pkg/features/kube_features.go (each gate's versioned defaults), component-base's
featuregate Set/SetFromMap (the flag's syntax and errors), pkg/registry/apps/statefulset
(dropping maxUnavailable with the gate off), pkg/kubelet/images/image_manager.go (the pull
events), pkg/apis/core/validation (lowering a claim's request)."""

import json
import os
import signal
import subprocess
import sys

import pytest
import yaml

import builders
from kubectl_sts.errors import EXIT_USAGE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, timeout=30):
    return subprocess.run([sys.executable, "-m", "kubectl_sts"] + list(args), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env=dict(os.environ, PYTHONPATH=ROOT))


def _kubectl(kubectl_bin, kubeconfig):
    def run(*args, input=None, timeout=60):
        return subprocess.run([kubectl_bin, "--kubeconfig", kubeconfig] + list(args),
                              input=input, capture_output=True, text=True, timeout=timeout)
    return run


def _sandbox(**options):
    from kubectl_sts_sandbox import Sandbox
    return Sandbox(**options)


def _apply(kubectl, *docs):
    for doc in docs:
        out = kubectl("apply", "-f", "-", input=json.dumps(doc))
        assert out.returncode == 0, out.stderr


def _rolling_update(kubectl, name="web"):
    out = kubectl("get", "sts", name, "-o", "jsonpath={.spec.updateStrategy.rollingUpdate}")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout or "{}")


# -- /version and discovery -------------------------------------------------------------------

@pytest.mark.parametrize("version, go", [("1.32", "go1.23"), ("1.34", "go1.24"),
                                         ("1.35", "go1.25"), ("1.37", "go1.26")])
def test_kubectl_version_shows_the_release_played(kubectl_bin, version, go):
    with _sandbox(kubernetes_version=version) as sb:
        out = _kubectl(kubectl_bin, sb.kubeconfig)("version", "-o", "json")
    assert out.returncode == 0, out.stderr
    server = json.loads(out.stdout)["serverVersion"]
    assert (server["major"], server["minor"]) == ("1", version.split(".")[1])
    assert server["gitVersion"] == "v%s.0" % version
    assert server["goVersion"].startswith(go + ".")


def test_volume_attributes_classes_are_served_from_1_34(kubectl_bin):
    vac = {"apiVersion": "storage.k8s.io/v1", "kind": "VolumeAttributesClass",
           "metadata": {"name": "gold"}, "driverName": "csi.example.com",
           "parameters": {"iops": "3000"}}
    with _sandbox(kubernetes_version="1.33") as sb:
        kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
        resources = kubectl("api-resources", "--api-group", "storage.k8s.io", "-o", "name")
        refused = kubectl("get", "vac")
    assert resources.stdout.split() == ["storageclasses.storage.k8s.io"]
    assert refused.returncode == 1
    assert refused.stderr.strip() == 'error: the server doesn\'t have a resource type "vac"'
    with _sandbox(kubernetes_version="1.34") as sb:
        kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
        resources = kubectl("api-resources", "--api-group", "storage.k8s.io", "-o", "name")
        created = kubectl("create", "-f", "-", input=json.dumps(vac))
        table = kubectl("get", "vac")
    assert resources.stdout.split() == ["storageclasses.storage.k8s.io",
                                        "volumeattributesclasses.storage.k8s.io"]
    assert created.stdout.strip() == "volumeattributesclass.storage.k8s.io/gold created"
    assert table.stdout.split("\n")[0].split() == ["NAME", "DRIVERNAME", "AGE"]
    assert table.stdout.split("\n")[1].split()[:2] == ["gold", "csi.example.com"]


def test_nodes_run_the_kubelet_of_the_release(kubectl_bin):
    with _sandbox(kubernetes_version="1.35") as sb:
        out = _kubectl(kubectl_bin, sb.kubeconfig)(
            "get", "nodes", "-o", "jsonpath={.items[*].status.nodeInfo.kubeletVersion}")
    assert out.stdout.split() == ["v1.35.0"] * 3


# -- feature gates ----------------------------------------------------------------------------

@pytest.mark.parametrize("version, gates, kept", [
    ("1.34", {}, False), ("1.35", {}, True), ("1.36", {}, False), ("1.37", {}, True),
    ("1.36", {"MaxUnavailableStatefulSet": True}, True),
    ("1.37", {"MaxUnavailableStatefulSet": False}, False),
])
def test_max_unavailable_follows_the_release_and_the_gate(kubectl_bin, version, gates, kept):
    with _sandbox(kubernetes_version=version, feature_gates=gates) as sb:
        kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
        _apply(kubectl, builders.statefulset("web", replicas=1, max_unavailable=2),
               builders.statefulset("db", replicas=1, claims=None))
        web, db = _rolling_update(kubectl, "web"), _rolling_update(kubectl, "db")
    # with the gate on the registry keeps the field and defaults it to 1 (defaults.go
    # SetDefaults_StatefulSet); off, it is dropped (strategy.go dropStatefulSetDisabledFields)
    if kept:
        assert web == {"partition": 0, "maxUnavailable": 2}
        assert db == {"partition": 0, "maxUnavailable": 1}
    else:
        assert web == {"partition": 0} and db == {"partition": 0}


@pytest.mark.parametrize("args, message", [
    (["--feature-gates", "NoSuchGate=true"],
     'error: invalid argument "NoSuchGate=true" for "--feature-gates" flag: '
     'unrecognized feature gate: NoSuchGate'),
    (["--feature-gates", "MaxUnavailableStatefulSet=maybe"],
     'error: invalid argument "MaxUnavailableStatefulSet=maybe" for "--feature-gates" flag: '
     'invalid value of MaxUnavailableStatefulSet=maybe, err: strconv.ParseBool: parsing '
     '"maybe": invalid syntax'),
    (["--feature-gates", "MaxUnavailableStatefulSet"],
     'error: invalid argument "MaxUnavailableStatefulSet" for "--feature-gates" flag: '
     'missing bool value for MaxUnavailableStatefulSet'),
    (["--kubernetes-version", "1.36", "--feature-gates", "VolumeAttributesClass=false"],
     'error: invalid argument "VolumeAttributesClass=false" for "--feature-gates" flag: '
     'cannot set feature gate VolumeAttributesClass to false, feature is locked to true'),
    (["--kubernetes-version", "1.36", "--feature-gates", "StatefulSetRecreateStrategy=true"],
     'error: invalid argument "StatefulSetRecreateStrategy=true" for "--feature-gates" flag: '
     'cannot set feature gate StatefulSetRecreateStrategy to true, feature is PreAlpha at '
     'emulated version 1.36'),
    (["--kubernetes-version", "1.31"],
     'error: invalid argument "1.31" for "--kubernetes-version" flag: must be one of: '
     '1.32, 1.33, 1.34, 1.35, 1.36, 1.37'),
])
def test_a_gate_or_version_kube_apiserver_refuses_is_refused(tmp_path, args, message):
    out = run_cli("sandbox", "--kubeconfig", str(tmp_path / "kc"), *args)
    assert out.returncode == EXIT_USAGE, (out.stdout, out.stderr)
    assert out.stderr.strip() == message
    assert not (tmp_path / "kc").exists()


def test_lowering_a_claim_needs_recover_volume_expansion_failure(kubectl_bin):
    """A failed expansion (the sandbox's `fail` switch) recovered by lowering the request:
    allowed with RecoverVolumeExpansionFailure (on from 1.32, locked from 1.34), refused as
    before it with the gate off on 1.33."""
    def lower(gates):
        with _sandbox(kubernetes_version="1.33", feature_gates=gates) as sb:
            kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
            _apply(kubectl, builders.service("web", selector={"app": "web"}),
                   builders.statefulset("web", replicas=1))
            assert kubectl("rollout", "status", "sts/web", "--timeout=30s").returncode == 0
            for args in (["annotate", "pvc", "data-web-0", "sandbox.kubectl-sts.io/resize=fail"],
                         ["patch", "pvc", "data-web-0", "-p",
                          '{"spec":{"resources":{"requests":{"storage":"3Gi"}}}}']):
                out = kubectl(*args)
                assert out.returncode == 0, out.stderr
            return kubectl("patch", "pvc", "data-web-0", "-p",
                           '{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}')
    assert lower({}).stdout.strip() == "persistentvolumeclaim/data-web-0 patched"
    refused = lower({"RecoverVolumeExpansionFailure": False})
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        'The PersistentVolumeClaim "data-web-0" is invalid: spec.resources.requests.storage: '
        'Forbidden: field can not be less than previous value')


@pytest.mark.parametrize("version, kept", [("1.33", False), ("1.34", True)])
def test_a_claims_volume_attributes_class_needs_the_gate(kubectl_bin, version, kept):
    claim = builders.claim("data", storage_class="standard",
                           spec={"volumeAttributesClassName": "gold"})
    with _sandbox(kubernetes_version=version) as sb:
        kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
        _apply(kubectl, claim)
        out = kubectl("get", "pvc", "data", "-o", "jsonpath={.spec.volumeAttributesClassName}")
    assert out.stdout == ("gold" if kept else "")


@pytest.mark.parametrize("gates, accepted", [({}, False),
                                             ({"StatefulSetRecreateStrategy": True}, True)])
def test_the_recreate_strategy_needs_its_alpha_gate(kubectl_bin, gates, accepted):
    sts = builders.statefulset("web", replicas=1, strategy="Recreate")
    with _sandbox(feature_gates=gates) as sb:
        out = _kubectl(kubectl_bin, sb.kubeconfig)("create", "-f", "-", input=json.dumps(sts))
    if accepted:
        assert out.stdout.strip() == "statefulset.apps/web created", out.stderr
    else:
        assert out.returncode == 1
        assert "spec.updateStrategy: Invalid value" in out.stderr
        assert "must be 'RollingUpdate' or 'OnDelete'" in out.stderr


def test_recreate_deletes_every_pod_before_creating_the_new_revision(kubectl_bin):
    sts = builders.statefulset("web", replicas=3, strategy="Recreate")
    with _sandbox(feature_gates={"StatefulSetRecreateStrategy": True}) as sb:
        kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
        _apply(kubectl, builders.service("web", selector={"app": "web"}), sts)
        ready = kubectl("wait", "sts/web", "--for=jsonpath={.status.readyReplicas}=3",
                        "--timeout=30s")
        assert ready.returncode == 0, ready.stderr
        old = set(kubectl("get", "pods", "-o", "jsonpath={.items[*].metadata.uid}").stdout.split())
        watch = subprocess.Popen([kubectl_bin, "--kubeconfig", sb.kubeconfig, "get", "pods",
                                  "--watch", "--output-watch-events", "--no-headers", "-o",
                                  "custom-columns=EVENT:.type,NAME:.object.metadata.name,"
                                  "UID:.object.metadata.uid"],
                                 stdout=subprocess.PIPE, text=True)
        assert watch.stdout is not None
        # the watch has listed the three pods before the change: their deletes cannot be missed
        first = [watch.stdout.readline().split() for _ in range(3)]
        try:
            assert sorted(uid for _, _, uid in first) == sorted(old), first
            out = kubectl("set", "image", "sts/web", "app=nginx:1.28")
            assert out.returncode == 0, out.stderr
            done = kubectl("wait", "sts/web", "--for=jsonpath={.status.updatedReplicas}=3",
                           "--timeout=30s")
            assert done.returncode == 0, done.stderr
            ready = kubectl("wait", "sts/web", "--for=jsonpath={.status.readyReplicas}=3",
                            "--timeout=30s")
            assert ready.returncode == 0, ready.stderr
            status = json.loads(kubectl("get", "sts", "web", "-o", "json").stdout)["status"]
        finally:
            watch.terminate()
            lines, _ = watch.communicate(timeout=10)
    events = first + [line.split() for line in lines.splitlines()]
    deleted = [i for i, (kind, _, uid) in enumerate(events) if kind == "DELETED" and uid in old]
    added = [i for i, (kind, _, uid) in enumerate(events) if kind == "ADDED" and uid not in old]
    assert len(deleted) == 3 and len(added) == 3, events
    assert max(deleted) < min(added), events           # never two revisions at once
    assert status["currentRevision"] == status["updateRevision"]


# -- image pulls ------------------------------------------------------------------------------

def test_missing_images_fail_to_pull_as_on_a_cluster(kubectl_bin):
    bad = builders.pod("bad", image="mysql:doesnotexist")
    good = builders.pod("good", image="mysql:8.4")
    with _sandbox(missing_images=["*:doesnotexist"]) as sb:
        kubectl = _kubectl(kubectl_bin, sb.kubeconfig)
        _apply(kubectl, bad, good)
        waited = kubectl("wait", "pod/bad", "--for=jsonpath={.status.containerStatuses[0]"
                         ".state.waiting.reason}=ImagePullBackOff", "--timeout=30s")
        ready = kubectl("wait", "pod/good", "--for=condition=Ready", "--timeout=30s")
        events = json.loads(kubectl("get", "events", "--field-selector",
                                    "involvedObject.name=bad", "-o", "json").stdout)["items"]
    assert waited.returncode == 0, waited.stderr
    assert ready.returncode == 0, ready.stderr
    seen = {(e["type"], e["reason"], e["message"]) for e in events}
    full = "docker.io/library/mysql:doesnotexist"
    assert ("Normal", "Pulling", 'Pulling image "mysql:doesnotexist"') in seen
    assert ("Warning", "Failed", 'Failed to pull image "mysql:doesnotexist": rpc error: code = '
            'NotFound desc = failed to pull and unpack image "%s": failed to resolve reference '
            '"%s": %s: not found' % (full, full, full)) in seen
    assert ("Warning", "Failed", "Error: ErrImagePull") in seen
    assert ("Normal", "BackOff", 'Back-off pulling image "mysql:doesnotexist"') in seen
    assert ("Warning", "Failed", "Error: ImagePullBackOff") in seen


def test_sandbox_help_states_the_image_rule():
    out = run_cli("sandbox", "--help")
    assert out.returncode == 0
    text = " ".join(out.stdout.split())
    assert "--missing-images PATTERN" in text
    assert ("a host under the reserved .invalid domain (registry.invalid/app:1), a name "
            "containing no-such-image, and references matching a --missing-images glob") in text
    assert "ErrImagePull, then ImagePullBackOff" in text
    assert "MaxUnavailableStatefulSet: 1.32-1.34 off, 1.35 on, 1.36 off, 1.37 on" in text
    assert "--max-unavailable-gate" not in text        # deprecated flags are hidden


# -- the command: HTTPS, a release, the deprecated flag, missing images ------------------------

def test_sandbox_command_over_tls_as_an_older_release(tmp_path, kubectl_bin):
    kubeconfig = str(tmp_path / "sb.kubeconfig")
    proc = subprocess.Popen([sys.executable, "-m", "kubectl_sts", "sandbox", "--fast", "--tls",
                             "--kubernetes-version", "1.34", "--max-unavailable-gate",
                             "--missing-images", "nginx:9.99-*", "--kubeconfig", kubeconfig],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        assert first.startswith("sandbox: serving https://127.0.0.1:"), first
        with open(kubeconfig) as f:
            cluster = yaml.safe_load(f)["clusters"][0]["cluster"]
        assert cluster["server"].startswith("https://")
        assert "BEGIN CERTIFICATE" in __import__("base64").b64decode(
            cluster["certificate-authority-data"]).decode()
        kubectl = _kubectl(kubectl_bin, kubeconfig)
        namespaces = kubectl("get", "ns", "-o", "name")
        assert namespaces.returncode == 0, namespaces.stderr
        assert "namespace/default" in namespaces.stdout.split()
        server = json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]
        assert server["gitVersion"] == "v1.34.0"
        # the deprecated flag still turns the gate on (off by default in 1.34)
        _apply(kubectl, builders.statefulset("web", replicas=1, max_unavailable=2,
                                             image="nginx:9.99-doesnotexist"))
        assert _rolling_update(kubectl) == {"partition": 0, "maxUnavailable": 2}
        waited = kubectl("wait", "pod/web-0", "--for=jsonpath={.status.containerStatuses[0]"
                         ".state.waiting.reason}=ImagePullBackOff", "--timeout=30s")
        assert waited.returncode == 0, waited.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert err.splitlines() == ["Flag --max-unavailable-gate has been deprecated, use "
                                "--feature-gates MaxUnavailableStatefulSet=true instead"]

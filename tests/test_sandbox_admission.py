"""What admission does to every pod, through the real kubectl: the Priority plugin (priority,
preemptionPolicy, PriorityClasses) and the ServiceAccount plugin (the account, and the
kube-api-access projected volume mounted in every container), with the ConfigMap
kube-root-ca.crt the root CA publisher keeps in every namespace. A StatefulSet's template is
not touched, only its pods. Runs as written on a real cluster."""

import base64
import json
import re
import uuid
from typing import Any, Dict, List

import pytest

from builders import pod, statefulset
from helpers import create, pod_ready, settle, wait_for

TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
# names.SimpleNameGenerator: 5 characters of utilrand's alphabet
TOKEN_VOLUME = re.compile(r"^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$")
PROJECTED = {"defaultMode": 420, "sources": [
    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
    {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
        "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}


def _get(kubectl, *args, namespaced=True):
    done = kubectl("get", *args, "-o", "json", namespaced=namespaced)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _apply(kubectl, obj, namespaced=True):
    return kubectl("apply", "-f", "-", input=json.dumps(obj), namespaced=namespaced)


def _token_volumes(spec):
    return [v for v in spec.get("volumes") or [] if v["name"].startswith("kube-api-access-")]


def _mounts(container):
    return [m for m in container.get("volumeMounts") or [] if m["mountPath"] == TOKEN_PATH]


def test_a_pod_gets_its_priority_and_its_service_account_token(kubectl, core, namespace):
    containers: List[Dict[str, Any]] = [{"name": "app", "image": "nginx:1.27"},
                  {"name": "side", "image": "nginx:1.27",
                   "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}]}]
    manifest = pod("solo", containers=containers, init_containers=[
        {"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}],
        volumes=[{"name": "scratch", "emptyDir": {}}])
    done = _apply(kubectl, manifest)
    assert done.returncode == 0, done.stderr
    spec = _get(kubectl, "pod", "solo")["spec"]
    # Priority: no class named and no global default class
    assert (spec["priority"], spec["preemptionPolicy"]) == (0, "PreemptLowerPriority")
    assert "priorityClassName" not in spec
    # ServiceAccount: the default account, and its token volume after the pod's own
    assert (spec["serviceAccountName"], spec["serviceAccount"]) == ("default", "default")
    assert [v["name"] for v in spec["volumes"]][0] == "scratch"
    [volume] = _token_volumes(spec)
    assert TOKEN_VOLUME.match(volume["name"]), volume["name"]
    assert volume["projected"] == PROJECTED
    mount = {"name": volume["name"], "readOnly": True, "mountPath": TOKEN_PATH}
    for container in spec["initContainers"] + spec["containers"]:
        assert container["volumeMounts"][-1] == mount, container["name"]
    assert spec["containers"][1]["volumeMounts"][0]["name"] == "scratch"
    # the kubelet mounts kube-root-ca.crt: the pod starts
    wait_for(core.list_namespaced_pod, lambda pods: pod_ready(pods["solo"]), timeout=60,
             namespace=namespace)


def test_automount_off_or_a_mount_of_its_own_leaves_the_token_out(kubectl, namespace):
    account = {"apiVersion": "v1", "kind": "ServiceAccount",
               "metadata": {"name": "quiet"}, "automountServiceAccountToken": False}
    assert _apply(kubectl, account).returncode == 0
    by_account = pod("by-account", image="nginx:1.27", spec={"serviceAccountName": "quiet"})
    by_pod = pod("by-pod", image="nginx:1.27", spec={"automountServiceAccountToken": False})
    # the pod's own setting wins over the account's
    overriding = pod("overriding", image="nginx:1.27", spec={
        "serviceAccountName": "quiet", "automountServiceAccountToken": True})
    own = {"name": "own", "image": "nginx:1.27", "volumeMounts": [
        {"name": "mine", "mountPath": TOKEN_PATH}]}
    partly = pod("partly", containers=[own, {"name": "other", "image": "nginx:1.27"}],
                 volumes=[{"name": "mine", "emptyDir": {}}])
    for manifest in (by_account, by_pod, overriding, partly):
        done = _apply(kubectl, manifest)
        assert done.returncode == 0, done.stderr
    for name in ("by-account", "by-pod"):
        spec = _get(kubectl, "pod", name)["spec"]
        assert not _token_volumes(spec) and not _mounts(spec["containers"][0]), name
    spec = _get(kubectl, "pod", "overriding")["spec"]
    assert spec["serviceAccountName"] == "quiet" and len(_token_volumes(spec)) == 1
    spec = _get(kubectl, "pod", "partly")["spec"]
    [volume] = _token_volumes(spec)
    assert _mounts(spec["containers"][0]) == [{"name": "mine", "mountPath": TOKEN_PATH}]
    assert _mounts(spec["containers"][1]) == [
        {"name": volume["name"], "readOnly": True, "mountPath": TOKEN_PATH}]


def test_a_pod_naming_a_missing_account_is_forbidden(kubectl, namespace):
    done = _apply(kubectl, pod("solo", image="nginx:1.27", spec={"serviceAccountName": "nobody"}))
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'Error from server (Forbidden): error when creating "STDIN": pods "solo" is forbidden: '
        'error looking up service account %s/nobody: serviceaccount "nobody" not found'
        % namespace)
    assert kubectl("get", "pod", "solo").returncode == 1


def test_every_namespace_has_kube_root_ca_crt(kubectl, core, namespace):
    cm = _get(kubectl, "configmap", "kube-root-ca.crt")
    assert set(cm["data"]) == {"ca.crt"}
    assert cm["metadata"]["annotations"]["kubernetes.io/description"].startswith(
        "Contains a CA bundle that can be used to verify the kube-apiserver")
    raw = kubectl("config", "view", "--raw", "--minify", "-o",
                  "jsonpath={.clusters[0].cluster.certificate-authority-data}",
                  namespaced=False).stdout.strip()
    if raw:       # the cluster's CA, the one the kubeconfig trusts
        assert cm["data"]["ca.crt"].strip() == base64.b64decode(raw).decode().strip()
    else:         # plain HTTP: no CA, a placeholder certificate block
        assert cm["data"]["ca.crt"].startswith("-----BEGIN CERTIFICATE-----")
    # deleted, it is made again; edited, it is put back
    uid = cm["metadata"]["uid"]
    assert kubectl("delete", "configmap", "kube-root-ca.crt").returncode == 0
    again = wait_for(core.list_namespaced_config_map, lambda items: "kube-root-ca.crt" in items and
                     items["kube-root-ca.crt"]["metadata"]["uid"] != uid, timeout=30,
                     namespace=namespace)["kube-root-ca.crt"]
    assert again["data"] == cm["data"]
    done = kubectl("patch", "configmap", "kube-root-ca.crt", "--type=merge", "-p",
                   json.dumps({"data": {"ca.crt": "tampered"}}))
    assert done.returncode == 0, done.stderr
    wait_for(core.list_namespaced_config_map, lambda items: items["kube-root-ca.crt"][
        "data"] == cm["data"], timeout=30, namespace=namespace)


def test_a_statefulsets_template_is_left_alone_and_its_pods_admitted(apps, core, namespace,
                                                                     kubectl):
    create(apps, core, namespace, statefulset(replicas=2, claims=()))
    sts = settle(apps, namespace, "web", 2)
    template = _get(kubectl, "sts", "web")["spec"]["template"]["spec"]
    for field in ("serviceAccountName", "priority", "preemptionPolicy", "volumes"):
        assert field not in template, field
    assert "volumeMounts" not in template["containers"][0]
    for name in ("web-0", "web-1"):
        got = _get(kubectl, "pod", name)
        spec = got["spec"]
        assert spec["priority"] == 0 and spec["serviceAccountName"] == "default"
        assert len(_token_volumes(spec)) == 1 and len(_mounts(spec["containers"][0])) == 1
        # the pods are at the set's revision: admission changed nothing a revision hashes
        assert got["metadata"]["labels"]["controller-revision-hash"] == \
            sts["status"]["updateRevision"]
    assert kubectl("rollout", "status", "sts/web", "--timeout=30s").returncode == 0


def test_the_system_priority_classes_exist_and_resolve(kubectl, namespace):
    rows = {line.split()[0]: line.split() for line in kubectl(
        "get", "priorityclass", "--no-headers", namespaced=False).stdout.splitlines()}
    assert rows["system-cluster-critical"][1:3] == ["2000000000", "false"]
    assert rows["system-node-critical"][1:3] == ["2000001000", "false"]
    assert rows["system-node-critical"][-1] == "PreemptLowerPriority"
    header = kubectl("get", "pc", "system-node-critical", namespaced=False).stdout.split()[:5]
    assert header == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
    done = _apply(kubectl, pod("critical", image="nginx:1.27",
                               spec={"priorityClassName": "system-node-critical"}))
    assert done.returncode == 0, done.stderr
    spec = _get(kubectl, "pod", "critical")["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (2000001000, "PreemptLowerPriority")


@pytest.fixture
def priority_class(kubectl):
    name = "batch-%s" % uuid.uuid4().hex[:8]
    done = _apply(kubectl, {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                            "metadata": {"name": name}, "value": 1000,
                            "preemptionPolicy": "Never"}, namespaced=False)
    assert done.returncode == 0, done.stderr
    yield name
    kubectl("delete", "priorityclass", name, namespaced=False)


def test_a_pod_takes_its_classs_priority_and_an_unknown_class_is_forbidden(kubectl, namespace,
                                                                           priority_class):
    done = _apply(kubectl, pod("batch", image="nginx:1.27",
                               spec={"priorityClassName": priority_class}))
    assert done.returncode == 0, done.stderr
    spec = _get(kubectl, "pod", "batch")["spec"]
    assert (spec["priority"], spec["preemptionPolicy"]) == (1000, "Never")
    done = _apply(kubectl, pod("wrong", image="nginx:1.27", spec={
        "priorityClassName": priority_class, "priority": 5}))
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        'pods "wrong" is forbidden: the integer value of priority (5) must not be provided in '
        'pod spec; priority admission controller computed 1000 from the given PriorityClass name')
    done = _apply(kubectl, pod("lost", image="nginx:1.27",
                               spec={"priorityClassName": "no-such-class"}))
    assert done.returncode == 1
    assert done.stderr.strip().endswith(
        'pods "lost" is forbidden: no PriorityClass with name no-such-class was found')
    # a user class may not take a system name or a system value
    done = kubectl("create", "priorityclass", "system-mine", "--value=5", namespaced=False)
    assert done.returncode == 1
    assert "priority class names with 'system-' prefix are reserved for system use only" in \
        done.stderr
    done = kubectl("create", "priorityclass", "too-high-%s" % uuid.uuid4().hex[:6],
                   "--value=2000000000", namespaced=False)
    assert done.returncode == 1
    assert "maximum allowed value of a user defined priority is 1000000000" in done.stderr

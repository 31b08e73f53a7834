"""Secrets, ConfigMaps, ServiceAccounts and StorageClasses as a v1.32 cluster serves them, and
what the kubelet and the scheduler do with pods that name a missing one (issue 12, items 5
and 7). Over HTTP (the official client) and through the real kubectl; every test but the ones
taking the `sandbox` fixture also runs against a real cluster (KUBECTL_STS_TEST_KUBECONFIG).
"""

import base64
import json
import os
import uuid
from functools import partial

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from builders import claim, pod, storage_class
from helpers import api_error, pod_ready, raw, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MYSQL = os.path.join(ROOT, "examples", "mysql.yaml")
DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "kubectl_protobuf.json")
PROTOBUF = "application/vnd.kubernetes.protobuf"
IMMUTABLE = "field is immutable when `immutable` is set"


def ok(result):
    assert result.returncode == 0, "kubectl failed (%d):\nstdout: %s\nstderr: %s" % (
        result.returncode, result.stdout, result.stderr)
    return result.stdout


def b64(text):
    return base64.b64encode(text.encode()).decode()


# a pod of one container (or `containers`) and `volumes`
bare_pod = partial(pod, image="nginx:1.27", grace=1)


def waiting(pod_obj, container="app"):
    for status in (pod_obj.get("status") or {}).get("containerStatuses") or []:
        if status["name"] == container:
            return (status.get("state") or {}).get("waiting") or {}
    return {}


def events_of(core, namespace, name, reason):
    def check(items):
        return [e for e in items.values() if e["involvedObject"]["name"] == name and
                e["reason"] == reason]
    found = wait_for(core.list_namespaced_event, lambda items: bool(check(items)),
                     namespace=namespace)
    return check(found)


def wait_pod(core, namespace, name, predicate):
    return wait_for(core.list_namespaced_pod, lambda items: name in items and
                    predicate(items[name]), namespace=namespace)[name]


# -- the MySQL example ---------------------------------------------------------------------------

def test_mysql_example_waits_for_its_secret(kubectl, core, namespace):
    ok(kubectl("apply", "-f", MYSQL))
    stuck = wait_pod(core, namespace, "mysql-0",
                     lambda p: waiting(p, "mysql").get("reason") == "CreateContainerConfigError")
    assert waiting(stuck, "mysql")["message"] == 'secret "mysql-secrets" not found'
    assert not pod_ready(stuck) and stuck["status"]["phase"] == "Pending"
    table = ok(kubectl("get", "pod", "mysql-0"))
    assert "CreateContainerConfigError" in table and "0/1" in table
    [failed] = events_of(core, namespace, "mysql-0", "Failed")
    assert failed["type"] == "Warning"
    assert failed["message"] == 'Error: secret "mysql-secrets" not found'

    assert ok(kubectl("create", "secret", "generic", "mysql-secrets",
                      "--from-literal=root-password=x")) == "secret/mysql-secrets created\n"
    ready = wait_pod(core, namespace, "mysql-0", pod_ready)
    assert ready["status"]["phase"] == "Running"
    ok(kubectl("rollout", "status", "statefulset/mysql", "--timeout=60s"))


def test_missing_key_names_the_secret(kubectl, core, namespace):
    ok(kubectl("create", "secret", "generic", "db", "--from-literal=user=root"))
    core.create_namespaced_pod(namespace, bare_pod("app", containers=[{
        "name": "app", "image": "nginx:1.27",
        "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db",
                                                                     "key": "password"}}}]}]))
    stuck = wait_pod(core, namespace, "app", lambda p: waiting(p).get("reason") ==
                     "CreateContainerConfigError")
    assert waiting(stuck)["message"] == \
        "couldn't find key password in Secret %s/db" % namespace
    ok(kubectl("patch", "secret", "db", "-p", json.dumps({"stringData": {"password": "x"}})))
    wait_pod(core, namespace, "app", pod_ready)


def test_envfrom_and_configmap_key_refs(kubectl, core, namespace):
    """envFrom before env, in order; optional references (env, envFrom, volume) never block."""
    core.create_namespaced_pod(namespace, bare_pod("app", containers=[{
        "name": "app", "image": "nginx:1.27",
        "envFrom": [{"configMapRef": {"name": "settings"}},
                    {"secretRef": {"name": "absent", "optional": True}}],
        "env": [{"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "settings",
                                                                    "key": "mode"}}},
                {"name": "MAYBE", "valueFrom": {"secretKeyRef": {"name": "absent", "key": "k",
                                                                  "optional": True}}}]}],
        volumes=[{"name": "cfg", "configMap": {"name": "absent", "optional": True}}]))
    stuck = wait_pod(core, namespace, "app", lambda p: waiting(p).get("reason") ==
                     "CreateContainerConfigError")
    assert waiting(stuck)["message"] == 'configmap "settings" not found'
    ok(kubectl("create", "configmap", "settings", "--from-literal=other=1"))
    stuck = wait_pod(core, namespace, "app", lambda p: "couldn't find key" in
                     waiting(p).get("message", ""))
    assert waiting(stuck)["message"] == \
        "couldn't find key mode in ConfigMap %s/settings" % namespace
    ok(kubectl("patch", "configmap", "settings", "-p", '{"data": {"mode": "fast"}}'))
    wait_pod(core, namespace, "app", pod_ready)


def test_configmap_volume_waits_in_container_creating(kubectl, core, namespace):
    core.create_namespaced_pod(namespace, bare_pod("app", containers=[{
        "name": "app", "image": "nginx:1.27",
        "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]}],
        volumes=[{"name": "config", "configMap": {"name": "settings"}}]))
    [mount] = events_of(core, namespace, "app", "FailedMount")
    assert mount["type"] == "Warning"
    assert mount["message"] == \
        'MountVolume.SetUp failed for volume "config" : configmap "settings" not found'
    stuck = core.read_namespaced_pod("app", namespace, _preload_content=False)
    stuck = json.loads(stuck.data)
    assert waiting(stuck).get("reason") == "ContainerCreating" and not pod_ready(stuck)
    assert "ContainerCreating" in ok(kubectl("get", "pod", "app"))
    ok(kubectl("create", "configmap", "settings", "--from-literal=app.conf=x"))
    wait_pod(core, namespace, "app", pod_ready)


def test_secret_volume_waits_in_container_creating(kubectl, core, namespace):
    core.create_namespaced_pod(namespace, bare_pod("app", volumes=[
        {"name": "tls", "secret": {"secretName": "certs"}}]))
    [mount] = events_of(core, namespace, "app", "FailedMount")
    assert mount["message"] == \
        'MountVolume.SetUp failed for volume "tls" : secret "certs" not found'
    ok(kubectl("create", "secret", "generic", "certs", "--from-literal=tls.key=x"))
    wait_pod(core, namespace, "app", pod_ready)


# -- Secrets and ConfigMaps over HTTP -------------------------------------------------------------

def test_secret_data_must_be_base64(api_client, namespace):
    path = "/api/v1/namespaces/%s/secrets" % namespace
    status, body = raw(api_client, "POST", path, body={"metadata": {"name": "bad"},
                                                  "data": {"user": "admin"}})
    assert status == 400 and body["reason"] == "BadRequest"
    assert body["message"] == ('Secret in version "v1" cannot be handled as a Secret: illegal '
                               'base64 data at input byte 4')


def test_secret_string_data_is_folded_into_data(api_client, core, namespace):
    status, created = raw(api_client, "POST", "/api/v1/namespaces/%s/secrets" % namespace, body={
        "metadata": {"name": "creds"}, "data": {"user": b64("old"), "keep": b64("k")},
        "stringData": {"user": "root", "password": "x"}})
    assert status == 201
    assert created["data"] == {"user": b64("root"), "password": b64("x"), "keep": b64("k")}
    assert "stringData" not in created and created["type"] == "Opaque"
    stored = json.loads(core.read_namespaced_secret("creds", namespace,
                                                    _preload_content=False).data)
    assert stored["data"] == created["data"] and "stringData" not in stored


def test_immutable_secret(core, namespace):
    core.create_namespaced_secret(namespace, {"metadata": {"name": "frozen"}, "immutable": True,
                                              "data": {"a": b64("1")}})
    status, body = api_error(core.patch_namespaced_secret, "frozen", namespace,
                             {"data": {"a": b64("2")}})
    assert status == 422 and body["reason"] == "Invalid"
    assert body["message"] == 'Secret "frozen" is invalid: data: Forbidden: ' + IMMUTABLE
    status, body = api_error(core.patch_namespaced_secret, "frozen", namespace,
                             {"stringData": {"b": "new"}})
    assert body["message"] == 'Secret "frozen" is invalid: data: Forbidden: ' + IMMUTABLE
    status, body = api_error(core.patch_namespaced_secret, "frozen", namespace,
                             {"immutable": False})
    assert body["message"] == 'Secret "frozen" is invalid: immutable: Forbidden: ' + IMMUTABLE
    status, body = api_error(core.patch_namespaced_secret, "frozen", namespace,
                             {"type": "kubernetes.io/basic-auth"})
    assert status == 422 and "type: Invalid value: \"kubernetes.io/basic-auth\": field is " \
        "immutable" in body["message"]
    relabeled = core.patch_namespaced_secret("frozen", namespace,
                                             {"metadata": {"labels": {"tier": "db"}}})
    assert relabeled.metadata.labels == {"tier": "db"}


def test_immutable_configmap_and_binary_data(core, namespace):
    core.create_namespaced_config_map(namespace, {
        "metadata": {"name": "frozen"}, "immutable": True, "data": {"a": "1"},
        "binaryData": {"blob": base64.b64encode(b"\x00\x01").decode()}})
    stored = json.loads(core.read_namespaced_config_map("frozen", namespace,
                                                        _preload_content=False).data)
    assert stored["binaryData"] == {"blob": "AAE="} and stored["data"] == {"a": "1"}
    for patch, field in (({"data": {"a": "2"}}, "data"), ({"binaryData": {"blob": "AA=="}},
                                                          "binaryData"),
                         ({"immutable": False}, "immutable")):
        status, body = api_error(core.patch_namespaced_config_map, "frozen", namespace, patch)
        assert status == 422
        assert body["message"] == 'ConfigMap "frozen" is invalid: %s: Forbidden: %s' % (
            field, IMMUTABLE)
    status, body = api_error(core.create_namespaced_config_map, namespace, {
        "metadata": {"name": "dup"}, "data": {"k": "1"}, "binaryData": {"k": "AA=="}})
    assert status == 422 and body["message"] == \
        'ConfigMap "dup" is invalid: data[k]: Invalid value: "k": duplicate of key present ' \
        'in binaryData'


def test_kubectl_get_shows_the_printer_columns(kubectl, namespace):
    ok(kubectl("create", "secret", "generic", "s", "--from-literal=a=1", "--from-literal=b=2"))
    ok(kubectl("create", "configmap", "c", "--from-literal=a=1"))
    ok(kubectl("create", "serviceaccount", "robot"))
    secrets = ok(kubectl("get", "secrets", "s")).splitlines()
    assert secrets[0].split() == ["NAME", "TYPE", "DATA", "AGE"]
    assert secrets[1].split()[:3] == ["s", "Opaque", "2"]
    configmaps = ok(kubectl("get", "cm", "c")).splitlines()
    assert configmaps[0].split() == ["NAME", "DATA", "AGE"] and configmaps[1].split()[:2] == \
        ["c", "1"]
    accounts = ok(kubectl("get", "sa", "robot")).splitlines()
    assert accounts[0].split() == ["NAME", "SECRETS", "AGE"]
    assert accounts[1].split()[:2] == ["robot", "0"]


def test_discovery_lists_the_kinds(kubectl):
    rows = {line.split()[0]: line.split() for line in
            ok(kubectl("api-resources", "--no-headers", namespaced=False)).splitlines()}
    assert rows["configmaps"][1:] == ["cm", "v1", "true", "ConfigMap"]
    assert rows["serviceaccounts"][1:] == ["sa", "v1", "true", "ServiceAccount"]
    assert rows["secrets"][1:] == ["v1", "true", "Secret"]
    assert rows["storageclasses"][1:] == ["sc", "storage.k8s.io/v1", "false", "StorageClass"]


@pytest.fixture(scope="module")
def fixture_namespace(core):
    """The namespace the captured protobuf bodies name (`foo`), made once for these tests;
    one still terminating (an earlier run's) is waited out first."""
    from kubernetes import client
    wait_for(core.list_namespace, lambda spaces: "foo" not in spaces or
             not spaces["foo"]["metadata"].get("deletionTimestamp"), timeout=60)
    try:
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="foo")))
    except ApiException as exc:
        if exc.status != 409:
            raise
    yield "foo"
    core.delete_namespace("foo")
    wait_for(core.list_namespace, lambda spaces: "foo" not in spaces, timeout=60)


@pytest.mark.parametrize("name", ["secret_generic", "secret_typed", "secret_docker_registry",
                                  "configmap_literals", "configmap_binary", "serviceaccount"])
def test_kubectl_protobuf_bodies_are_created(sandbox, api_client, fixture_namespace, name):
    """The bytes kubectl v1.32 sends for `kubectl create secret/configmap/serviceaccount`."""
    with open(DATA) as fh:
        case = json.load(fh)[name]
    expected = case["expected"]
    plural = {"Secret": "secrets", "ConfigMap": "configmaps",
              "ServiceAccount": "serviceaccounts"}[expected["kind"]]
    path = "/api/v1/namespaces/%s/%s" % (fixture_namespace, plural)
    status, created = raw(api_client, "POST", path, body=bytes.fromhex(case["body"]),
                          content_type=PROTOBUF)
    assert status == 201, (case["command"], created)
    assert created["metadata"]["name"] == expected["metadata"]["name"]
    data = dict(expected.get("data") or {})
    data.update({k: b64(v) for k, v in (expected.get("stringData") or {}).items()})
    assert (created.get("data") or {}) == data
    assert (created.get("binaryData") or {}) == (expected.get("binaryData") or {})
    if expected["kind"] == "Secret":
        assert created["type"] == (expected.get("type") or "Opaque")
        assert "stringData" not in created


# -- ServiceAccounts ---------------------------------------------------------------------------

def test_new_namespace_gets_the_default_service_account(kubectl, core):
    name = "sa-" + uuid.uuid4().hex[:10]
    assert ok(kubectl("create", "namespace", name, namespaced=False)) == \
        "namespace/%s created\n" % name
    try:
        first = wait_for(core.list_namespaced_service_account, lambda items: "default" in items,
                         namespace=name)["default"]
        listing = ok(kubectl("get", "sa", "-n", name, namespaced=False)).splitlines()
        assert listing[0].split() == ["NAME", "SECRETS", "AGE"]
        assert listing[1].split()[0] == "default"
        # the serviceaccount controller makes it again when it is deleted
        ok(kubectl("delete", "sa", "default", "-n", name, namespaced=False))
        again = wait_for(core.list_namespaced_service_account,
                         lambda items: "default" in items and
                         items["default"]["metadata"]["uid"] != first["metadata"]["uid"],
                         namespace=name)
        assert again["default"]["metadata"]["name"] == "default"
    finally:
        ok(kubectl("delete", "namespace", name, "--wait=false", namespaced=False))


def test_pods_run_as_the_default_service_account(core, namespace):
    created = core.create_namespaced_pod(namespace, bare_pod("app"))
    assert created.spec.service_account_name == "default"
    assert created.spec.service_account == "default"


# -- StorageClasses --------------------------------------------------------------------------

def test_sandbox_storage_classes(sandbox, kubectl):
    lines = ok(kubectl("get", "sc", namespaced=False)).splitlines()
    assert lines[0].split() == ["NAME", "PROVISIONER", "RECLAIMPOLICY", "VOLUMEBINDINGMODE",
                                "ALLOWVOLUMEEXPANSION", "AGE"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["standard"][1:6] == ["(default)", "rancher.io/local-path", "Delete",
                                     "WaitForFirstConsumer", "true"]
    assert rows["fixed"][1:5] == ["rancher.io/local-path", "Delete", "WaitForFirstConsumer",
                                  "false"]
    fixed = json.loads(ok(kubectl("get", "storageclass", "fixed", "-o", "json",
                                  namespaced=False)))
    assert "allowVolumeExpansion" not in fixed


def default_class(api_client):
    _, listing = raw(api_client, "GET", "/apis/storage.k8s.io/v1/storageclasses")
    for sc in listing["items"]:
        if (sc["metadata"].get("annotations") or {}).get(
                "storageclass.kubernetes.io/is-default-class") == "true":
            return sc
    pytest.skip("the cluster has no default StorageClass")


def test_claim_without_class_gets_the_default(api_client, core, namespace):
    default = default_class(api_client)["metadata"]["name"]
    created = core.create_namespaced_persistent_volume_claim(namespace, claim("data"))
    assert created.spec.storage_class_name == default
    empty = core.create_namespaced_persistent_volume_claim(namespace, claim("static", storage_class=""))
    assert empty.spec.storage_class_name == ""


def test_claim_with_missing_class_waits_for_it(api_client, kubectl, core, namespace, tmp_path):
    template = default_class(api_client)
    name = "late-" + namespace
    core.create_namespaced_persistent_volume_claim(namespace, claim("data", storage_class=name))
    core.create_namespaced_pod(namespace, bare_pod("app", volumes=[
        {"name": "data", "persistentVolumeClaim": {"claimName": "data"}}]))
    [failed] = events_of(core, namespace, "data", "ProvisioningFailed")
    assert failed["type"] == "Warning"
    assert failed["message"] == 'storageclass.storage.k8s.io "%s" not found' % name
    pending = wait_pod(core, namespace, "app", lambda p: any(
        c["type"] == "PodScheduled" and c.get("reason") == "Unschedulable"
        for c in (p.get("status") or {}).get("conditions") or []))
    [scheduled] = [c for c in pending["status"]["conditions"] if c["type"] == "PodScheduled"]
    assert "pod has unbound immediate PersistentVolumeClaims" in scheduled["message"]
    assert not pending["spec"].get("nodeName")
    assert json.loads(core.read_namespaced_persistent_volume_claim(
        "data", namespace, _preload_content=False).data)["status"]["phase"] == "Pending"

    manifest = tmp_path / "class.yaml"
    manifest.write_text(yaml.safe_dump(storage_class(
        name, provisioner=template["provisioner"], reclaim="Delete",
        binding="WaitForFirstConsumer")))
    assert ok(kubectl("create", "-f", str(manifest), namespaced=False)) == \
        "storageclass.storage.k8s.io/%s created\n" % name
    try:
        wait_pod(core, namespace, "app", pod_ready)
        bound = wait_for(core.list_namespaced_persistent_volume_claim, lambda items:
                         items["data"].get("status", {}).get("phase") == "Bound",
                         namespace=namespace)
        assert bound["data"]["spec"]["volumeName"]
    finally:
        core.delete_namespaced_pod("app", namespace, grace_period_seconds=0)
        ok(kubectl("delete", "storageclass", name, namespaced=False))


def test_storage_class_update_rules(api_client, kubectl):
    name = "rules-" + uuid.uuid4().hex[:8]
    path = "/apis/storage.k8s.io/v1/storageclasses"
    status, created = raw(api_client, "POST", path, body={"metadata": {"name": name},
                                                     "provisioner": "example.com/none"})
    assert status == 201
    assert (created["reclaimPolicy"], created["volumeBindingMode"]) == ("Delete", "Immediate")
    try:
        status, body = raw(api_client, "PATCH", "%s/%s" % (path, name),
                           body={"provisioner": "example.com/x"},
                           content_type="application/merge-patch+json")
        assert status == 422
        assert body["message"] == \
            'StorageClass.storage.k8s.io "%s" is invalid: provisioner: Forbidden: updates to ' \
            'provisioner are forbidden.' % name
    finally:
        ok(kubectl("delete", "storageclass", name, namespaced=False))

"""Server-side apply on the sandbox, through the real kubectl (v1.32) and raw requests: what a
real kube-apiserver answers. Cases ported from upstream, cited per test:
test/integration/apiserver/apply/apply_test.go (integration) and
test/e2e/apimachinery/apply.go (e2e)."""

import json

import pytest

from helpers import raw

from kubectl_sts.k8s import fieldsv1

pytestmark = pytest.mark.kubectl

APPLY = "application/apply-patch+yaml"
MANIFEST = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  serviceName: web
  selector: {matchLabels: {app: web}}
  updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 1}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: app, image: "nginx:1.27", ports: [{containerPort: 80}]}]
"""
KUSTOMIZE = ("--server-side", "--field-manager", "kustomize-controller")
CONFLICT_HELP = "Please review the fields above--they currently have other managers."


def sts_path(namespace, name="web"):
    return "/apis/apps/v1/namespaces/%s/statefulsets/%s" % (namespace, name)


def apply(kubectl, manifest=MANIFEST, *flags):
    return kubectl("apply", *(flags or KUSTOMIZE), "-f", "-", input=manifest)


def get(kubectl, what="sts/web"):
    proc = kubectl("get", what, "-o", "json", "--show-managed-fields")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def entry(obj, manager, operation="Apply"):
    found = [e for e in obj["metadata"].get("managedFields") or ()
             if e["manager"] == manager and e["operation"] == operation]
    assert len(found) == 1, obj["metadata"].get("managedFields")
    return fieldsv1.decode(found[0]["fieldsV1"])


def path(*names):
    return tuple(fieldsv1.field(n) if isinstance(n, str) else n for n in names)


CONTAINER = fieldsv1.key(name="app")
TEMPLATE_IMAGE = path("spec", "template", "spec", "containers", CONTAINER, "image")


def test_apply_creates_and_records_the_appliers_fields(kubectl):
    """e2e apply.go "should create an applied object if it does not already exist";
    integration TestApplyAlsoCreates."""
    proc = apply(kubectl)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "statefulset.apps/web serverside-applied\n"
    owned = entry(get(kubectl), "kustomize-controller")
    assert path("spec", "replicas") in owned
    assert path("spec", "updateStrategy", "rollingUpdate", "partition") in owned
    assert TEMPLATE_IMAGE in owned
    assert path("spec", "template", "spec", "containers", CONTAINER) in owned
    assert path("spec", "selector") in owned              # an atomic map: owned whole
    # defaults are nobody's
    assert path("spec", "podManagementPolicy") not in owned
    assert path("metadata", "name") not in owned


POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
       "spec": {"containers": [{"name": "test-container", "image": "test-image"}]}}


def test_pod_applied_by_two_managers_and_status_only_through_its_subresource(api_client,
                                                                             namespace):
    """e2e apply.go "should create an applied object if it does not already exist" (the pod
    case, its exact FieldsV1) and "should work for subresources"."""
    pods = "/api/v1/namespaces/%s/pods/test-pod" % namespace
    for manager in ("apply_test", "apply_test_2"):
        code, body = raw(api_client, "PATCH", pods, {"fieldManager": manager},
                         body=json.dumps(POD), content_type=APPLY)
        assert code in (200, 201), body
    expected: dict = {"f:spec": {"f:containers": {'k:{"name":"test-container"}': {
        ".": {}, "f:image": {}, "f:name": {}}}}}
    entries = {e["manager"]: e["fieldsV1"] for e in body["metadata"]["managedFields"]}
    assert entries["apply_test"] == expected and entries["apply_test_2"] == expected
    status = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "test-pod"},
              "status": {"conditions": [{"type": "MyStatus", "status": "True"}]}}
    code, body = raw(api_client, "PATCH", pods, {"fieldManager": "apply_test2"},
                     body=json.dumps(status), content_type=APPLY)
    assert code == 200
    assert "MyStatus" not in [c["type"] for c in body["status"].get("conditions") or ()]
    code, body = raw(api_client, "PATCH", pods + "/status", {"fieldManager": "apply_test2"},
                     body=json.dumps(status), content_type=APPLY)
    assert code == 200, body
    assert "MyStatus" in [c["type"] for c in body["status"]["conditions"]]


def test_reapplying_the_same_configuration_writes_nothing(kubectl):
    """integration TestNoOpUpdateSameResourceVersion."""
    config = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {a: b}\n"
    assert apply(kubectl, config).returncode == 0
    before = get(kubectl, "cm/cfg")["metadata"]["resourceVersion"]
    proc = apply(kubectl, config)
    assert proc.stdout == "configmap/cfg serverside-applied\n"
    assert get(kubectl, "cm/cfg")["metadata"]["resourceVersion"] == before


def test_conflict_then_force_takes_ownership(kubectl):
    """integration TestApplyUpdateApplyConflictForced; e2e "should give up ownership of a
    field if forced applied by a controller"."""
    assert apply(kubectl).returncode == 0
    assert kubectl("scale", "sts/web", "--replicas=3").returncode == 0
    proc = apply(kubectl)
    assert proc.returncode == 1
    assert proc.stderr.startswith(
        'error: Apply failed with 1 conflict: conflict with "kubectl" with subresource '
        '"scale" using apps/v1: .spec.replicas\n' + CONFLICT_HELP)
    assert get(kubectl)["spec"]["replicas"] == 3
    proc = apply(kubectl, MANIFEST, *(KUSTOMIZE + ("--force-conflicts",)))
    assert proc.returncode == 0, proc.stderr
    obj = get(kubectl)
    assert obj["spec"]["replicas"] == 2
    assert path("spec", "replicas") in entry(obj, "kustomize-controller")
    assert "kubectl" not in [e["manager"] for e in obj["metadata"]["managedFields"]]


def test_conflict_answer_is_409_with_causes(kubectl, api_client, namespace):
    """conflict.go NewConflictError: the Status and its FieldManagerConflict causes."""
    assert apply(kubectl).returncode == 0
    config = json.dumps({"apiVersion": "apps/v1", "kind": "StatefulSet",
                         "metadata": {"name": "web"},
                         "spec": {"replicas": 5, "template": {"spec": {"containers": [
                             {"name": "app", "image": "nginx:1.28"}]}}}})
    code, body = raw(api_client, "PATCH", sts_path(namespace), {"fieldManager": "argocd"},
                     body=config, content_type=APPLY)
    assert code == 409 and body["reason"] == "Conflict"
    assert body["message"] == (
        'Apply failed with 2 conflicts: conflicts with "kustomize-controller":\n'
        '- .spec.replicas\n- .spec.template.spec.containers[name="app"].image')
    assert body["details"]["causes"] == [
        {"reason": "FieldManagerConflict", "message": 'conflict with "kustomize-controller"',
         "field": ".spec.replicas"},
        {"reason": "FieldManagerConflict", "message": 'conflict with "kustomize-controller"',
         "field": '.spec.template.spec.containers[name="app"].image'}]


def test_equal_values_are_shared_and_a_removed_field_stays_with_its_co_owner(kubectl):
    """e2e apply.go "should not remove a field if an owner unsets the field but other
    managers still have ownership of the field": two appliers of the same value share it."""
    assert apply(kubectl).returncode == 0
    other = ("--server-side", "--field-manager", "helm-controller")
    assert apply(kubectl, MANIFEST, *other).returncode == 0      # same values: no conflict
    obj = get(kubectl)
    assert path("spec", "replicas") in entry(obj, "helm-controller")
    assert path("spec", "replicas") in entry(obj, "kustomize-controller")
    # kustomize-controller stops applying replicas: helm-controller still owns it, it stays
    assert apply(kubectl, MANIFEST.replace("  replicas: 2\n", "")).returncode == 0
    obj = get(kubectl)
    assert obj["spec"]["replicas"] == 2
    assert path("spec", "replicas") not in entry(obj, "kustomize-controller")


def test_a_field_no_longer_applied_is_removed(kubectl):
    """e2e apply.go "should remove a field if it is owned but removed in the apply request";
    integration TestApplyRemoveContainerPort."""
    assert apply(kubectl).returncode == 0
    assert apply(kubectl, MANIFEST.replace(", ports: [{containerPort: 80}]", "")
                 .replace("labels: {app: web}}\n  replicas", "labels: {app: web}}\n  replicas")
                 ).returncode == 0
    obj = get(kubectl)
    assert "ports" not in obj["spec"]["template"]["spec"]["containers"][0]
    owned = entry(obj, "kustomize-controller")
    assert not [p for p in owned if fieldsv1.field("ports") in p]


def test_dry_run_and_diff_exit_codes(kubectl):
    """kubectl diff --server-side: exit 0 without differences, 1 with them (the dry run
    writes nothing)."""
    assert apply(kubectl).returncode == 0
    # settled first: kubectl diff compares the whole object, status included, and the
    # controller writes the status of a new set for a while (so would a real cluster's)
    assert kubectl("rollout", "status", "sts/web", "--timeout", "60s").returncode == 0
    same = kubectl("diff", *KUSTOMIZE, "-f", "-", input=MANIFEST)
    assert (same.returncode, same.stdout) == (0, "")
    changed = kubectl("diff", *KUSTOMIZE, "-f", "-", input=MANIFEST.replace("nginx:1.27",
                                                                            "nginx:1.28"))
    assert changed.returncode == 1, changed.stderr
    assert "-      - image: nginx:1.27\n+      - image: nginx:1.28\n" in changed.stdout
    dry = apply(kubectl, MANIFEST.replace("nginx:1.27", "nginx:1.28"),
                *(KUSTOMIZE + ("--dry-run=server",)))
    assert dry.stdout == "statefulset.apps/web serverside-applied (server dry run)\n"
    assert get(kubectl)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"
    # an object that does not exist yet: its whole dry-run creation is the diff
    new = kubectl("diff", *KUSTOMIZE, "-f", "-", input=MANIFEST.replace("name: web,",
                                                                         "name: db,"))
    assert new.returncode == 1, new.stderr
    assert "+  name: db\n" in new.stdout and "resourceVersion" not in new.stdout
    assert kubectl("get", "sts/db").returncode == 1


def test_field_manager_is_required_and_force_only_for_apply(api_client, namespace, kubectl):
    """ValidatePatchOptions (apimachinery pkg/apis/meta/v1/validation)."""
    assert apply(kubectl).returncode == 0
    config = json.dumps({"apiVersion": "apps/v1", "kind": "StatefulSet",
                         "metadata": {"name": "web"}})
    code, body = raw(api_client, "PATCH", sts_path(namespace), body=config,
                     content_type=APPLY)
    assert (code, body["message"]) == (422, 'PatchOptions.meta.k8s.io "" is invalid: '
                                       'fieldManager: Required value: is required for apply '
                                       'patch')
    code, body = raw(api_client, "PATCH", sts_path(namespace), {"force": "true"},
                     body={"metadata": {"labels": {"x": "y"}}},
                     content_type="application/merge-patch+json")
    assert (code, body["message"]) == (422, 'PatchOptions.meta.k8s.io "" is invalid: '
                                       'force: Forbidden: may not be specified for non-apply '
                                       'patch')
    code, body = raw(api_client, "PATCH", sts_path(namespace), {"fieldManager": "x"},
                     body=config.replace("apps/v1", "apps/v1beta1"), content_type=APPLY)
    assert (code, body["message"]) == (400, "Incorrect version specified in apply patch. "
                                       "Specified patch version: apps/v1beta1, expected: "
                                       "apps/v1")


def test_status_subresource_apply(api_client, namespace, kubectl):
    """e2e apply.go "should work for subresources": an apply through /status owns status
    fields with subresource status, and leaves the spec alone."""
    assert apply(kubectl).returncode == 0
    config = json.dumps({"apiVersion": "apps/v1", "kind": "StatefulSet",
                         "metadata": {"name": "web"}, "spec": {"replicas": 9},
                         "status": {"replicas": 2, "availableReplicas": 1}})
    code, body = raw(api_client, "PATCH", sts_path(namespace) + "/status",
                     {"fieldManager": "status-writer"}, body=config, content_type=APPLY)
    # the StatefulSet controller owns the status: a conflict with its status Update
    assert code == 409 and body["details"]["causes"][0]["message"] == \
        'conflict with "kube-controller-manager" with subresource "status" using apps/v1'
    code, body = raw(api_client, "PATCH", sts_path(namespace) + "/status",
                     {"fieldManager": "status-writer", "force": "true"}, body=config,
                     content_type=APPLY)
    assert code == 200, body
    assert body["spec"]["replicas"] == 2
    mine = [e for e in body["metadata"]["managedFields"] if e["manager"] == "status-writer"]
    assert [(e["operation"], e.get("subresource")) for e in mine] == [("Apply", "status")]
    owned = fieldsv1.decode(mine[0]["fieldsV1"])
    assert path("status", "availableReplicas") in owned
    assert not [p for p in owned if p[0] == fieldsv1.field("spec")]


def test_scale_subresource_apply(api_client, namespace, kubectl):
    """An apply through /scale (after integration scale_test.go TestScaleAllResources): it owns
    spec.replicas on the set, with subresource scale, and conflicts like any apply."""
    assert apply(kubectl).returncode == 0
    scale = json.dumps({"apiVersion": "autoscaling/v1", "kind": "Scale",
                        "metadata": {"name": "web"}, "spec": {"replicas": 4}})
    code, body = raw(api_client, "PATCH", sts_path(namespace) + "/scale",
                     {"fieldManager": "hpa"}, body=scale, content_type=APPLY)
    assert code == 409 and body["message"] == ('Apply failed with 1 conflict: conflict with '
                                               '"kustomize-controller": .spec.replicas')
    code, body = raw(api_client, "PATCH", sts_path(namespace) + "/scale",
                     {"fieldManager": "hpa", "force": "true"}, body=scale, content_type=APPLY)
    assert (code, body["kind"], body["spec"]["replicas"]) == (200, "Scale", 4)
    obj = get(kubectl)
    mine = [e for e in obj["metadata"]["managedFields"] if e["manager"] == "hpa"]
    assert [(e["operation"], e.get("subresource"), e["apiVersion"]) for e in mine] == \
        [("Apply", "scale", "apps/v1")]
    assert path("spec", "replicas") not in entry(obj, "kustomize-controller")


def test_kubectl_upgrades_from_client_side_apply(kubectl):
    """lastappliedmanager.go: `kubectl apply --server-side` (manager kubectl) over an object
    client-side applied takes the fields of the last-applied annotation without a conflict,
    and keeps the annotation in step (lastappliedupdater.go)."""
    assert kubectl("apply", "-f", "-", input=MANIFEST).returncode == 0
    changed = MANIFEST.replace("nginx:1.27", "nginx:1.28")
    proc = kubectl("apply", "--server-side", "-f", "-", input=changed)
    assert proc.returncode == 0, proc.stderr
    obj = get(kubectl)
    assert TEMPLATE_IMAGE in entry(obj, "kubectl")
    last = json.loads(obj["metadata"]["annotations"]
                      ["kubectl.kubernetes.io/last-applied-configuration"])
    assert last["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"

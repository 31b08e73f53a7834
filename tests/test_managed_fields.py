"""metadata.managedFields on the sandbox, through the real kubectl and the official Python
client: every write is recorded as an Update of its manager (`?fieldManager=` or the
User-Agent's prefix, k8s.io/apiserver/pkg/endpoints/handlers/rest.go managerOrUserAgent), with
the fields it changed, taken from whoever had them (structured-merge-diff merge/update.go
Updater.Update), and the sandbox's own components write under their real names."""

import json

import pytest
import yaml

from builders import statefulset
from helpers import create_settled, merge_patch
from test_server_side_apply import MANIFEST

from kubectl_sts.k8s import fieldsv1

pytestmark = pytest.mark.kubectl

REPLICAS = (fieldsv1.field("spec"), fieldsv1.field("replicas"))
PARTITION = (fieldsv1.field("spec"), fieldsv1.field("updateStrategy"),
             fieldsv1.field("rollingUpdate"), fieldsv1.field("partition"))



def managed(kubectl, what):
    proc = kubectl("get", what, "-o", "json", "--show-managed-fields")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["metadata"].get("managedFields") or []


def writers(entries):
    """The managers of the entries that are not the controllers' status writes."""
    return [e["manager"] for e in entries if e.get("subresource") != "status"]


def owners(entries, path):
    """(manager, operation, subresource) of the entries that own `path`."""
    return sorted((e["manager"], e["operation"], e.get("subresource", ""))
                  for e, owned in fieldsv1.owners_of(entries, path) if path in owned)


def test_kubectl_verbs_record_their_managers(kubectl):
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    entries = managed(kubectl, "sts/web")
    assert owners(entries, REPLICAS) == [("kubectl-create", "Update", "")]
    assert kubectl("scale", "sts/web", "--replicas=3").returncode == 0
    assert kubectl("label", "sts/web", "tier=db").returncode == 0
    assert kubectl("annotate", "sts/web", "note=x").returncode == 0
    assert kubectl("patch", "sts/web", "-p",
                   '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}').returncode == 0
    entries = managed(kubectl, "sts/web")
    # kubectl scale sends no fieldManager: its User-Agent's prefix, through /scale
    assert owners(entries, REPLICAS) == [("kubectl", "Update", "scale")]
    assert owners(entries, PARTITION) == [("kubectl-patch", "Update", "")]
    label = (fieldsv1.field("metadata"), fieldsv1.field("labels"), fieldsv1.field("tier"))
    note = (fieldsv1.field("metadata"), fieldsv1.field("annotations"), fieldsv1.field("note"))
    assert owners(entries, label) == [("kubectl-label", "Update", "")]
    assert owners(entries, note) == [("kubectl-annotate", "Update", "")]
    # the creator keeps what nobody else changed
    image = (fieldsv1.field("spec"), fieldsv1.field("template"), fieldsv1.field("spec"),
             fieldsv1.field("containers"), fieldsv1.key(name="app"), fieldsv1.field("image"))
    assert owners(entries, image) == [("kubectl-create", "Update", "")]
    by_manager = {(e["manager"], e.get("subresource")): e for e in entries}
    assert by_manager[("kubectl", "scale")]["apiVersion"] == "apps/v1"
    assert all(e["fieldsType"] == "FieldsV1" and e["time"].endswith("Z") for e in entries)


def test_edit_and_rollout_restart_record_their_managers(kubectl, monkeypatch):
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    monkeypatch.setenv("KUBE_EDITOR", "sed -i s/nginx:1.27/nginx:1.28/")
    assert kubectl("edit", "sts/web").returncode == 0
    assert kubectl("rollout", "restart", "sts/web").returncode == 0
    entries = managed(kubectl, "sts/web")
    image = (fieldsv1.field("spec"), fieldsv1.field("template"), fieldsv1.field("spec"),
             fieldsv1.field("containers"), fieldsv1.key(name="app"), fieldsv1.field("image"))
    restarted = (fieldsv1.field("spec"), fieldsv1.field("template"), fieldsv1.field("metadata"),
                 fieldsv1.field("annotations"),
                 fieldsv1.field("kubectl.kubernetes.io/restartedAt"))
    assert owners(entries, image) == [("kubectl-edit", "Update", "")]
    assert owners(entries, restarted) == [("kubectl-rollout", "Update", "")]


def test_client_side_apply_and_the_python_clients_user_agent(kubectl, apps, core, namespace):
    assert kubectl("apply", "-f", "-", input=MANIFEST).returncode == 0
    entries = managed(kubectl, "sts/web")
    assert writers(entries) == ["kubectl-client-side-apply"]
    last = (fieldsv1.field("metadata"), fieldsv1.field("annotations"),
            fieldsv1.field("kubectl.kubernetes.io/last-applied-configuration"))
    assert owners(entries, last) == [("kubectl-client-side-apply", "Update", "")]
    create_settled(apps, core, namespace, name="db", replicas=1)
    entries = managed(kubectl, "sts/db")
    # the official client's User-Agent is OpenAPI-Generator/<version>/python
    assert owners(entries, REPLICAS) == [("OpenAPI-Generator", "Update", "")]


def test_time_is_the_sandbox_clock(kubectl, sandbox):
    before = sandbox.store.clock.stamp()
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    after = sandbox.store.clock.stamp()
    entry = [e for e in managed(kubectl, "sts/web") if e["manager"] == "kubectl-create"][0]
    assert before <= entry["time"] <= after


def test_reset_with_one_empty_entry_and_kept_with_an_empty_list(kubectl, apps, namespace):
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    merge_patch(apps.patch_namespaced_stateful_set, "web", namespace,
                {"metadata": {"managedFields": []}})
    assert writers(managed(kubectl, "sts/web")) == ["kubectl-create"]
    merge_patch(apps.patch_namespaced_stateful_set, "web", namespace,
                {"metadata": {"managedFields": [{}]}})
    assert writers(managed(kubectl, "sts/web")) == []
    # without managedFields, an Update starts none (skipnonapplied.go)
    assert kubectl("label", "sts/web", "x=y").returncode == 0
    assert "kubectl-label" not in writers(managed(kubectl, "sts/web"))


def test_invalid_managed_fields_are_refused(api_client, namespace, kubectl):
    """ValidateManagedFields (apimachinery objectmeta validation): the operation must be
    Apply or Update."""
    from helpers import raw
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    code, body = raw(api_client, "PATCH", "/apis/apps/v1/namespaces/%s/statefulsets/web"
                     % namespace, body={"metadata": {"managedFields": [
                         {"manager": "m", "operation": "Bogus", "fieldsType": "FieldsV1",
                          "fieldsV1": {"f:spec": {"f:replicas": {}}}}]}},
                     content_type="application/merge-patch+json")
    assert code == 422
    assert body["message"] == ('StatefulSet.apps "web" is invalid: metadata.managedFields[0]'
                               '.operation: Invalid value: "Bogus": must be `Apply` or '
                               '`Update`')


def test_update_that_changes_nothing_keeps_entries_and_time(kubectl):
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    before = managed(kubectl, "sts/web")
    assert writers(before) == ["kubectl-create"]
    assert kubectl("label", "sts/web", "app=web", "--overwrite").returncode == 0
    after = managed(kubectl, "sts/web")
    assert [e for e in after if e["manager"] != "kube-controller-manager"] == \
        [e for e in before if e["manager"] != "kube-controller-manager"]
    assert yaml.safe_dump(after)    # serializable as kubectl prints it


def test_controllers_write_under_their_components_names(kubectl, apps, core, namespace):
    create_settled(apps, core, namespace, name="web", replicas=1)
    sts = managed(kubectl, "sts/web")
    status = [e for e in sts if e.get("subresource") == "status"]
    assert [(e["manager"], e["operation"]) for e in status] == \
        [("kube-controller-manager", "Update")]
    pod = managed(kubectl, "pod/web-0")
    assert sorted((e["manager"], e.get("subresource", "")) for e in pod) == \
        [("kube-controller-manager", ""), ("kubelet", "status")]
    created = fieldsv1.decode(pod[0]["fieldsV1"])
    spec = fieldsv1.field("spec")
    assert (spec, fieldsv1.field("containers"), fieldsv1.key(name="app"),
            fieldsv1.field("image")) in created
    # the binding (pods/binding) and mutating admission (ServiceAccount) are nobody's
    assert (spec, fieldsv1.field("nodeName")) not in created
    assert (spec, fieldsv1.field("serviceAccountName")) not in created
    claim = managed(kubectl, "pvc/data-web-0")
    assert {e["manager"] for e in claim} == {"kube-controller-manager"}
    volume = json.loads(kubectl("get", "pvc/data-web-0", "-o", "json").stdout)["spec"]["volumeName"]
    assert sorted((e["manager"], e.get("subresource", "")) for e in
                  managed(kubectl, "pv/" + volume)) == \
        [("kube-controller-manager", "status"), ("local-path-provisioner", "")]
    revisions = json.loads(kubectl("get", "controllerrevisions", "-o", "json",
                                   "--show-managed-fields").stdout)["items"]
    assert revisions and all(r["metadata"]["managedFields"][0]["manager"] ==
                             "kube-controller-manager" for r in revisions)
    events = json.loads(kubectl("get", "events", "-o", "json",
                                "--show-managed-fields").stdout)["items"]
    by_source = {e["source"].get("component"): e["metadata"]["managedFields"][0]["manager"]
                 for e in events}
    assert by_source.get("kubelet") == "kubelet"
    assert by_source.get("default-scheduler") == "kube-scheduler"
    assert by_source.get("statefulset-controller") == "kube-controller-manager"


def test_statefulset_builder_objects_record_their_creator(apps, namespace):
    created = apps.create_namespaced_stateful_set(namespace, statefulset(replicas=0),
                                                  field_manager="helm")
    assert [(m.manager, m.operation) for m in created.metadata.managed_fields] == \
        [("helm", "Update")]


def test_watch_events_carry_managed_fields(kubectl, apps, namespace):
    from kubernetes import watch
    assert kubectl("create", "-f", "-", input=MANIFEST).returncode == 0
    w = watch.Watch()
    events = []
    for event in w.stream(apps.list_namespaced_stateful_set, namespace, timeout_seconds=5):
        events.append(event)
        w.stop()
    assert events and [m.manager for m in events[0]["object"].metadata.managed_fields
                       if m.subresource is None] == ["kubectl-create"]

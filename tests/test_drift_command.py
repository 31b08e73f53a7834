"""Another writer moves the partition under a rollout, through the real kubectl with its own
field manager: the step's gate, `rollout --status` and `wait` stop at once (exit 6) with the
same line naming that manager from managedFields (core/drift.py)."""

import json
import re
import threading

import pytest

from builders import service, statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.errors import EXIT_CONFLICT

pytestmark = pytest.mark.kubectl
NEW = "nginx:1.28"


def create(apps, namespace, replicas=3):
    apps.create_namespaced_stateful_set(namespace, statefulset(replicas=replicas, claims=()))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", replicas),
             namespace=namespace, timeout=60)


def partition_is(value):
    def check(items):
        sts = items.get("web")
        return sts is not None and (((sts.get("spec") or {}).get("updateStrategy") or {})
                                    .get("rollingUpdate") or {}).get("partition") == value
    return check


def move_partition(kubectl, value, manager="kustomize-controller"):
    done = kubectl("patch", "statefulset", "web", "--field-manager", manager, "--type",
                   "merge", "-p", json.dumps({"spec": {"updateStrategy": {
                       "rollingUpdate": {"partition": value}}}}))
    assert done.returncode == 0, done.stderr


def written_by(operation, namespace):
    """How the line names kustomize-controller (from managedFields) and what to do
    (core/fieldowners.py)."""
    fix = ("Flux (kustomize-controller) applies the set from its source again at its next "
           "reconcile (the Kustomization's spec.interval) and puts it back; pause it: kubectl "
           "annotate statefulset web -n %s kustomize.toolkit.fluxcd.io/reconcile=disabled "
           "(remove it to resume); then see the plan: kubectl sts rollout web" % namespace)
    return r"kustomize-controller \(%s\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; %s" % (
        operation, re.escape(fix))


def step_while(apps, namespace, cli, kubectl, *write, input=None):
    """Stage a new image and run one step; once the step's write lowered the partition to 2,
    kubectl `write`s as kustomize-controller (a long settle time keeps the step's gate
    waiting meanwhile). Returns (exit code, stdout, stderr) of the step."""
    create(apps, namespace)
    assert cli("rollout", "web", "--image", "app=%s" % NEW)[0] == 0

    def flux():
        wait_for(apps.list_namespaced_stateful_set, partition_is(2), namespace=namespace)
        done = kubectl(*write, "--field-manager", "kustomize-controller", input=input)
        assert done.returncode == 0, done.stderr
    mover = threading.Thread(target=flux, daemon=True)
    mover.start()
    ran = cli("rollout", "web", "--step", "--settle", "60s", "--timeout", "60s")
    mover.join(30)
    return ran


def test_the_gate_stops_when_another_writer_moves_the_partition_back(apps, namespace, cli,
                                                                     kubectl):
    # Flux's way: server-side apply of git's partition, taking the field from kubectl-sts
    code, out, err = step_while(apps, namespace, cli, kubectl, "apply", "--server-side",
                                "--force-conflicts", "-f", "-", input=json.dumps({
                                    "apiVersion": "apps/v1", "kind": "StatefulSet",
                                    "metadata": {"name": "web"}, "spec": {"updateStrategy": {
                                        "type": "RollingUpdate",
                                        "rollingUpdate": {"partition": 3}}}}))
    assert code == EXIT_CONFLICT, (out, err)
    assert re.fullmatch(
        r"error: the rollout of web stopped: the partition went back from 2 to 3: written by "
        r"%s\n" % written_by("Apply", namespace), err), err
    sts = json.loads(apps.read_namespaced_stateful_set("web", namespace,
                                                       _preload_content=False).data)
    assert sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 3     # not fought


def test_the_gate_stops_when_another_writer_puts_the_old_template_back(apps, namespace, cli,
                                                                      kubectl):
    code, out, err = step_while(apps, namespace, cli, kubectl, "patch", "statefulset", "web",
                                "--type", "json", "-p",
                                json.dumps([{"op": "replace",
                                             "path": "/spec/template/spec/containers/0/image",
                                             "value": "nginx:1.27"}]))
    assert code == EXIT_CONFLICT, (out, err)
    # the revisions are named once the controller has observed the change
    assert re.fullmatch(
        r"error: the rollout of web stopped: the template changed( \(update revision "
        r"web-\w+ -> web-\w+\))?: written by %s\n" % written_by("Update", namespace), err), err


def test_status_and_wait_name_the_writer_that_moved_the_partition_back(apps, namespace, cli,
                                                                       kubectl):
    create(apps, namespace)
    assert cli("rollout", "web", "--image", "app=%s" % NEW)[0] == 0
    code, out, err = cli("rollout", "web", "--step", "--settle", "0s", "--timeout", "60s")
    assert code == 0, err
    move_partition(kubectl, 3)
    said = r"the partition went back from 2 to 3: written by %s\n" % \
        written_by("Update", namespace)
    code, out, err = cli("rollout", "web", "--status", "--timeout", "20s")
    assert code == EXIT_CONFLICT, (out, err)
    assert re.fullmatch("error: the rollout of web cannot complete as it was driven: " + said,
                        err), err
    code, out, err = cli("wait", "web", "--timeout", "20s")
    assert code == EXIT_CONFLICT, (out, err)
    assert re.fullmatch("error: the rollout of web cannot complete as it was driven: " + said,
                        err), err
    code, out, _ = cli("wait", "web", "--timeout", "20s", "-o", "json")
    assert code == EXIT_CONFLICT
    assert json.loads(out)["result"] == "moved"
    # lowered by another writer: the rollout goes on, and both say so once
    move_partition(kubectl, 0)
    lowered = r"note: the partition was lowered from 2 to 0: written by %s\n" % \
        written_by("Update", namespace)
    code, out, err = cli("rollout", "web", "--status", "--timeout", "60s")
    assert code == 0, (out, err)
    assert out.splitlines()[-1] == "rollout of web complete"
    assert re.match(lowered, err), err
    code, out, err = cli("wait", "web", "--timeout", "60s")
    assert code == 0, (out, err)
    assert re.match(lowered, err), err


def test_doctor_reports_the_gitops_owner_with_its_fix(apps, core, namespace, cli, kubectl):
    core.create_namespaced_service(namespace, service())
    manifest = statefulset(replicas=1, claims=(), labels={
        "kustomize.toolkit.fluxcd.io/name": "apps",
        "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
    done = kubectl("apply", "--server-side", "--field-manager", "kustomize-controller", "-f",
                   "-", input=json.dumps(manifest))
    assert done.returncode == 0, done.stderr
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 1), namespace=namespace,
             timeout=60)
    code, out, err = cli("doctor", "web")
    assert code == 0, (out, err)
    owners = [line for line in out.splitlines() if " field-owner: " in line]
    assert len(owners) == 1, out
    assert re.fullmatch(re.escape(
        "warning  web  field-owner: Flux (kustomize-controller) owns .spec.replicas, "
        ".spec.template, .spec.volumeClaimTemplates (field manager kustomize-controller, Apply "
        "at ") + r"\S+Z" + re.escape(
        "): it applies the set from its source again at its next reconcile (the "
        "Kustomization's spec.interval) and puts it back; fix: pause it before kubectl sts "
        "changes these fields (rollout, scale and resize refuse without --force): kubectl "
        "annotate statefulset web -n %s kustomize.toolkit.fluxcd.io/reconcile=disabled (remove "
        "it to resume); flux suspend kustomization apps -n flux-system (flux resume "
        "kustomization to resume); or in the Kustomization's spec.ignore: paths "
        "[/spec/replicas, /spec/template, /spec/volumeClaimTemplates], target kind StatefulSet "
        "name web" % namespace), owners[0]), owners[0]

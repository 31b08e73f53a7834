"""Another writer moves the partition under a rollout, through the real kubectl with its own
field manager: the step's gate, `rollout --status` and `wait` stop at once (exit 6) with the
same line naming that manager from managedFields (core/drift.py)."""

import json
import re
import threading

import pytest

from builders import statefulset
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
    """How the line names kustomize-controller and what to do (core/fieldowners.py), from
    managedFields when the server keeps them."""
    fix = ("Flux (kustomize-controller) applies the set from its source again at its next "
           "reconcile (the Kustomization's spec.interval) and puts it back; pause it: kubectl "
           "annotate statefulset web -n %s kustomize.toolkit.fluxcd.io/reconcile=disabled "
           "(remove it to resume); then see the plan: kubectl sts rollout web" % namespace)
    return r"(kustomize-controller \(%s\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ; %s|" \
        r"another writer \(the set has no managedFields to name it\); see the plan: kubectl " \
        r"sts rollout web)" % (operation, re.escape(fix))


def test_the_gate_stops_when_another_writer_moves_the_partition_back(apps, namespace, cli,
                                                                     kubectl):
    create(apps, namespace)
    code, out, err = cli("rollout", "web", "--image", "app=%s" % NEW)
    assert code == 0, err

    def flux():
        wait_for(apps.list_namespaced_stateful_set, partition_is(2), namespace=namespace)
        move_partition(kubectl, 3)
    mover = threading.Thread(target=flux, daemon=True)
    mover.start()
    # the settle time keeps the step's gate waiting until the partition moves
    code, out, err = cli("rollout", "web", "--step", "--settle", "60s", "--timeout", "60s")
    mover.join(30)
    assert code == EXIT_CONFLICT, (out, err)
    assert re.fullmatch(
        r"error: the rollout of web stopped: the partition went back from 2 to 3: written by "
        r"%s\n" % written_by("Update", namespace), err), err
    sts = json.loads(apps.read_namespaced_stateful_set("web", namespace,
                                                       _preload_content=False).data)
    assert sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 3     # not fought


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
    assert re.search("error: the rollout of web cannot complete as it was driven: " + said +
                     "$", err), err
    code, out, _ = cli("wait", "web", "--timeout", "20s", "-o", "json")
    assert code == EXIT_CONFLICT
    assert json.loads(out)["result"] == "moved"

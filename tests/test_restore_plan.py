"""The `restore` core (kubectl_sts/core/restore.py), table-driven over plain API objects: the
plan and its refusals, the claim created from a snapshot, and the next action of one ordinal
from what the cluster shows (which is what makes a run resumable anywhere)."""

from functools import partial

import pytest

from kubectl_sts.core import restore as core
from kubectl_sts.core.labels import (SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_REVISION_ANNOTATION,
                                     SNAPSHOT_SET_LABEL, SNAPSHOT_STS_LABEL,
                                     SNAPSHOT_TAKEN_ANNOTATION, SNAPSHOT_TEMPLATE_LABEL)
from kubectl_sts.core.restore import RestoreRefused, next_action, plan, plan_lines

import builders

SET = "web-20260101-120000"
sts = partial(builders.statefulset, replicas=3, namespace="default", uid="s-1",
              resource_version="7", labels={"app": "web"}, storage_class="csi-hostpath")
claim = partial(builders.claim, uid="c-{name}", resource_version="1",
                storage_class="csi-hostpath", phase="Bound", volume=True)
CLASSES = [builders.storage_class("csi-hostpath", provisioner="hostpath.csi.k8s.io"),
           builders.storage_class("standard", provisioner="rancher.io/local-path")]


def snapshot(ordinal, *, ready=True, error=None, of="web", set_name=SET, template="data",
             size="1Gi"):
    status = {"readyToUse": ready, "restoreSize": size,
              "boundVolumeSnapshotContentName": "snapcontent-%d" % ordinal,
              "creationTime": "2026-01-01T12:00:01Z"}
    if error:
        status["error"] = {"message": error}
    return {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
            "metadata": {"name": "%s-%s-%d" % (set_name, template, ordinal),
                         "namespace": "default",
                         "labels": {SNAPSHOT_SET_LABEL: set_name, SNAPSHOT_STS_LABEL: of,
                                    SNAPSHOT_ORDINAL_LABEL: str(ordinal),
                                    SNAPSHOT_TEMPLATE_LABEL: template},
                         "annotations": {SNAPSHOT_REVISION_ANNOTATION: "web-abc",
                                         SNAPSHOT_TAKEN_ANNOTATION: "2026-01-01T12:00:00Z"}},
            "spec": {"source": {"persistentVolumeClaimName": "%s-web-%d" % (template,
                                                                            ordinal)}},
            "status": status}


SNAPS = [snapshot(k) for k in range(3)]
CLAIMS = {"data-web-%d" % k: claim("data-web-%d" % k) for k in range(3)}
PVS = {"pv-data-web-%d" % k: builders.volume("pv-data-web-%d" % k) for k in range(3)}
DRIVERS: dict = {s["metadata"]["name"]: "hostpath.csi.k8s.io" for s in SNAPS}


def make(the_set=None, snaps=SNAPS, ordinals=(1,), claims=None, drivers=None, set_name=SET):
    return plan(the_set or sts(), set_name, list(snaps),
                None if ordinals is None else list(ordinals), claims or CLAIMS, PVS, CLASSES,
                DRIVERS if drivers is None else drivers)


def test_the_plan_of_one_ordinal():
    the_plan = make()
    [row] = the_plan["ordinals"]
    assert row["ordinal"] == 1 and row["pod"] == "web-1"
    [c] = row["claims"]
    assert (c["claim"], c["snapshot"], c["readyToUse"], c["restoreSize"], c["takenAt"],
            c["revision"], c["pv"], c["reclaimPolicy"], c["uid"]) == (
        "data-web-1", SET + "-data-1", True, "1Gi", "2026-01-01T12:00:00Z", "web-abc",
        "pv-data-web-1", "Delete", "c-data-web-1")
    lines = plan_lines(the_plan, "default", "/tmp/b.json")
    assert "  ordinal 1: pod web-1 restarts" in lines
    assert any("persistentvolumeclaim/data-web-1 replaced from volumesnapshot/%s-data-1 "
               "(readyToUse, restoreSize 1Gi, taken 2026-01-01T12:00:00Z, revision web-abc"
               % SET in line for line in lines)
    assert "      its volume persistentvolume/pv-data-web-1 (reclaimPolicy Delete): set to " \
           "Retain first, so it is kept" in lines
    assert "data written to these volumes since the snapshots were taken is lost" in lines
    assert lines[-1] == "the old volumes stay until you delete them: kubectl delete pv " \
                        "pv-data-web-1"


def test_all_takes_every_ordinal_of_the_snapshot_set_in_range():
    assert [r["ordinal"] for r in make(ordinals=None)["ordinals"]] == [0, 1, 2]
    assert [r["ordinal"] for r in make(sts(replicas=2), ordinals=None)["ordinals"]] == [0, 1]


@pytest.mark.parametrize("case, kwargs, refusal", [
    ("no such set", {"set_name": "nope"},
     "snapshot set nope not found (no VolumeSnapshot labelled kubectl-sts.io/snapshot-set=nope)"),
    ("another set's", {"snaps": [snapshot(1, of="db")]},
     "snapshot set %s is of statefulset db, not web" % SET),
    ("out of range", {"ordinals": (3,)},
     "ordinal 3 is out of range: web has ordinals 0..2"),
    ("not in the set", {"snaps": [snapshot(0)]},
     "snapshot set %s has no snapshot of claim data-web-1" % SET),
    ("not ready", {"snaps": [snapshot(1, ready=False)]},
     "volumesnapshot %s-data-1 is not readyToUse" % SET),
    ("error", {"snaps": [snapshot(1, ready=False, error="out of space")]},
     "volumesnapshot %s-data-1 has an error: out of space" % SET),
    ("other driver", {"drivers": {SET + "-data-1": "ebs.csi.aws.com"}},
     "claim data-web-1 is provisioned by hostpath.csi.k8s.io (storageclass csi-hostpath), but "
     "snapshot %s-data-1 was taken by ebs.csi.aws.com" % SET),
    ("no templates", {"the_set": sts(claims=())}, "statefulset web has no volumeClaimTemplates"),
])
def test_refusals(case, kwargs, refusal):
    with pytest.raises(RestoreRefused) as info:
        make(**kwargs)
    assert str(info.value) == refusal


def test_the_restored_claim_is_the_templates_with_a_data_source():
    the_set = sts()
    the_set["spec"]["volumeClaimTemplates"][0]["metadata"]["labels"] = {"tier": "db"}
    row = make(the_set, snaps=[snapshot(1, size="2Gi")])["ordinals"][0]["claims"][0]
    body = core.restored_claim(the_set, "data", 1, row)
    assert body["metadata"]["name"] == "data-web-1"
    assert body["metadata"]["labels"] == {"tier": "db", "app": "web"}
    assert body["spec"]["dataSource"] == {"apiGroup": "snapshot.storage.k8s.io",
                                          "kind": "VolumeSnapshot", "name": SET + "-data-1"}
    assert body["spec"]["storageClassName"] == "csi-hostpath"
    assert body["spec"]["resources"]["requests"]["storage"] == "2Gi"    # the restoreSize


SNAP = SET + "-data-1"
OLD = claim("data-web-1", uid="old")
NEW = claim("data-web-1", uid="new", spec={"dataSource": {
    "apiGroup": "snapshot.storage.k8s.io", "kind": "VolumeSnapshot", "name": SNAP}})
EMPTY = claim("data-web-1", uid="other")              # created by the controller, no source
POD = builders.pod("web-1", uid="p-old", ready=True)
NEW_POD = builders.pod("web-1", uid="p-new", ready=True)
STARTING = builders.pod("web-1", uid="p-new", ready=False)
DELETING = builders.pod("web-1", uid="p-old", deleting=True)
LIVE, GOING = sts(), sts(metadata={"deletionTimestamp": "2026-01-01T12:00:00Z"})
KEPT, RECLAIMED = builders.volume("pv-1", policy="Retain"), builders.volume("pv-1")


def entry(current, pv=KEPT):
    return [{"claim": "data-web-1", "current": current, "oldUid": "old", "snapshot": SNAP,
             "pv": pv}]


@pytest.mark.parametrize("case, the_set, pod, claims, action", [
    ("first: the PV Retain", LIVE, POD, entry(OLD, RECLAIMED), (core.RETAIN_PV, "pv-1")),
    ("then the set", LIVE, POD, entry(OLD), (core.DELETE_SET, None)),
    ("set going", GOING, POD, entry(OLD), (core.WAIT_SET_GONE, None)),
    ("then the pod", None, POD, entry(OLD), (core.DELETE_POD, "web-1")),
    ("pod going", None, DELETING, entry(OLD), (core.WAIT_POD_GONE, "web-1")),
    ("then the claim", None, None, entry(OLD), (core.DELETE_CLAIM, "data-web-1")),
    ("claim going", None, None, entry(claim("data-web-1", uid="old", deleting=True)),
     (core.WAIT_CLAIM_GONE, "data-web-1")),
    ("then created", None, None, entry(None), (core.CREATE_CLAIM, "data-web-1")),
    ("then the set again", None, None, entry(NEW), (core.CREATE_SET, None)),
    ("pod not back", LIVE, None, entry(NEW), (core.WAIT_READY, None)),
    ("pod starting", LIVE, STARTING, entry(NEW), (core.WAIT_READY, None)),
    ("the old pod still", LIVE, POD, entry(NEW), (core.WAIT_READY, None)),
    ("done", LIVE, NEW_POD, entry(NEW), (core.DONE, None)),
    # the controller made a claim from the template (the set was back too early): again
    ("an empty claim", LIVE, NEW_POD, entry(EMPTY), (core.DELETE_SET, None)),
    ("an empty claim, set gone", None, None, entry(EMPTY), (core.DELETE_CLAIM, "data-web-1")),
    # a claim already restored by this run is never restored again
    ("resumed, restored", None, None, entry(NEW), (core.CREATE_SET, None)),
    ("restored before (same uid)", LIVE, POD,
     [dict(entry(NEW)[0], oldUid="new")], (core.DELETE_SET, None)),
])
def test_next_action(case, the_set, pod, claims, action):
    assert next_action(the_set, pod, "p-old", claims) == action


def test_every_claim_template_of_the_ordinal_is_replaced():
    the_set = sts(claims=("data", "logs"))
    two = [snapshot(1), snapshot(1, template="logs")]
    claims = dict(CLAIMS, **{"logs-web-1": claim("logs-web-1")})
    drivers = {s["metadata"]["name"]: "hostpath.csi.k8s.io" for s in two}
    [row] = make(the_set, snaps=two, claims=claims, drivers=drivers)["ordinals"]
    assert [(c["claim"], c["snapshot"]) for c in row["claims"]] == [
        ("data-web-1", SET + "-data-1"), ("logs-web-1", SET + "-logs-1")]
    with pytest.raises(RestoreRefused) as info:
        make(the_set, snaps=two[:1], claims=claims)
    assert str(info.value) == "snapshot set %s has no snapshot of claim logs-web-1" % SET


def test_the_plan_shows_the_revision_each_snapshot_records():
    """`snapshot` records on each snapshot the revision of its ordinal's pod, under
    kubectl-sts.io/revision (none when the ordinal had no pod): the plan names it per claim,
    and ordinals taken mid-rollout differ."""
    snaps = [snapshot(k) for k in range(3)]
    for s, revision in zip(snaps, ("web-abc", "web-def", None)):
        s["metadata"]["annotations"] = dict({"kubectl-sts.io/revision": revision} if revision
                                            else {}, **{SNAPSHOT_TAKEN_ANNOTATION: "t"})
    the_plan = make(snaps=snaps, ordinals=None)
    assert [row["claims"][0]["revision"] for row in the_plan["ordinals"]] == [
        "web-abc", "web-def", None]
    lines = plan_lines(the_plan, "default", "/tmp/b.json")
    assert [line.split("revision ")[1].split(";")[0] for line in lines
            if "replaced from" in line] == ["web-abc", "web-def", "?"]

"""core/snapshots.py, pure (issue 31): the set's name, which claims, which VolumeSnapshotClass
(external-snapshotter SetDefaultSnapshotClass), the refusals before any write, the objects,
the progress of a wait, the sets listed, doctor's findings."""

import datetime

import pytest

from builders import claim, pod, statefulset, storage_class
from kubectl_sts.core import snapshots as core
from kubectl_sts.core.doctor import snapshot_hazards
from kubectl_sts.core.labels import (SNAPSHOT_ORDINAL_LABEL, SNAPSHOT_ORDINALS_ANNOTATION,
                                     SNAPSHOT_REVISION_ANNOTATION, SNAPSHOT_SET_LABEL,
                                     SNAPSHOT_STS_LABEL, SNAPSHOT_TAKEN_ANNOTATION,
                                     SNAPSHOT_TEMPLATE_LABEL)

NOW = datetime.datetime(2026, 3, 4, 5, 6, 7, tzinfo=datetime.timezone.utc)
DRIVER = "hostpath.csi.k8s.io"


def vsclass(name, driver=DRIVER, default=False):
    meta = {"name": name}
    if default:
        meta["annotations"] = {core.DEFAULT_CLASS_ANNOTATION: "true"}
    return {"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshotClass",
            "metadata": meta, "driver": driver, "deletionPolicy": "Delete"}


def bound(name, volume=None, sc="csi-hostpath", phase="Bound"):
    c = claim(name)
    c["spec"]["storageClassName"] = sc
    c["spec"]["volumeName"] = volume or "pv-" + name
    c["status"] = {"phase": phase}
    return c


def pv(name, driver=DRIVER):
    spec = {"csi": {"driver": driver, "volumeHandle": name}} if driver else {"hostPath": {}}
    return {"metadata": {"name": name}, "spec": spec}


def sts3(**kwargs):
    s = statefulset("web", 3, **kwargs)
    s["metadata"]["namespace"] = "ns"
    s.setdefault("status", {})["updateRevision"] = "web-abc"
    return s


CLAIMS = [bound("data-web-%d" % k) for k in range(3)]
PVS = {"pv-data-web-%d" % k: pv("pv-data-web-%d" % k) for k in range(3)}
SCS = [dict(storage_class("csi-hostpath"), provisioner=DRIVER),
       dict(storage_class("local-path"), provisioner="rancher.io/local-path")]


@pytest.mark.parametrize("sts_name,expected", [
    ("web", "web-20260304-050607"),
    ("a" * 60, "a" * 47 + "-20260304-050607"),
    ("a" * 46 + "-b" * 5, "a" * 46 + "-20260304-050607"),      # no "-" before the stamp's "-"
])
def test_the_set_name_is_a_label_value(sts_name, expected):
    assert core.set_name(sts_name, NOW) == expected
    assert len(core.set_name(sts_name, NOW)) <= 63


@pytest.mark.parametrize("classes,given,expected", [
    ([vsclass("a", default=True)], None, ("a", None)),
    ([vsclass("a"), vsclass("b", default=True)], None, ("b", None)),
    # a default of another driver is not this claim's
    ([vsclass("x", driver="other", default=True), vsclass("b", default=True)], None,
     ("b", None)),
    ([vsclass("a"), vsclass("b", default=True)], "a", ("a", None)),
    ([], None, (None, "no default VolumeSnapshotClass for claim data-web-0's driver "
                      "hostpath.csi.k8s.io: create a VolumeSnapshotClass for driver "
                      "hostpath.csi.k8s.io annotated snapshot.storage.kubernetes.io/"
                      "is-default-class: \"true\", or pass --class")),
    ([vsclass("a")], None, (None, "no default VolumeSnapshotClass for claim data-web-0's driver "
                                  "hostpath.csi.k8s.io: pass --class a or annotate one "
                                  "snapshot.storage.kubernetes.io/is-default-class: \"true\"")),
    ([vsclass("a", default=True), vsclass("b", default=True)], None,
     (None, "2 default VolumeSnapshotClasses for claim data-web-0's driver hostpath.csi.k8s.io "
            "(a, b): pass --class")),
    ([vsclass("a")], "zz", (None, "VolumeSnapshotClass zz not found")),
    ([vsclass("x", driver="other")], "x",
     (None, "VolumeSnapshotClass x is for driver other, claim data-web-0's driver is "
            "hostpath.csi.k8s.io")),
])
def test_which_class(classes, given, expected):
    assert core.pick_class(DRIVER, classes, given, "data-web-0") == expected


@pytest.mark.parametrize("claim_,pvs,expected", [
    (bound("data-web-0"), PVS, DRIVER),                       # the PV's spec.csi.driver
    (bound("data-web-0"), {}, DRIVER),                        # no PV read: the class's
    (bound("data-web-0"), None, DRIVER),                      # PVs forbidden
    (bound("data-web-0", sc="local-path"), {"pv-data-web-0": pv("pv-data-web-0", None)},
     "rancher.io/local-path"),                                # no CSI volume: the provisioner
    (bound("data-web-0", sc="gone"), {}, None),
])
def test_which_driver(claim_, pvs, expected):
    assert core.claim_driver(claim_, pvs, SCS) == expected


PODS = [pod(k, "web-abc") for k in range(3)]


def test_a_plan_of_every_ordinal():
    plan = core.plan(sts3(), CLAIMS, PVS, SCS, [vsclass("snap", default=True)], None, None, NOW,
                     pods=PODS)
    assert plan["refused"] is None
    assert plan["set"] == "web-20260304-050607" and plan["revision"] == "web-abc"
    assert [(e["name"], e["claim"], e["class"]) for e in plan["snapshots"]] == [
        ("web-20260304-050607-data-%d" % k, "data-web-%d" % k, "snap") for k in range(3)]
    objs = core.snapshot_objects(plan)
    assert objs[1] == {
        "apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot",
        "metadata": {"name": "web-20260304-050607-data-1", "namespace": "ns",
                     "labels": {SNAPSHOT_SET_LABEL: "web-20260304-050607",
                                SNAPSHOT_STS_LABEL: "web", SNAPSHOT_ORDINAL_LABEL: "1",
                                SNAPSHOT_TEMPLATE_LABEL: "data"},
                     "annotations": {"kubectl-sts.io/revision": "web-abc",
                                     SNAPSHOT_ORDINALS_ANNOTATION: "0,1,2",
                                     SNAPSHOT_TAKEN_ANNOTATION: "2026-03-04T05:06:07Z"}},
        "spec": {"volumeSnapshotClassName": "snap",
                 "source": {"persistentVolumeClaimName": "data-web-1"}}}


def staged(update="web-new"):
    """web after `rollout --image` staged a template: the update revision is one no pod ran."""
    s = sts3()
    s["status"].update(currentRevision="web-abc", updateRevision=update)
    return s


@pytest.mark.parametrize("pods,revisions,text", [
    # staged, no pod updated yet: every snapshot holds data of the current revision
    (PODS, ["web-abc"] * 3, "web-abc"),
    # mid-rollout: ordinal 2 runs the new template
    (PODS[:2] + [pod(2, "web-new")], ["web-abc", "web-abc", "web-new"],
     "web-abc (0,1), web-new (2)"),
    # no pod for ordinal 1 (deleted, or the set scaled to 0): nothing recorded for it
    ([PODS[0], PODS[2]], ["web-abc", None, "web-abc"], "web-abc (0,2), <unknown> (1)"),
    # a pod of another set named alike is not the ordinal's
    ([pod("webx-0", "webx-1")] + PODS[1:], [None, "web-abc", "web-abc"],
     "<unknown> (0), web-abc (1,2)"),
])
def test_each_snapshot_records_the_revision_of_its_ordinals_pod(pods, revisions, text):
    plan = core.plan(staged(), CLAIMS, PVS, SCS, [vsclass("snap", default=True)], None, None,
                     NOW, pods=pods)
    assert [e["revision"] for e in plan["snapshots"]] == revisions
    assert plan["revision"] == text
    assert [o["metadata"]["annotations"].get("kubectl-sts.io/revision")
            for o in core.snapshot_objects(plan)] == revisions
    from kubectl_sts.printers.snapshot import render_plan
    assert render_plan(plan).splitlines()[0] == (
        "snapshot set web-20260304-050607 of statefulset web (revision %s, ordinals 0,1,2): "
        "3 VolumeSnapshot(s)" % text)


def test_a_group_members_record_their_ordinals_revision():
    plan = core.plan(staged(), CLAIMS, PVS, SCS, [], None, None, NOW, group=True,
                     group_classes=[{"metadata": {"name": "g", "annotations": {
                         core.DEFAULT_GROUP_CLASS_ANNOTATION: "true"}}, "driver": DRIVER}],
                     pods=PODS[:2] + [pod(2, "web-new")])
    assert "kubectl-sts.io/revision" not in core.group_object(plan, "v1")["metadata"][
        "annotations"]
    assert [core.member_patch(plan, "data-web-%d" % k)["metadata"]["annotations"].get(
        "kubectl-sts.io/revision") for k in range(3)] == ["web-abc", "web-abc", "web-new"]


LOCAL_PV = {"metadata": {"name": "pvc-123", "annotations": {
    "pv.kubernetes.io/provisioned-by": "rancher.io/local-path"}},
    "spec": {"hostPath": {"path": "/var/local-path-provisioner/pvc-123"},
             "storageClassName": "local-path"}}


@pytest.mark.parametrize("claims,pvs,scs,group,refused", [
    # a local-path PV: no class can help (the snapshot controller refuses a non-CSI source)
    ([bound("data-web-0", volume="pvc-123", sc="local-path")], {"pvc-123": LOCAL_PV}, SCS,
     False, "claim data-web-0's volume pvc-123 is not a CSI volume (provisioner "
            "rancher.io/local-path, storageclass local-path): volume snapshots need a CSI "
            "driver with snapshot support"),
    ([bound("data-web-0", volume="pvc-123", sc="local-path")], {"pvc-123": LOCAL_PV}, SCS,
     True, "claim data-web-0's volume pvc-123 is not a CSI volume (provisioner "
           "rancher.io/local-path, storageclass local-path): volume snapshots need a CSI "
           "driver with snapshot support"),
    # StorageClasses unread: the PV's own provisioner annotation
    ([bound("data-web-0", volume="pvc-123", sc="local-path")], {"pvc-123": LOCAL_PV}, None,
     False, "claim data-web-0's volume pvc-123 is not a CSI volume (provisioner "
            "rancher.io/local-path, storageclass local-path): volume snapshots need a CSI "
            "driver with snapshot support"),
    # PVs unread: the class's provisioner is all that is known (no class for it)
    ([bound("data-web-0", volume="pvc-123", sc="local-path")], None, SCS, False,
     "no default VolumeSnapshotClass for claim data-web-0's driver rancher.io/local-path: "
     "create a VolumeSnapshotClass for driver rancher.io/local-path annotated "
     "snapshot.storage.kubernetes.io/is-default-class: \"true\", or pass --class"),
])
def test_a_volume_that_is_not_csi_is_refused_as_such(claims, pvs, scs, group, refused):
    plan = core.plan(statefulset("web", 1), claims, pvs, scs, [vsclass("snap", default=True)],
                     None, None, NOW, group=group, pods=[pod(0, "web-abc")])
    assert plan["refused"] == refused
    if pvs:
        from kubectl_sts.printers.snapshot import render_plan
        assert "claim data-web-0  not a CSI volume" in render_plan(plan)


@pytest.mark.parametrize("claims,ordinals,classes,refused", [
    (CLAIMS, [2, 0], [vsclass("s", default=True)], None),
    (CLAIMS[:2], None, [vsclass("s", default=True)], "claim data-web-2 does not exist"),
    (CLAIMS[:2] + [bound("data-web-2", phase="Pending")], None, [vsclass("s", default=True)],
     "claim data-web-2 is not bound (Pending)"),
    (CLAIMS, [1], [], "no default VolumeSnapshotClass for claim data-web-1's driver "
                      "hostpath.csi.k8s.io: create a VolumeSnapshotClass for driver "
                      "hostpath.csi.k8s.io annotated snapshot.storage.kubernetes.io/"
                      "is-default-class: \"true\", or pass --class"),
])
def test_what_a_plan_refuses(claims, ordinals, classes, refused):
    plan = core.plan(sts3(), claims, PVS, SCS, classes, ordinals, None, NOW)
    assert plan["refused"] == refused
    if ordinals:
        assert [e["ordinal"] for e in plan["snapshots"]] == ordinals


def test_a_set_without_claim_templates_is_refused():
    s = sts3()
    s["spec"]["volumeClaimTemplates"] = []
    assert core.plan(s, [], {}, SCS, [], None, None, NOW)["refused"] == \
        "statefulset web has no volumeClaimTemplates: nothing to snapshot"


@pytest.mark.parametrize("resources,refused", [
    (None, True),
    ({"resources": [{"name": "volumesnapshots"}]}, True),
    ({"resources": [{"name": "volumesnapshots"}, {"name": "volumesnapshotclasses"},
                    {"name": "volumesnapshotcontents"}]}, False),
])
def test_served(resources, refused):
    why = core.not_served(resources)
    assert bool(why) == refused
    if why:
        assert why.startswith("the server does not serve snapshot.storage.k8s.io/v1: install "
                              "the external-snapshotter CRDs and controller")


def snap(name, set_="web-1", ready=None, size=None, error=None, sts="web", taken="t1",
         ordinal=0):
    status = {}
    if ready is not None:
        status["readyToUse"] = ready
    if size:
        status["restoreSize"] = size
    if error:
        status["error"] = {"message": error}
    return {"metadata": {"name": name, "uid": "u-" + name,
                         "labels": {SNAPSHOT_SET_LABEL: set_, SNAPSHOT_STS_LABEL: sts,
                                    SNAPSHOT_ORDINAL_LABEL: str(ordinal)},
                         "annotations": {SNAPSHOT_TAKEN_ANNOTATION: taken,
                                         SNAPSHOT_REVISION_ANNOTATION: "web-abc",
                                         SNAPSHOT_ORDINALS_ANNOTATION: "0,1"}},
            "spec": {"source": {"persistentVolumeClaimName": "data-" + name}},
            "status": status}


@pytest.mark.parametrize("live,done,failed", [
    ({"a": snap("a", ready=True), "b": snap("b", ready=True)}, True, None),
    ({"a": snap("a", ready=True), "b": snap("b", ready=False)}, False, None),
    ({"a": snap("a", ready=True)}, False, None),
    ({"a": snap("a", ready=False, error="Failed to create snapshot: boom"),
      "b": snap("b", ready=True)}, False, "volumesnapshot a failed: Failed to create snapshot: "
                                          "boom"),
])
def test_progress(live, done, failed):
    state = core.progress(["a", "b"], live)
    assert (state["done"], state["failed"]) == (done, failed)


def test_the_sets_listed():
    snaps = [snap("a", "web-1", True, "1Gi", taken="2026-01-01T00:00:00Z"),
             snap("b", "web-1", True, "1Gi", taken="2026-01-01T00:00:00Z"),
             snap("c", "web-2", False, taken="2026-01-02T00:00:00Z"),
             snap("d", "db-1", True, "1Gi", sts="db")]
    group = {"apiVersion": "groupsnapshot.storage.k8s.io/v1", "kind": "VolumeGroupSnapshot",
             "name": "web-3", "uid": "g-3", "controller": True}
    members = [snap(n, "web-3", True, "1Gi", taken="2026-01-03T00:00:00Z") for n in "ef"]
    for m in members:
        m["metadata"]["ownerReferences"] = [group]
    rows = core.set_rows(core.sets_of("web", snaps + members))
    assert rows == [["web-3", "2026-01-03T00:00:00Z", "web-abc", "0,1", "2/2", "2Gi", "true"],
                    ["web-2", "2026-01-02T00:00:00Z", "web-abc", "0,1", "0/1", "0", "false"],
                    ["web-1", "2026-01-01T00:00:00Z", "web-abc", "0,1", "2/2", "2Gi", "false"]]
    assert core.members_to_delete("web-1", snaps) == [
        {"name": "a", "uid": "u-a", "claim": "data-a", "group": None},
        {"name": "b", "uid": "u-b", "claim": "data-b", "group": None}]
    # --delete: a set's own snapshots one by one; a group set's VolumeGroupSnapshot (with the
    # uid of the members' owner reference), never its members alone
    assert core.deletions(core.members_to_delete("web-1", snaps)) == (
        [], core.members_to_delete("web-1", snaps))
    groups, alone = core.deletions(core.members_to_delete("web-3", members))
    assert alone == [] and [(g["apiVersion"], g["name"], g["uid"], len(g["members"]))
                            for g in groups] == [
        ("groupsnapshot.storage.k8s.io/v1", "web-3", "g-3", 2)]


def member(ordinal, revision, template="data"):
    m = snap("web-1-%s-%d" % (template, ordinal), "web-1", True, "1Gi", ordinal=ordinal)
    m["metadata"]["annotations"].pop(SNAPSHOT_REVISION_ANNOTATION)
    if revision:
        m["metadata"]["annotations"]["kubectl-sts.io/revision"] = revision
    return m


@pytest.mark.parametrize("members,text,revisions", [
    ([member(k, "web-abc") for k in range(3)], "web-abc",
     {"0": "web-abc", "1": "web-abc", "2": "web-abc"}),
    ([member(0, "web-abc"), member(0, "web-abc", "logs"), member(1, "web-abc"),
      member(2, "web-def")], "web-abc (0,1), web-def (2)",
     {"0": "web-abc", "1": "web-abc", "2": "web-def"}),
    ([member(0, "web-abc"), member(1, None)], "web-abc (0), <unknown> (1)",
     {"0": "web-abc", "1": None}),
])
def test_the_sets_listed_with_the_revision_of_each_ordinal(members, text, revisions):
    [row] = core.sets_of("web", members)
    assert (row["revision"], row["revisions"]) == (text, revisions)
    assert core.set_rows([row])[0][2] == text


LOCAL = {"pv-data-web-%d" % k: pv("pv-data-web-%d" % k, None) for k in range(3)}


@pytest.mark.parametrize("pvs,classes,expected", [
    (PVS, None, [("info", "snapshots-not-served")]),
    (PVS, [], [("warning", "no-snapshot-class")]),
    (PVS, [vsclass("s", default=True)], []),
    (PVS, [vsclass("s", default=True), vsclass("t", default=True)],
     [("warning", "no-snapshot-class")]),
    # no CSI volume (or the PVs unread): nothing to say
    (LOCAL, None, []),
    (LOCAL, [], []),
    (None, [], []),
])
def test_doctor_findings(pvs, classes, expected):
    found = snapshot_hazards(CLAIMS, pvs, classes)
    assert [(f[0], f[1]) for f in found] == expected
    if expected and expected[0][1] == "no-snapshot-class":
        assert "data-web-0, data-web-1, data-web-2" in found[0][2]
        assert DRIVER in found[0][2]


def test_restore_advice():
    assert core.restore_advice("web", "web-20260304-050607", 1) == (
        "the data as it was before: kubectl sts restore web --from web-20260304-050607 "
        "--ordinal 1")


def test_a_group_plan_and_its_members():
    classes = [{"metadata": {"name": "g", "annotations": {
        core.DEFAULT_GROUP_CLASS_ANNOTATION: "true"}}, "driver": DRIVER}]
    plan = core.plan(sts3(), CLAIMS, PVS, SCS, [], None, None, NOW, group=True,
                     group_classes=classes)
    assert plan["refused"] is None and plan["groupClass"] == "g"
    group = core.group_object(plan, "v1beta2")
    assert group["apiVersion"] == "groupsnapshot.storage.k8s.io/v1beta2"
    assert group["spec"] == {"volumeGroupSnapshotClassName": "g", "source": {"selector": {
        "matchLabels": {SNAPSHOT_SET_LABEL: "web-20260304-050607"}}}}
    assert core.claim_labels(plan) == {"metadata": {"labels": {
        SNAPSHOT_SET_LABEL: "web-20260304-050607"}}}
    owner = {"kind": "VolumeGroupSnapshot", "name": "web-20260304-050607", "uid": "g1"}
    members = [{"metadata": {"name": "snapshot-%d" % k, "ownerReferences": [owner]},
                "spec": {"source": {"persistentVolumeClaimName": "data-web-%d" % k}}}
               for k in range(3)]
    stranger = {"metadata": {"name": "x", "ownerReferences": [dict(owner, uid="other")]},
                "spec": {"source": {"persistentVolumeClaimName": "data-web-0"}}}
    found = core.group_members(plan, "g1", [stranger] + members)
    assert {c: m["metadata"]["name"] for c, m in found.items()} == {
        "data-web-%d" % k: "snapshot-%d" % k for k in range(3)}
    patch = core.member_patch(plan, "data-web-2")
    assert patch["metadata"]["labels"] == {
        SNAPSHOT_SET_LABEL: "web-20260304-050607", SNAPSHOT_STS_LABEL: "web",
        SNAPSHOT_ORDINAL_LABEL: "2", SNAPSHOT_TEMPLATE_LABEL: "data"}


def test_a_group_needs_one_driver_and_a_group_class():
    mixed = CLAIMS[:2] + [bound("data-web-2", volume="pv-x", sc="local-path")]
    pvs = dict(PVS, **{"pv-x": pv("pv-x", "other.csi")})
    plan = core.plan(sts3(), mixed, pvs, SCS, [], None, None, NOW, group=True)
    assert plan["refused"] == ("a group snapshot needs every claim on one CSI driver; the claims "
                               "use hostpath.csi.k8s.io, other.csi")
    plan = core.plan(sts3(), CLAIMS, PVS, SCS, [], None, None, NOW, group=True)
    assert plan["refused"].startswith("no default VolumeGroupSnapshotClass for claim data-web-0")

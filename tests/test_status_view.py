"""Pure tests of the `status` core (kubectl_sts/core/status.py) over plain API-shaped dicts.

No cluster, no clock: every object is built here and `now` is fixed."""

import datetime
import json
from functools import partial

import pytest

from kubectl_sts.core.status import (build_view, is_healthy, list_row,
                                     status_claim, status_pod, status_reads)
from kubectl_sts.printers.status import MAX_WARNINGS, render_list, render_view

from builders import REV_A, REV_B, REV_C, claim, event, pod, service, statefulset

NOW = datetime.datetime(2024, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)

PARTITION_MARK = "--- partition "


# -- builders -----------------------------------------------------------------------------------

def ts(seconds_ago):
    return (NOW - datetime.timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


# the objects as the API serves them: uids, timestamps, a reported status
served_sts = partial(statefulset, namespace="default", service="web", uid="uid-{name}",
                     generation=1, observed=True, current=REV_A, counts=True, container="c0",
                     grace=None, access_modes=None)
served_pod = partial(pod, revision=REV_A, namespace="default", uid="uid-{name}", created=ts(60),
                     labels={"app": "web"}, node="node-1", image="nginx:1.27", container="c0",
                     ready=True, ip="10.0.0.1", statuses=True)
served_claim = partial(claim, namespace="default", created=ts(60), storage_class="standard",
                       phase="Bound", volume=True)
served_service = partial(service, ports=None)


def healthy_set(replicas=3, start=0, templates=("data",), name="web", **sts_kwargs):
    sts = served_sts(name=name, replicas=replicas, start=start or None, claims=templates,
                     **sts_kwargs)
    rev = sts["status"]["updateRevision"]
    ordinals = range(start, start + replicas)
    pods = [served_pod("%s-%d" % (name, o), revision=rev, labels={"app": name}) for o in ordinals]
    claims = [served_claim("%s-%s-%d" % (t, name, o)) for o in ordinals for t in templates]
    return sts, pods, claims


def view_of(sts, pods=(), claims=(), service="default", events=(), domain="cluster.local",
            wide=False, unreadable=()):
    if service == "default":
        service = served_service(sts["spec"].get("serviceName") or "web")
    return build_view(sts, list(pods), list(claims), service, list(events), NOW, domain, wide,
                      unreadable)


def table_lines(text):
    """The lines of the ordinal table (header first), separator lines included."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(("ORDINAL ", "POD ")))
    out = []
    for line in lines[first:]:
        if not line.strip():
            break
        out.append(line)
    return out


def row_line(text, pod):
    at = table_lines(text)[0].split().index("POD")
    return next(line for line in table_lines(text)[1:] if line.split()[at:at + 1] == [pod])


def cells(line):
    """Cells of a table line (columns are three or more spaces apart)."""
    import re
    return re.split(r"\s{3,}", line.strip())


def column(text, header, pod):
    header_line = table_lines(text)[0]
    headers = cells(header_line)
    return dict(zip(headers, cells(row_line(text, pod))))[header]


# -- ordinal rows --------------------------------------------------------------------------------

def test_rows_follow_the_ordinal_range_in_order():
    sts, pods, claims = healthy_set(replicas=4)
    view = view_of(sts, reversed(pods), reversed(claims))
    assert [r["ordinal"] for r in view["ordinals"]] == [0, 1, 2, 3]
    assert [r["pod"] for r in view["ordinals"]] == ["web-0", "web-1", "web-2", "web-3"]
    assert all(r["exists"] and r["isReady"] for r in view["ordinals"])
    assert view["ordinals"][2]["uid"] == "uid-web-2"
    assert view["ordinals"][0]["status"] == "Running"
    assert view["ordinals"][0]["ready"] == "1/1"
    assert view["ordinals"][0]["node"] == "node-1"
    assert view["ordinals"][0]["age"] == "60s"
    assert view["ordinals"][0]["createdAt"] == ts(60)
    text = render_view(view)
    body = table_lines(text)[1:]
    assert [line.split()[:2] for line in body] == [
        ["web-0", "Running"], ["web-1", "Running"], ["web-2", "Running"], ["web-3", "Running"]]
    assert column(text, "STATUS", "web-1") == "Running 1/1"
    wide = table_lines(render_view(view, wide=True))[1:]
    assert [line.split()[:3] for line in wide] == [
        ["0", "web-0", "Running"], ["1", "web-1", "Running"],
        ["2", "web-2", "Running"], ["3", "web-3", "Running"]]
    assert column(render_view(view, wide=True), "NODE", "web-0") == "node-1"


def test_rows_start_at_spec_ordinals_start():
    sts, pods, claims = healthy_set(replicas=3, start=5)
    view = view_of(sts, pods, claims)
    assert view["ordinalsStart"] == 5
    assert [r["ordinal"] for r in view["ordinals"]] == [5, 6, 7]
    assert [r["pod"] for r in view["ordinals"]] == ["web-5", "web-6", "web-7"]
    assert [r["pvcs"][0]["name"] for r in view["ordinals"]] == [
        "data-web-5", "data-web-6", "data-web-7"]
    assert view["orphanedPVCs"] == [] and view["leavingPods"] == []
    text = render_view(view)
    assert "ordinals start: 5" in text
    assert [line.split()[0] for line in table_lines(text)[1:]] == ["web-5", "web-6", "web-7"]
    assert [line.split()[0] for line in table_lines(render_view(view, wide=True))[1:]] == [
        "5", "6", "7"]


def test_missing_ordinals_are_rows_with_status_missing():
    sts, pods, claims = healthy_set(replicas=4)
    del pods[1]
    del pods[2]      # web-3 (the list shifted)
    sts["status"]["readyReplicas"] = 2
    view = view_of(sts, pods, claims)
    missing = [r for r in view["ordinals"] if not r["exists"]]
    assert [r["pod"] for r in missing] == ["web-1", "web-3"]
    row = view["ordinals"][1]
    assert row["status"] == "Missing" and row["revisionState"] == "none"
    assert row["ready"] == "0/1" and row["isReady"] is False and row["restarts"] == 0
    assert row["createdAt"] is None and row["node"] == ""
    assert row["pvcs"][0]["exists"] is True       # the volume outlives the pod
    assert row["dns"] == "web-1.web.default.svc.cluster.local"
    text = render_view(view)
    line = row_line(text, "web-1")
    assert cells(line)[:5] == ["web-1", "Missing", "-", "0", "-"]
    assert cells(row_line(render_view(view, wide=True), "web-1"))[:7] == [
        "1", "web-1", "Missing", "-", "0", "-", "-"]
    assert view["healthy"] is False


def test_missing_row_counts_the_template_containers():
    sts = served_sts(replicas=1, containers=[{"name": "c0", "image": "nginx:1.27"},
                                             {"name": "c1", "image": "nginx:1.27"}])
    view = view_of(sts, [], [])
    assert view["ordinals"][0]["ready"] == "0/2"


def test_pods_of_other_sets_and_strangers_are_ignored():
    sts, pods, claims = healthy_set(replicas=2)
    others = [served_pod("web-db-0", labels={"app": "web-db"}), served_pod("webx-1", labels={"app": "webx"}),
              served_pod("web", labels={"app": "web"}), served_pod("web-abc", labels={"app": "web"})]
    view = view_of(sts, pods + others, claims)
    assert [r["pod"] for r in view["ordinals"]] == ["web-0", "web-1"]
    assert view["leavingPods"] == []


# -- revisions --------------------------------------------------------------------------------

def rollout_set(replicas=3, partition=None, start=0, **kwargs):
    """A rollout from REV_A to REV_B: the top ordinals are updated (as the controller does)."""
    sts = served_sts(replicas=replicas, partition=partition, start=start or None, current=REV_A,
                     update=REV_B, **kwargs)
    first_updated = start + (partition or 0)
    pods = [served_pod("web-%d" % o, revision=REV_B if o >= first_updated else REV_A)
            for o in range(start, start + replicas)]
    claims = [served_claim("data-web-%d" % o) for o in range(start, start + replicas)]
    sts["status"]["updatedReplicas"] = sum(1 for p in pods if
                                           p["metadata"]["labels"]["controller-revision-hash"]
                                           == REV_B)
    sts["status"]["currentReplicas"] = replicas - sts["status"]["updatedReplicas"]
    return sts, pods, claims


def test_revision_states_current_updated_other():
    sts = served_sts(replicas=4, current=REV_A, update=REV_B, updated=1, at_current=2)
    pods = [served_pod("web-0", revision=REV_A), served_pod("web-1", revision=REV_C),
            served_pod("web-2", revision=REV_A), served_pod("web-3", revision=REV_B)]
    view = view_of(sts, pods)
    assert view["revisions"] == {"current": REV_A, "update": REV_B, "rolloutInProgress": True}
    assert [r["revisionState"] for r in view["ordinals"]] == [
        "current", "other", "current", "updated"]
    assert view["ordinals"][1]["revision"] == REV_C
    text = render_view(view)
    assert column(text, "REVISION", "web-0") == "current"
    assert column(text, "REVISION", "web-3") == "updated"
    assert column(text, "REVISION", "web-1") == REV_C.rsplit("-", 1)[1]
    assert "Revisions:       current %s, update %s (rollout in progress: 1 of 4 updated)" % (
        REV_A, REV_B) in text.splitlines()


def test_without_rollout_the_update_revision_is_current():
    sts, pods, claims = healthy_set(replicas=2)
    view = view_of(sts, pods, claims)
    assert view["revisions"]["rolloutInProgress"] is False
    assert [r["revisionState"] for r in view["ordinals"]] == ["current", "current"]
    assert "Revision:        %s (up to date)" % REV_A in render_view(view).splitlines()


def test_a_pod_without_revision_label_is_unknown():
    sts = served_sts(replicas=1)
    view = view_of(sts, [served_pod("web-0", revision=None)])
    assert view["ordinals"][0]["revisionState"] == "unknown"
    assert column(render_view(view), "REVISION", "web-0") == "-"
    assert view["healthy"] is False


def test_a_set_without_status_yet():
    sts = served_sts(replicas=1)
    del sts["status"]
    view = view_of(sts, [])
    assert view["revisions"] == {"current": "", "update": "", "rolloutInProgress": False}
    assert view["observed"] is False and view["healthy"] is False
    text = render_view(view)
    assert "Revision:        <none> (up to date)" in text
    assert "Generation:      1 (observed 0" in text


# -- partition --------------------------------------------------------------------------------

def separator_between(text):
    """(ordinal above the separator, ordinal below it), or None without a separator."""
    lines = table_lines(text)[1:]
    marks = [i for i, line in enumerate(lines) if line.startswith(PARTITION_MARK)]
    if not marks:
        return None
    assert len(marks) == 1, lines
    i = marks[0]
    above = int(lines[i - 1].split()[0].rsplit("-", 1)[1]) if i > 0 else None
    below = int(lines[i + 1].split()[0].rsplit("-", 1)[1]) if i + 1 < len(lines) else None
    return above, below


@pytest.mark.parametrize("replicas,partition,start", [
    (4, 2, 0), (4, 1, 0), (4, 3, 0), (5, 2, 5), (3, 1, 10)])
def test_partition_separator_sits_between_start_plus_partition(replicas, partition, start):
    sts, pods, claims = rollout_set(replicas=replicas, partition=partition, start=start)
    view = view_of(sts, pods, claims)
    text = render_view(view)
    assert separator_between(text) == (start + partition - 1, start + partition)
    line = next(ln for ln in text.splitlines() if ln.startswith(PARTITION_MARK))
    assert line == ("--- partition %d: ordinals above this line stay at the current revision, "
                    "ordinals below it update ---" % partition)
    assert [r["belowPartition"] for r in view["ordinals"]] == [
        o < start + partition for o in range(start, start + replicas)]
    states = [r["revisionState"] for r in view["ordinals"]]
    assert states == ["current"] * partition + ["updated"] * (replicas - partition)
    assert "Update strategy: RollingUpdate, partition %d" % partition in text


@pytest.mark.parametrize("partition", [0, None, 3, 4, 10])
def test_no_separator_for_partition_zero_or_at_least_replicas(partition):
    sts, pods, claims = rollout_set(replicas=3, partition=partition if partition and
                                    partition < 3 else None)
    if partition is not None:
        sts["spec"]["updateStrategy"] = {"type": "RollingUpdate",
                                         "rollingUpdate": {"partition": partition}}
    view = view_of(sts, pods, claims)
    assert separator_between(render_view(view)) is None
    assert not any(r["belowPartition"] for r in view["ordinals"])
    assert view["updateStrategy"]["partition"] == (partition or 0)


def test_no_separator_for_on_delete():
    sts, pods, claims = rollout_set(replicas=3, strategy="OnDelete")
    view = view_of(sts, pods, claims)
    assert view["updateStrategy"] == {"type": "OnDelete", "partition": None,
                                      "maxUnavailable": None}
    text = render_view(view)
    assert separator_between(text) is None
    assert "Update strategy: OnDelete (pods update only when deleted)" in text
    assert not any(r["belowPartition"] for r in view["ordinals"])


def test_max_unavailable_is_shown():
    sts, pods, claims = healthy_set(replicas=2, max_unavailable=2)
    view = view_of(sts, pods, claims)
    assert view["updateStrategy"] == {"type": "RollingUpdate", "partition": 0,
                                      "maxUnavailable": 2}
    assert "Update strategy: RollingUpdate, partition 0, maxUnavailable 2" in render_view(view)


# -- PVCs ----------------------------------------------------------------------------------------

def test_two_claim_templates_give_two_pvc_columns():
    sts, pods, claims = healthy_set(replicas=2, templates=("data", "logs"))
    claims = [c for c in claims if c["metadata"]["name"] != "logs-web-1"]
    view = view_of(sts, pods, claims)
    row0, row1 = view["ordinals"]
    assert [(p["template"], p["name"]) for p in row0["pvcs"]] == [
        ("data", "data-web-0"), ("logs", "logs-web-0")]
    shown = {k: v for k, v in row0["pvcs"][0].items()
             if k not in ("uid", "resourceVersion", "createdAt")}
    assert shown == {"name": "data-web-0", "template": "data", "ordinal": 0, "exists": True,
                     "status": "Bound", "phase": "Bound", "capacity": "1Gi",
                     "storageClass": "standard", "volume": "pv-data-web-0", "age": "60s",
                     "reclaimPolicy": "unknown"}
    assert row1["pvcs"][1] == {"name": "logs-web-1", "template": "logs", "ordinal": 1,
                               "exists": False, "status": "Missing", "phase": "Missing",
                               "capacity": "", "storageClass": "", "volume": "", "age": ""}
    text = render_view(view)
    headers = cells(table_lines(text)[0])
    assert headers == ["POD", "STATUS", "REVISION", "RESTARTS", "AGE", "PVC DATA", "PVC LOGS",
                       "DNS"]
    assert column(text, "PVC DATA", "web-0") == "data-web-0 (Bound, 1Gi)"
    assert column(text, "PVC LOGS", "web-0") == "logs-web-0 (Bound, 1Gi)"
    assert column(text, "PVC LOGS", "web-1") == "logs-web-1 (missing)"
    wide = render_view(view, wide=True)
    assert cells(table_lines(wide)[0])[:9] == ["ORDINAL", "POD", "STATUS", "REVISION",
                                               "RESTARTS", "AGE", "NODE", "PVC DATA", "PVC LOGS"]
    assert column(wide, "PVC DATA", "web-0") == "data-web-0 (Bound, 1Gi, standard)"


def test_one_template_header_is_pvc_and_none_has_no_pvc_column():
    sts, pods, claims = healthy_set(replicas=1)
    assert cells(table_lines(render_view(view_of(sts, pods, claims)))[0])[5] == "PVC"
    sts, pods, _ = healthy_set(replicas=1, templates=())
    view = view_of(sts, pods, [])
    assert view["ordinals"][0]["pvcs"] == []
    assert cells(table_lines(render_view(view))[0]) == [
        "POD", "STATUS", "REVISION", "RESTARTS", "AGE", "DNS"]


def test_pvc_cells_pending_terminating_and_canonical_capacity():
    sts = served_sts(replicas=3)
    pods = [served_pod("web-%d" % i) for i in range(3)]
    claims = [served_claim("data-web-0", phase="Pending", storage_class=None),
              served_claim("data-web-1", size="1024Mi"),
              served_claim("data-web-2", deleting=True)]
    view = view_of(sts, pods, claims)
    text = render_view(view)
    assert column(text, "PVC", "web-0") == "data-web-0 (Pending, 1Gi)"
    assert column(text, "PVC", "web-1") == "data-web-1 (Bound, 1Gi)"
    assert column(text, "PVC", "web-2") == "data-web-2 (Terminating, 1Gi)"
    wide = render_view(view, wide=True)
    assert column(wide, "PVC", "web-0") == "data-web-0 (Pending, 1Gi)"
    assert column(wide, "PVC", "web-2") == "data-web-2 (Terminating, 1Gi, standard)"
    assert view["ordinals"][0]["pvcs"][0]["volume"] == ""


def test_claims_of_other_sets_or_odd_names_do_not_match():
    sts = served_sts(replicas=2)
    claims = [served_claim("data-web-db-0"), served_claim("data-web-01"), served_claim("logs-web-0"),
              served_claim("data-webx-1"), served_claim("data-web-1")]
    view = view_of(sts, [served_pod("web-0"), served_pod("web-1")], claims)
    assert [p["exists"] for r in view["ordinals"] for p in r["pvcs"]] == [False, True]
    assert view["orphanedPVCs"] == []


def test_orphaned_pvcs_above_the_range_after_a_scale_down():
    sts, pods, claims = healthy_set(replicas=3)
    claims += [served_claim("data-web-4", created=ts(7200)), served_claim("data-web-3", phase="Released")]
    view = view_of(sts, pods, claims)
    assert [(p["name"], p["ordinal"], p["template"]) for p in view["orphanedPVCs"]] == [
        ("data-web-3", 3, "data"), ("data-web-4", 4, "data")]
    assert view["orphanedPVCs"][1]["age"] == "120m"
    text = render_view(view)
    lines = text.splitlines()
    i = lines.index("Orphaned PVCs (ordinals outside 0..2, kept by the retention policy or "
                    "earlier scale-downs):")
    assert cells(lines[i + 1]) == ["PVC", "ORDINAL", "STATUS", "CAPACITY", "STORAGECLASS", "AGE"]
    assert cells(lines[i + 2]) == ["data-web-3", "3", "Released", "1Gi", "standard", "60s"]
    assert cells(lines[i + 3]) == ["data-web-4", "4", "Bound", "1Gi", "standard", "120m"]
    assert all(lines[j].startswith("  ") for j in (i + 1, i + 2, i + 3))
    # the table rows stay within the range
    assert [line.split()[0] for line in table_lines(text)[1:]] == ["web-0", "web-1", "web-2"]


def test_orphaned_pvcs_below_a_raised_start_ordinal_with_two_templates():
    sts = served_sts(replicas=2, start=2, claims=("data", "logs"))
    pods = [served_pod("web-2"), served_pod("web-3")]
    claims = [served_claim("%s-web-%d" % (t, o)) for o in range(4) for t in ("logs", "data")]
    view = view_of(sts, pods, claims)
    assert [p["name"] for p in view["orphanedPVCs"]] == [
        "data-web-0", "logs-web-0", "data-web-1", "logs-web-1"]
    assert "Orphaned PVCs (ordinals outside 2..3" in render_view(view)


def test_no_orphan_section_without_orphans():
    sts, pods, claims = healthy_set(replicas=2)
    assert "Orphaned PVCs" not in render_view(view_of(sts, pods, claims))


def test_leaving_pods_outside_the_range_and_terminating():
    sts, pods, claims = healthy_set(replicas=3)
    pods[1] = served_pod("web-1", deleting=True)
    pods.append(served_pod("web-3", deleting=True))
    pods.append(served_pod("web-4"))
    view = view_of(sts, pods, claims)
    assert view["leavingPods"] == [
        {"pod": "web-1", "ordinal": 1, "status": "Terminating", "reason": "being deleted"},
        {"pod": "web-3", "ordinal": 3, "status": "Terminating",
         "reason": "outside the ordinal range"},
        {"pod": "web-4", "ordinal": 4, "status": "Running",
         "reason": "outside the ordinal range"}]
    row = view["ordinals"][1]
    assert row["terminating"] is True and row["status"] == "Terminating"
    assert [r["pod"] for r in view["ordinals"]] == ["web-0", "web-1", "web-2"]
    text = render_view(view)
    lines = text.splitlines()
    i = lines.index("Pods leaving:")
    assert lines[i + 1:i + 4] == ["  web-1 (Terminating, being deleted)",
                                  "  web-3 (Terminating, outside the ordinal range)",
                                  "  web-4 (Running, outside the ordinal range)"]
    assert column(text, "STATUS", "web-1") == "Terminating"
    assert view["healthy"] is False


# -- DNS and Service -----------------------------------------------------------------------------

def test_dns_names_with_a_custom_domain_and_namespace():
    sts, pods, claims = healthy_set(replicas=2, namespace="shop", service="web-hl")
    view = view_of(sts, pods, claims, service=served_service("web-hl"), domain="corp.example")
    assert [r["dns"] for r in view["ordinals"]] == [
        "web-0.web-hl.shop.svc.corp.example", "web-1.web-hl.shop.svc.corp.example"]
    assert view["service"] == {"name": "web-hl", "exists": True, "headless": True}
    text = render_view(view)
    assert text.splitlines()[0] == "StatefulSet shop/web"
    assert "Service:         web-hl (headless)" in text
    assert column(text, "DNS", "web-1") == "web-1.web-hl.shop.svc.corp.example"


def test_default_domain_is_cluster_local():
    sts, pods, claims = healthy_set(replicas=1)
    view = build_view(sts, pods, claims, served_service(), [], NOW)
    assert view["ordinals"][0]["dns"] == "web-0.web.default.svc.cluster.local"


def test_without_service_name_there_are_no_dns_names():
    sts, pods, claims = healthy_set(replicas=2, service=None)
    view = view_of(sts, pods, claims, service=None)
    assert view["service"] is None
    assert [r["dns"] for r in view["ordinals"]] == ["", ""]
    text = render_view(view)
    assert "Service:         <none> (no serviceName: pods have no stable DNS names)" in text
    assert column(text, "DNS", "web-0") == "-"


def test_missing_service_is_called_out():
    sts, pods, claims = healthy_set(replicas=2)
    view = view_of(sts, pods, claims, service=None)
    assert view["service"] == {"name": "web", "exists": False, "headless": False}
    assert view["ordinals"][0]["dns"] == "web-0.web.default.svc.cluster.local"
    assert ("Service:         web (MISSING: the headless Service does not exist, so the DNS "
            "names below do not resolve)") in render_view(view).splitlines()


def test_non_headless_service_is_called_out():
    sts, pods, claims = healthy_set(replicas=1)
    view = view_of(sts, pods, claims, service=served_service(cluster_ip="10.96.0.12"))
    assert view["service"] == {"name": "web", "exists": True, "headless": False}
    assert "Service:         web (NOT headless: clusterIP is set)" in render_view(view)


# -- warnings, generation, unreadable ---------------------------------------------------------

def warning(obj, reason, message, seconds_ago, count=1, age=None):
    return {"object": obj, "reason": reason, "message": message, "count": count,
            "lastSeen": ts(seconds_ago), "age": age or "%ds" % seconds_ago}


@pytest.mark.parametrize("case, event, shown", [
    ("a pod of the set", event("Pod", "web-1", "BackOff", "m", ts(30), count=4), True),
    ("the set", event("StatefulSet", "web", "FailedCreate", "m", ts(20)), True),
    ("a claim of the set", event("PersistentVolumeClaim", "data-web-0",
                                 "ProvisioningFailed", "m", ts(5)), True),
    ("a pod matched by uid", dict(event("Pod", "web-0", "BackOff", "m", ts(5)),
                                  involvedObject={"kind": "Pod", "name": "web-0",
                                                  "uid": "uid-web-0"}), True),
    ("an earlier pod of the same name", dict(event("Pod", "web-0", "BackOff", "m", ts(5)),
                                             involvedObject={"kind": "Pod", "name": "web-0",
                                                             "uid": "uid-replaced"}), False),
    ("an earlier set of the same name", dict(event("StatefulSet", "web", "X", "m", ts(5)),
                                             involvedObject={"kind": "StatefulSet", "name": "web",
                                                             "uid": "uid-deleted"}), False),
    ("a pod of the set that no longer exists", event("Pod", "web-7", "Failed", "m", ts(25)),
     False),
    ("a Normal event", event("Pod", "web-0", "Pulled", "m", ts(10), type="Normal"), False),
    ("another set", event("StatefulSet", "web-db", "FailedCreate", "m", ts(5)), False),
    ("a pod of another set", event("Pod", "web-db-0", "BackOff", "m", ts(5)), False),
    ("a stranger", event("Pod", "other", "BackOff", "m", ts(5)), False),
    ("a claim of another ordinal range", event("PersistentVolumeClaim", "data-web-9",
                                               "X", "m", ts(5)), False),
])
def test_warnings_are_those_of_the_objects_that_exist_now(case, event, shown):
    sts, pods, claims = healthy_set(replicas=2)
    view = view_of(sts, pods, claims, events=[event])
    assert (len(view["warnings"]) == 1) is shown, case


def test_warnings_newest_first_with_age_and_count():
    sts, pods, claims = healthy_set(replicas=2)
    events = [event("Pod", "web-1", "BackOff", "Back-off restarting failed container", ts(30),
                    count=4),
              event("StatefulSet", "web", "FailedCreate", "create Pod web-2 failed", ts(20))]
    view = view_of(sts, pods, claims, events=events)
    assert view["warnings"] == [
        warning("statefulset/web", "FailedCreate", "create Pod web-2 failed", 20),
        warning("pod/web-1", "BackOff", "Back-off restarting failed container", 30, count=4)]
    lines = render_view(view).splitlines()
    i = lines.index("Recent warnings:")
    assert [cells(line) for line in lines[i + 1:]] == [
        ["LAST SEEN", "OBJECT", "REASON", "COUNT", "MESSAGE"],
        ["20s", "statefulset/web", "FailedCreate", "1", "create Pod web-2 failed"],
        ["30s", "pod/web-1", "BackOff", "4", "Back-off restarting failed container"]]


def test_three_warning_lines_unless_wide():
    sts, pods, claims = healthy_set(replicas=1)
    events = [event("Pod", "web-0", "BackOff", "number %d" % n, ts(100 - n))
              for n in (3, 0, 6, 1, 5, 2, 4)]       # shuffled
    view = view_of(sts, pods, claims, events=events)
    assert MAX_WARNINGS == 3
    assert [w["message"] for w in view["warnings"]] == ["number %d" % n for n in range(6, -1, -1)]
    lines = render_view(view).splitlines()
    i = lines.index("Recent warnings:")
    assert [cells(line)[-1] for line in lines[i + 2:i + 5]] == ["number 6", "number 5",
                                                                "number 4"]
    assert lines[i + 5:] == ["  (4 older: -o wide shows them)"]
    wide = render_view(view, wide=True).splitlines()
    i = wide.index("Recent warnings:")
    assert len(wide) - i - 2 == 7


def test_warning_time_falls_back_to_event_time_and_creation():
    sts, pods, claims = healthy_set(replicas=1)
    events = [event("Pod", "web-0", "A", "newest", ts(1), when="eventTime"),
              event("Pod", "web-0", "B", "oldest", ts(50), when="creationTimestamp"),
              event("Pod", "web-0", "C", "middle", ts(20))]
    view = view_of(sts, pods, claims, events=events)
    assert [(w["reason"], w["lastSeen"], w["age"]) for w in view["warnings"]] == [
        ("A", ts(1), "1s"), ("C", ts(20), "20s"), ("B", ts(50), "50s")]


def test_no_warning_section_without_warnings():
    sts, pods, claims = healthy_set(replicas=1)
    assert "Recent warnings" not in render_view(view_of(sts, pods, claims))


def test_observed_generation_lag():
    sts, pods, claims = healthy_set(replicas=2, generation=3, observed=2)
    view = view_of(sts, pods, claims)
    assert (view["generation"], view["observedGeneration"], view["observed"]) == (3, 2, False)
    assert view["healthy"] is False
    assert ("Generation:      3 (observed 2: the controller has not caught up yet)"
            in render_view(view).splitlines())
    sts, pods, claims = healthy_set(replicas=2, generation=3, observed=3)
    view = view_of(sts, pods, claims)
    assert view["observed"] is True and view["healthy"] is True
    assert "Generation:" not in render_view(view)


def test_unreadable_parts_are_named():
    sts, pods, claims = healthy_set(replicas=1)
    view = view_of(sts, pods, claims, unreadable=(
        "events (forbidden: Error from server (Forbidden): no)",))
    assert view["unreadable"] == ["events (forbidden: Error from server (Forbidden): no)"]
    assert render_view(view).splitlines()[-1] == \
        "Not shown: events (forbidden: Error from server (Forbidden): no)"


# -- header, wide, json ----------------------------------------------------------------------

def test_header_lines():
    sts, pods, claims = healthy_set(replicas=3, pod_management="Parallel", min_ready=10,
                                    retention={"whenDeleted": "Delete", "whenScaled": "Retain"})
    sts["status"].update(readyReplicas=3, availableReplicas=2)
    text = render_view(view_of(sts, pods, claims))
    assert text.splitlines()[:7] == [
        "StatefulSet default/web",
        "Replicas:        3 desired | 3 ready | 2 available | 3 updated | 3 current",
        "Revision:        %s (up to date)" % REV_A,
        "Update strategy: RollingUpdate, partition 0",
        "Pod management:  Parallel   minReadySeconds: 10   ordinals start: 0",
        "Service:         web (headless)",
        "PVC retention:   whenDeleted=Delete, whenScaled=Retain",
    ]


def test_zero_replicas():
    sts = served_sts(replicas=0)
    view = view_of(sts, [], [served_claim("data-web-0")])
    assert view["ordinals"] == [] and view["healthy"] is True
    assert [p["name"] for p in view["orphanedPVCs"]] == ["data-web-0"]
    text = render_view(view)
    assert "No ordinals: the StatefulSet is scaled to 0." in text
    assert "Orphaned PVCs (ordinals outside 0..-1" in text


def test_wide_adds_ip_containers_and_images():
    sts = served_sts(replicas=3, current=REV_A, update=REV_A)
    pods = [served_pod("web-0", ip="10.1.2.3"),
            served_pod("web-1", waiting="ImagePullBackOff", image="registry.invalid/x:1", phase="Pending"),
            served_pod("web-2", waiting="ContainerCreating", statuses=False, ip="", phase="Pending")]
    view = view_of(sts, pods, wide=True)
    row0, row1, row2 = view["ordinals"]
    assert row0["ip"] == "10.1.2.3"
    assert row0["containers"] == [{"name": "c0", "image": "nginx:1.27", "ready": True,
                                   "restarts": 0, "state": "running", "reason": ""}]
    assert row1["containers"][0]["state"] == "waiting"
    assert row1["containers"][0]["reason"] == "ImagePullBackOff"
    assert row2["containers"] == [{"name": "c0", "image": "nginx:1.27", "ready": False,
                                   "restarts": 0, "state": "waiting", "reason": "Pending"}]
    text = render_view(view, wide=True)
    headers = cells(table_lines(text)[0])
    assert headers[-3:] == ["IP", "CONTAINERS", "IMAGES"]
    assert column(text, "IP", "web-0") == "10.1.2.3"
    assert column(text, "CONTAINERS", "web-0") == "c0:ready"
    assert column(text, "CONTAINERS", "web-1") == "c0:ImagePullBackOff"
    assert column(text, "IMAGES", "web-1") == "registry.invalid/x:1"
    assert column(text, "IP", "web-2") == "-"
    assert "IP" not in cells(table_lines(render_view(view))[0])
    assert "ip" not in view_of(sts, pods)["ordinals"][0]


def test_view_is_json_serialisable_with_the_documented_keys():
    sts, pods, claims = rollout_set(replicas=3, partition=1)
    view = view_of(sts, pods, claims, wide=True)
    assert json.loads(json.dumps(view)) == view
    assert view["apiVersion"] == "kubectl-sts/v1" and view["kind"] == "StatefulSetStatus"
    assert set(view) >= {
        "namespace", "name", "replicas", "revisions", "updateStrategy", "podManagementPolicy",
        "minReadySeconds", "ordinalsStart", "service", "pvcRetentionPolicy", "generation",
        "observedGeneration", "observed", "ordinals", "orphanedPVCs", "leavingPods", "warnings",
        "unreadable", "stuck", "healthy"}
    assert set(view["replicas"]) == {"desired", "current", "ready", "available", "updated",
                                     "atCurrentRevision"}
    assert view["replicas"]["updated"] == 2 and view["replicas"]["atCurrentRevision"] == 1
    assert set(view["ordinals"][0]) >= {
        "ordinal", "pod", "exists", "phase", "status", "ready", "isReady", "terminating",
        "revision", "revisionState", "belowPartition", "restarts", "age", "createdAt", "node",
        "uid", "ip", "containers", "pvcs", "dns"}
    assert view["pvcRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}


# -- stuck rollouts -------------------------------------------------------------------------------

def test_crash_loop_at_the_update_revision_is_a_stuck_rollout():
    sts = served_sts(replicas=3, current=REV_A, update=REV_B, ready=2, updated=1, at_current=2)
    pods = [served_pod("web-0", revision=REV_A), served_pod("web-1", revision=REV_A),
            served_pod("web-2", revision=REV_B, waiting="CrashLoopBackOff", restarts=4)]
    view = view_of(sts, pods)
    stuck = view["stuck"]
    assert stuck["pod"] == "web-2" and stuck["ordinal"] == 2
    assert stuck["status"] == "CrashLoopBackOff"
    assert stuck["revision"] == REV_B and stuck["atUpdateRevision"] is True
    assert stuck["kind"] == "rollout"
    assert "update revision %s" % REV_B in stuck["message"]
    assert "kubectl sts rollout web --undo" in stuck["message"]
    assert "deletes web-2" in stuck["message"]
    assert view["stuck"] == stuck
    text = render_view(view)
    assert "ROLLOUT STUCK at web-2: " + stuck["message"] in text.splitlines()
    assert view["ordinals"][2]["restarts"] == 4
    assert column(text, "RESTARTS", "web-2") == "4"
    assert column(text, "STATUS", "web-2") == "CrashLoopBackOff FAILING"


def test_image_pull_failure_without_restarts_is_stuck_too():
    sts = served_sts(replicas=3, current=REV_A, update=REV_B)
    pods = [served_pod("web-0", revision=REV_A), served_pod("web-1", revision=REV_A),
            served_pod("web-2", revision=REV_B, waiting="ImagePullBackOff", phase="Pending")]
    stuck = view_of(sts, pods)["stuck"]
    assert (stuck["pod"], stuck["status"], stuck["kind"]) == (
        "web-2", "ImagePullBackOff", "rollout")


def test_failing_pod_at_an_old_revision_after_a_revert_must_be_deleted():
    # the template went back to REV_A; web-2 still runs the bad REV_B and crash-loops
    sts = served_sts(replicas=3, current=REV_A, update=REV_A, ready=2)
    pods = [served_pod("web-0", revision=REV_A), served_pod("web-1", revision=REV_A),
            served_pod("web-2", revision=REV_B, waiting="CrashLoopBackOff", restarts=2)]
    view = view_of(sts, pods)
    stuck = view["stuck"]
    assert stuck["pod"] == "web-2" and stuck["atUpdateRevision"] is False
    assert stuck["kind"] == "rollout"
    assert "kubectl sts repair web --ordinal 2" in stuck["message"]
    assert "the controller no longer wants" in stuck["message"]
    assert "ROLLOUT STUCK at web-2" in render_view(view)


def test_failing_pod_without_a_rollout_blocks_progress():
    sts = served_sts(replicas=3, ready=1)
    pods = [served_pod("web-0"), served_pod("web-1", waiting="CrashLoopBackOff", restarts=3)]
    view = view_of(sts, pods)
    stuck = view["stuck"]
    assert (stuck["pod"], stuck["kind"], stuck["atUpdateRevision"]) == ("web-1", "progress", True)
    assert "BLOCKED at web-1: " in render_view(view)


def test_failed_phase_counts_as_failing():
    sts = served_sts(replicas=1, current=REV_A, update=REV_B)
    pod = served_pod("web-0", revision=REV_B, ready=False, phase="Failed")
    assert view_of(sts, [pod])["stuck"]["pod"] == "web-0"


def test_a_failing_updated_pod_stops_the_rollout_whatever_is_below_it():
    # the controller waits for web-1 first, then for web-2, which never gets Ready: no other
    # ordinal is updated until the template is fixed or undone
    sts = served_sts(replicas=3, current=REV_A, update=REV_B)
    pods = [served_pod("web-0", revision=REV_A),
            served_pod("web-1", revision=REV_A, waiting="ContainerCreating", phase="Pending"),
            served_pod("web-2", revision=REV_B, waiting="CrashLoopBackOff", restarts=5)]
    stuck = view_of(sts, pods)["stuck"]
    assert (stuck["pod"], stuck["kind"]) == ("web-2", "rollout")
    assert "kubectl sts rollout web --undo" in stuck["message"]


@pytest.mark.parametrize("pod", [
    served_pod("web-2", revision=REV_B, waiting="ContainerCreating", phase="Pending"),
    served_pod("web-2", revision=REV_B, ready=False),          # running, readiness pending
    served_pod("web-2", revision=REV_B, deleting=True, ready=False),
], ids=["creating", "not-ready-yet", "terminating"])
def test_a_merely_starting_pod_is_not_stuck(pod):
    sts = served_sts(replicas=3, current=REV_A, update=REV_B)
    pods = [served_pod("web-0", revision=REV_A), served_pod("web-1", revision=REV_A), pod]
    view = view_of(sts, pods)
    assert view["stuck"] is None
    text = render_view(view)
    assert "STUCK" not in text and "BLOCKED" not in text


def test_a_missing_ordinal_is_not_the_stuck_one():
    sts = served_sts(replicas=3, current=REV_A, update=REV_B)
    pods = [served_pod("web-0", revision=REV_A),
            served_pod("web-2", revision=REV_B, waiting="CrashLoopBackOff", restarts=1)]
    view = view_of(sts, pods)
    assert view["stuck"]["pod"] == "web-2"
    assert view["ordinals"][1]["verdict"] == "progressing"


def test_parallel_stops_at_a_failing_updated_pod_too():
    # the rolling update goes from the highest ordinal down and returns at an unhealthy pod
    # of the update revision (stateful_set_control.go, updateStatefulSet)
    sts = served_sts(replicas=3, current=REV_A, update=REV_B, pod_management="Parallel")
    pods = [served_pod("web-0", revision=REV_A), served_pod("web-1", revision=REV_A),
            served_pod("web-2", revision=REV_B, waiting="CrashLoopBackOff", restarts=4)]
    view = view_of(sts, pods)
    assert view["podManagementPolicy"] == "Parallel"
    assert view["stuck"]["pod"] == "web-2"
    assert "ROLLOUT STUCK at web-2" in render_view(view)


def test_parallel_replaces_a_failing_old_pod_by_itself():
    # gate off: the rolling update deletes a pod of another revision when it reaches it
    sts = served_sts(replicas=3, current=REV_B, update=REV_B, pod_management="Parallel")
    pods = [served_pod("web-0", revision=REV_B), served_pod("web-1", revision=REV_B),
            served_pod("web-2", revision=REV_A, waiting="CrashLoopBackOff", restarts=4)]
    view = view_of(sts, pods)
    assert view["stuck"] is None and view["ordinals"][2]["verdict"] == "failing"


def test_healthy_set_is_not_stuck():
    sts, pods, claims = healthy_set(replicas=3)
    assert view_of(sts, pods, claims)["stuck"] is None


# -- is_healthy ---------------------------------------------------------------------------------

def test_is_healthy():
    sts, pods, claims = healthy_set(replicas=3)
    view = view_of(sts, pods, claims)
    assert view["healthy"] is True and is_healthy(view) is True

    def healthy_with(change):
        s, p, c = healthy_set(replicas=3)
        change(s, p)
        return is_healthy(view_of(s, p, c))

    assert not healthy_with(lambda s, p: p.pop())                            # missing
    assert not healthy_with(lambda s, p: p.__setitem__(1, served_pod("web-1", ready=False)))
    assert not healthy_with(lambda s, p: p.__setitem__(1, served_pod("web-1", deleting=True)))
    assert not healthy_with(lambda s, p: p.__setitem__(1, served_pod("web-1", revision=REV_C)))
    assert not healthy_with(lambda s, p: s["status"].update(observedGeneration=0))
    # a finished rollout (every pod at the update revision) is healthy
    sts = served_sts(replicas=2, current=REV_B, update=REV_B)
    assert is_healthy(view_of(sts, [served_pod("web-0", revision=REV_B),
                                    served_pod("web-1", revision=REV_B)]))
    # mid-rollout with a partition: pods below it are not at the update revision
    sts, pods, claims = rollout_set(replicas=3, partition=1)
    assert view_of(sts, pods, claims)["healthy"] is False


# -- a large set -------------------------------------------------------------------------------

def test_a_thousand_replicas():
    sts, pods, claims = healthy_set(replicas=1000, templates=("data", "logs"))
    del pods[500]
    view = view_of(sts, pods, claims)
    rows = view["ordinals"]
    assert len(rows) == 1000
    assert [r["ordinal"] for r in rows] == list(range(1000))
    last = rows[999]
    assert last["pod"] == "web-999"
    assert [p["name"] for p in last["pvcs"]] == ["data-web-999", "logs-web-999"]
    assert all(p["exists"] for p in last["pvcs"])
    assert last["dns"] == "web-999.web.default.svc.cluster.local"
    assert rows[500]["status"] == "Missing" and rows[500]["pvcs"][0]["name"] == "data-web-500"
    assert sum(1 for r in rows if not r["exists"]) == 1
    assert view["orphanedPVCs"] == []
    text = render_view(view)
    assert len(table_lines(text)) == 1001
    assert column(text, "PVC LOGS", "web-999") == "logs-web-999 (Bound, 1Gi)"
    assert column(text, "DNS", "web-999") == "web-999.web.default.svc.cluster.local"
    # ordinal order, not string order (web-10 after web-9)
    assert [line.split()[0] for line in table_lines(text)[9:12]] == ["web-8", "web-9", "web-10"]


# -- list mode ----------------------------------------------------------------------------------

def test_list_row():
    sts = served_sts(replicas=3)
    sts["metadata"].update(creationTimestamp=ts(7200), labels={"app": "web"})
    assert list_row(sts, NOW) == {
        "namespace": "default", "name": "web", "ready": "3/3", "updated": "3/3",
        "revision": "up to date", "partition": 0, "strategy": "RollingUpdate",
        "pvcPolicy": "Retain/Retain", "replicas": 3, "readyReplicas": 3,
        "labels": {"app": "web"}, "createdAt": ts(7200), "age": "120m"}
    rolling = served_sts(replicas=4, partition=2, current=REV_A, update=REV_B, updated=2, ready=3,
                         retention={"whenDeleted": "Delete", "whenScaled": "Delete"})
    row = list_row(rolling)
    assert (row["ready"], row["updated"], row["revision"], row["partition"], row["pvcPolicy"]) \
        == ("3/4", "2/4", "rolling (2/4 updated)", 2, "Delete/Delete")
    on_delete = list_row(served_sts(strategy="OnDelete"))
    assert (on_delete["partition"], on_delete["strategy"]) == ("-", "OnDelete")
    fresh = served_sts(replicas=2)
    del fresh["status"]
    assert list_row(fresh)["revision"] == "unknown"
    assert list_row(fresh)["ready"] == "0/2"


def rendered_lines(rows, **flags):
    """render_list's lines, for rows it must render (it answers None only for no rows)."""
    text = render_list(rows, **flags)
    assert text is not None
    return text.splitlines()


def test_render_list():
    web, db = served_sts(name="web", namespace="a"), served_sts(name="db", namespace="b", replicas=1,
                                                                strategy="OnDelete")
    web["metadata"].update(creationTimestamp=ts(90), labels={"tier": "fe", "app": "web"})
    db["metadata"]["creationTimestamp"] = ts(3 * 86400)
    rows = [list_row(web, NOW), list_row(db, NOW)]
    lines = rendered_lines(rows)
    assert cells(lines[0]) == ["NAME", "READY", "UPDATED", "REVISION", "PARTITION", "STRATEGY",
                               "PVC POLICY (DELETED/SCALED)", "AGE"]
    assert cells(lines[1]) == ["web", "3/3", "3/3", "up to date", "0", "RollingUpdate",
                               "Retain/Retain", "90s"]
    assert cells(lines[2]) == ["db", "1/1", "1/1", "up to date", "-", "OnDelete",
                               "Retain/Retain", "3d"]
    labelled = rendered_lines(rows, show_labels=True, no_headers=True)
    assert [cells(line)[-1] for line in labelled] == ["app=web,tier=fe", "<none>"]
    assert cells(rendered_lines(rows, all_namespaces=True)[1])[:2] == ["a", "web"]
    all_ns = rendered_lines(rows, all_namespaces=True)
    assert cells(all_ns[0])[:2] == ["NAMESPACE", "NAME"]
    assert cells(all_ns[1])[:2] == ["a", "web"] and cells(all_ns[2])[:2] == ["b", "db"]
    assert render_list([]) is None


def test_failing_pod_below_the_partition_at_the_current_revision_blocks_progress():
    # deleting web-0 would bring it back at the current revision: no "delete it" advice
    sts = served_sts(replicas=3, partition=2, current=REV_A, update=REV_B, updated=1)
    pods = [served_pod("web-0", revision=REV_A, waiting="CrashLoopBackOff", restarts=3),
            served_pod("web-1", revision=REV_A), served_pod("web-2", revision=REV_B)]
    stuck = view_of(sts, pods)["stuck"]
    assert (stuck["pod"], stuck["kind"], stuck["atUpdateRevision"]) == ("web-0", "progress", False)
    assert "kubectl delete pod" not in stuck["message"]
    # above the partition, a pod left at an old revision is one to delete
    sts = served_sts(replicas=3, partition=1, current=REV_A, update=REV_B, updated=1)
    pods = [served_pod("web-0", revision=REV_A),
            served_pod("web-1", revision=REV_C, waiting="CrashLoopBackOff", restarts=3),
            served_pod("web-2", revision=REV_B)]
    stuck = view_of(sts, pods)["stuck"]
    assert (stuck["pod"], stuck["kind"]) == ("web-1", "rollout")
    assert "kubectl sts repair web --ordinal 1" in stuck["message"]


# -- what status reads besides the set (cached between runs) ------------------------------------

def _spec(**spec):
    return {"spec": spec}


@pytest.mark.parametrize("sts, expected", [
    pytest.param(_spec(selector={"matchLabels": {"app": "web"}}, serviceName="web",
                       volumeClaimTemplates=[{"metadata": {"name": "data"}}]),
                 {"pods": "app=web", "claims": "app=web", "service": "web"}, id="plain"),
    pytest.param(_spec(selector={"matchLabels": {"app": "web"}}, serviceName="web"),
                 {"pods": "app=web", "claims": None, "service": "web"}, id="no-claim-templates"),
    pytest.param(_spec(selector={"matchLabels": {"app": "web"}}, serviceName="",
                       volumeClaimTemplates=[{}]),
                 {"pods": "app=web", "claims": "app=web", "service": None}, id="no-service"),
    # claims carry the selector's matchLabels only (the controller labels them so)
    pytest.param(_spec(selector={"matchLabels": {"app": "web", "tier": "db"},
                                 "matchExpressions": [{"key": "track", "operator": "In",
                                                       "values": ["a", "b"]}]},
                       serviceName="web", volumeClaimTemplates=[{}]),
                 {"pods": "app=web,tier=db,track in (a,b)", "claims": "app=web,tier=db",
                  "service": "web"}, id="match-expressions"),
    pytest.param(_spec(selector={"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                       serviceName="web", volumeClaimTemplates=[{}]),
                 {"pods": "app", "claims": "", "service": "web"}, id="expressions-only"),
])
def test_status_reads(sts, expected):
    assert status_reads(sts) == expected


# -- status reads pods and claims reduced as they are decoded: the same view ------------------

def _heavy(obj):
    """The fields real objects carry that status never shows."""
    obj = json.loads(json.dumps(obj))
    obj["metadata"]["managedFields"] = [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}]
    obj["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
    obj["metadata"]["ownerReferences"] = [{"kind": "StatefulSet", "name": "web"}]
    for c in obj["spec"].get("containers") or []:
        c.update(env=[{"name": "A", "value": "1"}], ports=[{"containerPort": 80}],
                 livenessProbe={"httpGet": {"path": "/", "port": 80}})
    obj["status"]["hostIP"] = "172.18.0.2"
    return obj


def _pods_of_every_kind():
    sts, pods, claims = healthy_set(replicas=3)
    rev = sts["status"]["updateRevision"]
    pods += [served_pod("web-3", revision=rev, waiting="CrashLoopBackOff", restarts=4),
             served_pod("web-4", revision=REV_C, deleting=True),
             served_pod("web-5", revision=rev, waiting="ContainerCreating", statuses=False, phase="Pending")]
    pods[-1]["spec"]["initContainers"] = [{"name": "init", "image": "busybox"},
                                          {"name": "proxy", "image": "envoy",
                                           "restartPolicy": "Always"}]
    pods[-1]["status"]["initContainerStatuses"] = [
        {"name": "init", "ready": False, "restartCount": 1,
         "state": {"waiting": {"reason": "PodInitializing"}},
         "lastState": {"terminated": {"exitCode": 1, "finishedAt": ts(30)}}}]
    pods[0]["spec"]["readinessGates"] = [{"conditionType": "example.com/ready"}]
    pods[0]["status"]["conditions"].append({"type": "example.com/ready", "status": "False",
                                            "reason": "Waiting", "lastProbeTime": None})
    sts["spec"]["replicas"] = 6
    claims += [served_claim("data-web-3", phase="Pending"), served_claim("data-web-9"),
               served_claim("data-web-4", deleting=True)]
    return sts, pods, claims


@pytest.mark.parametrize("wide", [False, True])
def test_reduced_pods_and_claims_give_the_same_view(wide):
    sts, pods, claims = _pods_of_every_kind()
    pods, claims = [_heavy(p) for p in pods], [_heavy(c) for c in claims]
    events = [event("Pod", "web-3", "BackOff", "Back-off restarting", ts(5))]
    full = view_of(sts, pods, claims, events=events, wide=wide)
    reduced = view_of(sts, [status_pod(p) for p in pods], [status_claim(c) for c in claims],
                      events=events, wide=wide)
    assert reduced == full
    assert render_view(reduced, wide) == render_view(full, wide)
    assert "managedFields" not in json.dumps([status_pod(p) for p in pods])
    assert "livenessProbe" not in json.dumps([status_pod(p) for p in pods])


def test_reduced_pods_share_their_repeated_strings():
    """Decoded separately (as list items are), two pods hold their own copies of every
    string; reduced, the repeated ones are one object (the 10 000-replica memory figure)."""
    first, second = (json.loads(json.dumps(p)) for p in _pods_of_every_kind()[1][:2])
    a, b = status_pod(first), status_pod(second)
    assert a["status"]["conditions"][0]["type"] is b["status"]["conditions"][0]["type"]
    key = next(iter(a["metadata"]["labels"]))
    assert next(k for k in b["metadata"]["labels"] if k == key) is key
    assert a["spec"]["containers"][0]["image"] is b["spec"]["containers"][0]["image"]


# -- issue 26: what status says must still be true --------------------------------------------

def test_a_warning_the_pod_has_outlived_is_not_shown():
    """The secret was missing, then created: the same pod (same uid) started and is Ready
    since; `Error: secret "mysql-secrets" not found` is history, not a recent warning."""
    sts, pods, claims = healthy_set(replicas=1)
    pods[0]["status"]["conditions"][0]["lastTransitionTime"] = ts(30)
    stale = event("Pod", "web-0", "Failed", 'Error: secret "mysql-secrets" not found', ts(90))
    stale["involvedObject"]["uid"] = pods[0]["metadata"]["uid"]
    fresh = event("Pod", "web-0", "Unhealthy", "Readiness probe failed", ts(10))
    view = view_of(sts, pods, claims, events=[stale, fresh])
    assert [w["reason"] for w in view["warnings"]] == ["Unhealthy"]
    assert "mysql-secrets" not in render_view(view)


def test_a_down_ordinal_is_marked_with_a_line_about_its_node():
    from kubectl_sts.core.diagnosis import Facts, diagnose
    sts, pods, claims = healthy_set(replicas=2)
    pods[1]["status"]["conditions"][0]["status"] = "False"       # MarkPodsNotReady
    nodes = {"node-1": {"metadata": {"name": "node-1"}, "spec": {}, "status": {"conditions": [
        {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown",
         "lastTransitionTime": ts(120)}]}}}
    diagnosis = diagnose(Facts(sts=sts, pods=pods, claims=claims, nodes=nodes,
                               now=NOW.timestamp()))
    view = build_view(sts, pods, claims, served_service("web"), [], NOW, diagnosis=diagnosis)
    text = render_view(view)
    assert column(text, "STATUS", "web-1") == "Running 1/1 not Ready DOWN"
    assert "  web-1 down: node node-1 is not Ready (Unknown for 2m: NodeStatusUnknown)" in \
        text.splitlines()
    assert view["ordinals"][1]["verdict"] == "down"
    # web-0 is on the same node, and still says Ready: it is down too
    assert column(text, "STATUS", "web-0") == "Running 1/1 DOWN"


def test_the_revision_line_is_up_to_date_only_when_every_pod_runs_it():
    sts = served_sts(replicas=2, current=REV_A, update=REV_A)
    pods = [served_pod("web-0"), served_pod("web-1", revision=REV_B, ready=False,
                                            waiting="ErrImagePull")]
    text = render_view(view_of(sts, pods))
    assert "Revision:        %s (web-1 not at it yet)" % REV_A in text.splitlines()
    assert "ROLLOUT STUCK at web-1" in text

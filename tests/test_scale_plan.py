"""The scale/pvc planner as pure functions (kubectl_sts/core/scale.py): plain API dicts in, plans out.

Covered: both retention policies, spec.ordinals.start, two claim templates, claims that are
missing or unbound, PV reclaim policies, every risk (unready, PDB, --min-replicas, zero, a
rollout in progress), scale-up reattachment, and the pvc listing / prune selection."""

import datetime
from functools import partial

import pytest

from kubectl_sts.core.pvc import claims_of, list_claims, prunable
from kubectl_sts.core.scale import plan_scale, scale_progress
from kubectl_sts.printers.pvc import render_claims
from kubectl_sts.printers.scale import render_claims_report, render_plan

import builders

NOW = datetime.datetime(2024, 5, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)


def ts(seconds_ago):
    t = NOW - datetime.timedelta(seconds=seconds_ago)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


sts = partial(builders.statefulset, replicas=5, namespace="ns1", resource_version="42",
              service=None, image="nginx", grace=None, claim_size=None, access_modes=None,
              current="web-aaa")
DELETE_WHEN_SCALED = {"whenScaled": "Delete", "whenDeleted": "Retain"}
pod = partial(builders.pod, claims=(), ready=True)
claim = partial(builders.claim, uid="uid-{name}", resource_version="7", created=ts(3600),
                access_modes=None, storage_class="standard", volume=True, phase="Bound",
                capacity="1024Mi")


def world(name="web", ordinals=range(5), templates=("data",), unready=(), policies=None):
    """Pods, bound claims and their PVs for the given ordinals."""
    pods, claims, pvs = [], [], {}
    for o in ordinals:
        names = ["%s-%s-%d" % (t, name, o) for t in templates]
        pods.append(pod("%s-%d" % (name, o), ready=o not in unready, claims=names))
        for n in names:
            claims.append(claim(n))
            p = builders.volume("pv-" + n, policy=(policies or {}).get(n, "Delete"))
            pvs[p["metadata"]["name"]] = p
    return pods, claims, pvs


def plan(s, pods, claims, pvs, replicas, pdbs=(), min_replicas=None):
    return plan_scale(s, pods, claims, pvs, list(pdbs), replicas, NOW, min_replicas)


def by_name(p):
    return {c["name"]: c for c in p["claims"]}


# -- scale-down --------------------------------------------------------------------------------

def test_scale_down_retain_keeps_every_leaving_claim():
    s = sts()
    pods, claims, pvs = world()
    p = plan(s, pods, claims, pvs, 2)
    assert (p["from"], p["to"], p["direction"]) == (5, 2, "down")
    assert p["resourceVersion"] == "42"
    assert [x["pod"] for x in p["podsLeaving"]] == ["web-4", "web-3", "web-2"]
    assert all(x["exists"] and x["ready"] for x in p["podsLeaving"])
    assert p["podsComing"] == []
    assert p["retention"] == {"whenScaled": "Retain", "whenDeleted": "Retain"}
    assert [c["name"] for c in p["claims"]] == ["data-web-4", "data-web-3", "data-web-2"]
    for c in p["claims"]:
        assert c["action"] == "keep" and c["dataLoss"] is False
        assert c["uid"] == "uid-" + c["name"]
        assert c["capacity"] == "1Gi" and c["reclaimPolicy"] == "Delete"
    # claims of the remaining ordinals are not part of the plan (never touched)
    assert not {"data-web-0", "data-web-1"} & set(by_name(p))
    assert p["risks"] == [] and p["refused"] == []
    text = render_plan(p)
    assert "ns1/web: 5 -> 2 replicas" in text
    assert "Pods removed, in this order: web-4, web-3, web-2" in text
    assert "whenScaled=Retain, whenDeleted=Retain" in text
    assert text.count("KEEP") == 3 and "DELETE" not in text


def test_scale_down_delete_policy_carries_each_pv_reclaim_policy():
    s = sts(retention=DELETE_WHEN_SCALED)
    pods, claims, pvs = world(policies={"data-web-3": "Retain"})
    p = plan(s, pods, claims, pvs, 2)
    assert p["retention"]["whenScaled"] == "Delete"
    c = by_name(p)
    assert set(c) == {"data-web-4", "data-web-3", "data-web-2"}
    assert all(x["action"] == "delete" for x in c.values())
    assert c["data-web-4"]["reclaimPolicy"] == "Delete" and c["data-web-4"]["dataLoss"] is True
    assert c["data-web-3"]["reclaimPolicy"] == "Retain" and c["data-web-3"]["dataLoss"] is False
    assert c["data-web-2"]["volume"] == "pv-data-web-2"
    text = render_plan(p)
    assert text.count("DELETE") == 3
    assert "data gone for good (PV reclaimPolicy Delete)" in text
    assert "PV kept (reclaimPolicy Retain)" in text


def test_pvs_unreadable_means_reclaim_unknown_and_counted_as_data_loss():
    s = sts(retention=DELETE_WHEN_SCALED)
    pods, claims, _ = world()
    p = plan(s, pods, claims, None, 4)
    (c,) = p["claims"]
    assert c["name"] == "data-web-4"
    assert c["reclaimPolicy"] == "unknown" and c["dataLoss"] is True


def test_start_ordinal_shifts_the_range():
    s = sts(replicas=5, start=10)
    pods, claims, pvs = world(ordinals=range(10, 15))
    p = plan(s, pods, claims, pvs, 2)
    assert p["ordinalsStart"] == 10
    assert [x["pod"] for x in p["podsLeaving"]] == ["web-14", "web-13", "web-12"]
    assert [c["name"] for c in p["claims"]] == ["data-web-14", "data-web-13", "data-web-12"]
    assert "Pods removed, in this order: web-14, web-13, web-12" in render_plan(p)


def test_start_ordinal_claims_below_start_are_not_leaving():
    # a claim of ordinal 1 (below the range 3..7) is not one the scale-down touches
    s = sts(replicas=5, start=3)
    pods, claims, pvs = world(ordinals=range(3, 8))
    claims.append(claim("data-web-1"))
    p = plan(s, pods, claims, pvs, 3)
    assert [x["ordinal"] for x in p["podsLeaving"]] == [7, 6]
    assert [c["name"] for c in p["claims"]] == ["data-web-7", "data-web-6"]


def test_two_templates_each_ordinal_has_both_claims():
    s = sts(claims=("data", "logs"), retention=DELETE_WHEN_SCALED)
    pods, claims, pvs = world(templates=("data", "logs"))
    p = plan(s, pods, claims, pvs, 3)
    assert [c["name"] for c in p["claims"]] == ["data-web-4", "logs-web-4",
                                                "data-web-3", "logs-web-3"]
    assert {c["template"] for c in p["claims"]} == {"data", "logs"}
    assert all(c["action"] == "delete" for c in p["claims"])


def test_missing_pod_and_missing_claim_on_the_way_down():
    s = sts(claims=("data", "logs"))
    pods, claims, pvs = world(templates=("data", "logs"))
    pods = [x for x in pods if x["metadata"]["name"] != "web-3"]
    claims = [c for c in claims if c["metadata"]["name"] != "logs-web-4"]
    p = plan(s, pods, claims, pvs, 3)
    leaving = {x["pod"]: x for x in p["podsLeaving"]}
    assert leaving["web-3"]["exists"] is False and leaving["web-3"]["ready"] is False
    assert leaving["web-4"]["exists"] is True
    assert [c["name"] for c in p["claims"]] == ["data-web-4", "data-web-3", "logs-web-3"]
    assert "web-3 (missing)" in render_plan(p)


def test_unbound_claim_has_no_pv_to_report():
    s = sts(retention=DELETE_WHEN_SCALED)
    pods, claims, pvs = world(ordinals=range(4))
    claims.append(claim("data-web-4", phase="Pending"))
    p = plan(s, pods, claims, pvs, 4)
    (c,) = p["claims"]
    assert c["phase"] == "Pending" and c["volume"] == ""
    assert c["reclaimPolicy"] is None
    assert c["capacity"] == "1Gi"          # from the request when there is no status
    assert c["action"] == "delete"
    # no "PV reclaimPolicy None" in the table
    assert "None" not in render_plan(p)
    assert "unbound: no PV, no data" in render_plan(p)
    kept = plan(sts(), pods, claims, pvs, 4)
    assert kept["claims"][0]["action"] == "keep"
    assert "None" not in render_plan(kept) and "unbound: no PV" in render_plan(kept)


def test_terminating_claim_shows_as_terminating():
    s = sts()
    pods, claims, pvs = world()
    claims[-1]["metadata"]["deletionTimestamp"] = ts(1)
    p = plan(s, pods, claims, pvs, 4)
    assert by_name(p)["data-web-4"]["phase"] == "Terminating"


def test_foreign_claims_are_ignored():
    s = sts()
    pods, claims, pvs = world(ordinals=range(2))
    others = [claim(n) for n in ("data-web-04", "data-webx-3", "data-web-", "other-web-3",
                                 "data-web-3-x", "data-we-3")]
    owned = claims_of(s, claims + others)
    assert sorted(owned) == [("data", 0), ("data", 1)]
    p = plan(s, pods, claims + others, pvs, 1)
    assert [c["name"] for c in p["claims"]] == ["data-web-1"]


def test_no_change_means_nothing_to_do():
    s = sts()
    pods, claims, pvs = world()
    p = plan(s, pods, claims, pvs, 5)
    assert p["direction"] == "none"
    assert p["podsLeaving"] == [] and p["podsComing"] == [] and p["claims"] == []
    assert "Nothing to do: it already has 5 replicas." in render_plan(p)


def test_scale_to_zero_is_a_risk_but_not_refused():
    s = sts(replicas=2)
    pods, claims, pvs = world(ordinals=range(2))
    p = plan(s, pods, claims, pvs, 0)
    assert [x["pod"] for x in p["podsLeaving"]] == ["web-1", "web-0"]
    kinds = [r["kind"] for r in p["risks"]]
    assert kinds == ["zero"] and p["refused"] == []


# -- scale-up ----------------------------------------------------------------------------------

@pytest.mark.parametrize("when_scaled", ["Retain", "Delete"])
def test_scale_up_reattaches_existing_claims_with_their_age(when_scaled):
    s = sts(replicas=2, start=1, claims=("data", "logs"),
            retention={"whenScaled": when_scaled, "whenDeleted": "Retain"})
    pods, claims, pvs = world(ordinals=range(1, 3), templates=("data", "logs"))
    claims.append(claim("data-web-3", created=ts(2 * 86400)))
    claims.append(claim("logs-web-3", phase="Pending", created=ts(300)))
    p = plan(s, pods, claims, pvs, 4)
    assert p["direction"] == "up"
    assert p["podsLeaving"] == []
    assert [x["pod"] for x in p["podsComing"]] == ["web-3", "web-4"]
    c = by_name(p)
    assert c["data-web-3"]["action"] == "reattach" and c["data-web-3"]["age"] == "2d"
    assert c["data-web-3"]["uid"] == "uid-data-web-3"
    assert c["logs-web-3"]["action"] == "reattach" and c["logs-web-3"]["age"] == "5m"
    assert c["data-web-4"]["action"] == "create" and c["logs-web-4"]["action"] == "create"
    assert not any(x["dataLoss"] for x in c.values())
    # claims of the running ordinals are not in the plan
    assert not {"data-web-1", "data-web-2"} & set(c)
    assert p["risks"] == []
    text = render_plan(p)
    assert "Pods created, in this order: web-3, web-4" in text
    assert "REATTACH" in text and "reused with the data it holds (claim created 2d ago)" in text
    assert render_claims_report(p, {}) == [
        "  data-web-3: reattached (the claim created 2d ago, with the data it holds)",
        "  logs-web-3: reattached (the claim created 5m ago, with the data it holds)"]
    assert text.count("CREATE") == 2


# -- risks -------------------------------------------------------------------------------------

def test_unready_remaining_pod_is_a_risk_under_ordered_ready():
    s = sts()
    pods, claims, pvs = world(unready=(1, 4))
    p = plan(s, pods, claims, pvs, 2)
    (risk,) = p["risks"]
    assert risk["kind"] == "unready" and risk["refuses"] is False
    assert risk["pods"] == ["web-1"]            # web-4 is leaving anyway
    assert p["refused"] == []
    assert {x["pod"]: x["ready"] for x in p["podsLeaving"]}["web-4"] is False
    assert "  - web-1 not Ready" in render_plan(p)


def test_missing_remaining_pod_is_unready():
    s = sts(start=5)
    pods, claims, pvs = world(ordinals=(6, 7, 8, 9))
    p = plan(s, pods, claims, pvs, 2)
    assert p["risks"][0]["pods"] == ["web-5"]


def test_unready_is_no_risk_with_parallel_management():
    s = sts(pod_management="Parallel")
    pods, claims, pvs = world(unready=(0,))
    assert plan(s, pods, claims, pvs, 2)["risks"] == []


pdb = partial(builders.pdb, name="web-pdb", allowed=1)


def test_pdb_min_available_above_new_replicas_refuses():
    s = sts()
    pods, claims, pvs = world()
    p = plan(s, pods, claims, pvs, 2, pdbs=[pdb(min_available=3)])
    (risk,) = p["risks"]
    assert risk["kind"] == "pdb" and risk["refuses"] is True and risk["pdb"] == "web-pdb"
    assert p["refused"] == [risk]
    assert "REFUSED: PodDisruptionBudget web-pdb requires minAvailable 3" in render_plan(p)


@pytest.mark.parametrize("budget", [{"min_available": 2}, {"min_available": "50%"},
                                    {"min_available": "100%"}, {"max_unavailable": 1},
                                    {"max_unavailable": "10%"}])
def test_pdb_that_can_be_satisfied_or_is_relative_only_warns(budget):
    s = sts()
    pods, claims, pvs = world()
    p = plan(s, pods, claims, pvs, 2, pdbs=[pdb(**budget)])
    (risk,) = p["risks"]
    assert risk["kind"] == "pdb" and risk["refuses"] is False
    assert p["refused"] == []
    assert "a scale-down does not go through it" in risk["message"]


def test_pdb_selecting_other_pods_or_scale_up_is_ignored():
    s = sts(replicas=3)
    pods, claims, pvs = world(ordinals=range(3))
    other = pdb(min_available=5, labels={"app": "db"})
    assert plan(s, pods, claims, pvs, 1, pdbs=[other])["risks"] == []
    assert plan(s, pods, claims, pvs, 4, pdbs=[pdb(min_available=10)])["risks"] == []


def test_min_replicas_refuses_below_and_allows_equal():
    s = sts()
    pods, claims, pvs = world()
    p = plan(s, pods, claims, pvs, 2, min_replicas=3)
    assert [r["kind"] for r in p["refused"]] == ["min-replicas"]
    assert "below --min-replicas 3" in p["refused"][0]["message"]
    assert plan(s, pods, claims, pvs, 3, min_replicas=3)["risks"] == []
    # --min-replicas is about going down only
    s2 = sts(replicas=1)
    pods2, claims2, pvs2 = world(ordinals=range(1))
    assert plan(s2, pods2, claims2, pvs2, 2, min_replicas=3)["refused"] == []


def test_rollout_in_progress_is_a_risk():
    s = sts(partition=2, current="web-aaa", update="web-bbb")
    pods, claims, pvs = world()
    p = plan(s, pods, claims, pvs, 4)
    (risk,) = p["risks"]
    assert risk["kind"] == "rollout" and risk["refuses"] is False
    assert "partition 2" in risk["message"] and "ordinals 2..3" in risk["message"]
    p = plan(s, pods, claims, pvs, 2)
    assert "no ordinal will run the update revision web-bbb" in p["risks"][0]["message"]
    # the same on the way up
    assert [r["kind"] for r in plan(s, pods, claims, pvs, 6)["risks"]] == ["rollout"]


def test_rollout_risk_honours_start_ordinal():
    s = sts(partition=1, start=10, current="web-aaa", update="web-bbb")
    pods, claims, pvs = world(ordinals=range(10, 15))
    (risk,) = plan(s, pods, claims, pvs, 3)["risks"]
    assert "ordinals 11..12" in risk["message"]


def test_no_rollout_risk_when_revisions_agree_or_partition_zero():
    pods, claims, pvs = world()
    assert plan(sts(partition=2), pods, claims, pvs, 3)["risks"] == []
    assert plan(sts(partition=0, update="web-bbb"), pods, claims, pvs, 3)["risks"] == []


def test_several_risks_at_once():
    s = sts(partition=1, update="web-bbb")
    pods, claims, pvs = world(unready=(0,))
    p = plan(s, pods, claims, pvs, 0, pdbs=[pdb(min_available=1)], min_replicas=1)
    kinds = [r["kind"] for r in p["risks"]]
    # to 0 no ordinal remains, so the unready web-0 is no "remaining" risk
    assert sorted(kinds) == ["min-replicas", "pdb", "rollout", "zero"]
    assert {r["kind"] for r in p["refused"]} == {"min-replicas", "pdb"}


# -- pvc listing and pruning -------------------------------------------------------------------

def test_list_claims_places_claims_and_marks_mounts():
    s = sts(replicas=2, start=1, claims=("data", "logs"))
    pods, claims, pvs = world(ordinals=range(1, 3), templates=("data", "logs"))
    claims += [claim("data-web-3"), claim("logs-web-3", phase="Pending"),
               claim("data-web-0", deleting=ts(1))]
    pvs["pv-data-web-3"] = builders.volume("pv-data-web-3", policy="Retain")
    # a leaving pod still mounts its claim while it terminates
    pods.append(pod("web-4", claims=["data-web-4"]))
    claims.append(claim("data-web-4"))
    entries = list_claims(s, claims, pods, pvs, NOW)
    e = {x["name"]: x for x in entries}
    assert [x["name"] for x in entries] == ["data-web-0", "data-web-1", "logs-web-1",
                                            "data-web-2", "logs-web-2", "data-web-3",
                                            "logs-web-3", "data-web-4"]
    assert e["data-web-1"]["inRange"] and not e["data-web-1"]["orphaned"]
    assert e["data-web-1"]["mountedBy"] == "web-1" and e["logs-web-2"]["mountedBy"] == "web-2"
    assert e["data-web-0"]["orphaned"] and e["data-web-0"]["phase"] == "Terminating"
    assert e["data-web-3"]["orphaned"] and e["data-web-3"]["bound"]
    assert e["data-web-3"]["reclaimPolicy"] == "Retain" and e["data-web-3"]["mountedBy"] is None
    assert e["logs-web-3"]["orphaned"] and not e["logs-web-3"]["bound"]
    assert e["data-web-4"]["orphaned"] and e["data-web-4"]["mountedBy"] == "web-4"

    victims = prunable(entries)
    assert [v["name"] for v in victims] == ["data-web-3", "logs-web-3"]
    assert [v["name"] for v in prunable(entries, ordinal=3)] == ["data-web-3", "logs-web-3"]
    assert prunable(entries, ordinal=4) == []          # mounted
    assert prunable(entries, ordinal=0) == []          # already terminating
    assert prunable(entries, ordinal=1) == []          # in range

    lines = {line.split()[0]: line for line in render_claims(entries).splitlines()}
    assert lines["PVC"].split() == ["PVC", "ORDINAL", "PLACE", "STATUS", "CAPACITY",
                                    "STORAGECLASS", "RECLAIM", "MOUNTED", "BY", "AGE"]
    assert "in range" in lines["data-web-1"] and "web-1" in lines["data-web-1"]
    assert "ORPHANED" in lines["data-web-3"] and "unbound" not in lines["data-web-3"]
    assert "ORPHANED, unbound" in lines["logs-web-3"]
    assert "ORPHANED" in lines["data-web-4"] and "web-4" in lines["data-web-4"]


def test_prunable_never_returns_in_range_claims():
    s = sts(replicas=5)
    pods, claims, pvs = world()
    entries = list_claims(s, claims, [], pvs, NOW)      # even with no pods mounting them
    assert all(e["inRange"] for e in entries)
    assert prunable(entries) == []


# -- the report and the progress of the wait ------------------------------------------------

def test_the_claims_report_names_the_plugins_prune_for_a_retained_claim():
    s = sts(retention=DELETE_WHEN_SCALED)
    pods, claims, pvs = world()
    deleting = plan(s, pods, claims, pvs, 3)
    kept = plan(sts(), pods, claims, pvs, 3)
    live = {c["metadata"]["name"]: c for c in claims if c["metadata"]["name"] != "data-web-4"}
    assert render_claims_report(deleting, live) == [
        "  data-web-4: deleted", "  data-web-3: still terminating (deleted after its pod is "
        "gone)"]
    assert render_claims_report(kept, live) == [
        "  data-web-4: GONE although the plan kept it (deleted by someone else?)",
        "  data-web-3: retained (1Gi); remove it with: kubectl sts pvc web --prune "
        "--ordinal 3 -n ns1"]


P = "waiting: "


@pytest.mark.parametrize("case, policy, replicas, ordinals, unready, line", [
    # scale 1 -> 3: nothing created yet
    ("ordered, none yet", "OrderedReady", 3, [0], [], P + "web-1 not created yet"),
    ("parallel, none yet", "Parallel", 3, [0], [],
     P + "web-1 not created yet; web-2 not created yet"),
    # web-1 exists and starts: under OrderedReady web-2 comes only after it
    ("ordered, starting", "OrderedReady", 3, [0, 1], [1],
     P + "web-1 not Ready (Running); web-2 next, once web-1 is Ready"),
    ("parallel, starting", "Parallel", 3, [0, 1], [1],
     P + "web-1 not Ready (Running); web-2 not created yet"),
    ("ordered, two missing", "OrderedReady", 4, [0, 1], [1],
     P + "web-1 not Ready (Running); web-2 next, once web-1 is Ready"),
    # a hole: web-1 gone, web-2 still there
    ("ordered, a hole", "OrderedReady", 3, [0, 2], [2],
     P + "web-1 not created yet; web-2 not Ready (Running)"),
    # scale-down: the pods that go, highest first
    ("down", "OrderedReady", 1, [0, 1, 2], [], P + "web-2 leaving; web-1 leaving"),
    ("done", "OrderedReady", 2, [0, 1], [], P),
])
def test_progress_names_only_pods_that_exist_or_come_next(case, policy, replicas, ordinals,
                                                         unready, line):
    s = sts(replicas=1, pod_management=policy)
    the_plan = plan(s, [], [], {}, replicas)
    pods = [pod("web-%d" % o, ready=o not in unready, phase="Running") for o in ordinals]
    progress = scale_progress(the_plan, pods)
    assert progress["line"] == line, case
    assert progress["done"] == (line == P)

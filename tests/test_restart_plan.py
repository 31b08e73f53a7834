"""The `restart` core (kubectl_sts/core/restart.py), table-driven: no server."""

from functools import partial

import pytest

from kubectl_sts.core.restart import (PlanError, comes_back_at, never_allows, parse_ordinals, plan,
                                      settled)

import builders


sts = partial(builders.statefulset, replicas=4, namespace="default", strategy="RollingUpdate",
              current="web-1", update="web-2", service=None, claims=None, template=None)
pod = partial(builders.pod, revision="web-1", labels={"app": "web"}, uid="u{ordinal}", ready=True)
pdb = partial(builders.pdb, allowed=1, healthy=4, desired=3, expected=4)
PODS = [pod(o) for o in range(4)]


@pytest.mark.parametrize("text, expected", [
    (None, None), ("3,1", [3, 1]), (" 2 , 0 ", [2, 0]), ("1,1,0", [1, 0])])
def test_parse_ordinals(text, expected):
    assert parse_ordinals(text) == expected


@pytest.mark.parametrize("text", ["", "a", "1,-2", "1;2", "1,,2"])
def test_bad_ordinals(text):
    with pytest.raises(PlanError):
        parse_ordinals(text)


@pytest.mark.parametrize("the_sts, ordinal, revision", [
    (sts(partition=2), 3, "web-2"), (sts(partition=2), 2, "web-2"),
    (sts(partition=2), 1, "web-1"), (sts(), 0, "web-2"),
    (sts(strategy="OnDelete"), 0, "web-2"), (sts(partition=2, start=5), 6, "web-1"),
    (sts(partition=2, start=5), 7, "web-2"),
])
def test_the_revision_a_pod_comes_back_at(the_sts, ordinal, revision):
    assert comes_back_at(the_sts, ordinal) == revision


@pytest.mark.parametrize("ordinals, order, expected", [
    (None, "desc", [3, 2, 1, 0]), (None, "asc", [0, 1, 2, 3]), ([1, 3], "desc", [1, 3])])
def test_order(ordinals, order, expected):
    assert [r["ordinal"] for r in plan(sts(), PODS, [], ordinals, order)["pods"]] == expected


def test_outside_the_range_is_a_usage_error():
    with pytest.raises(PlanError, match=r"ordinal 7 is outside the range of web \(0\.\.3\)"):
        plan(sts(), PODS, [], [7])


def test_rows_name_budgets_and_revision_changes():
    result = plan(sts(partition=2), PODS, [pdb(), pdb("other", selector={"matchLabels": {
        "app": "db"}})])
    rows = {r["pod"]: r for r in result["pods"]}
    assert rows["web-3"]["revisionChanges"] and not rows["web-1"]["revisionChanges"]
    assert rows["web-0"]["budgets"] == ["web"]
    assert [b["name"] for b in result["budgets"]] == ["web"]
    assert result["refusals"] == []


@pytest.mark.parametrize("budget, never", [
    (pdb(allowed=0, healthy=4, desired=4, expected=4, maxUnavailable=0), True),
    (pdb(allowed=0, healthy=3, desired=3, expected=4, maxUnavailable=1), False),  # for now
    (pdb(allowed=1), False),
])
def test_a_budget_that_never_allows(budget, never):
    assert never_allows(budget) is never
    refusals = plan(sts(), PODS, [budget])["refusals"]
    assert bool(refusals) is never


def test_a_missing_pod_is_refused():
    assert plan(sts(), PODS[:3], [])["refusals"] == ["pod web-3 does not exist"]


@pytest.mark.parametrize("the_pod, since, now, state", [
    (None, None, 0, "waiting"),
    (pod(0, uid="old"), None, 0, "waiting"),            # not evicted yet
    (pod(0, uid="new", ready=False), None, 0, "waiting"),
    (pod(0, uid="new"), 0.0, 0.5, "waiting"),           # settling
    (pod(0, uid="new"), 0.0, 1.0, "done"),
    (dict(pod(0, uid="new"), metadata={"name": "web-0", "uid": "new",
                                       "deletionTimestamp": "2026-01-01T00:00:00Z"}),
     0.0, 1.0, "waiting"),                            # the new one is already going
])
def test_settled(the_pod, since, now, state):
    assert settled("old", the_pod, since, now, 1.0, 0)["state"] == state


def test_a_restart_while_settling_fails():
    crashed = pod(0, uid="new")
    crashed["status"]["containerStatuses"] = [{"name": "app", "restartCount": 1, "ready": True,
                                               "state": {"running": {}}}]
    result = settled("old", crashed, 0.0, 0.5, 1.0, 0)
    assert result["state"] == "failed" and result["failure"]["reason"] == "Restarted"

"""Pure tests of the rollout planner (kubectl_sts/core/rollout/) over plain API-shaped dicts.

No cluster and no clock: every object is built here, and `now` is a number."""

import json
from typing import Any, Dict

import pytest

from kubectl_sts.core.rollout import (STATE_ANNOTATION, change_template, describe_plan,
                                      evaluate_step, next_partition, ondelete_next,
                                      ordinals_between, plan_partitions, pod_failure,
                                      revision_template, rollout_state, saved_target,
                                      template_diff)
from kubectl_sts.printers.rollout import render_ordinals, render_plan

from builders import REV_A, REV_B, REV_C, pods_at, rollout_pod, rollout_set  # noqa: F401


# -- rollout_state -------------------------------------------------------------------------------

def test_state_of_a_rolling_update_set():
    state = rollout_state(rollout_set(replicas=5, partition=3, start=10, max_unavailable=2,
                                      pod_management="Parallel", min_ready=7))
    assert state["name"] == "web" and state["namespace"] == "ns"
    assert state["replicas"] == 5 and state["start"] == 10
    assert state["strategy"] == "RollingUpdate"
    assert state["partition"] == 3 and state["effectivePartition"] == 3
    assert state["maxUnavailable"] == 2
    assert state["podManagementPolicy"] == "Parallel"
    assert state["minReadySeconds"] == 7
    assert state["currentRevision"] == REV_A and state["updateRevision"] == REV_B
    assert state["observed"] is True
    assert state["resourceVersion"] == "42"
    assert state["saved"] is None


def test_state_defaults():
    sts = rollout_set(strategy=None)
    del sts["spec"]["replicas"]
    sts["status"] = {}
    state = rollout_state(sts)
    assert state["replicas"] == 1 and state["start"] == 0
    assert state["strategy"] == "RollingUpdate"
    assert state["partition"] == 0 and state["effectivePartition"] == 0
    assert state["maxUnavailable"] is None
    assert state["podManagementPolicy"] == "OrderedReady"
    assert state["minReadySeconds"] == 0
    assert state["currentRevision"] == "" and state["updateRevision"] == ""
    assert state["observed"] is False          # generation 2, nothing observed


def test_state_partition_above_replicas_is_capped_in_the_effective_partition():
    state = rollout_state(rollout_set(replicas=3, partition=8))
    assert state["partition"] == 8
    assert state["effectivePartition"] == 3


def test_state_of_an_ondelete_set_has_no_partition():
    state = rollout_state(rollout_set(strategy="OnDelete"))
    assert state["strategy"] == "OnDelete"
    assert state["partition"] is None and state["effectivePartition"] is None


def test_state_not_observed_until_the_controller_catches_up():
    assert rollout_state(rollout_set(generation=4, observed=3))["observed"] is False
    assert rollout_state(rollout_set(generation=4, observed=4))["observed"] is True


def test_saved_target_round_trip_and_garbage():
    data = {"target": 0, "updateRevision": REV_B, "undo": False}
    sts = rollout_set(annotations={STATE_ANNOTATION: json.dumps(data)})
    assert saved_target(sts) == data
    assert rollout_state(sts)["saved"] == data
    assert saved_target(rollout_set(annotations={STATE_ANNOTATION: "{not json"})) is None
    assert saved_target(rollout_set(annotations={STATE_ANNOTATION: "[1, 2]"})) is None
    assert saved_target(rollout_set(annotations={STATE_ANNOTATION: ""})) is None
    assert saved_target(rollout_set()) is None


# -- next_partition / plan_partitions -----------------------------------------------------------

@pytest.mark.parametrize("partition, replicas, step, expected", [
    (5, 5, 1, 4), (1, 5, 1, 0), (0, 5, 1, 0), (5, 5, 2, 3), (1, 5, 3, 0),
    (9, 5, 1, 4),            # a partition above replicas counts as the replica count
    (9, 5, 10, 0), (0, 0, 1, 0),
])
def test_next_partition(partition, replicas, step, expected):
    assert next_partition(partition, replicas, step) == expected


@pytest.mark.parametrize("step", [0, -1])
def test_next_partition_refuses_an_empty_step(step):
    with pytest.raises(ValueError):
        next_partition(5, 5, step)


@pytest.mark.parametrize("partition, replicas, target, step, expected", [
    (5, 5, 0, 1, [4, 3, 2, 1, 0]),
    (5, 5, 2, 1, [4, 3, 2]),
    (5, 5, 0, 2, [3, 1, 0]),                 # the last step is shorter, never below target
    (5, 5, 1, 3, [2, 1]),
    (5, 5, 0, 5, [0]),
    (5, 5, 0, 99, [0]),
    (3, 5, 0, 1, [2, 1, 0]),                 # mid-rollout
    (8, 5, 0, 1, [4, 3, 2, 1, 0]),           # partition above replicas
    (8, 5, 5, 1, []),                        # already effectively at the target
    (2, 5, 2, 1, []),                        # at the target: nothing to write
    (0, 5, 0, 1, []),
    (4, 5, 5, 1, []),                        # a target above the partition plans nothing
    (0, 0, 0, 1, []),
])
def test_plan_partitions(partition, replicas, target, step, expected):
    assert plan_partitions(partition, replicas, target, step) == expected


@pytest.mark.parametrize("target", [-1, 6])
def test_plan_partitions_rejects_a_target_outside_0_to_replicas(target):
    with pytest.raises(ValueError, match="between 0 and the replica count"):
        plan_partitions(5, 5, target)


def test_plan_ends_exactly_at_the_target_for_every_combination():
    for replicas in range(0, 7):
        for partition in range(0, 9):
            for target in range(0, replicas + 1):
                for step in range(1, 5):
                    values = plan_partitions(partition, replicas, target, step)
                    effective = min(partition, replicas)
                    if effective <= target:
                        assert values == []
                        continue
                    assert values[-1] == target
                    steps = [effective] + values
                    assert all(0 < a - b <= step for a, b in zip(steps, steps[1:]))
                    assert len(values) == -(-(effective - target) // step)


# -- ordinals_between / describe_plan -----------------------------------------------------------

@pytest.mark.parametrize("start, new, old, replicas, expected", [
    (0, 4, 5, 5, [4]),
    (0, 0, 5, 5, [4, 3, 2, 1, 0]),           # highest first: the controller's order
    (0, 2, 4, 5, [3, 2]),
    (0, 4, 9, 5, [4]),                       # old partition above replicas
    (0, 5, 9, 5, []),                        # nothing moves
    (0, 3, 3, 5, []),
    (10, 4, 5, 5, [14]),                     # start ordinals
    (10, 0, 5, 5, [14, 13, 12, 11, 10]),
    (3, 1, 2, 2, [4]),
])
def test_ordinals_between(start, new, old, replicas, expected):
    assert ordinals_between(start, new, old, replicas) == expected


def test_describe_plan_one_ordinal_per_step_in_reverse_order():
    steps = describe_plan(rollout_state(rollout_set(replicas=5, partition=5)))
    assert steps == [{"partition": 4, "ordinals": [4]}, {"partition": 3, "ordinals": [3]},
                     {"partition": 2, "ordinals": [2]}, {"partition": 1, "ordinals": [1]},
                     {"partition": 0, "ordinals": [0]}]


def test_describe_plan_with_start_ordinals():
    steps = describe_plan(rollout_state(rollout_set(replicas=3, partition=3, start=5)))
    assert [s["ordinals"] for s in steps] == [[7], [6], [5]]
    assert [s["partition"] for s in steps] == [2, 1, 0]


def test_describe_plan_partition_above_replicas_starts_at_the_highest_ordinal():
    steps = describe_plan(rollout_state(rollout_set(replicas=3, partition=10)))
    assert steps == [{"partition": 2, "ordinals": [2]}, {"partition": 1, "ordinals": [1]},
                     {"partition": 0, "ordinals": [0]}]


def test_describe_plan_with_bigger_steps_and_a_target():
    state = rollout_state(rollout_set(replicas=6, partition=6))
    assert describe_plan(state, step=2) == [{"partition": 4, "ordinals": [5, 4]},
                                            {"partition": 2, "ordinals": [3, 2]},
                                            {"partition": 0, "ordinals": [1, 0]}]
    assert describe_plan(state, step=4, target=1) == [{"partition": 2, "ordinals": [5, 4, 3, 2]},
                                                      {"partition": 1, "ordinals": [1]}]


def test_describe_plan_mid_rollout_covers_only_the_ordinals_left():
    steps = describe_plan(rollout_state(rollout_set(replicas=5, partition=2)))
    assert steps == [{"partition": 1, "ordinals": [1]}, {"partition": 0, "ordinals": [0]}]
    assert describe_plan(rollout_state(rollout_set(replicas=5, partition=0))) == []


@pytest.mark.parametrize("kwargs", [
    {"max_unavailable": 2}, {"max_unavailable": "50%"}, {"pod_management": "Parallel"},
    {"max_unavailable": 3, "pod_management": "Parallel"},
])
def test_plan_is_the_same_under_max_unavailable_and_parallel(kwargs):
    """The partition decides which ordinals may update; maxUnavailable and Parallel only
    decide how many the controller updates at once inside it, so the plan is the same."""
    plain = describe_plan(rollout_state(rollout_set(replicas=5, partition=5)))
    assert describe_plan(rollout_state(rollout_set(replicas=5, partition=5, **kwargs))) == plain
    assert describe_plan(rollout_state(rollout_set(replicas=5, partition=5, **kwargs)), step=3) == \
        [{"partition": 2, "ordinals": [4, 3, 2]}, {"partition": 0, "ordinals": [1, 0]}]


def test_describe_plan_is_empty_under_ondelete():
    assert describe_plan(rollout_state(rollout_set(strategy="OnDelete"))) == []


# -- pod_failure ------------------------------------------------------------------------------

@pytest.mark.parametrize("reason", ["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull",
                                    "InvalidImageName", "CreateContainerConfigError"])
def test_pod_failure_on_failing_waiting_reasons(reason):
    failure = pod_failure(rollout_pod(0, REV_A, ready=False, waiting=reason))
    assert failure == {"container": "app", "reason": reason, "message": "why: " + reason}


@pytest.mark.parametrize("reason", ["ContainerCreating", "PodInitializing"])
def test_starting_is_not_a_failure(reason):
    assert pod_failure(rollout_pod(0, REV_A, ready=False, waiting=reason)) is None


def test_failed_phase_is_a_failure():
    pod = rollout_pod(0, REV_A, ready=False, phase="Failed")
    pod["status"]["reason"] = "Evicted"
    failure = pod_failure(pod)
    assert failure is not None and failure["reason"] == "Evicted"
    del pod["status"]["reason"]
    failure = pod_failure(pod)
    assert failure is not None and failure["reason"] == "Failed"


def test_restarts_rising_over_the_baseline_is_a_failure():
    pod = rollout_pod(0, REV_A, restarts=3)
    assert pod_failure(pod) is None
    assert pod_failure(pod, baseline_restarts=3) is None
    failure = pod_failure(pod, baseline_restarts=2)
    assert failure is not None and failure["reason"] == "Restarted"
    assert "from 2 to 3" in failure["message"]


def test_a_pod_without_status_is_not_failed():
    assert pod_failure({"metadata": {"name": "web-0"}}) is None


# -- evaluate_step (the health gate) -------------------------------------------------------------

def ready_map(pods, since=0.0):
    return {p["metadata"]["uid"]: since for p in pods}


def test_step_done_when_every_ordinal_at_or_above_the_partition_is_updated_and_ready():
    sts, pods = rollout_set(replicas=5, partition=3), pods_at(5, 3)
    result = evaluate_step(sts, pods, 3, ready_map(pods), now=10, settle=0)
    assert result == {"done": True, "failed": None, "waiting": [], "wake": None}


def test_ordinals_below_the_partition_are_not_judged():
    sts = rollout_set(replicas=5, partition=3)
    pods = pods_at(5, 3)
    pods[0] = rollout_pod(0, REV_A, ready=False, waiting="CrashLoopBackOff")
    result = evaluate_step(sts, pods, 3, ready_map(pods), now=10, settle=0)
    assert result["done"] is True and result["failed"] is None


def test_step_waits_for_a_pod_not_yet_updated():
    sts = rollout_set(replicas=5, partition=3)
    pods = pods_at(5, 4)                        # web-3 still runs the current revision
    result = evaluate_step(sts, pods, 3, ready_map(pods), now=10, settle=0)
    assert not result["done"]
    assert result["waiting"] == [{"ordinal": 3, "pod": "web-3", "why": "not updated yet"}]


@pytest.mark.parametrize("pod, why", [
    (None, "not created yet"),
    (rollout_pod(4, REV_A, deleting=True), "terminating"),
    (rollout_pod(4, REV_B, ready=False), "not Ready"),
    (rollout_pod(4, REV_B, ready=False, waiting="ContainerCreating"), "not Ready"),
])
def test_step_waiting_reasons(pod, why):
    sts = rollout_set(replicas=5, partition=4)
    pods = pods_at(4, 5) + ([pod] if pod else [])
    result = evaluate_step(sts, pods, 4, {}, now=10, settle=0)
    assert not result["done"] and result["failed"] is None
    assert [(w["ordinal"], w["pod"], w["why"]) for w in result["waiting"]] == [(4, "web-4", why)]


def test_step_fails_on_a_crash_looping_updated_pod():
    sts = rollout_set(replicas=5, partition=3)
    pods = pods_at(5, 3)
    pods[3] = rollout_pod(3, REV_B, ready=False, waiting="CrashLoopBackOff", restarts=2)
    result = evaluate_step(sts, pods, 3, ready_map(pods), now=10, settle=0)
    assert not result["done"]
    assert result["failed"] == {"container": "app", "reason": "CrashLoopBackOff",
                                "message": "why: CrashLoopBackOff", "ordinal": 3, "pod": "web-3"}
    assert result["waiting"][0]["why"] == "CrashLoopBackOff"


def test_step_fails_when_an_updated_pod_restarts_while_settling():
    sts = rollout_set(replicas=3, partition=2)
    pods = pods_at(3, 2)
    pods[2] = rollout_pod(2, REV_B, restarts=1)
    uid = pods[2]["metadata"]["uid"]
    result = evaluate_step(sts, pods, 2, {uid: 0.0}, now=1, settle=5, baseline={uid: 0})
    assert result["failed"]["reason"] == "Restarted" and result["failed"]["ordinal"] == 2
    assert evaluate_step(sts, pods, 2, {uid: 0.0}, now=1, settle=5,
                         baseline={uid: 1})["failed"] is None


def test_step_settles_before_done_and_says_when_to_look_again():
    sts = rollout_set(replicas=3, partition=2)
    pods = pods_at(3, 2)
    uid = pods[2]["metadata"]["uid"]
    result = evaluate_step(sts, pods, 2, {uid: 100.0}, now=101.0, settle=5)
    assert not result["done"]
    assert result["waiting"][0]["why"] == "settling (4s left)"
    assert result["wake"] == 105.0
    # first seen Ready just now (not in ready_since yet): the full settle time is left
    result = evaluate_step(sts, pods, 2, {}, now=101.0, settle=5)
    assert result["waiting"][0]["why"] == "settling (5s left)" and result["wake"] == 106.0
    assert evaluate_step(sts, pods, 2, {uid: 100.0}, now=105.0, settle=5)["done"] is True


def test_step_wakes_for_the_earliest_settling_pod():
    sts = rollout_set(replicas=3, partition=0)
    pods = pods_at(3, 0)
    since = {p["metadata"]["uid"]: t for p, t in zip(pods, (3.0, 1.0, 2.0))}
    result = evaluate_step(sts, pods, 0, since, now=3.0, settle=4)
    assert result["wake"] == 5.0 and len(result["waiting"]) == 3


def test_step_waits_until_the_controller_observed_the_spec():
    sts = rollout_set(replicas=3, partition=2, generation=5, observed=4)
    pods = pods_at(3, 2)
    result = evaluate_step(sts, pods, 2, ready_map(pods), now=10, settle=0)
    assert not result["done"]
    assert result["waiting"][0] == {"ordinal": None, "pod": None,
                                    "why": "the controller has not observed the latest spec yet"}


def test_step_with_start_ordinals():
    sts = rollout_set(replicas=3, partition=1, start=5)
    pods = pods_at(3, 1, start=5)
    assert evaluate_step(sts, pods, 1, ready_map(pods), now=1, settle=0)["done"] is True
    pods = pods_at(3, 2, start=5)              # web-6 not updated yet
    result = evaluate_step(sts, pods, 1, ready_map(pods), now=1, settle=0)
    assert [w["pod"] for w in result["waiting"]] == ["web-6"]


def test_step_at_a_partition_above_replicas_judges_no_ordinal():
    sts = rollout_set(replicas=3, partition=7)
    pods = pods_at(3, 3)
    assert evaluate_step(sts, pods, 7, {}, now=1, settle=0)["done"] is True


def test_parallel_step_judges_every_ordinal_it_covers():
    sts = rollout_set(replicas=4, partition=0, pod_management="Parallel", max_unavailable=4)
    pods = pods_at(4, 0, ready=False)
    result = evaluate_step(sts, pods, 0, {}, now=1, settle=0)
    assert [w["ordinal"] for w in result["waiting"]] == [0, 1, 2, 3]
    pods = pods_at(4, 0)
    assert evaluate_step(sts, pods, 0, ready_map(pods), now=1, settle=0)["done"] is True


# -- change_template / revision_template / template_diff ----------------------------------------

TEMPLATE: Dict[str, Any] = {"metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [
                                {"name": "app", "image": "nginx:1.27",
                                 "env": [{"name": "MODE", "valueFrom": {"fieldRef": {"fieldPath": "x"}}}]},
                                {"name": "side", "image": "busybox:1.36"}]}}


def test_change_template_sets_images_without_touching_the_input():
    before = json.dumps(TEMPLATE, sort_keys=True)
    new = change_template(TEMPLATE, images={"app": "nginx:1.28", "side": "busybox:1.37"})
    assert [c["image"] for c in new["spec"]["containers"]] == ["nginx:1.28", "busybox:1.37"]
    assert json.dumps(TEMPLATE, sort_keys=True) == before


def test_change_template_unknown_container():
    with pytest.raises(ValueError, match='unable to find container named "nope" '
                                         r'\(containers: app, side\)'):
        change_template(TEMPLATE, images={"nope": "x:1"})
    with pytest.raises(ValueError, match='"nope"'):
        change_template(TEMPLATE, env=[("A", "1")], container="nope")


def test_change_template_env_on_every_container_or_one():
    new = change_template(TEMPLATE, env=[("MODE", "fast"), ("NEW", "1")])
    app, side = new["spec"]["containers"]
    assert app["env"] == [{"name": "MODE", "value": "fast"}, {"name": "NEW", "value": "1"}]
    assert side["env"] == [{"name": "MODE", "value": "fast"}, {"name": "NEW", "value": "1"}]
    new = change_template(TEMPLATE, env=[("NEW", "1")], container="side")
    assert "env" not in new["spec"]["containers"][0] or \
        new["spec"]["containers"][0]["env"] == TEMPLATE["spec"]["containers"][0]["env"]
    assert new["spec"]["containers"][1]["env"] == [{"name": "NEW", "value": "1"}]


def test_change_template_strategic_merge_patch_merges_containers_by_name():
    patch = {"metadata": {"annotations": {"a": "b"}},
             "spec": {"containers": [{"name": "app", "command": ["sh", "-c", "exit 1"]}]}}
    new = change_template(TEMPLATE, patch=patch)
    assert new["metadata"]["annotations"] == {"a": "b"}
    assert new["metadata"]["labels"] == {"app": "web"}
    app, side = new["spec"]["containers"]
    assert app["command"] == ["sh", "-c", "exit 1"] and app["image"] == "nginx:1.27"
    assert side == TEMPLATE["spec"]["containers"][1]


def test_revision_template_drops_the_patch_directive():
    revision = {"data": {"spec": {"template": dict(TEMPLATE, **{"$patch": "replace"})}}}
    assert revision_template(revision) == TEMPLATE
    assert revision_template({}) == {}


def test_template_diff_shows_the_changed_lines_with_the_revision_names():
    new = change_template(TEMPLATE, images={"app": "nginx:1.28"})
    diff = template_diff(TEMPLATE, new, REV_A, REV_B)
    assert diff[0] == "--- " + REV_A and diff[1] == "+++ " + REV_B
    changed = [line for line in diff[2:] if line[:1] in "+-"]
    assert changed == ["-    image: nginx:1.27", "+    image: nginx:1.28"]
    assert not [line for line in diff if "busybox" in line and line[:1] in "+-"]
    assert template_diff(TEMPLATE, TEMPLATE) == []


# -- ondelete_next ------------------------------------------------------------------------------

def next_name(sts, pods):
    """The name of the pod ondelete_next picks, where it must pick one."""
    chosen = ondelete_next(sts, pods)
    assert chosen is not None
    return chosen["metadata"]["name"]


def test_ondelete_next_is_the_highest_outdated_pod():
    sts = rollout_set(strategy="OnDelete", replicas=4)
    pods = pods_at(4, 4)
    assert next_name(sts, pods) == "web-3"
    pods = pods_at(4, 2)
    assert next_name(sts, pods) == "web-1"
    pods[1] = rollout_pod(1, REV_A, deleting=True)       # already going: the next one
    assert next_name(sts, pods) == "web-0"
    assert ondelete_next(sts, pods_at(4, 0)) is None
    assert ondelete_next(sts, []) is None


def test_ondelete_next_with_start_ordinals():
    sts = rollout_set(strategy="OnDelete", replicas=3, start=7)
    assert next_name(sts, pods_at(3, 3, start=7)) == "web-9"


# -- text ---------------------------------------------------------------------------------------

def test_render_ordinals_marks_the_partition_and_revisions():
    sts = rollout_set(replicas=4, partition=2)
    pods = pods_at(4, 2)
    pods[0] = rollout_pod(0, REV_C)
    del pods[1]
    text = render_ordinals(sts, pods)
    lines = text.splitlines()
    assert lines[0].split() == ["ORDINAL", "POD", "STATUS", "REVISION", "RESTARTS"]
    assert lines[1].split()[:2] == ["0", "web-0"] and lines[1].split()[3] == REV_C.rsplit("-")[1]
    assert lines[2].split() == ["1", "web-1", "Missing", "-", "-"]
    assert lines[3] == "--- partition 2 ---"
    assert lines[4].split()[3] == "updated" and lines[5].split()[3] == "updated"


def test_render_ordinals_without_partition_mark_at_0_and_with_start():
    sts = rollout_set(replicas=2, partition=0, start=3, current=REV_A, update=REV_A)
    lines = render_ordinals(sts, pods_at(2, 2, start=3)).splitlines()
    assert not [line for line in lines if "partition" in line]
    assert [line.split()[1] for line in lines[1:]] == ["web-3", "web-4"]
    assert [line.split()[3] for line in lines[1:]] == ["current", "current"]


def test_render_plan_lists_revisions_steps_and_diff():
    state = rollout_state(rollout_set(replicas=3, partition=3))
    text = render_plan(state, describe_plan(state), ["--- a", "+++ b", "-x", "+y"])
    assert "Current revision: %s" % REV_A in text
    assert "Update revision:  %s" % REV_B in text
    assert "Partition:        3 of 3 replicas (ordinals >= 3 update)" in text
    assert "  partition 2: updates web-2\n  partition 1: updates web-1\n" \
           "  partition 0: updates web-0" in text
    assert "Template change:\n  --- a\n  +++ b\n  -x\n  +y" in text
    assert "Interrupted" not in text


def test_render_plan_nothing_pending():
    state = rollout_state(rollout_set(replicas=3, partition=0, update=REV_A))
    text = render_plan(state, describe_plan(state), [])
    assert "(nothing pending)" in text and "Steps" not in text and "Template" not in text


def test_render_plan_explains_an_interrupted_rollout():
    saved = json.dumps({"target": 0, "updateRevision": REV_B, "undo": False})
    state = rollout_state(rollout_set(replicas=5, partition=3,
                                      annotations={STATE_ANNOTATION: saved}))
    text = render_plan(state, describe_plan(state), [])
    assert "continue with: kubectl sts rollout web --to 0" in text
    done = rollout_state(rollout_set(replicas=5, partition=0,
                                     annotations={STATE_ANNOTATION: saved}))
    assert "Interrupted" not in render_plan(done, [], [])


def test_render_plan_under_ondelete():
    state = rollout_state(rollout_set(strategy="OnDelete"))
    text = render_plan(state, describe_plan(state), [])
    assert "OnDelete: partitions do not apply" in text and "Partition:" not in text

"""Pure tests of rollout's decisions (kubectl_sts/core/rollout/), table-driven in the style of
kubectl's rollout_status_test.go: an object in, the decision out. They include the five wrong
answers issue 13 names (each case says which)."""

import json

import pytest

from kubectl_sts.errors import Conflict, Refused
from kubectl_sts.core.rollout import (STATE_ANNOTATION, annotation, evaluate_step, follow_verdict,
                                      interrupted_target, interruption_advice, new_book,
                                      next_command, restored, rollout_state, staged,
                                      step_line, track, undo_victims, with_partition)
from kubectl_sts.printers.rollout import render_plan
from builders import REV_A, REV_B, REV_C, pods_at, rollout_pod, rollout_set


def saved(target, revision, undo=False):
    return {STATE_ANNOTATION: annotation(target, revision, undo)}


# -- 1. whether the annotation describes the current update revision ---------------------------

@pytest.mark.parametrize("name,sts,expected", [
    ("a run toward 0 stopped at 2", rollout_set(partition=2, annotations=saved(0, REV_B)), 0),
    ("a run toward 1 stopped at 3", rollout_set(partition=3, annotations=saved(1, REV_B)), 1),
    ("wrong answer 1: a finished rollout, then a new change staged",
     rollout_set(partition=5, annotations=saved(0, REV_A)), None),
    ("the run reached its target", rollout_set(partition=0, annotations=saved(0, REV_B)), None),
    ("hold: no target", rollout_set(partition=5, annotations=saved(None, REV_B)), None),
    ("no annotation", rollout_set(partition=2), None),
    ("garbage annotation", rollout_set(partition=2, annotations={STATE_ANNOTATION: "{"}), None),
    ("a boolean is no target", rollout_set(partition=2, annotations={
        STATE_ANNOTATION: json.dumps({"target": True, "updateRevision": REV_B})}), None),
    ("OnDelete", rollout_set(strategy="OnDelete", annotations=saved(0, REV_B)), None),
    ("not observed yet: no update revision", rollout_set(partition=2, update="",
                                                         annotations=saved(0, "")), None),
])
def test_interrupted_target(name, sts, expected):
    assert interrupted_target(rollout_state(sts)) == expected, name


def test_the_plan_after_a_finished_rollout_and_a_new_stage_is_not_interrupted():
    """Wrong answer 1: the plan offered `--to 0` for an unreviewed change."""
    state = rollout_state(rollout_set(partition=5, annotations=saved(0, REV_A)))
    text = render_plan(state, [], [])
    assert "Interrupted" not in text
    state = rollout_state(rollout_set(partition=3, annotations=saved(0, REV_B)))
    assert "Interrupted:      a rollout toward partition 0 was under way; continue with: " \
           "kubectl sts rollout web --to 0" in render_plan(state, [], [])


def test_interruption_advice_ignores_a_stale_annotation():
    stale = rollout_state(rollout_set(partition=5, annotations=saved(0, REV_A)))
    assert interruption_advice(stale, None, "none")[-1] == \
        "see the plan with: kubectl sts rollout web"
    live = rollout_state(rollout_set(partition=3, annotations=saved(0, REV_B)))
    assert interruption_advice(live, None, "none")[-1] == \
        "continue with: kubectl sts rollout web --to 0"
    gating = rollout_state(rollout_set(partition=3))
    assert interruption_advice(gating, 3, "none")[-1].startswith(
        "continue with: kubectl sts rollout web --to 3")


# -- the transforms -----------------------------------------------------------------------------

def test_staging_drops_the_target_of_an_earlier_change_and_holds_the_partition():
    sts = rollout_set(replicas=3, partition=0, annotations=saved(0, REV_A))
    template = {"spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}}
    new = staged(sts, template)
    assert STATE_ANNOTATION not in new["metadata"]["annotations"]
    assert new["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 3
    assert new["spec"]["template"] == template
    assert sts["metadata"]["annotations"][STATE_ANNOTATION]        # the input is untouched


@pytest.mark.parametrize("live,expected_old,value,outcome", [
    (3, 3, 2, "written"),
    (2, 3, 2, "written"),          # our own write, retried after a 409
    (1, 3, 2, Conflict),           # someone else moved it
])
def test_with_partition(live, expected_old, value, outcome):
    sts = rollout_set(partition=live)
    if outcome is Conflict:
        with pytest.raises(Conflict, match="someone changed the partition of web from 3 to 1"):
            with_partition(sts, expected_old, value, 0)
        return
    new = with_partition(sts, expected_old, value, 0)
    assert new["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == value
    assert json.loads(new["metadata"]["annotations"][STATE_ANNOTATION]) == \
        {"target": 0, "updateRevision": REV_B, "undo": False, "partition": value}


def test_with_partition_refuses_an_ondelete_set():
    with pytest.raises(Refused):
        with_partition(rollout_set(strategy="OnDelete"), 3, 2, 0)


def test_restored_checks_the_update_revision_it_was_planned_for():
    sts = rollout_set(replicas=3, partition=2)
    new = restored(sts, {"spec": {}}, REV_B, REV_A)
    assert new["spec"]["updateStrategy"]["rollingUpdate"]["partition"] == 3
    assert json.loads(new["metadata"]["annotations"][STATE_ANNOTATION]) == \
        {"target": 0, "updateRevision": REV_A, "undo": True, "partition": 3}
    with pytest.raises(Conflict):
        restored(sts, {"spec": {}}, REV_C, REV_A)


# -- 3. the gate recognises the forced-rollback trap -----------------------------------------

def gate(sts, pods, partition):
    book = track(new_book(), pods, rollout_state(sts)["updateRevision"], 0.0)
    return evaluate_step(sts, pods, partition, book["readySince"], 0.0, 0, book["baseline"])


@pytest.mark.parametrize("name,pods,policy,fails,waits_for", [
    ("wrong answer 3: after an undo, the broken pod at the old revision blocks the controller",
     [rollout_pod(0, REV_A), rollout_pod(1, REV_A), rollout_pod(2, REV_B, ready=False,
                                                                waiting="ImagePullBackOff")],
     "OrderedReady", "web-2", None),
    ("crash-looping at an older revision",
     [rollout_pod(0, REV_A), rollout_pod(1, REV_C, ready=False, waiting="CrashLoopBackOff"),
      rollout_pod(2, REV_A)],
     "OrderedReady", "web-1", None),
    ("Parallel: the controller replaces it by itself",
     [rollout_pod(0, REV_A), rollout_pod(1, REV_A), rollout_pod(2, REV_B, ready=False,
                                                                waiting="ImagePullBackOff")],
     "Parallel", None, "web-2"),
    ("merely starting at the old revision: wait", [rollout_pod(0, REV_A), rollout_pod(1, REV_A),
                                                   rollout_pod(2, REV_B, ready=False)],
     "OrderedReady", None, "web-2"),
])
def test_the_gate_fails_fast_in_the_forced_rollback_trap(name, pods, policy, fails, waits_for):
    # the template was restored: REV_A is current and update again, the partition is 0
    sts = rollout_set(replicas=3, partition=0, current=REV_A, update=REV_A, pod_management=policy)
    result = gate(sts, pods, 0)
    if fails:
        assert result["failed"]["pod"] == fails, name
        assert result["failed"]["stuck"] and not result["done"]
        assert "the controller will not replace it by itself" in result["failed"]["message"]
    else:
        assert result["failed"] is None, name
        assert [w["pod"] for w in result["waiting"]] == [waits_for]


def test_the_gate_reports_a_failing_updated_pod_before_the_trap():
    sts = rollout_set(replicas=3, partition=2)
    pods = pods_at(3, 3)[:2] + [rollout_pod(2, REV_B, ready=False, waiting="CrashLoopBackOff")]
    failed = gate(sts, pods, 2)["failed"]
    assert failed["pod"] == "web-2" and failed["reason"] == "CrashLoopBackOff"
    assert "stuck" not in failed


def test_track_restarts_the_settle_time_of_a_pod_that_stops_being_ready():
    ready = rollout_pod(2, REV_B, uid="u2", restarts=1)
    book = track(new_book(), [ready, rollout_pod(1, REV_A, uid="u1")], REV_B, 5.0)
    assert book == {"readySince": {"u2": 5.0}, "baseline": {"u2": 1}}
    assert track(book, [ready], REV_B, 9.0)["readySince"] == {"u2": 5.0}
    unready = rollout_pod(2, REV_B, uid="u2", ready=False, restarts=2)
    assert track(book, [unready], REV_B, 9.0) == {"readySince": {}, "baseline": {"u2": 1}}


# -- the pods undo deletes ---------------------------------------------------------------------

def failing_pod(ordinal, revision, **kwargs):
    return rollout_pod(ordinal, revision, ready=False, waiting="ErrImagePull", **kwargs)


@pytest.mark.parametrize("name,pods,restored_revision,policy,max_unavailable,minor,expected", [
    ("the updated pod that fails", [rollout_pod(0, REV_A), rollout_pod(1, REV_A),
                                    failing_pod(2, REV_B)], REV_A, "OrderedReady", None, 37,
     ["web-2"]),
    ("every failing one, lowest first", [rollout_pod(0, REV_A), failing_pod(1, REV_B),
                                         failing_pod(2, REV_B)], REV_A, "OrderedReady", 2, 37,
     ["web-1", "web-2"]),
    ("wrong answer 6: a starting pod is no victim",
     [rollout_pod(0, REV_A), rollout_pod(1, REV_B, ready=False, waiting="ContainerCreating"),
      failing_pod(2, REV_B)], REV_A, "OrderedReady", 2, 37, ["web-2"]),
    ("not Ready without a failure: starting", [rollout_pod(0, REV_A), rollout_pod(1, REV_A),
                                               rollout_pod(2, REV_B, ready=False)], REV_A,
     "OrderedReady", None, 37, []),
    ("at the restored revision: not one to delete", [rollout_pod(0, REV_A),
                                                     rollout_pod(1, REV_A),
                                                     failing_pod(2, REV_A)], REV_A,
     "OrderedReady", None, 37, []),
    ("terminating: already going", [rollout_pod(0, REV_A), rollout_pod(1, REV_A),
                                    failing_pod(2, REV_B, deleting=True)], REV_A,
     "OrderedReady", None, 37, []),
    ("Parallel, gate off: the controller replaces it", [
        rollout_pod(0, REV_A), rollout_pod(1, REV_A), failing_pod(2, REV_B)], REV_A,
     "Parallel", None, 37, []),
    ("Parallel, maxUnavailable spent, before 1.37: stuck", [
        rollout_pod(0, REV_A), rollout_pod(1, REV_A), failing_pod(2, REV_B)], REV_A,
     "Parallel", 1, 36, ["web-2"]),
    ("Parallel, maxUnavailable, 1.37 (#137666): broken old pods replaced first", [
        rollout_pod(0, REV_A), rollout_pod(1, REV_A), failing_pod(2, REV_B)], REV_A,
     "Parallel", 1, 37, []),
    ("Parallel, maxUnavailable left, before 1.37: replaced", [
        rollout_pod(0, REV_A), rollout_pod(1, REV_A), failing_pod(2, REV_B)], REV_A,
     "Parallel", 2, 36, []),
    ("all Ready", pods_at(3, 2), REV_A, "OrderedReady", None, 37, []),
])
def test_undo_victims(name, pods, restored_revision, policy, max_unavailable, minor, expected):
    sts = rollout_set(replicas=3, partition=2, pod_management=policy,
                      max_unavailable=max_unavailable)
    victims = undo_victims(sts, pods, restored_revision, minor)
    assert [v["metadata"]["name"] for v in victims] == expected, name


# -- 4. a step names only the pods it changes --------------------------------------------------

@pytest.mark.parametrize("name,old,new,pods,expected", [
    ("a normal step", 3, 2, pods_at(3, 3), "partition 3 -> 2: updating web-2"),
    ("a bigger step", 3, 1, pods_at(3, 3), "partition 3 -> 1: updating web-2, web-1"),
    ("wrong answer 4: undo's lower ordinals already run the restored revision", 2, 1,
     [rollout_pod(0, REV_B), rollout_pod(1, REV_B), rollout_pod(2, REV_B)],
     "partition 2 -> 1: no pod changes (web-1 already at revision %s)" % REV_B),
    ("a missing pod is created at the update revision", 3, 2, pods_at(2, 2),
     "partition 3 -> 2: updating web-2"),
    ("a partition above replicas", 9, 2, pods_at(3, 3), "partition 3 -> 2: updating web-2"),
])
def test_step_line(name, old, new, pods, expected):
    state = rollout_state(rollout_set(replicas=3, partition=old))
    assert step_line(state, pods, old, new) == expected, name


# -- 5. what a run says at the end ------------------------------------------------------------

@pytest.mark.parametrize("name,sts,finished,expected", [
    ("wrong answer 5: --all passed its last gate, currentRevision not moved yet",
     rollout_set(replicas=3, partition=0), True,
     "rollout of web complete: all 3 ordinals run revision %s" % REV_B),
    ("wrong answer 5: --all passed its last gate, the controller caught up",
     rollout_set(replicas=3, partition=0, current=REV_B), True,
     "rollout of web complete: all 3 ordinals run revision %s" % REV_B),
    ("nothing was pending", rollout_set(replicas=3, partition=0, current=REV_B), False,
     "Nothing pending: stage a change with kubectl sts rollout web --image CONTAINER=IMAGE"),
    ("a plan at partition 0 mid-rollout", rollout_set(replicas=3, partition=0), False,
     "All ordinals are at partition 0; watch with: kubectl sts rollout web --status"),
    ("--to 1 reached", rollout_set(replicas=3, partition=1), True,
     "partition 1 reached; next: kubectl sts rollout web --step   (or --all, --undo)"),
    ("a plan mid-rollout", rollout_set(replicas=3, partition=1), False,
     "next: kubectl sts rollout web --step   (or --all, --undo)"),
    ("OnDelete, every pod updated", rollout_set(strategy="OnDelete"), True,
     "rollout of web complete: every pod runs revision %s" % REV_B),
    ("OnDelete, more to do", rollout_set(strategy="OnDelete"), False,
     "next: kubectl sts rollout web --step"),
])
def test_next_command(name, sts, finished, expected):
    assert next_command(rollout_state(sts), finished) == expected, name


@pytest.mark.parametrize("name,status,done", [
    ("complete", {"currentRevision": REV_B, "updateRevision": REV_B, "readyReplicas": 3,
                  "updatedReplicas": 3, "observedGeneration": 2}, True),
    ("current revision not moved", {"currentRevision": REV_A, "updateRevision": REV_B,
                                    "readyReplicas": 3, "updatedReplicas": 3,
                                    "observedGeneration": 2}, False),
    ("one not ready", {"currentRevision": REV_B, "updateRevision": REV_B, "readyReplicas": 2,
                       "updatedReplicas": 3, "observedGeneration": 2}, False),
    ("not observed", {"currentRevision": REV_B, "updateRevision": REV_B, "readyReplicas": 3,
                      "updatedReplicas": 3, "observedGeneration": 1}, False),
])
def test_follow_verdict(name, status, done):
    sts = rollout_set(replicas=3, partition=0)
    sts["status"] = status
    assert follow_verdict(sts)[0] is done, name
    assert follow_verdict(sts)[1].startswith("partition 0: %d/3 updated, %d/3 ready"
                                             % (status["updatedReplicas"],
                                                status["readyReplicas"]))

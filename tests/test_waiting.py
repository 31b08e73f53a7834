"""The `wait` core (kubectl_sts/core/wait.py), table-driven over plain objects: no server."""

from functools import partial

import pytest

from kubectl_sts.core.wait import judge, new_book

from builders import pod, statefulset

UPDATE, OLD = "web-2", "web-1"


sts = partial(statefulset, generation=2, observed=2, current=OLD, update=UPDATE,
              counts=("replicas", "availableReplicas"), strategy="RollingUpdate",
              pod_management="OrderedReady", service=None, claims=None, selector=None,
              template=None)
web_pod = partial(pod, revision=UPDATE, uid="u{ordinal}", ready=True, message="boom")


def run(the_sts, pods, claims=(), mode="rollout", ondelete="wait", now=0.0, book=None,
        deadline=300.0):
    return judge(the_sts, list(pods), list(claims), mode, ondelete, now, book or new_book(),
                 deadline)


ALL = [web_pod(0), web_pod(1), web_pod(2)]


@pytest.mark.parametrize("case, the_sts, pods, mode, state, message", [
    ("done", sts(), ALL, "rollout", "done", "3/3 Ready at revision web-2"),
    ("ready-any-revision", sts(), [web_pod(0, revision=OLD), web_pod(1), web_pod(2)], "ready",
     "done", "3/3 Ready"),
    ("old-pod", sts(), [web_pod(0, revision=OLD), web_pod(1), web_pod(2)], "rollout", "waiting",
     "web-0 not updated (revision web-1)"),
    ("below-partition", sts(partition=1), [web_pod(0, revision=OLD), web_pod(1), web_pod(2)],
     "rollout", "done", "3/3 Ready; ordinals 1.. at revision web-2, 0 held at web-1 by "
     "partition 1"),
    # one step of a rollout (partition 2 of 4): only the ordinals from the partition up run it
    ("one-step", sts(replicas=4, partition=2),
     [web_pod(0, revision=OLD), web_pod(1, revision=OLD), web_pod(2), web_pod(3)], "rollout",
     "done", "4/4 Ready; ordinals 2.. at revision web-2, 0..1 held at web-1 by partition 2"),
    ("last-ordinal", sts(partition=2), [web_pod(0, revision=OLD), web_pod(1, revision=OLD),
                                        web_pod(2)], "rollout", "done",
     "3/3 Ready; ordinal 2 at revision web-2, 0..1 held at web-1 by partition 2"),
    ("all-held", sts(partition=3), [web_pod(0, revision=OLD), web_pod(1, revision=OLD),
                                    web_pod(2, revision=OLD)], "rollout", "done",
     "3/3 Ready; none at revision web-2: 0..2 held at web-1 by partition 3"),
    ("partition-already-updated", sts(partition=1), ALL, "rollout", "done",
     "3/3 Ready at revision web-2"),
    ("not-observed", sts(observed=1), ALL, "rollout", "waiting",
     "the controller has not observed the latest spec"),
    ("missing", sts(), ALL[:2], "rollout", "waiting", "web-2 not created yet"),
    ("not-available", sts(available=2), ALL, "rollout", "waiting",
     "2 of 3 available (minReadySeconds 0)"),
    ("crashloop", sts(), [web_pod(0), web_pod(1), web_pod(2, waiting="CrashLoopBackOff",
                                                          ready=False, phase="Pending")],
     "rollout", "failed", "ROLLOUT STUCK at web-2: web-2 runs the update revision web-2 and "
     "fails (CrashLoopBackOff in container app: boom); the controller updates no other ordinal "
     "until it is Ready. Undo: kubectl sts rollout web --undo (restores the template and "
     "deletes web-2), or fix the template and stage it again"),
    ("image", sts(pod_management="Parallel"),
     [web_pod(0), web_pod(1), web_pod(2, waiting="ImagePullBackOff", ready=False, phase="Pending")],
     "rollout", "failed", "ROLLOUT STUCK at web-2: web-2 runs the update revision web-2 and "
     "fails (ImagePullBackOff in container app: boom); the controller updates no other ordinal "
     "until it is Ready. Undo: kubectl sts rollout web --undo (restores the template and "
     "deletes web-2), or fix the template and stage it again"),
    ("failing-old-pod-is-not-a-failure", sts(pod_management="Parallel"),
     [web_pod(0), web_pod(1), web_pod(2, revision=OLD, waiting="CrashLoopBackOff", ready=False,
                                      phase="Pending")], "rollout",
     "waiting", "web-2 failing: CrashLoopBackOff in container app: boom"),
    ("deleted-done", None, [], "deleted", "done", "deleted"),
    ("deleted-waiting", sts(), [], "deleted", "waiting", "statefulset web still exists"),
    ("gone-while-waiting", None, [], "rollout", "failed", "the StatefulSet was deleted"),
])
def test_states(case, the_sts, pods, mode, state, message):
    result = run(the_sts, pods, mode=mode)
    assert (result["state"], result["message"]) == (state, message), case


def test_ondelete_report_lists_the_pods_to_delete():
    the_sts = sts(strategy="OnDelete")
    pods = [web_pod(0, revision=OLD), web_pod(1), web_pod(2, revision=OLD)]
    result = run(the_sts, pods, ondelete="report")
    assert result["state"] == "pending-delete"
    assert result["message"] == "OnDelete: delete these pods to update them: web-0 web-2"
    assert run(the_sts, pods)["state"] == "waiting"


def test_no_progress_for_the_deadline_is_stalled():
    book = new_book()
    pods = [web_pod(0), web_pod(1), web_pod(2, ready=False)]
    first = run(sts(), pods, now=0.0, book=book, deadline=10)
    assert first["state"] == "waiting" and first["wake"] == 10.0
    assert run(sts(), pods, now=9.0, book=book, deadline=10)["state"] == "waiting"
    stalled = run(sts(), pods, now=10.0, book=book, deadline=10)
    assert stalled["state"] == "stalled"
    assert stalled["message"] == "no progress for 10s: web-2 not Ready"
    # a change of the counters is progress: the deadline starts again
    moved = sts(available=2)
    assert run(moved, pods, now=11.0, book=book, deadline=10)["state"] == "waiting"


def test_unschedulable_and_pending_claims_fail_after_the_deadline():
    book = new_book()
    pods = [web_pod(0), web_pod(1), web_pod(2, unschedulable="0/3 nodes are available")]
    assert run(sts(), pods, now=0.0, book=book, deadline=5)["state"] == "waiting"
    failed = run(sts(), pods, now=5.0, book=book, deadline=5)
    assert failed["state"] == "failed"
    assert failed["message"] == "web-2 has been unschedulable for 5s: 0/3 nodes are available"
    book = new_book()
    claims = [{"metadata": {"name": "data-web-2"}, "status": {"phase": "Pending"}}]
    assert run(sts(), ALL[:2], claims, now=0.0, book=book, deadline=5)["state"] == "waiting"
    assert run(sts(), ALL[:2], claims, now=6.0, book=book, deadline=5)["message"] == \
        "PVC data-web-2 has been Pending for 6s"


def test_progress_names_only_pods_that_exist_or_come_next():
    """Issue 26: `waiting: mysql-1 not Ready; mysql-2 not Ready` before mysql-2 existed. Under
    OrderedReady the controller makes web-2 only once web-1 is Ready: only web-1 is named."""
    pods = [web_pod(0), web_pod(1, ready=False, waiting="ContainerCreating", phase="Pending")]
    assert run(sts(), pods)["message"] == "web-1 not Ready"
    # under Parallel every missing ordinal is being made
    parallel = run(sts(pod_management="Parallel"), pods)["message"]
    assert parallel == "web-1 not Ready; web-2 not created yet"


# -- another writer moves what the wait first saw (core/drift.py) -------------------------------

def _flux_partition(partition):
    from kubectl_sts.core.drift import PARTITION
    from kubectl_sts.k8s.fieldsv1 import encode
    return sts(generation=3, observed=3, replicas=4, partition=partition, metadata={
        "managedFields": [{"manager": "kustomize-controller", "operation": "Apply",
                           "time": "2026-12-07T15:01:02Z", "fieldsType": "FieldsV1",
                           "fieldsV1": encode([PARTITION])}]})


FOUR = [web_pod(0, revision=OLD), web_pod(1), web_pod(2), web_pod(3)]
FLUX_FIX = ("Flux (kustomize-controller) applies the set from its source again at its next "
            "reconcile (the Kustomization's spec.interval) and puts it back; pause it: kubectl "
            "annotate statefulset web -n default kustomize.toolkit.fluxcd.io/reconcile=disabled "
            "(remove it to resume); then see the plan: kubectl sts rollout web")
BACK = ("the partition went back from 1 to 3: written by kustomize-controller (Apply) at "
        "2026-12-07T15:01:02Z; " + FLUX_FIX)


def test_a_partition_moved_back_under_the_wait_ends_it_naming_the_writer():
    book = new_book()
    first = sts(replicas=4, partition=1)
    assert run(first, FOUR, book=book)["state"] == "done"
    result = run(_flux_partition(3), FOUR, book=book)
    assert (result["state"], result["message"], result["moved"]) == ("moved", BACK, [BACK])


def test_waiting_for_ready_only_notes_it():
    book = new_book()
    run(sts(replicas=4, partition=1), FOUR, mode="ready", book=book)
    result = run(_flux_partition(3), FOUR, mode="ready", book=book)
    assert (result["state"], result["moved"]) == ("done", [BACK])


def test_a_partition_lowered_by_another_writer_is_noted_not_failed():
    book = new_book()
    run(sts(replicas=4, partition=2), FOUR, book=book)
    result = run(_flux_partition(1), FOUR, book=book)
    assert result["state"] == "done"
    assert result["moved"] == [
        "the partition was lowered from 2 to 1: written by kustomize-controller (Apply) at "
        "2026-12-07T15:01:02Z; " + FLUX_FIX]

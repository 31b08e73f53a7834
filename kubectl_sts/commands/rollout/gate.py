"""The health gate of one step: wait (the one wait primitive, client/watch.py) until the core's
evaluate_step says done or failed. During an undo, a pod the controller will not replace by
itself (core.diagnosis: stuck) is deleted, when agreed, and the wait goes on. A partition or
template another writer moves during the wait (core/drift.py, named from managedFields) stops
it at once: a Conflict (exit 6), as when the next step's write finds the partition moved
(core/rollout/transforms.with_partition); never an undo (it would fight that writer)."""

import time
from typing import Any, Dict, List, Optional

import click

from ...errors import Conflict, WaitTimeout, reworded
from .session import Rollout, StepFailed, fmt


def gate(run: Rollout, partition: int, ordinals: Optional[List[int]] = None) -> None:
    """Wait until the ordinals >= partition (or `ordinals`) pass the health gate; StepFailed when a pod fails
    it (or the controller will not replace a pod by itself), WaitTimeout at --timeout."""
    from ...core.drift import drift, left_of, line
    from ...core.rollout import evaluate_step, new_book, rollout_state, track
    from ...client.watch import Verdict, wait
    book = [new_book()]
    run.gating = partition
    minor = run.server_minor()
    # the set as this run left it: its last write (or the set as the gate first sees it)
    left = left_of(run.last_written or run.current()[0], recorded=False)

    def judge(snapshot: Dict[str, Dict[str, Any]], now: float) -> Verdict:
        sts, pods = run.current(snapshot)
        moved = drift(left, sts)
        if moved:
            return Verdict(failed=(sts, {"moved": line(moved)}))
        state = rollout_state(sts)
        book[0] = track(book[0], pods, state["updateRevision"], now)
        settle = max(run.settle, state["minReadySeconds"])
        result = evaluate_step(sts, pods, partition, book[0]["readySince"], now, settle,
                               book[0]["baseline"], minor, time.time(), ordinals)
        if result["failed"]:
            return Verdict(failed=(sts, result["failed"]))
        if result["done"]:
            return Verdict(done=True)
        return Verdict(line="waiting: " + "; ".join(
            "%s %s" % (w["pod"], w["why"]) if w["pod"] else w["why"]
            for w in result["waiting"]), wake=result["wake"])

    while True:
        outcome = wait(run.watching(), judge, run.timeout or 300, run.progress)
        run.progress(None)
        if outcome.state != "failed":
            break
        assert outcome.verdict is not None
        sts, failure = outcome.verdict.failed
        if "moved" in failure:
            raise Conflict("error: the rollout of %s stopped: %s" % (run.name,
                                                                     failure["moved"]))
        if not (failure.get("stuck") and run.undoing and _may_delete(run, failure)):
            raise StepFailed(sts, failure)
        _delete_stuck(run, failure)
    if outcome.ok:
        run.gating = None
        return
    if outcome.state == "unreachable":
        # the API server restarts (or is gone) and stayed so until the deadline
        assert outcome.error is not None
        raise reworded(outcome.error, "%s; the partition stays at %d as written; continue "
                       "with: kubectl sts rollout %s %s" % (
                           outcome.error.message, partition, run.name, "--to %d" % run.target
                           if run.target is not None else "--step"))
    assert outcome.verdict is not None and outcome.verdict.line is not None
    raise WaitTimeout("error: timed out after %s waiting for partition %d: %s"
                      % (fmt(run.timeout), partition, outcome.verdict.line[len("waiting: "):]))


def _may_delete(run: Rollout, failure: Dict[str, Any]) -> bool:
    """An undo deletes a stuck pod agreed to before the first write, any with --yes, or one
    the user agrees to now (at a terminal)."""
    if run.yes or failure.get("uid") in run.agreed:
        return True
    if not run.can_ask():
        return False
    return click.confirm("%s; delete it so it is recreated from the restored template?"
                         % failure["message"], default=False)


def _delete_stuck(run: Rollout, failure: Dict[str, Any]) -> None:
    _, pods = run.current()
    pod = next((p for p in pods if p["metadata"]["uid"] == failure.get("uid")), None)
    if pod is None:
        return                              # gone meanwhile: judge again
    run.delete_pod(pod)
    click.echo('pod "%s" deleted: %s' % (failure["pod"], failure["message"]))
    run.wait_gone(pod)

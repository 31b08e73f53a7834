"""The health gate of one step: wait (the one wait primitive, client/watch.py) until the core's
evaluate_step says done or failed."""

from typing import Any, Dict

from ...errors import WaitTimeout, reworded
from .session import Rollout, StepFailed, fmt


def gate(run: Rollout, partition: int) -> None:
    """Wait until the ordinals >= partition pass the health gate; StepFailed when a pod fails
    it (or the set is in the forced-rollback trap), WaitTimeout at --timeout."""
    from ...core.rollout import evaluate_step, new_book, rollout_state, track
    from ...client.watch import Verdict, wait
    book = [new_book()]
    run.gating = partition

    def judge(snapshot: Dict[str, Dict[str, Any]], now: float) -> Verdict:
        sts, pods = run.current(snapshot)
        state = rollout_state(sts)
        book[0] = track(book[0], pods, state["updateRevision"], now)
        settle = max(run.settle, state["minReadySeconds"])
        result = evaluate_step(sts, pods, partition, book[0]["readySince"], now, settle,
                               book[0]["baseline"])
        if result["failed"]:
            return Verdict(failed=(sts, result["failed"]))
        if result["done"]:
            return Verdict(done=True)
        return Verdict(line="waiting: " + "; ".join(
            "%s %s" % (w["pod"], w["why"]) if w["pod"] else w["why"]
            for w in result["waiting"]), wake=result["wake"])

    outcome = wait(run.watching(), judge, run.timeout or 300, run.progress)
    run.progress(None)
    if outcome.state == "failed":
        assert outcome.verdict is not None
        raise StepFailed(*outcome.verdict.failed)
    if outcome.ok:
        run.gating = None
        return
    if outcome.state == "unreachable":
        # the API server restarts (or is gone) and stayed so until the deadline
        assert outcome.error is not None
        raise reworded(outcome.error, "error: gave up after %s waiting for partition %d: %s; "
                       "the partition stays at %d as written; continue with: kubectl sts "
                       "rollout %s %s" % (fmt(run.timeout), partition, outcome.why or "no "
                                          "answer", partition, run.name, "--to %d" % run.target
                                          if run.target is not None else "--step"))
    assert outcome.verdict is not None and outcome.verdict.line is not None
    raise WaitTimeout("error: timed out after %s waiting for partition %d: %s"
                      % (fmt(run.timeout), partition, outcome.verdict.line[len("waiting: "):]))

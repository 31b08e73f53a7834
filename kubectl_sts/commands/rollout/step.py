"""`--step [N]`, `--to K`, `--all`: lower the partition one step at a time, each step behind
the health gate."""

import time

import click

from typing import Any, Dict, Optional

from ...errors import UsageError
from ..checks import run_checks
from .gate import gate
from .session import Rollout, StepFailed, fmt


def advance(run: Rollout, step: int, to: Optional[int], all_: bool, single: bool,
            batch: Optional[int] = None) -> int:
    """Lower the partition toward the target; a step is one batch: maxUnavailable where the
    server honours it (the controller replaces the batch), `--batch N` (this tool deletes it,
    batches.py), else one ordinal. An explicit `--step N` (N > 1) keeps its N."""
    from ...core.rollout import (ordinals_between, plan_partitions, rollout_state, step_line,
                                 step_target)
    from ...core.rollout.batches import batch_refusal, batch_size
    from .batches import check_budgets, delete_batch, observe
    sts = run.read()
    state = rollout_state(sts)
    if state["strategy"] != "RollingUpdate" and batch is not None:
        raise UsageError("error: %s uses OnDelete: --batch applies to RollingUpdate sets "
                         "(--step deletes OnDelete pods itself)" % run.name)
    if run.ordering and state["strategy"] == "RollingUpdate":
        from ...core.rollout.order import rolling_refusal
        raise UsageError(rolling_refusal(run.name, run.ordering["flags"]))
    _checks_of(run, state)
    if state["strategy"] != "RollingUpdate":
        if to is not None:
            raise UsageError("error: %s uses OnDelete: partitions do not apply, so --to has "
                             "no meaning; use --step or --all" % run.name)
        from .ondelete import advance_ondelete
        return advance_ondelete(run, sts, count=step if single else None)
    honoured: Optional[bool] = None
    if batch is not None or batch_size(state, True) > 1:
        # the answer changes what a step does: ask the API server (a dry-run update,
        # authorized as an update: checked first)
        if run.dry_run != "client":
            run.check_writes(run.variant)
        honoured = observe(run, sts, ask=run.dry_run != "client")["honoured"]
    if batch is not None:
        refusal = batch_refusal(state, honoured, batch)
        if refusal:
            raise UsageError("error: %s" % refusal)
        step = batch
    elif step == 1:
        step = batch_size(state, honoured)
    try:
        target = step_target(state, step, to, all_)
    except ValueError as exc:
        raise UsageError("error: %s" % exc)
    values = plan_partitions(state["partition"], state["replicas"], target, step)
    pending = bool(values) or state["updateRevision"] != state["currentRevision"]
    run.target = target
    if run.dry_run != "none":
        partition = state["partition"]
        pods = run.pods(sts) if batch is not None else []
        for value in values:
            # the next write is computed from this one's result (no write happened)
            if batch is not None:
                check_budgets(run, sts, pods, value)
            sts = run.set_partition(sts, partition, value, target)
            if batch is not None:
                gone = {p["metadata"]["uid"] for p in delete_batch(run, sts, pods, value)}
                pods = [p for p in pods if p["metadata"]["uid"] not in gone]
            partition = value
        return 0
    run.watch(sts)
    # A step interrupted earlier is finished first: the gate at the current partition.
    gate(run, state["effectivePartition"])
    updated = ordinals_between(state["start"], state["effectivePartition"], state["replicas"],
                               state["replicas"])
    if run.checks and values and updated:
        # the pods an earlier step updated pass the checks before the partition goes lower
        # (a step halted by its check is checked again, not stepped over)
        checked = run.current()[0]
        failure = run_checks(run, checked, updated, state["effectivePartition"])
        if failure is not None:
            raise StepFailed(checked, failure)
    partition = state["partition"]
    for index, value in enumerate(values):
        if index and run.pause:
            click.echo("pausing %s before partition %d" % (fmt(run.pause), value))
            time.sleep(run.pause)
        if run.interactive and not click.confirm("lower the partition to %d?" % value,
                                                 default=True):
            click.echo("stopped at partition %d" % partition)
            return 0
        sts, pods = run.current()
        if batch is not None:
            check_budgets(run, sts, pods, value)
        run.set_partition(sts, partition, value, target)
        click.echo(step_line(rollout_state(sts), pods, partition, value))
        if batch is not None:
            delete_batch(run, sts, pods, value)
        changed = ordinals_between(state["start"], value, partition, state["replicas"])
        partition = value
        gate(run, value)
        checked = run.current()[0]
        failure = run_checks(run, checked, changed, value)
        if failure is not None:
            raise StepFailed(checked, failure)
    run.report(finished=pending)
    return 0



def _checks_of(run: Rollout, state: Dict[str, Any]) -> None:
    """The checks of this run: its flags', or those an interrupted run recorded on the set
    for the same update revision (said so); the plan lines under --dry-run."""
    from ...core.rollout.checks import plan_lines, recorded_checks
    if not run.checks:
        recorded = recorded_checks(state["saved"], state["updateRevision"])
        if recorded:
            run.checks, run.check_timeout = recorded["checks"], recorded["checkTimeout"]
            click.echo("resuming with the checks recorded on %s by the interrupted rollout"
                       % run.name)
    if run.checks:
        for line in plan_lines(run.checks, run.check_timeout):
            click.echo(line)
    kinds = {c["kind"] for c in run.checks}
    for kind in ("exec", "http"):
        if kind in kinds:
            run.check_writes("rollout --step --check-%s" % kind)   # before the first write

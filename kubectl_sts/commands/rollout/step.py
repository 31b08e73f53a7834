"""`--step [N]`, `--to K`, `--all`: lower the partition one step at a time, each step behind
the health gate."""

import time

import click

from typing import Any, Dict, Optional

from ...errors import UsageError
from ..checks import run_checks
from .gate import gate
from .session import Rollout, StepFailed, fmt


def advance(run: Rollout, step: int, to: Optional[int], all_: bool, single: bool) -> int:
    from ...core.rollout import (ordinals_between, plan_partitions, rollout_state, step_line,
                                 step_target)
    sts = run.read()
    state = rollout_state(sts)
    _checks_of(run, state)
    if state["strategy"] != "RollingUpdate":
        if to is not None:
            raise UsageError("error: %s uses OnDelete: partitions do not apply, so --to has "
                             "no meaning; use --step or --all" % run.name)
        from .ondelete import advance_ondelete
        return advance_ondelete(run, sts, count=step if single else None)
    try:
        target = step_target(state, step, to, all_)
    except ValueError as exc:
        raise UsageError("error: %s" % exc)
    values = plan_partitions(state["partition"], state["replicas"], target, step)
    pending = bool(values) or state["updateRevision"] != state["currentRevision"]
    run.target = target
    if run.dry_run != "none":
        partition = state["partition"]
        for value in values:
            # the next write is computed from this one's result (no write happened)
            sts = run.set_partition(sts, partition, value, target)
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
        run.set_partition(sts, partition, value, target)
        click.echo(step_line(rollout_state(sts), pods, partition, value))
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

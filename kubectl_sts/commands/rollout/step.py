"""`--step [N]`, `--to K`, `--all`: lower the partition one step at a time, each step behind
the health gate."""

import time

import click

from typing import Optional

from ...errors import UsageError
from .gate import gate
from .session import Rollout, fmt


def advance(run: Rollout, step: int, to: Optional[int], all_: bool, single: bool) -> int:
    from ...core.rollout import plan_partitions, rollout_state, step_line, step_target
    sts = run.read()
    state = rollout_state(sts)
    if run.ordering and state["strategy"] == "RollingUpdate":
        from ...core.rollout.order import rolling_refusal
        raise UsageError(rolling_refusal(run.name, run.ordering["flags"]))
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
        partition = value
        gate(run, value)
    run.report(finished=pending)
    return 0


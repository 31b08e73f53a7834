"""`--step` / `--all` under OnDelete: delete outdated pods one at a time, highest ordinal
first (or in `--order`, the leader of `--leader-last`/`--leader-exec` last), each
replacement behind the health gate. The order and the leader command are recorded on the
set's annotation, so a resumed `--step` follows them."""

from typing import Any, Dict, List, Optional

import click

from ...errors import PodFailed, StsError, UsageError
from ...core.rollout.order import outdated as outdated_of
from ..checks import ask_leader, run_checks
from .gate import gate
from .session import Rollout, StepFailed

Obj = Dict[str, Any]


def advance_ondelete(run: Rollout, sts: Dict[str, Any], count: Optional[int]) -> int:
    if run.ordering or _recorded(sts):
        return _in_order(run, sts, count)
    from ...k8s.statefulset import REVISION_LABEL, pod_ordinal
    from ...core.rollout import ondelete_next, rollout_state
    click.echo("%s uses OnDelete: partitions do not apply; deleting outdated pods one at a "
               "time, highest ordinal first" % run.name)
    if run.dry_run == "client":
        victim = ondelete_next(sts, run.pods(sts))
        click.echo("dry-run (client): would delete pod %s" % victim["metadata"]["name"]
                   if victim else "nothing to update")
        return 0
    run.watch(sts)
    done = 0
    while count is None or done < count:
        sts, pods = run.current()
        victim = ondelete_next(sts, pods)
        if victim is None:
            break
        name = victim["metadata"]["name"]
        if run.interactive and not click.confirm("delete %s?" % name, default=True):
            return 0
        run.delete_pod(victim)
        click.echo("deleted pod %s (revision %s)" % (
            name, victim["metadata"]["labels"].get(REVISION_LABEL)))
        if run.dry_run == "server":
            return 0
        run.wait_gone(victim)
        gate(run, pod_ordinal(run.name, name) - rollout_state(sts)["start"])
        _check(run, pod_ordinal(run.name, name), rollout_state(sts)["partition"])
        done += 1
    sts, pods = run.current()
    run.report(finished=ondelete_next(sts, pods) is None and done > 0)
    return 0


def _check(run: Rollout, ordinal: Optional[int], partition: int) -> None:
    """The application checks on the replaced pod (checks.py): a failure fails the step."""
    checked = run.current()[0]
    failure = run_checks(run, checked, [] if ordinal is None else [ordinal], partition)
    if failure is not None:
        raise StepFailed(checked, failure)


def _recorded(sts: Obj) -> Obj:
    from ...core.rollout import rollout_state
    from ...core.rollout.order import recorded
    state = rollout_state(sts)
    return recorded(state["saved"], state["updateRevision"])


def _in_order(run: Rollout, sts: Obj, count: Optional[int]) -> int:
    """The run in an order of its own: --order, the leader last, or those an earlier run
    recorded on the set."""
    from ...core.rollout import STATE_ANNOTATION, rollout_state
    from ...core.rollout.order import (arranged, next_ordinal, order_problem,
                                       reconcile_leader, with_order)
    from ...k8s.statefulset import REVISION_LABEL, ordinals, pods_by_ordinal
    from ...core.rollout.order import OrderError, describe_leader as describe
    asked = run.ordering or {}
    state = rollout_state(sts)
    saved = _recorded(sts)
    order: Optional[List[int]] = asked.get("order")
    leader: Optional[Obj] = asked.get("leader")
    if order is None and saved.get("order") is not None:
        order = saved["order"]
        click.echo("following the order recorded on %s by an earlier run: --order %s"
                   % (run.name, ",".join(map(str, order))))
    if leader is None and saved.get("leader"):
        leader = saved["leader"]
        click.echo("following the leader command recorded on %s by an earlier run: %s"
                   % (run.name, describe(leader)))
    in_range = list(ordinals(sts))
    pods = run.pods(sts)
    outdated = outdated_of(state, pods)
    if order is not None:
        problem = order_problem(order, in_range, outdated, run.name)
        if problem:
            raise UsageError("error: %s" % problem)
    if asked or leader:
        run.variant = "rollout --step --leader-exec (OnDelete)" if leader and \
            leader.get("exec") else "rollout --step --order (OnDelete)"
    if leader and leader.get("exec") and run.dry_run != "client":
        run.check_writes(run.variant)       # pods/exec: refused before it is asked
    leader_at: Optional[int] = None
    if leader:
        try:
            leader_at = ask_leader(run.conn, run.name, leader, pods)
        except OrderError as exc:
            raise StsError("error: %s" % exc)                  # exit 1: nothing written yet
        was = saved.get("leaderOrdinal") if saved.get("leader") == leader else None
        leader_at, moved = reconcile_leader(was, leader_at, outdated, run.name)
        if moved:
            click.echo(moved)
    sequence = [o for o in arranged(order, in_range, leader_at) if o in outdated]
    click.echo("%s uses OnDelete: partitions do not apply; deleting outdated pods one at a "
               "time in this order: %s%s" % (
                   run.name, ", ".join("%s-%d" % (run.name, o) for o in sequence) or "none",
                   "" if leader_at is None else " (leader last: %s-%d)" % (run.name,
                                                                            leader_at)))
    if run.dry_run == "client":
        first = next_ordinal(order, in_range, leader_at, outdated)
        if asked:
            click.echo("dry-run (client): would record the order on %s (annotation %s)"
                       % (run.name, STATE_ANNOTATION))
        click.echo("dry-run (client): would delete pod %s-%d" % (run.name, first)
                   if first is not None else "nothing to update")
        return 0
    if asked or (leader and leader_at != saved.get("leaderOrdinal")):
        sts = run.write(sts, lambda fresh: with_order(fresh, order, leader, leader_at),
                        "record the order on %s" % run.name)
    if run.dry_run == "server":            # the first delete, sent with dryRun=All
        first = next_ordinal(order, in_range, leader_at, outdated)
        if first is not None:
            run.delete_pod(pods_by_ordinal(run.name, pods)[first])
            click.echo("dry-run (server): delete of pod %s-%d accepted" % (run.name, first))
        return 0
    run.watch(sts)
    done, fresh_answer = 0, True
    updated: List[str] = []
    while count is None or done < count:
        sts, pods = run.current()
        outdated = outdated_of(rollout_state(sts), pods)
        nxt = next_ordinal(order, in_range, leader_at, outdated)
        if nxt is None:
            break
        if leader and nxt == leader_at and not fresh_answer:
            # the leader's turn: ask again (a failover may have moved it)
            fresh_answer = True
            try:
                now = ask_leader(run.conn, run.name, leader, pods)
            except OrderError as exc:
                raise PodFailed("error: %s; stopped before deleting %s-%d%s; continue with: "
                                "kubectl sts rollout %s --step" % (
                                    exc, run.name, nxt, "" if not updated else
                                    " (updated: %s)" % ", ".join(updated), run.name))
            leader_at, moved = reconcile_leader(leader_at, now, outdated, run.name)
            if moved:
                click.echo(moved)
                sts = run.write(sts, lambda fresh: with_order(fresh, order, leader, leader_at),
                                "record the leader on %s" % run.name)
            continue
        victim = pods_by_ordinal(run.name, pods)[nxt]
        name = victim["metadata"]["name"]
        if run.interactive and not click.confirm("delete %s?" % name, default=True):
            return 0
        run.delete_pod(victim)
        position = [o for o in arranged(order, in_range, leader_at)].index(nxt) + 1
        click.echo("deleted pod %s (revision %s; %d of %d in order%s)" % (
            name, victim["metadata"]["labels"].get(REVISION_LABEL), position, len(in_range)
            if order is None else len(order), ", the leader" if nxt == leader_at else ""))
        run.wait_gone(victim)
        sequence = arranged(order, in_range, leader_at)
        gate(run, nxt - state["start"], ordinals=sequence[:sequence.index(nxt) + 1])
        _check(run, nxt, state["partition"])
        updated.append(name)
        fresh_answer = False
        done += 1
    sts, pods = run.current()
    left = outdated_of(rollout_state(sts), pods)
    run.report(finished=not left and done > 0)
    return 0

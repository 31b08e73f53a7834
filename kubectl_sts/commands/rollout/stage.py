"""Staging a change (`--image`, `--env`, `--patch`), `--hold`, and the plan (`rollout NAME`)."""

from typing import Any, Dict, List, Optional, Tuple

import click

from ...errors import StsError, UsageError
from .session import Rollout

Obj = Dict[str, Any]


def stage(run: Rollout, images: Dict[str, str], env: List[Tuple[str, str]],
          container: Optional[str], patch: Optional[Obj]) -> int:
    from ...core.rollout import change_template, rollout_state, staged
    sts = run.read()
    if rollout_state(sts)["strategy"] != "RollingUpdate":
        raise StsError("error: %s uses OnDelete: a template change reaches pods only when "
                       "they are deleted; stage it with kubectl and use `kubectl sts "
                       "rollout %s --step`" % (run.name, run.name))

    def change(fresh: Obj) -> Obj:
        try:
            template = change_template(fresh["spec"]["template"], images, env, container,
                                       patch)
        except ValueError as exc:
            raise UsageError("error: %s" % exc)
        return staged(fresh, template)
    written = run.write(sts, change, "stage the template and hold the partition")
    if run.dry_run != "none":
        return 0
    click.echo("statefulset.apps/%s staged: partition %d, no pod restarts yet"
               % (run.name, written["spec"]["updateStrategy"]["rollingUpdate"]["partition"]))
    click.echo("next: kubectl sts rollout %s            # see the plan" % run.name)
    click.echo("      kubectl sts rollout %s --step     # update the highest ordinal" % run.name)
    return 0


def hold(run: Rollout) -> int:
    from ...core.rollout import rollout_state
    sts = run.read()
    state = rollout_state(sts)
    if state["strategy"] != "RollingUpdate":
        raise StsError("error: %s uses OnDelete: partitions do not apply" % run.name)
    run.set_partition(sts, state["partition"], max(state["partition"], state["replicas"]),
                      None)
    if run.dry_run != "none":
        return 0
    new_state = rollout_state(run.read())
    click.echo("statefulset.apps/%s held at partition %d" % (run.name, new_state["partition"]))
    if new_state["updateRevision"] != new_state["currentRevision"]:
        click.echo("pending revision %s (pods run %s); step with: kubectl sts rollout %s "
                   "--step" % (new_state["updateRevision"], new_state["currentRevision"],
                               run.name))
    return 0


def show_plan(run: Rollout, output: Any = None) -> int:
    """The plan: text, or with `output` (-o json|yaml) the RolloutPlan document."""
    from ...core.rollout import (describe_plan, next_command, revision_template, rollout_state,
                                 template_diff)
    from ...core.diagnosis import remedy_line
    from ...core.rollout.stuck import rollout_verdict
    from ...printers.diagnosis import problem_lines, verdict_line
    from ...printers.rollout import render_ordinals, render_plan
    from ..shell import diagnose_set
    sts = run.read()
    state = rollout_state(sts)
    pods = run.pods(sts)
    diff = []
    if state["updateRevision"] != state["currentRevision"]:
        revs = run.revisions(sts)
        old, new = revs.get(state["currentRevision"]), revs.get(state["updateRevision"])
        if old and new:
            diff = template_diff(revision_template(old), revision_template(new),
                                 state["currentRevision"], state["updateRevision"])
    diagnosis, unreadable = diagnose_set(run.conn, sts, pods)
    from ...core.rollout.batches import batch_size, describe_line
    from .batches import observe
    honours = observe(run, sts, ask=False)    # the plan only reads: no dry-run update
    batch = batch_size(state, honours["honoured"])
    shown = describe_line(state, honours) if state["strategy"] == "RollingUpdate" else None
    if output is not None:
        from ...core.rollout.stuck import rollout_verdict as stuck_verdict
        stuck = stuck_verdict(state["name"], {
            "current": state["currentRevision"], "update": state["updateRevision"],
            "rolloutInProgress": state["currentRevision"] != state["updateRevision"]},
            diagnosis)
        click.echo(_document(run, sts, state, pods, batch, honours, stuck, output))
        return 0
    click.echo(render_plan(state, describe_plan(state, step=batch), diff, shown, batch))
    click.echo("")
    for line in _order_lines(sts, state, pods) + _check_lines(run, state):
        click.echo(line)
    click.echo("")
    click.echo(render_ordinals(sts, pods, diagnosis=diagnosis))
    click.echo("")
    for what in unreadable:             # the diagnosis goes without it (status's words)
        click.echo("Not shown: %s" % what)
    verdict = rollout_verdict(state["name"], {
        "current": state["currentRevision"], "update": state["updateRevision"],
        "rolloutInProgress": state["currentRevision"] != state["updateRevision"]}, diagnosis)
    lines = ([verdict_line(verdict), ""] if verdict else []) + problem_lines(
        [dict(row, next=remedy_line(row)) for row in diagnosis["problems"]
         if row["verdict"] != "progressing"], verdict)
    for line in lines + ([""] if lines and lines[-1] else []):
        click.echo(line)
    if verdict is None:
        click.echo(next_command(state))
    return 0


def _order_lines(sts: Dict[str, Any], state: Dict[str, Any], pods: List[Dict[str, Any]]) -> List[str]:
    """The order of ordinals: the controller's (RollingUpdate), or the one an OnDelete run
    follows (recorded on the set by --order/--leader-last, else highest first)."""
    from ...core.rollout.order import describe_leader as describe, outdated, plan_lines, recorded
    from ...k8s.statefulset import ordinals
    saved = recorded(state["saved"], state["updateRevision"])
    return plan_lines(state, outdated(state, pods), list(ordinals(sts)), saved.get("order"),
                      describe(saved.get("leader")))


def _check_lines(run: Rollout, state: Obj) -> List[str]:
    """The checks a step runs: this run's flags', else those recorded on the set."""
    from ...core.rollout.checks import plan_lines, recorded_checks
    if run.checks:
        return plan_lines(run.checks, run.check_timeout)
    recorded = recorded_checks(state["saved"], state["updateRevision"])
    if not recorded:
        return []
    return ["recorded on %s for this rollout (a `--step` without checks runs them):"
            % run.name] + plan_lines(recorded["checks"], recorded["checkTimeout"])


def _document(run: Rollout, sts: Obj, state: Obj, pods: List[Obj], batch: int, honours: Obj,
              stuck: Optional[Obj], output: Any) -> str:
    """The RolloutPlan document (core/rollout/document.py) in the -o format."""
    from ...core.rollout import describe_plan, next_command
    from ...core.rollout.checks import recorded_checks
    from ...core.rollout.document import order_document, plan_document
    from ...core.rollout.order import arranged, outdated, recorded
    from ...k8s.statefulset import ordinals
    from ...printers.formats import print_document
    saved = recorded(state["saved"], state["updateRevision"])
    leader = saved.get("leader")
    order = order_document(state, outdated(state, pods),
                           arranged(saved.get("order"), list(ordinals(sts)), None),
                           saved.get("order"),
                           (leader.get("local") or leader.get("exec")) if leader else None)
    checks, timeout, source = run.checks, run.check_timeout, "flags" if run.checks else None
    if not checks:
        kept = recorded_checks(state["saved"], state["updateRevision"])
        if kept:
            checks, timeout, source = kept["checks"], kept["checkTimeout"], "recorded"
    doc = plan_document(state, describe_plan(state, step=batch), batch, honours, order,
                        checks, timeout, source, stuck, next_command(state))
    return print_document(doc, output, lambda _: "statefulset.apps/%s" % run.name)

"""`--undo` (and `--on-failure=undo`): restore the current revision's template, delete the pod
the controller would wait for forever (the forced rollback, asked before any write), then
bring the updated ordinals back step by step."""

from typing import Any, Dict

import click

from ...errors import EXIT_ROLLOUT_FAILED, Refused, StsError
from .session import Rollout

Obj = Dict[str, Any]


def _blocker_line(run: Rollout, pod: Obj, policy: str) -> str:
    from ...core.rollout import pod_failure, pod_revision
    why = pod_failure(pod)
    return ("%s runs revision %s and is not Ready (%s); the controller will not replace it "
            "by itself under %s." % (pod["metadata"]["name"], pod_revision(pod) or "?",
                                     why["reason"] if why else "not Ready", policy))


def undo(run: Rollout) -> int:
    from ...core.rollout import restored, revision_template, rollout_state, undo_victim
    from .step import advance
    sts = run.read()
    state = rollout_state(sts)
    if state["strategy"] != "RollingUpdate":
        raise StsError("error: %s uses OnDelete; restore its template with kubectl "
                       "rollout undo, then step with --step" % run.name)
    pending = state["updateRevision"] != state["currentRevision"]
    restored_revision = state["currentRevision"] if pending else state["updateRevision"]
    # The plan, and the question, come before any write: the pod this undo will have to
    # delete is the one that blocks the controller now (it runs the revision being undone).
    victim = undo_victim(state, run.pods(sts), restored_revision)
    agreed = None
    if victim is not None:
        click.echo(_blocker_line(run, victim, state["podManagementPolicy"]))
        if run.dry_run == "none":
            question = "undo will delete pod %s so it is recreated from the restored " \
                       "template; go on?" % victim["metadata"]["name"]
            if not run.confirm(question):
                raise Refused("error: undo cancelled; nothing was changed")
            agreed = victim["metadata"]["uid"]
    if pending:
        template = revision_template(_revision(run, sts, state["currentRevision"]))
        run.write(sts, lambda fresh: restored(fresh, template, state["updateRevision"],
                                              state["currentRevision"]),
                  "restore the template of revision %s and hold the partition"
                  % state["currentRevision"])
        if run.dry_run != "none":
            return 0
        click.echo("statefulset.apps/%s: template restored to %s; bringing updated "
                   "ordinals back" % (run.name, state["currentRevision"]))
    elif run.dry_run != "none":
        click.echo("nothing to restore: the template already matches %s"
                   % state["currentRevision"])
        return 0
    run.watch(run.read())
    run.wait_observed()
    sts, pods = run.current()
    state = rollout_state(sts)
    victim = undo_victim(state, pods, state["updateRevision"])
    if victim is not None:
        name = victim["metadata"]["name"]
        if agreed != victim["metadata"]["uid"]:
            click.echo(_blocker_line(run, victim, state["podManagementPolicy"]))
            if not (run.yes or (run.can_ask() and click.confirm(
                    "delete pod %s so it is recreated from the restored template?" % name,
                    default=False))):
                click.echo("left %s in place; finish the undo with: kubectl sts rollout %s "
                           "--undo --yes" % (name, run.name), err=True)
                return EXIT_ROLLOUT_FAILED
        run.delete_pod(victim)
        click.echo('pod "%s" deleted' % name)
        run.wait_gone(victim)
    return advance(run, step=1, to=0, all_=False, single=False)


def _revision(run: Rollout, sts: Obj, name: str) -> Obj:
    revision = run.revisions(sts).get(name)
    if revision is None:
        raise StsError("error: the current revision %s no longer exists; cannot undo" % name)
    return revision

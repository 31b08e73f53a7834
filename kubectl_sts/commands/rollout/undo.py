"""`--undo` (and `--on-failure=undo`): restore the current revision's template, then bring the
updated ordinals back step by step. The pods the controller would wait for forever (they fail
at the revision being undone: core.diagnosis, stuck) are deleted, after one question asked
before any write; a pod that is only starting is left to start, and deleted by the gate only
if it fails too (gate.py)."""

import time
from typing import Any, Dict, List

import click

from ...errors import Refused, StsError
from .session import Rollout

Obj = Dict[str, Any]


def blocker_line(pod: Obj, policy: str) -> str:
    from ...core.rollout import pod_failure, pod_revision
    why = pod_failure(pod)
    return ("%s runs revision %s and fails (%s); the controller will not replace it by "
            "itself under %s." % (pod["metadata"]["name"], pod_revision(pod) or "?",
                                  why["reason"] if why else "not Ready", policy))


def undo(run: Rollout) -> int:
    from ...core.rollout import restored, revision_template, rollout_state, undo_victims
    from .step import advance
    sts = run.read()
    state = rollout_state(sts)
    if state["strategy"] != "RollingUpdate":
        raise StsError("error: %s uses OnDelete; restore its template with kubectl "
                       "rollout undo, then step with --step" % run.name)
    pending = state["updateRevision"] != state["currentRevision"]
    restored_revision = state["currentRevision"] if pending else state["updateRevision"]
    # The plan, and the question, come before any write: the pods this undo will have to
    # delete are those that fail at the revision being undone.
    victims: List[Obj] = undo_victims(sts, run.pods(sts), restored_revision,
                                      run.server_minor(), time.time())
    if not pending and not victims and state["effectivePartition"] == 0:
        click.echo("nothing to undo: %s has no rollout in progress and no ordinal the "
                   "controller waits for" % run.name)
        return 0
    for victim in victims:
        click.echo(blocker_line(victim, state["podManagementPolicy"]))
    if victims and run.dry_run == "none":
        names = ", ".join(v["metadata"]["name"] for v in victims)
        if not run.confirm("undo will delete pod%s %s so %s recreated from the restored "
                           "template; go on?" % ("s" if len(victims) > 1 else "", names,
                                                 "they are" if len(victims) > 1 else "it is")):
            raise Refused("error: undo cancelled; nothing was changed")
        run.agreed |= {v["metadata"]["uid"] for v in victims}
    run.undoing = True
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
    return advance(run, step=1, to=0, all_=False, single=False)


def _revision(run: Rollout, sts: Obj, name: str) -> Obj:
    revision = run.revisions(sts).get(name)
    if revision is None:
        raise StsError("error: the current revision %s no longer exists; cannot undo" % name)
    return revision

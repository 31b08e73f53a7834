"""`--step` / `--all` under OnDelete: delete outdated pods one at a time, highest ordinal
first, each replacement behind the health gate."""

from typing import Any, Dict, Optional

import click

from ..checks import run_checks
from .gate import gate
from .session import Rollout, StepFailed


def advance_ondelete(run: Rollout, sts: Dict[str, Any], count: Optional[int]) -> int:
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
        ordinal = pod_ordinal(run.name, name)
        checked = run.current()[0]
        failure = run_checks(run, checked, [] if ordinal is None else [ordinal],
                             rollout_state(sts)["partition"])
        if failure is not None:
            raise StepFailed(checked, failure)
        done += 1
    sts, pods = run.current()
    run.report(finished=ondelete_next(sts, pods) is None and done > 0)
    return 0

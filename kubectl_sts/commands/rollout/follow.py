"""`--status` / `--watch`: follow a rollout someone else drives, until it is complete."""

import click

from ...errors import WaitTimeout, reworded
from .session import fmt


def follow(run):
    from ...core.rollout import follow_verdict
    from ...client.watch import Verdict, wait
    run.watch(run.read())

    def judge(snapshot, now):
        done, line = follow_verdict(run.current(snapshot)[0])
        return Verdict(done=done, line=line)

    printed = []

    def say(line):
        printed.append(line)
        click.echo(line)
    outcome = wait(run.watcher, judge, run.timeout or 300, say)
    if outcome.ok:
        if not printed or printed[-1] != outcome.verdict.line:
            click.echo(outcome.verdict.line)
        click.echo("rollout of %s complete" % run.name)
        return 0
    if outcome.state == "unreachable":
        raise reworded(outcome.error, "error: gave up after %s following the rollout of %s: "
                       "%s" % (fmt(run.timeout), run.name, outcome.why or "no answer"))
    raise WaitTimeout("error: timed out after %s following the rollout of %s (%s)"
                      % (fmt(run.timeout), run.name, outcome.verdict.line))

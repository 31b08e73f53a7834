"""`--status` / `--watch`: follow a rollout someone else drives, until it is complete."""

from typing import Any, Dict, List

import click

from ...errors import WaitTimeout, reworded
from .session import Rollout, fmt


def follow(run: Rollout) -> int:
    from ...core.rollout import follow_verdict
    from ...client.watch import Verdict, wait
    run.watch(run.read())

    def judge(snapshot: Dict[str, Dict[str, Any]], now: float) -> Verdict:
        done, line = follow_verdict(run.current(snapshot)[0])
        return Verdict(done=done, line=line)

    printed: List[str] = []

    def say(line: str) -> None:
        printed.append(line)
        click.echo(line)
    outcome = wait(run.watching(), judge, run.timeout or 300, say)
    if outcome.ok:
        assert outcome.verdict is not None
        if not printed or printed[-1] != outcome.verdict.line:
            click.echo(outcome.verdict.line)
        click.echo("rollout of %s complete" % run.name)
        return 0
    if outcome.state == "unreachable":
        assert outcome.error is not None
        raise reworded(outcome.error, "error: gave up after %s following the rollout of %s: "
                       "%s" % (fmt(run.timeout), run.name, outcome.why or "no answer"))
    assert outcome.verdict is not None
    raise WaitTimeout("error: timed out after %s following the rollout of %s (%s)"
                      % (fmt(run.timeout), run.name, outcome.verdict.line))

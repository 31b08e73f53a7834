"""`--status` / `--watch`: follow a rollout someone else drives, until it is complete. It fails
fast (exit 9) on what `wait` fails fast on (core.diagnosis.fails_fast: an updated pod that
fails, a pod the controller will not replace), and a timeout names what the one diagnosis
says of the ordinals still waited for. Another writer that moves the partition back or
replaces the template (core/drift.py: since the set was first seen, or since this tool's
recorded rollout) fails it too (exit 6, the step gate's words), naming the writer from
managedFields; a partition another writer lowers is said once, on stderr."""

from typing import Any, Dict, List

import click

from ...errors import Conflict, PodFailed, WaitTimeout
from .session import Rollout, fmt


def follow(run: Rollout) -> int:
    from ...core.diagnosis import Facts, diagnose, fails_fast, headline, remedy_line
    from ...core.rollout import follow_verdict
    from ...core.rollout.stuck import set_verdict, verdict_text
    from ...core.drift import drift, left_of, line as drift_line
    from ...client.watch import Verdict, wait
    first = run.read()
    run.watch(first)
    minor = run.server_minor()
    left = left_of(first)
    said: List[str] = []

    def judge(snapshot: Dict[str, Dict[str, Any]], now: float) -> Verdict:
        sts, pods = run.current(snapshot)
        moved = drift(left, sts)
        if any(c["blocks"] for c in moved):
            return Verdict(failed={"moved": drift_line(moved)})
        for change in moved:
            if change["message"] not in said:
                said.append(change["message"])
                click.echo("note: %s" % drift_line([change]), err=True)
        done, line = follow_verdict(sts)
        if not done:
            row = fails_fast(diagnose(Facts(sts=sts, pods=pods, server_minor=minor)))
            if row is not None:
                return Verdict(failed=row, line=line)
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
        for note in _problems(run):
            click.echo("note: %s" % note, err=True)
        return 0
    if outcome.state == "failed":
        assert outcome.verdict is not None
        row = outcome.verdict.failed
        if "moved" in row:
            raise Conflict("error: the rollout of %s cannot complete as it was driven: %s"
                           % (run.name, row["moved"]))
        sts, pods = run.current()
        verdict = set_verdict(sts, diagnose(Facts(sts=sts, pods=pods, server_minor=minor)))
        if verdict is not None and verdict["pod"] == row["pod"]:
            raise PodFailed("error: the rollout of %s cannot complete: %s" % (
                run.name, verdict_text(verdict)))
        fix = remedy_line(row)
        raise PodFailed("error: the rollout of %s cannot complete: %s%s" % (
            run.name, headline(row), "; next: %s" % fix if fix else ""))
    if outcome.state == "unreachable":
        assert outcome.error is not None
        raise outcome.error
    assert outcome.verdict is not None
    problems = _problems(run)
    raise WaitTimeout("error: timed out after %s following the rollout of %s (%s)%s"
                      % (fmt(run.timeout), run.name, outcome.verdict.line,
                         "; " + "; ".join(problems[:3]) if problems else ""))


def _problems(run: Rollout) -> List[str]:
    """What the one diagnosis (with nodes, PVs and budgets) says of the ordinals that are
    failing, blocked, down or stuck, a line each."""
    from ...core.diagnosis import headline
    from ..shell import diagnose_set
    sts, pods = run.current()
    diagnosis, unreadable = diagnose_set(run.conn, sts, pods)
    for what in unreadable:             # the diagnosis goes without it: said once
        if what not in run.unreadable:
            run.unreadable.add(what)
            click.echo("Not shown: %s" % what, err=True)
    return [headline(r) for r in diagnosis["problems"] if r["verdict"] != "progressing"]

"""`kubectl sts wait NAME`: a CI gate. Watches the set, its pods and its claims until the core
(core/wait.judge) says done (exit 0), failed (exit 9, fast), stalled or timed out (exit 10),
or, under OnDelete with --ondelete=report, which pods still wait to be deleted (exit 12), or
that another writer replaced the template or moved the partition back under it (exit 6, the
words of `rollout --status` and the step gate: core/drift.py). Progress goes to stderr;
stdout carries only the result."""

from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional

import click

from ..errors import Conflict, DeletePending, NotFound, PodFailed, WaitTimeout
from .shell import Progress, connect, core_path, get_statefulset, sts_path
from .options import Duration, OneOf, name_argument, output_option

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..printers.formats import Output

Obj = Dict[str, Any]


class WaitOptions(NamedTuple):
    name: str
    mode: str
    timeout_s: float
    deadline_s: float
    ondelete: str
    output: "Output"


@click.command()
@name_argument()
@click.option("--for", "mode", type=OneOf(["rollout", "ready", "deleted"]), default="rollout",
              show_default=True, help="rollout: every ordinal Ready and available at the "
              "update revision (from the partition up); ready: every ordinal Ready and "
              "available; deleted: the StatefulSet is gone.")
@click.option("--timeout", "timeout_s", type=Duration(), default="10m", show_default=True,
              metavar="DURATION", help="Give up after this long (exit 10).")
@click.option("--progress-deadline", "deadline_s", type=Duration(), default="5m",
              show_default=True, metavar="DURATION", help="Fail (exit 10) when nothing moved "
              "for this long; unschedulable pods and Pending claims fail (exit 9) after it.")
@click.option("--ondelete", type=OneOf(["wait", "report"]), default="wait", show_default=True,
              help="Under OnDelete: wait for someone to delete the old pods, or list them and "
              "exit 12.")
@output_option(("json", "yaml"))
@click.pass_context
def wait(ctx: click.Context, **flags: Any) -> int:
    """Wait until a StatefulSet's rollout is done; fail fast when it cannot be (for CI).

    Done (exit 0) when the controller has observed the latest generation and every ordinal
    exists, is Ready and available, and (for rollout) runs the update revision from the
    partition up. Fails at once (exit 9) when an updated pod crash-loops, cannot pull its
    image or its config (with the pod, container, reason and message), or the set is in the
    OrderedReady forced-rollback trap; an unschedulable pod or a Pending claim fails after
    the progress deadline. Exit 10 when nothing changed for the progress deadline, or at
    --timeout. Exit 6 when another writer replaces the template or moves the partition
    back under it (named from managedFields). Watches only; progress on stderr, the result
    on stdout.

    \b
    Examples:
      # A CI step after `kubectl apply`
      kubectl sts wait web --timeout 10m

    \b
      # Every ordinal Ready, whatever the revision; a JSON result
      kubectl sts wait web --for ready -o json"""
    options = validate(WaitOptions(**flags))
    return run(connect(ctx), options)


def validate(options: WaitOptions) -> WaitOptions:
    return options          # click checks each flag; no combination is refused


def run(conn: "Connection", options: WaitOptions) -> int:
    from ..client.watch import Verdict, Watch, wait
    from ..core.labels import selector_string
    from ..core.wait import judge, new_book
    name, mode = options.name, options.mode
    ns = conn.namespace
    progress = Progress(err=True)
    try:
        sts = get_statefulset(conn, ns, name)
    except NotFound:
        if mode == "deleted":
            return finish(conn, options, {"state": "done", "message": "deleted"}, None)
        raise
    selector = sts["spec"].get("selector") or {}
    collections: Dict[str, Any] = {
        "sets": (sts_path(ns), {"fieldSelector": "metadata.name=%s" % name})}
    if mode != "deleted":
        collections["pods"] = (core_path(ns, "pods"),
                               {"labelSelector": selector_string(selector)})
        collections["claims"] = (core_path(ns, "persistentvolumeclaims"), {
            "labelSelector": selector_string({"matchLabels": selector.get("matchLabels")
                                              or {}})})
    book = new_book()
    last: Dict[str, Any] = {}
    said: List[str] = []

    def judged(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        current = snapshot["sets"].get(name)
        result = judge(current, list(snapshot.get("pods", {}).values()),
                       list(snapshot.get("claims", {}).values()), mode,
                       options.ondelete, now, book, options.deadline_s)
        last["result"], last["sts"] = result, current
        last["pods"] = list(snapshot.get("pods", {}).values())
        last["claims"] = list(snapshot.get("claims", {}).values())
        for moved in result.get("moved") or []:     # said once, when first seen
            if moved not in said and result["state"] != "moved":    # (the error says it)
                said.append(moved)
                progress(None)
                click.echo("note: %s" % moved, err=True)
        if result["state"] in ("failed", "stalled", "pending-delete", "moved"):
            return Verdict(failed=result)
        return Verdict(done=result["state"] == "done", line=result["message"],
                       wake=result["wake"], result=result)
    with Watch(conn, **collections) as watch:
        outcome = wait(watch, judged, options.timeout_s, progress)
    progress(None)
    if outcome.state == "unreachable":
        assert outcome.error is not None    # the one message of server loss (exit 5)
        raise outcome.error
    if outcome.state == "done":
        assert outcome.verdict is not None
        return finish(conn, options, explain(conn, last, outcome.verdict.result or
                                             last["result"]), last.get("sts"))
    if outcome.state == "failed":
        assert outcome.verdict is not None
        return finish(conn, options, explain(conn, last, outcome.verdict.failed),
                      last.get("sts"))
    result = explain(conn, last, (outcome.verdict.result if outcome.verdict else None) or
                     last.get("result") or {"state": "waiting",
                                            "message": outcome.why or "no answer"})
    return finish(conn, options, dict(result, state="timeout", message="timed out after %gs: %s"
                                      % (options.timeout_s, result["message"])),
                  last.get("sts"))


def explain(conn: "Connection", last: Dict[str, Any], result: Obj) -> Obj:
    """The result with what the watches cannot see: the one diagnosis over the nodes, PVs and
    budgets too (shell.diagnose_set), read once at the end. A pod waited for gets its
    verdict's cause (a down node, a pinned volume); when done, the problems of pods that are
    Ready (a drain a budget blocks) become notes. A failure says its cause already."""
    from ..core.diagnosis import headline
    from ..core.status import PROBLEMS
    from ..core.wait import waiting_line
    sts = last.get("sts")
    if sts is None or result.get("state") in ("failed", "moved"):
        return result
    from .shell import diagnose_set
    diagnosis, unreadable = diagnose_set(conn, sts, last.get("pods") or [], last.get("claims"))
    for what in unreadable:             # the diagnosis goes without it (status's words)
        click.echo("Not shown: %s" % what, err=True)
    problems = {row["pod"]: row for row in diagnosis["problems"] if row["verdict"] in PROBLEMS}
    if result.get("state") == "done":
        return dict(result, notes=[headline(row) for row in problems.values()])
    waiting = [dict(w, why="%s: %s" % (problems[w["pod"]]["verdict"],
                                       problems[w["pod"]]["cause"]))
               if w.get("pod") in problems else w for w in result.get("waiting") or []]
    line = waiting_line(waiting)
    message = result["message"]
    if line and waiting != (result.get("waiting") or []):
        prefix = message.split(": ", 1)[0] + ": " if message.startswith("no progress") else ""
        message = prefix + line
    return dict(result, waiting=waiting, message=message)


def finish(conn: "Connection", options: WaitOptions, result: Obj, sts: Optional[Obj]) -> int:
    """Print the result (a WaitResult document with -o); its exit code, or its error."""
    name, mode, output = options.name, options.mode, options.output
    state = result["state"]
    if not output.table:
        from ..printers.formats import print_document
        doc = {"apiVersion": "kubectl-sts/v1", "kind": "WaitResult", "name": name,
               "namespace": conn.namespace, "for": mode, "result": state,
               "message": result["message"],
               "waiting": [w for w in result.get("waiting") or []],
               "failure": result.get("failure"), "toDelete": result.get("toDelete", []),
               "notes": result.get("notes", []), "moved": result.get("moved", []),
               "revision": ((sts or {}).get("status") or {}).get("updateRevision")}
        click.echo(print_document(doc, output, lambda _: "statefulset.apps/%s" % name))
    if state == "done":
        for note in result.get("notes") or []:
            click.echo("note: %s" % note, err=True)
        if output.table and mode == "deleted":
            click.echo("statefulset.apps/%s deleted" % name)
        elif output.table:
            click.echo("statefulset.apps/%s %s: %s" % (
                name, "rolled out" if mode == "rollout" else "ready", result["message"]))
        return 0
    if state == "failed":
        raise PodFailed("error: %s%s" % (result["message"], last_events(conn, result)))
    if state == "moved":
        raise Conflict("error: the rollout of %s cannot complete as it was driven: %s"
                       % (name, result["message"]))
    if state == "pending-delete":
        raise DeletePending("error: %s" % result["message"])
    raise WaitTimeout("error: %s" % result["message"])


def last_events(conn: "Connection", result: Obj) -> str:
    """The failing pod's last warning events, in one clause (one GET)."""
    pod = (result.get("failure") or {}).get("pod")
    if not pod:
        return ""
    try:
        events = conn.get(core_path(conn.namespace, "events"), fieldSelector=(
            "involvedObject.name=%s,type=Warning" % pod))["items"]
    except Exception:
        return ""
    events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
    recent = ["%s: %s" % (e.get("reason"), (e.get("message") or "").strip())
              for e in events[-2:]]
    return "; last events: %s" % " | ".join(recent) if recent else ""

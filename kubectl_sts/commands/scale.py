"""`kubectl sts scale NAME --replicas N`: safe scale-down (and up) with a PVC report.

Reads the set, its pods, its claims, the PVs behind them and the namespace's
PodDisruptionBudgets; shows the plan; asks; writes `replicas` through the /scale subresource
with the resourceVersion the plan was made from; waits with watches; reports every claim."""

import functools
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional

import click

from ..errors import (Conflict, PodFailed, Refused, ServerError, StsError, TransportError,
                      WaitTimeout, interrupt_code, reworded)
from .shell import check_writes, confirm, connect, core_path, now_utc, read_set, sts_path
from .options import (Duration, Integer, dry_run_option, lock_options, name_argument,
                      no_headers_option, output_option)

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..printers.formats import Output

Obj = Dict[str, Any]


class ScaleOptions(NamedTuple):
    name: str
    replicas: int
    min_replicas: Optional[int]
    force: bool
    yes: bool
    dry_run: str
    output: "Output"
    timeout_s: float
    wait: bool
    wait_lock: Optional[float] = None


@click.command()
@name_argument()
@click.option("--replicas", type=Integer(min=0), required=True,
              help="The new replica count.")
@click.option("--min-replicas", type=Integer(min=0),
              help="Refuse to go below this many replicas (quorum) unless --force.")
@click.option("--force", is_flag=True, help="Go ahead despite a refusing risk (PDB, "
              "--min-replicas, a controller that owns replicas and puts them back: Flux, "
              "Argo CD, an HPA), and take over the set's lock from another kubectl-sts "
              "operation.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show the plan only (client), or also send the write with dryRun=All.")
@output_option(("json", "yaml", "name", "jsonpath"))
@click.option("--timeout", "timeout_s", type=Duration(), default="5m", show_default=True,
              metavar="DURATION",
              help="How long to wait for the pods to go.")
@click.option("--wait/--no-wait", default=True, show_default=True,
              help="Wait until the controller has finished.")
@no_headers_option
@lock_options(force=False)
@click.pass_context
def scale(ctx: click.Context, **flags: Any) -> int:
    """Scale safely: which pods go, which PVCs are kept or deleted, then wait.

    The plan (pods removed, claims kept or deleted by the retention policy, PDBs, quorum) is
    shown first and asked for; the write carries the resourceVersion the plan was made from;
    the wait uses watches and says which pod blocks it.

    \b
    Examples:
      # Scale web down to 2 replicas, after showing the plan
      kubectl sts scale web --replicas 2

    \b
      # The plan only
      kubectl sts scale web --replicas 2 --dry-run

    \b
      # Refuse to go below a quorum of 2; no question asked
      kubectl sts scale web --replicas 1 --min-replicas 2 --yes"""
    options = validate(ScaleOptions(**flags))
    return run(connect(ctx), options)


def validate(options: ScaleOptions) -> ScaleOptions:
    return options          # click checks each flag; no combination is refused


def run(conn: "Connection", options: ScaleOptions) -> int:
    """Hold the set's lock (commands/locking.py) while scaling."""
    from .locking import holding
    with holding(conn, options.name, "scale %s --replicas %d" % (options.name, options.replicas),
                 options.force, options.wait_lock, options.dry_run):
        return _run(conn, options)


def _run(conn: "Connection", options: ScaleOptions) -> int:
    # an API server restart is waited for
    conn.retry_budget = options.timeout_s or conn.retry_budget
    progress = {"write": "not sent"}
    try:
        return _scale(conn, options, progress)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        explain_interruption(conn, options.name, options.replicas, progress["write"])
        return interrupt_code(exc)


def explain_interruption(conn: "Connection", name: str, replicas: int, write: str) -> None:
    """Where the set stands after Ctrl-C/SIGTERM, and the command that continues."""
    click.echo("", err=True)
    if write == "not sent":
        click.echo("interrupted before the write: nothing was changed", err=True)
        click.echo("continue with: kubectl sts scale %s --replicas %d" % (name, replicas),
                   err=True)
        return
    if write == "in flight":        # it happened or not: ask the API server (briefly)
        try:
            live = conn.request("GET", sts_path(conn.namespace, name), retry_budget=3,
                                timeout=(3, 5))["spec"].get("replicas", 1)
        except (StsError, KeyboardInterrupt, KeyError, TypeError):
            click.echo("interrupted while writing replicas=%d: it may or may not have been "
                       "applied; see with: kubectl sts status %s" % (replicas, name), err=True)
            return
        if live != replicas:
            click.echo("interrupted during the write: replicas is still %d; nothing was "
                       "changed" % live, err=True)
            click.echo("continue with: kubectl sts scale %s --replicas %d" % (name, replicas),
                       err=True)
            return
    click.echo("interrupted: replicas is %d; the controller continues on its own; watch with "
               "kubectl sts status %s" % (replicas, name), err=True)


def _scale(conn: "Connection", options: ScaleOptions, progress: Dict[str, str]) -> int:
    from ..core.scale import plan_scale
    from ..printers.scale import render_plan
    name, replicas, dry_run, output = options.name, options.replicas, options.dry_run, \
        options.output
    sts, pods, claims, pvs, pdbs, notes = read_set(conn, name)
    plan = plan_scale(sts, pods, claims, pvs, pdbs, replicas, now_utc(), options.min_replicas)
    plan["notes"] = notes
    document = not output.table
    if document:
        from ..printers.formats import print_document
        click.echo(print_document(plan, output, lambda _: "statefulset.apps/%s" % name))
    else:
        click.echo(render_plan(plan))
        for note in notes:
            click.echo("Note: %s" % note)
    # with -o json|yaml stdout carries the plan document only; progress goes to stderr
    say = functools.partial(click.echo, err=document)
    if plan["direction"] == "none":
        return 0
    if plan["refused"] and not options.force:
        raise Refused("error: refused: %s (use --force to override)"
                      % plan["refused"][0]["message"])
    # who else owns replicas (the set's managedFields, as read): warn, or refuse before any
    # write (and the lock) when it puts them back
    from ..core.fieldowners import FIELDS, ownership
    lines, blocked = ownership(sts, [FIELDS["replicas"]], options.force)
    if blocked:
        raise Refused(blocked)
    for line in lines:
        click.echo(line, err=True)
    if dry_run == "client":
        say("dry-run (client): would PUT %s/scale replicas=%d (resourceVersion %s)"
            % (sts_path(conn.namespace, name), replicas, plan["resourceVersion"]))
        return 0
    check_writes(conn, "scale", dry_run)
    if dry_run == "none" and not confirm("scale %s from %d to %d replicas?"
                                         % (name, plan["from"], replicas), options.yes):
        say("nothing changed")
        return 0
    if dry_run == "none":
        progress["write"] = "in flight"
    write_scale(conn, sts, replicas, dry_run == "server")
    if dry_run == "none":
        progress["write"] = "done"
    if dry_run == "server":
        say("dry-run (server): the API server accepted replicas=%d; nothing changed" % replicas)
        return 0
    say("statefulset.apps/%s scaled to %d" % (name, replicas))
    if not options.wait:
        return 0
    return wait_scaled(conn, sts, plan, options.timeout_s, say)


def write_scale(conn: "Connection", sts: Obj, replicas: int, server_dry_run: bool) -> None:
    meta = sts["metadata"]
    body = {"apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": meta["name"], "namespace": meta["namespace"],
                         "resourceVersion": meta["resourceVersion"]},
            "spec": {"replicas": replicas}}
    try:
        conn.request("PUT", sts_path(meta["namespace"], meta["name"]) + "/scale",
                     {"dryRun": "All"} if server_dry_run else None, body=body)
    except Conflict as exc:
        raise Conflict("error: statefulset %s changed after the plan was made; nothing was "
                       "changed: run the command again to see the new plan" % meta["name"],
                       status=409, reason=exc.reason) from exc
    except (TransportError, ServerError) as exc:
        if isinstance(exc, ServerError) or exc.phase == "sent":
            # never repeated: the write may have been applied
            raise reworded(exc, "%s; replicas=%d may or may not have been applied: see with "
                           "kubectl sts status %s" % (exc.message, replicas, meta["name"]))
        raise


def wait_scaled(conn: "Connection", sts: Obj, plan: Obj, timeout: float,
                say: Callable[..., None] = click.echo) -> int:
    """Wait, with watches, until the controller has done what the plan says; report."""
    from ..core.labels import selector_string
    from ..core.scale import scale_progress
    from ..k8s.statefulset import pod_ordinal
    from ..client.watch import Verdict, Watch, wait
    ns, name = plan["namespace"], plan["name"]
    watch = Watch(conn,
                  pods=(core_path(ns, "pods"),
                        {"labelSelector": selector_string(sts["spec"]["selector"])}),
                  claims=(core_path(ns, "persistentvolumeclaims"), {}))

    def settled(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        progress = scale_progress(plan, snapshot["pods"].values())
        if progress["done"]:
            return Verdict(done=True)
        current = {pod_ordinal(name, p["metadata"]["name"]): p
                   for p in snapshot["pods"].values()}
        return Verdict(failed=blocker(plan, current, progress["leaving"], progress["unready"]),
                       line=progress["line"])

    # claims the policy deletes go after their pods: wait for them too (bounded)
    doomed = {c["name"] for c in plan["claims"] if c["action"] == "delete"}

    def claims_gone(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
        return Verdict(done=not doomed & set(snapshot["claims"]))

    deadline = time.monotonic() + timeout
    with watch:
        outcome = wait(watch, settled, timeout, say)
        if outcome.state == "unreachable":
            assert outcome.error is not None        # an unreachable wait says how
            raise reworded(outcome.error, "%s; replicas is %d; the controller continues on "
                           "its own; watch with kubectl sts status %s"
                           % (outcome.error.message, plan["to"], name))
        if outcome.state == "failed":
            assert outcome.verdict is not None
            report_claims(plan, watch.snapshot()["claims"], say)
            raise PodFailed("error: %s" % outcome.verdict.failed)
        if outcome.state == "timeout":
            assert outcome.verdict is not None and outcome.verdict.line is not None
            report_claims(plan, watch.snapshot()["claims"], say)
            raise WaitTimeout("error: timed out: %s"
                              % outcome.verdict.line[len("waiting: "):])
        if doomed:
            wait(watch, claims_gone, max(0.0, deadline - time.monotonic()))
        report_claims(plan, watch.snapshot()["claims"], say)
        return 0


def blocker(plan: Obj, current: Dict[Optional[int], Obj], leaving: List[int],
            missing: List[int]) -> Optional[str]:
    """The unhealthy-pod case: under OrderedReady a failing remaining pod blocks the
    controller from removing any pod; say which."""
    from ..core.rollout import pod_failure
    if not leaving or plan["podManagementPolicy"] != "OrderedReady":
        return None
    for ordinal in missing:
        pod = current.get(ordinal)
        if pod is None:
            continue
        failure = pod_failure(pod)
        if failure:
            return ("blocked: the controller will not remove %s while %s is not Ready "
                    "(%s). Fix %s (or delete it) and the scale-down continues by itself."
                    % (", ".join("%s-%d" % (plan["name"], o) for o in leaving),
                       pod["metadata"]["name"], failure["reason"], pod["metadata"]["name"]))
    return None


def report_claims(plan: Obj, live_claims: Dict[str, Obj], say: Callable[..., None]) -> None:
    """What became of every claim of the plan."""
    from ..printers.scale import render_claims_report
    lines = render_claims_report(plan, live_claims)
    if lines:
        say("PVCs:")
        say("\n".join(lines))

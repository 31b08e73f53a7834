"""`kubectl sts repair NAME --ordinal K`: diagnose one stuck ordinal (read only, always
first), show the remedy as a plan, apply it after confirmation, then wait (watches) until the
ordinal is Ready again.

Reads, together: the set, the pod, the ordinal's claims, the nodes, the PVs, the pod's events.
Writes (one remedy): the node's out-of-service taint (resourceVersion precondition); or the
pod deleted with grace period 0 (uid precondition); or, with --fresh-volume, the PV set to
Retain, then the claims and the pod deleted (uid preconditions); or the pod deleted (the
forced-rollback trap)."""

import functools
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import click

from ..errors import (ApiError, Conflict, PodFailed, Refused, StsError, TransportError,
                      UsageError, WaitTimeout, reworded)
from ..k8s.taints import OUT_OF_SERVICE
from .shell import (check_writes, confirm, connect, core_path, delete_options, get_statefulset,
                    wait_new_incarnation)
from .options import Duration, Integer, dry_run_option, lock_options, name_argument

if TYPE_CHECKING:
    from ..client.connection import Connection

Obj = Dict[str, Any]
Step = Tuple[str, Callable[[bool], Any]]      # what the plan says, and the write (dry: bool)

TAINT = {"key": OUT_OF_SERVICE, "value": "nodeshutdown",
         "effect": "NoExecute"}


class RepairOptions(NamedTuple):
    name: str
    ordinal: int
    min_down: float
    force_delete: bool
    fresh_volume: bool
    keep_volume: bool
    untaint: bool
    timeout_s: float
    yes: bool
    dry_run: str
    wait_lock: Optional[float] = None
    force: bool = False


@click.command()
@name_argument()
@click.option("--ordinal", type=Integer(min=0), required=True, help="The ordinal to repair.")
@click.option("--min-down", type=Duration(), default="5m", show_default=True,
              metavar="DURATION", help="How long a node must have been NotReady/Unknown before "
              "it is treated as down.")
@click.option("--force-delete", is_flag=True, help="For a pod on a down node: delete it with "
              "grace period 0 instead of tainting the node.")
@click.option("--fresh-volume", is_flag=True, help="For a pod whose volume is pinned to nodes "
              "that are gone: delete its claims and the pod so it starts on an empty volume "
              "(destructive).")
@click.option("--keep-volume/--no-keep-volume", default=True, show_default=True,
              help="With --fresh-volume: set the old PV's reclaim policy to Retain first.")
@click.option("--untaint", is_flag=True, help="Remove the out-of-service taint from the nodes "
              "that are Ready again.")
@click.option("--timeout", "timeout_s", type=Duration(), default="10m", show_default=True,
              metavar="DURATION", help="How long to wait for the ordinal to be Ready.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show the diagnosis and plan only (client), or also send the writes with "
                "dryRun=All (server).")
@lock_options(force=True)
@click.pass_context
def repair(ctx: click.Context, **flags: Any) -> int:
    """Diagnose one stuck ordinal and apply the remedy.

    The diagnosis (always first, read only) follows the chain pod -> node -> PVC -> PV and
    the last events. Remedies, each shown as a plan and confirmed:
    a pod on a node NotReady/Unknown for longer than --min-down (or gone): the node gets the
    out-of-service taint (non-graceful node shutdown: the pod is force-deleted and made again
    elsewhere), or with --force-delete the pod is deleted with grace period 0; a pod whose
    volume is pinned to nodes that are gone: --fresh-volume (destructive); the forced-rollback
    trap: the pod is deleted so it comes back at the wanted revision. Then it waits until the
    ordinal is Ready.

    \b
    Examples:
      # What is wrong with web-0 (no remedy applied without --yes at a terminal)
      kubectl sts repair web --ordinal 0 --dry-run

    \b
      # A node is back: remove the out-of-service taint
      kubectl sts repair web --ordinal 0 --untaint --yes"""
    options = validate(RepairOptions(**flags))
    return run(connect(ctx), options)


def validate(options: RepairOptions) -> RepairOptions:
    if options.force_delete and options.fresh_volume:
        raise UsageError("error: --force-delete and --fresh-volume cannot be used together")
    return options


REMEDIES = ("taint", "force-delete", "delete-pod", "fresh-volume")   # what repair can apply


def choose(row: Obj, force_delete: bool, fresh_volume: bool) -> Tuple[Optional[str], str]:
    """The remedy repair applies for a verdict of the one diagnosis (core.diagnosis), or None
    with why: only one the diagnosis says can work; --force-delete prefers the grace-0
    delete to the taint; --fresh-volume is applied only when asked for (it loses data)."""
    works = {r["kind"]: r for r in row["remedies"] if r["works"] and r["kind"] in REMEDIES}
    if fresh_volume:
        if "fresh-volume" in works:
            return "fresh-volume", ""
        return None, "--fresh-volume does not apply to %s" % row["pod"]
    for kind in (("force-delete", "taint") if force_delete else ("taint",)) + ("delete-pod",):
        if kind in works:
            return kind, ""
    if "fresh-volume" in works:
        return None, "needs --fresh-volume"
    return None, "no remedy applies"


def remedy_variant(remedy: str, keep_volume: bool) -> str:
    """The variant of repair (core/permissions.py) whose writes apply `remedy`."""
    if remedy == "fresh-volume":
        return "repair --fresh-volume" if keep_volume else "repair --fresh-volume --no-keep"
    return {"taint": "repair (taint)", "force-delete": "repair --force-delete"}.get(
        remedy, "repair (rollback)")


def ways_out(row: Obj) -> List[str]:
    """The lines that say what can work and, for what cannot, why not."""
    lines = []
    for r in row["remedies"]:
        if r["works"]:
            lines.append("  - %s%s" % (r["text"], ": %s" % r["command"] if r["command"] else ""))
        else:
            lines.append("  - not %s: %s" % (r["kind"], r["why"]))
    return lines


def run(conn: "Connection", options: RepairOptions) -> int:
    """Hold the set's lock (commands/locking.py) while it runs."""
    from .locking import holding
    with holding(conn, options.name, "repair %s --ordinal %d" % (options.name, options.ordinal),
                 options.force, options.wait_lock, options.dry_run):
        return _run(conn, options)


def _run(conn: "Connection", options: RepairOptions) -> int:
    """Read, diagnose (core.diagnosis), show the plan, ask, write, wait until Ready again."""
    from ..core.diagnosis import Facts, diagnose
    from ..core.rollout.stuck import set_verdict, verdict_text
    from .shell import server_minor
    session = Repair(conn, options.name, options.ordinal, options.timeout_s)
    pod_name, dry_run = session.pod_name, options.dry_run
    sts, pod, nodes, pvs, events, pods, claims, pdbs, version = session.read()
    if options.untaint:
        return session.untaint(nodes, options.yes, dry_run)
    diagnosis = diagnose(Facts(sts=sts, pods=pods, claims=claims, pvs=pvs,
                               nodes={n["metadata"]["name"]: n for n in nodes}, events=events,
                               pdbs=pdbs, now=time.time(), server_minor=server_minor(version),
                               min_down=options.min_down, explain=options.ordinal))
    row = next(r for r in diagnosis["ordinals"] if r["ordinal"] == options.ordinal)
    click.echo("Diagnosis of %s/%s:" % (session.ns, pod_name))
    for link in row["chain"]:
        kind, _, name = link["object"].partition("/")
        click.echo("  %s %s: %s" % ("PVC" if kind == "pvc" else kind, name, link["text"]))
    for ev in row["evidence"]:
        click.echo("  event %s %s (%s ago): %s" % (ev["type"], ev["reason"], ev["age"] or "?",
                                                   ev["message"][:160]))
    if row["verdict"] == "healthy":
        click.echo("%s is Ready: nothing to repair" % pod_name)
        return 0
    click.echo("%s %s: %s" % (pod_name, row["verdict"], row["cause"]))
    verdict = set_verdict(sts, diagnosis)
    if verdict is not None and verdict["pod"] == pod_name:
        click.echo(verdict_text(verdict))
    remedy, why = choose(row, options.force_delete, options.fresh_volume)
    if remedy is None:
        for line in ["What can work, and what cannot:"] + ways_out(row):
            click.echo(line)
        if why == "needs --fresh-volume":
            raise Refused("error: refused: %s needs --fresh-volume to start again on an "
                          "empty volume (the data of its claims is lost), or its node back; "
                          "nothing was changed" % pod_name)
        raise StsError("error: %s to %s (%s); nothing was changed" % (why, pod_name,
                                                                     row["verdict"]))
    plan = session.plan(remedy, pod, claims, pvs, options.keep_volume)
    node = ((pod or {}).get("spec") or {}).get("nodeName")    # taint, force-delete: the pod's
    click.echo("Plan:")
    for step in plan:
        click.echo("  " + step[0])
    if remedy == "force-delete":
        click.echo("Warning: a StatefulSet runs at most one pod per ordinal only if the old "
                   "one is really stopped: make sure node %s is off" % node)
    if dry_run == "client":
        click.echo("dry-run (client): nothing was sent")
        return 0
    check_writes(conn, remedy_variant(remedy, options.keep_volume), dry_run)
    if dry_run == "none" and not confirm("apply the remedy to %s?" % pod_name, options.yes):
        click.echo("nothing changed")
        return 0
    if dry_run == "server":
        for _, write in plan:
            write(True)
    else:
        session.apply(plan, continue_with(options))
    if dry_run == "server":
        click.echo("dry-run (server): the API server accepted the writes; nothing changed")
        return 0
    if remedy == "taint":
        click.echo("when node %s is back, remove the taint: kubectl sts repair %s --ordinal "
                   "%d --untaint" % (node, options.name, options.ordinal))
    return session.wait_ready((pod or {}).get("metadata", {}).get("uid"))


def continue_with(options: RepairOptions) -> str:
    """The command that continues a repair stopped mid-way (it diagnoses again)."""
    return "kubectl sts repair %s --ordinal %d%s%s%s" % (
        options.name, options.ordinal, " --force-delete" if options.force_delete else "",
        " --fresh-volume" if options.fresh_volume else "",
        " --no-keep-volume" if options.fresh_volume and not options.keep_volume else "")


class Repair:
    """One ordinal's repair: its reads, the remedies' writes, and the wait."""

    def __init__(self, conn: "Connection", name: str, ordinal: int, timeout: float) -> None:
        self.conn, self.name, self.ordinal, self.timeout = conn, name, ordinal, timeout
        self.ns = conn.namespace
        self.pod_name = "%s-%d" % (name, ordinal)
        self.deleting: Optional[Tuple[str, str]] = None     # the DELETE being sent: path, uid

    def read(self) -> Tuple[Obj, Optional[Obj], List[Obj], Dict[str, Obj], List[Obj],
                            List[Obj], List[Obj], Optional[List[Obj]], Optional[Obj]]:
        from ..k8s import statefulset as facts
        from ..client.connection import concurrently
        from ..client.paths import path
        from .shell import first_reads, get_or_none
        sts = get_statefulset(self.conn, self.ns, self.name)
        if self.ordinal not in facts.ordinals(sts):
            raise UsageError("error: ordinal %d is outside the range of %s" % (self.ordinal,
                                                                              self.name))

        names = [facts.claim_name(t, self.name, self.ordinal) for t in facts.claim_templates(sts)]
        results = concurrently(
            get_or_none(self.conn, core_path(self.ns, "pods", self.pod_name)),
            lambda: self.conn.get(path("nodes"))["items"],
            lambda: self.conn.get(path("persistentvolumes"))["items"],
            lambda: self.conn.get(core_path(self.ns, "events"), fieldSelector=(
                "involvedObject.name=%s" % self.pod_name))["items"],
            lambda: self.conn.get(core_path(self.ns, "pods"), labelSelector=_selector(sts))[
                "items"],
            *first_reads(self.conn, self.ns),
            *[get_or_none(self.conn, core_path(self.ns, "persistentvolumeclaims", c))
              for c in names])
        the_pod, nodes, pvs, events, pods, pdbs, version = results[:7]
        claims = [c for c in results[7:] if c is not None]
        events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
        return sts, the_pod, nodes, {p["metadata"]["name"]: p for p in pvs}, events, pods, \
            claims, pdbs, version

    # -- the remedies ---------------------------------------------------------------------------
    def plan(self, remedy: str, pod: Optional[Obj], claims: List[Obj], pvs: Dict[str, Obj],
             keep_volume: bool) -> List[Step]:
        steps: List[Step] = []
        # the diagnosis names taint, force-delete and delete-pod for a pod it has read (one on
        # a node, or the forced-rollback trap's); gone between the list and the GET, it changed
        # under the plan
        if remedy in ("taint", "force-delete", "delete-pod") and pod is None:
            raise Conflict('error: pod %s is gone since the diagnosis read it; run the command '
                           'again' % self.pod_name, 409)
        if remedy == "taint":
            assert pod is not None
            node = pod["spec"]["nodeName"]
            steps.append(("taint node %s %s=%s:%s" % (node, TAINT["key"], TAINT["value"],
                                                      TAINT["effect"]),
                          functools.partial(self.taint, node)))
        elif remedy in ("force-delete", "delete-pod"):
            assert pod is not None
            grace = 0 if remedy == "force-delete" else None
            steps.append(("delete pod %s%s (uid %s)" % (
                self.pod_name, " --grace-period=0 --force" if grace == 0 else "",
                pod["metadata"]["uid"]), functools.partial(self.delete_pod, pod, grace)))
        elif remedy == "fresh-volume":
            for claim in claims:
                volume = claim["spec"].get("volumeName")
                if keep_volume and volume in pvs:
                    steps.append(("set PV %s persistentVolumeReclaimPolicy=Retain" % volume,
                                  functools.partial(self.retain, volume)))
                steps.append(("delete PVC %s (uid %s): its data stays on PV %s%s" % (
                    claim["metadata"]["name"], claim["metadata"]["uid"], volume,
                    "" if keep_volume else ", which is then deleted"),
                    functools.partial(self.delete_claim, claim)))
            if pod is not None:
                steps.append(("delete pod %s (uid %s): it comes back with a new, empty claim"
                              % (self.pod_name, pod["metadata"]["uid"]),
                              functools.partial(self.delete_pod, pod, None)))
        return steps

    def apply(self, plan: List[Step], command: str) -> None:
        """The plan's writes in order. One that fails (a reset, a 5xx, a refusal) ends the
        run with what was done and the command that continues; a delete whose answer was lost
        is read again to tell whether it was applied (then the run goes on: core.lost)."""
        from ..core.lost import may_have_been_applied
        done: List[str] = []
        for text, write in plan:
            self.deleting = None
            try:
                write(False)
            except (ApiError, TransportError) as exc:
                state = "not done"
                if may_have_been_applied(exc):
                    state = self.lost_delete() or "may have been applied"
                if state == "applied all the same":     # the answer only was lost: go on
                    click.echo("%s: the answer was lost (%s), but a fresh read shows it was "
                               "applied" % (text, exc.message), err=True)
                    done.append(text)
                    continue
                raise reworded(exc, "%s; %s: %s; done: %s; continue with: %s" % (
                    exc.message.rstrip("."), text, state, "; ".join(done) or "nothing",
                    command))
            done.append(text)

    def lost_delete(self) -> Optional[str]:
        """After a DELETE whose answer was lost: "applied all the same", "not done", or
        None when it cannot be told (not a delete, or the read fails too)."""
        from ..core.lost import pod_went
        from .shell import get_or_none
        if self.deleting is None:
            return None
        where, uid = self.deleting
        try:
            went = pod_went(get_or_none(self.conn, where)(), uid)
        except StsError:
            return None
        return "applied all the same" if went else "not done"

    def retain(self, volume: str, dry: bool) -> None:
        """The PV's reclaim policy set to Retain: its data outlives the claim."""
        from ..client.paths import path
        self.conn.request("PATCH", path("persistentvolumes", None, volume),
                          {"dryRun": "All"} if dry else None,
                          body={"spec": {"persistentVolumeReclaimPolicy": "Retain"}},
                          content_type="application/merge-patch+json")

    def delete_claim(self, claim: Obj, dry: bool) -> None:
        self.delete(core_path(self.ns, "persistentvolumeclaims", claim["metadata"]["name"]),
                    claim["metadata"]["uid"], None, dry)

    def taint(self, node_name: str, dry: bool) -> None:
        from ..client.paths import path
        node = self.conn.get(path("nodes", None, node_name))
        taints = [t for t in (node.get("spec") or {}).get("taints") or []
                  if t.get("key") != TAINT["key"]] + [dict(TAINT)]
        self.conn.request("PATCH", path("nodes", None, node_name),
                          {"dryRun": "All"} if dry else None,
                          body={"metadata": {"resourceVersion": node["metadata"]
                                             ["resourceVersion"]}, "spec": {"taints": taints}},
                          content_type="application/merge-patch+json")
        if not dry:
            click.echo("node/%s tainted %s=%s:%s" % (node_name, TAINT["key"], TAINT["value"],
                                                    TAINT["effect"]))

    def delete_pod(self, pod: Obj, grace: Optional[int], dry: bool) -> None:
        self.delete(core_path(self.ns, "pods", self.pod_name), pod["metadata"]["uid"], grace,
                    dry)

    def delete(self, where: str, uid: str, grace: Optional[int], dry: bool) -> None:
        self.deleting = (where, uid)
        self.conn.request("DELETE", where, {"dryRun": "All"} if dry else None,
                          body=delete_options(uid, grace=grace))
        if not dry:
            click.echo("%s deleted" % where.rsplit("/", 2)[-1])

    def untaint(self, nodes: List[Obj], yes: bool, dry_run: str) -> int:
        from ..client.paths import path
        from ..k8s.nodes import down_for, out_of_service
        back = [n for n in nodes if out_of_service(n) and down_for(n, time.time()) is None]
        still = [n["metadata"]["name"] for n in nodes if out_of_service(n) and n not in back]
        for name in still:
            click.echo("node %s is not Ready yet: its taint stays" % name)
        if not back:
            click.echo("no Ready node has the out-of-service taint: nothing to do")
            return 0
        names = [n["metadata"]["name"] for n in back]
        click.echo("Plan: remove the out-of-service taint from %s" % ", ".join(names))
        if dry_run == "client":
            click.echo("dry-run (client): nothing was sent")
            return 0
        check_writes(self.conn, "repair --untaint", dry_run)
        if dry_run == "none" and not confirm("remove the taint from %s?" % ", ".join(names),
                                             yes):
            click.echo("nothing changed")
            return 0
        for node in back:
            taints = [t for t in node["spec"].get("taints") or []
                      if t.get("key") != TAINT["key"]]
            self.conn.request("PATCH", path("nodes", None, node["metadata"]["name"]),
                              {"dryRun": "All"} if dry_run == "server" else None,
                              body={"metadata": {"resourceVersion":
                                                 node["metadata"]["resourceVersion"]},
                                    "spec": {"taints": taints or None}},
                              content_type="application/merge-patch+json")
            click.echo("node/%s untainted" % node["metadata"]["name"])
        return 0

    def wait_ready(self, old_uid: Optional[str]) -> int:
        outcome = wait_new_incarnation(self.conn, self.ns, self.pod_name, old_uid, 0,
                                       self.timeout, lambda line: click.echo(line, err=True),
                                       count_restarts=False)
        if outcome.state not in ("done", "failed"):
            raise WaitTimeout("error: timed out after %gs: %s" % (
                self.timeout, outcome.verdict.line if outcome.verdict else outcome.why))
        assert outcome.verdict is not None      # done or failed: the verdict says how
        if outcome.state == "failed":
            failure = outcome.verdict.failed
            raise PodFailed("error: %s came back but fails: %s: %s" % (
                self.pod_name, failure["reason"], failure.get("message") or "no message"))
        click.echo("%s is Ready again (node %s)" % (self.pod_name,
                                                   outcome.verdict.result["spec"]["nodeName"]))
        return 0


def _selector(sts: Obj) -> str:
    from ..core.labels import selector_string
    return selector_string(sts["spec"].get("selector"))


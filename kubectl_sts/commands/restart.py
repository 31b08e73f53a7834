"""`kubectl sts restart NAME`: restart pods one ordinal at a time through the Eviction API
(PodDisruptionBudgets respected), waiting with watches for each new incarnation to be Ready and
to stay Ready for --settle. No template write: no new ControllerRevision, no GitOps drift.

Reads: the set, then its pods and the namespace's PodDisruptionBudgets together. Writes: one
POST pods/NAME/eviction per ordinal, with the pod's uid as precondition."""

import functools
import time
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional, Tuple, Union

import click

from ..errors import (ApiError, Conflict, NotFound, PodFailed, Refused, StsError,
                      TooManyRequests, TransportError, UsageError, WaitTimeout, interrupt_code,
                      reworded)
from .shell import (check_writes, confirm, connect, core_path, delete_options, get_statefulset,
                    wait_new_incarnation)
from .options import (Duration, dry_run_option, lock_options, name_argument,
                      no_headers_option)

if TYPE_CHECKING:
    from ..client.connection import Connection

Obj = Dict[str, Any]

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 10.0


class RestartOptions(NamedTuple):
    name: str
    ordinals_text: Optional[str]
    all_: bool
    order: Union[str, List[int]]    # desc, asc, or the ordinals in order (validate)
    settle: float
    timeout_s: float
    force: bool
    yes: bool
    dry_run: str
    ordinals: Optional[List[int]] = None    # --ordinals parsed (validate); None: all
    wait_lock: Optional[float] = None
    leader_last: Optional[str] = None
    leader_exec: Optional[str] = None
    leader_pod: Optional[str] = None
    # the application checks after each restarted pod (issue 29; commands/rollout/checks.py)
    check: Tuple[str, ...] = ()
    check_exec: Tuple[str, ...] = ()
    check_http: Tuple[str, ...] = ()
    check_timeout: float = 120.0
    container: Optional[str] = None
    checks: Tuple[Obj, ...] = ()


@click.command()
@name_argument()
@click.option("--ordinals", "ordinals_text", metavar="LIST", help="The ordinals to restart, "
              "in this order (e.g. 3,1); default: all.")
@click.option("--all", "all_", is_flag=True, help="Every ordinal (the default).")
@click.option("--order", default="desc", show_default=True, metavar="desc|asc|LIST",
              help="The order of --all: highest ordinal first (as the controller updates), "
              "lowest first, or every ordinal in the order given (e.g. 2,0,1).")
@click.option("--leader-last", metavar="CMD", help="A local command (sh -c) that prints the "
              "leader's pod name; the leader is restarted last, asked again before its turn.")
@click.option("--leader-exec", metavar="CMD", help="As --leader-last, run in a pod "
              "(--leader-pod, --container) through the exec subresource.")
@click.option("--leader-pod", metavar="POD", help="The pod --leader-exec runs in (default: "
              "the lowest-ordinal Ready pod).")
@click.option("--settle", type=Duration(), default="0s", show_default=True, metavar="DURATION",
              help="How long each new pod must stay Ready, without a restart, before the next.")
@click.option("--timeout", "timeout_s", type=Duration(), default="5m", show_default=True,
              metavar="DURATION", help="How long one ordinal may take (the eviction's wait "
              "for a budget included).")
@click.option("--force", is_flag=True, help="Delete the pod (uid precondition) when no "
              "eviction can pass its PodDisruptionBudget; take over the set's lock from "
              "another kubectl-sts operation.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--check", "check", multiple=True, metavar="CMD", help="After each pod is back, "
              "run CMD here (sh -c, STS_* variables set) until it exits 0.")
@click.option("--check-exec", "check_exec", multiple=True, metavar="CMD", help="After each "
              "pod is back, run CMD in it (--container) until it exits 0.")
@click.option("--check-http", "check_http", multiple=True, metavar="[CONTAINER:]PORT/PATH",
              help="After each pod is back, GET PATH through its proxy until 2xx.")
@click.option("--check-timeout", type=Duration(), default="2m", show_default=True,
              metavar="DURATION", help="How long the checks may take to pass.")
@click.option("--container", metavar="NAME", help="The container --check-exec and "
              "--leader-exec run in (default: the pod's first).")
@dry_run_option("Show the plan only (client), or also send each eviction with dryRun=All "
                "(server).")
@no_headers_option
@lock_options(force=False)
@click.pass_context
def restart(ctx: click.Context, **flags: Any) -> int:
    """Restart a StatefulSet's pods one at a time, through the Eviction API.

    Each pod is evicted (a PodDisruptionBudget that allows no disruption now is waited for,
    never bypassed without --force), then its new incarnation must be Ready and stay Ready for
    --settle without a restart before the next ordinal; a failing pod stops the run (exit 9).
    Unlike `kubectl rollout restart`, the template is not written: no new revision, no drift
    for GitOps, and it works with any partition and under OnDelete. Each pod comes back at the
    revision the controller gives it (below a partition: the current revision).

    \b
    Examples:
      # Every ordinal, highest first, without asking
      kubectl sts restart web --yes

    \b
      # Two ordinals in this order; each must stay Ready 1s
      kubectl sts restart web --ordinals 2,0 --settle 1s --yes"""
    options = validate(RestartOptions(**flags))
    return run(connect(ctx), options)


def validate(options: RestartOptions) -> RestartOptions:
    from ..core.restart import PlanError, parse_order, parse_ordinals
    if options.all_ and options.ordinals_text:
        raise UsageError("error: --all and --ordinals cannot be used together")
    if options.leader_last and options.leader_exec:
        raise UsageError("error: choose one of --leader-last, --leader-exec")
    if options.leader_pod and not options.leader_exec:
        raise UsageError("error: --leader-pod only applies to --leader-exec")
    if options.container and not (options.leader_exec or options.check_exec):
        raise UsageError("error: --container only applies to --leader-exec and --check-exec")
    from ..core.rollout.checks import checks_from_flags
    try:
        checks = checks_from_flags(options.check, options.check_exec, options.check_http,
                                   options.container)
    except ValueError as exc:
        raise UsageError("error: %s" % exc)
    try:
        order = parse_order(str(options.order))
        if isinstance(order, list) and options.ordinals_text:
            raise PlanError("--order %s and --ordinals cannot be used together (--ordinals "
                            "restarts those it names, in its order)" % options.order)
        return options._replace(ordinals=parse_ordinals(options.ordinals_text), order=order,
                                checks=tuple(checks))
    except PlanError as exc:
        raise UsageError("error: %s" % exc)


def run(conn: "Connection", options: RestartOptions) -> int:
    """Hold the set's lock (commands/locking.py) while it runs."""
    from .checks import preflight
    from .locking import holding
    preflight(conn, options.checks)
    with holding(conn, options.name, "restart %s" % options.name, options.force,
                 options.wait_lock, options.dry_run):
        return _run(conn, options)


def _run(conn: "Connection", options: RestartOptions) -> int:
    session = Restart(conn, options.name, options.settle, options.timeout_s)
    session.checks, session.check_timeout = list(options.checks), options.check_timeout
    try:
        return _restart(session, options)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        session.explain_interruption()
        return interrupt_code(exc)
    except (ApiError, TransportError) as exc:    # a reset, a 5xx... after the writes began
        if not session.order or options.dry_run != "none":
            raise
        raise reworded(exc, "%s; %s" % (exc.message.rstrip("."),
                                        "; ".join(session.progress(exc))))


def _restart(session: "Restart", options: RestartOptions) -> int:
    """Plan, ask, then one ordinal at a time: evict (or delete), wait for the new pod."""
    from ..client.connection import concurrently
    from ..client.paths import path
    from ..core.labels import selector_string
    from ..core.restart import PlanError, leader_last, plan
    from ..core.rollout.order import reconcile_leader
    conn, ns, name, say = session.conn, session.ns, session.name, session.say
    dry_run = options.dry_run
    sts = get_statefulset(conn, ns, name)
    selector = selector_string(sts["spec"]["selector"])
    pods, pdbs = concurrently(
        lambda: conn.get(core_path(ns, "pods"), labelSelector=selector)["items"],
        lambda: conn.get(path("poddisruptionbudgets", ns))["items"])
    try:
        the_plan = plan(sts, pods, pdbs, options.ordinals, options.order)
    except PlanError as exc:
        raise UsageError("error: %s" % exc)
    from .checks import ask_leader
    from ..core.rollout.order import OrderError, describe_leader as describe
    from ..core.rollout.order import leader_spec as spec

    def ask(pods: List[Obj]) -> int:
        assert leader is not None
        return ask_leader(conn, name, leader, pods)
    leader = spec(options.leader_last, options.leader_exec, options.leader_pod,
                  options.container)
    leader_at: Optional[int] = None
    if leader:
        if leader.get("exec") and dry_run != "client":
            check_writes(conn, "restart --leader-exec", dry_run)   # pods/exec, refused first
        try:
            leader_at = ask(pods)
        except OrderError as exc:
            raise StsError("error: %s" % exc)                       # exit 1: nothing written
        the_plan = dict(the_plan, pods=leader_last(the_plan["pods"], leader_at))
    session.show(the_plan)
    if isinstance(options.order, list) or leader_at is not None:
        say("Order: %s%s" % (", ".join(r["pod"] for r in the_plan["pods"]),
                             "" if leader_at is None else " (leader last: %s-%d, as `%s` "
                             "says)" % (name, leader_at, describe(leader))))
    from ..core.rollout.checks import plan_lines
    for line in plan_lines(session.checks, session.check_timeout,
                           "after each pod is back and Ready and settled"):
        say(line)
    if the_plan["refusals"] and not (options.force and all(
            "PodDisruptionBudget" in r for r in the_plan["refusals"])):
        raise Refused("error: refused: %s; nothing was changed" % the_plan["refusals"][0])
    if dry_run == "client":
        say("dry-run (client): nothing was sent")
        return 0
    blocked = {b["name"] for b in the_plan["budgets"] if b["neverAllows"]}
    deletes = options.force and any(blocked & set(row["budgets"]) for row in the_plan["pods"])
    check_writes(conn, "restart --force" if deletes else "restart --leader-exec"
                 if leader and leader.get("exec") else "restart", dry_run)
    for kind in sorted({c["kind"] for c in session.checks} & {"exec", "http"}):
        check_writes(conn, "restart --check-%s" % kind, dry_run)
    if dry_run == "none" and not confirm("restart %d pod(s) of %s, one at a time?"
                                         % (len(the_plan["pods"]), name), options.yes):
        say("nothing changed")
        return 0
    session.order = [row["ordinal"] for row in the_plan["pods"]]
    session.rows = {row["ordinal"]: row for row in the_plan["pods"]}
    rows, fresh_answer = list(the_plan["pods"]), True
    while rows:
        row = rows[0]
        if leader and row["ordinal"] == leader_at and not fresh_answer and dry_run == "none":
            # the leader's turn: ask again (a failover may have moved it)
            fresh_answer = True
            try:
                now = ask(conn.get(core_path(ns, "pods"), labelSelector=selector)["items"])
            except OrderError as exc:
                raise PodFailed("error: %s; stopped before restarting %s; %s" % (
                    exc, row["pod"], "; ".join(session.progress())))
            leader_at, moved = reconcile_leader(leader_at, now, [r["ordinal"] for r in rows],
                                                name, "restarted", session.done)
            if moved:
                say(moved)
                rows = leader_last(rows, leader_at)
                session.order = session.done + [r["ordinal"] for r in rows]
            continue
        rows.pop(0)
        fresh_answer = False
        session.current = (row["ordinal"], "evicting")
        if dry_run == "server":
            session.evict(row, dry_run=True)
            continue
        if options.force and blocked & set(row["budgets"]):
            session.delete(row)
        else:
            session.evict(row)
        session.current = (row["ordinal"], "coming back")
        session.wait_back(row)
        session.check(sts, row)
        session.done.append(row["ordinal"])
        session.current = None
    if dry_run == "server":
        say("dry-run (server): the API server accepted %d eviction(s); nothing changed"
            % len(the_plan["pods"]))
        return 0
    say("restart of %s complete: %s restarted, one at a time" % (
        name, ", ".join(row["pod"] for row in the_plan["pods"])))
    return 0


class Restart:
    """One run of restart: where it stands (for Ctrl-C) and the steps of one ordinal."""

    def __init__(self, conn: "Connection", name: str, settle: float, timeout: float) -> None:
        self.conn, self.name, self.settle, self.timeout = conn, name, settle, timeout
        self.ns = conn.namespace
        self.done: List[int] = []                               # ordinals restarted
        self.current: Optional[Tuple[int, str]] = None  # (ordinal, "evicting" | "coming back")
        self.order: List[int] = []
        self.rows: Dict[int, Obj] = {}                          # ordinal -> the plan's row
        self.say = functools.partial(click.echo)
        self.checks: List[Obj] = []                             # after each pod is back
        self.check_timeout = 120.0

    def show(self, the_plan: Obj) -> None:
        from ..printers.table import table
        self.say("Restart plan for statefulset %s/%s, one ordinal at a time (eviction):"
                 % (self.ns, self.name))
        rows = [[r["pod"], r["revision"] or "-", r["comesBackAt"] or "-",
                 ", ".join(r["budgets"]) or "-"] for r in the_plan["pods"]]
        self.say(table(["POD", "REVISION", "COMES BACK AT", "PDB"], rows))
        for r in the_plan["pods"]:
            if r["revisionChanges"]:
                self.say("Note: %s runs %s and comes back at %s (the revision the controller "
                         "gives it)" % (r["pod"], r["revision"] or "?", r["comesBackAt"]))
        for b in the_plan["budgets"]:
            self.say("PodDisruptionBudget %s: disruptionsAllowed %d (healthy %d, needs %d)"
                     % (b["name"], b["disruptionsAllowed"], b["currentHealthy"],
                        b["desiredHealthy"]))
        for refusal in the_plan["refusals"]:
            self.say("Refused: %s" % refusal)

    # -- one ordinal -----------------------------------------------------------------------------
    def evict(self, row: Obj, dry_run: bool = False) -> None:
        body: Obj = {"apiVersion": "policy/v1", "kind": "Eviction",
                     "metadata": {"name": row["pod"], "namespace": self.ns},
                     "deleteOptions": {"preconditions": {"uid": row["uid"]}}}
        if dry_run:
            body["deleteOptions"]["dryRun"] = ["All"]
        deadline = time.monotonic() + self.timeout
        delay, told = BACKOFF_FIRST, None
        while True:
            try:
                self.conn.request("POST", core_path(self.ns, "pods", row["pod"]) + "/eviction",
                                  body=body, retry=False)
                break
            except TooManyRequests as exc:
                why = _cause(exc) or exc.message
                if why != told:
                    click.echo("%s: eviction refused by its PodDisruptionBudget (%s): %s; "
                               "waiting" % (row["pod"], ", ".join(row["budgets"]) or "?", why),
                               err=True)
                    told = why
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WaitTimeout("error: timed out after %gs: %s cannot be evicted: %s "
                                      "(PodDisruptionBudget %s)" % (
                                          self.timeout, row["pod"], why,
                                          ", ".join(row["budgets"]) or "?"))
                time.sleep(min(delay, left))
                delay = min(delay * 2, BACKOFF_MAX)
            except (NotFound, Conflict):
                self.say("%s: already replaced by someone else" % row["pod"])
                return
        if not dry_run:
            self.say("pod/%s evicted" % row["pod"])

    def delete(self, row: Obj) -> None:
        try:
            self.conn.request("DELETE", core_path(self.ns, "pods", row["pod"]),
                              body=delete_options(row["uid"]))
        except (NotFound, Conflict):
            self.say("%s: already replaced by someone else" % row["pod"])
            return
        self.say("pod/%s deleted (--force: its PodDisruptionBudget allows no eviction)"
                 % row["pod"])

    def wait_back(self, row: Obj) -> None:
        outcome = wait_new_incarnation(self.conn, self.ns, row["pod"], row["uid"], self.settle,
                                       self.timeout)
        if outcome.state == "failed":
            assert outcome.verdict is not None
            failure = outcome.verdict.failed
            raise PodFailed("error: %s failed after its restart: %s%s: %s; the next ordinals "
                            "were not restarted" % (
                                row["pod"], failure["reason"],
                                " (container %s)" % failure["container"]
                                if failure.get("container") else "",
                                failure.get("message") or "no message"))
        if outcome.state != "done":
            raise WaitTimeout("error: timed out after %gs: %s" % (
                self.timeout, outcome.verdict.line if outcome.verdict else outcome.why))
        self.say("pod/%s is back (new uid, Ready%s)" % (
            row["pod"], ", stayed Ready %gs" % self.settle if self.settle else ""))

    def check(self, sts: Obj, row: Obj) -> None:
        """The application checks on the pod back (exit 9 when they never pass)."""
        from .checks import run_checks
        from ..k8s.statefulset import partition
        failure = run_checks(self, sts, [row["ordinal"]], partition(sts) or 0)
        if failure is not None:
            raise PodFailed("error: %s %s after its restart: %s; the next ordinals were not "
                            "restarted" % (row["pod"], failure["reason"], failure["message"]))

    def explain_interruption(self) -> None:
        say = functools.partial(click.echo, err=True)
        say("")
        if self.current and self.current[1] == "coming back":
            say("interrupted while %s-%d comes back (it was evicted; the controller recreates "
                "it)" % (self.name, self.current[0]))
        for line in self.progress():
            say(line)

    def progress(self, failure: Optional[StsError] = None) -> List[str]:
        """What was restarted and the command that continues (after Ctrl-C, or after
        `failure`, a write or read that failed mid-run). An eviction whose answer was lost
        may have been applied: the pod is read again to tell (core.lost)."""
        from ..core.lost import may_have_been_applied, pod_went
        from .shell import get_or_none
        lines = []
        left = [o for o in self.order if o not in self.done]
        if self.current and self.current[1] == "coming back":
            left = [o for o in left if o != self.current[0]]
            if failure is not None:
                lines.append("%s-%d was evicted (the controller recreates it)"
                             % (self.name, self.current[0]))
        elif self.current and failure is not None and may_have_been_applied(failure):
            ordinal = self.current[0]
            row = self.rows.get(ordinal) or {}
            try:
                pod = get_or_none(self.conn, core_path(self.ns, "pods", row.get("pod", "")))()
                went: Optional[bool] = pod_went(pod, row.get("uid", ""))
            except StsError:
                went = None
            if went:
                left = [o for o in left if o != ordinal]
                lines.append("%s-%d was evicted all the same (the controller recreates it)"
                             % (self.name, ordinal))
            else:
                lines.append("%s-%d %s" % (self.name, ordinal, "was not evicted" if went is False
                                           else "may have been evicted (it could not be read "
                                           "again)"))
        if self.done:
            lines.append("restarted: %s" % ", ".join("%s-%d" % (self.name, o)
                                                     for o in self.done))
        elif failure is not None:
            lines.append("restarted: none")
        if left:
            lines.append("continue with: kubectl sts restart %s --ordinals %s" % (
                self.name, ",".join(map(str, left))))
        else:
            lines.append("nothing is left to restart")
        return lines


def _cause(exc: TooManyRequests) -> Optional[str]:
    """The first cause of a refusal (the budget's words: needs N healthy pods, has M)."""
    causes = (exc.details or {}).get("causes") or []
    return causes[0].get("message") if causes and isinstance(causes[0], dict) else None

"""`kubectl sts restart NAME`: restart pods one ordinal at a time through the Eviction API
(PodDisruptionBudgets respected), waiting with watches for each new incarnation to be Ready and
to stay Ready for --settle. No template write: no new ControllerRevision, no GitOps drift.

Reads: the set, then its pods and the namespace's PodDisruptionBudgets together. Writes: one
POST pods/NAME/eviction per ordinal, with the pod's uid as precondition."""

import functools
import time

import click

from ..errors import (Conflict, NotFound, PodFailed, Refused, TooManyRequests, UsageError,
                      WaitTimeout)
from .shell import connect, core_path, delete_options, get_statefulset
from .options import Duration, OneOf, dry_run_option, name_argument
from .scale import confirm

BACKOFF_FIRST, BACKOFF_MAX = 1.0, 10.0


@click.command()
@name_argument()
@click.option("--ordinals", metavar="LIST", help="The ordinals to restart, in this order "
              "(e.g. 3,1); default: all.")
@click.option("--all", "all_", is_flag=True, help="Every ordinal (the default).")
@click.option("--order", type=OneOf(["desc", "asc"]), default="desc", show_default=True,
              help="The order of --all: highest ordinal first (as the controller updates), or "
              "lowest first.")
@click.option("--settle", type=Duration(), default="0s", show_default=True, metavar="DURATION",
              help="How long each new pod must stay Ready, without a restart, before the next.")
@click.option("--timeout", "timeout_s", type=Duration(), default="5m", show_default=True,
              metavar="DURATION", help="How long one ordinal may take (the eviction's wait "
              "for a budget included).")
@click.option("--force", is_flag=True, help="Delete the pod (uid precondition) when no "
              "eviction can pass its PodDisruptionBudget.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show the plan only (client), or also send each eviction with dryRun=All "
                "(server).")
@click.pass_context
def restart(ctx, name, ordinals, all_, order, settle, timeout_s, force, yes, dry_run):
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
    from ..core.restart import PlanError, parse_ordinals
    if all_ and ordinals:
        raise UsageError("error: --all and --ordinals cannot be used together")
    try:
        chosen = parse_ordinals(ordinals)
    except PlanError as exc:
        raise UsageError("error: %s" % exc)
    conn = connect(ctx)
    run = Restart(conn, name, settle, timeout_s, force)
    try:
        return run.main(chosen, order, yes, dry_run)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        from ..errors import interrupt_code
        run.explain_interruption()
        return interrupt_code(exc)


class Restart:
    def __init__(self, conn, name, settle, timeout, force):
        self.conn, self.name, self.settle, self.timeout = conn, name, settle, timeout
        self.force = force
        self.ns = conn.namespace
        self.done = []                  # ordinals restarted
        self.current = None             # (ordinal, "evicting" | "coming back")
        self.order = []
        self.say = functools.partial(click.echo)

    def main(self, chosen, order, yes, dry_run):
        from ..client.connection import concurrently
        from ..core.labels import selector_string
        from ..client.paths import path
        from ..core.restart import PlanError, plan
        sts = get_statefulset(self.conn, self.ns, self.name)
        self.selector = selector_string(sts["spec"]["selector"])
        pods, pdbs = concurrently(
            lambda: self.conn.get(core_path(self.ns, "pods"),
                                  labelSelector=self.selector)["items"],
            lambda: self.conn.get(path("poddisruptionbudgets", self.ns))["items"])
        try:
            the_plan = plan(sts, pods, pdbs, chosen, order)
        except PlanError as exc:
            raise UsageError("error: %s" % exc)
        self.show(the_plan)
        if the_plan["refusals"] and not (self.force and all(
                "PodDisruptionBudget" in r for r in the_plan["refusals"])):
            raise Refused("error: refused: %s; nothing was changed" % the_plan["refusals"][0])
        if dry_run == "client":
            self.say("dry-run (client): nothing was sent")
            return 0
        if dry_run == "none" and not confirm("restart %d pod(s) of %s, one at a time?"
                                             % (len(the_plan["pods"]), self.name), yes):
            self.say("nothing changed")
            return 0
        self.order = [row["ordinal"] for row in the_plan["pods"]]
        blocked = {b["name"] for b in the_plan["budgets"] if b["neverAllows"]}
        for row in the_plan["pods"]:
            self.current = (row["ordinal"], "evicting")
            if dry_run == "server":
                self.evict(row, dry_run=True)
                continue
            if self.force and blocked & set(row["budgets"]):
                self.delete(row)
            else:
                self.evict(row)
            self.current = (row["ordinal"], "coming back")
            self.wait_back(row)
            self.done.append(row["ordinal"])
            self.current = None
        if dry_run == "server":
            self.say("dry-run (server): the API server accepted %d eviction(s); nothing "
                     "changed" % len(the_plan["pods"]))
            return 0
        self.say("restart of %s complete: %s restarted, one at a time" % (
            self.name, ", ".join(row["pod"] for row in the_plan["pods"])))
        return 0

    def show(self, the_plan):
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
    def evict(self, row, dry_run=False):
        body = {"apiVersion": "policy/v1", "kind": "Eviction",
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

    def delete(self, row):
        try:
            self.conn.request("DELETE", core_path(self.ns, "pods", row["pod"]),
                              body=delete_options(row["uid"]))
        except (NotFound, Conflict):
            self.say("%s: already replaced by someone else" % row["pod"])
            return
        self.say("pod/%s deleted (--force: its PodDisruptionBudget allows no eviction)"
                 % row["pod"])

    def wait_back(self, row):
        outcome = wait_new_incarnation(self.conn, self.ns, row["pod"], row["uid"], self.settle,
                                       self.timeout)
        if outcome.state == "failed":
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

    def explain_interruption(self):
        say = functools.partial(click.echo, err=True)
        say("")
        left = [o for o in self.order if o not in self.done]
        if self.current and self.current[1] == "coming back":
            say("interrupted while %s-%d comes back (it was evicted; the controller recreates "
                "it)" % (self.name, self.current[0]))
            left = [o for o in left if o != self.current[0]]
        if self.done:
            say("restarted: %s" % ", ".join("%s-%d" % (self.name, o) for o in self.done))
        if left:
            say("continue with: kubectl sts restart %s --ordinals %s" % (
                self.name, ",".join(map(str, left))))
        else:
            say("nothing is left to restart")


def wait_new_incarnation(conn, namespace, pod_name, old_uid, settle, timeout, progress=None,
                         count_restarts=True):
    """Watch pod POD_NAME until an incarnation other than `old_uid` is Ready and has stayed
    Ready for `settle` (restart.settled judges; the gate's bookkeeping tracks it). A restart
    meanwhile fails it when `count_restarts`. Returns the wait's Outcome; its verdict's result
    is the pod."""
    from ..core.restart import settled
    from ..core.rollout.gate import new_book, track_pods
    from ..client.watch import Verdict, Watch, wait
    book = [new_book()]

    def judge(snapshot, now):
        pod = snapshot["pods"].get(pod_name)
        uid = (pod or {}).get("metadata", {}).get("uid")
        if pod is not None and uid != old_uid:
            book[0] = track_pods(book[0], [pod], now)
        state = settled(old_uid, pod, book[0]["readySince"].get(uid), now, settle,
                        book[0]["baseline"].get(uid) if count_restarts else None)
        if state["state"] == "failed":
            return Verdict(failed=state["failure"])
        return Verdict(done=state["state"] == "done", wake=state["wake"], result=pod,
                       line="%s: %s" % (pod_name, state["why"]))
    watch = Watch(conn, pods=(core_path(namespace, "pods"),
                              {"fieldSelector": "metadata.name=%s" % pod_name}))
    with watch:
        return wait(watch, judge, timeout, progress)


def _cause(exc):
    """The first cause of a refusal (the budget's words: needs N healthy pods, has M)."""
    causes = (exc.details or {}).get("causes") or []
    return causes[0].get("message") if causes and isinstance(causes[0], dict) else None

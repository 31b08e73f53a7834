"""`kubectl sts resize NAME --size SIZE`: grow every ordinal's volume online, then make the
claim template match by creating the StatefulSet again around its running pods.

Reads: the set and the StorageClasses together, then its claims (one list by the selector's
labels). Writes, in this order: one PATCH per claim (its resourceVersion as precondition);
the backup file; DELETE of the set with propagationPolicy Orphan and uid + resourceVersion
preconditions; POST of the set with the new claim size. Waits with watches throughout."""

import functools
import json
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, NamedTuple, Optional

import click

from ...errors import (Conflict, NotFound, PodFailed, Refused, StsError, UsageError, WaitTimeout,
                      interrupt_code, reworded)
from ...client.paths import path
from ...k8s.privatefiles import write_private
from ..shell import (check_writes, confirm, connect, core_path, delete_options,
                     get_statefulset, sts_path)
from ..options import (Duration, dry_run_option, lock_options, name_argument, no_headers_option,
                       output_option)

if TYPE_CHECKING:
    from ...client.connection import Connection
    from ...client.watch import Watch
    from ...printers.formats import Output

Obj = Dict[str, Any]


class ResizeOptions(NamedTuple):
    name: str
    size: str
    template: Optional[str]
    include_orphans: bool
    force: bool
    yes: bool
    dry_run: str
    output: "Output"
    timeout_s: float
    backup_file: Optional[str]
    resume: bool
    wait_lock: Optional[float] = None


@click.command()
@name_argument()
@click.option("--size", required=True, metavar="SIZE", help="The new size of every volume "
              "of the claim template, e.g. 20Gi (never smaller than a volume is).")
@click.option("--claim", "template", metavar="TEMPLATE", help="The claim template (may be "
              "left out when the set has one).")
@click.option("--include-orphans", is_flag=True, help="Also grow the claims of ordinals "
              "outside the range (kept by a scale-down).")
@click.option("--force", is_flag=True, help="Go ahead although another controller owns the "
              "StatefulSet or its claim templates (an ownerReference; Flux, Argo CD: "
              "managedFields); take over its lock from another kubectl-sts operation.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show the plan only (client), or also send the claim patches and the delete "
                "with dryRun=All (server).")
@output_option(("json", "yaml"))
@click.option("--timeout", "timeout_s", type=Duration(), default="10m", show_default=True,
              metavar="DURATION", help="How long each wait may take (the expansion, the "
              "deletion, the adoption).")
@click.option("--backup", "backup_file", metavar="FILE", help="Where the StatefulSet is saved "
              "before it is deleted (default: under ~/.local/state/kubectl-sts/resize/).")
@click.option("--resume", is_flag=True, help="Finish an interrupted run: create the set again "
              "from its backup.")
@no_headers_option
@lock_options(force=False)
@click.pass_context
def resize(ctx: click.Context, **flags: Any) -> int:
    """Grow a StatefulSet's volumes without restarting a pod.

    Every claim of the template's ordinals is expanded (its StorageClass must allow volume
    expansion) and waited for until its capacity is SIZE; then the StatefulSet, whose
    volumeClaimTemplates are immutable, is deleted with --cascade=orphan and created again
    with the new size: its pods keep running, are adopted by the new set, and nothing
    restarts. The set is saved to a backup file first; a run interrupted after the set was
    deleted is finished with --resume (a dry run never uses the backup, nor a run another
    process still holds).

    \b
    Examples:
      # The plan only
      kubectl sts resize web --size 2Gi --dry-run

    \b
      # Grow every volume of web to 2Gi, without asking
      kubectl sts resize web --size 2Gi --yes"""
    options = validate(ResizeOptions(**flags))
    return run(connect(ctx), options)


def validate(options: ResizeOptions) -> ResizeOptions:
    from ...core.resize import PlanError, parse_size
    try:
        parse_size(options.size)
    except PlanError as exc:
        raise UsageError("error: %s" % exc)
    return options


def run(conn: "Connection", options: ResizeOptions) -> int:
    from ..locking import holding        # the set's lock, held while resizing
    with holding(conn, options.name, "resize %s --size %s" % (options.name, options.size),
                 options.force, options.wait_lock, options.dry_run):
        return _run(conn, options)


def _run(conn: "Connection", options: ResizeOptions) -> int:
    # with -o json|yaml stdout carries the plan document only; progress goes to stderr
    say = functools.partial(click.echo, err=not options.output.table)
    from .recover import default_backup
    backup = options.backup_file or default_backup(conn, options.name)
    session = Resize(conn, options.name, options.size, options.template, options.timeout_s,
                     backup, say)
    try:
        return _resize(session, options)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        session.explain_interruption()
        return interrupt_code(exc)
    finally:
        from .recover import release
        release(session)


def _resize(session: "Resize", options: ResizeOptions) -> int:
    """Plan, ask, grow the claims, wait, then make the template match (or finish an
    interrupted run from its backup)."""
    from ...client.connection import concurrently
    from ...k8s.storage import claim_capacity
    from ...core.resize import GROWING, PlanError, PlanRefused, plan
    conn, name, say = session.conn, session.name, session.say
    dry_run = options.dry_run
    try:
        sts, classes = concurrently(
            lambda: get_statefulset(conn, session.ns, name),
            lambda: conn.get(path("storageclasses"))["items"])
    except NotFound as exc:
        from .recover import missing
        return missing(session, options, exc)
    if options.resume:
        say("statefulset %s exists: nothing to resume; planning the resize" % name)
    session.force = options.force
    if dry_run == "none":
        from .recover import check_busy
        check_busy(session, sts)
    claims = session.claims(sts)
    try:
        the_plan = plan(sts, claims, classes, session.size, session.template,
                        options.include_orphans, options.force)
    except PlanError as exc:
        raise UsageError("error: %s" % exc)
    except PlanRefused as exc:          # before any line of the plan
        raise Refused("error: refused: %s; nothing was changed" % exc)
    session.template = the_plan["template"]
    session.show(the_plan, options.output)
    if the_plan["refusals"]:
        more = len(the_plan["refusals"]) - 1
        raise Refused("error: refused: %s%s; nothing was changed" % (
            the_plan["refusals"][0], " (and %d more, listed above)" % more if more else ""))
    if the_plan["nothingToDo"]:
        say("nothing to do: every PVC of %s has %s and the template asks for %s"
            % (name, the_plan["size"], the_plan["size"]))
        return 0
    if dry_run == "client":
        say("dry-run (client): nothing was sent")
        return 0
    check_writes(conn, "resize", dry_run)
    if dry_run == "none" and not confirm("resize the volumes of %s to %s?"
                                         % (name, the_plan["size"]), options.yes):
        say("nothing changed")
        return 0
    server_dry = dry_run == "server"
    by_name = {c["metadata"]["name"]: c for c in claims}
    grow = [r["name"] for r in the_plan["claims"] if r["action"] == "expand"]
    awaited = [r["name"] for r in the_plan["claims"] if r["action"] in GROWING]
    session.stage = "expanding"
    for cname in grow:
        session.patch_claim(by_name[cname], the_plan["size"], server_dry)
    if server_dry:
        if the_plan["templateChange"]:
            session.delete_set(sts, dry_run=True)
        say("dry-run (server): the API server accepted %d claim patch(es)%s; nothing "
            "changed" % (len(grow), " and the delete" if the_plan["templateChange"] else ""))
        return 0
    before = {c: claim_capacity(by_name[c]) for c in awaited}
    if awaited:
        session.wait_expanded(sts, awaited)
    if the_plan["templateChange"]:
        session.recreate(sts)
    session.report(sts, the_plan, before)
    return 0


class Resize:
    """One run of resize: where it stands (`stage`, for Ctrl-C), what it knows (the pods before
    the set was deleted, the template and size, from the plan or the backup), and its steps."""

    def __init__(self, conn: "Connection", name: str, size: str, template: Optional[str],
                 timeout: float, backup: str, say: Callable[..., None]) -> None:
        self.conn, self.name, self.size, self.template = conn, name, size, template
        self.timeout, self.backup, self.say = timeout, backup, say
        self.ns = conn.namespace
        self.stage = "reading"
        self.pods_before: Dict[str, str] = {}   # name -> uid, read before the set is deleted
        # the set exists again (created by this run); --force: take over another run's backup;
        # the DELETE was sent, and not known to have failed (then only --resume uses the backup)
        self.recreated, self.force, self.delete_sent = False, False, False
        self.applied_from: Optional[str] = None  # the size kubectl's annotation said before
        self.run_id = "%s-%d-%s" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime()), os.getpid(),
                                    os.urandom(2).hex())        # named in its backup
        self.saved: Optional[Obj] = None        # the set of the backup this run holds

    def claims(self, sts: Obj) -> List[Obj]:
        from ...core.labels import selector_string
        labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        found = self.conn.get(core_path(self.ns, "persistentvolumeclaims"),
                              labelSelector=selector_string({"matchLabels": labels}) or None)
        return found["items"]

    def show(self, the_plan: Obj, output: "Output") -> None:
        if not output.table:
            from ...printers.formats import print_document
            click.echo(print_document(the_plan, output, lambda _: "statefulset.apps/%s"
                                      % self.name))
            return
        from ...printers.resize import render_plan
        for line in render_plan(the_plan, self.ns, self.backup):
            self.say(line)

    # -- step 1: the claims ---------------------------------------------------------------------
    def patch_claim(self, claim: Obj, size: str, server_dry: bool) -> None:
        meta = claim["metadata"]
        body = {"metadata": {"resourceVersion": meta["resourceVersion"]},
                "spec": {"resources": {"requests": {"storage": size}}}}
        try:
            self.conn.request("PATCH", core_path(self.ns, "persistentvolumeclaims",
                                                 meta["name"]),
                              {"dryRun": "All"} if server_dry else None, body=body,
                              content_type="application/merge-patch+json")
        except Conflict as exc:
            raise Conflict("error: PVC %s changed after the plan was made; run the command "
                           "again" % meta["name"], status=409, reason=exc.reason) from exc
        except StsError as exc:         # its answer lost: a rerun waits for what was applied
            from ...core.lost import may_have_been_applied
            if not server_dry and may_have_been_applied(exc):
                reworded(exc, "%s; the patch of PVC %s may have been applied; the template is "
                         "unchanged: run the same command again" % (exc.message, meta["name"]))
            raise
        if not server_dry:
            self.say("persistentvolumeclaim/%s: requested %s" % (meta["name"], size))

    def watch_claims(self, sts: Obj, **more: Any) -> "Watch":
        """A Watch over the set's claims and pods (and `more`)."""
        from ...core.labels import selector_string
        from ...client.watch import Watch
        labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        return Watch(self.conn,
                     claims=(core_path(self.ns, "persistentvolumeclaims"),
                             {"labelSelector": selector_string({"matchLabels": labels})}),
                     pods=(core_path(self.ns, "pods"),
                           {"labelSelector": selector_string(sts["spec"]["selector"])}),
                     **more)

    def wait_expanded(self, sts: Obj, names: List[str]) -> None:
        """Until every claim's file system has grown where a running pod mounts it (the
        kubelet grows it online), or the claim says it grows only when a pod starts or mounts
        it (core.resize.expansion); fails fast on a failed expansion."""
        from ...core.resize import FAILED, expansion, expansion_verdict, failed_events
        from ...client.watch import Verdict, wait
        watch = self.watch_claims(sts, events=(core_path(self.ns, "events"),
                                               {"fieldSelector": "reason=VolumeResizeFailed"}))

        def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
            pods = list(snapshot["pods"].values())
            states = {c: expansion(snapshot["claims"][c], self.size, pods)
                      if c in snapshot["claims"] else
                      {"state": FAILED, "step": "", "message": "deleted", "pods": []}
                      for c in names}
            verdict = expansion_verdict(states, failed_events(snapshot["events"].values(),
                                                              baseline))
            return Verdict(done=verdict["done"], failed=verdict["failed"],
                           line=verdict["line"])
        with watch:
            baseline = {k: e.get("count") or 1 for k, e in watch.snapshot()["events"].items()}
            outcome = wait(watch, judge, self.timeout, self.say)
        if outcome.state == "failed":
            assert outcome.verdict is not None
            raise PodFailed("error: volume expansion failed: %s; the template was not changed"
                            % outcome.verdict.failed)
        if outcome.state != "done":
            raise WaitTimeout("error: timed out after %gs %s; the template was not changed; "
                              "run the command again to continue" % (
                                  self.timeout, outcome.verdict.line if outcome.verdict
                                  else outcome.why))

    # -- step 2: the template -------------------------------------------------------------------
    def recreate(self, sts: Obj) -> None:
        from ...core.labels import selector_string
        live = get_statefulset(self.conn, self.ns, self.name)     # fresh preconditions
        if live["metadata"]["uid"] != sts["metadata"]["uid"] or \
                live["metadata"].get("generation") != sts["metadata"].get("generation"):
            raise Conflict("error: statefulset %s changed while its volumes grew; the volumes "
                           "have the new size, the template not: run the command again"
                           % self.name, status=409)
        pods = self.conn.get(core_path(self.ns, "pods"),
                             labelSelector=selector_string(live["spec"]["selector"]))["items"]
        self.pods_before = {p["metadata"]["name"]: p["metadata"]["uid"] for p in pods
                            if not p["metadata"].get("deletionTimestamp")}
        from .recover import check_busy  # another run may have begun meanwhile
        check_busy(self, live, "the volumes have the new size, the template not")
        self.save_backup(live)
        self.stage, self.delete_sent = "deleting", True
        self.delete_set(live)
        self.wait_gone(live["metadata"]["uid"])
        self.stage = "creating"
        created = self.create(live)
        self.stage = "adopting"
        self.wait_adopted(created, live)
        self.stage = "done"

    def delete_set(self, live: Obj, dry_run: bool = False) -> None:
        body = delete_options(live["metadata"]["uid"], live["metadata"]["resourceVersion"],
                              propagation="Orphan")
        try:
            self.conn.request("DELETE", sts_path(self.ns, self.name),
                              {"dryRun": "All"} if dry_run else None, body=body)
        except Conflict as exc:
            self.delete_sent = False
            raise Conflict("error: statefulset %s changed after it was read; the volumes have "
                           "the new size, the template not: run the command again"
                           % self.name, status=409, reason=exc.reason) from exc
        except StsError as exc:
            from ...core.lost import may_have_been_applied
            from .recover import after_lost_delete
            if dry_run or not may_have_been_applied(exc):
                raise
            after_lost_delete(self, live, exc)        # applied: go on; else it raises
        if not dry_run:
            self.say("statefulset.apps/%s deleted (--cascade=orphan: its pods keep running)"
                     % self.name)

    def wait_gone(self, uid: str) -> None:
        from ...client.watch import Verdict, Watch, wait
        watch = Watch(self.conn, sets=(sts_path(self.ns),
                                       {"fieldSelector": "metadata.name=%s" % self.name}))

        def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
            current = snapshot["sets"].get(self.name)
            gone = current is None or current["metadata"].get("uid") != uid
            return Verdict(done=gone, line="waiting for statefulset %s to be gone" % self.name)
        with watch:
            outcome = wait(watch, judge, self.timeout, self.say)
        if outcome.state != "done":
            raise WaitTimeout("error: statefulset %s is still being deleted after %gs; finish "
                              "with: kubectl sts resize %s --size %s --resume"
                              % (self.name, self.timeout, self.name, self.size))

    def create(self, live: Obj) -> Obj:
        from ...core.resize import recreated
        from .recover import post
        template = self.template
        assert template is not None             # named by the plan, or by the backup
        body = recreated(live, template, self.size)
        self.applied_from = self.update_applied(body, live, template)
        from ..recreate import restore_owners
        try:
            created = restore_owners(self.conn, self.ns, live,
                                     post(self, live, body, self.size))
        except StsError as exc:
            click.echo("error: creating statefulset %s with the new claim template failed: "
                       "%s; creating it again as it was" % (self.name, exc.message), err=True)
            try:
                restore_owners(self.conn, self.ns, live,
                               post(self, live, recreated(live, template, None), None))
                self.recreated = True
            except StsError as again:
                raise reworded(again, "error: statefulset %s is deleted and could not be "
                               "created again (%s); its pods keep running; finish with: "
                               "kubectl sts resize %s --size %s --resume (backup: %s)" % (
                                   self.name, again.message, self.name, self.size,
                                   self.backup))
            raise reworded(exc, "error: statefulset %s is back as it was (its volumes have the "
                           "new size, its template not): run the same command again to retry"
                           % self.name)
        self.recreated = True
        self.say("statefulset.apps/%s created (claim template %s: %s)" % (
            self.name, self.template, self.size))
        return created

    def update_applied(self, body: Obj, live: Obj, template: str) -> Optional[str]:
        """kubectl's last-applied-configuration in `body` with the new size (that field
        only), encoded as kubectl writes it; returns the size it said before, or None when
        the set has none (or it does not name the template)."""
        from ...core.resize import LAST_APPLIED, applied_configuration
        from ...printers.jsonpath import go_json
        applied = applied_configuration(live, template, self.size)
        if applied is None:
            return None
        body["metadata"]["annotations"][LAST_APPLIED] = go_json(applied["document"]) + "\n"
        return applied["from"] or "-"

    def wait_adopted(self, created: Obj, live: Obj) -> None:
        from ...core.labels import selector_string
        from ...core.resize import adoption_problems
        from ...client.watch import Verdict, Watch, wait
        watch = Watch(self.conn,
                      pods=(core_path(self.ns, "pods"),
                            {"labelSelector": selector_string(live["spec"]["selector"])}),
                      sets=(sts_path(self.ns), {"fieldSelector": "metadata.name=%s" % self.name}))
        current = (live.get("status") or {}).get("currentRevision")

        def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
            new = snapshot["sets"].get(self.name) or created
            problems = adoption_problems(new, self.pods_before, list(snapshot["pods"].values()),
                                         current)
            return Verdict(done=not problems, line="adopting: %s" % "; ".join(problems[:3]),
                           result=new)
        with watch:
            outcome = wait(watch, judge, self.timeout, self.say)
        if outcome.state != "done":
            raise WaitTimeout("error: after %gs: %s" % (self.timeout, outcome.verdict.line
                                                        if outcome.verdict else outcome.why))

    # -- the backup, and resuming ---------------------------------------------------------------
    def save_backup(self, live: Obj, state: str = "running") -> None:
        """The backup file: the set, the pods, the size, and the run that holds it (its id,
        pid, host and state: core.resize RUNNING, INTERRUPTED, SPENT); every write of it."""
        import socket
        doc = {"apiVersion": "kubectl-sts/v1", "kind": "ResizeBackup", "size": self.size,
               "template": self.template, "pods": self.pods_before, "statefulSet": live,
               "uid": live["metadata"].get("uid"), "run": self.run_id, "pid": os.getpid(),
               "host": socket.gethostname(), "state": state}
        # 0600 in 0700 folders (it holds the pod template), no planted symlink followed
        write_private(self.backup, json.dumps(doc, indent=1, sort_keys=True))
        self.saved = live if state == "running" else None
        if state == "running":
            self.say("backup of statefulset %s: %s" % (self.name, self.backup))

    def load_backup(self) -> Optional[Obj]:
        from ..recreate import load_backup
        return load_backup(self.backup, "ResizeBackup", self.name)

    def resume(self, saved: Obj) -> int:
        live = saved["statefulSet"]
        self.template, self.size = saved["template"], saved["size"]
        self.pods_before, self.delete_sent = saved.get("pods") or {}, True   # set is deleted
        self.save_backup(live)                  # this run holds it now
        self.say("creating statefulset %s again with %s for %s" % (self.name, self.size,
                                                                     self.template))
        self.stage = "creating"
        created = self.create(live)
        self.stage = "adopting"
        self.wait_adopted(created, live)
        self.stage = "done"
        self.say("resumed: statefulset %s has its pods back; no pod restarted" % self.name)
        return 0

    def explain_interruption(self) -> None:
        say = functools.partial(click.echo, err=True)
        say("")
        if self.stage in ("reading", "expanding"):
            say("interrupted while the volumes grow: the template is unchanged; run the same "
                "command again to continue")
        elif self.stage in ("deleting", "creating"):
            say("interrupted between deleting and creating statefulset %s: its pods keep "
                "running; finish with: kubectl sts resize %s --size %s --resume (backup: %s)"
                % (self.name, self.name, self.size, self.backup))
        elif self.stage == "adopting":
            say("interrupted while the new statefulset %s adopts its pods: the controller "
                "finishes on its own; see with: kubectl sts status %s" % (self.name, self.name))

    def report(self, sts: Obj, the_plan: Obj, before: Dict[str, Optional[str]]) -> None:
        """Each claim as it is now (read fresh), the template and the manifest, and
        `complete` only when every file system has grown."""
        from ...core.resize import GROWING, expansion
        from ...printers.resize import claim_line, final_line, manifest_lines
        grown = [r for r in the_plan["claims"] if r["action"] in GROWING]
        states = []
        if grown:
            from ...core.labels import selector_string
            claims = {c["metadata"]["name"]: c for c in self.claims(sts)}
            pods = self.conn.get(core_path(self.ns, "pods"), labelSelector=selector_string(
                sts["spec"]["selector"]))["items"]
            for row in grown:
                state = expansion(claims.get(row["name"]) or {}, the_plan["size"], pods)
                states.append(state)
                self.say(claim_line(row, state, before.get(row["name"]), self.name))
        change = the_plan["templateChange"]
        if change:
            for line in manifest_lines(change, self.applied_from):
                self.say(line)
            self.say("no pod restarted (%d pods, the same uids, adopted by the new set)"
                     % len(self.pods_before))
        self.say(final_line(self.name, the_plan["size"], states))

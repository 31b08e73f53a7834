"""One run of `kubectl sts rollout`: its reads, its watches, its one way to write, and the
questions it may ask. The actions (stage.py, step.py, undo.py, ondelete.py, follow.py) call
the core (kubectl_sts/core/rollout/) for every decision and this for every request."""

import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

import click

from ...errors import (Conflict, NotFound, Refused, ServerError, StsError, TransportError, UsageError,
                       WaitTimeout, reworded)
from ..shell import Progress, check_writes, core_path, get_statefulset, sts_path

if TYPE_CHECKING:
    from ...client.watch import Snapshot, Watch

Obj = Dict[str, Any]


class StepFailed(Exception):
    """A step failed its health gate: the set as judged, and the core's diagnosis."""

    def __init__(self, sts: Obj, failure: Obj) -> None:
        super().__init__(failure.get("reason"))
        self.sts, self.failure = sts, failure


class Rollout:
    """The session of one run: its options, its watches, what it wrote last and where it
    stands (for Ctrl-C)."""

    def __init__(self, conn: Any, name: str, settle: float, timeout: Optional[float],
                 pause: Optional[float], interactive: bool, dry_run: str, yes: bool,
                 on_failure: str) -> None:
        self.conn, self.name, self.ns = conn, name, conn.namespace
        self.settle, self.timeout, self.pause = settle, timeout, pause
        self.interactive, self.dry_run, self.yes = interactive, dry_run, yes
        self.on_failure = on_failure
        self.progress = Progress()
        # the Watch on the set and its pods (client/watch.py), once started
        self.watcher: Optional["Watch"] = None
        self.last_written: Optional[Obj] = None
        self.gating: Optional[int] = None   # the partition whose health gate is waited for
        self.target: Optional[int] = None   # the partition this run drives toward
        # an undo: the gate deletes the pods the controller will not replace (undo.py), those
        # agreed to (uids) or any with --yes
        self.undoing = False
        self.agreed: set = set()
        self._minor: List[Optional[int]] = []
        # the variant whose writes this run makes (core/permissions.py), asked for before the
        # first write of each (check_writes)
        self.variant = "rollout --step"
        self._checked: set = set()
        self.unreadable: set = set()        # what the diagnosis could not read, said once
        # --order / --leader-last / --leader-exec ({"order": [...], "leader": {...}}, ondelete.py)
        self.ordering: Optional[Obj] = None
        # the application checks after each step (checks.py), recorded on the annotation
        self.checks: List[Obj] = []
        self.check_timeout = 120.0
        # --force: also write fields whose owner puts them back (core/fieldowners.py), checked
        # once, before the run's first write of the set
        self.force = False
        self._owners_checked = False
        # a request may retry (an API server restarting) for as long as a step may take
        conn.retry_budget = timeout or conn.retry_budget

    def close(self) -> None:
        """Stop the watches this run started."""
        if self.watcher is not None:
            self.watcher.stop()

    # -- reading ------------------------------------------------------------------------------
    def read(self) -> Obj:
        return get_statefulset(self.conn, self.ns, self.name)

    def pods(self, sts: Obj) -> List[Obj]:
        from ...core.labels import selector_string
        return self.conn.get(core_path(self.ns, "pods"),
                             labelSelector=selector_string(sts["spec"]["selector"]))["items"]

    def revisions(self, sts: Obj) -> Dict[str, Obj]:
        """{name: ControllerRevision} of the revisions the set controls."""
        from ...core.labels import selector_string
        from ...client.paths import path
        items = self.conn.get(path("controllerrevisions", self.ns),
                              labelSelector=selector_string(sts["spec"]["selector"]))["items"]
        uid = sts["metadata"]["uid"]
        return {r["metadata"]["name"]: r for r in items
                if any(ref.get("uid") == uid and ref.get("controller")
                       for ref in r["metadata"].get("ownerReferences") or [])}

    def server_minor(self) -> Optional[int]:
        """The API server's minor version (what the controller does differs by release), read
        once; None when it cannot be read."""
        if not self._minor:
            from ..shell import server_minor
            try:
                self._minor.append(server_minor(self.conn.get("/version")))
            except StsError:
                self._minor.append(None)
        return self._minor[0]

    def pod_events(self, pod_name: str) -> List[Obj]:
        try:
            items = self.conn.get(core_path(self.ns, "events"),
                                  fieldSelector="involvedObject.name=%s" % pod_name)["items"]
        except StsError:
            return []
        items.sort(key=lambda e: e.get("lastTimestamp") or "")
        return items

    def watch(self, sts: Obj) -> "Watch":
        """Start informers on the set and its pods (once); waits use their events."""
        if self.watcher is None:
            from ...core.labels import selector_string
            from ...client.watch import Verdict, Watch, wait
            self.watcher = Watch(
                self.conn,
                sts=(sts_path(self.ns), {"fieldSelector": "metadata.name=%s" % self.name}),
                pods=(core_path(self.ns, "pods"),
                      {"labelSelector": selector_string(sts["spec"]["selector"])}))
            outcome = wait(self.watcher, lambda snapshot, now: Verdict(done=True),
                           self.timeout or 300)
            if outcome.state == "unreachable":
                assert outcome.error is not None
                raise outcome.error
            if not outcome.ok:
                message = "error: timed out after %s starting to watch %s: %s" % (
                    fmt(self.timeout), self.name, outcome.why or "no answer")
                if outcome.error is not None:
                    raise reworded(outcome.error, message)
                raise WaitTimeout(message)
        return self.watcher

    def current(self, snapshot: Optional["Snapshot"] = None) -> Tuple[Obj, List[Obj]]:
        """The set and its pods as the watches (or `snapshot`, a wait's view) show them."""
        if snapshot is None:
            snapshot = self.watching().snapshot()
        sts = snapshot["sts"].get(self.name)
        if sts is None:
            raise NotFound('statefulset "%s" was deleted' % self.name)
        # The set's watch may deliver our own write after the pod events it caused: until it
        # does, the object we wrote is the newest (its status shows it is not observed yet).
        written = self.last_written
        if written is not None and self.dry_run == "none" and \
                written["metadata"].get("generation", 0) > sts["metadata"].get("generation", 0):
            sts = written
        return sts, list(snapshot["pods"].values())

    def watching(self) -> "Watch":
        """The watches watch() started (every wait of a run comes after it)."""
        assert self.watcher is not None, "watch() first"
        return self.watcher

    def wait_observed(self) -> None:
        """Until the controller has seen the latest generation (or the timeout: the caller
        goes on with what it sees)."""
        from ...client.watch import Verdict, wait

        def judge(snapshot: "Snapshot", now: float) -> Verdict:
            sts, _ = self.current(snapshot)
            st = sts.get("status") or {}
            return Verdict(done=st.get("observedGeneration", 0) >=
                           sts["metadata"].get("generation", 1))
        wait(self.watching(), judge, self.timeout or 300)

    def wait_gone(self, pod: Obj) -> None:
        """Until the pod watch shows our DELETE (the pod terminating, or another incarnation,
        or none): the gate must not judge the pod as it was before the delete."""
        from ...client.watch import Verdict, wait
        uid = pod["metadata"]["uid"]

        def judge(snapshot: "Snapshot", now: float) -> Verdict:
            seen = snapshot["pods"].get(pod["metadata"]["name"])
            return Verdict(done=seen is None or seen["metadata"]["uid"] != uid or
                           bool(seen["metadata"].get("deletionTimestamp")))
        wait(self.watching(), judge, self.timeout or 300)

    # -- writing --------------------------------------------------------------------------------
    def write(self, sts: Obj, change: Callable[[Obj], Obj], describe: str) -> Obj:
        """Apply `change(fresh_sts) -> new_sts` (a core transform) and PUT it with the
        resourceVersion it was computed from. On 409, re-read and let `change` re-check the
        plan on the fresh object."""
        from ...core.rollout import applied, rollout_state
        for _ in range(5):
            new = change(sts)
            self.check_owners(sts, new)
            if self.dry_run == "client":
                click.echo("dry-run (client): would %s: PUT %s (resourceVersion %s)"
                           % (describe, sts_path(self.ns, self.name),
                              sts["metadata"]["resourceVersion"]))
                return new
            self.check_writes(self.variant)
            query = {"dryRun": "All"} if self.dry_run == "server" else {}
            try:
                written = self.conn.request("PUT", sts_path(self.ns, self.name), query, body=new)
            except Conflict:
                sts = self.read()
                continue
            except TransportError as exc:
                if exc.phase == "sent" and self.dry_run == "none":
                    # the connection broke after the PUT was sent: it may have been applied.
                    # Re-read: if it was, go on; if not, the PUT (with the resourceVersion it
                    # is computed from) is safe to send again.
                    sts = self.read()
                    if applied(sts, change(sts)):
                        self.last_written = sts
                        return sts
                    continue
                raise
            except ServerError as exc:
                if self.dry_run != "none":
                    raise
                # a 5xx may have been applied too (issue 27): re-read; applied, go on; not
                # applied, the write is not sent again (a 5xx is not retried) and a stepping
                # run says where the set stands and how to go on
                sts = self.read()
                if applied(sts, change(sts)):
                    self.last_written = sts
                    return sts
                if self.target is not None:
                    raise reworded(exc, "%s; %s was not applied: %s stays at partition %s; "
                                        "run the same command again to go on"
                                   % (exc.message, describe, self.name,
                                      rollout_state(sts)["partition"]))
                raise
            if self.dry_run == "server":
                click.echo("dry-run (server): %s accepted" % describe)
            self.last_written = written
            return written
        raise Conflict("error: the StatefulSet kept changing under us (5 conflicts); re-run")

    def check_owners(self, sts: Obj, new: Obj) -> None:
        """Before the run's first write of the set (and its lock): who else owns the fields it
        changes (managedFields of the set as read); a warning each, a refusal (exit 11) when
        an owner puts them back, unless --force."""
        if self._owners_checked:
            return
        self._owners_checked = True
        from ...core.fieldowners import ownership, written_paths
        lines, refused = ownership(sts, written_paths(sts, new), self.force)
        if refused:
            raise Refused(refused)
        for line in lines:
            click.echo(line, err=True)

    def set_partition(self, sts: Obj, expected_old: int, value: int, target: Optional[int],
                      undo: bool = False) -> Obj:
        from ...core.rollout import STATE_ANNOTATION, with_partition
        from ...core.rollout.checks import record, with_checks
        kept = record(self.checks, self.check_timeout) if self.checks and not undo else None
        return self.write(sts, lambda fresh: with_checks(with_partition(
            fresh, expected_old, value, target, undo), STATE_ANNOTATION, kept),
            "set partition %d" % value)

    def check_writes(self, variant: str) -> None:
        """May this run make the writes of `variant`? Asked once, before the first."""
        if variant not in self._checked:
            self._checked.add(variant)
            check_writes(self.conn, variant, self.dry_run)

    def delete_pod(self, pod: Obj) -> None:
        """DELETE one pod with its uid as precondition (never another incarnation)."""
        self.check_writes(self.variant if self.variant in ("rollout --undo",
                                                           "rollout --step --batch")
                          else "rollout --step (OnDelete)")
        query = {"dryRun": "All"} if self.dry_run == "server" else {}
        self.conn.request("DELETE", core_path(self.ns, "pods", pod["metadata"]["name"]), query,
                          body={"preconditions": {"uid": pod["metadata"]["uid"]}})

    def report(self, finished: bool) -> None:
        """The ordinal table after a run, and the line that says what is done or next."""
        from ...core.rollout import next_command, rollout_state
        from ...printers.rollout import render_ordinals
        sts, pods = self.current()
        state = rollout_state(sts)
        click.echo(render_ordinals(sts, pods, state["effectivePartition"]))
        click.echo(next_command(state, finished=finished, undone=self.undoing))

    # -- the terminal ---------------------------------------------------------------------------
    def can_ask(self) -> bool:
        return self.yes or sys.stdin.isatty()

    def confirm(self, question: str) -> bool:
        """True to go on. Without a terminal and without --yes: a UsageError; callers ask
        before any write, so the refusal never leaves a half-done change."""
        if self.yes:
            return True
        if not sys.stdin.isatty():
            raise UsageError("error: %s (refusing to ask: stdin is not a terminal; pass --yes)"
                             % question.rstrip("?"))
        return click.confirm(question, default=False)

    def explain_interruption(self) -> None:
        """After Ctrl-C or SIGTERM: where the set stands (read again: a write in flight either
        happened or not) and the command that continues. Quick even with the API server
        down: a few seconds of retries, then the last partition this run wrote."""
        from ...core.rollout import interruption_advice, rollout_state
        click.echo("", err=True)
        try:
            sts = self.conn.request("GET", sts_path(self.ns, self.name), retry_budget=3,
                                    timeout=(3, 5))
        except (StsError, KeyboardInterrupt) as exc:
            why = exc.message if isinstance(exc, StsError) else "interrupted again"
            if self.last_written is not None:
                click.echo("interrupted: %s could not be read (%s); this run last set "
                           "partition %s" % (self.name, why,
                                             rollout_state(self.last_written)["partition"]),
                           err=True)
            else:
                click.echo("interrupted: %s could not be read (%s)" % (self.name, why),
                           err=True)
            click.echo("see where it stands with: kubectl sts rollout %s" % self.name,
                       err=True)
            return
        for line in interruption_advice(rollout_state(sts), self.gating, self.dry_run):
            click.echo(line, err=True)


def fmt(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    return "%gs" % seconds if seconds < 120 else "%gm" % (seconds / 60)

"""One run of `restore`: its reads, the backup file (the set, the uids of the claims and pods it
replaces, the run that holds it), the loop of one ordinal over core.restore.next_action (each
action one write or one wait, so a run interrupted anywhere continues from what the cluster
shows), and what Ctrl-C says."""

import json
import os
import time
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

import click

from ...client.paths import path
from ...errors import (Conflict, NotFound, PodFailed, StsError, UsageError,
                       WaitTimeout)
from ...k8s.privatefiles import write_private
from ..shell import core_path, delete_options, sts_path

if TYPE_CHECKING:
    from . import RestoreOptions
    from ...client.connection import Connection

Obj = Dict[str, Any]
MAX_ACTIONS = 40            # one ordinal's actions; more means something undoes them


class Restore:
    def __init__(self, conn: "Connection", options: "RestoreOptions", backup: str,
                 say: Callable[..., None]) -> None:
        self.conn, self.options, self.backup, self.say = conn, options, backup, say
        self.name, self.ns, self.source = options.name, conn.namespace, options.source
        self.stage: str = "reading"                     # the action going on (Ctrl-C)
        self.ordinal: Optional[int] = None
        self.run_id = "%s-%d-%s" % (time.strftime("%Y%m%dT%H%M%S", time.gmtime()), os.getpid(),
                                    os.urandom(2).hex())
        self.claim_uids: Dict[str, Optional[str]] = {}  # the claims replaced: name -> old uid
        self.pod_uids: Dict[str, Optional[str]] = {}    # their pods: name -> old uid
        self.volumes: Dict[str, Optional[str]] = {}     # the claims' old PVs: claim -> PV
        self.live: Optional[Obj] = None                 # the set as it was, to create again
        self.saved, self.done = False, False
        self.rows: List[Obj] = []

    # -- reading --------------------------------------------------------------------------------
    def read(self, sts: Obj) -> Tuple[List[Obj], Dict[str, Obj], Dict[str, Obj], List[Obj],
                                      Dict[str, Optional[str]]]:
        """The snapshot set, the set's claims, their PVs, the StorageClasses and each
        snapshot's driver. Snapshots not served (404 on the list): refused."""
        from ...client.connection import concurrently
        from ...core.labels import SNAPSHOT_SET_LABEL, selector_string
        from ..snapshotset import require_served
        require_served(self.conn)                   # discovery: refused when not served
        labels = (sts["spec"].get("selector") or {}).get("matchLabels") or {}
        snapshots, claims, classes = concurrently(
            lambda: self.conn.get(path("volumesnapshots", self.ns), labelSelector="%s=%s"
                                  % (SNAPSHOT_SET_LABEL, self.source))["items"],
            lambda: self.conn.get(core_path(self.ns, "persistentvolumeclaims"),
                                  labelSelector=selector_string(
                                      {"matchLabels": labels}) or None)["items"],
            lambda: self.conn.get(path("storageclasses"))["items"])
        by_name = {c["metadata"]["name"]: c for c in claims}
        volumes: List[str] = sorted({str((c.get("spec") or {}).get("volumeName") or "")
                                     for c in claims} - {""})
        contents: List[str] = sorted({str((s.get("status") or {}).get(
            "boundVolumeSnapshotContentName") or "") for s in snapshots} - {""})
        found = concurrently(*[self._get_or_none(path("persistentvolumes", name=v))
                               for v in volumes],
                             *[self._get_or_none(path("volumesnapshotcontents", name=c))
                               for c in contents])
        pvs = {v: pv for v, pv in zip(volumes, found) if pv is not None}
        driver_of = {c: ((doc or {}).get("spec") or {}).get("driver")
                     for c, doc in zip(contents, found[len(volumes):])}
        drivers = {s["metadata"]["name"]: driver_of.get(
            (s.get("status") or {}).get("boundVolumeSnapshotContentName") or "")
            for s in snapshots}
        return snapshots, by_name, pvs, classes, drivers

    def _get_or_none(self, where: str) -> Callable[[], Optional[Obj]]:
        def get() -> Optional[Obj]:
            try:
                found: Obj = self.conn.get(where)
                return found
            except NotFound:
                return None
        return get

    def adopt_plan(self, the_plan: Obj, doc: Optional[Obj]) -> None:
        """The uids the run replaces and the old PVs: the backup's when it continues one (a
        claim restored already is bound to its new PV: the rows name the old one), else as
        read."""
        self.rows = the_plan["ordinals"]
        if doc is not None:
            self.claim_uids = dict(doc.get("claims") or {})
            self.pod_uids = dict(doc.get("pods") or {})
            self.volumes = dict(doc.get("volumes") or {})
            self.live = doc.get("statefulSet")
        for row in self.rows:
            for c in row["claims"]:
                self.claim_uids.setdefault(c["claim"], c["uid"])
                old = self.volumes.setdefault(c["claim"], c["pv"])
                if old != c["pv"]:
                    pv = self._get_or_none(path("persistentvolumes", name=old))() \
                        if old else None
                    c["pv"], c["reclaimPolicy"] = old, ((pv or {}).get("spec") or {}).get(
                        "persistentVolumeReclaimPolicy") if pv else "gone"
            if row["pod"] not in self.pod_uids:
                pod = self._get_or_none(core_path(self.ns, "pods", row["pod"]))()
                self.pod_uids[row["pod"]] = (pod or {}).get("metadata", {}).get("uid")

    # -- the backup -----------------------------------------------------------------------------
    def load_backup(self) -> Optional[Obj]:
        from ..recreate import load_backup
        return load_backup(self.backup, "RestoreBackup", self.name)

    def usable_backup(self, sts: Optional[Obj], options: "RestoreOptions") -> Optional[Obj]:
        """The backup this run continues (only with --resume), or None. Refused: another run
        that still runs holds it (--force takes it over), or it restores another snapshot
        set. The set missing without a backup to resume: NotFound, with the command."""
        from ...core.resize import backup_verdict
        from ..recreate import writer_alive
        doc = self.load_backup()
        live_uid = (sts or {}).get("metadata", {}).get("uid")
        verdict = backup_verdict(doc, live_uid, self.run_id,
                                 doc is not None and writer_alive(doc))
        if verdict == "busy" and not options.force:
            assert doc is not None
            raise Conflict("error: another restore of %s (run %s, pid %s on %s) holds its "
                           "backup %s: wait for it to finish, or take over with --force if it "
                           "no longer runs; nothing was changed" % (
                               self.name, doc.get("run"), doc.get("pid"), doc.get("host"),
                               self.backup), 409)
        if verdict == "none" or doc is None:
            return None
        if not options.resume:
            if sts is None:
                raise NotFound("error: statefulset %s is missing; continue the interrupted "
                               "restore with: %s (backup: %s)" % (
                                   self.name, self.command(doc), self.backup), 404)
            return None
        if doc.get("from") != self.source:
            raise UsageError("error: the interrupted run restores from %s, not %s: continue "
                             "it with: %s" % (doc.get("from"), self.source, self.command(doc)))
        return doc

    def command(self, doc: Optional[Obj] = None) -> str:
        ordinals = (doc or {}).get("ordinals") or [r["ordinal"] for r in self.rows]
        which = "--ordinal %d" % ordinals[0] if len(ordinals) == 1 else "--all"
        return "kubectl sts restore %s --from %s %s --resume --yes --backup-file %s" % (
            self.name, (doc or {}).get("from") or self.source, which, self.backup)

    def save_backup(self, live: Obj, state: str = "running") -> None:
        import socket
        if self.live is None or state == "running":
            self.live = live
        doc = {"apiVersion": "kubectl-sts/v1", "kind": "RestoreBackup", "from": self.source,
               "ordinals": [r["ordinal"] for r in self.rows], "claims": self.claim_uids,
               "pods": self.pod_uids, "volumes": self.volumes, "statefulSet": self.live,
               "uid": self.live["metadata"].get("uid"), "run": self.run_id,
               "pid": os.getpid(), "host": socket.gethostname(), "state": state}
        write_private(self.backup, json.dumps(doc, indent=1, sort_keys=True))
        if state == "running" and not self.saved:
            self.say("backup of statefulset %s and of this run: %s" % (self.name, self.backup))
        self.saved = True

    def release(self) -> None:
        """When the run ends: its backup is spent when it finished, else interrupted (only
        --resume uses it)."""
        from ...core.resize import INTERRUPTED, SPENT
        if self.saved and self.live is not None:
            try:
                self.save_backup(self.live, SPENT if self.done else INTERRUPTED)
            except OSError as exc:
                click.echo("warning: the backup %s could not be marked: %s"
                           % (self.backup, exc), err=True)

    # -- one ordinal ----------------------------------------------------------------------------
    def state(self, row: Obj) -> Tuple[Optional[Obj], Optional[Obj], List[Obj]]:
        from ...client.connection import concurrently
        gets = [self._get_or_none(sts_path(self.ns, self.name)),
                self._get_or_none(core_path(self.ns, "pods", row["pod"]))]
        gets += [self._get_or_none(core_path(self.ns, "persistentvolumeclaims", c["claim"]))
                 for c in row["claims"]]
        gets += [self._get_or_none(path("persistentvolumes", name=c["pv"])) if c["pv"]
                 else (lambda: None) for c in row["claims"]]
        found = concurrently(*gets)
        n = len(row["claims"])
        claims = [{"claim": c["claim"], "current": cur, "oldUid": self.claim_uids.get(
            c["claim"]), "snapshot": c["snapshot"], "pv": pv}
            for c, cur, pv in zip(row["claims"], found[2:2 + n], found[2 + n:])]
        return found[0], found[1], claims

    def restore_ordinal(self, row: Obj) -> None:
        from ...core import restore as core
        self.ordinal = row["ordinal"]
        old_pod = self.pod_uids.get(row["pod"])
        for _ in range(MAX_ACTIONS):
            sts, pod, claims = self.state(row)
            action, target = core.next_action(sts, pod, old_pod, claims)
            self.stage = action
            if action == core.DONE:
                self.say("ordinal %d restored: %s Ready, %s" % (row["ordinal"], row["pod"], ", ".join(
                    "%s from %s" % (c["claim"], c["snapshot"]) for c in row["claims"])))
                return
            if action == core.RETAIN_PV:
                pv = next(c["pv"] for c in claims if c["pv"] and
                          c["pv"]["metadata"]["name"] == target)
                self.retain(pv)
            elif action == core.DELETE_SET:
                assert sts is not None
                self.delete_set(sts)
            elif action == core.WAIT_SET_GONE:
                assert sts is not None
                self.wait_gone("sets", sts_path(self.ns), self.name, sts["metadata"]["uid"],
                               "statefulset")
            elif action == core.DELETE_POD:
                assert pod is not None
                self.delete(core_path(self.ns, "pods", row["pod"]), pod, "pod")
            elif action == core.WAIT_POD_GONE:
                assert pod is not None
                self.wait_gone("pods", core_path(self.ns, "pods"), row["pod"],
                               pod["metadata"]["uid"], "pod")
            elif action in (core.DELETE_CLAIM, core.WAIT_CLAIM_GONE):
                current = next(c["current"] for c in claims if c["claim"] == target)
                if action == core.DELETE_CLAIM:
                    self.delete(core_path(self.ns, "persistentvolumeclaims", target), current,
                                "persistentvolumeclaim")
                else:
                    self.wait_gone("claims", core_path(self.ns, "persistentvolumeclaims"),
                                   target or "", current["metadata"]["uid"],
                                   "persistentvolumeclaim")
            elif action == core.CREATE_CLAIM:
                self.create_claim(next(c for c in row["claims"] if c["claim"] == target))
            elif action == core.CREATE_SET:
                self.create_set()
            elif action == core.WAIT_READY:
                self.wait_ready(row["pod"], old_pod)
        raise StsError("error: ordinal %d is not restored after %d actions: something undoes "
                       "them; see with: kubectl sts status %s" % (row["ordinal"], MAX_ACTIONS,
                                                                  self.name))

    def retain(self, pv: Obj, dry: bool = False) -> None:
        meta = pv["metadata"]
        body = {"metadata": {"resourceVersion": meta["resourceVersion"]},
                "spec": {"persistentVolumeReclaimPolicy": "Retain"}}
        self.conn.request("PATCH", path("persistentvolumes", name=meta["name"]),
                          {"dryRun": "All"} if dry else None, body=body,
                          content_type="application/merge-patch+json")
        if not dry:
            self.say("persistentvolume/%s: reclaimPolicy Retain (was %s): the old volume is "
                     "kept" % (meta["name"], (pv.get("spec") or {}).get(
                         "persistentVolumeReclaimPolicy")))

    def delete_set(self, sts: Obj, dry: bool = False) -> None:
        if not dry:
            self.save_backup(sts)
        body = delete_options(sts["metadata"]["uid"], sts["metadata"]["resourceVersion"],
                              propagation="Orphan")
        try:
            self.conn.request("DELETE", sts_path(self.ns, self.name),
                              {"dryRun": "All"} if dry else None, body=body)
        except (Conflict, NotFound):
            if dry:
                raise
            return                      # changed meanwhile: the next read decides again
        if not dry:
            self.say("statefulset.apps/%s deleted (--cascade=orphan: its pods keep running)"
                     % self.name)

    def delete(self, where: str, obj: Obj, kind: str, dry: bool = False) -> None:
        try:
            self.conn.request("DELETE", where, {"dryRun": "All"} if dry else None,
                              body=delete_options(obj["metadata"]["uid"]))
        except (Conflict, NotFound):
            if dry:
                raise
            return                      # gone or replaced meanwhile: the next read decides
        if not dry:
            self.say("%s/%s deleted" % (kind, obj["metadata"]["name"]))

    def wait_gone(self, key: str, collection: str, name: str, uid: str, kind: str) -> None:
        from ...client.watch import CLOCK, Verdict, Watch, wait
        spec: Dict[str, Tuple[str, Dict[str, str]]] = {
            key: (collection, {"fieldSelector": "metadata.name=%s" % name})}
        watch = Watch(self.conn, CLOCK, **spec)

        def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
            current = snapshot[key].get(name)
            return Verdict(done=current is None or current["metadata"].get("uid") != uid,
                           line="waiting for %s %s to be gone" % (kind, name))
        with watch:
            outcome = wait(watch, judge, self.options.timeout_s, self.say)
        if outcome.state != "done":
            raise WaitTimeout("error: %s %s is still there after %gs; continue with: %s"
                              % (kind, name, self.options.timeout_s, self.command()))

    def create_claim(self, row: Obj) -> None:
        from ...core.restore import restored_claim
        assert self.live is not None
        body = restored_claim(self.live, row["template"], self.ordinal or 0, row)
        body["metadata"]["namespace"] = self.ns
        try:
            self.conn.request("POST", core_path(self.ns, "persistentvolumeclaims"), body=body)
        except Conflict as exc:
            if exc.reason != "AlreadyExists":
                raise
            return                      # created meanwhile: the next read decides
        self.say("persistentvolumeclaim/%s created from volumesnapshot/%s"
                 % (row["claim"], row["snapshot"]))

    def create_set(self) -> None:
        from ...core.resize import recreated
        assert self.live is not None
        from ..recreate import restore_owners
        try:
            created = self.conn.request("POST", sts_path(self.ns),
                                        body=recreated(self.live, "", None))
        except Conflict as exc:
            if exc.reason != "AlreadyExists":
                raise
            return
        restore_owners(self.conn, self.ns, self.live, created)
        self.say("statefulset.apps/%s created again" % self.name)

    def wait_ready(self, pod_name: str, old_uid: Optional[str]) -> None:
        from ..shell import Progress, wait_new_incarnation
        outcome = wait_new_incarnation(self.conn, self.ns, pod_name, old_uid, 0.0,
                                       self.options.timeout_s, Progress(), False)
        if outcome.state == "failed":
            assert outcome.verdict is not None
            raise PodFailed("error: %s failed on the restored volume: %s" % (
                pod_name, outcome.verdict.failed))
        if outcome.state != "done":
            raise WaitTimeout("error: %s is not Ready after %gs (%s); the claims are restored; "
                              "see with: kubectl sts status %s" % (
                                  pod_name, self.options.timeout_s,
                                  outcome.verdict.line if outcome.verdict else outcome.why,
                                  self.name))

    # -- the end --------------------------------------------------------------------------------
    def server_dry_run(self, sts: Obj) -> None:
        """The first ordinal's writes sent with dryRun=All (the claims' creation cannot be:
        the old claims still exist)."""
        row = self.rows[0]
        sent = 0
        for c in row["claims"]:
            pv = self._get_or_none(path("persistentvolumes", name=c["pv"]))() if c["pv"] \
                else None
            if pv is not None:
                self.retain(pv, dry=True)
                sent += 1
        self.delete_set(sts, dry=True)
        pod = self._get_or_none(core_path(self.ns, "pods", row["pod"]))()
        if pod is not None:
            self.delete(core_path(self.ns, "pods", row["pod"]), pod, "pod", dry=True)
        for c in row["claims"]:
            claim = self._get_or_none(core_path(self.ns, "persistentvolumeclaims",
                                                c["claim"]))()
            if claim is not None:
                self.delete(core_path(self.ns, "persistentvolumeclaims", c["claim"]), claim,
                            "persistentvolumeclaim", dry=True)
        self.say("dry-run (server): the API server accepted the writes of ordinal %d (%d PV "
                 "patch(es), the deletes); nothing changed" % (row["ordinal"], sent))

    def wait_adopted(self) -> None:
        """Until the set created again controls every pod of its selector (the pods kept
        running; core/resize.py adoption_problems, without the revision check)."""
        from ...client.watch import Verdict, Watch, wait
        from ...core.labels import selector_string
        from ...core.resize import adoption_problems
        assert self.live is not None
        watch = Watch(self.conn,
                      pods=(core_path(self.ns, "pods"),
                            {"labelSelector": selector_string(self.live["spec"]["selector"])}),
                      sets=(sts_path(self.ns), {"fieldSelector": "metadata.name=%s"
                                                % self.name}))

        def judge(snapshot: Dict[str, Dict[str, Obj]], now: float) -> Verdict:
            new = snapshot["sets"].get(self.name)
            if new is None:
                return Verdict(line="waiting for statefulset %s" % self.name)
            pods = [p for p in snapshot["pods"].values()
                    if not p["metadata"].get("deletionTimestamp")]
            problems = adoption_problems(new, {p["metadata"]["name"]: p["metadata"]["uid"]
                                               for p in pods}, pods, None)
            return Verdict(done=not problems, line="adopting: %s" % "; ".join(problems[:3]))
        with watch:
            outcome = wait(watch, judge, self.options.timeout_s, self.say)
        if outcome.state != "done":
            raise WaitTimeout("error: after %gs: %s" % (self.options.timeout_s,
                                                       outcome.verdict.line if outcome.verdict
                                                       else outcome.why))

    def finish(self) -> None:
        self.wait_adopted()
        self.done = True
        self.stage = "done"
        kept = [c["pv"] for r in self.rows for c in r["claims"] if c["pv"]]
        self.say("restored %s from snapshot set %s" % (
            ", ".join(r["pod"] for r in self.rows), self.source))
        if kept:
            self.say("the old volumes are kept (Retain); once the restored data is checked, "
                     "delete them with: kubectl delete pv %s" % " ".join(kept))

    def where(self) -> str:
        """Where an interrupted (or failed) run leaves the set, and the command that
        continues it."""
        from ...core import restore as core
        gone = self.stage in (core.WAIT_SET_GONE, core.DELETE_POD, core.WAIT_POD_GONE,
                              core.DELETE_CLAIM, core.WAIT_CLAIM_GONE, core.CREATE_CLAIM,
                              core.CREATE_SET)
        return "%sordinal %s stopped at %s; continue with: %s" % (
            "statefulset %s may be deleted (its other pods keep running); " % self.name
            if gone else "", self.ordinal, self.stage, self.command())

    def explain_interruption(self) -> None:
        def say(line: str) -> None:
            click.echo(line, err=True)
        say("")
        if not self.saved:
            say("interrupted before any write: nothing was changed")
            return
        say("interrupted: %s" % self.where())


"""`kubectl sts repair NAME --ordinal K`: diagnose one stuck ordinal (read only, always
first), show the remedy as a plan, apply it after confirmation, then wait (watches) until the
ordinal is Ready again.

Reads, together: the set, the pod, the ordinal's claims, the nodes, the PVs, the pod's events.
Writes (one remedy): the node's out-of-service taint (resourceVersion precondition); or the
pod deleted with grace period 0 (uid precondition); or, with --fresh-volume, the PV set to
Retain, then the claims and the pod deleted (uid preconditions); or the pod deleted (the
forced-rollback trap)."""

import time

import click

from ..errors import NotFound, PodFailed, Refused, StsError, UsageError, WaitTimeout
from .shell import connect, core_path, delete_options, get_statefulset
from .options import Duration, Integer, dry_run_option, name_argument
from .scale import confirm

TAINT = {"key": "node.kubernetes.io/out-of-service", "value": "nodeshutdown",
         "effect": "NoExecute"}


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
@click.pass_context
def repair(ctx, name, ordinal, min_down, force_delete, fresh_volume, keep_volume, untaint,
           timeout_s, yes, dry_run):
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
    if force_delete and fresh_volume:
        raise UsageError("error: --force-delete and --fresh-volume cannot be used together")
    conn = connect(ctx)
    return Repair(conn, name, ordinal, timeout_s).run(min_down, force_delete, fresh_volume,
                                                      keep_volume, untaint, yes, dry_run)


class Repair:
    def __init__(self, conn, name, ordinal, timeout):
        self.conn, self.name, self.ordinal, self.timeout = conn, name, ordinal, timeout
        self.ns = conn.namespace
        self.pod_name = "%s-%d" % (name, ordinal)

    def read(self):
        from ..k8s import statefulset as facts
        from ..client.connection import concurrently
        from ..client.paths import path
        sts = get_statefulset(self.conn, self.ns, self.name)
        if self.ordinal not in facts.ordinals(sts):
            raise UsageError("error: ordinal %d is outside the range of %s" % (self.ordinal,
                                                                              self.name))

        def pod():
            try:
                return self.conn.get(core_path(self.ns, "pods", self.pod_name))
            except NotFound:
                return None

        def claim(cname):
            def get():
                try:
                    return self.conn.get(core_path(self.ns, "persistentvolumeclaims", cname))
                except NotFound:
                    return None
            return get
        names = [facts.claim_name(t, self.name, self.ordinal) for t in facts.claim_templates(sts)]
        results = concurrently(
            pod, lambda: self.conn.get(path("nodes"))["items"],
            lambda: self.conn.get(path("persistentvolumes"))["items"],
            lambda: self.conn.get(core_path(self.ns, "events"), fieldSelector=(
                "involvedObject.name=%s" % self.pod_name))["items"],
            lambda: self.conn.get(core_path(self.ns, "pods"), labelSelector=_selector(sts))[
                "items"],
            *[claim(c) for c in names])
        the_pod, nodes, pvs, events, pods = results[:5]
        claims = [c for c in results[5:] if c is not None]
        events.sort(key=lambda e: e.get("lastTimestamp") or e.get("eventTime") or "")
        return sts, the_pod, nodes, {p["metadata"]["name"]: p for p in pvs}, events, pods, claims

    def run(self, min_down, force_delete, fresh_volume, keep_volume, untaint, yes, dry_run):
        from ..core.repair import diagnose
        from ..core.rollout.gate import stuck
        sts, pod, nodes, pvs, events, pods, claims = self.read()
        if untaint:
            return self.untaint(nodes, yes, dry_run)
        found = diagnose(sts, self.ordinal, pod, claims, pvs, nodes, events, time.time(),
                         min_down, stuck(sts, pods))
        click.echo("Diagnosis of %s/%s:" % (self.ns, self.pod_name))
        for line in found["evidence"]:
            click.echo("  " + line)
        click.echo(found["text"])
        remedy = found["remedy"]
        if remedy == "taint" and force_delete:
            remedy = "force-delete"
        if remedy == "fresh-volume" and not fresh_volume:
            raise Refused("error: refused: %s needs --fresh-volume (it deletes the data of its "
                          "claims); nothing was changed" % self.pod_name)
        if remedy is None:
            if found["problem"] == "healthy":
                return 0
            raise StsError("error: no remedy applies to %s (%s); nothing was changed"
                           % (self.pod_name, found["problem"]))
        plan = self.plan(remedy, pod, claims, pvs, keep_volume)
        click.echo("Plan:")
        for step in plan:
            click.echo("  " + step[0])
        if remedy == "force-delete":
            click.echo("Warning: a StatefulSet runs at most one pod per ordinal only if the old "
                       "one is really stopped: make sure node %s is off" % (
                           pod["spec"].get("nodeName")))
        if dry_run == "client":
            click.echo("dry-run (client): nothing was sent")
            return 0
        if dry_run == "none" and not confirm("apply the remedy to %s?" % self.pod_name, yes):
            click.echo("nothing changed")
            return 0
        for _, write in plan:
            write(dry_run == "server")
        if dry_run == "server":
            click.echo("dry-run (server): the API server accepted the writes; nothing changed")
            return 0
        if remedy == "taint":
            click.echo("when node %s is back, remove the taint: kubectl sts repair %s --ordinal "
                       "%d --untaint" % (pod["spec"]["nodeName"], self.name, self.ordinal))
        return self.wait_ready((pod or {}).get("metadata", {}).get("uid"))

    # -- the remedies ---------------------------------------------------------------------------
    def plan(self, remedy, pod, claims, pvs, keep_volume):
        from ..client.paths import path
        steps = []
        if remedy == "taint":
            node = pod["spec"]["nodeName"]
            steps.append(("taint node %s %s=%s:%s" % (node, TAINT["key"], TAINT["value"],
                                                      TAINT["effect"]),
                          lambda dry: self.taint(node, dry)))
        elif remedy in ("force-delete", "delete-pod"):
            grace = 0 if remedy == "force-delete" else None
            steps.append(("delete pod %s%s (uid %s)" % (
                self.pod_name, " --grace-period=0 --force" if grace == 0 else "",
                pod["metadata"]["uid"]), lambda dry: self.delete_pod(pod, grace, dry)))
        elif remedy == "fresh-volume":
            for claim in claims:
                volume = claim["spec"].get("volumeName")
                if keep_volume and volume in pvs:
                    steps.append(("set PV %s persistentVolumeReclaimPolicy=Retain" % volume,
                                  lambda dry, v=volume: self.conn.request(
                                      "PATCH", path("persistentvolumes", None, v),
                                      {"dryRun": "All"} if dry else None, body={
                                          "spec": {"persistentVolumeReclaimPolicy": "Retain"}},
                                      content_type="application/merge-patch+json")))
                steps.append(("delete PVC %s (uid %s): its data stays on PV %s%s" % (
                    claim["metadata"]["name"], claim["metadata"]["uid"], volume,
                    "" if keep_volume else ", which is then deleted"),
                    lambda dry, c=claim: self.delete(core_path(
                        self.ns, "persistentvolumeclaims", c["metadata"]["name"]),
                        c["metadata"]["uid"], None, dry)))
            if pod is not None:
                steps.append(("delete pod %s (uid %s): it comes back with a new, empty claim"
                              % (self.pod_name, pod["metadata"]["uid"]),
                              lambda dry: self.delete_pod(pod, None, dry)))
        return steps

    def taint(self, node_name, dry):
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

    def delete_pod(self, pod, grace, dry):
        self.delete(core_path(self.ns, "pods", self.pod_name), pod["metadata"]["uid"], grace,
                    dry)

    def delete(self, where, uid, grace, dry):
        self.conn.request("DELETE", where, {"dryRun": "All"} if dry else None,
                          body=delete_options(uid, grace=grace))
        if not dry:
            click.echo("%s deleted" % where.rsplit("/", 2)[-1])

    def untaint(self, nodes, yes, dry_run):
        from ..client.paths import path
        from ..core.repair import down_for, out_of_service
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

    def wait_ready(self, old_uid):
        from .restart import wait_new_incarnation
        outcome = wait_new_incarnation(self.conn, self.ns, self.pod_name, old_uid, 0,
                                       self.timeout, lambda line: click.echo(line, err=True),
                                       count_restarts=False)
        if outcome.state == "failed":
            failure = outcome.verdict.failed
            raise PodFailed("error: %s came back but fails: %s: %s" % (
                self.pod_name, failure["reason"], failure.get("message") or "no message"))
        if outcome.state != "done":
            raise WaitTimeout("error: timed out after %gs: %s" % (
                self.timeout, outcome.verdict.line if outcome.verdict else outcome.why))
        click.echo("%s is Ready again (node %s)" % (self.pod_name,
                                                   outcome.verdict.result["spec"]["nodeName"]))
        return 0


def _selector(sts):
    from ..core.labels import selector_string
    return selector_string(sts["spec"].get("selector"))


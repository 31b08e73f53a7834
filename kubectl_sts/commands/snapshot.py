"""`kubectl sts snapshot NAME`: a snapshot set of a StatefulSet's volumes (one VolumeSnapshot
per claim of each ordinal, or one VolumeGroupSnapshot with --group), `--list` the sets of a
StatefulSet, `--delete SET` one set. Taking a set: commands/snapshotset.py (shared with
`rollout --snapshot`); the decisions: core/snapshots.py."""

import functools
import time
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional

import click

from ..errors import NotFound, UsageError
from .shell import check_writes, confirm, connect, delete_options, get_statefulset, now_utc
from .options import Duration, dry_run_option, name_argument, no_headers_option, output_option

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..printers.formats import Output

Obj = Dict[str, Any]


class SnapshotOptions(NamedTuple):
    name: str
    snapshot_class: Optional[str]
    ordinals_text: Optional[str]
    group: bool
    wait: bool
    timeout_s: float
    output: "Output"
    dry_run: str
    list_: bool
    delete: Optional[str]
    yes: bool
    ordinals: Optional[List[int]] = None     # --ordinals parsed (validate)


@click.command()
@name_argument()
@click.option("--class", "snapshot_class", metavar="CLASS",
              help="The VolumeSnapshotClass (with --group: VolumeGroupSnapshotClass); default: "
              "the class annotated as default for each claim's CSI driver.")
@click.option("--ordinals", "ordinals_text", metavar="LIST",
              help="The ordinals whose claims are snapshotted (e.g. 0,2); default: every one.")
@click.option("--group", is_flag=True, help="One VolumeGroupSnapshot of every claim "
              "(crash-consistent across them), where the server serves it; waits until its "
              "member snapshots are made, and labels them as the set.")
@click.option("--wait", is_flag=True, help="Wait until every snapshot is ready to use; print "
              "each one's restore size and how long it took.")
@click.option("--timeout", "timeout_s", type=Duration(), default="5m", show_default=True,
              metavar="DURATION", help="How long --wait waits.")
@output_option(("json", "yaml", "name"))
@dry_run_option("Show the set only (client), or also send the creates with dryRun=All.")
@click.option("--list", "list_", is_flag=True, help="List the StatefulSet's snapshot sets.")
@click.option("--delete", metavar="SET", help="Delete one snapshot set (after showing it and "
              "asking); a --group set: its VolumeGroupSnapshot, which deletes its members.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation (--delete).")
@no_headers_option
@click.pass_context
def snapshot(ctx: click.Context, **flags: Any) -> int:
    """Snapshot a StatefulSet's volumes as one set: a VolumeSnapshot per PVC of every ordinal.

    Each snapshot is labelled with the set (kubectl-sts.io/snapshot-set), the StatefulSet, the
    ordinal and the claim template, and annotated with the revision of the ordinal's pod (the
    template its data was written by) and the time: the set is what `kubectl sts restore NAME
    --from SET` restores from. The class is the one given, or the default VolumeSnapshotClass
    of each claim's CSI driver. Refused before any write where the server does not serve
    VolumeSnapshots, a claim is not a CSI volume or has no class.

    \b
    Examples:
      # Snapshot every claim of web and wait until the snapshots are ready
      kubectl sts snapshot web --wait

    \b
      # In a script: the set's name
      SET=$(kubectl sts snapshot web --wait -o name)

    \b
      # One crash-consistent VolumeGroupSnapshot of every claim (groupsnapshot.storage.k8s.io)
      kubectl sts snapshot web --group

    \b
      # The sets of web, then delete one
      kubectl sts snapshot web --list
      kubectl sts snapshot web --delete web-20260101-120000 --yes"""
    options = validate(SnapshotOptions(**flags))
    return run(connect(ctx), options)


def validate(options: SnapshotOptions) -> SnapshotOptions:
    from ..core.restart import PlanError, parse_ordinals
    if options.list_ and options.delete:
        raise UsageError("error: --list and --delete cannot be used together")
    if options.list_ or options.delete:
        taking = [flag for flag, given in (
            ("--class", options.snapshot_class), ("--ordinals", options.ordinals_text),
            ("--group", options.group), ("--wait", options.wait)) if given]
        if taking:
            raise UsageError("error: %s cannot be used with %s" % (
                taking[0], "--list" if options.list_ else "--delete"))
    if options.list_ and options.dry_run != "none":
        raise UsageError("error: --dry-run cannot be used with --list")
    try:
        return options._replace(ordinals=parse_ordinals(options.ordinals_text))
    except PlanError as exc:
        raise UsageError("error: %s" % exc)


def run(conn: "Connection", options: SnapshotOptions) -> int:
    from .snapshotset import require_served
    require_served(conn)
    if options.list_:
        return list_sets(conn, options)
    if options.delete:
        return delete_set(conn, options)
    return take(conn, options)


def take(conn: "Connection", options: SnapshotOptions) -> int:
    """Take a set; after Ctrl-C/SIGTERM, say what was created and how to remove it."""
    from ..errors import interrupt_code
    plan: Dict[str, Any] = {}
    try:
        return _take(conn, options, plan)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:
        explain_interruption(conn, options.name, plan.get("set"), plan.get("group"))
        return interrupt_code(exc)


def explain_interruption(conn: "Connection", name: str, set_: Optional[str],
                         group: Optional[Obj] = None) -> None:
    from ..client.paths import path
    from ..core.labels import SNAPSHOT_SET_LABEL
    from ..errors import StsError
    click.echo("", err=True)
    if set_ is None:
        click.echo("interrupted before any write: nothing was changed", err=True)
        return
    if group is not None:
        # its members are labelled as the set only at the end: the group is what to remove
        click.echo("interrupted: snapshot set %s: volumegroupsnapshot %s was created; the "
                   "snapshot controller goes on with it and its member snapshots, which are "
                   "not labelled as the set; remove them with kubectl delete "
                   "volumegroupsnapshot %s -n %s" % (set_, group["metadata"]["name"],
                                                     group["metadata"]["name"],
                                                     conn.namespace), err=True)
        return
    try:
        made = conn.request("GET", path("volumesnapshots", conn.namespace),
                            {"labelSelector": "%s=%s" % (SNAPSHOT_SET_LABEL, set_)},
                            retry_budget=3, timeout=(3, 5))["items"]
    except (StsError, KeyboardInterrupt):
        click.echo("interrupted: snapshot set %s may be partly created; see it with kubectl "
                   "sts snapshot %s --list" % (set_, name), err=True)
        return
    if not made:
        click.echo("interrupted: snapshot set %s: nothing was created" % set_, err=True)
        return
    click.echo("interrupted: snapshot set %s: %d snapshot(s) created; the snapshot controller "
               "goes on with them; see them with kubectl sts snapshot %s --list, remove them "
               "with kubectl sts snapshot %s --delete %s" % (set_, len(made), name, name, set_),
               err=True)


def _take(conn: "Connection", options: SnapshotOptions, taking: Dict[str, Any]) -> int:
    from ..errors import Refused
    from ..printers.snapshot import render_plan
    from .snapshotset import create_set, group_version, label_members, read_plan, wait_ready
    output, dry_run = options.output, options.dry_run
    # with -o name|json|yaml stdout carries the set's name or document only
    say = functools.partial(click.echo, err=not output.table)
    sts = get_statefulset(conn, conn.namespace, options.name)
    group = group_version(conn) if options.group else None
    plan, notes = read_plan(conn, sts, options.ordinals, options.snapshot_class, now_utc(),
                            group)
    if dry_run == "none" and not plan["refused"]:
        taking["set"] = plan["set"]
    if output.table or dry_run != "none":
        say(render_plan(plan))
    for note in notes:
        say("Note: %s" % note)
    if plan["refused"]:
        raise Refused("error: refused: %s; nothing was changed" % plan["refused"])
    if dry_run == "client":
        say("dry-run (client): would create %s; nothing changed" % (
            "1 VolumeGroupSnapshot" if group else
            "%d VolumeSnapshot(s)" % len(plan["snapshots"])))
        return 0
    check_writes(conn, _variant(options), dry_run)
    created = create_set(conn, plan, dry_run == "server", say, group)
    if group and dry_run == "none":
        taking["group"] = created[0]
    if dry_run == "server":
        say("dry-run (server): the API server accepted %d object(s); nothing changed"
            % len(created))
        return 0
    live: Dict[str, Obj] = {o["metadata"]["name"]: o for o in created}
    if options.wait or group:
        # a group's members are labelled as the set once made: --group always waits
        started = time.monotonic()
        live = wait_ready(conn, plan, options.timeout_s, say, group)
        if group:
            members = label_members(conn, plan, created[0], max(1.0, options.timeout_s - (
                time.monotonic() - started)), say)
            # the members by the names the controller gave them
            plan = dict(plan, snapshots=[dict(e, name=members[e["claim"]]["metadata"]["name"])
                                         for e in plan["snapshots"]])
            live = {m["metadata"]["name"]: m for m in members.values()}
        say("snapshot set %s: ready to use" % plan["set"])
    if output.kind == "name":
        click.echo(plan["set"])
    elif not output.table:
        from ..printers.formats import print_document
        doc = _document(plan, [live.get(e["name"]) or {} for e in plan["snapshots"]])
        click.echo(print_document(doc, output, lambda _: plan["set"]))
    return 0


def _variant(options: SnapshotOptions) -> str:
    """The core/permissions.py variant of a run."""
    if options.group:
        return "snapshot --group"
    return "snapshot --wait" if options.wait else "snapshot"


def _document(plan: Obj, live: List[Obj]) -> Obj:
    """The SnapshotSet document (-o json|yaml)."""
    from ..core.snapshots import took
    members = []
    for entry, obj in zip(plan["snapshots"], live):
        status = obj.get("status") or {}
        members.append(dict(
            {k: entry.get(k) for k in ("name", "claim", "template", "ordinal", "class",
                                       "revision") if k in entry},
            name=(obj.get("metadata") or {}).get("name") or entry.get("name"),
            readyToUse=bool(status.get("readyToUse")),
            restoreSize=status.get("restoreSize"), secondsToCut=took(obj),
            error=(status.get("error") or {}).get("message")))
    return {"apiVersion": "kubectl-sts/v1", "kind": "SnapshotSet", "name": plan["set"],
            "namespace": plan["namespace"], "statefulSet": plan["statefulSet"],
            "revision": plan["revision"], "ordinals": plan["ordinals"],
            "takenAt": plan["takenAt"], "group": plan["group"], "snapshots": members}


def _snapshots_of(conn: "Connection", name: str) -> List[Obj]:
    from ..client.paths import path
    from ..core.labels import SNAPSHOT_STS_LABEL
    return conn.get(path("volumesnapshots", conn.namespace),
                    labelSelector="%s=%s" % (SNAPSHOT_STS_LABEL, name))["items"]


def list_sets(conn: "Connection", options: SnapshotOptions) -> int:
    """--list: the sets of the StatefulSet (which may be gone: its sets are still listed)."""
    from ..core.snapshots import sets_of
    from ..printers.snapshot import render_sets
    sets = sets_of(options.name, _snapshots_of(conn, options.name))
    output = options.output
    if not output.table:
        from ..printers.formats import print_document
        click.echo(print_document({"apiVersion": "kubectl-sts/v1", "kind": "SnapshotSetList",
                                   "statefulSet": options.name, "items": sets}, output,
                                  lambda item: item["name"]))
        return 0
    if not sets:
        click.echo("No snapshot sets found for statefulset %s in %s namespace."
                   % (options.name, conn.namespace), err=True)
        return 0
    click.echo(render_sets(sets))
    return 0


def delete_set(conn: "Connection", options: SnapshotOptions) -> int:
    """--delete SET: show its snapshots, ask, delete each with a uid precondition; a group
    set's VolumeGroupSnapshot instead of its members (core deletions), which the snapshot
    controller then deletes with it."""
    from ..core.snapshots import deletions, members_to_delete
    from ..printers.snapshot import render_members
    set_ = options.delete or ""
    members = members_to_delete(set_, _snapshots_of(conn, options.name))
    if not members:
        raise NotFound('error: snapshot set "%s" of statefulset %s not found in namespace "%s"'
                       % (set_, options.name, conn.namespace), status=404, reason="NotFound")
    groups, alone = deletions(members)
    say = functools.partial(click.echo, err=not options.output.table)
    say(render_members(set_, members, groups))
    what = ", ".join(["%d VolumeGroupSnapshot(s) (and their %d member(s))" % (
        len(groups), sum(len(g["members"]) for g in groups))] * bool(groups) +
        ["%d VolumeSnapshot(s)" % len(alone)] * bool(alone))
    if options.dry_run == "client":
        say("dry-run (client): would delete %s; nothing changed" % what)
        return 0
    check_writes(conn, "snapshot --delete (group)" if groups else "snapshot --delete",
                 options.dry_run)
    if options.dry_run == "none" and not confirm(
            "delete the %d snapshot(s) of set %s?" % (len(members), set_), options.yes):
        say("nothing changed")
        return 0
    query = {"dryRun": "All"} if options.dry_run == "server" else None
    sent = 0
    for kind, path_, m in [("volumegroupsnapshot.groupsnapshot.storage.k8s.io",
                            _group_path(conn, g), g) for g in groups] + \
            [("volumesnapshot.snapshot.storage.k8s.io", _snapshot_path(conn, m), m)
             for m in alone]:
        try:
            conn.request("DELETE", path_, query, body=delete_options(uid=m["uid"]))
        except NotFound:
            pass                # gone already: what was asked
        sent += 1
        if options.dry_run == "none":
            if options.output.kind == "name":
                click.echo("%s/%s" % (kind, m["name"]))
            else:
                say("%s \"%s\" deleted" % (kind, m["name"]))
    if options.dry_run == "server":
        say("dry-run (server): the API server accepted %d delete(s); nothing changed" % sent)
    return 0


def _group_path(conn: "Connection", group: Obj) -> str:
    """The VolumeGroupSnapshot at the version its members' owner reference names."""
    from ..client.paths import group_path
    return group_path(str(group["apiVersion"]).split("/", 1)[1], "volumegroupsnapshots",
                      conn.namespace, group["name"])


def _snapshot_path(conn: "Connection", snapshot: Obj) -> str:
    from ..client.paths import path
    return path("volumesnapshots", conn.namespace, snapshot["name"])

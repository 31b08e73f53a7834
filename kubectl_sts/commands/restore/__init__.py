"""`kubectl sts restore NAME --from SET (--ordinal K | --all)`: put ordinals' volumes back from a
snapshot set (`kubectl sts snapshot`), one ordinal at a time.

Reads: the set, the snapshot set's VolumeSnapshots (one list by its label), their
VolumeSnapshotContents (the CSI driver), the set's claims (one list by the selector's labels),
their PVs and the StorageClasses. Then, per ordinal, until core.restore.next_action says done:
the old PVs' reclaimPolicy set to Retain (resourceVersion precondition); the backup file; the
set deleted with propagationPolicy Orphan (uid + resourceVersion preconditions); the pod
deleted (uid precondition) and gone; the claims deleted (uid preconditions) and gone; the
claims created with `dataSource` naming their snapshots; the set created again; the new pod
Ready. Waits with watches throughout."""

from typing import TYPE_CHECKING, Any, List, NamedTuple, Optional

import click

from ...errors import NotFound, Refused, StsError, UsageError, interrupt_code, reworded
from ..shell import check_writes, confirm, connect, get_statefulset
from ..options import Duration, dry_run_option, lock_options, name_argument

if TYPE_CHECKING:
    from ...client.connection import Connection
    from .session import Restore


class RestoreOptions(NamedTuple):
    name: str
    source: str
    ordinal: Optional[int]
    all_ordinals: bool
    yes: bool
    dry_run: str
    timeout_s: float
    backup_file: Optional[str]
    resume: bool
    force: bool
    wait_lock: Optional[float] = None


@click.command()
@name_argument()
@click.option("--from", "source", required=True, metavar="SET", help="The snapshot set to "
              "restore from (made by `kubectl sts snapshot`).")
@click.option("--ordinal", type=click.IntRange(min=0), default=None, metavar="K",
              help="Restore the volumes of ordinal K.")
@click.option("--all", "all_ordinals", is_flag=True, help="Restore every ordinal the snapshot "
              "set has, one at a time.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show the plan only (client), or also send the first ordinal's writes with "
                "dryRun=All (server).")
@click.option("--timeout", "timeout_s", type=Duration(), default="10m", show_default=True,
              metavar="DURATION", help="How long each wait may take (a deletion, the pod "
              "Ready again).")
@click.option("--backup-file", "--backup", "backup_file", metavar="FILE", help="Where the StatefulSet and "
              "the run's state are saved (default: under ~/.local/state/kubectl-sts/restore/).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run from its backup file.")
@click.option("--force", is_flag=True, help="Take over the set's lock, or the backup of "
              "another run that no longer runs.")
@lock_options(force=False)
@click.pass_context
def restore(ctx: click.Context, **flags: Any) -> int:
    """Restore a StatefulSet's volumes from a snapshot set, one ordinal at a time.

    For each ordinal: the old volumes' reclaim policy is set to Retain (they are kept until
    you delete them), the StatefulSet is deleted with --cascade=orphan (its other pods keep
    running), the ordinal's pod and claims are deleted, the claims are created again under
    the same names from the snapshots (dataSource), the StatefulSet is created again and the
    pod comes back Ready. Data written since the snapshots were taken is lost. A run
    interrupted anywhere is continued with --resume.

    \b
    Examples:
      # The plan only
      kubectl sts restore web --from web-20260101-120000 --ordinal 1 --dry-run

    \b
      # Restore ordinal 1, without asking
      kubectl sts restore web --from web-20260101-120000 --ordinal 1 --yes"""
    options = validate(RestoreOptions(**flags))
    return run(connect(ctx), options)


def validate(options: RestoreOptions) -> RestoreOptions:
    if options.ordinal is not None and options.all_ordinals:
        raise UsageError("error: --ordinal and --all cannot be used together")
    if options.ordinal is None and not options.all_ordinals and not options.resume:
        raise UsageError("error: one of --ordinal K or --all is required")
    return options


def run(conn: "Connection", options: RestoreOptions) -> int:
    from ..locking import holding        # the set's lock, held while restoring
    with holding(conn, options.name, "restore %s --from %s" % (options.name, options.source),
                 options.force, options.wait_lock, options.dry_run):
        return _run(conn, options)


def _run(conn: "Connection", options: RestoreOptions) -> int:
    from ..recreate import default_backup
    from .session import Restore
    say = click.echo
    backup = options.backup_file or default_backup(conn, options.name, "restore")
    session = Restore(conn, options, backup, say)
    try:
        return _restore(session, options)
    except (KeyboardInterrupt, click.exceptions.Abort) as exc:   # Ctrl-C, SIGTERM (cli.main)
        session.explain_interruption()
        return interrupt_code(exc)
    finally:
        session.release()


def _restore(session: "Restore", options: RestoreOptions) -> int:
    from ...core.restore import RestoreRefused, plan, plan_lines
    conn, name, say = session.conn, session.name, session.say
    try:
        sts: Optional[Any] = get_statefulset(conn, session.ns, name)
    except NotFound as exc:
        sts = None
        missing = exc
    doc = session.usable_backup(sts, options)
    if sts is None:
        if doc is None:
            raise missing
        say("statefulset %s is missing; continuing the interrupted restore (run %s) from %s"
            % (name, doc.get("run") or "?", session.backup))
    if doc is None and options.ordinal is None and not options.all_ordinals:
        raise UsageError("error: nothing to resume: %s holds no interrupted restore of %s from "
                         "%s; pass --ordinal K or --all" % (session.backup, name,
                                                            options.source))
    live = sts if sts is not None else doc["statefulSet"]          # type: ignore[index]
    ordinals: Optional[List[int]] = None if options.all_ordinals else (
        [options.ordinal] if options.ordinal is not None else None)
    if doc is not None and options.ordinal is None and not options.all_ordinals:
        ordinals = list(doc.get("ordinals") or [])
    snapshots, claims, pvs, classes, drivers = session.read(live)
    try:
        the_plan = plan(live, options.source, snapshots, ordinals, claims, pvs, classes,
                        drivers)
    except RestoreRefused as exc:
        raise Refused("error: refused: %s; nothing was changed" % exc)
    session.adopt_plan(the_plan, doc)
    for line in plan_lines(the_plan, session.ns, session.backup):
        say(line)
    dry_run = options.dry_run
    if dry_run == "client":
        say("dry-run (client): nothing was sent")
        return 0
    check_writes(conn, "restore --resume" if options.resume else "restore", dry_run)
    if dry_run == "server":
        session.server_dry_run(live)
        return 0
    if not confirm("replace the volumes of %s from snapshot set %s (their data since then is "
                   "lost)?" % (", ".join(r["pod"] for r in the_plan["ordinals"]),
                               options.source), options.yes):
        say("nothing changed")
        return 0
    session.save_backup(live)
    try:
        for row in the_plan["ordinals"]:
            session.restore_ordinal(row)
    except StsError as exc:             # say where it stands and which command continues
        raise reworded(exc, "%s; %s" % (exc.message, session.where()))
    session.finish()
    return 0

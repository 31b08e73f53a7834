"""`kubectl sts pvc NAME [--prune]`: the claims of every ordinal, and pruning orphans."""

from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional

import click

from ..errors import Conflict, NotFound, UsageError
from .shell import check_writes, confirm, connect, core_path, now_utc, read_set
from .options import (Integer, dry_run_option, lock_options, name_argument, no_headers_option,
                      output_option)

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..printers.formats import Output


class PvcOptions(NamedTuple):
    name: str
    prune: bool
    ordinal: Optional[int]
    yes: bool
    dry_run: str
    output: "Output"
    wait_lock: Optional[float] = None
    force: bool = False


@click.command()
@name_argument()
@click.option("--prune", is_flag=True, help="Delete orphaned PVCs (outside the ordinal range, "
              "mounted by no pod).")
@click.option("--ordinal", type=Integer(min=0), help="With --prune: only this ordinal's claims.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show (client) or send with dryRun=All (server) the deletions only.")
@output_option(("wide", "json", "yaml", "name", "jsonpath", "custom-columns"))
@no_headers_option
@lock_options(force=True)
@click.pass_context
def pvc(ctx: click.Context, **flags: Any) -> int:
    """List the PVCs of every ordinal (in range, orphaned, unbound); --prune deletes orphans.

    A claim is pruned only when it is outside the ordinal range and no pod mounts it; the plan
    is shown first and asked for (--yes skips the question).

    \b
    Examples:
      # The claims of web: bound, pending, orphaned
      kubectl sts pvc web

    \b
      # What --prune would delete, without deleting
      kubectl sts pvc web --prune --dry-run

    \b
      # Delete the orphaned claims of ordinal 3 only
      kubectl sts pvc web --prune --ordinal 3"""
    options = validate(PvcOptions(**flags))
    return run(connect(ctx), options)


def validate(options: PvcOptions) -> PvcOptions:
    if options.ordinal is not None and not options.prune:
        raise UsageError("error: --ordinal only applies to --prune")
    return options


def run(conn: "Connection", options: PvcOptions) -> int:
    """`--prune` holds the set's lock (commands/locking.py); the list only reads."""
    if not options.prune:
        return _run(conn, options)
    from .locking import holding
    with holding(conn, options.name, "pvc %s --prune" % options.name, options.force,
                 options.wait_lock, options.dry_run):
        return _run(conn, options)


def _run(conn: "Connection", options: PvcOptions) -> int:
    from ..core.pvc import list_claims
    sts, _, claims, pvs, _, notes = read_set(conn, options.name)
    # every pod of the namespace, not only the set's: a claim mounted by any pod is in use
    pods = conn.get(core_path(conn.namespace, "pods"))["items"]
    entries = list_claims(sts, claims, pods, pvs, now_utc())
    if not options.prune:
        return _show(entries, notes, options)
    return _prune(conn, sts, entries, options, notes)


def _show(entries: List[Dict[str, Any]], notes: List[str], options: PvcOptions) -> int:
    from ..printers.pvc import render_claims
    output = options.output
    if not output.table:
        from ..printers.formats import print_document
        text = print_document({"apiVersion": "kubectl-sts/v1", "kind": "ClaimList",
                               "items": entries}, output,
                              lambda e: "persistentvolumeclaim/%s" % e["name"])
        if text:
            click.echo(text)
    elif entries:
        click.echo(render_claims(entries, wide=output.kind == "wide"))
    else:
        click.echo("No PVCs found for %s." % options.name, err=True)
    for note in notes:
        click.echo("Note: %s" % note, err=True)
    return 0


def _prune(conn: "Connection", sts: Dict[str, Any], entries: List[Dict[str, Any]],
           options: PvcOptions, notes: List[str]) -> int:
    from ..k8s import statefulset as facts
    from ..core.pvc import prunable
    from ..printers.pvc import render_claims
    name, ordinal, dry_run = options.name, options.ordinal, options.dry_run
    if ordinal is not None and ordinal in facts.ordinals(sts):
        raise UsageError("error: ordinal %d is inside the range of %s: its claims are never "
                         "pruned" % (ordinal, name))
    victims = prunable(entries, ordinal)
    if not victims:
        click.echo("No orphaned PVCs to prune for %s." % name)
        return 0
    click.echo("Orphaned PVCs to delete:")
    click.echo(render_claims(victims))
    for note in notes:
        click.echo("Note: %s" % note, err=True)
    for v in victims:
        if v["reclaimPolicy"] == "Delete":
            click.echo("  %s: its PV %s has reclaimPolicy Delete: the data is gone for good"
                       % (v["name"], v["volume"]))
    if dry_run == "client":
        for v in victims:
            click.echo("dry-run (client): would delete pvc %s" % v["name"])
        return 0
    check_writes(conn, "pvc --prune", dry_run)
    if dry_run == "none" and not confirm("delete %d PVC(s)?" % len(victims), options.yes):
        click.echo("nothing deleted")
        return 0
    for v in victims:
        query = {"dryRun": "All"} if dry_run == "server" else None
        try:
            conn.request("DELETE", core_path(conn.namespace, "persistentvolumeclaims", v["name"]),
                         query, body={"preconditions": {"uid": v["uid"],
                                                        "resourceVersion": v["resourceVersion"]}})
        except (Conflict, NotFound) as exc:
            click.echo("skipped %s: it changed since it was listed (%s)"
                       % (v["name"], exc.message), err=True)
            continue
        click.echo('persistentvolumeclaim "%s" deleted%s' % (v["name"], " (server dry run)"
                                                             if dry_run == "server" else ""))
    return 0

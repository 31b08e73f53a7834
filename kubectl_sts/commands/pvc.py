"""`kubectl sts pvc NAME [--prune]`: the claims of every ordinal, and pruning orphans."""

import click

from ..errors import Conflict, NotFound, UsageError
from .shell import connect, core_path
from .options import Integer, dry_run_option, name_argument, output_option
from .scale import confirm, read_set


@click.command()
@name_argument()
@click.option("--prune", is_flag=True, help="Delete orphaned PVCs (outside the ordinal range, "
              "mounted by no pod).")
@click.option("--ordinal", type=Integer(min=0), help="With --prune: only this ordinal's claims.")
@click.option("-y", "--yes", is_flag=True, help="Do not ask for confirmation.")
@dry_run_option("Show (client) or send with dryRun=All (server) the deletions only.")
@output_option(("wide", "json", "yaml", "name", "jsonpath", "custom-columns"))
@click.option("--no-headers", is_flag=True, help="Print no header line.")
@click.pass_context
def pvc(ctx, name, prune, ordinal, yes, dry_run, output, no_headers):
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
    from ..k8s import statefulset as facts
    from ..core.pvc import list_claims, prunable
    from ..printers.pvc import render_claims
    from ..core.scale import utcnow
    if ordinal is not None and not prune:
        raise UsageError("error: --ordinal only applies to --prune")
    conn = connect(ctx)
    sts, _, claims, pvs, _, notes = read_set(conn, name)
    # every pod of the namespace, not only the set's: a claim mounted by any pod is in use
    pods = conn.get(core_path(conn.namespace, "pods"))["items"]
    entries = list_claims(sts, claims, pods, pvs, utcnow())
    if not prune:
        if not output.table:
            from ..printers.formats import print_document
            text = print_document({"apiVersion": "kubectl-sts/v1", "kind": "ClaimList",
                                   "items": entries}, output,
                                  lambda e: "persistentvolumeclaim/%s" % e["name"], no_headers)
            if text:
                click.echo(text)
        elif entries:
            from ..printers.formats import without_headers
            text = render_claims(entries, wide=output.kind == "wide")
            click.echo(without_headers(text) if no_headers else text)
        else:
            click.echo("No PVCs found for %s." % name, err=True)
        for note in notes:
            click.echo("Note: %s" % note, err=True)
        return 0
    if ordinal is not None and ordinal in facts.ordinals(sts):
        raise UsageError("error: ordinal %d is inside the range of %s: its claims are never "
                         "pruned" % (ordinal, name))
    victims = prunable(entries, ordinal)
    if not victims:
        click.echo("No orphaned PVCs to prune for %s." % name)
        return 0
    click.echo("Orphaned PVCs to delete:")
    click.echo(render_claims(victims))
    for v in victims:
        if v["reclaimPolicy"] == "Delete":
            click.echo("  %s: its PV %s has reclaimPolicy Delete: the data is gone for good"
                       % (v["name"], v["volume"]))
    if dry_run == "client":
        for v in victims:
            click.echo("dry-run (client): would delete pvc %s" % v["name"])
        return 0
    if dry_run == "none" and not confirm("delete %d PVC(s)?" % len(victims), yes):
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

"""`kubectl sts status [NAME]`: every ordinal, its volumes and its name at a glance.

Reads: one GET of the StatefulSet, one list of pods by its selector, one list of PVCs by the
claim templates' labels, one GET of the Service, one list of Warning events: five requests
whatever the replica count, all in flight at once once the set's selectors are cached
(shell.read_objects)."""

import sys
from typing import TYPE_CHECKING, Any, Dict, List, NamedTuple, Optional

import click

from ..errors import EXIT_CHECK_FAILED, CheckFailed, NotFound, UsageError
from .options import list_options, name_argument, output_option
from .shell import connect, core_path, now_utc, read_objects, read_view, sts_path

if TYPE_CHECKING:
    from ..client.connection import Connection
    from ..printers.formats import Output

FORMATS = ("wide", "json", "yaml", "name", "jsonpath", "custom-columns")


class StatusOptions(NamedTuple):
    name: Optional[str]
    output: "Output"
    selector: Optional[str]
    sort_by: Optional[str]
    show_labels: bool
    all_namespaces: bool
    watch: bool
    check: bool
    cluster_domain: str


@click.command()
@name_argument(required=False)
@output_option(FORMATS)
@list_options
@click.option("-A", "--all-namespaces", is_flag=True, help="List StatefulSets in every namespace.")
@click.option("-w", "--watch", is_flag=True, help="Keep refreshing from watch events until "
              "interrupted.")
@click.option("--check", is_flag=True, help="Exit %d unless every ordinal is Ready at the update "
              "revision (for scripts)." % EXIT_CHECK_FAILED)
@click.option("--cluster-domain", default="cluster.local", show_default=True,
              help="Cluster DNS domain used in the stable DNS names.")
@click.pass_context
def status(ctx: click.Context, **flags: Any) -> int:
    """Show every ordinal of a StatefulSet: pod, readiness, revision, volumes, DNS name.

    Without NAME, list the StatefulSets of the namespace (or all of them with -A).

    Over one set, -o custom-columns gives one row per ordinal: its expressions are evaluated
    on each item of the view's `ordinals` (as `-o json` prints them: pod, node, revision,
    ...). Without NAME they are evaluated on each set's item of the list.

    \b
    Examples:
      # Every ordinal of web: its pod, revision, PVCs and stable DNS name
      kubectl sts status web

    \b
      # The same as a document for scripts (kubectl-sts/v1 StatefulSetStatus)
      kubectl sts status web -o json

    \b
      # Fail a script (exit 8) unless every ordinal is Ready at the update revision
      kubectl sts status web --check

    \b
      # Follow it from watch events (in a pipe: one line per change)
      kubectl sts status web --watch

    \b
      # One row per ordinal: its pod, node and revision
      kubectl sts status web -o custom-columns=POD:.pod,NODE:.node,REVISION:.revisionState

    \b
      # The DNS name of every ordinal, one per line
      kubectl sts status web -o jsonpath='{range .ordinals[*]}{.dns}{"\\n"}{end}'

    \b
      # List the StatefulSets of every namespace, with their labels, oldest first
      kubectl sts status -A --show-labels --sort-by=.createdAt"""
    options = validate(StatusOptions(**flags))
    return run(connect(ctx), options)


def validate(options: StatusOptions) -> StatusOptions:
    name = options.name
    if name and options.all_namespaces:
        raise UsageError("error: a resource cannot be retrieved by name across all namespaces")
    if options.check and (options.watch or not name):
        raise UsageError("error: --check needs a NAME and cannot be combined with --watch")
    if name and (options.selector or options.sort_by or options.show_labels):
        raise UsageError("error: -l, --sort-by and --show-labels apply to the list view "
                         "(without NAME)")
    return options


def run(conn: "Connection", options: StatusOptions) -> int:
    name, output = options.name, options.output
    if not name:
        return _list(conn, options)
    if options.watch:
        return watch_status(conn, name, output, options.cluster_domain)
    view = read_view(conn, conn.namespace, name, options.cluster_domain,
                     wide=output.kind != "table")
    click.echo(format_view(view, output))
    if options.check and not view["healthy"]:
        raise CheckFailed("")       # the view above says why
    return 0


def format_view(view: Dict[str, Any], output: "Output") -> str:
    from ..printers.formats import print_document
    from ..printers.status import render_view
    if output.table:
        return render_view(view, wide=output.kind == "wide")
    if output.kind == "custom-columns":
        # one row per ordinal, over the rows of the view (README: the `ordinals` items)
        return print_document({"items": view["ordinals"]}, output, _name)
    return print_document(view, output, _name)


def _name(doc: Dict[str, Any]) -> str:
    return "statefulset.apps/%s" % doc["name"]


def _list(conn: "Connection", options: StatusOptions) -> int:
    from ..printers.formats import print_document, sort_items, sort_key_template
    from ..core.status import list_row
    from ..printers.status import render_list
    output, all_namespaces, selector = options.output, options.all_namespaces, options.selector
    path = sts_path(None if all_namespaces else conn.namespace)
    items = conn.get(path, **({"labelSelector": selector} if selector else {}))["items"]
    now = now_utc()
    rows = sort_items([list_row(s, now) for s in items], sort_key_template(options.sort_by))
    if not output.table:
        text = print_document({"apiVersion": "kubectl-sts/v1", "kind": "StatefulSetList",
                               "items": rows}, output, _name)
        if text:
            click.echo(text)
        return 0
    table = render_list(rows, all_namespaces, options.show_labels)
    if table is None:
        where = "any namespace" if all_namespaces else "%s namespace" % conn.namespace
        click.echo("No StatefulSets found in %s." % where, err=True)
        return 0
    click.echo(table)
    return 0


# -- status --watch: the view, redrawn from watch events (client/watch.py) -----------------

def watch_status(conn: "Connection", name: str, output: "Output", domain: str) -> int:
    from ..core.labels import selector_string
    from ..core.status import build_view
    from ..client.watch import Verdict, Watch, wait
    ns = conn.namespace
    sts, _, _, service, _, unreadable = read_objects(conn, ns, name)
    selector = selector_string(sts["spec"].get("selector"))
    claims_selector = selector_string({"matchLabels": (sts["spec"].get("selector") or {})
                                       .get("matchLabels") or {}})
    claims_query = {"labelSelector": claims_selector} if claims_selector else {}
    watch = Watch(conn,
                  sts=(sts_path(ns), {"fieldSelector": "metadata.name=%s" % name}),
                  pods=(core_path(ns, "pods"), {"labelSelector": selector}),
                  claims=(core_path(ns, "persistentvolumeclaims"), claims_query),
                  events=(core_path(ns, "events"), {"fieldSelector": "type=Warning"}))

    def judge(snapshot: Dict[str, Dict[str, Any]], now: float) -> Verdict:
        failing = watch.errors()
        current = snapshot["sts"].get(name)
        if current is None:
            if "sts" in failing and not watch.informers["sts"].synced.is_set():
                return Verdict(failed=failing["sts"])
            return Verdict(failed=NotFound('statefulset "%s" was deleted' % name))
        view = build_view(current, list(snapshot["pods"].values()),
                          list(snapshot["claims"].values()), service,
                          list(snapshot["events"].values()), now_utc(), domain,
                          wide=output.kind != "table",
                          unreadable=unreadable + [str(e.message) for e in failing.values()])
        # ages change every second: judge again then even when nothing else happens
        return Verdict(line=shown(view), wake=now + 1.0)

    tty = sys.stdout.isatty() and output.table
    last: List[Dict[str, Any]] = []

    def shown(view: Dict[str, Any]) -> Optional[str]:
        """What to print for this view, or None: nothing a user would see has changed."""
        from ..core.status_watch import changed
        from ..printers.status import stream_lines
        previous = last[-1] if last else None
        if tty:                                 # a terminal: redraw when the text changes
            text = format_view(view, output)
        elif not changed(previous, view):
            return None
        elif output.table:                      # a pipe: one line per change
            text = "\n".join(stream_lines(previous, view, output.kind == "wide"))
        else:
            text = format_view(view, output)
        last[:] = [view]
        return text or None

    def show(text: str) -> None:
        if tty:
            click.echo("\x1b[H\x1b[2J", nl=False)
        click.echo(text)

    with watch:
        outcome = wait(watch, judge, None, show, judge_failing=True)
    if outcome.state == "unreachable":      # the watches failed for UNREACHABLE_BUDGET
        assert outcome.error is not None
        raise outcome.error
    assert outcome.verdict is not None      # no deadline: else only a failed verdict ends it
    raise outcome.verdict.failed

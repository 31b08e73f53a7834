"""`kubectl sts status [NAME]`: every ordinal, its volumes and its name at a glance.

Reads: one GET of the StatefulSet, one list of pods by its selector, one list of PVCs by the
claim templates' labels, one GET of the Service, one list of Warning events: five requests
whatever the replica count, all in flight at once once the set's selectors are cached
(read_objects)."""

import datetime
import sys

import click

from ..errors import EXIT_CHECK_FAILED, CheckFailed, Forbidden, NotFound, UsageError
from .shell import connect, core_path, get_statefulset, sts_path
from .options import list_options, name_argument, output_option

FORMATS = ("wide", "json", "yaml", "name", "jsonpath", "custom-columns")


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
def status(ctx, name, output, selector, sort_by, no_headers, show_labels, all_namespaces, watch,
           check, cluster_domain):
    """Show every ordinal of a StatefulSet: pod, readiness, revision, volumes, DNS name.

    Without NAME, list the StatefulSets of the namespace (or all of them with -A).

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
      # The DNS name of every ordinal, one per line
      kubectl sts status web -o jsonpath='{range .ordinals[*]}{.dns}{"\\n"}{end}'
    \b
      # List the StatefulSets of every namespace, with their labels, oldest first
      kubectl sts status -A --show-labels --sort-by=.createdAt"""
    if name and all_namespaces:
        raise UsageError("error: a resource cannot be retrieved by name across all namespaces")
    if check and (watch or not name):
        raise UsageError("error: --check needs a NAME and cannot be combined with --watch")
    if name and (selector or sort_by or show_labels):
        raise UsageError("error: -l, --sort-by and --show-labels apply to the list view "
                         "(without NAME)")
    conn = connect(ctx)
    if not name:
        return _list(conn, output, all_namespaces, selector, sort_by, no_headers, show_labels)
    if watch:
        return watch_status(conn, name, output, cluster_domain)
    view = read_view(conn, conn.namespace, name, cluster_domain, wide=output.kind != "table")
    click.echo(format_view(view, output))
    if check and not view["healthy"]:
        raise CheckFailed("")       # the view above says why
    return 0


def format_view(view, output):
    from ..printers.formats import print_document
    from ..printers.status import render_view
    if output.table:
        return render_view(view, wide=output.kind == "wide")
    return print_document(view, output, _name)


def _name(doc):
    return "statefulset.apps/%s" % doc["name"]


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def read_objects(conn, namespace, name):
    """The API objects status needs, in a fixed number of requests: the StatefulSet, the
    Warning events, its pods, claims and Service. The last three depend on the set (selector,
    service name), so a first run needs two round trips; it caches what they depend on
    (status_reads) and later runs send all five at once, then check the guess against the
    set they got and read again only if it was wrong. Returns
    (sts, pods, claims, service, events, unreadable)."""
    from ..client import cache
    from ..client.connection import concurrently
    from ..core.status import status_claim, status_reads
    entry = cache.entry_path(cache.cache_dir(conn.options.cache_dir), conn.server,
                             "statefulsets", namespace, name)
    guess = cache.load(entry)
    unreadable = []
    calls = [lambda: get_statefulset(conn, namespace, name),
             lambda: _optional(conn, core_path(namespace, "events"), "events", unreadable,
                               fieldSelector="type=Warning") or []]
    guessed_unreadable = []
    if isinstance(guess, dict):
        calls += [_attempt(call) for call in _collection_reads(conn, namespace, guess,
                                                               guessed_unreadable)]
    results = concurrently(*calls)
    sts, events = results[0], results[1]
    reads = status_reads(sts)
    if reads == guess:
        pods, claims, service = (_outcome(result) for result in results[2:])
        unreadable += guessed_unreadable
    else:
        pods, claims, service = concurrently(*_collection_reads(conn, namespace, reads,
                                                                unreadable))
        cache.store(entry, reads)
    if claims is not None and not claims and reads["claims"]:
        # claims made by hand or relabelled: fall back to their names (one more list)
        claims = _optional(conn, core_path(namespace, "persistentvolumeclaims"),
                           "persistentvolumeclaims", unreadable, project=status_claim)
    return sts, pods, claims or [], service, events, sorted(unreadable)   # one order always


def _collection_reads(conn, namespace, reads, unreadable):
    """The three reads that depend on the set: pods, claims, Service (see status_reads);
    pods and claims are reduced as they are decoded (status_pod, status_claim)."""
    from ..core.status import status_claim, status_pod
    claims = reads.get("claims")
    return [
        lambda: conn.get_items(core_path(namespace, "pods"), status_pod,
                               labelSelector=reads.get("pods")),
        lambda: [] if claims is None else _optional(
            conn, core_path(namespace, "persistentvolumeclaims"), "persistentvolumeclaims",
            unreadable, project=status_claim, labelSelector=claims or None),
        lambda: _service(conn, namespace, reads.get("service"), unreadable)]


def _attempt(call):
    """A read sent on a guess: its failure matters only if the guess was right."""
    def run():
        try:
            return (True, call())
        except Exception as exc:
            return (False, exc)
    return run


def _outcome(result):
    ok, value = result
    if not ok:
        raise value
    return value


def _service(conn, namespace, name, unreadable):
    if not name:
        return None
    try:
        return conn.get(core_path(namespace, "services", name))
    except Forbidden:
        unreadable.append("service %s (forbidden)" % name)
    except NotFound:
        pass
    return None


def _optional(conn, path, what, unreadable, project=None, **query):
    """A list the view can live without: a 403 is noted, not fatal."""
    try:
        if project is not None:
            return conn.get_items(path, project, **query)
        return conn.get(path, **query)["items"]
    except Forbidden as exc:
        unreadable.append("%s (forbidden: %s)" % (what, exc.message))
        return None


def read_view(conn, namespace, name, domain, wide=False):
    from ..core.status import build_view
    sts, pods, claims, service, events, unreadable = read_objects(conn, namespace, name)
    return build_view(sts, pods, claims, service, events, now_utc(), domain, wide, unreadable)


def _list(conn, output, all_namespaces, selector, sort_by, no_headers, show_labels):
    from ..printers.formats import print_document, sort_items, sort_key_template
    from ..core.status import list_row
    from ..printers.status import render_list
    path = sts_path(None if all_namespaces else conn.namespace)
    items = conn.get(path, **({"labelSelector": selector} if selector else {}))["items"]
    now = now_utc()
    rows = sort_items([list_row(s, now) for s in items], sort_key_template(sort_by))
    if not output.table:
        text = print_document({"apiVersion": "kubectl-sts/v1", "kind": "StatefulSetList",
                               "items": rows}, output, _name, no_headers)
        if text:
            click.echo(text)
        return 0
    text = render_list(rows, all_namespaces, show_labels, no_headers)
    if text is None:
        where = "any namespace" if all_namespaces else "%s namespace" % conn.namespace
        click.echo("No StatefulSets found in %s." % where, err=True)
        return 0
    click.echo(text)
    return 0


# -- status --watch: the view, redrawn from watch events (wait.py) --------------------------

def watch_status(conn, name, output, domain):
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

    def judge(snapshot, now):
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
    last = []

    def shown(view):
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

    def show(text):
        if tty:
            click.echo("\x1b[H\x1b[2J", nl=False)
        click.echo(text)

    with watch:
        outcome = wait(watch, judge, None, show, judge_failing=True)
    raise outcome.verdict.failed

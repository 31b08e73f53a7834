"""`kubectl sts status [NAME]`: every ordinal, its volumes and its name at a glance.

Reads: one GET of the StatefulSet, one list of pods by its selector, one list of PVCs by the
claim templates' labels, one GET of the Service, one list of Warning events: five requests
whatever the replica count."""

import datetime
import sys

import click

from ..errors import EXIT_CHECK_FAILED, CheckFailed, Forbidden, NotFound
from .common import connect, core_path, dump, get_statefulset, output_option, sts_path


@click.command()
@click.argument("name", required=False)
@output_option()
@click.option("-A", "--all-namespaces", is_flag=True, help="List StatefulSets in every namespace.")
@click.option("-w", "--watch", is_flag=True, help="Keep refreshing from watch events until "
              "interrupted.")
@click.option("--check", is_flag=True, help="Exit %d unless every ordinal is Ready at the update "
              "revision (for scripts)." % EXIT_CHECK_FAILED)
@click.option("--cluster-domain", default="cluster.local", show_default=True,
              help="Cluster DNS domain used in the stable DNS names.")
@click.pass_context
def status(ctx, name, output, all_namespaces, watch, check, cluster_domain):
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
      # Follow it from watch events
      kubectl sts status web --watch
    \b
      # List the StatefulSets of every namespace
      kubectl sts status -A"""
    if name and all_namespaces:
        raise click.UsageError("a StatefulSet NAME cannot be combined with -A")
    if check and (watch or not name):
        raise click.UsageError("--check needs a NAME and cannot be combined with --watch")
    from ..names import check_name
    if name is not None:
        check_name(name)        # before any request: a name is a DNS label, never a path
    conn = connect(ctx)
    if not name:
        return _list(conn, output, all_namespaces)
    if watch:
        return watch_status(conn, name, output, cluster_domain)
    view = read_view(conn, conn.namespace, name, cluster_domain, wide=output in ("wide", "json",
                                                                                 "yaml"))
    show(view, output)
    if check and not view["healthy"]:
        raise CheckFailed("")       # the view above says why
    return 0


def format_view(view, output):
    from ..status import render_view
    if output in ("json", "yaml"):
        return dump(view, output)
    return render_view(view, wide=output == "wide")


def show(view, output):
    click.echo(format_view(view, output))


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


def read_objects(conn, namespace, name):
    """The API objects status needs, in a fixed number of requests. Returns
    (sts, pods, claims, service, events, unreadable)."""
    from ..labels import selector_string
    sts = get_statefulset(conn, namespace, name)
    selector = selector_string(sts["spec"].get("selector"))
    pods = conn.get(core_path(namespace, "pods"), labelSelector=selector)["items"]
    unreadable = []
    claims = []
    claim_selector = selector_string({"matchLabels": (sts["spec"].get("selector") or {})
                                      .get("matchLabels") or {}})
    if sts["spec"].get("volumeClaimTemplates"):
        claims = _optional(conn, core_path(namespace, "persistentvolumeclaims"),
                           "persistentvolumeclaims", unreadable,
                           labelSelector=claim_selector or None)
        if claims is not None and not claims and claim_selector:
            # claims made by hand or relabelled: fall back to their names (one more list)
            claims = _optional(conn, core_path(namespace, "persistentvolumeclaims"),
                               "persistentvolumeclaims", unreadable)
        claims = claims or []
    service = None
    service_name = sts["spec"].get("serviceName")
    if service_name:
        try:
            service = conn.get(core_path(namespace, "services", service_name))
        except Forbidden:
            unreadable.append("service %s (forbidden)" % service_name)
        except NotFound:
            pass
    events = _optional(conn, core_path(namespace, "events"), "events", unreadable,
                       fieldSelector="type=Warning") or []
    return sts, pods, claims, service, events, unreadable


def _optional(conn, path, what, unreadable, **query):
    """A list the view can live without: a 403 is noted, not fatal."""
    try:
        return conn.get(path, **query)["items"]
    except Forbidden as exc:
        unreadable.append("%s (forbidden: %s)" % (what, exc.message))
        return None


def read_view(conn, namespace, name, domain, wide=False):
    from ..status import build_view
    sts, pods, claims, service, events, unreadable = read_objects(conn, namespace, name)
    return build_view(sts, pods, claims, service, events, now_utc(), domain, wide, unreadable)


def _list(conn, output, all_namespaces):
    from ..status import list_row, render_list
    path = sts_path(None if all_namespaces else conn.namespace)
    items = conn.get(path)["items"]
    rows = [list_row(s) for s in items]
    if output in ("json", "yaml"):
        click.echo(dump({"apiVersion": "kubectl-sts/v1", "kind": "StatefulSetList",
                         "items": rows}, output))
        return 0
    text = render_list(rows, all_namespaces)
    if text is None:
        where = "any namespace" if all_namespaces else "%s namespace" % conn.namespace
        click.echo("No StatefulSets found in %s." % where, err=True)
        return 0
    click.echo(text)
    return 0


# -- status --watch: the view, redrawn from watch events (wait.py) --------------------------

def watch_status(conn, name, output, domain):
    from ..labels import selector_string
    from ..status import build_view
    from ..wait import Verdict, Watch, wait
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
                          wide=output is not None,
                          unreadable=unreadable + [str(e.message) for e in failing.values()])
        # ages change every second: judge again then even when nothing else happens
        return Verdict(line=format_view(view, output), wake=now + 1.0)

    tty = sys.stdout.isatty()
    shown = []

    def show(text):
        if tty and output not in ("json", "yaml"):
            click.echo("\x1b[H\x1b[2J", nl=False)
        elif shown:
            click.echo("")
        click.echo(text)
        shown.append(True)

    with watch:
        outcome = wait(watch, judge, None, show, judge_failing=True)
    raise outcome.verdict.failed

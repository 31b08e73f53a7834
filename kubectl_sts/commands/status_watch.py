"""`kubectl sts status NAME --watch`: the status view, redrawn from watch events."""

import sys

import click

from ..errors import NotFound
from .common import core_path, sts_path


def watch_status(conn, name, output, domain):
    from ..labels import selector_string
    from ..status import build_view
    from ..wait import Verdict, Watch, wait
    from .status import format_view, now_utc, read_objects
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

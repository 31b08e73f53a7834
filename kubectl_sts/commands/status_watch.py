"""`kubectl sts status NAME --watch`: the status view, redrawn from watch events."""

import sys
import threading

import click

from ..errors import EXIT_NOT_FOUND, StsError
from .common import core_path, sts_path


def watch_status(conn, name, output, domain):
    from ..informer import Informer
    from ..labels import selector_string
    from ..status import build_view
    from .status import format_view, now_utc, read_objects
    ns = conn.namespace
    sts, _, _, service, _, unreadable = read_objects(conn, ns, name)
    changed = threading.Event()
    selector = selector_string(sts["spec"].get("selector"))
    claims_selector = selector_string({"matchLabels": (sts["spec"].get("selector") or {})
                                       .get("matchLabels") or {}})
    informers = {
        "sts": Informer(conn, sts_path(ns), lambda _: changed.set(),
                        fieldSelector="metadata.name=%s" % name),
        "pods": Informer(conn, core_path(ns, "pods"), lambda _: changed.set(),
                         labelSelector=selector),
        "claims": Informer(conn, core_path(ns, "persistentvolumeclaims"),
                           lambda _: changed.set(), labelSelector=claims_selector or None),
        "events": Informer(conn, core_path(ns, "events"), lambda _: changed.set(),
                           fieldSelector="type=Warning"),
    }
    for informer in informers.values():
        informer.start()
    tty = sys.stdout.isatty()
    last = None
    try:
        while True:
            changed.wait(timeout=1.0)          # at most once a second when nothing changes
            changed.clear()
            if not all(i.synced.is_set() or i.error for i in informers.values()):
                continue
            if informers["sts"].error and not informers["sts"].synced.is_set():
                raise informers["sts"].error
            current = informers["sts"].items.get(name)
            if current is None:
                raise StsError('statefulset "%s" was deleted' % name, EXIT_NOT_FOUND)
            view = build_view(current, list(informers["pods"].items.values()),
                              list(informers["claims"].items.values()), service,
                              list(informers["events"].items.values()), now_utc(), domain,
                              wide=output is not None,
                              unreadable=unreadable + [str(i.error.message) for i in
                                                       informers.values() if i.error])
            text = format_view(view, output)
            if text == last:
                continue
            if tty and output not in ("json", "yaml"):
                click.echo("\x1b[H\x1b[2J", nl=False)
            elif last is not None:
                click.echo("")
            click.echo(text)
            last = text
    finally:
        for informer in informers.values():
            informer.stop()

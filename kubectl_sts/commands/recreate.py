"""What the verbs that delete a StatefulSet with propagationPolicy Orphan and create it again
around its running pods share (resize, restore): where their backup file of the set goes by
default, reading one back, whether the process that wrote a backup still runs, and the field
owners (managedFields) put back on the set created again."""

import json
import os
import socket
from typing import TYPE_CHECKING, Any, Dict, Optional

if TYPE_CHECKING:
    from ..client.connection import Connection

Obj = Dict[str, Any]


def writer_alive(doc: Obj) -> bool:
    """Whether the process that wrote the backup still runs: its pid on this host (a backup
    written on another host, which cannot be checked, counts as alive: --force takes it)."""
    pid = doc.get("pid")
    if doc.get("host") != socket.gethostname():
        return True
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)                 # signal 0: only whether the process exists
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True                     # another user's process, or not one of ours
    return True


def default_backup(conn: "Connection", name: str, verb: str = "resize") -> str:
    """~/.local/state/kubectl-sts/<verb>/<server>/<namespace>/<name>.json ($XDG_STATE_HOME)."""
    from ..client.cache import server_directory
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local",
                                                            "state")
    return os.path.join(base, "kubectl-sts", verb, server_directory(conn.server),
                        conn.namespace, "%s.json" % name)


def load_backup(path: str, kind: str, name: str) -> Optional[Obj]:
    """The backup document at `path` when it is a `kind` of set `name`; else None (none, not
    JSON, another kind, another set)."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    if not isinstance(doc, dict) or doc.get("kind") != kind or \
            ((doc.get("statefulSet") or {}).get("metadata") or {}).get("name") != name:
        return None
    return doc


def restore_owners(conn: "Connection", ns: str, before: Obj, created: Obj) -> Obj:
    """Put the field owners of the deleted set `before` back on the set `created` again
    (core/fieldowners.py kept_owners): one merge patch carrying them, with the created set's
    resourceVersion as precondition. The API server assigns every field of a create to its
    manager whatever managedFields the body carries, but takes the managedFields of an update
    that carries others than the live ones as they are (apimachinery
    managedfields/internal/fieldmanager.go FieldManager.Update: "This is necessary to allow
    directly updating managed fields"). Without this, Flux's, Argo CD's or kubectl's
    ownership of the set would be gone, and with it every later refusal to write their fields.
    A failure only warns: the set exists; the next apply of its owner takes its fields back.
    Silent when it works (the owners are as they were). Returns the set as written."""
    import datetime

    import click

    from ..core.fieldowners import changed_paths, kept_owners
    from ..errors import Conflict, StsError
    from .shell import sts_path
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = kept_owners(before, created, now)
    meta = created.get("metadata") or {}
    name = str(meta.get("name") or "")
    if entries is None or entries == meta.get("managedFields"):
        return created
    current = created
    why = ""
    for _ in range(5):     # the controller's status writes move the resourceVersion
        body = {"metadata": {"resourceVersion": current["metadata"].get("resourceVersion"),
                             "managedFields": entries}}
        try:
            out: Obj = conn.request("PATCH", sts_path(ns, name), body=body,
                                    content_type="application/merge-patch+json")
            return out
        except Conflict as exc:
            why = exc.message
        except StsError as exc:
            why = exc.message
            break
        try:
            current = conn.get(sts_path(ns, name))
        except StsError as exc:
            why = exc.message
            break
        if current["metadata"].get("uid") != meta.get("uid") or \
                changed_paths(created, current):
            why = "statefulset %s was changed meanwhile" % name
            break
    click.echo("Warning: the field owners of statefulset %s (managedFields) could not be put "
               "back (%s): kubectl-sts owns all its fields until their owners apply it again"
               % (name, why), err=True)
    return created

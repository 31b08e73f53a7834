"""What the verbs that delete a StatefulSet with propagationPolicy Orphan and create it again
around its running pods share (resize, restore): where their backup file of the set goes by
default, reading one back, and whether the process that wrote a backup still runs."""

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

"""kubectl's cache directory and the plugin's small entries in it.

The directory is kubectl's: `--cache-dir`, else `$KUBECACHEDIR`, else `~/.kube/cache`
(kubectl keeps its discovery cache there, in one directory per server). An entry holds what
one run learnt that lets the next run send all its requests at once (status: the set's
selectors and Service name). It is only ever a guess: the caller checks it against what the
server answered and redoes the reads when it was wrong. An entry that cannot be read or
written is treated as absent, silently. Imports stay light: the executable's start (start.py)
reads the help text from here before anything else is loaded."""

import os

from ..k8s.privatefiles import read_trusted, write_private


def cache_dir(flag: "str | None" = None) -> str:   # a string: no typing import
    """The cache directory kubectl would use."""
    return flag or os.environ.get("KUBECACHEDIR") or os.path.join(
        os.path.expanduser("~"), ".kube", "cache")


def server_directory(server: str) -> str:
    """One directory name per API server, as kubectl names its discovery cache directories:
    the URL without its scheme, every character other than a word character or `.` as `_`."""
    import re          # not at the top: the help's path (cache_dir) needs no re
    host = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", server or "")
    return re.sub(r"[^\w.]", "_", host) or "_"


def entry_path(root: str, server: str, *parts: str) -> str:
    """Where the entry named by `parts` (DNS labels: kinds, namespaces, names) lives."""
    import re
    safe = [re.sub(r"[^\w.-]", "_", part) for part in parts]
    return os.path.join(root, "kubectl-sts", server_directory(server), *safe) + ".json"


def load(path: str) -> object:
    """The entry at `path`; None when absent, unreadable, or not trusted (a symlink, someone
    else's, writable by others: a shared cache folder may hold planted entries)."""
    import json
    data = read_trusted(path)
    try:
        return None if data is None else json.loads(data.decode("utf-8"))
    except ValueError:
        return None


def store(path: str, value: object) -> None:
    """Write JSON atomically (another run may read it at the same moment); failures are
    ignored."""
    import json
    store_text(path, json.dumps(value, sort_keys=True))


def store_text(path: str, text: str) -> None:
    """Write `text` as a private file (0600, folders 0700, no symlink followed); failures
    are ignored."""
    try:
        write_private(path, text)
    except OSError:
        pass

"""What a watch sends: the API server's watch-cache rules, as pure functions.

The rules (staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go,
`convertToWatchEvent` and `processInterval`):
- every committed change after the watch's resourceVersion is examined, in order; the watch's
  position advances only through changes it has examined (sent or filtered out), and a
  BOOKMARK carries exactly that position, so a client that resumes from a bookmark misses
  nothing;
- with a selector, a change is judged on the object before and after it: matching after but
  not before is ADDED, before and after MODIFIED, before but not after DELETED (carrying the
  object as it was, at the change's resourceVersion); a DELETED change is judged on the object
  it removed;
- `sendInitialEvents=true` (the WatchList feature) needs `resourceVersionMatch=NotOlderThan`
  (staging/src/k8s.io/apimachinery/pkg/apis/meta/internalversion/validation, `validateWatchOptions`)
  and ends its synthetic ADDED events with a bookmark annotated `k8s.io/initial-events-end`.
"""

import copy
from typing import Any, Callable, Dict, Mapping, NamedTuple, Optional, Tuple

from . import errors
from .params import query_bool
from .resources import ResourceType
from .store import WatchEntry

INITIAL_EVENTS_END = "k8s.io/initial-events-end"

Obj = Dict[str, Any]


class WatchOptions(NamedTuple):
    since: Optional[int]            # the resourceVersion to start after; None: the current one
    initial: bool                   # send the current objects first, as ADDED
    initial_end_bookmark: bool      # and then a bookmark annotated INITIAL_EVENTS_END
    bookmarks: bool                 # allowWatchBookmarks


def watch_options(query: Mapping[str, str]) -> WatchOptions:
    """Parse and check a watch's query. `since` is the resourceVersion to start after (None:
    the current one), `initial` whether to send the current objects first as ADDED."""
    rv = query.get("resourceVersion") or ""
    send_initial = query.get("sendInitialEvents")
    match = query.get("resourceVersionMatch") or ""
    bookmarks = query_bool(query, "allowWatchBookmarks")
    causes = []
    if send_initial is not None and match != "NotOlderThan":
        causes.append("sendInitialEvents requires setting resourceVersionMatch to NotOlderThan")
    if match and send_initial is None:
        causes.append("resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
                      "provided")
    if match and match != "NotOlderThan":
        causes.append('resourceVersionMatch "%s" is not supported for watch' % match)
    if causes:
        raise errors.invalid({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": 'ListOptions.meta.k8s.io "" is invalid: %s' % ", ".join(
                "resourceVersionMatch: Forbidden: %s" % c for c in causes),
            "reason": "Invalid",
            "details": {"group": "meta.k8s.io", "kind": "ListOptions", "causes": [
                {"reason": "FieldValueForbidden", "message": "Forbidden: %s" % c,
                 "field": "resourceVersionMatch"} for c in causes]},
            "code": 422})
    since = None
    if rv not in ("", "0"):
        try:
            since = int(rv)
        except ValueError:
            raise errors.bad_request("invalid resource version")
        if since < 0:
            raise errors.bad_request("invalid resource version")
    if send_initial is not None:
        initial = query_bool(query, "sendInitialEvents")
        return WatchOptions(since if not initial else None, initial, initial and bookmarks,
                            bookmarks)
    # the legacy semantics: "" and "0" start with the current state, a number after it
    return WatchOptions(since, since is None, False, bookmarks)


def watch_event(entry: WatchEntry, rt: ResourceType, namespace: Optional[str],
                predicate: Callable[[Obj], bool]) -> Optional[Tuple[str, Obj]]:
    """The (type, object) a watch of `rt` in `namespace` (None: all) with `predicate` sends for
    one committed change, or None when it is not the watch's business."""
    if entry.rt is not rt or (namespace and entry.namespace != namespace):
        return None
    now = entry.type != "DELETED" and predicate(entry.object)
    before = entry.previous is not None and predicate(entry.previous)
    if entry.type == "DELETED" and entry.previous is None:
        before = predicate(entry.object)
    if now and not before:
        return "ADDED", entry.object
    if now and before:
        return "MODIFIED", entry.object
    if before:
        if entry.type == "DELETED" or entry.previous is None:   # (not DELETED: never None)
            return "DELETED", entry.object
        gone = copy.deepcopy(entry.previous)
        gone["metadata"]["resourceVersion"] = str(entry.rv)
        return "DELETED", gone
    return None


def bookmark(rt_kind: str, api_version: str, position: int, initial_end: bool = False) -> Obj:
    """A BOOKMARK event's object: the kind with only metadata.resourceVersion (and the
    initial-events-end annotation)."""
    meta: Obj = {"resourceVersion": str(position)}
    if initial_end:
        meta["annotations"] = {INITIAL_EVENTS_END: "true"}
    return {"kind": rt_kind, "apiVersion": api_version, "metadata": meta}

"""Which events still describe an object as it is now, and how an event is shown as
evidence. Pure; the clock is the caller's (epoch seconds)."""

import datetime
from typing import Any, Dict, List, Optional

from ..k8s.conditions import find_condition
from ..k8s.humanreadable import human_duration, parse_timestamp

Obj = Dict[str, Any]


def since(timestamp: Any, now: Optional[float]) -> Optional[float]:
    """Seconds from an RFC3339 timestamp to `now` (None: either is unknown)."""
    when = parse_timestamp(timestamp)
    if when is None or now is None:
        return None
    return max(0.0, now - when.timestamp())


def event_time(ev: Obj) -> Optional[str]:
    return ev.get("lastTimestamp") or ev.get("eventTime") or \
        (ev.get("metadata") or {}).get("creationTimestamp")


def ready_since(pod: Obj) -> Optional[datetime.datetime]:
    cond = find_condition(pod, "Ready")
    if cond is None or cond.get("status") != "True":
        return None
    return parse_timestamp(cond.get("lastTransitionTime"))


def describes(ev: Obj, uid: Optional[str], ready_at: Optional[datetime.datetime]) -> bool:
    """Whether an event already matched to an object by kind and name still describes it:
    the same object (the uid, when the event names one: not an earlier object of that name)
    and, for a pod Ready since `ready_at`, seen after that (a `secret not found` from before
    the secret was created is history; so is an event whose time cannot be read)."""
    ref_uid = (ev.get("involvedObject") or {}).get("uid")
    if ref_uid and uid and ref_uid != uid:
        return False
    if ready_at is not None:
        seen = parse_timestamp(event_time(ev))
        if seen is None or seen <= ready_at:
            return False
    return True


def current_events(obj: Optional[Obj], kind: str, events: List[Obj]) -> List[Obj]:
    """The events of `obj` (matched by kind and name) that still describe it (describes).
    Oldest first."""
    if obj is None:
        return []
    meta = obj["metadata"]
    ready_at = ready_since(obj) if kind == "Pod" else None
    out = [ev for ev in events
           if (ev.get("involvedObject") or {}).get("kind") == kind and
           (ev.get("involvedObject") or {}).get("name") == meta["name"] and
           describes(ev, meta.get("uid"), ready_at)]
    out.sort(key=lambda e: event_time(e) or "")
    return out


def evidence_row(ev: Obj, now: Optional[float]) -> Obj:
    ref = ev.get("involvedObject") or {}
    seen = since(event_time(ev), now)
    return {"object": "%s/%s" % (str(ref.get("kind", "")).lower(), ref.get("name", "")),
            "type": ev.get("type", ""), "reason": ev.get("reason", ""),
            "message": (ev.get("message") or "").strip(), "count": ev.get("count") or 1,
            "lastSeen": event_time(ev), "age": human_duration(seen) if seen is not None
            else ""}

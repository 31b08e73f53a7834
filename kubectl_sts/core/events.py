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


def current_events(obj: Optional[Obj], kind: str, events: List[Obj]) -> List[Obj]:
    """The events of `obj` (matched by kind, name and, when the event names one, uid) that
    still describe it: for a pod that is Ready, only those seen after it became Ready (a
    `secret not found` from before the secret was created is history). Oldest first."""
    if obj is None:
        return []
    meta = obj["metadata"]
    ready_at = ready_since(obj) if kind == "Pod" else None
    out = []
    for ev in events:
        ref = ev.get("involvedObject") or {}
        if ref.get("kind") != kind or ref.get("name") != meta["name"]:
            continue
        if ref.get("uid") and meta.get("uid") and ref["uid"] != meta["uid"]:
            continue                            # an earlier object of the same name
        if ready_at is not None:
            seen = parse_timestamp(event_time(ev))
            if seen is not None and seen <= ready_at:
                continue
        out.append(ev)
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

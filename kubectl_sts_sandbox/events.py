"""Recording core/v1 Events as kubelets and controllers do (repeats are counted, not copied)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

from .resources import BY_KIND, api_version

if TYPE_CHECKING:
    from .store import Store

EVENT = BY_KIND["Event"]


def record(store: Store, involved: Dict[str, Any], etype: str, reason: str, message: str,
           component: str, host: Optional[str] = None, field_path: Optional[str] = None) -> None:
    meta = involved["metadata"]
    ns = meta.get("namespace", "default")
    now = store.clock.stamp()
    with store.cond:
        key = (meta.get("uid"), reason, message)
        existing = _index(store).get(key)
        if existing is not None:
            current = store.peek(EVENT, ns, existing)
            if current is not None:
                updated = dict(current, count=current.get("count", 1) + 1, lastTimestamp=now)
                updated["metadata"] = dict(current["metadata"])
                store.update(EVENT, updated, internal=True)
                return
        # a cluster-scoped object's Event lives in "default", its reference has no namespace
        # (client-go tools/record makeEvent); an ObjectReference omits empty fields
        ref = {"kind": involved.get("kind"), "namespace": meta.get("namespace"),
               "name": meta["name"], "uid": meta.get("uid"),
               "apiVersion": involved.get("apiVersion"),
               "resourceVersion": meta.get("resourceVersion")}
        ref = {key: value for key, value in ref.items() if value}
        if field_path:
            ref["fieldPath"] = field_path
        source = {"component": component}
        if host:
            source["host"] = host
        name = "%s.%x" % (meta["name"], int(store.clock.now() * 1e9) + store.rv)
        event = {"apiVersion": api_version(EVENT), "kind": "Event",
                 "metadata": {"name": name, "namespace": ns},
                 "involvedObject": ref, "reason": reason, "message": message, "source": source,
                 "firstTimestamp": now, "lastTimestamp": now, "count": 1, "type": etype,
                 "eventTime": None, "reportingComponent": component,
                 "reportingInstance": host or ""}
        try:
            store.create(EVENT, event, namespace=ns, internal=True)
        except Exception:   # the namespace is going away: events are best effort, as in Kubernetes
            return
        _index(store)[key] = name


def _index(store: Any) -> Dict[Tuple[Any, str, str], str]:
    """(involved uid, reason, message) -> the name of the Event that counts them."""
    if not hasattr(store, "_event_index"):
        store._event_index = {}
    return store._event_index

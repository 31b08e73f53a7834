"""One plugin operation at a time per StatefulSet: a coordination.k8s.io/v1 Lease per set,
held by the plugin's writing commands, renewed while they run, expiring when the process
dies. Pure: the lease's name, whether a lease read from the server is held, and the objects to
write. The clock is the caller's (`now`, epoch seconds).

The Lease is the API's own object for this (client-go tools/leaderelection/resourcelock
LeaseLock: holderIdentity, leaseDurationSeconds, acquireTime, renewTime, leaseTransitions);
like leader election it is held while renewTime + leaseDurationSeconds is in the future. Its
owner reference is the set, so deleting the set deletes its lease (the garbage collector)."""

import datetime
import hashlib
from typing import Any, Dict, Optional

Obj = Dict[str, Any]
PREFIX = "kubectl-sts."
DURATION = 30                       # leaseDurationSeconds; renewed every DURATION / 3
OPERATION = "kubectl-sts.io/operation"
MANAGED_BY = {"app.kubernetes.io/managed-by": "kubectl-sts"}
MAX_NAME = 253


def lease_name(set_name: str) -> str:
    """`kubectl-sts.<set>`: a DNS subdomain, as a set's name is; a name too long for the
    prefix keeps its head and a digest of the whole."""
    name = PREFIX + set_name
    if len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(set_name.encode()).hexdigest()[:16]
    return (name[:MAX_NAME - 17].rstrip(".-") + "-" + digest)


def micro_time(now: float) -> str:
    """A metav1.MicroTime: RFC 3339 with microseconds, UTC."""
    return datetime.datetime.fromtimestamp(now, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def _epoch(value: Any) -> Optional[float]:
    from ..k8s.humanreadable import parse_timestamp
    when = parse_timestamp(value)
    return when.timestamp() if when is not None else None


def holder_of(lease: Optional[Obj], now: float) -> Optional[Obj]:
    """Who holds the lease now: {holder, operation, since, renewed, expiresIn}, or None when
    it is free (absent, released, or not renewed within its duration)."""
    if lease is None:
        return None
    spec = lease.get("spec") or {}
    holder = spec.get("holderIdentity")
    renewed = _epoch(spec.get("renewTime") or spec.get("acquireTime"))
    duration = spec.get("leaseDurationSeconds") or DURATION
    if not holder or renewed is None or renewed + duration <= now:
        return None
    return {"holder": holder,
            "operation": (lease["metadata"].get("annotations") or {}).get(OPERATION, ""),
            "since": spec.get("acquireTime"), "renewedAgo": max(0.0, now - renewed),
            "expiresIn": renewed + duration - now}


def acquired(sts: Obj, lease: Optional[Obj], holder: str, operation: str,
             now: float) -> Obj:
    """The Lease to write to take the lock: created (lease None) or taken over (the
    resourceVersion read is kept: a PUT with it fails if someone else wrote meanwhile)."""
    meta = sts["metadata"]
    body: Obj = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                 "metadata": {"name": lease_name(meta["name"]),
                              "namespace": meta.get("namespace"),
                              "labels": dict(MANAGED_BY),
                              "annotations": {OPERATION: operation},
                              "ownerReferences": [{
                                  "apiVersion": "apps/v1", "kind": "StatefulSet",
                                  "name": meta["name"], "uid": meta.get("uid")}]},
                 "spec": {"holderIdentity": holder, "leaseDurationSeconds": DURATION,
                          "acquireTime": micro_time(now), "renewTime": micro_time(now),
                          "leaseTransitions": 0}}
    if lease is not None:
        body["metadata"]["resourceVersion"] = lease["metadata"].get("resourceVersion")
        body["spec"]["leaseTransitions"] = ((lease.get("spec") or {}).get("leaseTransitions")
                                            or 0) + 1
    return body


def renewed(lease: Obj, now: float) -> Obj:
    """The lease with renewTime moved to `now` (PUT with its resourceVersion)."""
    import copy
    new = copy.deepcopy(lease)
    new["spec"]["renewTime"] = micro_time(now)
    return new


def held_text(set_name: str, state: Obj) -> str:
    """What a refusal, or a read-only view, says of the lock."""
    return "%s (%s) since %s, renewed %ds ago" % (
        state["operation"] or "an operation", state["holder"], state["since"] or "?",
        state["renewedAgo"])

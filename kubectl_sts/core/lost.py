"""Writes whose answer was lost: whether one may have been applied, and what a re-read says.

A write that got no answer (the connection broke after it was sent, a timeout) or a 5xx may
have been applied by the API server all the same: kube-apiserver answers 500/503/504 from
filters and handlers that run after the storage write (a timeout filter's 504 is written while
the handler goes on: k8s.io/apiserver pkg/server/filters/timeout.go), and a reset after the
request was sent tells nothing. Such a write is never repeated blindly (client/retry.py): the
caller reads the object again and decides."""

from typing import Any, Dict, Optional

from ..errors import ApiError, StsError, TransportError

Obj = Dict[str, Any]


def may_have_been_applied(exc: StsError) -> bool:
    """Whether the write that failed with `exc` may have been applied: a 5xx, or a broken
    connection other than one that never opened (phase "connect": nothing was sent)."""
    if isinstance(exc, ApiError):
        return exc.status >= 500
    if isinstance(exc, TransportError):
        return exc.phase != "connect"
    return False


def pod_went(pod: Optional[Obj], uid: str) -> bool:
    """Whether the pod of uid `uid` was evicted or deleted, seen from a fresh read (`pod`:
    the pod of that name now, or None): gone, another incarnation, or being deleted."""
    if pod is None:
        return True
    meta = pod.get("metadata") or {}
    return meta.get("uid") != uid or bool(meta.get("deletionTimestamp"))

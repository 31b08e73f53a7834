"""The serviceaccount controller's part the sandbox plays: every active namespace has a
ServiceAccount `default`, made when the namespace appears and made again when it is deleted
(pkg/controller/serviceaccount/serviceaccounts_controller.go: syncNamespace ensures the
`default` account in each namespace that is not terminating; deleting an account requeues
its namespace)."""

from __future__ import annotations

from typing import Any, Optional

from .errors import ApiError
from .resources import BY_KIND

NS = BY_KIND["Namespace"]
SA = BY_KIND["ServiceAccount"]
DEFAULT = "default"


class ServiceAccounts:
    def __init__(self, store: Any) -> None:
        self.store = store
        self.dirty: set[str] = set()

    def on_change(self, rt: Any, etype: str, obj: dict) -> None:
        meta = obj["metadata"]
        if rt is NS and etype == "ADDED":
            self.dirty.add(meta["name"])
        elif rt is SA and etype == "DELETED" and meta["name"] == DEFAULT:
            self.dirty.add(meta["namespace"])

    def step(self) -> None:
        work, self.dirty = self.dirty, set()
        for ns in sorted(work):
            self.ensure_default(ns)

    def ensure_default(self, ns: str) -> Optional[dict]:
        """syncNamespace for one namespace: its `default` account, made if it is missing and
        the namespace is active; None otherwise. The ServiceAccount admission plugin calls it
        for a pod naming `default` that it cannot find, as its retries would see this
        controller make it."""
        namespace = self.store.peek(NS, "", ns)
        if namespace is None or namespace["metadata"].get("deletionTimestamp"):
            return None
        account = self.store.peek(SA, ns, DEFAULT)
        if account is not None:
            return account
        try:
            return self.store.create(SA, {"metadata": {"name": DEFAULT}}, namespace=ns,
                                     internal=True)
        except ApiError:         # the namespace began terminating meanwhile
            return None

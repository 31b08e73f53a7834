"""Impersonation as kube-apiserver's filter applies it (staging/src/k8s.io/apiserver/pkg/
endpoints/filters/impersonation.go WithImpersonation and buildImpersonationRequests).

`Impersonate-User` (a `system:serviceaccount:NS:NAME` name impersonates that service account),
each `Impersonate-Group`, each `Impersonate-Extra-KEY` value and `Impersonate-Uid` is one
check of the verb `impersonate` (on users, serviceaccounts in NS, groups, userextras/KEY,
uids) by the requesting identity; the first refused answers 403 as the authorization filter
does. The impersonated identity gets system:authenticated unless the groups asked for name it
or system:unauthenticated (system:unauthenticated for system:anonymous); a service account
without Impersonate-Group gets its fixed groups."""

from email.message import Message
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple
from urllib.parse import unquote

from . import errors
from .auth import ANONYMOUS, AUTHENTICATED, UNAUTHENTICATED, Identity, attributes
from .rbac import SERVICE_ACCOUNT_PREFIX

if TYPE_CHECKING:
    from .auth import Access

EXTRA_PREFIX = "impersonate-extra-"


def split_service_account(user: str) -> Optional[Tuple[str, str]]:
    """(namespace, name) of a service account's user name (serviceaccount.SplitUsername)."""
    if not user.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = user[len(SERVICE_ACCOUNT_PREFIX):].split(":")
    if len(parts) != 2 or not parts[0] or not parts[1]:
        return None
    return parts[0], parts[1]


def service_account_groups(namespace: str) -> List[str]:
    """serviceaccount.MakeGroupNames."""
    return ["system:serviceaccounts", "system:serviceaccounts:" + namespace]


def impersonate(access: "Access", identity: Identity, headers: Message) -> Identity:
    user = headers.get("Impersonate-User") or ""
    groups_asked = headers.get_all("Impersonate-Group") or []
    extras: List[Tuple[str, str]] = []
    for key, value in headers.items():
        if key.lower().startswith(EXTRA_PREFIX):
            extras.append((unquote(key.lower()[len(EXTRA_PREFIX):]), value))
    uid = headers.get("Impersonate-Uid") or ""
    if not user and not groups_asked and not extras and not uid:
        return identity
    if not user:
        raise errors.internal_error("requested %s without impersonating a user"
                                    % ", ".join("{Group %s}" % g for g in groups_asked))
    # (group, resource, subresource, namespace, name) of each check, in the filter's order
    checks: List[Tuple[str, str, str, str, str]] = []
    groups: List[str] = []
    account = split_service_account(user)
    if account is not None:
        checks.append(("", "serviceaccounts", "", account[0], account[1]))
        if not groups_asked:
            groups = service_account_groups(account[0])
    else:
        checks.append(("", "users", "", "", user))
    for group in groups_asked:
        checks.append(("", "groups", "", "", group))
        groups.append(group)
    extra: Dict[str, List[str]] = {}
    for key, value in extras:
        checks.append(("authentication.k8s.io", "userextras", key, "", value))
        extra.setdefault(key, []).append(value)
    if uid:
        checks.append(("authentication.k8s.io", "uids", "", "", uid))
    for group, resource, sub, namespace, name in checks:
        attrs = attributes("impersonate", group, resource, sub, namespace, name)
        decision = access.decide(identity, attrs)
        if not decision.allowed:
            raise errors.forbidden_request(identity.user, "impersonate", resource, sub, group,
                                           namespace, name, reason=decision.reason)
    if user != ANONYMOUS:
        if not any(g in (AUTHENTICATED, UNAUTHENTICATED) for g in groups):
            groups.append(AUTHENTICATED)
    elif UNAUTHENTICATED not in groups:
        groups.append(UNAUTHENTICATED)
    return Identity(user, groups, uid=uid, extra=extra)

"""Bearer-token authentication, RBAC-like authorization and impersonation for the sandbox.

The admin token written into every sandbox kubeconfig (`sandbox-admin`) is the user
`sandbox-admin` in the group `system:masters` (full access). Other tokens are granted with
`Access.grant(token, user, rules)`; a rule is a dict

    {"verbs": ["get", "list", "watch"],          # or ["*"]; "impersonate" for --as
     "resources": ["pods", "statefulsets/scale"],  # "*", "pods", "*/scale", "statefulsets/*"
     "namespaces": ["default"],                  # optional: only these namespaces
     "apiGroups": ["apps"],                      # optional: only these groups ("" = core)
     "resourceNames": ["web"]}                   # optional: only these names

Like kube-apiserver: an unknown token is 401 Unauthorized; a request no rule allows is 403 with
the real Status body and message; discovery, /version, /healthz and /openapi (non-resource
URLs) are open to every authenticated user. `Impersonate-User` / `Impersonate-Group` need the
verb `impersonate` on `users` / `groups` (the admin has it), and the request is then checked as
the impersonated user (whose rules come from grants to that user name) with the impersonated
groups; `system:masters` among them gives full access.
"""

import re
import threading
from email.message import Message
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import errors
from .params import query_bool

ADMIN_TOKEN = "sandbox-admin"
ADMIN_USER = "sandbox-admin"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"

_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
          "DELETE": "delete"}
_NAMESPACE_SUBRESOURCES = {"status", "finalize"}
_NAME_FIELD = re.compile(r"^metadata\.name==?([^,=!]+)$")

Rule = Dict[str, List[str]]


class Identity:
    """Who a request acts as: a user, its groups, and whether it may do everything."""

    def __init__(self, user: str, groups: Iterable[str] = (), full: bool = False) -> None:
        self.user = user
        self.groups = list(groups)
        self.full = full or MASTERS in self.groups

    def __repr__(self) -> str:
        return "Identity(%r, %r)" % (self.user, self.groups)


class Attributes:
    """What a request asks for, as kube-apiserver's RequestInfo sees it."""
    also: Tuple[str, ...] = ()      # verbs checked after `verb`

    def __init__(self, method: str, path: str, query: Mapping[str, str]) -> None:
        self.path = path
        self.verb = _VERBS.get(method, method.lower())
        self.resource = self.subresource = self.namespace = self.name = self.group = ""
        self.watch = query_bool(query, "watch")
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) >= 3:
            rest = parts[2:]
        elif parts[:1] == ["apis"] and len(parts) >= 4:
            self.group, rest = parts[1], parts[3:]
        else:
            self.is_resource = False
            return
        self.is_resource = True
        if rest[0] == "watch":
            self.watch, rest = True, rest[1:]
            if self.verb == "get":
                self.verb = "watch"
        if rest and rest[0] == "namespaces" and len(rest) > 1:
            self.namespace = rest[1]
            if len(rest) > 2 and rest[2] not in _NAMESPACE_SUBRESOURCES:
                rest = rest[2:]
        if len(rest) >= 3:
            self.subresource = rest[2]
        if len(rest) >= 2:
            self.name = rest[1]
        if rest:
            self.resource = rest[0]
        if not self.name and self.verb == "get":
            self.verb = "watch" if self.watch else "list"
        if not self.name and self.verb in ("list", "watch"):
            match = _NAME_FIELD.match(query.get("fieldSelector") or "")
            if match:
                self.name = match.group(1)
        if not self.name and self.verb == "delete":
            self.verb = "deletecollection"
        # a pod's exec, attach and portforward asked with GET (the WebSocket upgrade) need
        # `create` too, from 1.35 (AuthorizePodWebsocketUpgradeCreatePermission, beta, on):
        # pkg/registry/core/pod/rest/subresources.go, ensureAuthorizedForVerb
        self.also = ("create",) if (
            self.verb == "get" and not self.group and self.resource == "pods"
            and self.subresource in ("exec", "attach", "portforward")) else ()


class Access:
    """The tokens the server knows and what their users may do."""

    def __init__(self, anonymous: bool = True) -> None:
        self.anonymous = anonymous      # requests without credentials: full access, or 401
        self._lock = threading.Lock()
        self._tokens: Dict[str, Tuple[str, Tuple[str, ...]]] = {
            ADMIN_TOKEN: (ADMIN_USER, (MASTERS,))}
        self._rules: Dict[str, List[Rule]] = {}         # user name -> [rule]

    def grant(self, token: Optional[str], user: str, rules: Iterable[Mapping[str, Any]] = (),
              groups: Iterable[str] = ()) -> None:
        """Map `token` (None: no token, only rules for an impersonation target) to `user`,
        and add `rules` to what `user` may do."""
        checked = [_check_rule(r) for r in rules or ()]
        with self._lock:
            if token is not None:
                self._tokens[token] = (user, tuple(groups))
            self._rules.setdefault(user, []).extend(checked)

    def revoke(self, token: str) -> None:
        with self._lock:
            self._tokens.pop(token, None)

    # -- per request ------------------------------------------------------------------------
    def authenticate(self, headers: Message,
                     peer: Optional[Tuple[str, Sequence[str]]] = None) -> Identity:
        """The Identity of the request, impersonation not yet applied; raises 401. A verified
        client certificate (peer: (user, groups)) authenticates first, as in kube-apiserver's
        union of authenticators; then a bearer token; then anonymous."""
        if peer is not None:
            return Identity(peer[0], tuple(peer[1]) + (AUTHENTICATED,))
        auth = headers.get("Authorization") or ""
        if not auth:
            if self.anonymous:
                return Identity("system:anonymous", ("system:unauthenticated",), full=True)
            raise errors.unauthorized()
        scheme, _, token = auth.partition(" ")
        with self._lock:
            known = self._tokens.get(token.strip()) if scheme.lower() == "bearer" else None
        if known is None:
            raise errors.unauthorized()
        return Identity(known[0], tuple(known[1]) + (AUTHENTICATED,))

    def impersonate(self, identity: Identity, user: Optional[str],
                    groups: Sequence[str]) -> Identity:
        """The identity the request acts as; raises 403 when `identity` may not impersonate."""
        if not user and not groups:
            return identity
        if not user:
            raise errors.internal_error("requested %s without impersonating a user"
                                        % ", ".join("{Group %s}" % g for g in groups))
        checks = [("users", user)] + [("groups", g) for g in groups]
        for resource, name in checks:
            if not self._allowed(identity, "impersonate", "", resource, "", "", name):
                raise errors.forbidden_request(identity.user, "impersonate", resource, name=name)
        return Identity(user, tuple(groups) + (AUTHENTICATED,))

    def authorize(self, identity: Identity, attrs: Attributes) -> None:
        """Raise 403 unless the identity may do what the request asks for."""
        if not attrs.is_resource:
            return              # discovery, /version, /healthz, /openapi: system:discovery
        for verb in (attrs.verb,) + attrs.also:
            if not self._allowed(identity, verb, attrs.group, attrs.resource,
                                 attrs.subresource, attrs.namespace, attrs.name):
                raise errors.forbidden_request(identity.user, verb, attrs.resource,
                                               attrs.subresource, attrs.group, attrs.namespace,
                                               attrs.name, attrs.path)

    def _allowed(self, identity: Identity, verb: str, group: str, resource: str, sub: str,
                 namespace: str, name: str) -> bool:
        if identity.full:
            return True
        with self._lock:
            rules = list(self._rules.get(identity.user, ()))
        return any(_rule_allows(r, verb, group, resource, sub, namespace, name) for r in rules)


def _check_rule(rule: Any) -> Rule:
    if not isinstance(rule, dict) or not rule.get("verbs") or not rule.get("resources"):
        raise ValueError("a rule needs 'verbs' and 'resources' (lists): %r" % (rule,))
    unknown = set(rule) - {"verbs", "resources", "namespaces", "apiGroups", "resourceNames"}
    if unknown:
        raise ValueError("unknown rule fields %s" % sorted(unknown))
    return {k: list(v) for k, v in rule.items()}


def _rule_allows(rule: Rule, verb: str, group: str, resource: str, sub: str, namespace: str,
                 name: str) -> bool:
    verbs = rule["verbs"]
    if "*" not in verbs and verb not in verbs:
        return False
    resources = rule["resources"]
    wanted = resource + "/" + sub if sub else resource
    if not ("*" in resources or wanted in resources
            or (sub and ("*/" + sub in resources or resource + "/*" in resources))):
        return False
    groups = rule.get("apiGroups")
    if groups is not None and "*" not in groups and group not in groups:
        return False
    namespaces = rule.get("namespaces")
    if namespaces is not None and "*" not in namespaces and (not namespace
                                                             or namespace not in namespaces):
        return False
    names = rule.get("resourceNames")
    if names is not None and name not in names:
        return False
    return True

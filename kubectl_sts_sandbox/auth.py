"""Authentication, authorization and impersonation for the sandbox, as kube-apiserver's filters
chain them: who a request is (a client certificate, a bearer token, or anonymous), who it acts
as (impersonation), and whether that identity may do what it asks (the authorizers).

The admin token written into every sandbox kubeconfig (`sandbox-admin`) is the user
`sandbox-admin` in the group `system:masters` (full access). Every other identity is
authorized as kube-apiserver authorizes it: `system:masters` first (the privileged-group
authorizer), then RBAC over the stored Roles, ClusterRoles and bindings (rbac.py; the default
policy of bootstrappolicy.py is there from the start), then the sandbox's own grants:
`Access.grant(token, user, rules)` maps a token to a user and adds rules, each a dict

    {"verbs": ["get", "list", "watch"],          # or ["*"]; "impersonate" for --as
     "resources": ["pods", "statefulsets/scale"],  # "*", "pods", "*/scale", "statefulsets/*"
     "namespaces": ["default"],                  # optional: only these namespaces
     "apiGroups": ["apps"],                      # optional: only these groups ("" = core)
     "resourceNames": ["web"]}                   # optional: only these names

Like kube-apiserver: an unknown token is 401 Unauthorized; a request no authorizer allows is
403 with the real Status body and message. Over HTTPS, a request without credentials is
`system:anonymous` in `system:unauthenticated`, authorized like any other (the default policy
lets it read /healthz, /livez, /readyz and /version). A plain-HTTP sandbox plays the insecure
port kube-apiserver had until 1.20 (kubectl sends no credentials over plain HTTP): there a
request without credentials is its superuser `system:unsecured` in system:masters
(insecure_handler.go's insecureSuperuser); one with a token is authenticated and authorized as
over HTTPS. Access(anonymous=False) answers requests without credentials 401, as
--anonymous-auth=false does. Impersonation: impersonation.py.
"""

import os
import re
import threading
from email.message import Message
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, List, Mapping, NamedTuple,
                    Optional, Sequence, Tuple)

from . import errors, rbac
from .params import query_bool

if TYPE_CHECKING:
    from .cluster import Cluster

ADMIN_TOKEN = "sandbox-admin"
ADMIN_USER = "sandbox-admin"
MASTERS = "system:masters"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"
UNSECURED = "system:unsecured"

_VERBS = {"GET": "get", "HEAD": "get", "POST": "create", "PUT": "update", "PATCH": "patch",
          "DELETE": "delete"}
_NAMESPACE_SUBRESOURCES = {"status", "finalize"}
_NAME_FIELD = re.compile(r"^metadata\.name==?([^,=!]+)$")
# a non-resource request's verb is its method in lower case (RequestInfoFactory)
_NONRESOURCE_VERBS = {"create": "post", "update": "put"}

Rule = Dict[str, List[str]]

# who the request this thread serves acts as (server.Handler sets it after impersonation): the
# RBAC registries' escalation check reads it, as upstream reads the user from the context
REQUEST = threading.local()


def current_identity() -> Optional["Identity"]:
    return getattr(REQUEST, "identity", None)


class Identity:
    """Who a request acts as (user.Info): a user, its groups, uid and extra, and whether it may
    do everything."""

    def __init__(self, user: str, groups: Iterable[str] = (), full: bool = False, uid: str = "",
                 extra: Optional[Mapping[str, Sequence[str]]] = None) -> None:
        self.user = user
        self.groups = list(groups)
        self.full = full or MASTERS in self.groups
        self.uid = uid
        self.extra: Dict[str, List[str]] = {k: list(v) for k, v in (extra or {}).items()}

    def __repr__(self) -> str:
        return "Identity(%r, %r)" % (self.user, self.groups)


class Decision(NamedTuple):
    """An authorizer's answer (authorizer.Decision and its reason)."""
    allowed: bool
    denied: bool
    reason: str


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


def attributes(verb: str, group: str = "", resource: str = "", subresource: str = "",
               namespace: str = "", name: str = "", path: str = "") -> Attributes:
    """The Attributes of a check that is not a request (a review, impersonation, escalation):
    a resource request when `resource` is given, else one for the non-resource `path`."""
    attrs = Attributes.__new__(Attributes)
    attrs.path, attrs.verb, attrs.watch = path, verb, False
    attrs.group, attrs.resource, attrs.subresource = group, resource, subresource
    attrs.namespace, attrs.name = namespace, name
    attrs.is_resource = bool(resource)
    return attrs


class Access:
    """The tokens the server knows, and the authorizers (system:masters, RBAC, grants)."""

    def __init__(self, anonymous: bool = True, insecure: bool = False) -> None:
        self.anonymous = anonymous      # requests without credentials: system:anonymous, or 401
        self.insecure = insecure        # plain HTTP: they are the insecure port's superuser
        self.cluster: Optional["Cluster"] = None    # whose store RBAC reads (policy.attach)
        self.token_key = os.urandom(32)     # signs the service account tokens (tokens.py)
        # (cluster, key, token) -> (user, groups, uid, extra) or None: tokens.authenticate
        self.token_authenticator: Optional[Callable[
            ["Cluster", bytes, str],
            Optional[Tuple[str, List[str], str, Dict[str, List[str]]]]]] = None
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
        union of authenticators; then a bearer token (a granted one, or a service account's
        from the TokenRequest API: tokens.py); then anonymous."""
        if peer is not None:
            return Identity(peer[0], tuple(peer[1]) + (AUTHENTICATED,))
        auth = headers.get("Authorization") or ""
        if not auth:
            if not self.anonymous:
                raise errors.unauthorized()
            if self.insecure:
                return Identity(UNSECURED, (MASTERS, AUTHENTICATED))
            return Identity(ANONYMOUS, (UNAUTHENTICATED,))
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer":
            raise errors.unauthorized()
        token = token.strip()
        with self._lock:
            known = self._tokens.get(token)
        if known is not None:
            return Identity(known[0], tuple(known[1]) + (AUTHENTICATED,))
        if self.cluster is not None and self.token_authenticator is not None:
            account = self.token_authenticator(self.cluster, self.token_key, token)
            if account is not None:
                user, groups, uid, extra = account
                return Identity(user, groups, uid=uid, extra=extra)
        raise errors.unauthorized()

    def authorize(self, identity: Identity, attrs: Attributes) -> None:
        """Raise 403 unless the identity may do what the request asks for."""
        decision, verb = self.decide(identity, attrs), attrs.verb
        for also in attrs.also:         # pods/exec over a WebSocket GET: create too (1.35+)
            if not decision.allowed:
                break
            verb = also
            decision = self.decide(identity, attributes(also, attrs.group, attrs.resource,
                                                        attrs.subresource, attrs.namespace,
                                                        attrs.name))
        if not decision.allowed:
            raise errors.forbidden_request(identity.user, verb, attrs.resource,
                                           attrs.subresource, attrs.group, attrs.namespace,
                                           attrs.name, attrs.path, decision.reason)

    def decide(self, identity: Identity, attrs: Attributes) -> Decision:
        """The union of the authorizers, in kube-apiserver's order: the privileged group
        system:masters, RBAC, the sandbox's grants; the first that allows decides, else the
        reasons of those that had none (union.go unionAuthzHandler.Authorize)."""
        if not attrs.is_resource and attrs.verb in _NONRESOURCE_VERBS:
            attrs = attributes(_NONRESOURCE_VERBS[attrs.verb], path=attrs.path)
        if identity.full:
            return Decision(True, False, "")
        reasons = []
        if self.cluster is not None:
            allowed, reason = rbac.authorize(self.cluster.store, identity.user, identity.groups,
                                             attrs)
            if allowed:
                return Decision(True, False, reason)
            if reason:
                reasons.append(reason)
        with self._lock:
            rules = list(self._rules.get(identity.user, ()))
        if attrs.is_resource and any(_rule_allows(r, attrs.verb, attrs.group, attrs.resource,
                                                  attrs.subresource, attrs.namespace,
                                                  attrs.name) for r in rules):
            return Decision(True, False, 'sandbox: allowed by a grant to User "%s"'
                            % identity.user)
        if not attrs.is_resource and self.cluster is None:
            return Decision(True, False, "")        # no policy to read: discovery stays open
        return Decision(False, False, "\n".join(reasons))

    def grants_of(self, user: str) -> List[Rule]:
        """The sandbox grants of `user` (for SelfSubjectRulesReview)."""
        with self._lock:
            return list(self._rules.get(user, ()))

    def _allowed(self, identity: Identity, verb: str, group: str, resource: str, sub: str,
                 namespace: str, name: str) -> bool:
        return self.decide(identity, attributes(verb, group, resource, sub, namespace,
                                                name)).allowed


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

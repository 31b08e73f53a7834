"""Service account tokens: the TokenRequest API (POST serviceaccounts/NAME/token, what
`kubectl create token NAME --duration D` calls) and the authentication of the tokens it issues.

As pkg/registry/core/serviceaccount/storage/token.go TokenREST.Create: the account must exist,
metadata.name and namespace in the body must match the URL, expirationSeconds defaults to 3600
(SetDefaults_TokenRequestSpec) and is validated by ValidateTokenRequest (10 minutes to 2^32
seconds), the audiences default to the API server's. The token is a JWT with the claims of
pkg/serviceaccount/claims.go (iss, sub system:serviceaccount:NS:NAME, aud, exp, iat, nbf, jti,
kubernetes.io {namespace, serviceaccount {name, uid}}), timed by the cluster's clock.

One difference: it is signed with HMAC-SHA256 (alg HS256) under a random key each sandbox
makes at start (the standard library has no RSA or ECDSA signing), where kube-apiserver signs
with its --service-account-signing-key-file (RS256 or ES256). Clients never verify it.

A token authenticates (pkg/serviceaccount/jwt.go Validate and the legacy validator) when the
signature, issuer and audience hold, it has not expired (a minute of leeway, jwt.DefaultLeeway)
and the service account still exists with the uid it was issued for; else the request is 401.
The identity: user system:serviceaccount:NS:NAME, uid the account's, groups
system:serviceaccounts, system:serviceaccounts:NS, system:authenticated, extra
authentication.kubernetes.io/credential-id ["JTI=<jti>"]."""

import base64
import hashlib
import hmac
import json
import uuid
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, cast

from . import bodies, errors
from .impersonation import service_account_groups
from .rbac import service_account_user
from .resources import BY_KIND
from .validation import invalid_status
from .validation.field import invalid

if TYPE_CHECKING:
    from .cluster import Cluster
    from .resources import ResourceType
    from .routes import Request

SA = BY_KIND["ServiceAccount"]
ISSUER = "https://kubernetes.default.svc.cluster.local"
AUDIENCES = [ISSUER]
LEEWAY = 60
Account = Tuple[str, List[str], str, Dict[str, List[str]]]     # user, groups, uid, extra



def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue(cluster: "Cluster", key: bytes, account: Dict[str, Any], seconds: int,
          audiences: List[str]) -> Tuple[str, float]:
    """A signed token for `account` valid `seconds` from now; (token, expiry)."""
    now = int(cluster.clock.now())
    meta = account["metadata"]
    claims = {"aud": audiences, "exp": now + seconds, "iat": now, "iss": ISSUER,
              "jti": str(uuid.uuid4()),
              "kubernetes.io": {"namespace": meta["namespace"],
                                "serviceaccount": {"name": meta["name"], "uid": meta["uid"]}},
              "nbf": now, "sub": service_account_user(meta["namespace"], meta["name"])}
    header = {"alg": "HS256", "kid": hashlib.sha256(key).hexdigest()[:16]}
    signing_input = "%s.%s" % (_b64(json.dumps(header, separators=(",", ":")).encode()),
                               _b64(json.dumps(claims, separators=(",", ":")).encode()))
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + _b64(signature), float(now + seconds)


def authenticate(cluster: "Cluster", key: bytes, token: str) -> Optional[Account]:
    """The account a token issued here stands for, or None (the request is then 401)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        expected = hmac.new(key, ("%s.%s" % (parts[0], parts[1])).encode(),
                            hashlib.sha256).digest()
        if not hmac.compare_digest(expected, _unb64(parts[2])):
            return None
        claims = json.loads(_unb64(parts[1]))
    except (ValueError, TypeError):
        return None
    now = cluster.clock.now()
    if claims.get("iss") != ISSUER or not set(claims.get("aud") or ()) & set(AUDIENCES):
        return None
    if now > claims.get("exp", 0) + LEEWAY or now < claims.get("nbf", 0) - LEEWAY:
        return None
    info = claims.get("kubernetes.io") or {}
    namespace = info.get("namespace") or ""
    ref = info.get("serviceaccount") or {}
    account = cluster.store.peek(SA, namespace, ref.get("name") or "")
    if account is None or account["metadata"].get("uid") != ref.get("uid") or \
            account["metadata"].get("deletionTimestamp"):
        return None
    groups = service_account_groups(namespace) + ["system:authenticated"]
    extra = {"authentication.kubernetes.io/credential-id": ["JTI=%s" % claims.get("jti")]}
    return (service_account_user(namespace, ref["name"]), groups, ref["uid"], extra)


def token_request(request: "Request", rt: "ResourceType", namespace: Optional[str],
                  name: Optional[str], sub: Optional[str], tail: List[str]) -> None:
    """POST serviceaccounts/NAME/token (TokenREST.Create)."""
    if request.command != "POST" or name is None or namespace is None:
        raise errors.method_not_allowed()
    body = bodies.decode(request.raw_body, request.command, request.headers, request.url.path)
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request was empty or not an object")
    meta = body.get("metadata") or {}
    for field, value, want, what in (("name", meta.get("name"), name, "name"),
                                     ("namespace", meta.get("namespace"), namespace,
                                      "namespace")):
        if value and value != want:
            raise errors.invalid(invalid_status(
                "TokenRequest", "authentication.k8s.io", name,
                [invalid("metadata." + field, value,
                         "must match the service account %s if specified" % what)]))
    cluster = request.server.cluster
    account = cluster.store.get(SA, namespace, name)
    spec = dict(body.get("spec") or {})
    spec["audiences"] = list(spec.get("audiences") or AUDIENCES)
    seconds = spec.get("expirationSeconds")
    seconds = 3600 if seconds is None else int(seconds)
    spec["expirationSeconds"] = seconds
    causes = []
    if seconds < 600:
        causes.append(invalid("spec.expirationSeconds", seconds,
                              "may not specify a duration less than 10 minutes"))
    if seconds > 1 << 32:
        causes.append(invalid("spec.expirationSeconds", seconds,
                              "may not specify a duration larger than 2^32 seconds"))
    if causes:
        raise errors.invalid(invalid_status("TokenRequest", "authentication.k8s.io", "", causes))
    key = cast(Any, request.server).access.token_key
    token, expiry = issue(cluster, key, account, seconds, spec["audiences"])
    from .clock import rfc3339
    request.send_json(201, {
        "kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"name": name, "namespace": namespace,
                     "creationTimestamp": cluster.clock.stamp()},
        "spec": spec, "status": {"token": token, "expirationTimestamp": rfc3339(expiry)}})

"""The create-only review resources, answered by the authorizer that guards requests and never
stored (connect.SPECIAL serves them):

- authorization.k8s.io/v1 SelfSubjectAccessReview (`kubectl auth can-i VERB RESOURCE`):
  pkg/registry/authorization/selfsubjectaccessreview/rest.go Create, validated as
  pkg/apis/authorization/validation ValidateSelfSubjectAccessReview;
- SubjectAccessReview (the same for a user, groups and extra given in the spec):
  pkg/registry/authorization/subjectaccessreview/rest.go;
- SelfSubjectRulesReview (`kubectl auth can-i --list`): pkg/registry/authorization/
  selfsubjectrulesreview/rest.go over the authorizers' RulesFor;
- authentication.k8s.io/v1 SelfSubjectReview (`kubectl auth whoami`):
  pkg/registry/authentication/selfsubjectreview/rest.go."""

from typing import TYPE_CHECKING, Any, Dict, List, Optional, cast

from . import bodies, errors, rbac
from .auth import Access, Identity, attributes
from .validation import invalid_status
from .validation.field import invalid

if TYPE_CHECKING:
    from .resources import ResourceType
    from .routes import Request

Obj = Dict[str, Any]


def _read(request: "Request", name: Optional[str]) -> Obj:
    if request.command != "POST" or name is not None:
        raise errors.method_not_allowed()
    body = bodies.decode(request.raw_body, request.command, request.headers, request.url.path)
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request was empty or not an object")
    return body


def _access(request: "Request") -> Access:
    return cast(Any, request.server).access


def _identity(request: "Request") -> Identity:
    if request.identity is None:
        raise errors.bad_request("no user present on request")
    return request.identity


def _spec_causes(spec: Obj) -> List[Dict[str, str]]:
    """ValidateSelfSubjectAccessReviewSpec / the attribute part of ValidateSubjectAccessReviewSpec."""
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if resource is not None and non_resource is not None:
        return [invalid("spec.nonResourceAttributes", "null",
                        "cannot be specified in combination with resourceAttributes")]
    if resource is None and non_resource is None:
        return [invalid("spec.resourceAttributes", "null",
                        "exactly one of nonResourceAttributes or resourceAttributes must be "
                        "specified")]
    return []


def _meta_causes(body: Obj) -> List[Dict[str, str]]:
    meta = {k: v for k, v in (body.get("metadata") or {}).items()
            if k != "managedFields" and v not in (None, "", {}, [])}
    return [invalid("metadata", None, "must be empty")] if meta else []


def _decide(access: Access, identity: Identity, spec: Obj) -> Obj:
    resource = spec.get("resourceAttributes")
    if resource is not None:
        attrs = attributes(resource.get("verb") or "", resource.get("group") or "",
                           resource.get("resource") or "", resource.get("subresource") or "",
                           resource.get("namespace") or "", resource.get("name") or "")
        attrs.is_resource = True
    else:
        non_resource = spec.get("nonResourceAttributes") or {}
        attrs = attributes(non_resource.get("verb") or "", path=non_resource.get("path") or "")
    decision = access.decide(identity, attrs)
    status: Obj = {"allowed": decision.allowed}
    if decision.denied:
        status["denied"] = True
    if decision.reason:
        status["reason"] = decision.reason
    return status


def self_subject_access_review(request: "Request", rt: "ResourceType", namespace: Optional[str],
                               name: Optional[str], sub: Optional[str], tail: List[str]) -> None:
    body = _read(request, name)
    spec = body.get("spec") or {}
    causes = _spec_causes(spec) + _meta_causes(body)
    if causes:
        raise errors.invalid(invalid_status(rt.kind, rt.group, "", causes))
    status = _decide(_access(request), _identity(request), spec)
    request.send_json(201, {"kind": rt.kind, "apiVersion": "authorization.k8s.io/v1",
                            "metadata": {}, "spec": spec, "status": status})


def subject_access_review(request: "Request", rt: "ResourceType", namespace: Optional[str],
                          name: Optional[str], sub: Optional[str], tail: List[str]) -> None:
    body = _read(request, name)
    spec = body.get("spec") or {}
    causes = _spec_causes(spec)
    if not spec.get("user") and not spec.get("groups"):
        causes.append(invalid("spec.user", spec.get("user") or "",
                              "at least one of user or group must be specified"))
    causes += _meta_causes(body)
    if causes:
        raise errors.invalid(invalid_status(rt.kind, rt.group, "", causes))
    subject = Identity(spec.get("user") or "", spec.get("groups") or (),
                       uid=spec.get("uid") or "", extra=spec.get("extra") or {})
    status = _decide(_access(request), subject, spec)
    request.send_json(201, {"kind": rt.kind, "apiVersion": "authorization.k8s.io/v1",
                            "metadata": {}, "spec": spec, "status": status})


def rules_of(access: Access, identity: Identity, namespace: str) -> Obj:
    """The SubjectRulesReviewStatus of `identity` in `namespace`: the union's RulesFor
    (the privileged group's everything, then RBAC's rules, then the sandbox's grants)."""
    resource_rules: List[Obj] = []
    non_resource_rules: List[Obj] = []
    errors_met: List[str] = []
    if identity.full:
        resource_rules.append({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})
        non_resource_rules.append({"verbs": ["*"], "nonResourceURLs": ["*"]})
    if access.cluster is not None:
        rules, errors_met = rbac.rules_for(access.cluster.store, identity.user, identity.groups,
                                           namespace)
        for rule in rules:
            if rule.get("resources"):
                out: Obj = {"verbs": list(rule.get("verbs") or ())}
                for key in ("apiGroups", "resources", "resourceNames"):
                    if rule.get(key):
                        out[key] = list(rule[key])
                resource_rules.append(out)
            if rule.get("nonResourceURLs"):
                non_resource_rules.append({"verbs": list(rule.get("verbs") or ()),
                                           "nonResourceURLs": list(rule["nonResourceURLs"])})
    for grant in access.grants_of(identity.user):
        namespaces = grant.get("namespaces")
        if namespaces is not None and "*" not in namespaces and namespace not in namespaces:
            continue
        out = {"verbs": list(grant["verbs"]), "apiGroups": list(grant.get("apiGroups") or ["*"]),
               "resources": list(grant["resources"])}
        if grant.get("resourceNames"):
            out["resourceNames"] = list(grant["resourceNames"])
        resource_rules.append(out)
    status: Obj = {"resourceRules": resource_rules, "nonResourceRules": non_resource_rules,
                   "incomplete": False}
    if errors_met:
        status["evaluationError"] = errors_met[0] if len(errors_met) == 1 else \
            "[%s]" % ", ".join(errors_met)
    return status


def self_subject_rules_review(request: "Request", rt: "ResourceType", namespace: Optional[str],
                              name: Optional[str], sub: Optional[str], tail: List[str]) -> None:
    body = _read(request, name)
    spec = body.get("spec") or {}
    if not spec.get("namespace"):
        raise errors.bad_request("no namespace on request")
    status = rules_of(_access(request), _identity(request), spec["namespace"])
    request.send_json(201, {"kind": rt.kind, "apiVersion": "authorization.k8s.io/v1",
                            "metadata": {}, "spec": spec, "status": status})


def self_subject_review(request: "Request", rt: "ResourceType", namespace: Optional[str],
                        name: Optional[str], sub: Optional[str], tail: List[str]) -> None:
    _read(request, name)
    identity = _identity(request)
    info: Obj = {"username": identity.user}
    if identity.uid:
        info["uid"] = identity.uid
    if identity.groups:
        info["groups"] = list(identity.groups)
    if identity.extra:
        info["extra"] = {k: list(v) for k, v in identity.extra.items()}
    stamp = request.server.cluster.clock.stamp()
    request.send_json(201, {"kind": rt.kind, "apiVersion": "authentication.k8s.io/v1",
                            "metadata": {"creationTimestamp": stamp},
                            "status": {"userInfo": info}})

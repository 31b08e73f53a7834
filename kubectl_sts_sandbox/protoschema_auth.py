"""The protobuf messages of the RBAC objects, the reviews and TokenRequest, in protoschema.py's
table form (field numbers of k8s.io/api rbac/v1, authorization/v1 and authentication/v1
generated.proto): kubectl's typed clients send them as protobuf (`kubectl auth can-i`,
`kubectl create role`, `kubectl create token`)."""

from typing import Dict, Tuple

Field = Tuple[str, str, str]            # (json name, type, flags), as protoschema.py


def _m(**fields: str) -> Dict[int, Field]:
    table: Dict[int, Field] = {}
    for key, spec in fields.items():
        parts = spec.split()
        table[int(key[1:])] = (parts[0], parts[1], parts[2] if len(parts) > 2 else "")
    return table


SCHEMA: Dict[str, Dict[int, Field]] = {
    # rbac/v1
    "Role": _m(f1="metadata ObjectMeta", f2="rules PolicyRule r"),
    "ClusterRole": _m(f1="metadata ObjectMeta", f2="rules PolicyRule r",
                      f3="aggregationRule AggregationRule"),
    "AggregationRule": _m(f1="clusterRoleSelectors LabelSelector r"),
    "PolicyRule": _m(f1="verbs s r", f2="apiGroups s r", f3="resources s r",
                     f4="resourceNames s r", f5="nonResourceURLs s r"),
    "RoleBinding": _m(f1="metadata ObjectMeta", f2="subjects Subject r", f3="roleRef RoleRef"),
    "ClusterRoleBinding": _m(f1="metadata ObjectMeta", f2="subjects Subject r",
                             f3="roleRef RoleRef"),
    "Subject": _m(f1="kind s k", f2="apiGroup s", f3="name s k", f4="namespace s"),
    "RoleRef": _m(f1="apiGroup s k", f2="kind s k", f3="name s k"),
    # authorization/v1
    "SelfSubjectAccessReview": _m(f1="metadata ObjectMeta", f2="spec SelfSubjectAccessReviewSpec",
                                  f3="status SubjectAccessReviewStatus"),
    "SelfSubjectAccessReviewSpec": _m(f1="resourceAttributes ResourceAttributes",
                                      f2="nonResourceAttributes NonResourceAttributes"),
    "ResourceAttributes": _m(f1="namespace s", f2="verb s", f3="group s", f4="version s",
                             f5="resource s", f6="subresource s", f7="name s",
                             f8="fieldSelector FieldSelectorAttributes",
                             f9="labelSelector LabelSelectorAttributes"),
    "FieldSelectorAttributes": _m(f1="rawSelector s", f2="requirements FieldSelectorRequirement r"),
    "FieldSelectorRequirement": _m(f1="key s k", f2="operator s k", f3="values s r"),
    "LabelSelectorAttributes": _m(f1="rawSelector s", f2="requirements LabelSelectorRequirement r"),
    "NonResourceAttributes": _m(f1="path s", f2="verb s"),
    "SubjectAccessReviewStatus": _m(f1="allowed b k", f2="reason s", f3="evaluationError s",
                                    f4="denied b"),
    "SelfSubjectRulesReview": _m(f1="metadata ObjectMeta", f2="spec SelfSubjectRulesReviewSpec",
                                 f3="status SubjectRulesReviewStatus"),
    "SelfSubjectRulesReviewSpec": _m(f1="namespace s"),
    "SubjectRulesReviewStatus": _m(f1="resourceRules ResourceRule r",
                                   f2="nonResourceRules NonResourceRule r",
                                   f3="incomplete b k", f4="evaluationError s"),
    "ResourceRule": _m(f1="verbs s r", f2="apiGroups s r", f3="resources s r",
                       f4="resourceNames s r"),
    "NonResourceRule": _m(f1="verbs s r", f2="nonResourceURLs s r"),
    # authentication/v1
    "SelfSubjectReview": _m(f1="metadata ObjectMeta", f2="status SelfSubjectReviewStatus"),
    "SelfSubjectReviewStatus": _m(f1="userInfo UserInfo"),
    "UserInfo": _m(f1="username s", f2="uid s", f3="groups s r"),
    "TokenRequest": _m(f1="metadata ObjectMeta", f2="spec TokenRequestSpec",
                       f3="status TokenRequestStatus"),
    "TokenRequestSpec": _m(f1="audiences s r", f4="expirationSeconds i k",
                           f3="boundObjectRef BoundObjectReference"),
    "BoundObjectReference": _m(f1="kind s", f2="apiVersion s", f3="name s", f4="uid s"),
    "TokenRequestStatus": _m(f1="token s k", f2="expirationTimestamp t"),
}

KINDS = {(api_version, kind): kind for api_version, kind in [
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("authorization.k8s.io/v1", "SelfSubjectAccessReview"),
    ("authorization.k8s.io/v1", "SelfSubjectRulesReview"),
    ("authentication.k8s.io/v1", "SelfSubjectReview"),
    ("authentication.k8s.io/v1", "TokenRequest"),
]}

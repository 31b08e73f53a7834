"""The protobuf messages of the RBAC objects, the reviews and TokenRequest, in protoschema.py's
table form (field numbers of k8s.io/api rbac/v1, authorization/v1 and authentication/v1
generated.proto): kubectl's typed clients send them as protobuf (`kubectl auth can-i`,
`kubectl create role`, `kubectl create token`)."""

from typing import Dict

# kind -> the fields as protoschema._m takes them (f<number>="json type [flags]")
SCHEMA: Dict[str, Dict[str, str]] = {
    # rbac/v1
    "Role": dict(f1="metadata ObjectMeta", f2="rules PolicyRule r"),
    "ClusterRole": dict(f1="metadata ObjectMeta", f2="rules PolicyRule r",
                        f3="aggregationRule AggregationRule"),
    "AggregationRule": dict(f1="clusterRoleSelectors LabelSelector r"),
    "PolicyRule": dict(f1="verbs s r", f2="apiGroups s r", f3="resources s r",
                       f4="resourceNames s r", f5="nonResourceURLs s r"),
    "RoleBinding": dict(f1="metadata ObjectMeta", f2="subjects Subject r", f3="roleRef RoleRef"),
    "ClusterRoleBinding": dict(f1="metadata ObjectMeta", f2="subjects Subject r",
                               f3="roleRef RoleRef"),
    "Subject": dict(f1="kind s k", f2="apiGroup s", f3="name s k", f4="namespace s"),
    "RoleRef": dict(f1="apiGroup s k", f2="kind s k", f3="name s k"),
    # authorization/v1
    "SelfSubjectAccessReview": dict(f1="metadata ObjectMeta", f2="spec SelfSubjectAccessReviewSpec",
                                    f3="status SubjectAccessReviewStatus"),
    "SelfSubjectAccessReviewSpec": dict(f1="resourceAttributes ResourceAttributes",
                                        f2="nonResourceAttributes NonResourceAttributes"),
    "ResourceAttributes": dict(f1="namespace s", f2="verb s", f3="group s", f4="version s",
                               f5="resource s", f6="subresource s", f7="name s",
                               f8="fieldSelector FieldSelectorAttributes",
                               f9="labelSelector LabelSelectorAttributes"),
    "FieldSelectorAttributes": dict(f1="rawSelector s", f2="requirements FieldSelectorRequirement r"),
    "FieldSelectorRequirement": dict(f1="key s k", f2="operator s k", f3="values s r"),
    "LabelSelectorAttributes": dict(f1="rawSelector s", f2="requirements LabelSelectorRequirement r"),
    "NonResourceAttributes": dict(f1="path s", f2="verb s"),
    "SubjectAccessReviewStatus": dict(f1="allowed b k", f2="reason s", f3="evaluationError s",
                                      f4="denied b"),
    "SelfSubjectRulesReview": dict(f1="metadata ObjectMeta", f2="spec SelfSubjectRulesReviewSpec",
                                   f3="status SubjectRulesReviewStatus"),
    "SelfSubjectRulesReviewSpec": dict(f1="namespace s"),
    "SubjectRulesReviewStatus": dict(f1="resourceRules ResourceRule r",
                                     f2="nonResourceRules NonResourceRule r",
                                     f3="incomplete b k", f4="evaluationError s"),
    "ResourceRule": dict(f1="verbs s r", f2="apiGroups s r", f3="resources s r",
                         f4="resourceNames s r"),
    "NonResourceRule": dict(f1="verbs s r", f2="nonResourceURLs s r"),
    # authentication/v1
    "SelfSubjectReview": dict(f1="metadata ObjectMeta", f2="status SelfSubjectReviewStatus"),
    "SelfSubjectReviewStatus": dict(f1="userInfo UserInfo"),
    "UserInfo": dict(f1="username s", f2="uid s", f3="groups s r"),
    "TokenRequest": dict(f1="metadata ObjectMeta", f2="spec TokenRequestSpec",
                         f3="status TokenRequestStatus"),
    "TokenRequestSpec": dict(f1="audiences s r", f4="expirationSeconds i k",
                             f3="boundObjectRef BoundObjectReference"),
    "BoundObjectReference": dict(f1="kind s", f2="apiVersion s", f3="name s", f4="uid s"),
    "TokenRequestStatus": dict(f1="token s k", f2="expirationTimestamp t"),
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

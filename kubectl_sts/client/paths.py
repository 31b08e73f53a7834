"""Every API path the plugin requests, built here and only here.

Each segment taken from input (a namespace, a name) is checked and percent-encoded, so no
value can add a segment, climb with `..`, or start a query: `-n "x/../../api/v1/namespaces"`
is refused before any request (the API server itself refuses such names:
apimachinery/pkg/api/validation/path, IsValidPathSegmentName)."""

from typing import Optional
from urllib.parse import quote

# resource -> (API prefix, namespaced)
RESOURCES = {
    "statefulsets": ("/apis/apps/v1", True),
    "controllerrevisions": ("/apis/apps/v1", True),
    "pods": ("/api/v1", True),
    "persistentvolumeclaims": ("/api/v1", True),
    "services": ("/api/v1", True),
    "events": ("/api/v1", True),
    "poddisruptionbudgets": ("/apis/policy/v1", True),
    "persistentvolumes": ("/api/v1", False),
    "namespaces": ("/api/v1", False),
    "nodes": ("/api/v1", False),
    "storageclasses": ("/apis/storage.k8s.io/v1", False),
    "endpointslices": ("/apis/discovery.k8s.io/v1", True),
    "leases": ("/apis/coordination.k8s.io/v1", True),
    # kubernetes-csi/external-snapshotter's CRDs (`snapshot`, `restore`; the group kinds:
    # group_path)
    "volumesnapshots": ("/apis/snapshot.storage.k8s.io/v1", True),
    "volumesnapshotclasses": ("/apis/snapshot.storage.k8s.io/v1", False),
    "volumesnapshotcontents": ("/apis/snapshot.storage.k8s.io/v1", False),
}

# the server's version.Info (what `kubectl version` reads: discovery's ServerVersion)
VERSION_PATH = "/version"


class PathError(ValueError):
    """A value that cannot be a path segment."""


def segment(value: str, what: str = "name") -> str:
    """One path segment, checked and percent-encoded."""
    if not isinstance(value, str) or not value:
        raise PathError("%s may not be empty" % what)
    if value in (".", ".."):
        raise PathError('%s may not be "%s"' % (what, value))
    for bad in ("/", "%"):
        if bad in value:
            raise PathError('%s may not contain "%s"' % (what, bad))
    return quote(value, safe="")


def path(resource: str, namespace: Optional[str] = None, name: Optional[str] = None,
         subresource: Optional[str] = None) -> str:
    """The path of a collection (name None) or of one object (and its subresource).
    A namespaced resource without a namespace is the all-namespaces collection."""
    prefix, namespaced = RESOURCES[resource]
    parts = [prefix]
    if namespaced and namespace is not None:
        parts += ["namespaces", segment(namespace, "namespace")]
    parts.append(resource)
    if name is not None:
        parts.append(segment(name))
        if subresource is not None:
            parts.append(segment(subresource, "subresource"))
    return "/".join(parts)

# authorization.k8s.io/v1 SelfSubjectAccessReview: may I? (create-only, cluster-scoped), and
# authentication.k8s.io/v1 SelfSubjectReview: who am I? (what `kubectl auth whoami` asks)
ACCESS_REVIEW_PATH = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
WHOAMI_PATH = "/apis/authentication.k8s.io/v1/selfsubjectreviews"

# discovery of the snapshot groups (APIResourceList, APIGroup): served or not
SNAPSHOT_DISCOVERY_PATH = "/apis/snapshot.storage.k8s.io/v1"
GROUP_SNAPSHOT_DISCOVERY_PATH = "/apis/groupsnapshot.storage.k8s.io"


def group_path(version: str, resource: str, namespace: Optional[str] = None,
               name: Optional[str] = None) -> str:
    """A groupsnapshot.storage.k8s.io path at the version discovery found."""
    parts = ["/apis/groupsnapshot.storage.k8s.io", segment(version, "version")]
    if namespace is not None:
        parts += ["namespaces", segment(namespace, "namespace")]
    parts.append(resource)
    if name is not None:
        parts.append(segment(name))
    return "/".join(parts)

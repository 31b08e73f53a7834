"""The resource types the sandbox API server serves, and its discovery documents."""

from typing import Any, Dict, List, NamedTuple, Optional, Protocol, Tuple


class ResourceType(NamedTuple):
    """A resource the server serves (hashable: types are dict keys in the store)."""
    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: Tuple[str, ...]
    subresources: Tuple[str, ...]
    generation: bool           # whether spec changes bump metadata.generation


class Named(Protocol):
    """What errors need of a resource type: its plural and group."""
    @property
    def plural(self) -> str: ...

    @property
    def group(self) -> str: ...


Obj = Dict[str, Any]

# connect subresources (served by connect.py's table) and their verbs in discovery
_CONNECT_VERBS = {"log": ("get",), "exec": ("create", "get"), "attach": ("create", "get"),
                  "portforward": ("create", "get"),
                  "proxy": ("create", "delete", "get", "patch", "update"), "token": ("create",)}
_CONNECT_KINDS = {"log": "Pod", "exec": "PodExecOptions", "attach": "PodAttachOptions",
                  "portforward": "PodPortForwardOptions", "token": "TokenRequest"}
CONNECT_SUBRESOURCES = frozenset(_CONNECT_VERBS)

_ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]

RESOURCE_TYPES: List[ResourceType] = [
    ResourceType("", "v1", "Namespace", "namespaces", "namespace", False, ("ns",), ("status",),
                 False),
    ResourceType("", "v1", "Pod", "pods", "pod", True, ("po",),
                 ("status", "eviction", "log", "exec", "attach", "portforward", "proxy"), False),
    ResourceType("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims",
                 "persistentvolumeclaim", True, ("pvc",), ("status",), False),
    ResourceType("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", False,
                 ("pv",), ("status",), False),
    ResourceType("", "v1", "Service", "services", "service", True, ("svc",), ("status", "proxy"),
                 False),
    ResourceType("", "v1", "Event", "events", "event", True, ("ev",), (), False),
    ResourceType("", "v1", "Node", "nodes", "node", False, ("no",), ("status",), False),
    ResourceType("", "v1", "Secret", "secrets", "secret", True, (), (), False),
    ResourceType("", "v1", "ConfigMap", "configmaps", "configmap", True, ("cm",), (), False),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, ("sa",),
                 ("token",), False),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", "statefulset", True, ("sts",),
                 ("status", "scale"), True),
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision",
                 True, (), (), False),
    ResourceType("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                 "horizontalpodautoscaler", True, ("hpa",), ("status",), False),
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets",
                 "poddisruptionbudget", True, ("pdb",), ("status",), True),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", False,
                 ("sc",), (), False),
    ResourceType("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass",
                 False, ("pc",), (), False),
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice",
                 True, (), (), False),
    # the kubelets' node leases in kube-node-lease (nodekubelet.py)
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True, (), (), False),
    # stored only (no CSI driver modifies volumes): storage.k8s.io/v1 from 1.34, SERVED_FROM
    ResourceType("storage.k8s.io", "v1", "VolumeAttributesClass", "volumeattributesclasses",
                 "volumeattributesclass", False, ("vac",), (), False),
    # RBAC (rbac.py authorizes with them; bootstrappolicy.py writes the defaults)
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", True, (), (), False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole",
                 False, (), (), False),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding",
                 True, (), (), False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
                 "clusterrolebinding", False, (), (), False),
    # create-only, never stored (CREATE_ONLY; served by reviews.py through connect.SPECIAL)
    ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews",
                 "selfsubjectreview", False, (), (), False),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview",
                 "selfsubjectaccessreviews", "selfsubjectaccessreview", False, (), (), False),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectRulesReview",
                 "selfsubjectrulesreviews", "selfsubjectrulesreview", False, (), (), False),
    ResourceType("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews",
                 "subjectaccessreview", False, (), (), False),
    # the CustomResourceDefinitions of the kinds below (crds.py), read-only in the sandbox
    ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
                 "customresourcedefinitions", "customresourcedefinition", False, ("crd", "crds"),
                 ("status",), True),
    # CRDs of kubernetes-csi/external-snapshotter (client/config/crd, crds.py; served unless
    # Config(snapshots=False)): names, scope and subresources as the CRDs declare them
    ResourceType("snapshot.storage.k8s.io", "v1", "VolumeSnapshot", "volumesnapshots",
                 "volumesnapshot", True, ("vs",), ("status",), True),
    ResourceType("snapshot.storage.k8s.io", "v1", "VolumeSnapshotContent",
                 "volumesnapshotcontents", "volumesnapshotcontent", False, ("vsc", "vscs"),
                 ("status",), True),
    ResourceType("snapshot.storage.k8s.io", "v1", "VolumeSnapshotClass", "volumesnapshotclasses",
                 "volumesnapshotclass", False, ("vsclass", "vsclasses"), (), True),
    ResourceType("groupsnapshot.storage.k8s.io", "v1", "VolumeGroupSnapshot",
                 "volumegroupsnapshots", "volumegroupsnapshot", True, ("vgs",), ("status",), True),
    ResourceType("groupsnapshot.storage.k8s.io", "v1", "VolumeGroupSnapshotContent",
                 "volumegroupsnapshotcontents", "volumegroupsnapshotcontent", False,
                 ("vgsc", "vgscs"), ("status",), True),
    ResourceType("groupsnapshot.storage.k8s.io", "v1", "VolumeGroupSnapshotClass",
                 "volumegroupsnapshotclasses", "volumegroupsnapshotclass", False,
                 ("vgsclass", "vgsclasses"), (), True),
]

# the snapshot groups, served as CRDs: only when the cluster has them (Config.snapshots)
SNAPSHOT_GROUPS = frozenset({"snapshot.storage.k8s.io", "groupsnapshot.storage.k8s.io"})

# resources that only take a POST of the collection and store nothing (the reviews): discovery
# lists them with the verb create alone, as kube-apiserver does
CREATE_ONLY = frozenset({("authentication.k8s.io", "selfsubjectreviews"),
                         ("authorization.k8s.io", "selfsubjectaccessreviews"),
                         ("authorization.k8s.io", "selfsubjectrulesreviews"),
                         ("authorization.k8s.io", "subjectaccessreviews")})

# (group, plural) -> the first minor release whose kube-apiserver serves it by default; the
# others are served by every release the sandbox plays (1.32 on). VolumeAttributesClass:
# storage.k8s.io/v1 is GA in 1.34 (KEP-3751; pkg/registry/storage/rest/storage_storage.go
# serves v1 from 1.34); before, only v1beta1 (1.31), off by default as every beta API since
# 1.24 (pkg/controlplane/apiserver/options: DefaultAPIResourceConfigSource), so a 1.32 or 1.33
# cluster does not serve it unless --runtime-config asks.
# VolumeGroupSnapshot: groupsnapshot.storage.k8s.io/v1 is GA in 1.36 (KEP-3476;
# external-snapshotter v8.6.0, CHANGELOG-8.6.md #1368, serves v1 beside the deprecated v1beta1
# and v1beta2, the storage version); the sandbox serves v1 alone, from 1.36 on.
SERVED_FROM: Dict[Tuple[str, str], int] = {("storage.k8s.io", "volumeattributesclasses"): 34,
                                           ("groupsnapshot.storage.k8s.io",
                                            "volumegroupsnapshots"): 36,
                                           ("groupsnapshot.storage.k8s.io",
                                            "volumegroupsnapshotcontents"): 36,
                                           ("groupsnapshot.storage.k8s.io",
                                            "volumegroupsnapshotclasses"): 36}

BY_PLURAL = {(rt.group, rt.plural): rt for rt in RESOURCE_TYPES}
BY_KIND = {rt.kind: rt for rt in RESOURCE_TYPES}

# Groups in discovery order (kube-apiserver's apiVersionPriorities, pkg/controlplane/apiserver/
# aggregator.go: apps 17800, authentication.k8s.io 17700, authorization.k8s.io 17600,
# autoscaling 17500, policy 17100, rbac.authorization.k8s.io 17000, storage.k8s.io 16800,
# apiextensions.k8s.io 16700, scheduling.k8s.io 16600, coordination.k8s.io 16500,
# discovery.k8s.io 16200), then the CRDs' groups (kube-apiserver's crdregistration
# controller gives them GroupPriorityMinimum 1000: after every built-in group, by name);
# autoscaling/v1 only carries the Scale kind of statefulsets/scale.
GROUPS = [("apps", "v1"), ("authentication.k8s.io", "v1"), ("authorization.k8s.io", "v1"),
          ("autoscaling", "v1"), ("policy", "v1"), ("rbac.authorization.k8s.io", "v1"),
          ("storage.k8s.io", "v1"), ("apiextensions.k8s.io", "v1"), ("scheduling.k8s.io", "v1"),
          ("coordination.k8s.io", "v1"), ("discovery.k8s.io", "v1"),
          ("groupsnapshot.storage.k8s.io", "v1"), ("snapshot.storage.k8s.io", "v1")]

_CATEGORIES = {"pods": ["all"], "services": ["all"], "statefulsets": ["all"]}


def api_version(rt: ResourceType) -> str:
    """The apiVersion of the type's objects: `apps/v1`, `v1`."""
    return "%s/%s" % (rt.group, rt.version) if rt.group else rt.version


def qualified(rt: Named) -> str:
    """The resource name errors use: `statefulsets.apps`, `pods`."""
    return "%s.%s" % (rt.plural, rt.group) if rt.group else rt.plural


def served(rt: ResourceType, minor: Optional[int] = None, snapshots: bool = True) -> bool:
    """Whether release 1.<minor> serves the type (None: any release the sandbox plays);
    `snapshots` False: a cluster without the snapshot CRDs."""
    if rt.group in SNAPSHOT_GROUPS and not snapshots:
        return False
    return minor is None or minor >= SERVED_FROM.get((rt.group, rt.plural), 0)


def lookup(group: str, plural: str, minor: Optional[int] = None,
           snapshots: bool = True) -> Optional[ResourceType]:
    """The type served at GROUP/PLURAL by release 1.<minor> (None: by any)."""
    rt = BY_PLURAL.get((group, plural))
    return rt if rt is not None and served(rt, minor, snapshots) else None


def served_groups(minor: Optional[int] = None,
                  snapshots: bool = True) -> List[Tuple[str, str]]:
    """GROUPS less those with no type release 1.<minor> serves."""
    return [(g, v) for g, v in GROUPS
            if any(rt.group == g and rt.version == v and served(rt, minor, snapshots)
                   for rt in RESOURCE_TYPES)]


def api_versions(address: str) -> Obj:
    """The APIVersions document of /api."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": address}],
    }


def api_group_list(minor: Optional[int] = None, snapshots: bool = True) -> Obj:
    """The APIGroupList document of /apis (release 1.<minor>)."""
    groups = []
    for group, version in served_groups(minor, snapshots):
        gv = {"groupVersion": "%s/%s" % (group, version), "version": version}
        groups.append({"name": group, "versions": [gv], "preferredVersion": gv})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def api_group(group: str, minor: Optional[int] = None,
              snapshots: bool = True) -> Optional[Obj]:
    """The APIGroup document of /apis/GROUP, or None when it is not served."""
    for name, version in served_groups(minor, snapshots):
        if name == group:
            gv = {"groupVersion": "%s/%s" % (name, version), "version": version}
            return {"kind": "APIGroup", "apiVersion": "v1", "name": name, "versions": [gv],
                    "preferredVersion": gv}
    return None


def resource_list(group: str, version: str, minor: Optional[int] = None,
                  snapshots: bool = True) -> Optional[Obj]:
    """The APIResourceList of one group/version (release 1.<minor>), or None when it is not
    served."""
    if (group, version) not in [("", "v1")] + served_groups(minor, snapshots):
        return None
    entries = []
    for rt in RESOURCE_TYPES:
        if rt.group != group or rt.version != version or \
                not served(rt, minor, snapshots):
            continue
        verbs = ["create"] if (rt.group, rt.plural) in CREATE_ONLY else list(_ALL_VERBS)
        entry: Obj = {
            "name": rt.plural, "singularName": rt.singular, "namespaced": rt.namespaced,
            "kind": rt.kind, "verbs": verbs,
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.plural in _CATEGORIES:
            entry["categories"] = list(_CATEGORIES[rt.plural])
        entries.append(entry)
        for sub in rt.subresources:
            sub_entry: Obj = {"name": "%s/%s" % (rt.plural, sub), "singularName": "",
                         "namespaced": rt.namespaced, "kind": rt.kind,
                         "verbs": ["get", "patch", "update"]}
            if sub == "scale":
                sub_entry.update(group="autoscaling", version="v1", kind="Scale")
            elif sub == "eviction":
                sub_entry.update(group="policy", version="v1", kind="Eviction",
                                 verbs=["create"])
            elif sub in _CONNECT_VERBS:     # as kube-apiserver's discovery lists them
                sub_entry.update(kind=_CONNECT_KINDS.get(sub, rt.kind + "ProxyOptions"),
                                 verbs=list(_CONNECT_VERBS[sub]))
                if sub == "token":
                    sub_entry.update(group="authentication.k8s.io", version="v1")
            entries.append(sub_entry)
    gv = "%s/%s" % (group, version) if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": entries}

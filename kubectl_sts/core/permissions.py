"""What each command needs from the API server's authorizer: one table, every command and every
variant of it whose access differs, the one home of the plugin's least privilege.

A variant's rules are RBAC PolicyRules (apiGroups, resources incl. subresources, verbs) with
what a rule is to the command:

- `kind`: "read" (every run, dry runs included), "write" (a real run and `--dry-run=server`:
  a write with dryRun=All is authorized with the verb of the write, kube-apiserver's
  authorization filter runs before admission and dry run alike), "follow" (a read a real run
  makes after its first write: the watches that wait for the controller), "lock" (the set's
  Lease, core/lock.py: real runs only, a dry run takes no lock);
- `optional`: the command goes on without it and says what it left out (a note or a warning:
  the detail a read adds, the advisory lock); the others it needs, and refuses without;
- `cluster`: a cluster-scoped resource (nodes, persistentvolumes, storageclasses) or a
  namespaced one read in every namespace (`-A`): it goes into the ClusterRole.

`--dry-run=client` needs the reads only, `--dry-run=server` the reads and the writes, a real run
all four (rules_for). The check before writing asks for the writes and the follow-up reads:
a run never stops half-way for a permission it could have asked for first.

The table is checked against what the commands really request by tests/test_least_privilege.py
(every request in the sandbox's request log is covered by the rules of its variant, and each
required rule removed makes the command refuse), and tools/rbac_manifests.py writes
examples/rbac/ from it.

Before its first write, a writing command asks the API server, with SelfSubjectAccessReviews,
for each permission its writes need (reviews, below) and refuses with one line naming the first
one missing (refusal). Upstream: the attributes of a review are authorization/v1
ResourceAttributes (kubernetes/api authorization/v1 types.go); the words of the refusal are
the authorizer's forbidden message (apiserver endpoints/handlers/responsewriters/errors.go,
forbiddenMessage: `User "alice" cannot patch resource "statefulsets" in API group "apps" in the
namespace "default"`)."""

from typing import Any, Dict, Iterable, List, NamedTuple, Optional, Sequence, Tuple

Obj = Dict[str, Any]

APPS, CORE, POLICY = "apps", "", "policy"
COORDINATION, STORAGE, DISCOVERY = "coordination.k8s.io", "storage.k8s.io", "discovery.k8s.io"
SNAPSHOT = "snapshot.storage.k8s.io"


class Rule(NamedTuple):
    group: str
    resources: Tuple[str, ...]
    verbs: Tuple[str, ...]
    kind: str = "read"              # read | write | lock
    optional: bool = False
    cluster: bool = False
    why: str = ""


def _r(group: str, resources: str, verbs: str, why: str, kind: str = "read",
       optional: bool = False, cluster: bool = False) -> Rule:
    return Rule(group, tuple(resources.split()), tuple(verbs.split()), kind, optional, cluster,
                why)


# -- the building blocks ------------------------------------------------------------------------
SET_GET = _r(APPS, "statefulsets", "get", "the StatefulSet")
SET_WATCH = _r(APPS, "statefulsets", "get list watch", "the StatefulSet, watched")
PODS_LIST = _r(CORE, "pods", "list", "the set's pods")
PODS_WATCH = _r(CORE, "pods", "list watch", "the set's pods, watched")
PODS_FOLLOW = _r(CORE, "pods", "list watch", "the set's pods, watched", kind="follow")
SET_FOLLOW = _r(APPS, "statefulsets", "list watch", "the StatefulSet, watched", kind="follow")
CLAIMS_LIST = _r(CORE, "persistentvolumeclaims", "list", "the set's PVCs")
CLAIMS_WATCH = _r(CORE, "persistentvolumeclaims", "list watch", "the set's PVCs, watched")
CLAIMS_FOLLOW = _r(CORE, "persistentvolumeclaims", "list watch", "the set's PVCs, watched",
                   kind="follow")
PDBS = _r(POLICY, "poddisruptionbudgets", "list", "the PodDisruptionBudgets", optional=True)
PDBS_NEEDED = _r(POLICY, "poddisruptionbudgets", "list", "the PodDisruptionBudgets")
EVENTS = _r(CORE, "events", "list", "the warning events (evidence)", optional=True)
NODES = _r(CORE, "nodes", "get list", "the pods' nodes (the diagnosis)", optional=True,
           cluster=True)
PVS = _r(CORE, "persistentvolumes", "get list", "the claims' PVs (the diagnosis)",
         optional=True, cluster=True)
LEASE_READ = _r(COORDINATION, "leases", "get", "who holds the set's lock", optional=True)
LOCK = _r(COORDINATION, "leases", "get create update delete watch",
          "the set's lock (a Lease), held while the command writes", kind="lock",
          optional=True)
DIAGNOSIS = (PDBS, EVENTS, NODES, PVS)
# resize and restore: the managedFields of the set deleted, put back on it created again
# (commands/recreate.py restore_owners)
OWNERS_BACK = _r(APPS, "statefulsets", "patch", "the field owners (managedFields) put back on "
                 "the set created again", kind="write", optional=True)
CLAIMS_SEEN = _r(CORE, "persistentvolumeclaims", "list", "the set's PVCs (the diagnosis)",
                 optional=True)

def _restart(*more: Rule) -> Tuple[Rule, ...]:
    """restart's rules (each pod evicted, one at a time) and a variant's `more`."""
    return (SET_GET, PODS_LIST, PDBS_NEEDED, PODS_FOLLOW,
            _r(CORE, "pods/eviction", "create", "each pod evicted", kind="write")) + more + \
        (LOCK,)


VARIANTS: Dict[str, Tuple[Rule, ...]] = {
    "status": (SET_GET, PODS_LIST,
               _r(CORE, "persistentvolumeclaims", "list", "the set's PVCs", optional=True),
               _r(CORE, "services", "get", "the governing Service", optional=True),
               LEASE_READ) + DIAGNOSIS,
    "status --watch": (SET_WATCH, PODS_WATCH,
                       _r(CORE, "persistentvolumeclaims", "list watch", "the set's PVCs",
                          optional=True),
                       _r(CORE, "services", "get", "the governing Service", optional=True),
                       _r(CORE, "events", "list watch", "the warning events", optional=True),
                       LEASE_READ, PDBS, NODES, PVS),
    "status (list)": (_r(APPS, "statefulsets", "list", "the StatefulSets"),),
    "status -A": (_r(APPS, "statefulsets", "list", "the StatefulSets of every namespace",
                     cluster=True),),
    "rollout (plan)": (SET_GET, PODS_LIST,
                       _r(APPS, "controllerrevisions", "list", "the set's revisions"),
                       CLAIMS_SEEN) + DIAGNOSIS,
    "rollout --status": (SET_WATCH, PODS_WATCH, CLAIMS_SEEN) + DIAGNOSIS,
    "rollout --image": (SET_GET,
                        _r(APPS, "statefulsets", "update", "the template staged, partition held",
                           kind="write"), LOCK),
    "rollout --hold": (SET_GET,
                       _r(APPS, "statefulsets", "update", "the partition held", kind="write"),
                       LOCK),
    "rollout --step": (SET_GET, SET_FOLLOW, PODS_FOLLOW,
                       _r(APPS, "statefulsets", "update", "the partition lowered", kind="write"),
                       LOCK) + DIAGNOSIS,
    # the application checks after each step (issue 29): the exec over WebSocket is a GET
    # authorized as get and create (1.35+), the proxy GET as get
    "rollout --step --check-exec": (SET_GET, SET_FOLLOW, PODS_FOLLOW,
                                    _r(APPS, "statefulsets", "update", "the partition lowered",
                                       kind="write"),
                                    _r(CORE, "pods/exec", "get create",
                                       "the check run in each updated pod", kind="follow"),
                                    LOCK) + DIAGNOSIS,
    "rollout --step --check-http": (SET_GET, SET_FOLLOW, PODS_FOLLOW,
                                    _r(APPS, "statefulsets", "update", "the partition lowered",
                                       kind="write"),
                                    _r(CORE, "pods/proxy", "get",
                                       "the check's GET through each updated pod's proxy",
                                       kind="follow"), LOCK) + DIAGNOSIS,
    "rollout --step (OnDelete)": (SET_GET, PODS_LIST, SET_FOLLOW, PODS_FOLLOW,
                                  _r(CORE, "pods", "delete", "the next pods deleted",
                                     kind="write"), LOCK) + DIAGNOSIS,
    "rollout --step --batch": (SET_GET, PODS_LIST, SET_FOLLOW, PODS_FOLLOW,
                               _r(APPS, "statefulsets", "update", "the partition lowered",
                                  kind="write"),
                               _r(CORE, "pods", "delete", "each batch's pods deleted together",
                                  kind="write"),
                               # required here: a batch is refused unless its budgets allow it
                               _r(POLICY, "poddisruptionbudgets", "list",
                                  "the budgets each batch must respect"),
                               LOCK) + tuple(r for r in DIAGNOSIS if r is not PDBS),
    # --order / --leader-last (a local command): the order recorded on the set's annotation
    "rollout --step --order (OnDelete)": (SET_GET, PODS_LIST, SET_FOLLOW, PODS_FOLLOW,
                                          _r(CORE, "pods", "delete", "the next pods deleted",
                                             kind="write"),
                                          _r(APPS, "statefulsets", "update",
                                             "the order recorded on the set", kind="write"),
                                          LOCK) + DIAGNOSIS,
    "rollout --step --leader-exec (OnDelete)": (
        SET_GET, PODS_LIST, SET_FOLLOW, PODS_FOLLOW,
        _r(CORE, "pods", "delete", "the next pods deleted", kind="write"),
        _r(APPS, "statefulsets", "update", "the order recorded on the set", kind="write"),
        _r(CORE, "pods/exec", "get create", "the leader asked in a pod", kind="write"),
        LOCK) + DIAGNOSIS,
    "rollout --undo": (SET_GET, PODS_LIST, SET_FOLLOW, PODS_FOLLOW,
                       _r(APPS, "controllerrevisions", "list", "the revision restored"),
                       _r(APPS, "statefulsets", "update", "the template restored",
                          kind="write"),
                       _r(CORE, "pods", "delete", "the failing updated pods deleted",
                          kind="write"), LOCK) + DIAGNOSIS,
    "scale": (SET_GET, PODS_LIST, CLAIMS_LIST, PDBS, PVS, PODS_FOLLOW, CLAIMS_FOLLOW,
              _r(APPS, "statefulsets/scale", "update", "the replica count", kind="write"),
              LOCK),
    "pvc": (SET_GET, PODS_LIST, CLAIMS_LIST, PDBS, PVS),
    "pvc --prune": (SET_GET, PODS_LIST, CLAIMS_LIST, PDBS, PVS,
                    _r(CORE, "persistentvolumeclaims", "delete", "the orphaned PVCs deleted",
                       kind="write"), LOCK),
    "resize": (SET_GET, CLAIMS_LIST, SET_FOLLOW, PODS_FOLLOW, CLAIMS_FOLLOW,
               _r(STORAGE, "storageclasses", "list", "whether the class can expand",
                  cluster=True),
               _r(CORE, "events", "list watch", "the resize events", kind="follow"),
               _r(CORE, "persistentvolumeclaims", "patch", "the claims grown", kind="write"),
               _r(APPS, "statefulsets", "delete create",
                  "the set deleted (orphan) and created with the new template", kind="write"),
               OWNERS_BACK,
               LOCK),
    "resize --resume": (SET_GET, SET_FOLLOW, PODS_FOLLOW,
                        _r(APPS, "statefulsets", "create", "the set created from the backup",
                           kind="write"), OWNERS_BACK, LOCK),
    "wait": (SET_WATCH, PODS_WATCH, CLAIMS_WATCH) + DIAGNOSIS,
    "restart": _restart(),
    "restart --leader-exec": _restart(_r(CORE, "pods/exec", "get create",
                                         "the leader asked in a pod", kind="write")),
    "restart --force": _restart(_r(CORE, "pods", "delete",
                                   "a pod no eviction may take, deleted", kind="write")),
    "restart --check-exec": _restart(_r(CORE, "pods/exec", "get create",
                                        "the check run in each pod", kind="follow")),
    "restart --check-http": _restart(_r(CORE, "pods/proxy", "get",
                                        "the check's GET through each pod's proxy",
                                        kind="follow")),
    "repair": (SET_GET, _r(CORE, "pods", "get list", "the ordinal's pod"),
               _r(CORE, "persistentvolumeclaims", "get", "the ordinal's claims"),
               _r(CORE, "nodes", "list", "the nodes (is the pod's node down?)", cluster=True),
               _r(CORE, "persistentvolumes", "list", "the PVs (where is the volume pinned?)",
                  cluster=True), _r(CORE, "events", "list", "the pod's events"), PDBS,
               LEASE_READ),
}


def _restore() -> Tuple[Rule, ...]:
    """restore (commands/restore/): per ordinal, the old PVs Retain, the set deleted (orphan)
    and created again, the pod and the claims deleted, the claims created from snapshots."""
    return (SET_GET,
            _r(SNAPSHOT, "volumesnapshots", "list", "the snapshot set's VolumeSnapshots"),
            _r(SNAPSHOT, "volumesnapshotcontents", "get", "the snapshots' CSI driver",
               cluster=True),
            _r(CORE, "persistentvolumeclaims", "get list", "the set's PVCs"),
            _r(CORE, "persistentvolumes", "get", "the PVs replaced", cluster=True),
            _r(STORAGE, "storageclasses", "list", "the claims' provisioners", cluster=True),
            _r(CORE, "pods", "get", "the ordinals' pods"),
            _r(CORE, "persistentvolumes", "patch", "the old PVs kept (Retain)", kind="write",
               cluster=True),
            _r(APPS, "statefulsets", "delete create",
               "the set deleted (orphan) and created again", kind="write"),
            OWNERS_BACK,
            _r(CORE, "pods", "delete", "the ordinal's pod deleted", kind="write"),
            _r(CORE, "persistentvolumeclaims", "delete create",
               "the claims replaced from the snapshots", kind="write"),
            _r(APPS, "statefulsets", "list watch", "the StatefulSet, watched until gone",
               kind="follow"),
            _r(CORE, "pods persistentvolumeclaims", "list watch",
               "the pod and claims, watched until gone (the pod until Ready)",
               kind="follow"),
            LOCK)


def _remedy(*writes: Rule) -> Tuple[Rule, ...]:
    watch = _r(CORE, "pods", "watch", "the ordinal's pod, watched until Ready", kind="follow")
    return VARIANTS["repair"] + writes + (watch, LOCK)


VARIANTS.update({
    "repair (taint)": _remedy(_r(CORE, "nodes", "get patch",
                                 "the down node tainted out-of-service", kind="write",
                                 cluster=True)),
    "repair --force-delete": _remedy(_r(CORE, "pods", "delete", "the pod force-deleted",
                                        kind="write")),
    "repair (rollback)": _remedy(_r(CORE, "pods", "delete", "the pod deleted",
                                    kind="write")),
    "repair --fresh-volume": _remedy(
        _r(CORE, "persistentvolumes", "patch", "the old PV kept (Retain)", kind="write",
           cluster=True),
        _r(CORE, "persistentvolumeclaims pods", "delete", "the claims and the pod deleted",
           kind="write")),
    "repair --fresh-volume --no-keep": _remedy(
        _r(CORE, "persistentvolumeclaims pods", "delete", "the claims and the pod deleted",
           kind="write")),
    "repair --untaint": (SET_GET, _r(CORE, "pods", "get list", "the ordinal's pod"),
                         _r(CORE, "persistentvolumeclaims", "get", "the ordinal's claims"),
                         _r(CORE, "nodes", "list patch",
                            "the out-of-service taint removed from nodes Ready again",
                            cluster=True),
                         _r(CORE, "persistentvolumes", "list", "the PVs", cluster=True),
                         _r(CORE, "events", "list", "the pod's events"), PDBS, LEASE_READ,
                         LOCK),
    "doctor": (SET_GET, _r(CORE, "pods persistentvolumeclaims services", "list",
                           "the namespace's pods, PVCs and Services"),
               _r(CORE, "persistentvolumes", "list", "the PVs", optional=True, cluster=True),
               _r(STORAGE, "storageclasses", "list", "the StorageClasses", optional=True,
                  cluster=True),
               _r(DISCOVERY, "endpointslices", "list", "the Services' endpoints",
                  optional=True),
               _r(CORE, "nodes", "list", "the nodes", optional=True, cluster=True),
               PDBS, EVENTS,
               _r("snapshot.storage.k8s.io", "volumesnapshotclasses", "list",
                  "whether the PVCs can be snapshotted", optional=True, cluster=True)),
    "doctor -A": (_r(APPS, "statefulsets", "list", "every StatefulSet", cluster=True),
                  _r(CORE, "pods persistentvolumeclaims services", "list",
                     "every pod, PVC and Service", cluster=True),
                  _r(CORE, "persistentvolumes nodes", "list", "the PVs and nodes",
                     optional=True, cluster=True),
                  _r(STORAGE, "storageclasses", "list", "the StorageClasses", optional=True,
                     cluster=True),
                  _r(DISCOVERY, "endpointslices", "list", "every Service's endpoints",
                     optional=True, cluster=True),
                  _r(POLICY, "poddisruptionbudgets", "list", "every PodDisruptionBudget",
                     optional=True, cluster=True),
                  _r(CORE, "events", "list", "every warning event", optional=True,
                     cluster=True),
                  _r("snapshot.storage.k8s.io", "volumesnapshotclasses", "list",
                     "whether the PVCs can be snapshotted", optional=True, cluster=True)),
    # /version is a non-resource URL every authenticated user may read (system:discovery)
    "version": (),
    "restore": _restore(),
    "restore --resume": _restore(),
    "completion": (_r(APPS, "statefulsets", "list", "the names completed"),),
})


# `snapshot` (issue 31): the snapshot kinds of kubernetes-csi/external-snapshotter
SNAPSHOTS = "snapshot.storage.k8s.io"
GROUP_SNAPSHOTS = "groupsnapshot.storage.k8s.io"
_SNAPSHOT_READS = (SET_GET, CLAIMS_LIST,
                   _r(CORE, "pods", "list", "the set's pods (the revision each snapshot "
                      "records)"),
                   _r(CORE, "persistentvolumes", "list", "the claims' PVs (their CSI driver)",
                      optional=True, cluster=True),
                   _r(STORAGE, "storageclasses", "list",
                      "the claims' StorageClasses (their provisioner)", optional=True,
                      cluster=True))
_SNAPSHOT_TAKE = _SNAPSHOT_READS + (
    _r(SNAPSHOTS, "volumesnapshotclasses", "list", "the classes of the claims' drivers",
       cluster=True),
    _r(SNAPSHOTS, "volumesnapshots", "create", "one snapshot per claim", kind="write"))
_SNAPSHOT_WAIT = _r(SNAPSHOTS, "volumesnapshots", "list watch",
                    "the set's snapshots, watched until ready to use", kind="follow")
VARIANTS.update({
    "snapshot": _SNAPSHOT_TAKE,
    "snapshot --wait": _SNAPSHOT_TAKE + (_SNAPSHOT_WAIT,),
    "snapshot --group": _SNAPSHOT_READS + (
        _r(GROUP_SNAPSHOTS, "volumegroupsnapshotclasses", "list",
           "the group classes of the claims' driver", cluster=True),
        _r(CORE, "persistentvolumeclaims", "patch",
           "the claims labelled with the set (the group's selector)", kind="write"),
        _r(GROUP_SNAPSHOTS, "volumegroupsnapshots", "create", "the group snapshot",
           kind="write"),
        _r(GROUP_SNAPSHOTS, "volumegroupsnapshots", "list watch",
           "the group snapshot, watched until ready to use", kind="follow"),
        _r(SNAPSHOTS, "volumesnapshots", "list watch",
           "the group's member snapshots, watched until made", kind="follow"),
        _r(SNAPSHOTS, "volumesnapshots", "patch", "the member snapshots labelled as the set",
           kind="write")),
    "snapshot --list": (_r(SNAPSHOTS, "volumesnapshots", "list", "the set's snapshots"),),
    "snapshot --delete": (_r(SNAPSHOTS, "volumesnapshots", "list", "the set's snapshots"),
                          _r(SNAPSHOTS, "volumesnapshots", "delete", "the set's snapshots deleted",
                             kind="write")),
    # a set taken with --group: its VolumeGroupSnapshot deleted, which deletes its members
    "snapshot --delete (group)": (
        _r(SNAPSHOTS, "volumesnapshots", "list", "the set's snapshots"),
        _r(GROUP_SNAPSHOTS, "volumegroupsnapshots", "delete",
           "the set's group snapshot deleted (with its members)", kind="write")),
    # --snapshot: a set taken (and waited for) before the rollout's first write
    "rollout --image --snapshot": VARIANTS["rollout --image"] + _SNAPSHOT_TAKE + (
        _SNAPSHOT_WAIT,),
    "rollout --step --snapshot": VARIANTS["rollout --step"] + _SNAPSHOT_TAKE + (
        _SNAPSHOT_WAIT,),
})

# the commands, in the README's order, and their variants
COMMANDS: Dict[str, Tuple[str, ...]] = {}
for _variant in VARIANTS:
    COMMANDS.setdefault(_variant.split()[0], ())
    COMMANDS[_variant.split()[0]] += (_variant,)


def rules_for(variant: str, dry_run: str = "none") -> Tuple[Rule, ...]:
    """The rules `variant` needs for a run with `--dry-run=dry_run` (none|client|server)."""
    kinds = {"client": ("read",), "server": ("read", "write")}.get(
        dry_run, ("read", "write", "follow", "lock"))
    return tuple(r for r in VARIANTS[variant] if r.kind in kinds)


def command_rules(command: str) -> Tuple[Rule, ...]:
    """Every rule of every variant of `command` (its Role and ClusterRole), merged."""
    return merged(r for v in COMMANDS[command] for r in VARIANTS[v])


def merged(rules: Iterable[Rule]) -> Tuple[Rule, ...]:
    """The rules as one rule per group, resource and scope (in first-seen order): their verbs
    united, the first one's reason; optional only when every one was; a read when any was."""
    out: Dict[Tuple[str, str, bool], Rule] = {}
    for rule in rules:
        for resource in rule.resources:
            key = (rule.group, resource, rule.cluster)
            old = out.get(key)
            if old is None:
                out[key] = rule._replace(resources=(resource,))
                continue
            verbs = old.verbs + tuple(v for v in rule.verbs if v not in old.verbs)
            kind = "read" if "read" in (old.kind, rule.kind) else old.kind
            out[key] = old._replace(verbs=verbs, kind=kind,
                                    optional=old.optional and rule.optional)
    return tuple(out.values())


def covers(rules: Iterable[Rule], verb: str, group: str, resource: str,
           namespaced: bool) -> bool:
    """Whether `rules` allow `verb` on `resource` ("pods/eviction") of `group`: a namespaced
    request needs a rule (a Role's or the ClusterRole's), a request across namespaces or on a
    cluster-scoped resource a ClusterRole's rule (`cluster`)."""
    return any(verb in r.verbs and group == r.group and resource in r.resources
               and (namespaced or r.cluster) for r in rules)


# -- the check before writing -------------------------------------------------------------------

class Permission(NamedTuple):
    verb: str
    group: str
    resource: str           # "pods/eviction": resource and subresource
    namespace: Optional[str]  # None: cluster-scoped


def writes_needed(variant: str, namespace: str, dry_run: str = "none") -> List[Permission]:
    """Every permission the writes of `variant` need, and the reads a real run makes after its
    first write (nothing for a client dry run; the optional lock is not asked for: it warns on
    its own): the writes first, each kind in the table's order."""
    kinds = {"client": (), "server": ("write",)}.get(dry_run, ("write", "follow"))
    return [Permission(verb, r.group, resource, None if r.cluster else namespace)
            for kind in kinds for r in VARIANTS[variant] if r.kind == kind and not r.optional
            for resource in r.resources for verb in r.verbs]


def review(permission: Permission) -> Obj:
    """The SelfSubjectAccessReview asking for `permission` (authorization.k8s.io/v1)."""
    resource, _, sub = permission.resource.partition("/")
    attributes: Obj = {"verb": permission.verb, "group": permission.group,
                       "resource": resource}
    if sub:
        attributes["subresource"] = sub
    if permission.namespace is not None:
        attributes["namespace"] = permission.namespace
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
            "spec": {"resourceAttributes": attributes}}


def allowed(answer: Obj) -> bool:
    """A review's answer: status.allowed (a `denied` answer is not allowed either)."""
    status = answer.get("status") or {}
    return bool(status.get("allowed")) and not status.get("denied")


def refusal(command: str, missing: Sequence[Permission], user: Optional[str] = None) -> str:
    """The one line a command refuses with, in the authorizer's words: the first permission
    missing, the command that needs it, and how many more are missing."""
    first = missing[0]
    where = 'in the namespace "%s"' % first.namespace if first.namespace is not None \
        else "at the cluster scope"
    who = 'User "%s" cannot' % user if user else "cannot"
    more = " (and %d more permission%s)" % (len(missing) - 1, "" if len(missing) == 2 else "s") \
        if len(missing) > 1 else ""
    return ('error: %s %s resource "%s" in API group "%s" %s: kubectl-sts %s needs it%s; '
            "nothing was changed" % (who, first.verb, first.resource, first.group, where,
                                     command, more))

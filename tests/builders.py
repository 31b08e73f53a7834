"""The API objects the tests build: one builder per kind, keyword arguments for every variation
the tests use. Each call returns a fresh object (a deep copy: nothing is shared between calls
or with the arguments).

What every builder shares:
- the object carries apiVersion and kind (no code under test reads them from its input);
- metadata keywords: namespace, uid, resource_version, generation, created
  (creationTimestamp), labels, annotations (left out when empty), owners (ownerReferences),
  finalizers, deleting (deletionTimestamp: a timestamp, or True for DELETED_AT); `metadata`
  sets more fields last. A `uid` with "{...}" in it is a template: str.format with name (and,
  for pods, ordinal and revision);
- a keyword left at None leaves its field out; `spec` and `status` dicts set their fields last,
  over what the other keywords built.

A test file that builds many objects of one shape binds that shape once with functools.partial.
"""

import copy
from functools import partial
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from kubectl_sts.k8s.storage import BETA_DEFAULT_ANNOTATION, DEFAULT_ANNOTATION

Obj = Dict[str, Any]

REV_A = "web-5d8f7c9b6"     # a set's current revision
REV_B = "web-7f6c4d8b9"     # its update revision during a rollout
REV_C = "web-1a2b3c4d5"     # an older revision

DELETED_AT = "2024-06-01T12:00:00Z"   # the deletionTimestamp of deleting=True
REVISION_LABEL = "controller-revision-hash"

_NAME: Any = object()       # a default that follows the object's name


def _put(obj: Obj, key: str, value: Any) -> None:
    if value is not None:
        obj[key] = value


def _meta(name: Optional[str], namespace: Optional[str] = None, uid: Optional[str] = None,
          resource_version: Optional[str] = None, generation: Optional[int] = None,
          created: Optional[str] = None, labels: Optional[Dict[str, str]] = None,
          annotations: Optional[Dict[str, str]] = None, owners: Optional[List[Obj]] = None,
          finalizers: Optional[List[str]] = None, deleting: Union[None, bool, str] = None,
          more: Optional[Obj] = None, **uid_fields: Any) -> Obj:
    meta: Obj = {}
    _put(meta, "name", name)
    _put(meta, "namespace", namespace)
    if uid is not None:
        meta["uid"] = uid.format(name=name, **uid_fields) if "{" in uid else uid
    _put(meta, "resourceVersion", resource_version)
    _put(meta, "generation", generation)
    _put(meta, "creationTimestamp", created)
    _put(meta, "labels", labels)
    if annotations:
        meta["annotations"] = annotations
    _put(meta, "ownerReferences", owners)
    _put(meta, "finalizers", finalizers)
    if deleting:
        meta["deletionTimestamp"] = DELETED_AT if deleting is True else deleting
    meta.update(more or {})
    return meta


def _object(api_version: str, kind: str, meta: Obj, *parts: Any) -> Obj:
    """apiVersion, kind, metadata, then the (key, value) parts that are not None; a deep
    copy."""
    obj: Obj = {"apiVersion": api_version, "kind": kind, "metadata": meta}
    for key, value in parts:
        _put(obj, key, value)
    return copy.deepcopy(obj)


def _section(built: Obj, extra: Optional[Obj], keep_empty: bool = False) -> Optional[Obj]:
    """`built` with `extra` set over it; None (left out) when both are empty, unless
    keep_empty."""
    if extra is not None:
        built.update(extra)
    return built if built or keep_empty or extra is not None else None


# -- StatefulSet --------------------------------------------------------------------------------

STATUS_COUNTS = ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas",
                 "currentReplicas")


def statefulset(name: str = "web", replicas: int = 3, *, namespace: Optional[str] = None,
                uid: Optional[str] = None, resource_version: Optional[str] = None,
                generation: Optional[int] = None, created: Optional[str] = None,
                labels: Optional[Dict[str, str]] = None,
                annotations: Optional[Dict[str, str]] = None,
                owners: Optional[List[Obj]] = None, finalizers: Optional[List[str]] = None,
                metadata: Optional[Obj] = None, service: Optional[str] = _NAME,
                pod_labels: Optional[Dict[str, str]] = None,
                pod_annotations: Optional[Dict[str, str]] = None, image: str = "nginx:1.27",
                container: str = "app", containers: Optional[List[Obj]] = None,
                grace: Optional[int] = 1, pod_spec: Optional[Obj] = None,
                claims: Optional[Sequence[str]] = ("data",), claim_size: Optional[str] = "1Gi",
                access_modes: Optional[Sequence[str]] = ("ReadWriteOnce",),
                storage_class: Optional[str] = None, strategy: Optional[str] = None,
                partition: Optional[int] = None, max_unavailable: Union[None, int, str] = None,
                pod_management: Optional[str] = None, min_ready: Optional[int] = None,
                start: Optional[int] = None, retention: Optional[Dict[str, str]] = None,
                current: Optional[str] = None, update: Optional[str] = None,
                observed: Union[None, bool, int] = None,
                counts: Union[bool, Iterable[str]] = (), ready: Optional[int] = None,
                available: Optional[int] = None, updated: Optional[int] = None,
                at_current: Optional[int] = None, status: Optional[Obj] = None,
                **spec: Any) -> Obj:
    """A StatefulSet: by default the manifest the integration tests create (serviceName = name,
    one container, terminationGracePeriodSeconds 1, one 1Gi ReadWriteOnce claim template
    "data", no status).

    Spec: `service` (None: no serviceName); `pod_labels` the selector's matchLabels and the
    template's labels (default app=<name>); `containers` replaces the one `container` running
    `image`; `pod_spec` more template spec fields; `claims` the claim template names (None: no
    volumeClaimTemplates; `claim_size`, `access_modes` None leave those out); `strategy` the
    updateStrategy type, RollingUpdate when only `partition`/`max_unavailable` are given;
    further camelCase keywords are spec fields set as given (None removes one, e.g.
    template=None).
    Status (left out when no keyword asks for it): `current`/`update` the revisions (update
    defaults to current); `observed` the observedGeneration (True: the generation); `counts`
    which of STATUS_COUNTS to report (True: all) from replicas: readyReplicas `ready`,
    availableReplicas `available` (else ready), updatedReplicas `updated` (else all when
    current == update, none otherwise), currentReplicas `at_current`; a count given is
    always reported."""
    selected = dict(pod_labels if pod_labels is not None else {"app": name})
    template_meta: Obj = {"labels": dict(selected)}
    if pod_annotations:
        template_meta["annotations"] = dict(pod_annotations)
    template_spec: Obj = {"containers": containers if containers is not None
                          else [{"name": container, "image": image}]}
    _put(template_spec, "terminationGracePeriodSeconds", grace)
    template_spec.update(pod_spec or {})
    body: Obj = {}
    _put(body, "serviceName", name if service is _NAME else service)
    body.update(replicas=replicas, selector={"matchLabels": selected},
                template={"metadata": template_meta, "spec": template_spec})
    if claims is not None:
        body["volumeClaimTemplates"] = [_claim_template(c, claim_size, access_modes,
                                                        storage_class) for c in claims]
    if strategy is not None or partition is not None or max_unavailable is not None:
        body["updateStrategy"] = {"type": strategy or "RollingUpdate"}
        if partition is not None or max_unavailable is not None:
            rolling: Obj = {}
            _put(rolling, "partition", partition)
            _put(rolling, "maxUnavailable", max_unavailable)
            body["updateStrategy"]["rollingUpdate"] = rolling
    _put(body, "podManagementPolicy", pod_management)
    _put(body, "minReadySeconds", min_ready)
    if start is not None:
        body["ordinals"] = {"start": start}
    _put(body, "persistentVolumeClaimRetentionPolicy", retention)
    for key, value in spec.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    built = _statefulset_status(replicas, generation, current, update, observed, counts,
                                {"readyReplicas": ready, "availableReplicas": available,
                                 "updatedReplicas": updated, "currentReplicas": at_current})
    return _object("apps/v1", "StatefulSet",
                   _meta(name, namespace, uid, resource_version, generation, created, labels,
                         annotations, owners, finalizers, None, metadata),
                   ("spec", body), ("status", _section(built, status)))


def _statefulset_status(replicas: int, generation: Optional[int], current: Optional[str],
                        update: Optional[str], observed: Union[None, bool, int],
                        counts: Union[bool, Iterable[str]], given: Dict[str, Optional[int]]) -> Obj:
    """See statefulset(): the status keywords; `given` the counts given, by field."""
    built: Obj = {}
    if observed is not None:
        built["observedGeneration"] = generation if observed is True else observed
    update = current if update is None else update
    ready = given["readyReplicas"]
    derived = {"replicas": replicas,
               "readyReplicas": replicas if ready is None else ready,
               "availableReplicas": replicas if ready is None else ready,
               "updatedReplicas": replicas if current == update else 0,
               "currentReplicas": replicas}
    reported = set(STATUS_COUNTS if counts is True else counts or ())
    for count in STATUS_COUNTS:
        if given.get(count) is not None:
            built[count] = given[count]
        elif count in reported:
            built[count] = derived[count]
    if current is not None or update is not None:
        built.update(currentRevision=current, updateRevision=update)
    return built


def _claim_spec(size: Optional[str], access_modes: Optional[Sequence[str]],
                storage_class: Optional[str]) -> Obj:
    """What a claim (or a claim template) asks for."""
    spec: Obj = {}
    if access_modes is not None:
        spec["accessModes"] = list(access_modes)
    if size is not None:
        spec["resources"] = {"requests": {"storage": size}}
    _put(spec, "storageClassName", storage_class)
    return spec


def _claim_template(name: str, size: Optional[str], access_modes: Optional[Sequence[str]],
                    storage_class: Optional[str]) -> Obj:
    template: Obj = {"metadata": {"name": name}}
    spec = _claim_spec(size, access_modes, storage_class)
    if spec:
        template["spec"] = spec
    return template


# -- Pod ----------------------------------------------------------------------------------------

def pod(name: Union[str, int] = "web-0", revision: Optional[str] = None, *,
        namespace: Optional[str] = None, uid: Optional[str] = None,
        resource_version: Optional[str] = None, created: Optional[str] = None,
        labels: Optional[Dict[str, str]] = None, annotations: Optional[Dict[str, str]] = None,
        owners: Optional[List[Obj]] = None, deleting: Union[None, bool, str] = None,
        metadata: Optional[Obj] = None, node: Optional[str] = None,
        image: Optional[str] = None, container: str = "app",
        containers: Optional[List[Obj]] = None, init_containers: Optional[List[Obj]] = None,
        grace: Optional[int] = None, volumes: Optional[List[Obj]] = None,
        claims: Optional[Sequence[str]] = None, spec: Optional[Obj] = None,
        phase: Optional[str] = None, ready: Optional[bool] = None, ip: Optional[str] = None,
        waiting: Optional[str] = None, message: str = "{} happened", restarts: int = 0,
        statuses: Union[None, bool, List[Obj]] = None,
        init_statuses: Optional[List[Obj]] = None, unschedulable: Optional[str] = None,
        status: Optional[Obj] = None) -> Obj:
    """A pod. `name`: an int is the ordinal of a pod of set web ("web-<ordinal>"); `revision`
    its controller-revision-hash label (added to `labels`).
    Spec (left out when no keyword asks for it): `node` the nodeName; `containers`, or one
    `container` running `image` when an image is given; `init_containers`; `grace`;
    `volumes`, or `claims` mounted as volumes v0, v1...
    Status (left out likewise): `phase` (Running unless given); `ready` the Ready condition
    (None: no conditions); `ip` the podIP; `statuses` the containerStatuses: a list as given,
    or True for the one container's (ready, `restarts`, running since `created`, or `waiting`
    for that reason with `message` formatted with it; a waiting container is not ready and
    gets its status even without statuses=True); `init_statuses`; `unschedulable`: a message,
    and the status is that of a Pending pod the scheduler could not place."""
    ordinal = name if isinstance(name, int) else None
    name = "web-%d" % name if isinstance(name, int) else name
    if revision is not None:
        labels = dict(labels or {}, **{REVISION_LABEL: revision})
    meta = _meta(name, namespace, uid, resource_version, None, created, labels, annotations,
                 owners, None, deleting, metadata, ordinal=ordinal, revision=revision)
    body: Obj = {}
    _put(body, "nodeName", node)
    if containers is not None or image is not None:
        body["containers"] = containers if containers is not None else \
            [{"name": container, "image": image}]
    _put(body, "initContainers", init_containers)
    _put(body, "terminationGracePeriodSeconds", grace)
    if claims is not None:
        volumes = [{"name": "v%d" % i, "persistentVolumeClaim": {"claimName": c}}
                   for i, c in enumerate(claims)]
    _put(body, "volumes", volumes)
    if waiting:
        ready = False
    built: Obj = {}
    if unschedulable is not None:
        built = {"phase": "Pending", "conditions": [{
            "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": unschedulable}]}
    elif phase is not None or ready is not None or ip is not None or waiting or statuses or \
            init_statuses is not None:
        built["phase"] = phase or "Running"
        _put(built, "podIP", ip)
        if ready is not None:
            built["conditions"] = [{"type": "Ready", "status": "True" if ready else "False"}]
        if statuses is True or (statuses is None and waiting):
            entry: Obj = {"name": container}
            _put(entry, "image", image)
            entry.update(ready=bool(ready), restartCount=restarts, state=(
                {"waiting": {"reason": waiting, "message": message.format(waiting)}}
                if waiting else {"running": {"startedAt": created} if created else {}}))
            built["containerStatuses"] = [entry]
        elif statuses:
            built["containerStatuses"] = statuses
        _put(built, "initContainerStatuses", init_statuses)
    return _object("v1", "Pod", meta, ("spec", _section(body, spec)),
                   ("status", _section(built, status)))


# -- storage ------------------------------------------------------------------------------------

def claim(name: str = "data-web-0", size: Optional[str] = "1Gi", *,
          namespace: Optional[str] = None, uid: Optional[str] = None,
          resource_version: Optional[str] = None, created: Optional[str] = None,
          labels: Optional[Dict[str, str]] = None,
          annotations: Optional[Dict[str, str]] = None, deleting: Union[None, bool, str] = None,
          metadata: Optional[Obj] = None,
          access_modes: Optional[Sequence[str]] = ("ReadWriteOnce",),
          storage_class: Optional[str] = None, volume: Union[None, bool, str] = None,
          volume_mode: Optional[str] = None, spec: Optional[Obj] = None,
          phase: Optional[str] = None, capacity: Optional[str] = None,
          status: Optional[Obj] = None) -> Obj:
    """A PersistentVolumeClaim requesting `size`. `volume`: the volumeName (True: "pv-<name>"
    once Bound). Status only with a `phase`; a Bound claim reports `capacity` (else its
    size, if any)."""
    body = _claim_spec(size, access_modes, storage_class)
    if volume is True:
        volume = "pv-" + name if phase == "Bound" else None
    _put(body, "volumeName", volume)
    _put(body, "volumeMode", volume_mode)
    built: Obj = {}
    if phase is not None:
        built["phase"] = phase
        if phase == "Bound" and (capacity or size):
            built["capacity"] = {"storage": capacity or size}
    return _object("v1", "PersistentVolumeClaim",
                   _meta(name, namespace, uid, resource_version, None, created, labels,
                         annotations, None, None, deleting, metadata),
                   ("spec", _section(body, spec, keep_empty=True)),
                   ("status", _section(built, status)))


def volume(name: str = "pv-0", *, policy: str = "Delete", host: Optional[str] = None) -> Obj:
    """A PersistentVolume with reclaim policy `policy`; `host`: pinned to that node (local
    storage: required nodeAffinity on kubernetes.io/hostname)."""
    body: Obj = {"persistentVolumeReclaimPolicy": policy}
    if host is not None:
        body["nodeAffinity"] = {"required": {"nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": [host]}]}]}}
    return _object("v1", "PersistentVolume", {"name": name}, ("spec", body))


def storage_class(name: str = "standard", *, created: Optional[str] = None,
                  default: bool = False, beta: bool = False,
                  provisioner: Optional[str] = None, expand: Optional[bool] = None,
                  reclaim: Optional[str] = None, binding: Optional[str] = None) -> Obj:
    """A StorageClass; `default`: annotated as the default class (`beta`: with the beta
    annotation); `expand` its allowVolumeExpansion; `binding` its volumeBindingMode."""
    annotations = {BETA_DEFAULT_ANNOTATION if beta else DEFAULT_ANNOTATION: "true"} \
        if default else None
    return _object("storage.k8s.io/v1", "StorageClass",
                   _meta(name, created=created, annotations=annotations),
                   ("provisioner", provisioner), ("allowVolumeExpansion", expand),
                   ("reclaimPolicy", reclaim), ("volumeBindingMode", binding))


# -- the rest -----------------------------------------------------------------------------------

def service(name: str = "web", *, labels: Optional[Dict[str, str]] = None,
            owners: Optional[List[Obj]] = None, finalizers: Optional[List[str]] = None,
            created: Optional[str] = None, cluster_ip: Optional[str] = "None",
            selector: Optional[Dict[str, str]] = _NAME,
            ports: Optional[List[Obj]] = _NAME, spec: Optional[Obj] = None,
            status: Optional[Obj] = None) -> Obj:
    """A Service: by default the headless one a StatefulSet named `name` needs (clusterIP None,
    selecting app=<name>, port 80 named http). `cluster_ip`, `selector`, `ports`: None leaves
    the field out."""
    body: Obj = {}
    _put(body, "clusterIP", cluster_ip)
    _put(body, "selector", {"app": name} if selector is _NAME else selector)
    _put(body, "ports", [{"name": "http", "port": 80}] if ports is _NAME else ports)
    return _object("v1", "Service",
                   _meta(name, created=created, labels=labels, owners=owners,
                         finalizers=finalizers),
                   ("spec", _section(body, spec)), ("status", status))


def node(name: str = "n1", ready: str = "True", *, transition: Optional[str] = None,
         reason: Optional[str] = None, taints: Sequence[Obj] = (),
         zone: Optional[str] = None) -> Obj:
    """A node labelled with its hostname (and `zone`), with `taints` and a Ready condition of
    status `ready` (`reason`, lastTransitionTime `transition`)."""
    labels = {"kubernetes.io/hostname": name}
    _put(labels, "topology.kubernetes.io/zone", zone)
    condition: Obj = {"type": "Ready", "status": ready}
    _put(condition, "reason", reason)
    _put(condition, "lastTransitionTime", transition)
    return _object("v1", "Node", _meta(name, labels=labels), ("spec", {"taints": list(taints)}),
                   ("status", {"conditions": [condition]}))


def event(kind: str, name: str, reason: str, message: str, at: Optional[str] = None, *,
          type: str = "Warning", count: Optional[int] = 1,
          namespace: Optional[str] = "default", object_namespace: Optional[str] = _NAME,
          when: str = "lastTimestamp", event_name: Optional[str] = None,
          api_version: Optional[str] = None, source: Optional[Obj] = None) -> Obj:
    """An Event in `namespace` about the `kind` object `name` (in `object_namespace`, by
    default the same), seen `at` (a timestamp) in its `when` field: lastTimestamp, eventTime
    or creationTimestamp. Its own name: `event_name`, else "<name>.event"."""
    involved: Obj = {}
    _put(involved, "apiVersion", api_version)
    involved.update(kind=kind, name=name)
    _put(involved, "namespace", namespace if object_namespace is _NAME else object_namespace)
    meta = _meta(event_name or name + ".event", namespace,
                 created=at if when == "creationTimestamp" else None)
    obj = _object("v1", "Event", meta, ("type", type), ("reason", reason),
                  ("message", message), ("count", count), ("involvedObject", involved),
                  ("source", source))
    if at is not None and when != "creationTimestamp":
        obj[when] = at
    return obj


def pdb(name: str = "web", *, labels: Optional[Dict[str, str]] = None,
        min_available: Union[None, int, str] = None,
        max_unavailable: Union[None, int, str] = None, allowed: Optional[int] = None,
        healthy: Optional[int] = None, desired: Optional[int] = None,
        expected: Optional[int] = None, **spec: Any) -> Obj:
    """A PodDisruptionBudget selecting `labels` (default app=web); further camelCase keywords
    are spec fields. Status (left out when none is given): disruptionsAllowed `allowed`,
    currentHealthy `healthy`, desiredHealthy `desired`, expectedPods `expected`."""
    body: Obj = {"selector": {"matchLabels": dict(labels or {"app": "web"})}}
    _put(body, "minAvailable", min_available)
    _put(body, "maxUnavailable", max_unavailable)
    body.update(spec)
    built: Obj = {}
    _put(built, "disruptionsAllowed", allowed)
    _put(built, "currentHealthy", healthy)
    _put(built, "desiredHealthy", desired)
    _put(built, "expectedPods", expected)
    return _object("policy/v1", "PodDisruptionBudget", {"name": name}, ("spec", body),
                   ("status", built or None))


# the shapes the rollout tests share: a set as served mid-rollout from REV_A to REV_B, its pods
rollout_set = partial(statefulset, replicas=5, namespace="ns", uid="sts-uid",
                      resource_version="42", generation=2, observed=True, current=REV_A,
                      update=REV_B, strategy="RollingUpdate", service=None, grace=None,
                      claims=None)
rollout_pod = partial(pod, labels={"app": "web"}, uid="uid-{ordinal}-{revision}", ready=True,
                      statuses=True, message="why: {}")


def pods_at(replicas: int, partition: int, start: int = 0, **kwargs: Any) -> List[Obj]:
    """Pods of set web mid-rollout (rollout_pod): ordinals >= start+partition at REV_B, the
    rest at REV_A."""
    return [rollout_pod(o, REV_B if o >= start + partition else REV_A, **kwargs)
            for o in range(start, start + replicas)]


# -- volume snapshots (snapshot.storage.k8s.io/v1) --------------------------------------------

def volume_snapshot(name: str = "snap", claim: Optional[str] = "data", *,
                    namespace: Optional[str] = None, content: Optional[str] = None,
                    snapshot_class: Optional[str] = None,
                    labels: Optional[Dict[str, str]] = None,
                    annotations: Optional[Dict[str, str]] = None,
                    metadata: Optional[Obj] = None, spec: Optional[Obj] = None,
                    status: Optional[Obj] = None) -> Obj:
    """A VolumeSnapshot of the claim `claim` (source.persistentVolumeClaimName), or of the
    pre-provisioned VolumeSnapshotContent `content` (then pass claim=None)."""
    source: Obj = {}
    _put(source, "persistentVolumeClaimName", claim)
    _put(source, "volumeSnapshotContentName", content)
    body: Obj = {"source": source}
    _put(body, "volumeSnapshotClassName", snapshot_class)
    return _object("snapshot.storage.k8s.io/v1", "VolumeSnapshot",
                   _meta(name, namespace, None, None, None, None, labels, annotations, None,
                         None, None, metadata),
                   ("spec", _section(body, spec)), ("status", _section({}, status)))

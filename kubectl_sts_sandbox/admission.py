"""Admission plugins the sandbox plays after defaulting and before validation (cluster.py
`_admit` calls `admit`), in kube-apiserver's order (pkg/kubeapiserver/options/plugins.go
AllOrderedPlugins: ServiceAccount, ..., Priority, DefaultTolerationSeconds, ...,
DefaultStorageClass, StorageObjectInUseProtection). They mutate pods, never the pod templates
of StatefulSets: a set's template, its revisions and its rollouts are untouched.

- ServiceAccount (plugin/pkg/admission/serviceaccount/admission.go Admit and Validate, pods on
  create): serviceAccountName `default` when unset (the deprecated spec.serviceAccount is its
  v1 alias, Convert_v1_PodSpec_To_core_PodSpec); the account must exist, else 403
  `error looking up service account NS/NAME: serviceaccount "NAME" not found` (getServiceAccount
  retries `default` for a while, since the serviceaccount controller makes it: here it is made
  at once); unless automountServiceAccountToken is false on the pod, else on the account
  (shouldAutomount), mountServiceAccountToken adds the projected volume
  `kube-api-access-<5 random chars>` (TokenVolumeSource: serviceAccountToken `token` expiring
  in 3607 s, ca.crt of the ConfigMap kube-root-ca.crt, the namespace through the downward API,
  defaultMode 420) and mounts it read-only at /var/run/secrets/kubernetes.io/serviceaccount in
  every init container and container that has no mount there yet; a pod without
  imagePullSecrets gets the account's. Mirror pods are not mutated, and may not name an
  account.
- Priority (plugin/pkg/admission/priority/admission.go admitPod): on create, a pod without
  priorityClassName gets the global default class's name, value and preemptionPolicy, or
  priority 0 and PreemptLowerPriority when no class is the default (getDefaultPriority); a
  named class must exist (403 `no PriorityClass with name X was found`); a priority or
  preemptionPolicy given in the spec must equal the class's (403). On update the stored
  values are kept when the new object leaves them out.
- PriorityClasses (priorityclasses.py): their defaults and validation, and the Priority
  plugin's check that only one is the global default.
- StorageObjectInUseProtection (plugin/pkg/admission/storage/storageobjectinuseprotection
  admission.go admitPV, admitPVC): a new claim gets kubernetes.io/pvc-protection, a new volume
  kubernetes.io/pv-protection (the controllers in storage.py remove them).
- Not admission but the PV registry strategy, applied at the same point
  (pkg/registry/core/persistentvolume/strategy.go): a new volume's status is reset to phase
  Pending with lastPhaseTransitionTime now (PrepareForCreate); a status update that changes the
  phase without a new lastPhaseTransitionTime gets now, one that keeps it keeps the stored time
  (the status strategy's PrepareForUpdate).
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Protocol, Tuple

from . import priorityclasses
from .errors import forbidden
from .resources import BY_KIND
from .storage import PROTECTION as PVC_PROTECTION, PV_PROTECTION
from .store import random_suffix

if TYPE_CHECKING:
    from .resources import ResourceType
    from .serviceaccounts import ServiceAccounts
    from .store import Store

Obj = Dict[str, Any]

POD = BY_KIND["Pod"]
PVC = BY_KIND["PersistentVolumeClaim"]
PV = BY_KIND["PersistentVolume"]
NS = BY_KIND["Namespace"]
SA = BY_KIND["ServiceAccount"]
PC = priorityclasses.PC


class Cluster(Protocol):
    """What the plugins read of the cluster (cluster.py's Cluster)."""
    store: Store
    serviceaccounts: ServiceAccounts
    config: Any


DEFAULT_ACCOUNT = "default"
TOKEN_VOLUME_PREFIX = "kube-api-access-"
TOKEN_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_EXPIRATION_SECONDS = 3607       # serviceaccount.WarnOnlyBoundTokenExpirationSeconds
ROOT_CA_CONFIGMAP = "kube-root-ca.crt"
MIRROR_ANNOTATION = "kubernetes.io/config.mirror"
FINALIZERS = {"persistentvolumeclaims": PVC_PROTECTION, "persistentvolumes": PV_PROTECTION}


def admit(cluster: Cluster, rt: ResourceType, obj: Obj, old: Optional[Obj]) -> None:
    """Run the admission plugins on `obj` (`old`: the stored object of an update), in place;
    raises a 403 ApiError when a plugin rejects it."""
    if rt is POD:
        if not isinstance(obj.get("spec"), dict):
            return          # not a pod spec: validation answers it
        if old is None:
            _service_account(cluster, obj)
            _priority(cluster, obj)
        else:
            _keep_priority(obj, old)
    elif rt is priorityclasses.PC:
        _priority_class(cluster, obj, old)
    elif rt.plural in FINALIZERS and old is None:
        finalizers = obj["metadata"].setdefault("finalizers", [])
        if FINALIZERS[rt.plural] not in finalizers:
            finalizers.append(FINALIZERS[rt.plural])
    if rt is PV:
        _volume_phase_time(cluster, obj, old)


def _reject(pod: Obj, why: str) -> Exception:
    """admission.NewForbidden: `pods "NAME" is forbidden: WHY`."""
    name = pod["metadata"].get("name") or pod["metadata"].get("generateName") or ""
    return forbidden('pods "%s" is forbidden: %s' % (name, why), POD, name)


# -- ServiceAccount -------------------------------------------------------------------------------
def token_volume(name: str) -> Obj:
    """TokenVolumeSource, as the plugin adds it (with the projected defaultMode set)."""
    return {"name": name, "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"expirationSeconds": TOKEN_EXPIRATION_SECONDS,
                                 "path": "token"}},
        {"configMap": {"name": ROOT_CA_CONFIGMAP, "items": [{"key": "ca.crt",
                                                              "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {
            "apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}}]}}


def _live_namespace(cluster: Cluster, ns: str) -> bool:
    """NamespaceLifecycle runs first: in a namespace that is missing or terminating the create
    fails on that, not on the account (the store's namespace check answers it)."""
    namespace = cluster.store.peek(NS, "", ns)
    return namespace is not None and not namespace["metadata"].get("deletionTimestamp")


def _service_account(cluster: Cluster, pod: Obj) -> None:
    meta, spec = pod["metadata"], pod["spec"]
    if not spec.get("serviceAccountName") and spec.get("serviceAccount"):
        spec["serviceAccountName"] = spec["serviceAccount"]
    if MIRROR_ANNOTATION in (meta.get("annotations") or {}):
        if spec.get("serviceAccountName"):
            raise _reject(pod, "a mirror pod may not reference service accounts")
        return
    if not spec.get("serviceAccountName"):
        spec["serviceAccountName"] = DEFAULT_ACCOUNT
    spec["serviceAccount"] = spec["serviceAccountName"]     # the v1 alias, on encoding
    ns, name = meta.get("namespace") or "default", spec["serviceAccountName"]
    if not _live_namespace(cluster, ns) or not isinstance(name, str):
        return
    account = cluster.store.peek(SA, ns, name)
    if account is None and name == DEFAULT_ACCOUNT:
        account = cluster.serviceaccounts.ensure_default(ns)
    if account is None:
        raise _reject(pod, 'error looking up service account %s/%s: serviceaccount "%s" not '
                           'found' % (ns, name, name))
    automount = spec.get("automountServiceAccountToken")
    if automount is None:
        automount = account.get("automountServiceAccountToken")
    if automount is not False:
        _mount_token(spec)
    if not spec.get("imagePullSecrets") and account.get("imagePullSecrets"):
        spec["imagePullSecrets"] = [{"name": s.get("name", "")}
                                    for s in account["imagePullSecrets"]]


def _mount_token(spec: Obj) -> None:
    """mountServiceAccountToken."""
    volumes: List[Obj] = spec.get("volumes") or []
    if not isinstance(volumes, list):
        return
    existing = next((v.get("name") for v in volumes if isinstance(v, dict) and
                     str(v.get("name", "")).startswith(TOKEN_VOLUME_PREFIX)), None)
    name = existing or TOKEN_VOLUME_PREFIX + random_suffix()
    needed = False
    for key in ("initContainers", "containers"):
        containers = spec.get(key) or []
        for container in containers if isinstance(containers, list) else []:
            if not isinstance(container, dict):
                continue
            mounts = container.get("volumeMounts") or []
            if not isinstance(mounts, list) or any(
                    isinstance(m, dict) and m.get("mountPath") == TOKEN_MOUNT_PATH
                    for m in mounts):
                continue
            mounts.append({"name": name, "readOnly": True, "mountPath": TOKEN_MOUNT_PATH})
            container["volumeMounts"] = mounts
            needed = True
    if existing is None and needed:
        volumes.append(token_volume(name))
        spec["volumes"] = volumes


# -- Priority -------------------------------------------------------------------------------------
def _resolve(cluster: Cluster, pod: Obj) -> Tuple[str, int, Optional[str]]:
    """(class name, priority, preemptionPolicy) for a new pod, or raises the 403."""
    name = pod["spec"].get("priorityClassName") or ""
    if not name:
        default = priorityclasses.global_default(cluster.store)
        if default is None:        # DefaultPriorityWhenNoDefaultClassExists
            return "", 0, "PreemptLowerPriority"
        return default["metadata"]["name"], int(default.get("value", 0)), \
            default.get("preemptionPolicy")
    found = priorityclasses.get(cluster.store, name)
    if found is None:
        raise _reject(pod, "no PriorityClass with name %s was found" % name)
    return name, int(found.get("value", 0)), found.get("preemptionPolicy")


def _priority(cluster: Cluster, pod: Obj) -> None:
    name, priority, policy = _resolve(cluster, pod)
    if name:
        pod["spec"]["priorityClassName"] = name
    _computed(pod, "priority", priority, "integer value of priority")
    if policy is not None:
        _computed(pod, "preemptionPolicy", policy, "string value of PreemptionPolicy")


def _computed(pod: Obj, field: str, value: Any, what: str) -> None:
    """Set what the class gives; a different value in the spec is a 403."""
    given = pod["spec"].get(field)
    if given is not None and given != value:
        raise _reject(pod, "the %s (%s) must not be provided in pod spec; priority admission "
                           "controller computed %s from the given PriorityClass name"
                      % (what, given, value))
    pod["spec"][field] = value


def _keep_priority(pod: Obj, old: Obj) -> None:
    spec, old_spec = pod.get("spec"), old.get("spec") or {}
    if not isinstance(spec, dict):
        return
    for field in ("priority", "preemptionPolicy"):
        if spec.get(field) is None and old_spec.get(field) is not None:
            spec[field] = copy.deepcopy(old_spec[field])


def _priority_class(cluster: Cluster, pc: Obj, old: Optional[Obj]) -> None:
    """Defaults, validation (the registry's, before admission validates), then the Priority
    plugin's validatePriorityClass."""
    priorityclasses.apply_defaults(pc)
    if cluster.config.validate:
        from . import validation
        causes = validation.validate(PC.plural, pc, old) + priorityclasses.validate(pc, old)
        if causes:
            from .errors import invalid
            raise invalid(validation.invalid_status(PC.kind, PC.group,
                                                    pc["metadata"].get("name", ""), causes))
    priorityclasses.admit(cluster.store, pc, old)


# -- the PV strategy ------------------------------------------------------------------------------
def _volume_phase_time(cluster: Cluster, pv: Obj, old: Optional[Obj]) -> None:
    now = cluster.store.clock.stamp()
    if old is None:
        pv["status"] = {"phase": "Pending", "lastPhaseTransitionTime": now}
        return
    status = pv.get("status")
    if not isinstance(status, dict):
        return
    old_status = old.get("status") or {}
    if status.get("phase") == old_status.get("phase"):
        if status.get("lastPhaseTransitionTime") is None and \
                old_status.get("lastPhaseTransitionTime") is not None:
            status["lastPhaseTransitionTime"] = old_status["lastPhaseTransitionTime"]
    elif status.get("lastPhaseTransitionTime") in (None, old_status.get(
            "lastPhaseTransitionTime")):
        status["lastPhaseTransitionTime"] = now

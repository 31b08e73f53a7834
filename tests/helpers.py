"""Helpers for integration tests: manifests and watch-based waits (no sleep loops)."""

import copy
import time


def statefulset(name="web", replicas=3, image="nginx:1.27", claims=("data",), service=None,
                policy=None, partition=None, strategy=None, pod_management=None,
                min_ready=None, start=None, labels=None, containers=None, retention=None):
    """A StatefulSet manifest (a dict) with sensible defaults for tests."""
    labels = labels or {"app": name}
    spec = {
        "serviceName": name if service is None else service,
        "replicas": replicas,
        "selector": {"matchLabels": dict(labels)},
        "template": {"metadata": {"labels": dict(labels)},
                     "spec": {"containers": containers or [{"name": "app", "image": image}],
                              "terminationGracePeriodSeconds": 1}},
        "volumeClaimTemplates": [
            {"metadata": {"name": c},
             "spec": {"accessModes": ["ReadWriteOnce"],
                      "resources": {"requests": {"storage": "1Gi"}}}} for c in claims],
    }
    if strategy == "OnDelete":
        spec["updateStrategy"] = {"type": "OnDelete"}
    elif partition is not None:
        spec["updateStrategy"] = {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}
    if pod_management:
        spec["podManagementPolicy"] = pod_management
    if min_ready is not None:
        spec["minReadySeconds"] = min_ready
    if start is not None:
        spec["ordinals"] = {"start": start}
    if retention:
        spec["persistentVolumeClaimRetentionPolicy"] = dict(retention)
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": copy.deepcopy(spec)}


def headless_service(name="web", labels=None):
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
            "spec": {"clusterIP": "None", "selector": labels or {"app": name},
                     "ports": [{"name": "http", "port": 80}]}}


def wait_for(list_fn, predicate, timeout=30, **kwargs):
    """Watch `list_fn` (an official-client list function) until predicate(items) is true,
    where items maps name -> object dict (as the API serves it). Returns the items."""
    from kubernetes import watch
    deadline = time.monotonic() + timeout
    while True:
        listing = list_fn(_preload_content=False, **kwargs)
        import json
        body = json.loads(listing.data)
        items = {o["metadata"]["name"]: o for o in body["items"]}
        if predicate(items):
            return items
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("timed out waiting; last state: %s" % _summary(items))
        w = watch.Watch()
        for event in w.stream(list_fn, resource_version=body["metadata"]["resourceVersion"],
                              timeout_seconds=max(1, int(remaining)), _preload_content=False,
                              **kwargs):
            obj = event["raw_object"]
            if event["type"] == "DELETED":
                items.pop(obj["metadata"]["name"], None)
            elif event["type"] in ("ADDED", "MODIFIED"):
                items[obj["metadata"]["name"]] = obj
            else:
                continue
            if predicate(items):
                w.stop()
                return items
            if time.monotonic() > deadline:
                w.stop()
                break


def _summary(items):
    out = {}
    for name, obj in items.items():
        status = obj.get("status") or {}
        out[name] = {k: status.get(k) for k in ("phase", "replicas", "readyReplicas",
                                                "updatedReplicas", "currentRevision",
                                                "updateRevision") if k in status}
    return out


def pod_ready(pod):
    for c in (pod.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status") == "True"
    return False


def sts_settled(name, replicas):
    """Predicate: the set's status shows `replicas` pods ready and updated, and observed."""
    def check(items):
        sts = items.get(name)
        if sts is None:
            return False
        st = sts.get("status") or {}
        return st.get("observedGeneration", 0) >= sts["metadata"].get("generation", 1) and \
            st.get("readyReplicas", 0) == replicas and st.get("replicas", 0) == replicas and \
            st.get("updatedReplicas", 0) == replicas and \
            st.get("currentRevision") == st.get("updateRevision")
    return check

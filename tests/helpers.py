"""Helpers for integration tests: manifests and watch-based waits (no sleep loops)."""

import copy
import os
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


def watch_items(list_fn, seconds, resource_version=None, **kwargs):
    """List `list_fn` (an official-client list function), then watch it for up to `seconds`:
    yields (event type, object, items) with items (name -> object dict, as the API serves
    them) kept current; first ("LIST", None, items). From `resource_version`, no list: items
    start empty and every event since then is yielded."""
    import json

    from kubernetes import watch
    items = {}
    if resource_version is None:
        body = json.loads(list_fn(_preload_content=False, **kwargs).data)
        items = {o["metadata"]["name"]: o for o in body["items"]}
        resource_version = body["metadata"]["resourceVersion"]
        yield "LIST", None, items
    w = watch.Watch()
    for event in w.stream(list_fn, resource_version=resource_version,
                          timeout_seconds=max(1, int(seconds)), _preload_content=False,
                          **kwargs):
        obj = event["raw_object"]
        if event["type"] == "DELETED":
            items.pop(obj["metadata"]["name"], None)
        elif event["type"] in ("ADDED", "MODIFIED"):
            items[obj["metadata"]["name"]] = obj
        else:
            continue
        try:
            yield event["type"], obj, items
        except GeneratorExit:
            w.stop()
            raise


# how long "nothing happens" is watched for (whole seconds): longer on a real cluster
HOLD = 5 if os.environ.get("KUBECTL_STS_TEST_KUBECONFIG") else 1


def hold(list_fn, bad, seconds=HOLD, **kwargs):
    """Watch list_fn for `seconds` and fail if bad(items) ever holds ("consistently").
    Returns the items at the end."""
    items = {}
    for kind, obj, items in watch_items(list_fn, seconds, **kwargs):
        assert not bad(items), "unexpected %s of %s" % (
            kind, obj["metadata"]["name"] if obj else sorted(items))
    return items


def raw(api_client, method, path, query=None, headers=None, body=None,
        content_type="application/json"):
    """A request on a raw path with the client's credentials; returns (status, JSON body),
    error answers included."""
    import json
    header_params = {"Accept": "application/json", "Content-Type": content_type}
    header_params.update(headers or {})
    params = api_client.param_serialize(method=method, resource_path=path,
                                        query_params=list((query or {}).items()),
                                        header_params=header_params, body=body,
                                        auth_settings=["BearerToken"])
    response = api_client.call_api(*params)
    response.read()
    return response.status, json.loads(response.data)


def api_error(fn, *args, **kwargs):
    """Call fn expecting an ApiException; returns (HTTP status, Status body as a dict)."""
    import json

    import pytest
    from kubernetes.client.exceptions import ApiException
    with pytest.raises(ApiException) as info:
        fn(*args, **kwargs)
    return info.value.status, json.loads(info.value.body)


def wait_for(list_fn, predicate, timeout=30, **kwargs):
    """Watch `list_fn` until predicate(items) is true (a stream the server ends is listed and
    watched again until `timeout`). Returns the items."""
    deadline = time.monotonic() + timeout
    items = {}
    while True:
        for _, _, items in watch_items(list_fn, deadline - time.monotonic(), **kwargs):
            if predicate(items):
                return items
            if time.monotonic() > deadline:
                break
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting; last state: %s" % _summary(items))


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

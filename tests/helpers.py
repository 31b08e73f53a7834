"""Helpers for integration tests: creating what builders.py builds, watch-based waits (no
sleep loops), raw requests."""

import contextlib
import os
import socket
import time

import builders


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
    """A request on a raw path with the client's credentials and TLS settings; returns
    (status, JSON body), error answers included. Only APIs every supported client version
    has (its configuration's auth settings and its urllib3 pool), so it runs on every Python."""
    import json
    from urllib.parse import urlencode
    config = api_client.configuration
    header_params = {"Accept": "application/json", "Content-Type": content_type}
    for setting in config.auth_settings().values():
        if setting.get("in") == "header" and setting.get("value"):
            header_params[setting["key"]] = setting["value"]
    header_params.update(headers or {})
    url = config.host + path + ("?" + urlencode(query) if query else "")
    data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
    response = api_client.rest_client.pool_manager.request(method, url, body=data,
                                                           headers=header_params)
    return response.status, json.loads(response.data)


def max_unavailable_by_default(api_client):
    """Whether the cluster under test keeps and defaults a StatefulSet's
    rollingUpdate.maxUnavailable: MaxUnavailableStatefulSet's default in the release /version
    names (kube_features.go, as kubectl_sts_sandbox/versions.py has it: on in 1.35 and 1.37)."""
    import re
    from kubectl_sts_sandbox import versions
    _, body = raw(api_client, "GET", "/version")
    found = re.match(r"\d+", body["minor"])
    assert found is not None, body
    return versions.spec_at("MaxUnavailableStatefulSet", int(found.group())).default


MERGE = "application/merge-patch+json"
_API_PATHS = {"CoreV1Api": "/api/v1", "AppsV1Api": "/apis/apps/v1",
              "PolicyV1Api": "/apis/policy/v1", "StorageV1Api": "/apis/storage.k8s.io/v1"}


def merge_patch(method, name, namespace, body, content_type=MERGE):
    """PATCH with `content_type` through a client's patch method's resource: e.g.
    merge_patch(apps.patch_namespaced_stateful_set_scale, "web", ns, {...}). The client's own
    `_content_type=` argument exists only in kubernetes >= 36 (not on Python 3.9); this works on
    every version. Returns the answer as a dict; an error answer raises ApiException."""
    import re

    from kubernetes.client.exceptions import ApiException
    api = method.__self__
    match = re.match(r"patch_namespaced_(\w+?)(_status|_scale)?$", method.__name__)
    assert match, method.__name__
    kind, sub = match.groups()
    plural = kind.replace("_", "")
    plural += "" if plural.endswith("s") else "s"
    path = "%s/namespaces/%s/%s/%s%s" % (_API_PATHS[type(api).__name__], namespace, plural,
                                         name, (sub or "").replace("_", "/"))
    status, answer = raw(api.api_client, "PATCH", path, body=body, content_type=content_type)
    if status >= 400:
        import json
        error = ApiException(status=status, reason=answer.get("reason"))
        error.body = json.dumps(answer)
        raise error
    return answer


def api_error(fn, *args, **kwargs):
    """Call fn expecting an ApiException; returns (HTTP status, Status body as a dict)."""
    import json

    import pytest
    from kubernetes.client.exceptions import ApiException
    with pytest.raises(ApiException) as info:
        fn(*args, **kwargs)
    assert info.value.body is not None
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


def ready_status(obj):
    """The status of a pod's or node's Ready condition ("True", "False", "Unknown"), or None."""
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == "Ready":
            return c.get("status")
    return None


def pod_ready(pod):
    return ready_status(pod) == "True"


def node_ready_is(node, status, untainted=False):
    """A wait_for predicate over the nodes: `node`'s Ready condition is `status` (and, with
    untainted, it has no taints left)."""
    return lambda nodes: ready_status(nodes[node]) == status and not (
        untainted and nodes[node]["spec"].get("taints"))


def create(apps, core, namespace, sts, service=True):
    """Create `sts` and (unless service=False) the headless Service its serviceName names,
    selecting its pods."""
    if service:
        core.create_namespaced_service(namespace, builders.service(
            sts["spec"]["serviceName"] or sts["metadata"]["name"],
            selector=sts["spec"]["selector"]["matchLabels"]))
    apps.create_namespaced_stateful_set(namespace, sts)


def settle(apps, namespace, name, replicas, timeout=60):
    """Wait until the set has `replicas` pods Ready and updated; returns it."""
    return wait_for(apps.list_namespaced_stateful_set, sts_settled(name, replicas),
                    timeout=timeout, namespace=namespace)[name]


def create_settled(apps, core, namespace, with_service=True, **kwargs):
    """A StatefulSet made by builders.statefulset(**kwargs), its headless Service (unless
    with_service=False), created and settled; returns the set as the API serves it."""
    sts = builders.statefulset(**kwargs)
    create(apps, core, namespace, sts, service=with_service)
    return settle(apps, namespace, sts["metadata"]["name"], sts["spec"]["replicas"])


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


def ssl_context(sandbox):
    """A client TLS context that trusts `sandbox`'s CA, or None for a plain-HTTP sandbox."""
    if not sandbox.tls:
        return None
    import ssl
    return ssl.create_default_context(cafile=sandbox.ca_file)


def open_socket(sandbox, timeout=20):
    """A raw connection to the sandbox's listener (TLS-wrapped when it serves HTTPS), for
    tests that write HTTP by hand."""
    import socket
    host, port = sandbox.server.server_address[:2]
    sock = socket.create_connection((host, port), timeout=timeout)
    context = ssl_context(sandbox)
    return context.wrap_socket(sock, server_hostname=host) if context else sock


def http_connection(sandbox, timeout=20):
    import http.client
    host, port = sandbox.server.server_address[:2]
    context = ssl_context(sandbox)
    if context:
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    return http.client.HTTPConnection(host, port, timeout=timeout)


@contextlib.contextmanager
def own_sandbox(**settings):
    """A Sandbox of the test's own with Config(**settings), started; yields (sandbox, an
    official ApiClient for it)."""
    from kubernetes import client, config as kube_config
    from kubectl_sts_sandbox import Sandbox
    from kubectl_sts_sandbox.cluster import Config
    with Sandbox(config=Config(**settings)) as sb:
        configuration = client.Configuration()
        kube_config.load_kube_config(config_file=sb.kubeconfig,
                                     client_configuration=configuration)
        api = client.ApiClient(configuration)
        try:
            yield sb, api
        finally:
            api.close()


def closed_port():
    """A local TCP port nothing listens on (bound once, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

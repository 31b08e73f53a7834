"""The sandbox's fault injection, restart, tokens and permissions, impersonation and HTTPS,
each observed from the outside: raw urllib3, the official kubernetes client, the real kubectl.

Sandbox only (it needs the sandbox's internals): skipped when KUBECTL_STS_TEST_KUBECONFIG is set.
"""

import json
import os
import shutil
import subprocess
import threading
import time
from typing import Any, Dict, List, Optional, Union

import pytest
import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from builders import service, statefulset
from helpers import sts_settled, wait_for
from kubectl_sts_sandbox.resources import BY_KIND

pytestmark = pytest.mark.skipif(bool(os.environ.get("KUBECTL_STS_TEST_KUBECONFIG")),
                                reason="sandbox only: KUBECTL_STS_TEST_KUBECONFIG is set")

ADMIN = {"Authorization": "Bearer sandbox-admin"}
CONFLICT_WHY = ("the object has been modified; please apply your changes to the latest "
                "version and try again")
VIEWER_RULES = [{"verbs": ["get", "list", "watch"], "resources": ["*"]}]


@pytest.fixture
def faults(sandbox):
    sandbox.faults.clear()
    yield sandbox.faults
    sandbox.faults.clear()


@pytest.fixture(scope="module")
def http(_session_sandbox):
    ca = _session_sandbox.ca_file if _session_sandbox is not None else None
    pool = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(connect=5, read=20),
                               ca_certs=ca)
    yield pool
    pool.clear()


def get(http, base, path, headers=ADMIN, **kwargs):
    return http.request("GET", base + path, headers=headers, **kwargs)


def client_for(kubeconfig):
    configuration = client.Configuration()
    config.load_kube_config(config_file=str(kubeconfig), client_configuration=configuration)
    return client.ApiClient(configuration)


def error_body(exc: ApiException) -> Any:
    """The decoded Status body of an error the official client raised (the sandbox sends one)."""
    assert exc.body is not None
    return json.loads(exc.body)


def name_of(obj):
    """metadata.name of an object the official client read (the sandbox always sends metadata)."""
    assert obj.metadata is not None
    return obj.metadata.name


def watch_lines(http, url, timeout=20):
    """(events, seconds): the decoded events of one watch stream, read until it ends."""
    started = time.monotonic()
    resp = http.request("GET", url, headers=ADMIN, preload_content=False)
    assert resp.status == 200
    data = b"".join(resp.stream(1024))
    resp.release_conn()
    events = [json.loads(line) for line in data.splitlines() if line.strip()]
    return events, time.monotonic() - started


def make_services(sandbox, namespace, names):
    return sandbox.apply([service(n, ports=[{"port": 80}]) for n in names], namespace)


# -- status faults --------------------------------------------------------------------------------

def test_503_with_retry_after_fires_times_then_passes(sandbox, faults, http, namespace):
    path = "/api/v1/namespaces/%s/pods" % namespace
    rule = faults.add(status=503, retry_after=1, method="GET", path_regex=r"/pods$", times=2)
    since = len(sandbox.request_log)
    first, second, third = (get(http, sandbox.url, path) for _ in range(3))
    assert [first.status, second.status, third.status] == [503, 503, 200]
    assert first.headers["Retry-After"] == "1"
    assert json.loads(first.data) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "the server is currently unable to handle the request",
        "reason": "ServiceUnavailable", "code": 503}
    assert "Retry-After" not in third.headers
    assert rule.fired == 2 and rule not in faults.rules
    assert [(e["fault"], e["code"], e["path"]) for e in faults.injected] == \
        [("status", 503, path)] * 2
    logged = [e for e in sandbox.request_log[since:] if e["path"] == path]
    assert [(e["code"], bool(e["fault"])) for e in logged] == [(503, True), (503, True),
                                                               (200, False)]


def test_other_methods_and_paths_do_not_match(sandbox, faults, http, namespace):
    faults.add(status=500, method="POST", path_regex=r"/services$")
    assert get(http, sandbox.url, "/api/v1/namespaces/%s/services" % namespace).status == 200
    assert get(http, sandbox.url, "/api/v1/namespaces/%s/pods" % namespace).status == 200
    assert faults.injected == [] and len(faults.rules) == 1


def test_500_internal_error_body(sandbox, faults, http, namespace):
    faults.add(status=500, message="etcdserver: leader changed", query={"limit": "5"})
    path = "/api/v1/namespaces/%s/pods" % namespace
    assert get(http, sandbox.url, path).status == 200          # query does not match
    resp = get(http, sandbox.url, path + "?limit=5")
    assert resp.status == 500
    assert json.loads(resp.data) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": "Internal error occurred: etcdserver: leader changed",
        "reason": "InternalError", "details": {"causes": [{"message":
                                                           "etcdserver: leader changed"}]},
        "code": 500}


def test_429_seen_by_the_official_client(sandbox, faults, kubeconfig, namespace):
    faults.add(status=429, retry_after=2, path_regex=r"/namespaces/%s/pods$" % namespace)
    api = client_for(kubeconfig)
    api.rest_client.pool_manager.connection_pool_kw["retries"] = False
    api.rest_client.pool_manager.clear()
    core = client.CoreV1Api(api)
    try:
        with pytest.raises(ApiException) as info:
            core.list_namespaced_pod(namespace)
        assert core.list_namespaced_pod(namespace).items == []
    finally:
        api.close()
    exc = info.value
    assert exc.status == 429
    assert exc.headers is not None and exc.headers["Retry-After"] == "2"
    body = error_body(exc)
    assert body["reason"] == "TooManyRequests"
    assert body["message"] == ("the server has received too many requests and has asked us "
                               "to try again later")
    assert body["details"] == {"retryAfterSeconds": 2}


def test_official_client_honours_retry_after(sandbox, faults, core, namespace):
    # urllib3 (under the official client) retries a 429/503 that carries Retry-After
    faults.add(status=503, retry_after=1, path_regex=r"/namespaces/%s/services$" % namespace)
    since = len(sandbox.request_log)
    started = time.monotonic()
    assert core.list_namespaced_service(namespace).items == []
    assert time.monotonic() - started >= 0.9
    path = "/api/v1/namespaces/%s/services" % namespace
    assert [e["code"] for e in sandbox.request_log[since:] if e["path"] == path] == [503, 200]


def test_latency_delays_then_answers(sandbox, faults, http, namespace):
    path = "/api/v1/namespaces/%s/services" % namespace
    faults.add(latency=0.3, path_regex=r"/services$")
    started = time.monotonic()
    resp = get(http, sandbox.url, path)
    assert resp.status == 200 and time.monotonic() - started >= 0.3
    # the fault fires once (times=1 by default): the next answer is not delayed; the log says
    # so rather than a clock, which a loaded machine slows
    assert get(http, sandbox.url, path).status == 200
    assert [e["fault"] for e in faults.injected] == ["latency"]


def test_seeded_probability_is_reproducible(sandbox, faults, http, namespace):
    path = "/api/v1/namespaces/%s/pods" % namespace

    def pattern():
        faults.clear()
        faults.add(status=500, probability=0.3, seed=42, path_regex=r"/pods$")
        return [get(http, sandbox.url, path).status for _ in range(40)]

    first, second = pattern(), pattern()
    assert first == second
    assert 3 <= first.count(500) <= 25 and set(first) == {200, 500}


def test_clear_removes_unlimited_rules(sandbox, faults, http):
    faults.add(status=500, times=None, path_regex=r"^/version$")
    assert get(http, sandbox.url, "/version").status == 500
    assert get(http, sandbox.url, "/version").status == 500
    faults.clear()
    assert get(http, sandbox.url, "/version").status == 200
    assert faults.injected == []


def test_fault_hook_still_answers_first(sandbox, faults, http):
    faults.add(status=500, path_regex=r"^/version$")

    def hook(handler):
        if handler.url.path == "/version":
            handler._send_json(418, {"hooked": True})
            return True
        return False

    sandbox.server.fault_hook = hook
    try:
        assert get(http, sandbox.url, "/version").status == 418
    finally:
        sandbox.server.fault_hook = None
    assert get(http, sandbox.url, "/version").status == 500


# -- connection reset -----------------------------------------------------------------------------

def test_reset_mid_response_is_a_protocol_error(sandbox, faults, http, namespace):
    make_services(sandbox, namespace, ["a", "b"])
    faults.add(reset=True, method="GET", path_regex=r"/services$")
    with pytest.raises(urllib3.exceptions.ProtocolError):
        get(http, sandbox.url, "/api/v1/namespaces/%s/services" % namespace)
    assert get(http, sandbox.url, "/api/v1/namespaces/%s/services" % namespace).status == 200
    assert [e["fault"] for e in faults.injected] == ["reset"]


def test_reset_write_still_happens(sandbox, faults, http, namespace):
    faults.add(reset=True, method="POST")
    body = json.dumps(service("lost", selector=None, ports=[{"port": 80}]))
    with pytest.raises(urllib3.exceptions.ProtocolError):
        http.request("POST", sandbox.url + "/api/v1/namespaces/%s/services" % namespace,
                     body=body, headers=dict(ADMIN, **{"Content-Type": "application/json"}))
    resp = get(http, sandbox.url, "/api/v1/namespaces/%s/services/lost" % namespace)
    assert resp.status == 200


def test_reset_on_a_watch(sandbox, faults, http, namespace):
    faults.add(reset=True, watch=True)
    resp = http.request("GET", sandbox.url + "/api/v1/namespaces/%s/pods?watch=1" % namespace,
                        headers=ADMIN, preload_content=False)
    with pytest.raises(urllib3.exceptions.ProtocolError):
        b"".join(resp.stream(1024))


# -- watch faults ---------------------------------------------------------------------------------

def test_watch_closes_after_n_events(sandbox, faults, http, namespace):
    make_services(sandbox, namespace, ["a", "b", "c"])
    faults.add(watch_close_after=2, path_regex=r"/services$")
    url = sandbox.url + "/api/v1/namespaces/%s/services?watch=1&timeoutSeconds=30" % namespace
    events, seconds = watch_lines(http, url)
    assert [e["type"] for e in events] == ["ADDED", "ADDED"] and seconds < 10
    events, _ = watch_lines(http, url.replace("timeoutSeconds=30", "timeoutSeconds=1"))
    assert len(events) == 3                   # the rule fired once: the next watch is whole


def test_watch_closes_after_seconds(sandbox, faults, http, namespace):
    faults.add(watch_close_seconds=0.3)
    listing = json.loads(get(http, sandbox.url, "/api/v1/namespaces/%s/pods" % namespace).data)
    url = sandbox.url + "/api/v1/namespaces/%s/pods?watch=1&timeoutSeconds=30&" \
        "resourceVersion=%s" % (namespace, listing["metadata"]["resourceVersion"])
    events, seconds = watch_lines(http, url)
    assert events == [] and 0.25 <= seconds < 5


def test_watch_gone_is_an_error_event(sandbox, faults, http, namespace):
    faults.add(watch_gone=True)
    url = sandbox.url + "/api/v1/namespaces/%s/pods?watch=1&resourceVersion=5" % namespace
    events, seconds = watch_lines(http, url)
    assert len(events) == 1 and seconds < 5
    assert events[0]["type"] == "ERROR"
    status = events[0]["object"]
    assert status["code"] == 410 and status["reason"] == "Expired"
    assert status["message"].startswith("too old resource version: 5 (")
    assert [e["fault"] for e in faults.injected] == ["watch_gone"]


def test_watch_faults_do_not_touch_lists(sandbox, faults, http, namespace):
    faults.add(watch_gone=True)
    assert get(http, sandbox.url, "/api/v1/namespaces/%s/pods" % namespace).status == 200
    assert faults.injected == [] and len(faults.rules) == 1


# -- 409 on the next write to a named object -----------------------------------------------------

def test_conflict_next_write(sandbox, faults, apps, namespace):
    for name in ("web", "other"):
        apps.create_namespaced_stateful_set(namespace, statefulset(name=name, replicas=0))
    faults.conflict_next_write("statefulsets", namespace, "web")
    patch = {"metadata": {"labels": {"touched": "yes"}}}
    apps.patch_namespaced_stateful_set("other", namespace, patch)       # another object
    assert apps.read_namespaced_stateful_set("web", namespace).metadata.name == "web"  # a read
    with pytest.raises(ApiException) as info:
        apps.patch_namespaced_stateful_set("web", namespace, patch)
    body = error_body(info.value)
    assert info.value.status == 409
    assert body["reason"] == "Conflict"
    assert body["message"] == 'Operation cannot be fulfilled on statefulsets.apps "web": ' + \
        CONFLICT_WHY
    assert body["details"] == {"name": "web", "group": "apps", "kind": "statefulsets"}
    assert "touched" not in (apps.read_namespaced_stateful_set("web", namespace)
                             .metadata.labels or {})
    apps.patch_namespaced_stateful_set("web", namespace, patch)         # the next one passes
    assert apps.read_namespaced_stateful_set("web", namespace).metadata.labels["touched"] == "yes"
    assert [(e["fault"], e["code"], e["method"]) for e in faults.injected] == \
        [("conflict", 409, "PATCH")]


def test_conflict_on_the_scale_subresource_put(sandbox, faults, apps, namespace):
    apps.create_namespaced_stateful_set(namespace, statefulset(name="web", replicas=0))
    # the controller's first status write would change the resourceVersion under the test
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 0), namespace=namespace)
    faults.conflict_next_write("statefulsets.apps", namespace, "web")
    scale = apps.read_namespaced_stateful_set_scale("web", namespace)
    scale.spec.replicas = 0
    with pytest.raises(ApiException) as info:
        apps.replace_namespaced_stateful_set_scale("web", namespace, scale)
    assert info.value.status == 409
    # the injected conflict wrote nothing: the same resourceVersion now goes through
    after = apps.replace_namespaced_stateful_set_scale("web", namespace, scale)
    assert after.metadata.resource_version == scale.metadata.resource_version


# -- restart --------------------------------------------------------------------------------------

def test_restart_keeps_state_and_port(tmp_path, http):
    from kubectl_sts_sandbox import Sandbox
    with Sandbox() as sb:
        assert sb.server is not None
        port, url = sb.server.server_address[1], sb.url
        make_services(sb, "default", ["kept"])
        rv = json.loads(get(http, url, "/api/v1/namespaces/default/services/kept").data)[
            "metadata"]["resourceVersion"]
        watch = http.request("GET", url + "/api/v1/namespaces/default/pods?watch=1"
                             "&timeoutSeconds=60", headers=ADMIN, preload_content=False)
        ended: List[Union[Exception, str]] = []

        def drain():
            try:
                for _ in watch.stream(1024):
                    pass
            except Exception as exc:        # an abrupt end is fine too
                ended.append(exc)
            ended.append("end")
        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        time.sleep(0.1)

        sb.stop_server()
        assert not sb.running
        reader.join(timeout=5)
        assert ended and ended[-1] == "end", "the open watch did not end"
        with pytest.raises(urllib3.exceptions.NewConnectionError):
            http.request("GET", url + "/version", retries=False)
        make_services(sb, "default", ["while-down"])      # the cluster keeps running
        sb.start_server()
        assert sb.running and sb.url == url and sb.server.server_address[1] == port
        kept = json.loads(get(http, url, "/api/v1/namespaces/default/services/kept").data)
        assert kept["metadata"]["resourceVersion"] == rv
        assert get(http, url, "/api/v1/namespaces/default/services/while-down").status == 200

        sb.restart(down_seconds=0.2)
        api = client_for(sb.kubeconfig)
        try:
            names = [s.metadata.name for s in client.CoreV1Api(api).list_namespaced_service(
                "default").items]
        finally:
            api.close()
        assert {"kept", "while-down"} <= set(names)


# -- tokens, permissions, impersonation --------------------------------------------------------

@pytest.fixture(scope="module")
def rbac_sandbox():
    from kubectl_sts_sandbox import Sandbox
    tokens: Dict[Optional[str], Dict[str, Any]] = {
        "viewer-token": {"user": "viewer", "rules": VIEWER_RULES},
        "pods-token": {"user": "pod-reader", "rules": [
            {"verbs": ["get", "list"], "resources": ["pods"], "namespaces": ["default"]}]}}
    with Sandbox(tokens=tokens) as sb:
        sb.apply([statefulset(name="web", replicas=0)])
        yield sb


def bearer(token):
    return {"Authorization": "Bearer " + token}


def test_unknown_token_is_401(rbac_sandbox, http):
    resp = get(http, rbac_sandbox.url, "/api/v1/namespaces/default/pods", bearer("nope"))
    assert resp.status == 401
    assert json.loads(resp.data) == {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                     "status": "Failure", "message": "Unauthorized",
                                     "reason": "Unauthorized", "code": 401}


def test_viewer_reads_but_cannot_write(rbac_sandbox, http, tmp_path):
    sb = rbac_sandbox
    kubeconfig = sb.write_kubeconfig(str(tmp_path / "viewer"), token="viewer-token")
    api = client_for(kubeconfig)
    apps = client.AppsV1Api(api)
    try:
        assert name_of(apps.read_namespaced_stateful_set("web", "default")) == "web"
        with pytest.raises(ApiException) as info:
            apps.patch_namespaced_stateful_set("web", "default", {"spec": {"replicas": 1}})
        with pytest.raises(ApiException) as scale_info:
            apps.patch_namespaced_stateful_set_scale("web", "default", {"spec": {"replicas": 1}})
    finally:
        api.close()
    assert info.value.status == 403
    assert error_body(info.value) == {
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": 'statefulsets.apps "web" is forbidden: User "viewer" cannot patch resource '
                   '"statefulsets" in API group "apps" in the namespace "default"',
        "reason": "Forbidden", "details": {"name": "web", "group": "apps",
                                           "kind": "statefulsets"}, "code": 403}
    assert error_body(scale_info.value)["message"] == (
        'statefulsets.apps "web" is forbidden: User "viewer" cannot patch resource '
        '"statefulsets/scale" in API group "apps" in the namespace "default"')
    assert sb.store.get(BY_KIND["StatefulSet"], "default", "web")["spec"]["replicas"] == 0
    assert "viewer-token" not in repr(sb.request_log)


def test_namespaced_rule_forbids_lists_elsewhere(rbac_sandbox, http):
    sb, token = rbac_sandbox, bearer("pods-token")
    assert get(http, sb.url, "/api/v1/namespaces/default/pods", token).status == 200
    assert get(http, sb.url, "/version", token).status == 200          # discovery is open
    assert get(http, sb.url, "/apis/apps/v1", token).status == 200
    other = get(http, sb.url, "/api/v1/namespaces/kube-system/pods", token)
    assert other.status == 403
    assert json.loads(other.data)["message"] == (
        'pods is forbidden: User "pod-reader" cannot list resource "pods" in API group "" in '
        'the namespace "kube-system"')
    assert json.loads(other.data)["details"] == {"kind": "pods"}
    everywhere = get(http, sb.url, "/api/v1/pods", token)
    assert json.loads(everywhere.data)["message"] == (
        'pods is forbidden: User "pod-reader" cannot list resource "pods" in API group "" at '
        'the cluster scope')
    watch = get(http, sb.url, "/api/v1/namespaces/default/pods?watch=1", token)
    assert json.loads(watch.data)["message"] == (
        'pods is forbidden: User "pod-reader" cannot watch resource "pods" in API group "" in '
        'the namespace "default"')


def test_grant_after_start(rbac_sandbox, http):
    sb = rbac_sandbox
    sb.grant("late-token", "late", [{"verbs": ["list"], "resources": ["services"]}])
    assert get(http, sb.url, "/api/v1/namespaces/default/services",
               bearer("late-token")).status == 200
    assert get(http, sb.url, "/api/v1/namespaces/default/pods",
               bearer("late-token")).status == 403


def test_impersonation_is_checked_as_that_user_and_logged(rbac_sandbox, http):
    sb = rbac_sandbox
    since = len(sb.request_log)
    headers = dict(ADMIN, **{"Impersonate-User": "viewer", "Content-Type":
                             "application/merge-patch+json"})
    resp = http.request("PATCH", sb.url + "/apis/apps/v1/namespaces/default/statefulsets/web",
                        body=b'{"spec":{"replicas":1}}', headers=headers)
    assert resp.status == 403
    assert 'User "viewer" cannot patch resource "statefulsets"' in json.loads(resp.data)["message"]
    masters = urllib3.HTTPHeaderDict(ADMIN)
    masters.add("Impersonate-User", "someone")
    masters.add("Impersonate-Group", "system:masters")
    masters.add("Impersonate-Group", "team")
    assert get(http, sb.url, "/apis/apps/v1/namespaces/default/statefulsets/web",
               masters).status == 200
    entries = sb.request_log[since:]
    assert [(e["user"], e["impersonate_user"], e["impersonate_groups"], e["code"])
            for e in entries] == [("viewer", "viewer", [], 403),
                                  ("someone", "someone", ["system:masters", "team"], 200)]
    denied = get(http, sb.url, "/api/v1/namespaces/default/pods",
                 dict(bearer("viewer-token"), **{"Impersonate-User": "admin2"}))
    assert denied.status == 403
    assert json.loads(denied.data)["message"] == (
        'users "admin2" is forbidden: User "viewer" cannot impersonate resource "users" in API '
        'group "" at the cluster scope')


def test_anonymous_can_be_refused(http):
    from kubectl_sts_sandbox import Sandbox
    with Sandbox(anonymous=False) as sb:
        assert get(http, sb.url, "/api/v1/namespaces", headers={}).status == 401
        assert get(http, sb.url, "/api/v1/namespaces").status == 200


# -- HTTPS ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tls_sandbox():
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not on PATH")
    from kubectl_sts_sandbox import Sandbox
    with Sandbox(tls=True) as sb:
        yield sb


def test_https_with_the_ca_verifies(tls_sandbox):
    sb = tls_sandbox
    assert sb.url.startswith("https://127.0.0.1:")
    api = client_for(sb.kubeconfig)
    try:
        assert api.configuration.verify_ssl
        names = [name_of(n) for n in client.CoreV1Api(api).list_namespace().items]
    finally:
        api.close()
    assert "default" in names


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_https_without_the_ca_fails_verification(tls_sandbox, tmp_path):
    sb = tls_sandbox
    pool = urllib3.PoolManager(retries=False)        # verification on, system roots
    with pytest.raises(urllib3.exceptions.SSLError) as info:
        pool.request("GET", sb.url + "/version")
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    api = client_for(sb.write_kubeconfig(str(tmp_path / "no-ca"), with_ca=False))
    api.configuration.retries = False
    try:
        with pytest.raises(urllib3.exceptions.MaxRetryError) as retried:
            client.CoreV1Api(api).list_namespace(_request_timeout=5)
    finally:
        api.close()
    assert "CERTIFICATE_VERIFY_FAILED" in str(retried.value)
    api = client_for(sb.write_kubeconfig(str(tmp_path / "insecure"), with_ca=False,
                                         insecure=True))
    try:
        assert client.CoreV1Api(api).list_namespace().items
    finally:
        api.close()


def test_kubectl_over_https(tls_sandbox, kubectl_bin, tmp_path):
    sb = tls_sandbox
    done = subprocess.run([kubectl_bin, "--kubeconfig", sb.kubeconfig, "get", "ns"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "default" in done.stdout and "kube-system" in done.stdout
    no_ca = sb.write_kubeconfig(str(tmp_path / "no-ca"), with_ca=False)
    done = subprocess.run([kubectl_bin, "--kubeconfig", no_ca, "get", "ns",
                           "--request-timeout", "5s"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "x509" in done.stderr or "certificate" in done.stderr


def test_https_restart_keeps_serving_the_same_certificate(tls_sandbox):
    sb = tls_sandbox
    sb.restart()
    pool = urllib3.PoolManager(ca_certs=sb.ca_file, retries=False)
    assert pool.request("GET", sb.url + "/version", headers=ADMIN).status == 200


def test_kubectl_forbidden_and_as_pass_through(tls_sandbox, kubectl_bin, tmp_path):
    # kubectl sends credentials and impersonation only over HTTPS: this needs the TLS sandbox
    sb = tls_sandbox
    sb.grant("viewer-token", "viewer", VIEWER_RULES)
    sb.apply([statefulset(name="web", replicas=0)])
    viewer = sb.write_kubeconfig(str(tmp_path / "viewer"), token="viewer-token")
    done = subprocess.run([kubectl_bin, "--kubeconfig", viewer, "delete", "sts", "web"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert ('Error from server (Forbidden): statefulsets.apps "web" is forbidden: User "viewer" '
            'cannot delete resource "statefulsets" in API group "apps" in the namespace '
            '"default"') in done.stderr
    since = len(sb.request_log)
    done = subprocess.run([kubectl_bin, "--kubeconfig", sb.kubeconfig, "--as", "viewer",
                           "--as-group", "readers", "get", "sts", "web"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "web" in done.stdout
    mine = [e for e in sb.request_log[since:] if e["path"].endswith("/statefulsets/web")]
    assert mine and all(e["impersonate_user"] == "viewer" and e["impersonate_groups"] ==
                        ["readers"] and e["user"] == "viewer" for e in mine)

"""The API server's proxy to pods and services (pods/[scheme:]NAME[:port]/proxy/PATH,
services/...), through the real kubectl v1.32: `kubectl get --raw` (and create, replace,
delete --raw for the other methods) and `kubectl proxy` with an HTTP client through it.

On the sandbox what a pod serves is a Proxy mapping (podaccess.py): canned answers or a local
HTTP server of the test's; those tests skip on a real cluster. The errors (a port nothing
listens on, a bad name, a service port or endpoint missing) are kube-apiserver's, word for
word, on either."""

import json
import shutil
import subprocess
import urllib.request

import pytest

from helpers import wait_for
from reach import Process, ReflectServer, mapping, run_pod

pytestmark = pytest.mark.kubectl


def ok(result):
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def reflect():
    with ReflectServer() as server:
        yield server


@pytest.fixture
def web(sandbox, kubectl, namespace, reflect):
    """Pod `web`: port 8080 answers /healthz `ok` and /ready 503 `warming up`; port 9000 is
    the test's HTTP server. Returns the path prefix of its proxy."""
    sandbox.cluster.config.pod_access.add(mapping("Proxy", namespace, "web", [
        {"port": 8080, "path": "/healthz", "body": "ok"},
        {"port": 8080, "path": "/ready", "status": 503, "body": "warming up",
         "headers": {"Retry-After": "5"}},
        {"port": 9000, "target": {"address": "127.0.0.1", "port": reflect.port}}]))
    run_pod(kubectl, "web", ports=(8080, 9000), labels={"app": "web"})
    return "/api/v1/namespaces/%s/pods" % namespace


def test_pod_proxy_answers_the_canned_paths(web, kubectl):
    assert ok(kubectl("get", "--raw", web + "/web:8080/proxy/healthz")) == "ok"
    # no port: the pod's first declared container port; a scheme before the name
    assert ok(kubectl("get", "--raw", web + "/web/proxy/healthz")) == "ok"
    assert ok(kubectl("get", "--raw", web + "/http:web:8080/proxy/healthz")) == "ok"
    other = kubectl("get", "--raw", web + "/web:8080/proxy/nothing-here")
    assert (other.returncode, other.stderr) == (
        1, "Error from server (NotFound): the server could not find the requested resource\n")


def test_pod_proxy_forwards_every_method_to_the_mapped_server(web, kubectl):
    got = json.loads(ok(kubectl("get", "--raw", web + "/web:9000/proxy/a/b?x=1&y=2")))
    # the path after `proxy` and the query go along; the caller's credentials do not
    assert got == {"method": "GET", "path": "/a/b?x=1&y=2", "body": "",
                   "authorization": None}
    # an empty path is redirected to `/` (and kubectl follows)
    assert json.loads(ok(kubectl("get", "--raw", web + "/web:9000/proxy")))["path"] == "/"
    body = '{"name": "new"}'
    for verb, method in (("create", "POST"), ("replace", "PUT")):
        got = json.loads(ok(kubectl(verb, "--raw", web + "/web:9000/proxy/items", "-f", "-",
                                    input=body)))
        assert (got["method"], got["path"], json.loads(got["body"])) == \
            (method, "/items", {"name": "new"})
    got = json.loads(ok(kubectl("delete", "--raw", web + "/web:9000/proxy/items/1")))
    assert (got["method"], got["path"]) == ("DELETE", "/items/1")


def test_kubectl_proxy_passes_status_headers_and_bodies_through(web, kubectl_bin, kubeconfig,
                                                                namespace):
    with Process([kubectl_bin, "--kubeconfig", kubeconfig, "proxy", "--port=0"]) as proxy:
        port = int(proxy.expect(r"^Starting to serve on 127\.0\.0\.1:(\d+)$").group(1))
        base = "http://127.0.0.1:%d%s" % (port, web)
        with urllib.request.urlopen(base + "/web:8080/proxy/healthz", timeout=30) as answer:
            assert (answer.status, answer.read()) == (200, b"ok")
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "/web:8080/proxy/ready", timeout=30)
        assert (refused.value.code, refused.value.headers["Retry-After"],
                refused.value.read()) == (503, "5", b"warming up")
        request = urllib.request.Request(base + "/web:9000/proxy/submit", data=b"payload",
                                         method="PATCH")
        with urllib.request.urlopen(request, timeout=30) as answer:
            got = json.loads(answer.read())
            assert (answer.status, answer.headers["X-Served-By"]) == (200, "reflect")
        assert (got["method"], got["path"], got["body"]) == ("PATCH", "/submit", "payload")
        if shutil.which("curl"):
            curl = subprocess.run(["curl", "-sS", "-X", "PUT", "--data-binary", "from curl",
                                   base + "/web:9000/proxy/c"], capture_output=True,
                                  text=True, timeout=30)
            got = json.loads(curl.stdout)
            assert (got["method"], got["path"], got["body"]) == ("PUT", "/c", "from curl")


def test_a_port_nothing_listens_on_is_503_as_from_kube_apiserver(kubectl, namespace):
    ip = run_pod(kubectl, "quiet", ports=(8080,))
    got = kubectl("get", "--raw", "/api/v1/namespaces/%s/pods/quiet:7070/proxy/" % namespace)
    assert (got.returncode, got.stderr) == (
        1, "Error from server (ServiceUnavailable): error trying to reach service: dial tcp "
           "%s:7070: connect: connection refused\n" % ip)
    bad = kubectl("get", "--raw", "/api/v1/namespaces/%s/pods/a:b:c:d/proxy/" % namespace)
    assert (bad.returncode, bad.stderr) == (
        1, 'Error from server (BadRequest): invalid pod request "a:b:c:d"\n')


def endpoints_ready(api_client, namespace, service):
    from kubernetes import client
    discovery = client.DiscoveryV1Api(api_client)
    wait_for(discovery.list_namespaced_endpoint_slice,
             lambda items: any((e.get("conditions") or {}).get("ready")
                               for s in items.values() for e in s.get("endpoints") or []),
             namespace=namespace, label_selector="kubernetes.io/service-name=" + service)


def test_service_proxy_reaches_a_ready_pod_behind_the_port(web, kubectl, namespace,
                                                           api_client):
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "front"},
               "spec": {"selector": {"app": "web"},
                        "ports": [{"name": "http", "port": 80, "targetPort": "p8080"},
                                  {"name": "api", "port": 90, "targetPort": 9000}]}}
    ok(kubectl("apply", "-f", "-", input=json.dumps(service)))
    endpoints_ready(api_client, namespace, "front")
    base = "/api/v1/namespaces/%s/services" % namespace
    # a port by name or by number; a named targetPort is the pod's port of that name
    assert ok(kubectl("get", "--raw", base + "/front:http/proxy/healthz")) == "ok"
    assert ok(kubectl("get", "--raw", base + "/front:80/proxy/healthz")) == "ok"
    got = json.loads(ok(kubectl("create", "--raw", base + "/front:api/proxy/x", "-f", "-",
                                input="{}")))
    assert (got["method"], got["path"]) == ("POST", "/x")


def test_service_proxy_errors_are_kube_apiservers(kubectl, namespace):
    ok(kubectl("create", "service", "clusterip", "lonely", "--tcp=80:8080"))
    base = "/api/v1/namespaces/%s/services" % namespace
    cases = [
        ("/lonely:81/proxy/", 'no service port 81 found for service "lonely"'),
        ("/lonely:80/proxy/", 'no endpoints available for service "lonely"'),
    ]
    for path, message in cases:
        got = kubectl("get", "--raw", base + path)
        assert (got.returncode, got.stderr) == (
            1, "Error from server (ServiceUnavailable): %s\n" % message)
    missing = kubectl("get", "--raw", base + "/nobody/proxy/")
    assert (missing.returncode, missing.stderr) == (
        1, 'Error from server (NotFound): services "nobody" not found\n')

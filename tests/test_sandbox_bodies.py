"""Request bodies as a real API server reads them: chunked transfer encoding, the body size
limit, the Content-Type negotiation, and protobuf (what kubectl's imperative commands send).

The protobuf fixtures in tests/data/kubectl_protobuf.json are the exact bytes kubectl v1.32
sent to the sandbox (captured once), each with the object kubectl itself renders for the same
command (`--dry-run=client -o json`): decoding the bytes must give that object. Kinds no kubectl
command sends as protobuf are encoded here by a small test-side encoder.
"""

import base64
import http.client
import json
import os
from functools import partial

import pytest

from builders import service, statefulset
from helpers import http_connection, open_socket

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "kubectl_protobuf.json")
PROTOBUF = "application/vnd.kubernetes.protobuf"

with open(DATA) as fh:
    FIXTURES = json.load(fh)


@pytest.fixture
def pb():
    from kubectl_sts_sandbox import protobuf
    return protobuf


def body_of(name):
    return bytes.fromhex(FIXTURES[name]["body"])


# --------------------------------------------------------------------------------------------
# a minimal protobuf encoder (test side): fields are (number, value); value is an int (varint),
# bytes/str (length-delimited) or a list of fields (a nested message)
# --------------------------------------------------------------------------------------------

def varint(n):
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def msg(*fields):
    out = bytearray()
    for num, value in fields:
        if isinstance(value, bool) or isinstance(value, int):
            out += varint(num << 3) + varint(int(value))
            continue
        if isinstance(value, list):
            value = msg(*value)
        elif isinstance(value, str):
            value = value.encode()
        out += varint(num << 3 | 2) + varint(len(value)) + value
    return bytes(out)


def entry(key, value):
    return [(1, key), (2, value)]


def envelope(api_version, kind, raw):
    return b"k8s\x00" + msg((1, [(1, api_version), (2, kind)]), (2, raw), (3, b""), (4, b""))


def meta(name, namespace=None):
    fields = [(1, name)]
    if namespace:
        fields.append((3, namespace))
    return fields + [(8, b"")]          # creationTimestamp: the empty (zero) Time


# --------------------------------------------------------------------------------------------
# the decoder, on kubectl's own bytes
# --------------------------------------------------------------------------------------------

RENDERED = sorted(name for name, case in FIXTURES.items() if "expected" in case)


@pytest.mark.parametrize("name", RENDERED)
def test_kubectl_bytes_decode_to_what_kubectl_renders(pb, name):
    assert pb.decode(body_of(name)) == FIXTURES[name]["expected"], FIXTURES[name]["command"]


def test_kubectl_debug_node_pod(pb):
    pod = pb.decode(body_of("pod_debug_node"))
    name = pod["metadata"]["name"]
    assert name.startswith("node-debugger-sandbox-node-1-")
    assert pod == {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": name, "creationTimestamp": None},
        "spec": {
            "volumes": [{"name": "host-root", "hostPath": {"path": "/"}}],
            "containers": [{"name": "debugger", "image": "busybox", "resources": {},
                            "volumeMounts": [{"name": "host-root", "mountPath": "/host"}],
                            "terminationMessagePolicy": "File"}],
            "restartPolicy": "Never", "nodeName": "sandbox-node-1", "hostNetwork": True,
            "hostPID": True, "hostIPC": True, "tolerations": [{"operator": "Exists"}]},
        "status": {}}


def test_kubectl_drain_delete_options(pb):
    assert pb.decode(body_of("delete_options_drain")) == {
        "kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 7}


def test_object_meta_every_field(pb):
    managed = [(1, "kubectl-create"), (2, "Update"), (3, "v1"), (4, [(1, 1700000000)]),
               (6, "FieldsV1"), (7, [(1, b'{"f:metadata":{"f:labels":{".":{}}}}')])]
    owner = [(5, "apps/v1"), (1, "StatefulSet"), (3, "web"), (4, "u-1"), (6, True), (7, False)]
    raw = msg((1, [(1, "web-0"), (2, "web-"), (3, "ns"), (4, "/self"), (5, "u-2"), (6, "42"),
                   (7, 3), (8, [(1, 1700000000)]), (9, [(1, 1700000030), (2, 5)]), (10, 30),
                   (11, entry("app", "web")), (11, entry("tier", "")),
                   (12, entry("note", "x")), (13, owner), (14, "a/b"), (14, "c/d"),
                   (17, managed)]),
              (2, b""), (3, b""))
    assert pb.decode(envelope("v1", "Pod", raw)) == {
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": "web-0", "generateName": "web-", "namespace": "ns", "selfLink": "/self",
            "uid": "u-2", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2023-11-14T22:13:20Z",
            "deletionTimestamp": "2023-11-14T22:13:50Z", "deletionGracePeriodSeconds": 30,
            "labels": {"app": "web", "tier": ""}, "annotations": {"note": "x"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                                 "uid": "u-1", "controller": True,
                                 "blockOwnerDeletion": False}],
            "finalizers": ["a/b", "c/d"],
            "managedFields": [{"manager": "kubectl-create", "operation": "Update",
                               "apiVersion": "v1", "time": "2023-11-14T22:13:20Z",
                               "fieldsType": "FieldsV1",
                               "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}}}]},
        "spec": {}, "status": {}}


def test_storage_class(pb):
    topo = [(1, [(1, "topology.kubernetes.io/zone"), (2, "z1"), (2, "z2")])]
    raw = msg((1, meta("fast")), (2, "example.com/csi"), (3, entry("type", "ssd")),
              (4, "Retain"), (5, "ro"), (6, False), (7, "WaitForFirstConsumer"), (8, topo))
    assert pb.decode(envelope("storage.k8s.io/v1", "StorageClass", raw)) == {
        "kind": "StorageClass", "apiVersion": "storage.k8s.io/v1",
        "metadata": {"name": "fast", "creationTimestamp": None},
        "provisioner": "example.com/csi", "parameters": {"type": "ssd"},
        "reclaimPolicy": "Retain", "mountOptions": ["ro"], "allowVolumeExpansion": False,
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowedTopologies": [{"matchLabelExpressions": [
            {"key": "topology.kubernetes.io/zone", "values": ["z1", "z2"]}]}]}


def test_stateful_set_with_template_and_claims(pb):
    container = [(1, "app"), (2, "nginx:1.27"), (6, [(1, "http"), (3, 80), (4, "TCP")]),
                 (7, [(1, "PASSWORD"), (3, [(4, [(1, [(1, "mysql-secrets")]),
                                                 (2, "root-password")])])]),
                 (8, [(2, entry("cpu", [(1, "100m")]))]),
                 (9, [(1, "data"), (3, "/data")]),
                 (11, [(1, [(2, [(1, "/healthz"), (2, [(1, 1), (3, "http")])])]),
                       (4, 5)])]
    pod_spec = [(2, container), (4, 1), (19, "default-scheduler")]
    claim = [(1, [(1, "data")]),
             (2, [(1, "ReadWriteOnce"), (2, [(2, entry("storage", [(1, "1Gi")]))]),
                  (5, "standard")])]
    spec = [(1, 3), (2, [(1, entry("app", "web"))]),
            (3, [(1, [(11, entry("app", "web"))]), (2, pod_spec)]),
            (4, claim), (5, "web"), (6, "Parallel"),
            (7, [(1, "RollingUpdate"), (2, [(1, 0), (2, [(1, 1), (3, "50%")])])]),
            (8, 10), (9, 0), (10, [(1, "Delete"), (2, "Retain")]), (11, [(1, 1)])]
    raw = msg((1, meta("web", "ns")), (2, spec), (3, [(2, 0), (11, 0)]))
    sts = pb.decode(envelope("apps/v1", "StatefulSet", raw))
    assert sts["spec"] == {
        "replicas": 3, "selector": {"matchLabels": {"app": "web"}},
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {"containers": [{
                "name": "app", "image": "nginx:1.27",
                "ports": [{"name": "http", "containerPort": 80, "protocol": "TCP"}],
                "env": [{"name": "PASSWORD", "valueFrom": {"secretKeyRef": {
                    "name": "mysql-secrets", "key": "root-password"}}}],
                "resources": {"requests": {"cpu": "100m"}},
                "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                                   "periodSeconds": 5}}],
                "terminationGracePeriodSeconds": 1, "schedulerName": "default-scheduler"}},
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
            "storageClassName": "standard"}}],
        "serviceName": "web", "podManagementPolicy": "Parallel",
        "updateStrategy": {"type": "RollingUpdate",
                           "rollingUpdate": {"partition": 0, "maxUnavailable": "50%"}},
        "revisionHistoryLimit": 10,
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete",
                                                 "whenScaled": "Retain"},
        "ordinals": {"start": 1}}
    assert sts["status"] == {"replicas": 0, "availableReplicas": 0}


def test_pvc_pv_event_node_controller_revision(pb):
    pvc = pb.decode(envelope("v1", "PersistentVolumeClaim", msg(
        (1, meta("data-web-0", "ns")),
        (2, [(1, "ReadWriteOnce"), (2, [(2, entry("storage", [(1, "1Gi")]))]),
             (3, "pv-1"), (6, "Filesystem")]),
        (3, [(1, "Bound"), (2, "ReadWriteOnce"), (3, entry("storage", [(1, "1Gi")]))]))))
    assert pvc["spec"] == {"accessModes": ["ReadWriteOnce"],
                           "resources": {"requests": {"storage": "1Gi"}},
                           "volumeName": "pv-1", "volumeMode": "Filesystem"}
    assert pvc["status"] == {"phase": "Bound", "accessModes": ["ReadWriteOnce"],
                             "capacity": {"storage": "1Gi"}}

    pv = pb.decode(envelope("v1", "PersistentVolume", msg(
        (1, meta("pv-1")),
        (2, [(1, entry("storage", [(1, "1Gi")])), (2, [(3, [(1, "/tmp/pv-1")])]),
             (3, "ReadWriteOnce"), (4, [(1, "PersistentVolumeClaim"), (2, "ns"),
                                        (3, "data-web-0")]),
             (5, "Delete"), (6, "standard")]),
        (3, [(1, "Bound")]))))
    assert pv["spec"] == {"capacity": {"storage": "1Gi"}, "hostPath": {"path": "/tmp/pv-1"},
                          "accessModes": ["ReadWriteOnce"],
                          "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "ns",
                                       "name": "data-web-0"},
                          "persistentVolumeReclaimPolicy": "Delete",
                          "storageClassName": "standard"}

    event = pb.decode(envelope("v1", "Event", msg(
        (1, meta("web.1", "ns")), (2, [(1, "StatefulSet"), (2, "ns"), (3, "web")]),
        (3, "SuccessfulCreate"), (4, "create Pod web-0 in StatefulSet web successful"),
        (5, [(1, "statefulset-controller")]), (6, [(1, 1700000000)]),
        (7, [(1, 1700000000)]), (8, 1), (9, "Normal"), (10, b""),
        (14, ""), (15, ""))))
    assert event == {
        "kind": "Event", "apiVersion": "v1",
        "metadata": {"name": "web.1", "namespace": "ns", "creationTimestamp": None},
        "involvedObject": {"kind": "StatefulSet", "namespace": "ns", "name": "web"},
        "reason": "SuccessfulCreate", "message": "create Pod web-0 in StatefulSet web successful",
        "source": {"component": "statefulset-controller"},
        "firstTimestamp": "2023-11-14T22:13:20Z", "lastTimestamp": "2023-11-14T22:13:20Z",
        "count": 1, "type": "Normal", "eventTime": None,
        "reportingComponent": "", "reportingInstance": ""}    # no omitempty on these two

    node = pb.decode(envelope("v1", "Node", msg(
        (1, meta("n1")), (2, [(4, True), (5, [(1, "k"), (2, "v"), (3, "NoSchedule")])]),
        (3, [(1, entry("cpu", [(1, "4")])), (4, [(1, "Ready"), (2, "True"), (3, b""), (4, b"")]),
             (5, [(1, "InternalIP"), (2, "10.0.0.1")])]))))
    assert node["spec"] == {"unschedulable": True,
                            "taints": [{"key": "k", "value": "v", "effect": "NoSchedule"}]}
    assert node["status"] == {"capacity": {"cpu": "4"},
                              "conditions": [{"type": "Ready", "status": "True",
                                              "lastHeartbeatTime": None,
                                              "lastTransitionTime": None}],
                              "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]}

    data = b'{"spec":{"template":{"$patch":"replace"}}}'
    rev = pb.decode(envelope("apps/v1", "ControllerRevision", msg(
        (1, meta("web-abc", "ns")), (2, [(1, data)]), (3, 2))))
    assert rev["data"] == {"spec": {"template": {"$patch": "replace"}}}
    assert rev["revision"] == 2


def test_negative_and_packed_integers(pb):
    raw = msg((1, meta("p")), (2, [(2, [(1, "c")]), (14, [(2, -1)])]))
    assert pb.decode(envelope("v1", "Pod", raw))["spec"]["securityContext"] == {"runAsUser": -1}
    packed = varint(4 << 3 | 2) + varint(2) + varint(5) + varint(6)   # supplementalGroups
    raw = msg((1, meta("p")), (2, [(2, [(1, "c")]), (14, packed)]))
    assert pb.decode(envelope("v1", "Pod", raw))["spec"]["securityContext"] == {
        "supplementalGroups": [5, 6]}


def test_unknown_field_is_refused_not_dropped(pb):
    raw = msg((1, meta("web", "ns")), (2, [(4, "ClusterIP"), (99, "x")]))
    with pytest.raises(pb.DecodeError) as err:
        pb.decode(envelope("v1", "Service", raw))
    assert "field 99" in str(err.value) and "ServiceSpec" in str(err.value)


def test_not_protobuf_and_unknown_kind(pb):
    with pytest.raises(pb.DecodeError) as err:
        pb.decode(b'{"kind":"Service"}')
    assert str(err.value) == ("provided data does not appear to be a protobuf message, "
                              "expected prefix [107 56 115 0]")
    with pytest.raises(pb.DecodeError):
        pb.decode(envelope("v1", "Service", b"\x0a\x05ab"))        # truncated
    with pytest.raises(pb.UnsupportedKind):
        pb.decode(envelope("apps/v1", "Deployment", msg((1, meta("d")))))


# --------------------------------------------------------------------------------------------
# over HTTP
# --------------------------------------------------------------------------------------------

def connect(sandbox):
    return http_connection(sandbox)


# the admin's credentials: a request without any is system:anonymous, which RBAC lets read only
# /healthz, /livez, /readyz and /version
ADMIN = {"Authorization": "Bearer sandbox-admin"}


def request(sandbox, method, path, body=None, headers=None):
    conn = connect(sandbox)
    try:
        conn.request(method, path, body=body, headers=dict(ADMIN, **(headers or {})))
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type"), resp.read()
    finally:
        conn.close()


# a Service without clusterIP, as a JSON body
service_json = partial(service, cluster_ip=None, ports=[{"port": 80}])


def test_chunked_body_with_extension_and_trailer_then_pipelined_request(sandbox, namespace):
    body = json.dumps(service_json("chunked")).encode()
    head = ("POST /api/v1/namespaces/%s/services HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer sandbox-admin\r\n"
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            % namespace).encode()
    chunks = b"%x;name=value\r\n%s\r\n%x\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (
        10, body[:10], len(body) - 10, body[10:])
    follow_up = ("GET /api/v1/namespaces/%s/services/chunked HTTP/1.1\r\nHost: x\r\n"
                 "Authorization: Bearer sandbox-admin\r\n\r\n"
                 % namespace).encode()
    sock = open_socket(sandbox)
    try:
        sock.sendall(head + chunks + follow_up)          # both requests in one write
        fp = sock.makefile("rb")
        code, created = read_response(fp)
        assert code == 201, created
        code, got = read_response(fp)
        assert code == 200, got
        assert got["metadata"]["uid"] == created["metadata"]["uid"]
    finally:
        sock.close()


def read_response(fp):
    """(status, JSON body) of one HTTP/1.1 response read off a shared buffered stream."""
    status = int(fp.readline().split()[1])
    length = 0
    while True:
        line = fp.readline().strip()
        if not line:
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, json.loads(fp.read(length))


def test_chunked_body_through_http_client(sandbox, namespace):
    body = json.dumps(service_json("chunked2")).encode()
    conn = connect(sandbox)
    try:
        conn.request("POST", "/api/v1/namespaces/%s/services" % namespace,
                     body=iter([body[:7], body[7:30], body[30:]]), encode_chunked=True,
                     headers=dict(ADMIN, **{"Content-Type": "application/json"}))
        resp = conn.getresponse()
        assert resp.status == 201, resp.read()
        resp.read()
        conn.request("GET", "/api/v1/namespaces/%s/services/chunked2" % namespace,
                     headers=ADMIN)
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["spec"]["ports"][0]["port"] == 80
    finally:
        conn.close()


def test_malformed_chunk_size_is_refused(sandbox, namespace):
    sock = open_socket(sandbox)
    try:
        sock.sendall(("POST /api/v1/namespaces/%s/services HTTP/1.1\r\nHost: x\r\n"
                      "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
                      % namespace).encode())
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        status = json.loads(resp.read())
        assert resp.status == 400 and status["reason"] == "BadRequest", status
        assert resp.getheader("Connection") == "close"
    finally:
        sock.close()


def test_body_over_the_limit_is_413_without_reading_it(sandbox, namespace):
    sock = open_socket(sandbox)
    try:
        sock.sendall(("POST /api/v1/namespaces/%s/services HTTP/1.1\r\nHost: x\r\n"
                      "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n{"
                      % (namespace, 3 * 1024 * 1024 + 1)).encode())
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        status = json.loads(resp.read())
        assert resp.status == 413, status
        assert status["reason"] == "RequestEntityTooLarge"
        assert status["message"] == "Request entity too large: limit is 3145728"
    finally:
        sock.close()


def test_unknown_content_type_is_415(sandbox, namespace):
    code, _, body = request(sandbox, "POST", "/api/v1/namespaces/%s/services" % namespace,
                            json.dumps(service_json("plain")), {"Content-Type": "text/plain"})
    status = json.loads(body)
    assert code == 415 and status["reason"] == "UnsupportedMediaType"
    assert status["message"] == (
        "the body of the request was in an unknown format - accepted media types include: "
        "application/json, application/yaml, application/vnd.kubernetes.protobuf")


def test_protobuf_create_answers_json(sandbox, namespace):
    raw = msg((1, meta("pb")), (2, [(1, [(3, 80)]), (4, "ClusterIP")]), (3, [(1, b"")]))
    code, ctype, body = request(sandbox, "POST", "/api/v1/namespaces/%s/services" % namespace,
                                envelope("v1", "Service", raw),
                                {"Content-Type": PROTOBUF,
                                 "Accept": PROTOBUF + ",application/json"})
    assert code == 201, body
    assert ctype == "application/json"
    svc = json.loads(body)
    assert svc["metadata"]["namespace"] == namespace and svc["spec"]["ports"][0]["port"] == 80


def test_protobuf_errors_look_like_the_api_servers(sandbox, namespace):
    path = "/api/v1/namespaces/%s/services" % namespace
    code, _, body = request(sandbox, "POST", path, b'{"kind":"Service"}',
                            {"Content-Type": PROTOBUF})
    status = json.loads(body)
    assert code == 400 and status["reason"] == "BadRequest"
    assert status["message"] == (
        "the object provided is unrecognized (must be of type Service): provided data does not "
        'appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind":"Service"})')
    raw = msg((1, meta("pb")), (2, [(4, "ClusterIP"), (99, "x")]))
    code, _, body = request(sandbox, "POST", path, envelope("v1", "Service", raw),
                            {"Content-Type": PROTOBUF})
    status = json.loads(body)
    assert code == 400 and status["message"].startswith(
        'Service in version "v1" cannot be handled as a Service: ')
    assert "field 99" in status["message"]


def test_protobuf_body_with_a_protobuf_only_accept_is_406(sandbox, namespace):
    raw = msg((1, meta("pb406")), (2, [(1, [(3, 80)])]))
    code, _, body = request(sandbox, "POST", "/api/v1/namespaces/%s/services" % namespace,
                            envelope("v1", "Service", raw),
                            {"Content-Type": PROTOBUF, "Accept": PROTOBUF})
    assert code == 406, body
    assert json.loads(body)["reason"] == "NotAcceptable"


def test_protobuf_delete_options(sandbox, core, namespace):
    from kubernetes import client
    core.create_namespaced_pod(namespace, client.V1Pod(
        metadata=client.V1ObjectMeta(name="victim"),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="nginx")])))
    options = envelope("v1", "DeleteOptions", msg((1, 0), (4, "Background")))
    code, _, body = request(sandbox, "DELETE", "/api/v1/namespaces/%s/pods/victim" % namespace,
                            options, {"Content-Type": PROTOBUF})
    assert code == 200, body
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_pod("victim", namespace)
    assert err.value.status == 404


# --------------------------------------------------------------------------------------------
# through the real kubectl
# --------------------------------------------------------------------------------------------

def ok(result):
    assert result.returncode == 0, "kubectl failed (%d):\nstdout: %s\nstderr: %s" % (
        result.returncode, result.stdout, result.stderr)
    return result.stdout


def served(core, plural):
    return plural in {r.name for r in core.get_api_resources().resources}


def test_kubectl_replace_raw_sends_chunked_bodies(kubectl, core, namespace, tmp_path):
    from kubernetes import client
    core.create_namespaced_service(namespace, client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(selector={"app": "web"},
                                  ports=[client.V1ServicePort(port=80)])))
    stale = json.loads(ok(kubectl("get", "svc", "web", "-o", "json")))
    ok(kubectl("label", "svc", "web", "bumped=yes"))
    path = "/api/v1/namespaces/%s/services/web" % namespace
    stale["metadata"].setdefault("labels", {})["from"] = "stale"
    (tmp_path / "stale.json").write_text(json.dumps(stale))
    result = kubectl("replace", "--raw", path, "-f", str(tmp_path / "stale.json"))
    assert result.returncode == 1
    assert "Operation cannot be fulfilled on services \"web\"" in result.stderr, result.stderr
    fresh = json.loads(ok(kubectl("get", "svc", "web", "-o", "json")))
    fresh["metadata"]["labels"]["from"] = "fresh"
    (tmp_path / "fresh.json").write_text(json.dumps(fresh))
    replaced = json.loads(ok(kubectl("replace", "--raw", path, "-f", str(tmp_path / "fresh.json"))))
    assert replaced["metadata"]["labels"] == {"bumped": "yes", "from": "fresh"}
    assert int(replaced["metadata"]["resourceVersion"]) > int(fresh["metadata"]["resourceVersion"])


def test_kubectl_create_namespace(kubectl, core, namespace):
    name = namespace + "-x"
    try:
        assert ok(kubectl("create", "namespace", name, namespaced=False)) == \
            "namespace/%s created\n" % name
        got = json.loads(ok(kubectl("get", "namespace", name, "-o", "json", namespaced=False)))
        assert got["status"]["phase"] == "Active" and got["metadata"]["creationTimestamp"]
    finally:
        try:
            core.delete_namespace(name)
        except Exception:
            pass


def test_kubectl_create_pdb_min_available(kubectl):
    assert ok(kubectl("create", "pdb", "web", "--selector=app=web", "--min-available=1")) == \
        "poddisruptionbudget.policy/web created\n"
    pdb = json.loads(ok(kubectl("get", "pdb", "web", "-o", "json")))
    assert pdb["spec"] == {"minAvailable": 1, "selector": {"matchLabels": {"app": "web"}}}


def test_kubectl_create_service_clusterip(kubectl):
    assert ok(kubectl("create", "service", "clusterip", "web", "--tcp=80:8080")) == \
        "service/web created\n"
    svc = json.loads(ok(kubectl("get", "svc", "web", "-o", "json")))
    assert svc["spec"]["ports"] == [{"name": "80-8080", "protocol": "TCP", "port": 80,
                                     "targetPort": 8080}]
    assert svc["spec"]["type"] == "ClusterIP" and svc["spec"]["clusterIP"] not in ("", "None")


def test_kubectl_autoscale_statefulset(kubectl, apps, namespace):
    apps.create_namespaced_stateful_set(namespace, statefulset(replicas=1, claims=()))
    assert ok(kubectl("autoscale", "statefulset", "web", "--max=3", "--cpu-percent=50")) == \
        "horizontalpodautoscaler.autoscaling/web autoscaled\n"
    hpa = json.loads(ok(kubectl("get", "hpa", "web", "-o", "json")))
    assert hpa["spec"]["scaleTargetRef"] == {"kind": "StatefulSet", "name": "web",
                                             "apiVersion": "apps/v1"}
    assert hpa["spec"]["maxReplicas"] == 3


def test_kubectl_debug_node(kubectl):
    node = ok(kubectl("get", "nodes", "-o", "jsonpath={.items[0].metadata.name}"))
    ok(kubectl("debug", "node/" + node, "--image=busybox", "--attach=false",
               "--profile=general"))
    [pod] = json.loads(ok(kubectl("get", "pods", "-o", "json")))["items"]
    assert pod["spec"]["nodeName"] == node and pod["spec"]["hostPID"] is True


def test_kubectl_create_secret_generic(kubectl, core):
    if not served(core, "secrets"):
        pytest.skip("the server does not serve secrets")
    assert ok(kubectl("create", "secret", "generic", "mysql-secrets",
                      "--from-literal=root-password=x")) == "secret/mysql-secrets created\n"
    secret = json.loads(ok(kubectl("get", "secret", "mysql-secrets", "-o", "json")))
    assert base64.b64decode(secret["data"]["root-password"]) == b"x"
    assert secret["type"] == "Opaque"


def test_kubectl_create_configmap(kubectl, core):
    if not served(core, "configmaps"):
        pytest.skip("the server does not serve configmaps")
    assert ok(kubectl("create", "configmap", "settings", "--from-literal=a=b")) == \
        "configmap/settings created\n"
    cm = json.loads(ok(kubectl("get", "configmap", "settings", "-o", "json")))
    assert cm["data"] == {"a": "b"}


def test_kubectl_create_serviceaccount(kubectl, core):
    if not served(core, "serviceaccounts"):
        pytest.skip("the server does not serve serviceaccounts")
    assert ok(kubectl("create", "serviceaccount", "robot")) == "serviceaccount/robot created\n"
    sa = json.loads(ok(kubectl("get", "serviceaccount", "robot", "-o", "json")))
    assert sa["metadata"]["name"] == "robot"


@pytest.mark.parametrize("value,streams", [("true", True), ("True", True), ("1", True),
                                           ("", True), ("yes", True), ("false", False),
                                           ("FALSE", False), ("0", False)])
def test_watch_query_parameter_is_a_go_bool(sandbox, namespace, value, streams):
    """kube-apiserver decodes ?watch= with apimachinery's Convert_Slice_string_To_bool: only
    "0" and "false" (any case) are false. The official Python client before 36 sends
    watch=True."""
    code, ctype, body = request(sandbox, "GET", "/api/v1/namespaces/%s/services?watch=%s"
                                "&timeoutSeconds=1" % (namespace, value))
    assert code == 200
    if streams:
        assert all(json.loads(line)["type"] in ("ADDED", "BOOKMARK")
                   for line in body.splitlines() if line)
    else:
        assert json.loads(body)["kind"] == "ServiceList"

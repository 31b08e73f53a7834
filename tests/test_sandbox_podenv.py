"""The container environment the sandbox gives an exec'd command (podenv.py), table-driven over
plain objects: the kubelet's service variables (pkg/kubelet/envvars/envvars.go FromServices,
kubelet_pods.go getServiceEnvVarMap and makeEnvironmentVariables), the downward API's fields
and resources (podFieldSelectorRuntimeValue, ExtractContainerResourceValue with limits
defaulted to the node's allocatable) and the runtime's HOSTNAME (containerd)."""

import pytest

from kubectl_sts_sandbox.podenv import kubelet_env, pod_hostname, process_env, service_env

KUBERNETES = {"metadata": {"name": "kubernetes", "namespace": "default"},
              "spec": {"clusterIP": "10.96.0.1", "ports": [
                  {"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}}
KUBERNETES_ENV = {
    "KUBERNETES_SERVICE_HOST": "10.96.0.1", "KUBERNETES_SERVICE_PORT": "443",
    "KUBERNETES_SERVICE_PORT_HTTPS": "443", "KUBERNETES_PORT": "tcp://10.96.0.1:443",
    "KUBERNETES_PORT_443_TCP": "tcp://10.96.0.1:443", "KUBERNETES_PORT_443_TCP_PROTO": "tcp",
    "KUBERNETES_PORT_443_TCP_PORT": "443", "KUBERNETES_PORT_443_TCP_ADDR": "10.96.0.1"}


def svc(name, ns="prod", ip="10.96.0.20", ports=({"port": 80},)):
    return {"metadata": {"name": name, "namespace": ns},
            "spec": {"clusterIP": ip, "ports": [dict(p) for p in ports]}}


def pod(ns="prod", links=None, **spec):
    spec = dict(spec, nodeName="n1")
    if links is not None:
        spec["enableServiceLinks"] = links
    return {"metadata": {"name": "db-0", "namespace": ns, "uid": "u-1",
                         "labels": {"app": "db"}, "annotations": {"team": "data"}},
            "spec": spec,
            "status": {"podIP": "10.244.1.7", "podIPs": [{"ip": "10.244.1.7"}],
                       "hostIP": "172.18.0.9"}}


NODE = {"metadata": {"name": "n1"},
        "status": {"addresses": [{"type": "Hostname", "address": "n1"},
                                 {"type": "InternalIP", "address": "172.18.0.2"}],
                   "allocatable": {"cpu": "8", "memory": "16Gi",
                                   "ephemeral-storage": "100Gi"}}}


SERVICE_CASES = [
    ("kubernetes of default, always", [KUBERNETES], "prod", False, KUBERNETES_ENV),
    ("no kubernetes service, no links", [svc("web")], "prod", False, {}),
    ("a Service of the pod's namespace: every variable, dashes upper-cased to _",
     [svc("my-db.x", ports=[{"name": "sql", "port": 5432, "protocol": "TCP"},
                            {"name": "metrics-http", "port": 9104, "protocol": "UDP"}])],
     "prod", True,
     {"MY_DB_X_SERVICE_HOST": "10.96.0.20", "MY_DB_X_SERVICE_PORT": "5432",
      "MY_DB_X_SERVICE_PORT_SQL": "5432", "MY_DB_X_SERVICE_PORT_METRICS_HTTP": "9104",
      "MY_DB_X_PORT": "tcp://10.96.0.20:5432",
      "MY_DB_X_PORT_5432_TCP": "tcp://10.96.0.20:5432", "MY_DB_X_PORT_5432_TCP_PROTO": "tcp",
      "MY_DB_X_PORT_5432_TCP_PORT": "5432", "MY_DB_X_PORT_5432_TCP_ADDR": "10.96.0.20",
      "MY_DB_X_PORT_9104_UDP": "udp://10.96.0.20:9104", "MY_DB_X_PORT_9104_UDP_PROTO": "udp",
      "MY_DB_X_PORT_9104_UDP_PORT": "9104", "MY_DB_X_PORT_9104_UDP_ADDR": "10.96.0.20"}),
    ("an unnamed port has no _SERVICE_PORT_<NAME>; no protocol is TCP; a leading digit _",
     [svc("1st", ports=[{"port": 80}])], "prod", True,
     {"_1ST_SERVICE_HOST": "10.96.0.20", "_1ST_SERVICE_PORT": "80",
      "_1ST_PORT": "tcp://10.96.0.20:80", "_1ST_PORT_80_TCP": "tcp://10.96.0.20:80",
      "_1ST_PORT_80_TCP_PROTO": "tcp", "_1ST_PORT_80_TCP_PORT": "80",
      "_1ST_PORT_80_TCP_ADDR": "10.96.0.20"}),
    ("headless and IP-less Services give nothing",
     [svc("web", ip="None"), svc("other", ip="")], "prod", True, {}),
    ("enableServiceLinks false: other namespaces' and the pod's own are left out",
     [svc("web"), svc("far", ns="else")], "prod", False, {}),
    ("another namespace's Service is never linked", [svc("far", ns="else")], "prod", True, {}),
    ("a `kubernetes` Service in the pod's namespace replaces default's",
     [KUBERNETES, svc("kubernetes", ip="10.96.0.99", ports=[{"port": 8443}])], "prod", True,
     {"KUBERNETES_SERVICE_HOST": "10.96.0.99", "KUBERNETES_SERVICE_PORT": "8443",
      "KUBERNETES_PORT": "tcp://10.96.0.99:8443",
      "KUBERNETES_PORT_8443_TCP": "tcp://10.96.0.99:8443",
      "KUBERNETES_PORT_8443_TCP_PROTO": "tcp", "KUBERNETES_PORT_8443_TCP_PORT": "8443",
      "KUBERNETES_PORT_8443_TCP_ADDR": "10.96.0.99"}),
]


@pytest.mark.parametrize("services,ns,links,expected",
                         [c[1:] for c in SERVICE_CASES], ids=[c[0] for c in SERVICE_CASES])
def test_service_variables(services, ns, links, expected):
    assert service_env(services, ns, links) == expected


def _var(name, value=None, **value_from):
    return {"name": name, "value": value} if value is not None else \
        {"name": name, "valueFrom": value_from}


def _res(resource, divisor=None, container=None):
    ref = {"resource": resource}
    if divisor is not None:
        ref["divisor"] = divisor
    if container:
        ref["containerName"] = container
    return {"resourceFieldRef": ref}


RESOURCES = {"requests": {"cpu": "250m", "memory": "64Mi"},
             "limits": {"cpu": "1500m", "memory": "128Mi", "ephemeral-storage": "1G"}}

ENV_CASES = [
    ("env wins over a service variable; env/envFrom only define theirs",
     {"env": [_var("KUBERNETES_SERVICE_HOST", "mine")], "envFrom": [
         {"configMapRef": {"name": "cm"}, "prefix": "KUBERNETES_"}]}, [KUBERNETES], None,
     dict(KUBERNETES_ENV, KUBERNETES_SERVICE_HOST="mine", KUBERNETES_PORT="from-cm")),
    ("$(VAR) sees env first, then the service variables; undefined stays",
     {"env": [_var("A", "x"), _var("API", "https://$(KUBERNETES_SERVICE_HOST):$(A)/$(NOPE)"),
              _var("KUBERNETES_SERVICE_HOST", "later")]}, [KUBERNETES], None,
     dict(KUBERNETES_ENV, A="x", API="https://10.96.0.1:x/$(NOPE)",
          KUBERNETES_SERVICE_HOST="later")),
    ("the downward API's fields; host IPs from the node",
     {"env": [_var(n, fieldRef={"fieldPath": p}) for n, p in (
         ("NS", "metadata.namespace"), ("UID", "metadata.uid"),
         ("APP", "metadata.labels['app']"), ("TEAM", "metadata.annotations['team']"),
         ("NONE", "metadata.labels['none']"), ("NODE", "spec.nodeName"),
         ("SA", "spec.serviceAccountName"), ("HOST", "status.hostIP"),
         ("HOSTS", "status.hostIPs"), ("IP", "status.podIP"), ("IPS", "status.podIPs"))]},
     [], NODE,
     {"NS": "prod", "UID": "u-1", "APP": "db", "TEAM": "data", "NONE": "", "NODE": "n1",
      "SA": "db-sa", "HOST": "172.18.0.2", "HOSTS": "172.18.0.2", "IP": "10.244.1.7",
      "IPS": "10.244.1.7"}),
    ("resources: divisor, rounding up, a missing limit is the node's allocatable",
     {"resources": RESOURCES, "env": [
         _var("CPU_LIM", **_res("limits.cpu")), _var("CPU_LIM_M", **_res("limits.cpu", "1m")),
         _var("CPU_REQ", **_res("requests.cpu")),
         _var("CPU_REQ_M", **_res("requests.cpu", "1m")),
         _var("MEM_LIM", **_res("limits.memory")),
         _var("MEM_LIM_MI", **_res("limits.memory", "1Mi")),
         _var("MEM_REQ_MI", **_res("requests.memory", "1Mi")),
         _var("EPH_LIM_MI", **_res("limits.ephemeral-storage", "1Mi")),
         _var("EPH_REQ", **_res("requests.ephemeral-storage")),
         _var("SIDE_CPU", **_res("limits.cpu", container="side")),
         _var("SIDE_MEM_GI", **_res("limits.memory", "1Gi", container="side"))]},
     [], NODE,
     {"CPU_LIM": "2", "CPU_LIM_M": "1500", "CPU_REQ": "1", "CPU_REQ_M": "250",
      "MEM_LIM": str(128 * 2 ** 20), "MEM_LIM_MI": "128", "MEM_REQ_MI": "64",
      "EPH_LIM_MI": "954", "EPH_REQ": "0", "SIDE_CPU": "8", "SIDE_MEM_GI": "16"}),
]


@pytest.mark.parametrize("container,services,node,expected",
                         [c[1:] for c in ENV_CASES], ids=[c[0] for c in ENV_CASES])
def test_kubelet_environment(container, services, node, expected):
    data = {("configMap", "cm"): {"PORT": "from-cm"}}
    subject = pod(serviceAccountName="db-sa",
                  containers=[dict(container, name="app"), {"name": "side"}])
    got = kubelet_env(subject, dict(container, name="app"),
                      lambda kind, name: data.get((kind, name)), services, node)
    assert got == expected


HOSTNAME_CASES = [
    ("the pod's name", {}, "db-0"),
    ("spec.hostname (a StatefulSet's pod: its name)", {"hostname": "web-3",
                                                       "subdomain": "web"}, "web-3"),
    ("setHostnameAsFQDN with a subdomain", {"hostname": "web-3", "subdomain": "web",
                                            "setHostnameAsFQDN": True},
     "web-3.web.prod.svc.cluster.local"),
    ("hostNetwork: the node's", {"hostNetwork": True}, "n1"),
    ("at most 63 characters, no trailing dash", {"hostname": "a" * 62 + "-b"}, "a" * 62),
]


@pytest.mark.parametrize("spec,expected", [c[1:] for c in HOSTNAME_CASES],
                         ids=[c[0] for c in HOSTNAME_CASES])
def test_hostname(spec, expected):
    assert pod_hostname(pod(**spec)) == expected


class _Store:
    def __init__(self, services):
        self.services = services

    def peek(self, rt, namespace, name):
        return None

    def list(self, rt, namespace):
        return [s for s in self.services if s["metadata"]["namespace"] == namespace], "1"


def test_process_environment_host_then_hostname_then_kubelet():
    host = {"PATH": "/usr/bin:/bin", "HOSTNAME": "laptop", "KUBERNETES_PORT": "stale"}
    env = process_env(_Store([KUBERNETES]), pod(hostname="web-1"),
                      {"name": "app", "env": [_var("X", "1")]}, host)
    assert env == dict(KUBERNETES_ENV, PATH="/usr/bin:/bin", HOSTNAME="web-1", X="1")


def test_services_created_after_the_container_started_are_not_in_its_environment():
    def made(obj, stamp):
        return dict(obj, metadata=dict(obj["metadata"], creationTimestamp=stamp))
    running = dict(pod(), status={"containerStatuses": [{"name": "app", "state": {
        "running": {"startedAt": "2026-01-01T10:00:00Z"}}}]})
    store = _Store([made(KUBERNETES, "2026-01-01T11:00:00Z"),
                    made(svc("before"), "2026-01-01T10:00:00Z"),
                    made(svc("after"), "2026-01-01T10:00:01Z")])
    env = process_env(store, running, {"name": "app"}, {})
    assert env["KUBERNETES_SERVICE_HOST"] == "10.96.0.1"
    assert env["BEFORE_SERVICE_HOST"] == "10.96.0.20" and "AFTER_SERVICE_HOST" not in env

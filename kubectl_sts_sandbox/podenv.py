"""A container's environment as the kubelet and the container runtime make it.

The kubelet (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): envFrom first (every key
of the ConfigMap or Secret, with the prefix; keys that are not valid variable names skipped),
then env in order: a non-empty literal value with `$(VAR)` expanded from what env/envFrom
defined so far and then from the service variables (expansion.MappingFuncFor(tmpEnv,
serviceEnv); third_party/forked/golang/expansion: `$$` is a literal `$`, an undefined `$(X)`
stays as written), ConfigMap and Secret keys, the downward API's fieldRef
(podFieldSelectorRuntimeValue) and resourceFieldRef (containerResourceRuntimeValue over
defaultPodLimitsForDownwardAPI, pkg/kubelet/kubelet_resources.go); last the service variables
that env/envFrom did not define (getServiceEnvVarMap, envvars.FromServices): what a
container defines always wins. Missing objects and keys are podconfig.env_error's business:
a container that runs had them; an optional one missing is skipped.

The runtime (containerd, internal/cri/server/container_create_linux.go containerSpec): PATH
(oci.WithDefaultPathEnv), then HOSTNAME= the pod's hostname, then the image's Env, then the
kubelet's variables, each replacing an earlier one of the same name. The sandbox has no
image: the host's environment stands in for the image's Env (so PATH is the host's and a
mapped command resolves as it does in a shell here), with HOSTNAME the pod's."""

import base64
import math
import re
from fractions import Fraction
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional

from kubectl_sts.k8s.quantity import quantity_value
from .podconfig import CONFIGMAP, SECRET
from .resources import BY_KIND

Obj = Dict[str, Any]
Lookup = Callable[[str, str], Optional[Dict[str, str]]]      # (kind, name) -> data
SERVICE = BY_KIND["Service"]
NODE = BY_KIND["Node"]
_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")     # validation.IsEnvVarName
MASTER_SERVICES = ("kubernetes",)                        # kubelet_pods.go masterServices
CLUSTER_DOMAIN = "cluster.local"


def _data(store: Any, kind: str, ns: str, name: str) -> Optional[Dict[str, str]]:
    obj = store.peek(SECRET if kind == "secret" else CONFIGMAP, ns, name or "")
    if obj is None:
        return None
    if kind == "secret":
        return {k: base64.b64decode(v or "").decode("utf-8", "replace")
                for k, v in (obj.get("data") or {}).items()}
    data = dict(obj.get("data") or {})
    for k, v in (obj.get("binaryData") or {}).items():
        data[k] = base64.b64decode(v or "").decode("utf-8", "replace")
    return data


def expand(text: str, *sources: Mapping[str, str]) -> str:
    """expansion.Expand with MappingFuncFor(sources...): the first source defining a name."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and ")" in text[i + 2:]:
            end = text.index(")", i + 2)
            name = text[i + 2:end]
            found = [src[name] for src in sources if name in src]
            out.append(found[0] if found else text[i:end + 1])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


# -- the service variables (pkg/kubelet/envvars/envvars.go) -----------------------------------

def _env_name(name: str) -> str:
    """makeEnvVariableName: upper case, `.` and `-` to `_`, a leading digit gets `_`."""
    out = name.replace(".", "_").replace("-", "_").upper()
    return "_" + out if out[:1].isdigit() else out


def is_service_ip_set(svc: Obj) -> bool:
    """v1helper.IsServiceIPSet: a ClusterIP that is neither empty nor None (headless)."""
    return (svc.get("spec") or {}).get("clusterIP") not in (None, "", "None")


def from_services(services: Iterable[Obj]) -> Dict[str, str]:
    """envvars.FromServices: NAME_SERVICE_HOST, NAME_SERVICE_PORT (the first port),
    NAME_SERVICE_PORT_<PORTNAME> (named ports), and the Docker link variables NAME_PORT (the
    first port) and NAME_PORT_<port>_<PROTO>, _PROTO, _PORT, _ADDR for every port."""
    env: Dict[str, str] = {}
    for svc in services:
        spec = svc.get("spec") or {}
        ports = [p for p in spec.get("ports") or [] if isinstance(p, dict)]
        if not is_service_ip_set(svc) or not ports:
            continue
        prefix, ip = _env_name(svc["metadata"]["name"]), str(spec["clusterIP"])
        env[prefix + "_SERVICE_HOST"] = ip
        env[prefix + "_SERVICE_PORT"] = str(ports[0].get("port"))
        for p in ports:
            if p.get("name"):
                env[prefix + "_SERVICE_PORT_" + _env_name(str(p["name"]))] = str(p.get("port"))
        for i, p in enumerate(ports):         # makeLinkVariables
            proto = str(p.get("protocol") or "TCP")
            url = "%s://%s:%s" % (proto.lower(), ip, p.get("port"))
            if i == 0:
                env[prefix + "_PORT"] = url
            port_prefix = "%s_PORT_%s_%s" % (prefix, p.get("port"), proto.upper())
            env[port_prefix] = url
            env[port_prefix + "_PROTO"] = proto.lower()
            env[port_prefix + "_PORT"] = str(p.get("port"))
            env[port_prefix + "_ADDR"] = ip
    return env


def service_env(services: Iterable[Obj], ns: str, enable_service_links: bool) -> Dict[str, str]:
    """getServiceEnvVarMap: the `kubernetes` Service of `default` always, the pod's namespace's
    Services with a ClusterIP when enableServiceLinks (one of them named `kubernetes`
    replaces default's)."""
    chosen: Dict[str, Obj] = {}
    for svc in services:
        if not is_service_ip_set(svc):
            continue
        meta = svc["metadata"]
        name = meta["name"]
        if meta.get("namespace") == "default" and name in MASTER_SERVICES:
            chosen.setdefault(name, svc)
        elif meta.get("namespace") == ns and enable_service_links:
            chosen[name] = svc
    return from_services(chosen[k] for k in sorted(chosen))


# -- the downward API ---------------------------------------------------------------------------

def node_host_ips(node: Optional[Obj]) -> List[str]:
    """nodeutil.GetNodeHostIPs: the node's InternalIP addresses, then its ExternalIPs."""
    addresses = ((node or {}).get("status") or {}).get("addresses") or []
    ips = [a.get("address") for kind in ("InternalIP", "ExternalIP")
           for a in addresses if a.get("type") == kind and a.get("address")]
    return [str(ip) for ip in ips[:1]]       # single stack: the first of its family


def _field(pod: Obj, path: str, node: Optional[Obj] = None) -> str:
    """podFieldSelectorRuntimeValue (status.hostIP(s) from the kubelet's node, as
    getHostIPsAnyWay) and fieldpath.ExtractFieldPathAsString."""
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    m = re.match(r"^metadata\.(labels|annotations)\['(.*)'\]$", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    host_ips = node_host_ips(node) or \
        [p.get("ip", "") for p in status.get("hostIPs") or []] or \
        ([status["hostIP"]] if status.get("hostIP") else [])
    pod_ips = [p.get("ip", "") for p in status.get("podIPs") or []] or \
        ([status["podIP"]] if status.get("podIP") else [])
    values = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"),
              "status.podIP": pod_ips[0] if pod_ips else "",
              "status.hostIP": host_ips[0] if host_ips else "",
              "status.podIPs": ",".join(pod_ips), "status.hostIPs": ",".join(host_ips)}
    return str(values.get(path) or "")


def _ceil_div(a: Fraction, b: Fraction) -> int:
    return int(math.ceil(a / b)) if b else 0


def resource_value(selector: Obj, container: Obj, allocatable: Mapping[str, Any]) -> str:
    """containerResourceRuntimeValue over defaultPodLimitsForDownwardAPI: a limit missing
    (or zero) is the node's allocatable (MergeContainerResourceLimits: cpu, memory,
    ephemeral-storage), then ExtractContainerResourceValue: the divisor (default 1) divides
    the value and the result is rounded up; cpu in millicores (MilliValue), the others in
    units (Value), both rounded up first as Quantity does."""
    resources = container.get("resources") or {}
    limits = dict(resources.get("limits") or {})
    for name in ("cpu", "memory", "ephemeral-storage"):
        if not quantity_value(limits.get(name)) and name in allocatable:
            limits[name] = allocatable[name]
    kind, _, name = str(selector.get("resource") or "").partition(".")
    quantities = limits if kind == "limits" else resources.get("requests") or {}
    value = quantity_value(quantities.get(name)) or Fraction(0)
    divisor = quantity_value(selector.get("divisor")) or Fraction(1)
    if name == "cpu":
        return str(_ceil_div(Fraction(math.ceil(value * 1000)),
                             Fraction(math.ceil(divisor * 1000))))
    return str(_ceil_div(Fraction(math.ceil(value)), Fraction(math.ceil(divisor))))


def _named_container(pod: Obj, name: str, default: Obj) -> Obj:
    """ExtractResourceValueByContainerName's findContainerInPod."""
    spec = pod.get("spec") or {}
    for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
        if c.get("name") == name:
            return dict(c)
    return default


# -- the container's environment ----------------------------------------------------------------

def kubelet_env(pod: Obj, container: Obj, lookup: Lookup, services: Iterable[Obj] = (),
                node: Optional[Obj] = None) -> Dict[str, str]:
    """makeEnvironmentVariables over plain objects: `lookup(kind, name)` is the data of the
    ConfigMap ("configMap") or Secret ("secret") of the pod's namespace, None if missing;
    `services` every Service the kubelet sees; `node` the pod's node."""
    spec = pod.get("spec") or {}
    links = spec.get("enableServiceLinks") is not False
    services_env = service_env(services, pod["metadata"]["namespace"], links)
    allocatable = ((node or {}).get("status") or {}).get("allocatable") or {}
    env: Dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(key)
            if isinstance(ref, dict):
                data = lookup(kind, ref.get("name") or "") or {}
                prefix = source.get("prefix") or ""
                env.update({prefix + k: v for k, v in data.items() if _NAME.match(prefix + k)})
    for var in container.get("env") or []:
        name = var.get("name")
        if not name:
            continue
        value_from = var.get("valueFrom") or {}
        if var.get("value") or not value_from:
            env[name] = expand(str(var.get("value") or ""), env, services_env)
            continue
        for key, kind in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            ref = value_from.get(key)
            if isinstance(ref, dict):
                values = lookup(kind, ref.get("name") or "")
                if values is not None and ref.get("key") in values:
                    env[name] = values[ref["key"]]
        field = value_from.get("fieldRef")
        if isinstance(field, dict):
            env[name] = _field(pod, str(field.get("fieldPath") or ""), node)
        resource = value_from.get("resourceFieldRef")
        if isinstance(resource, dict):
            target = _named_container(pod, resource["containerName"], container) \
                if resource.get("containerName") else container
            env[name] = resource_value(resource, target, allocatable)
    for key, value in services_env.items():      # the remaining service variables
        env.setdefault(key, value)
    return env


def pod_hostname(pod: Obj) -> str:
    """The HOSTNAME containerd sets: the sandbox config's hostname (kuberuntime_sandbox.go
    generatePodSandboxConfig, kubelet_pods.go GeneratePodHostNameAndDomain and
    truncatePodHostnameIfNeeded: spec.hostname or the pod's name, at most 63 characters
    without a trailing `-` or `.`; the FQDN with setHostnameAsFQDN and a subdomain). A
    hostNetwork pod gets none, and containerd falls back to the node's hostname (the node's
    name here). A StatefulSet's pod has hostname = its name, subdomain = its Service."""
    meta, spec = pod["metadata"], pod.get("spec") or {}
    if spec.get("hostNetwork"):
        return str(spec.get("nodeName") or "")
    hostname = str(spec.get("hostname") or meta.get("name") or "")
    if len(hostname) > 63:
        hostname = hostname[:63].rstrip("-.")
    if spec.get("setHostnameAsFQDN") and spec.get("subdomain"):
        hostname = "%s.%s.%s.svc.%s" % (hostname, spec["subdomain"], meta.get("namespace"),
                                        CLUSTER_DOMAIN)
    return hostname


def _started_at(pod: Obj, name: str) -> Optional[str]:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for s in status.get(key) or []:
            if s.get("name") == name:
                return ((s.get("state") or {}).get("running") or {}).get("startedAt")
    return None


def container_env(store: Any, pod: Obj, container: Obj) -> Dict[str, str]:
    """kubelet_env with the store's ConfigMaps, Secrets, Services and the pod's node. The
    kubelet makes the environment when it starts the container, so a Service created after
    the container's startedAt is not in it (the `kubernetes` Service excepted: its values
    never change)."""
    ns = pod["metadata"]["namespace"]
    started = _started_at(pod, str(container.get("name") or ""))
    services: List[Obj] = [
        s for s in store.list(SERVICE, "default")[0] +
        (store.list(SERVICE, ns)[0] if ns != "default" else [])
        if started is None or
        (s["metadata"]["name"] in MASTER_SERVICES and s["metadata"].get("namespace") == "default")
        or str(s["metadata"].get("creationTimestamp") or "") <= started]
    node = store.peek(NODE, "", (pod.get("spec") or {}).get("nodeName") or "")
    return kubelet_env(pod, container, lambda kind, name: _data(store, kind, ns, name),
                       services, node)


def process_env(store: Any, pod: Obj, container: Obj, host: Mapping[str, str]
                ) -> Dict[str, str]:
    """The runtime's environment for a process in the container: the host's (for the image's
    Env, PATH included), HOSTNAME, then the kubelet's variables."""
    env = dict(host)
    env["HOSTNAME"] = pod_hostname(pod)
    env.update(container_env(store, pod, container))
    return env

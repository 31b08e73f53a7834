"""A container's environment as the kubelet makes it (pkg/kubelet/kubelet_pods.go
makeEnvironmentVariables): envFrom first (every key of the ConfigMap or Secret, with the
prefix; keys that are not valid variable names skipped), then env in order: literal values
with `$(VAR)` expanded from what is defined so far (third_party/forked/golang/expansion:
`$$` is a literal `$`, an undefined `$(X)` stays as written), ConfigMap and Secret keys, the
downward API's fieldRef. Missing objects and keys are podconfig.env_error's business: a
container that runs had them; an optional one missing is skipped."""

import base64
import re
from typing import Any, Dict, Optional

from .podconfig import CONFIGMAP, SECRET

Obj = Dict[str, Any]
_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")     # validation.IsEnvVarName


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


def expand(text: str, env: Dict[str, str]) -> str:
    """expansion.Expand with the variables defined so far."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("$(", i) and ")" in text[i + 2:]:
            end = text.index(")", i + 2)
            name = text[i + 2:end]
            out.append(env[name] if name in env else text[i:end + 1])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _field(pod: Obj, path: str) -> str:
    meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
    m = re.match(r"^metadata\.(labels|annotations)\['(.*)'\]$", path)
    if m:
        return str((meta.get(m.group(1)) or {}).get(m.group(2), ""))
    values = {"metadata.name": meta.get("name"), "metadata.namespace": meta.get("namespace"),
              "metadata.uid": meta.get("uid"), "spec.nodeName": spec.get("nodeName"),
              "spec.serviceAccountName": spec.get("serviceAccountName"),
              "status.podIP": status.get("podIP"), "status.hostIP": status.get("hostIP"),
              "status.podIPs": ",".join(p.get("ip", "") for p in status.get("podIPs") or []),
              "status.hostIPs": ",".join(p.get("ip", "") for p in status.get("hostIPs") or [])}
    return str(values.get(path) or "")


def container_env(store: Any, pod: Obj, container: Obj) -> Dict[str, str]:
    ns = pod["metadata"]["namespace"]
    env: Dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(key)
            if isinstance(ref, dict):
                data = _data(store, kind, ns, ref.get("name") or "") or {}
                prefix = source.get("prefix") or ""
                env.update({prefix + k: v for k, v in data.items() if _NAME.match(prefix + k)})
    for var in container.get("env") or []:
        name = var.get("name")
        if not name:
            continue
        value_from = var.get("valueFrom") or {}
        if not value_from:
            env[name] = expand(str(var.get("value") or ""), env)
            continue
        for key, kind in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            ref = value_from.get(key)
            if isinstance(ref, dict):
                values = _data(store, kind, ns, ref.get("name") or "")
                if values is not None and ref.get("key") in values:
                    env[name] = values[ref["key"]]
        field = value_from.get("fieldRef")
        if isinstance(field, dict):
            env[name] = _field(pod, str(field.get("fieldPath") or ""))
    return env

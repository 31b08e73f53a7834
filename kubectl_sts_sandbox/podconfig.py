"""What a kubelet needs from Secrets and ConfigMaps before it can run a pod's containers.

- Volumes (the secret and configmap volume plugins' SetUp, pkg/volume/secret/secret.go and
  pkg/volume/configmap/configmap.go): a missing object that is not optional fails the mount,
  `MountVolume.SetUp failed for volume "NAME" : secret "X" not found` (event FailedMount); the
  pod stays ContainerCreating. A key listed in `items` that the object lacks fails it too
  (`configmap references non-existent config key: KEY`).
- Environment (pkg/kubelet/kubelet_pods.go makeEnvironmentVariables): envFrom first, then env
  in order; a missing object gives its API error (`secret "X" not found`), a missing key
  `couldn't find key K in Secret NS/NAME` (ConfigMap likewise); optional references are
  skipped. The container waits with reason CreateContainerConfigError and that message
  (kuberuntime startContainer), and the kubelet records Warning Failed "Error: <message>".
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from . import events
from .containers import start_container
from .resources import BY_KIND

SECRET = BY_KIND["Secret"]
CONFIGMAP = BY_KIND["ConfigMap"]
_KINDS = {"secret": (SECRET, "secret", "Secret"), "configMap": (CONFIGMAP, "configmap",
                                                                 "ConfigMap")}


def _keys(obj: dict, kind: str) -> set:
    keys = set(obj.get("data") or {})
    if kind == "configMap":
        keys |= set(obj.get("binaryData") or {})
    return keys


def _volume_sources(volume: dict) -> Iterator[tuple[str, dict]]:
    for kind in ("secret", "configMap"):
        src = volume.get(kind)
        if isinstance(src, dict):
            yield kind, src
    for proj in ((volume.get("projected") or {}).get("sources") or []):
        for kind in ("secret", "configMap"):
            src = (proj or {}).get(kind)
            if isinstance(src, dict):
                yield kind, src


def mount_error(store: Any, pod: dict) -> Optional[tuple[str, str]]:
    """(volume name, message) of the first volume that cannot be set up, or None."""
    ns = pod["metadata"]["namespace"]
    for volume in pod.get("spec", {}).get("volumes") or []:
        for kind, src in _volume_sources(volume):
            rt, word, _ = _KINDS[kind]
            name = src.get("secretName") if kind == "secret" and "secretName" in src \
                else src.get("name")
            obj = store.peek(rt, ns, name or "")
            if obj is None:
                if src.get("optional") is True:
                    continue
                return volume.get("name", ""), 'MountVolume.SetUp failed for volume "%s" : ' \
                    '%s "%s" not found' % (volume.get("name", ""), word, name or "")
            keys = _keys(obj, kind)
            for item in src.get("items") or []:
                if item.get("key") not in keys and src.get("optional") is not True:
                    return volume.get("name", ""), 'MountVolume.SetUp failed for volume ' \
                        '"%s" : %s references non-existent %s key: %s' % (
                            volume.get("name", ""), word, "secret" if kind == "secret"
                            else "config", item.get("key"))
    return None


def env_error(store: Any, pod: dict, container: dict) -> Optional[str]:
    """The error makeEnvironmentVariables gives for `container`, or None."""
    ns = pod["metadata"]["namespace"]
    for source in container.get("envFrom") or []:
        for key, kind in (("configMapRef", "configMap"), ("secretRef", "secret")):
            ref = source.get(key)
            if not isinstance(ref, dict):
                continue
            rt, word, _ = _KINDS[kind]
            missing = store.peek(rt, ns, ref.get("name") or "") is None
            if missing and ref.get("optional") is not True:
                return '%s "%s" not found' % (word, ref.get("name") or "")
    for var in container.get("env") or []:
        value_from = var.get("valueFrom") or {}
        for key, kind in (("configMapKeyRef", "configMap"), ("secretKeyRef", "secret")):
            ref = value_from.get(key)
            if not isinstance(ref, dict):
                continue
            rt, word, title = _KINDS[kind]
            optional = ref.get("optional") is True
            obj = store.peek(rt, ns, ref.get("name") or "")
            if obj is None:
                if optional:
                    continue
                return '%s "%s" not found' % (word, ref.get("name") or "")
            if ref.get("key") not in _keys(obj, kind) and not optional:
                return "couldn't find key %s in %s %s/%s" % (ref.get("key"), title, ns,
                                                            ref.get("name"))
    return None


class ConfigGate:
    """The kubelet's side (a mixin of Kubelet: self.store, self.config and
    self.waiting_config): wait, record the events, and start once the objects exist."""

    store: Any
    config: Any
    waiting_config: set

    def _mount_failed(self, pod: dict, state: Any) -> bool:
        """Secret/configMap volumes that cannot be set up keep the pod ContainerCreating."""
        problem = mount_error(self.store, pod)
        uid = pod["metadata"]["uid"]
        if problem is None:
            state.mount_error = None
            self.waiting_config.discard(uid)
            return False
        self.waiting_config.add(uid)
        if state.mount_error != problem[1]:
            state.mount_error = problem[1]
            events.record(self.store, pod, "Warning", "FailedMount", problem[1], "kubelet",
                          pod["spec"].get("nodeName"))
        return True

    def _create_container(self, pod: dict, container: dict, cs: dict, state: Any,
                          now: float) -> None:
        """Start a container unless its environment cannot be made (CreateContainerConfigError,
        retried when a Secret or ConfigMap changes)."""
        uid = pod["metadata"]["uid"]
        problem = None
        if cs["kind"] != "image-pull-error":
            problem = env_error(self.store, pod, container)
        if problem is None:
            if cs.get("reason") == "CreateContainerConfigError":
                state.started_at = now        # readiness counts from the real start
            start_container(self.store, self.config, pod, container, cs, now)
            if not any(c.get("reason") == "CreateContainerConfigError"
                       for c in state.containers.values()):
                self.waiting_config.discard(uid)
            return
        self.waiting_config.add(uid)
        if cs.get("reason") == "CreateContainerConfigError" and cs.get("message") == problem:
            return
        field = "spec.containers{%s}" % container["name"]
        host = pod["spec"].get("nodeName")
        events.record(self.store, pod, "Normal", "Pulled", 'Container image "%s" already present '
                      'on machine' % container.get("image", ""), "kubelet", host, field)
        events.record(self.store, pod, "Warning", "Failed", "Error: %s" % problem, "kubelet",
                      host, field)
        cs.update(running=False, reason="CreateContainerConfigError", message=problem,
                  next=None)

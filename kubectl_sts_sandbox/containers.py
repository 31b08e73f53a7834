"""The kubelet's container state machine: how a container will behave, starting it (pull,
create, start, with the events a kubelet records) and the timed transitions of a failing one
(crash, back-off, restart; image pull back-off, re-pull).

How a container asks to fail (documented in README). The first three fail the same way on a
real cluster, so tests written with them run on kind too:
- an image under the reserved `.invalid` domain or named `no-such-image` -> image-pull-error
  (ErrImagePull, then ImagePullBackOff);
- a command/args that run `exit 1` (e.g. `["sh", "-c", "exit 1"]`) -> crashloop;
- a readinessProbe whose exec command is `false` (or `/bin/false`) -> never-ready;
- sandbox only: the annotation `sandbox.kubectl-sts.io/behavior` on the pod (template) with
  `crashloop`, `image-pull-error` or `never-ready`, for every container; or an image name
  containing `crashloop` or `never-ready`;
- sandbox only: an image whose reference, as written or normalized as containerd does
  (`mysql:8` -> `docker.io/library/mysql:8`), matches a glob of `Config.missing_images`
  (`kubectl-sts sandbox --missing-images '*:doesnotexist'`) is missing from its registry.
Every other image "pulls" (nothing is pulled). A missing image fails as containerd and the
kubelet report a tag or repository the registry does not have (pkg/kubelet/images/
image_manager.go EnsureImageExists: Pulling, Failed `Failed to pull image "X": ERR`, the
container waits with ErrImagePull, then Back-off pulling image "X" and ImagePullBackOff).

A container's state `cs` is a dict: kind (the behavior), restarts, running, reason, message,
last (lastState), started_at, next (sim time of its next transition), backoff (its count).
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any, Dict, Sequence

from . import events
from .clock import rfc3339

if TYPE_CHECKING:
    from .store import Store

Obj = Dict[str, Any]
BEHAVIOR_ANNOTATION = "sandbox.kubectl-sts.io/behavior"
BEHAVIORS = ("ok", "crashloop", "image-pull-error", "never-ready")


def container_behavior(pod: Obj, container: Obj) -> str:
    """ok, crashloop, image-pull-error or never-ready: how the container will behave."""
    ann = (pod["metadata"].get("annotations") or {}).get(BEHAVIOR_ANNOTATION)
    if ann in BEHAVIORS:
        return ann
    image = container.get("image") or ""
    host = image.split("/")[0] if "/" in image else ""
    if "no-such-image" in image or host.endswith(".invalid"):
        return "image-pull-error"
    script = " ".join(str(part) for part in (container.get("command") or []) +
                      (container.get("args") or []))
    if "exit 1" in script:
        return "crashloop"
    probe = ((container.get("readinessProbe") or {}).get("exec") or {}).get("command") or []
    if probe in (["false"], ["/bin/false"]):
        return "never-ready"
    if "crashloop" in image:
        return "crashloop"
    if "never-ready" in image:
        return "never-ready"
    return "ok"


def normalized_reference(image: str) -> str:
    """The reference containerd pulls (distribution/reference ParseNormalizedNamed and
    TagNameOnly): `mysql` -> `docker.io/library/mysql:latest`, `bitnami/mysql:8` ->
    `docker.io/bitnami/mysql:8`; a first component with `.` or `:`, or `localhost`, is a
    registry host."""
    name, digest = (image.split("@", 1) + [""])[:2]
    first, _, rest = name.partition("/")
    if not rest:
        name = "docker.io/library/" + name
    elif not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + name
    if not digest and ":" not in name.rsplit("/", 1)[-1]:
        name += ":latest"
    return name + ("@" + digest if digest else "")


def is_missing(image: str, patterns: Sequence[str]) -> bool:
    """Whether a glob of `patterns` matches the reference as written or normalized."""
    if not patterns or not image:
        return False
    full = normalized_reference(image)
    return any(fnmatchcase(image, p) or fnmatchcase(full, p) for p in patterns)


def pull_error(image: str) -> str:
    """containerd's error for a reference its registry does not have (the CRI's NotFound),
    as the kubelet's Failed event and the waiting container show it."""
    full = normalized_reference(image)
    return ('rpc error: code = NotFound desc = failed to pull and unpack image "%s": failed '
            'to resolve reference "%s": %s: not found' % (full, full, full))


def start_container(store: Store, config: Any, pod: Obj, container: Obj, cs: Obj,
                    now: float) -> None:
    """Pull, create and start a container (the events a kubelet records), or fail the pull."""
    image = container.get("image", "")
    cname = container["name"]
    field = "spec.containers{%s}" % cname
    host = pod["spec"].get("nodeName")
    if cs["kind"] == "ok" and is_missing(image, getattr(config, "missing_images", ())):
        cs["kind"] = "image-pull-error"
    if cs["kind"] == "image-pull-error":
        error = pull_error(image)
        events.record(store, pod, "Normal", "Pulling", 'Pulling image "%s"' % image,
                      "kubelet", host, field)
        events.record(store, pod, "Warning", "Failed", 'Failed to pull image "%s": %s'
                      % (image, error), "kubelet", host, field)
        events.record(store, pod, "Warning", "Failed", "Error: ErrImagePull", "kubelet",
                      host, field)
        cs.update(running=False, reason="ErrImagePull", message=error,
                  next=now + config.backoff_seconds)
        return
    events.record(store, pod, "Normal", "Pulled", 'Container image "%s" already present '
                  'on machine' % image, "kubelet", host, field)
    events.record(store, pod, "Normal", "Created", "Created container %s" % cname,
                  "kubelet", host, field)
    events.record(store, pod, "Normal", "Started", "Started container %s" % cname,
                  "kubelet", host, field)
    cs.update(running=True, reason=None, message=None, started_at=now, next=None)
    if cs["kind"] == "crashloop":
        cs["next"] = now + config.crash_seconds
    elif cs["kind"] == "never-ready":
        events.record(store, pod, "Warning", "Unhealthy", "Readiness probe failed: "
                      "sandbox: container %s never becomes ready" % cname, "kubelet", host,
                      field)


def cycle(store: Store, config: Any, pod: Obj, container: Obj, cs: Obj, now: float) -> None:
    """A timed transition of a failing container: crash, back-off, restart, re-pull."""
    cname = container["name"]
    field = "spec.containers{%s}" % cname
    host = pod["spec"].get("nodeName")
    backoff = min(config.backoff_seconds * (2 ** cs["backoff"]), config.backoff_seconds * 30)
    if cs["kind"] == "crashloop":
        if cs["running"]:                            # the container exits with an error
            cs["last"] = {"terminated": {"exitCode": 1, "reason": "Error",
                                         "startedAt": rfc3339(cs["started_at"]),
                                         "finishedAt": rfc3339(now),
                                         "containerID": "containerd://sandbox"}}
            cs["restarts"] += 1
            cs.update(running=False, reason="CrashLoopBackOff",
                      message="back-off %ds restarting failed container=%s pod=%s_%s(%s)" % (
                          max(1, int(backoff)), cname, pod["metadata"]["name"],
                          pod["metadata"]["namespace"], pod["metadata"]["uid"]),
                      next=now + backoff)
            cs["backoff"] += 1
            events.record(store, pod, "Warning", "BackOff",
                          "Back-off restarting failed container %s in pod %s_%s(%s)" % (
                              cname, pod["metadata"]["name"], pod["metadata"]["namespace"],
                              pod["metadata"]["uid"]), "kubelet", host, field)
        else:
            start_container(store, config, pod, container, cs, now)
    elif cs["kind"] == "image-pull-error":
        cs["backoff"] += 1
        if cs["reason"] == "ErrImagePull":
            cs.update(reason="ImagePullBackOff",
                      message='Back-off pulling image "%s"' % container.get("image"))
            events.record(store, pod, "Normal", "BackOff", 'Back-off pulling image "%s"'
                          % container.get("image"), "kubelet", host, field)
            events.record(store, pod, "Warning", "Failed", "Error: ImagePullBackOff",
                          "kubelet", host, field)
        else:
            cs["reason"] = "ErrImagePull"
            events.record(store, pod, "Warning", "Failed", "Error: ErrImagePull",
                          "kubelet", host, field)
        cs["next"] = now + backoff

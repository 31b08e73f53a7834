"""Who leads: `--leader-last CMD` runs CMD locally (`sh -c`, with STS_NAMESPACE, STS_NAME,
KUBECONFIG and STS_CONTEXT in its environment); `--leader-exec CMD` runs it in a pod
(`--leader-pod`, default the lowest-ordinal Ready pod; `--container`) through the exec
subresource (client/podexec.py). Either prints the leader's pod name; the core
(core/rollout/order.py) reads it. Shared by `rollout` (OnDelete) and `restart`."""

import os
import subprocess
from typing import Any, Dict, List, Optional, Tuple

from ...errors import StsError

Obj = Dict[str, Any]
LEADER_TIMEOUT = 60.0


class LeaderFailed(StsError):
    """The leader command failed or named no pod of the set (exit 1 before any write; the
    caller maps it to exit 9 once writes began)."""


def spec(local: Optional[str], in_pod: Optional[str], pod: Optional[str],
         container: Optional[str]) -> Optional[Obj]:
    """What to record (and run again on a resumed run); None without a leader command."""
    if local:
        return {"local": local}
    if in_pod:
        return {"exec": in_pod, "pod": pod, "container": container}
    return None


def describe(leader: Optional[Obj]) -> Optional[str]:
    if not leader:
        return None
    if leader.get("local"):
        return leader["local"]
    return "%s (in pod %s)" % (leader.get("exec"), leader.get("pod") or "the lowest-ordinal "
                                                                          "Ready pod")


def ask(conn: Any, name: str, leader: Obj, pods: List[Obj]) -> int:
    """The leader's ordinal, by running its command now."""
    from ...core.rollout.order import OrderError, leader_ordinal
    what = describe(leader)
    if leader.get("local"):
        code, output = _local(conn, name, leader["local"])
    else:
        code, output = _in_pod(conn, name, leader, pods)
    if code != 0:
        last = [line for line in output.splitlines() if line.strip()][-1:] or ["no output"]
        raise LeaderFailed("error: the leader command `%s` failed (exit %d): %s"
                           % (what, code, last[0].strip()[:200]))
    try:
        return leader_ordinal(output, name, [p["metadata"]["name"] for p in pods])
    except OrderError as exc:
        raise LeaderFailed("error: %s (leader command `%s`)" % (exc, what))


def _local(conn: Any, name: str, command: str) -> Tuple[int, str]:
    env = dict(os.environ, STS_NAMESPACE=conn.namespace, STS_NAME=name,
               STS_CONTEXT=conn.context or "")
    kubeconfig = getattr(conn.options, "kubeconfig", None) or os.environ.get("KUBECONFIG")
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    try:
        done = subprocess.run(["sh", "-c", command], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                              timeout=LEADER_TIMEOUT)
    except subprocess.TimeoutExpired:
        return 124, "timed out after %gs" % LEADER_TIMEOUT
    return done.returncode, done.stdout.decode("utf-8", "replace")


def _in_pod(conn: Any, name: str, leader: Obj, pods: List[Obj]) -> Tuple[int, str]:
    from ...client import podexec
    from ...core.pods import is_ready
    from ...k8s.statefulset import pods_by_ordinal
    pod = leader.get("pod")
    if not pod:
        ready = sorted((o, p) for o, p in pods_by_ordinal(name, pods).items()
                       if is_ready(p) and not p["metadata"].get("deletionTimestamp"))
        if not ready:
            raise LeaderFailed("error: no Ready pod of %s to run the leader command in "
                               "(name one with --leader-pod)" % name)
        pod = ready[0][1]["metadata"]["name"]
    return podexec.exec_in_pod(conn, conn.namespace, pod, leader.get("container"),
                               ["sh", "-c", leader["exec"]], LEADER_TIMEOUT)

"""Who leads: the leader command of `--leader-last CMD`, run locally (`sh -c`, localcmd.py, with
STS_NAMESPACE, STS_NAME, KUBECONFIG and STS_CONTEXT in its environment), or of `--leader-exec
CMD`, run in a pod (`--leader-pod`, default the lowest-ordinal Ready pod; `--container`)
through the exec subresource (podexec.py). Its exit code and output go to the core
(core/rollout/order.py leader_answer), which reads the leader's pod name. Shared by `rollout`
(OnDelete) and `restart`."""

from typing import Any, Dict, List, Tuple

from ..errors import StsError
from ..k8s.conditions import pod_ready
from .localcmd import run_sh

Obj = Dict[str, Any]
LEADER_TIMEOUT = 60.0


def run_leader(conn: Any, name: str, leader: Obj, pods: List[Obj],
               env: Dict[str, str]) -> Tuple[int, str]:
    """(exit code, output) of the leader command, run now; `env`: a local command's
    environment (core/rollout/checks.py connection_environment)."""
    if leader.get("local"):
        return _local(leader["local"], env)
    return _in_pod(conn, name, leader, pods)


def _local(command: str, env: Dict[str, str]) -> Tuple[int, str]:
    code, out, err = run_sh(command, env, LEADER_TIMEOUT)
    if code is None:
        return 124, "timed out after %gs" % LEADER_TIMEOUT
    # the leader's name is read from stdout; stderr (a kubectl warning) only tells a failure
    return code, out + err if code else out


def _in_pod(conn: Any, name: str, leader: Obj, pods: List[Obj]) -> Tuple[int, str]:
    from . import podexec
    from ..k8s.statefulset import pods_by_ordinal
    pod = leader.get("pod")
    if not pod:
        ready = sorted((o, p) for o, p in pods_by_ordinal(name, pods).items()
                       if pod_ready(p) and not p["metadata"].get("deletionTimestamp"))
        if not ready:
            raise StsError("error: no Ready pod of %s to run the leader command in (name one "
                           "with --leader-pod)" % name)
        pod = ready[0][1]["metadata"]["name"]
    return podexec.exec_in_pod(conn, conn.namespace, pod, leader.get("container"),
                               ["sh", "-c", leader["exec"]], LEADER_TIMEOUT, stderr=False)

"""The application checks after a step (issue 29): run every check (local `sh -c`, exec in
each updated pod, GET through each updated pod's proxy) until all pass, retried every few
seconds until --check-timeout; then the failure (the caller stops: exit 9, the output's last
lines, the partition where it is). And the leader command's question (ask_leader). Shared by
`rollout` and `restart`. Decisions (environment, verdict, tail, failure, the leader's answer)
are core/rollout/checks.py's and core/rollout/order.py's."""

import os
import threading
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import click

from ..errors import StsError, UsageError

Obj = Dict[str, Any]


def preflight(conn: Any, checks: Sequence[Obj]) -> None:
    """Before any request: a check that cannot run as asked is refused (UsageError)."""
    if any(c["kind"] == "exec" for c in checks):
        from ..client.podexec import impersonation_problem
        problem = impersonation_problem(conn)
        if problem:
            raise UsageError(problem)


def run_checks(run: Any, sts: Obj, ordinals: Sequence[int], partition: int) -> Optional[Obj]:
    """After a step's gate passed: every check of `run.checks` (a session: conn, ns, name,
    checks, check_timeout) until all pass (None), or the failure (core checks.failure)."""
    from ..core.rollout import checks as core
    from ..core.rollout import rollout_state
    if not run.checks or not ordinals:
        return None
    state = rollout_state(sts)
    pods = ["%s-%d" % (run.name, o) for o in ordinals]
    env = core.environment(os.environ, run.ns, run.name, ordinals, state["updateRevision"],
                           partition, _kubeconfig(run.conn), run.conn.context)
    timeout = run.check_timeout
    pause = threading.Event()
    for check in run.checks:
        click.echo("check running: %s on %s" % (core.describe(check), ", ".join(pods)))
        started = time.monotonic()
        attempt, told = 0, ""
        while True:
            attempt += 1
            remaining = max(1.0, started + timeout - time.monotonic())
            ok, output, pod = _attempt(run, check, env, pods, remaining)
            outcome = core.verdict(ok, started, time.monotonic(), timeout)
            if outcome == "passed":
                click.echo("check passed: %s (attempt %d)" % (core.describe(check), attempt))
                break
            said = "%s%s" % ("%s: " % pod if pod else "", core.last_line(output))
            if said != told:                # a line when what it says changes, not each try
                click.echo("check attempt %d failed: %s" % (attempt, said))
                told = said
            if outcome == "failed":
                return core.failure(run.name, ordinals, check, output, pod, timeout)
            pause.wait(core.next_wait(started, time.monotonic(), timeout))   # Ctrl-C stops it
    return None


def _attempt(run: Any, check: Obj, env: Dict[str, str], pods: List[str],
             timeout: float) -> Tuple[bool, str, Optional[str]]:
    """One attempt of one check: (passed, output, the pod that failed it)."""
    if check["kind"] == "local":
        return _local(check["command"], env, timeout) + (None,)
    for pod in pods:
        if check["kind"] == "exec":
            ok, output = _exec(run, check, pod, timeout)
        else:
            ok, output = _http(run, check, pod)
        if not ok:
            return False, output, pod
    return True, "", None


def _local(command: str, env: Dict[str, str], timeout: float) -> Tuple[bool, str]:
    from ..client.localcmd import run_sh
    code, text, _ = run_sh(command, env, timeout, merged=True)
    if code is None:
        return False, text + "\n(timed out after %gs)" % timeout
    if code != 0 and not text.strip():
        text = "exit status %d" % code
    return code == 0, text


def _exec(run: Any, check: Obj, pod: str, timeout: float) -> Tuple[bool, str]:
    from ..client.podexec import exec_in_pod
    try:
        code, output = exec_in_pod(run.conn, run.ns, pod, check.get("container"),
                                   ["sh", "-c", check["command"]], timeout)
    except UsageError:
        raise                       # no attempt can pass: said once
    except StsError as exc:
        return False, exc.message
    if code != 0 and not output.strip():
        output = "exit status %d" % code
    return code == 0, output


def _http(run: Any, check: Obj, pod: str) -> Tuple[bool, str]:
    from ..core.rollout.checks import proxy_path
    path = proxy_path(run.ns, pod, check)
    try:
        response = run.conn.request("GET", path, stream=True, retry=False, timeout=(5, 10))
    except StsError as exc:
        return False, exc.message
    try:
        body = response.read().decode("utf-8", "replace")
    finally:
        response.release_conn()
    return True, body


def _kubeconfig(conn: Any) -> Optional[str]:
    """The kubeconfig a local command is given: the plugin's --kubeconfig, else $KUBECONFIG."""
    return getattr(conn.options, "kubeconfig", None) or os.environ.get("KUBECONFIG")


def ask_leader(conn: Any, name: str, leader: Obj, pods: List[Obj]) -> int:
    """The leader's ordinal: its command run now (client/leader.py) with the connection's
    environment, its answer read by the core (OrderError when it names no pod of the set).
    Shared by rollout (OnDelete) and restart."""
    from ..client.leader import run_leader
    from ..core.rollout.checks import connection_environment
    from ..core.rollout.order import leader_answer
    env = connection_environment(os.environ, conn.namespace, name, _kubeconfig(conn),
                                 conn.context)
    code, output = run_leader(conn, name, leader, pods, env)
    return leader_answer(code, output, name, [p["metadata"]["name"] for p in pods], leader)

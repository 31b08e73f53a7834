"""The fault matrix of issue 27: for each write of resize, restart, repair and rollout, the
write meets a lost answer (reset: applied, answer lost) or a 503 (not applied), or the plugin
is killed (SIGKILL) while that write is pending; then the printed advice is followed (a killed
run is run again) and the set must end consistent: the intended spec, no claim lost (same
uids), every pod Ready, no kubectl-sts lock left. Runs the plugin as a process against the
sandbox (tests/fault_matrix.py)."""

import re
from typing import Any, Dict

import pytest

from fault_matrix import LEASE, follow, killed_while_held, run
from kubectl_sts.errors import (EXIT_CONFLICT, EXIT_ERROR, EXIT_NOT_FOUND,
                                EXIT_UNREACHABLE)
from helpers import create_settled, sts_settled, wait_for
from test_repair_command import _trap

CASES = 0           # how many cases of the matrix ran (issue 27's README counts them)

NEW = "nginx:1.28"
EVICTION = r"/pods/web-\d+/eviction$"


def _matrix(*rows):
    """Rows (method, path regex, fault, exit code, what the output says): the exit code and a
    line of the first run the user sees (after a SIGKILL: the same command run again)."""
    return [pytest.param(*row, id="%s-%s-%s" % row[:3]) for row in rows]


def _claims(core, namespace):
    return {c.metadata.name: c for c in core.list_namespaced_persistent_volume_claim(
        namespace).items}


def _pods(core, namespace):
    return {p.metadata.name: p for p in core.list_namespaced_pod(
        namespace, label_selector="app=web").items}


def _no_lease(core, namespace, killed=None):
    """No run holds the set's lock any more: no lease, or (after a SIGKILL) only the killed
    run's, which nobody renews: it expires by itself (leaseDurationSeconds)."""
    from kubernetes import client
    items: Any = client.CoordinationV1Api(core.api_client).list_namespaced_lease(namespace).items
    leases = {x.metadata.name: x for x in items}
    if LEASE in leases and killed is not None:
        assert leases[LEASE].spec.holder_identity.endswith("/%d" % killed), leases[LEASE]
        return
    assert LEASE not in leases, "the set's lock was left behind: %s" % leases[LEASE]


def _settled(apps, core, namespace, replicas):
    """The set exists, observed, every pod Ready at the update revision; returns the set."""
    items = wait_for(apps.list_namespaced_stateful_set, sts_settled("web", replicas),
                     timeout=60, namespace=namespace)
    sts = items["web"]
    pods = _pods(core, namespace)
    assert sorted(pods) == ["web-%d" % i for i in range(replicas)]
    for pod in pods.values():
        assert pod.metadata.labels["controller-revision-hash"] == \
            sts["status"]["updateRevision"], pod.metadata.name
        assert any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)
    return sts


def _outcome(sandbox, kubeconfig, namespace, argv, fault, method, path, expect):
    """Run ARGV with the fault (or the kill), then the advice; returns (the killed run's pid or
    None, the runs: (argv, exit code, stdout, stderr))."""
    global CASES
    CASES += 1
    path = path.replace("NS", namespace)
    pid = None
    if fault.startswith("kill"):
        nth = 2 if fault == "kill-2nd" else 1
        code, pid = killed_while_held(sandbox, kubeconfig, namespace, argv, method, path, nth)
        assert code == -9
        # the advice names --wait-lock (the dead run's lease expires within 30 s: test_lock.py
        # waits for one that expires) and --force, which takes it over at once
        take = ["--force"]
        steps = follow(kubeconfig, namespace, argv, code, "", "", killed=True, take=take)
    else:
        kinds: Dict[str, Dict[str, Any]] = {"reset": {"reset": True}, "503": {"status": 503}}
        kind = kinds[fault]
        rule = sandbox.faults.add(method=method, path_regex=path, **kind)
        try:
            code, out, err = run(kubeconfig, namespace, argv)
        finally:
            sandbox.faults.remove(rule)
        assert rule.fired, "the fault never fired: %s %s" % (method, path)
        steps = [(argv, code, out, err)] + follow(kubeconfig, namespace, argv, code, out, err,
                                                  killed=False)
    code, says = expect
    assert steps[0][1] == code, steps[0]
    assert says in steps[0][2] + steps[0][3], steps[0]
    assert not any("Traceback" in step[3] for step in steps), steps
    return pid, steps


# -- resize --------------------------------------------------------------------------------------

PATCHED = "may have been applied; the template is unchanged: run the same command again"
LOCKED = "being changed by another kubectl-sts"       # a killed run's lock, until it expires
RESIZE = _matrix(
    ("PATCH", r"/persistentvolumeclaims/data-web-0$", "reset", EXIT_UNREACHABLE,
     "the patch of PVC data-web-0 " + PATCHED),
    ("PATCH", r"/persistentvolumeclaims/data-web-0$", "503", EXIT_ERROR,
     "the patch of PVC data-web-0 " + PATCHED),
    ("PATCH", r"/persistentvolumeclaims/data-web-1$", "reset", EXIT_UNREACHABLE,
     "the patch of PVC data-web-1 " + PATCHED),
    ("PATCH", r"/persistentvolumeclaims/data-web-1$", "503", EXIT_ERROR,
     "the patch of PVC data-web-1 " + PATCHED),
    ("PATCH", r"/persistentvolumeclaims/data-web-2$", "reset", EXIT_UNREACHABLE,
     "the patch of PVC data-web-2 " + PATCHED),
    ("PATCH", r"/persistentvolumeclaims/data-web-2$", "503", EXIT_ERROR,
     "the patch of PVC data-web-2 " + PATCHED),
    ("DELETE", r"/namespaces/NS/statefulsets/web$", "reset", 0,
     "the answer to the delete of statefulset web was lost"),
    ("DELETE", r"/namespaces/NS/statefulsets/web$", "503", EXIT_ERROR,
     "the delete of statefulset web was not applied"),
    ("DELETE", r"/namespaces/NS/statefulsets/web$", "kill", EXIT_NOT_FOUND,
     "statefulset web is missing; finish the interrupted resize with: kubectl sts resize web "
     "--size 2Gi --resume"),
    ("POST", r"/namespaces/NS/statefulsets$", "reset", 0,
     "the answer to creating statefulset web was lost"),
    ("POST", r"/namespaces/NS/statefulsets$", "503", EXIT_ERROR,
     "statefulset web is back as it was (its volumes have the new size, its template not): "
     "run the same command again"),
    ("POST", r"/namespaces/NS/statefulsets$", "kill", EXIT_CONFLICT, LOCKED),
)


@pytest.mark.parametrize("method, path, fault, code, says", RESIZE)
def test_resize(method, path, fault, code, says, sandbox, apps, core, namespace, kubeconfig,
                tmp_path):
    create_settled(apps, core, namespace, replicas=3, pod_management="Parallel")
    claims = {n: c.metadata.uid for n, c in _claims(core, namespace).items()}
    pods = {n: p.metadata.uid for n, p in _pods(core, namespace).items()}
    argv = ["resize", "web", "--size", "2Gi", "--yes", "--backup", str(tmp_path / "web.json")]
    killed, _ = _outcome(sandbox, kubeconfig, namespace, argv, fault, method, path,
                         (code, says))
    sts = _settled(apps, core, namespace, 3)
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"] == \
        {"storage": "2Gi"}
    now = _claims(core, namespace)
    assert {n: c.metadata.uid for n, c in now.items()} == claims        # none lost or replaced
    assert {n: c.spec.resources.requests["storage"] for n, c in now.items()} == \
        dict.fromkeys(claims, "2Gi")
    assert {n: p.metadata.uid for n, p in _pods(core, namespace).items()} == pods  # no restart
    _no_lease(core, namespace, killed)


# -- restart -------------------------------------------------------------------------------------

def _evictions(sandbox, namespace):
    """Applied evictions per pod name (a reset is applied: the log holds its real answer)."""
    done: Dict[str, int] = {}
    for entry in list(sandbox.request_log):
        hit = re.search(r"/namespaces/%s/pods/(web-\d+)/eviction$" % namespace, entry["path"])
        if hit and entry["method"] == "POST" and entry["code"] in (200, 201):
            done[hit.group(1)] = done.get(hit.group(1), 0) + 1
    return done


@pytest.mark.parametrize("method, path, fault, code, says", _matrix(
    ("POST", EVICTION, "reset", EXIT_UNREACHABLE, "web-2 was evicted all the same (the "
     "controller recreates it); restarted: none; continue with: kubectl sts restart web "
     "--ordinals 1,0"),
    ("POST", EVICTION, "503", EXIT_ERROR, "web-2 was not evicted; restarted: none; continue "
     "with: kubectl sts restart web --ordinals 2,1,0"),
    ("POST", EVICTION, "kill-2nd", EXIT_CONFLICT, LOCKED)))
def test_restart(method, path, fault, code, says, sandbox, apps, core, namespace,
                 kubeconfig):
    create_settled(apps, core, namespace, replicas=3, pod_management="Parallel")
    claims = {n: c.metadata.uid for n, c in _claims(core, namespace).items()}
    pods = {n: p.metadata.uid for n, p in _pods(core, namespace).items()}
    argv = ["restart", "web", "--yes", "--settle", "0s"]
    killed, _ = _outcome(sandbox, kubeconfig, namespace, argv, fault, method, path,
                         (code, says))
    _settled(apps, core, namespace, 3)
    now = {n: p.metadata.uid for n, p in _pods(core, namespace).items()}
    assert all(now[n] != pods[n] for n in pods), "a pod was not restarted"
    times = _evictions(sandbox, namespace)
    assert set(times) == set(pods)
    if fault != "kill-2nd":
        assert times == dict.fromkeys(pods, 1), times       # each pod restarted exactly once
    else:
        # a killed run leaves no record of what it did: the same command run again restarts
        # every pod, so those evicted before the kill (web-2, and web-1 whose held eviction
        # was served after it) restart twice; nothing is lost, every pod ends Ready
        assert times == {"web-2": 2, "web-1": 2, "web-0": 1}, times
    assert {n: c.metadata.uid for n, c in _claims(core, namespace).items()} == claims
    _no_lease(core, namespace, killed)


# -- repair --------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, fault, code, says", _matrix(
    ("DELETE", r"/namespaces/NS/pods/web-1$", "reset", 0,
     "but a fresh read shows it was applied"),
    ("DELETE", r"/namespaces/NS/pods/web-1$", "503", EXIT_ERROR,
     "not done; done: nothing; continue with: kubectl sts repair web --ordinal 1")))
def test_repair(method, path, fault, code, says, sandbox, apps, core, namespace,
                kubeconfig):
    stuck = _trap(apps, core, namespace)
    claims = {n: c.metadata.uid for n, c in _claims(core, namespace).items()}
    argv = ["repair", "web", "--ordinal", "1", "--yes", "--timeout", "60s"]
    killed, _ = _outcome(sandbox, kubeconfig, namespace, argv, fault, method, path,
                         (code, says))
    _settled(apps, core, namespace, 2)
    assert _pods(core, namespace)["web-1"].metadata.uid != stuck.metadata.uid
    assert {n: c.metadata.uid for n, c in _claims(core, namespace).items()} == claims
    _no_lease(core, namespace, killed)


# -- rollout -------------------------------------------------------------------------------------

PARTITION = r"/namespaces/NS/statefulsets/web$"


@pytest.mark.parametrize("method, path, fault, code, says", _matrix(
    ("PUT", PARTITION, "reset", 0, "rollout of web complete: all 3 ordinals run revision"),
    ("PUT", PARTITION, "503", EXIT_ERROR, "; set partition 2 was not applied: web stays at "
     "partition 3; run the same command again to go on"),
    ("PUT", PARTITION, "kill-2nd", EXIT_CONFLICT, LOCKED)))
def test_rollout(method, path, fault, code, says, sandbox, apps, core, namespace,
                 kubeconfig):
    create_settled(apps, core, namespace, replicas=3, pod_management="Parallel")
    claims = {n: c.metadata.uid for n, c in _claims(core, namespace).items()}
    staged, out, err = run(kubeconfig, namespace, ["rollout", "web", "--image", "app=" + NEW])
    assert staged == 0 and "staged" in out, err
    argv = ["rollout", "web", "--all", "--yes", "--settle", "0s", "--timeout", "60s"]
    killed, _ = _outcome(sandbox, kubeconfig, namespace, argv, fault, method, path,
                         (code, says))
    sts = _settled(apps, core, namespace, 3)
    assert sts["spec"]["template"]["spec"]["containers"][0]["image"] == NEW
    assert {p.spec.containers[0].image for p in _pods(core, namespace).values()} == {NEW}
    assert {n: c.metadata.uid for n, c in _claims(core, namespace).items()} == claims
    _no_lease(core, namespace, killed)

"""`kubectl sts restart` end to end: evictions, one ordinal at a time, no template write."""

import json

from builders import pdb
from helpers import create_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_REFUSED, EXIT_ROLLOUT_FAILED


def _create(apps, core, namespace, replicas=4, **kwargs):
    return create_settled(apps, core, namespace, replicas=replicas, **kwargs)


def _restart(capsys, kubeconfig, namespace, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "restart", "web"] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _uids(core, namespace):
    return {p.metadata.name: p.metadata.uid for p in core.list_namespaced_pod(
        namespace, label_selector="app=web").items}


def _revisions(apps, namespace):
    return sorted(r.metadata.name for r in apps.list_namespaced_controller_revision(
        namespace).items)


def _pdb(kubectl, **spec):
    doc = pdb(**spec)
    assert kubectl("create", "-f", "-", input=json.dumps(doc)).returncode == 0


def _budget_observed(apps, namespace, pods):
    from kubernetes import client
    policy = client.PolicyV1Api(apps.api_client)
    wait_for(policy.list_namespaced_pod_disruption_budget,
             lambda items: (items["web"].get("status") or {}).get("currentHealthy") == pods,
             timeout=30, namespace=namespace)


def _evictions(sandbox, since, namespace):
    return [e["path"].split("/")[-2] for e in sandbox.request_log[since:]
            if e["method"] == "POST" and e["path"].endswith("/eviction") and
            namespace in e["path"]]


def test_every_pod_restarts_in_order_one_at_a_time_without_a_new_revision(
        sandbox, apps, core, namespace, kubeconfig, kubectl, capsys):
    _create(apps, core, namespace, partition=2)
    _pdb(kubectl, maxUnavailable=1)
    _budget_observed(apps, namespace, 4)
    before, revisions = _uids(core, namespace), _revisions(apps, namespace)
    mark = len(sandbox.request_log)
    code, out, err = _restart(capsys, kubeconfig, namespace, "--yes", "--timeout", "60s")
    assert code == 0, err
    after = _uids(core, namespace)
    assert set(after) == set(before) and all(after[n] != before[n] for n in before)
    assert _evictions(sandbox, mark, namespace) == ["web-3", "web-2", "web-1", "web-0"]
    # one at a time: the budget (maxUnavailable 1) never had to refuse an eviction
    assert "refused by its PodDisruptionBudget" not in err
    assert _revisions(apps, namespace) == revisions
    assert out.rstrip().endswith("restart of web complete: web-3, web-2, web-1, web-0 "
                                 "restarted, one at a time")
    assert not [e for e in sandbox.request_log[mark:] if e["method"] in ("PUT", "PATCH") and
                "/statefulsets/" in e["path"]]


def test_a_budget_that_never_allows_is_refused_by_name(sandbox, apps, core, namespace,
                                                       kubeconfig, kubectl, capsys):
    _create(apps, core, namespace, replicas=2)
    _pdb(kubectl, maxUnavailable=0)
    _budget_observed(apps, namespace, 2)
    before = _uids(core, namespace)
    mark = len(sandbox.request_log)
    code, out, err = _restart(capsys, kubeconfig, namespace, "--yes")
    assert code == EXIT_REFUSED
    assert err.strip().splitlines()[-1] == (
        "error: refused: PodDisruptionBudget web allows no disruption even with every pod "
        "healthy (maxUnavailable: 0; disruptionsAllowed 0): no eviction can pass it (--force "
        "deletes the pods instead); nothing was changed")
    assert _evictions(sandbox, mark, namespace) == []
    assert _uids(core, namespace) == before


def test_ondelete_pods_restart_too(apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, replicas=2, strategy="OnDelete")
    before = _uids(core, namespace)
    code, out, err = _restart(capsys, kubeconfig, namespace, "--ordinals", "0,1", "--yes")
    assert code == 0, err
    assert "pod/web-0 evicted" in out and out.index("web-0 evicted") < out.index("web-1 evicted")
    after = _uids(core, namespace)
    assert all(after[n] != before[n] for n in before)


def test_a_pod_failing_after_its_restart_stops_the_run(apps, core, namespace, kubeconfig,
                                                       capsys):
    _create(apps, core, namespace, replicas=2, strategy="OnDelete")
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": "registry.invalid/nope:1"}]}}}})
    wait_for(apps.list_namespaced_stateful_set, lambda items: (items["web"].get("status") or {})
             .get("updateRevision") != (items["web"].get("status") or {}).get("currentRevision"),
             timeout=30, namespace=namespace)
    before = _uids(core, namespace)
    code, out, err = _restart(capsys, kubeconfig, namespace, "--yes", "--timeout", "60s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert "Note: web-1 runs" in out and "comes back at" in out
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: web-1 failed after its restart: ")
    assert line.endswith("; the next ordinals were not restarted")
    assert _uids(core, namespace)["web-0"] == before["web-0"]


def test_dry_runs_evict_nothing(sandbox, apps, core, namespace, kubeconfig, capsys):
    _create(apps, core, namespace, replicas=2)
    before = _uids(core, namespace)
    mark = len(sandbox.request_log)
    code, out, err = _restart(capsys, kubeconfig, namespace, "--dry-run")
    assert code == 0, err
    assert "dry-run (client): nothing was sent" in out
    assert _evictions(sandbox, mark, namespace) == []
    code, out, err = _restart(capsys, kubeconfig, namespace, "--dry-run=server")
    assert code == 0, err
    assert _evictions(sandbox, mark, namespace) == ["web-1", "web-0"]
    assert _uids(core, namespace) == before


SLOW = {"sandbox.kubectl-sts.io/ready-after": "3s"}


def _slow_set(apps, core, namespace, replicas):
    create_settled(apps, core, namespace, replicas=replicas, pod_management="Parallel",
                   pod_annotations=SLOW)


def test_a_budget_that_refuses_for_now_is_waited_for(sandbox, apps, core, namespace,
                                                     kubeconfig, kubectl, capsys):
    """Someone else's eviction took the only disruption: the restart names the budget, backs
    off, and goes on once the other pod is back."""
    from helpers import raw
    _slow_set(apps, core, namespace, 3)
    _pdb(kubectl, maxUnavailable=1)
    _budget_observed(apps, namespace, 3)
    code, _ = raw(apps.api_client, "POST", "/api/v1/namespaces/%s/pods/web-2/eviction"
                  % namespace, body={"apiVersion": "policy/v1", "kind": "Eviction",
                                     "metadata": {"name": "web-2"}})
    assert code == 201
    before = _uids(core, namespace)
    code, out, err = _restart(capsys, kubeconfig, namespace, "--ordinals", "1", "--yes",
                              "--timeout", "60s")
    assert code == 0, err
    assert "web-1: eviction refused by its PodDisruptionBudget (web): The disruption budget " \
        "web needs 2 healthy pods and has 2 currently; waiting" in err
    assert _uids(core, namespace)["web-1"] != before["web-1"]


def test_an_interrupted_restart_says_what_is_left(sandbox, apps, core, namespace, kubeconfig):
    import os
    import signal
    import subprocess
    import sys
    import time
    _slow_set(apps, core, namespace, 3)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig, "-n", namespace,
         "restart", "web", "--yes"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(os.environ, PYTHONPATH=root))
    deadline = time.monotonic() + 30
    while not _evictions(sandbox, 0, namespace):      # web-2 evicted: it comes back slowly
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted while web-2 comes back (it was evicted; the controller recreates it)" \
        in err
    assert "continue with: kubectl sts restart web --ordinals 1,0" in err
    assert "Traceback" not in err


def _restart_with_fault(sandbox, capsys, kubeconfig, namespace, **fault):
    """`restart web --yes` while the first eviction of web-1 meets `fault`."""
    rule = sandbox.faults.add(method="POST", path_regex=r"/namespaces/%s/pods/web-1/eviction$"
                              % namespace, **fault)
    try:
        return _restart(capsys, kubeconfig, namespace, "--yes", "--timeout", "60s")
    finally:
        sandbox.faults.remove(rule)


def test_an_eviction_whose_answer_is_lost_says_what_was_done_and_how_to_continue(
        sandbox, apps, core, namespace, kubeconfig, capsys):
    # the eviction of web-1 is applied, then its connection is reset before the answer: it
    # may have been applied, so the pod is read again (it was), and the advice leaves it out
    from kubectl_sts.errors import EXIT_UNREACHABLE
    _create(apps, core, namespace, replicas=3)
    code, out, err = _restart_with_fault(sandbox, capsys, kubeconfig, namespace, reset=True)
    assert code == EXIT_UNREACHABLE, err
    assert "pod/web-2 is back" in out
    assert err.strip().splitlines()[-1].endswith(
        "; web-1 was evicted all the same (the controller recreates it); restarted: web-2; "
        "continue with: kubectl sts restart web --ordinals 0"), err


def test_a_500_mid_run_says_what_was_done_and_how_to_continue(sandbox, apps, core, namespace,
                                                              kubeconfig, capsys):
    from kubectl_sts.errors import EXIT_ERROR
    _create(apps, core, namespace, replicas=3)
    before = _uids(core, namespace)
    code, out, err = _restart_with_fault(sandbox, capsys, kubeconfig, namespace, status=500)
    assert code == EXIT_ERROR, err
    assert err.strip().splitlines()[-1].endswith(
        "; web-1 was not evicted; restarted: web-2; continue with: kubectl sts restart web "
        "--ordinals 1,0"), err
    assert _uids(core, namespace)["web-1"] == before["web-1"]

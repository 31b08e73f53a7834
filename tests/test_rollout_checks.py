"""Application checks between steps (issue 29) on the sandbox: `--check CMD` run here,
`--check-exec CMD` in each updated pod (a ClusterExec mapping runs it on this host),
`--check-http PORT/PATH` through the pod proxy (a Proxy mapping answers), the refusal before
any write when RBAC forbids pods/exec, the checks recorded on the set for a resumed rollout, and
`restart --check`."""

import json
import shlex
import uuid

import pytest

from builders import statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.core.rollout import STATE_ANNOTATION
from kubectl_sts.errors import EXIT_FORBIDDEN, EXIT_ROLLOUT_FAILED
from kubectl_sts_sandbox.podaccess import PodAccess
from reach import mapping
from test_least_privilege import bind

NEW = "nginx:1.28"
WRITES = ("POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def sts(sandbox, apps, namespace, kubeconfig, capsys):
    """A settled 3-replica set `web` with a new image staged (partition 3); returns the runner
    of `kubectl sts ...` in-process: (exit code, stdout, stderr)."""
    def run(*args):
        capsys.readouterr()
        code = main(["--kubeconfig", kubeconfig, "-n", namespace] + list(args))
        out, err = capsys.readouterr()
        return code, out, err
    apps.create_namespaced_stateful_set(namespace, statefulset(
        replicas=3, claims=(), pod_labels={"exec": "on"}))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 3), namespace=namespace,
             timeout=60)
    code, _, err = run("rollout", "web", "--image", "app=" + NEW, "--yes")
    assert code == 0, err
    return run


def read(apps, namespace):
    return json.loads(apps.read_namespaced_stateful_set("web", namespace,
                                                        _preload_content=False).data)


def partition(apps, namespace):
    return read(apps, namespace)["spec"]["updateStrategy"]["rollingUpdate"]["partition"]


def writes_after(sandbox, start, namespace):
    return [(e["method"], e["path"]) for e in list(sandbox.request_log)[start:]
            if e["method"] in WRITES and "/namespaces/%s/" % namespace in e["path"]
            and "leases" not in e["path"]]


def test_failing_local_check_halts_at_the_steps_partition(sandbox, apps, namespace, sts):
    start = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--all", "--settle", "0s", "--yes",
                         "--check", "echo replica lag 42; exit 3", "--check-timeout", "1s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert partition(apps, namespace) == 2
    assert "check running: check 'echo replica lag 42; exit 3' on web-2" in out
    assert "check attempt 1 failed: replica lag 42" in out
    assert "error: step failed: web-2 (ordinal 2) failed its check" in err
    assert "replica lag 42" in err and "The partition stays at 2" in err
    # one partition write (3 -> 2), nothing after it
    puts = writes_after(sandbox, start, namespace)
    assert [m for m, p in puts if "statefulsets" in p] == ["PUT"]


def test_passing_check_goes_on_and_sees_the_step(sandbox, apps, namespace, sts, tmp_path,
                                                 kubeconfig):
    seen = tmp_path / "env"
    command = "env | grep -E '^(STS_|KUBECONFIG=)' | sort >> %s; echo ---- >> %s" % (
        shlex.quote(str(seen)), shlex.quote(str(seen)))
    code, out, err = sts("rollout", "web", "--to", "1", "--settle", "0s", "--yes",
                         "--check", command)
    assert code == 0, err
    assert partition(apps, namespace) == 1
    assert out.count("check passed: check ") == 2
    revision = read(apps, namespace)["status"]["updateRevision"]
    steps = seen.read_text().split("----\n")[:2]
    first = dict(line.split("=", 1) for line in steps[0].splitlines())
    assert first == {"KUBECONFIG": kubeconfig, "STS_CONTEXT": first["STS_CONTEXT"],
                     "STS_NAME": "web", "STS_NAMESPACE": namespace, "STS_ORDINALS": "2",
                     "STS_PARTITION": "2", "STS_PODS": "web-2", "STS_REVISION": revision}
    second = dict(line.split("=", 1) for line in steps[1].splitlines())
    assert (second["STS_PODS"], second["STS_PARTITION"]) == ("web-1", "1")
    assert second["STS_CONTEXT"]


def test_dry_run_shows_the_checks(sts):
    code, out, err = sts("rollout", "web", "--all", "--dry-run", "client",
                         "--check", "true", "--check-http", "8080/healthz")
    assert code == 0, err
    assert "check 'true'" in out
    assert "check-http GET :8080/healthz on each updated pod" in out


@pytest.fixture
def execs(sandbox, namespace, tmp_path):
    """The set's pods' commands run on this host, in tmp_path (a ClusterExec mapping)."""
    config = sandbox.cluster.config
    kept = config.pod_access
    config.pod_access = PodAccess([{
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "ClusterExec",
        "metadata": {"name": "host-" + uuid.uuid4().hex[:6]},
        "spec": {"selector": {"matchNamespaces": [namespace], "matchLabels": {"exec": "on"}},
                 "execs": [{"containers": ["app"], "local": {"workDir": str(tmp_path)}}]}}])
    yield tmp_path
    config.pod_access = kept


def test_check_exec_failing_halts(apps, namespace, sts, execs):
    code, out, err = sts("rollout", "web", "--all", "--settle", "0s", "--yes",
                         "--check-exec", "echo Seconds_Behind_Source: 9; exit 1",
                         "--check-timeout", "1s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert partition(apps, namespace) == 2
    assert "check attempt 1 failed: web-2: Seconds_Behind_Source: 9" in out
    assert "failed its check-exec" in err


@pytest.fixture
def proxied(sandbox, namespace):
    """Port 8080 of web-2 answers /healthz 200, /ready 503."""
    sandbox.cluster.config.pod_access.add(mapping("Proxy", namespace, "web-2", [
        {"port": 8080, "path": "/healthz", "body": "ok"},
        {"port": 8080, "path": "/ready", "status": 503, "body": "warming up"}]))


@pytest.mark.parametrize("flag,value,passed", [
    ("--check-exec", "echo ran >> ran", "check passed: check-exec 'echo ran >> ran'"),
    ("--check-http", "8080/healthz", "check passed: check-http GET :8080/healthz"),
])
def test_pod_checks_pass(apps, namespace, sts, execs, proxied, flag, value, passed):
    code, out, err = sts("rollout", "web", "--step", "--settle", "0s", "--yes", flag, value)
    assert code == 0, err
    assert partition(apps, namespace) == 2
    assert passed in out
    # the exec ran in web-2 (the mapping runs it in the test's directory)
    assert (execs / "ran").exists() == (flag == "--check-exec")


def test_check_http_failing_halts(apps, namespace, sts, proxied):
    code, out, err = sts("rollout", "web", "--step", "--settle", "0s", "--yes",
                         "--check-http", "app:8080/ready", "--check-timeout", "1s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert partition(apps, namespace) == 2
    assert "check attempt 1 failed: web-2: " in out and "warming up" in out
    assert "failed its check-http GET :8080/ready" in err


def test_resume_runs_the_recorded_checks(sandbox, apps, namespace, sts, tmp_path):
    flag = tmp_path / "in-sync"
    check = "test -e %s || { echo replica behind; exit 1; }" % shlex.quote(str(flag))
    code, _, err = sts("rollout", "web", "--step", "--settle", "0s", "--yes",
                       "--check", check, "--check-timeout", "1s")
    assert code == EXIT_ROLLOUT_FAILED
    saved = json.loads(read(apps, namespace)["metadata"]["annotations"][STATE_ANNOTATION])
    assert saved["checks"] == [{"kind": "local", "command": check}]
    assert saved["checkTimeout"] == 1
    # resumed without flags: the halted step's pod is checked again first, nothing written
    start = len(sandbox.request_log)
    code, out, err = sts("rollout", "web", "--step", "--settle", "0s", "--yes")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert "resuming with the checks recorded on web" in out
    assert "check running: check %r on web-2" % check in out
    assert partition(apps, namespace) == 2
    assert not writes_after(sandbox, start, namespace)
    # once it passes, the rollout goes on, with the same check on the next step
    flag.write_text("")
    code, out, err = sts("rollout", "web", "--step", "--settle", "0s", "--yes")
    assert code == 0, err
    assert "check running: check %r on web-2" % check in out
    assert "check running: check %r on web-1" % check in out
    assert partition(apps, namespace) == 1


def test_plan_shows_recorded_checks(sts):
    code, _, err = sts("rollout", "web", "--step", "--settle", "0s", "--yes",
                       "--check", "true")
    assert code == 0, err
    code, out, err = sts("rollout", "web")
    assert code == 0, err
    assert "check 'true'" in out


def test_check_needs_a_step(sts):
    code, _, err = sts("rollout", "web", "--hold", "--check", "true")
    assert code != 0 and "apply to --step" in err


def test_exec_forbidden_refuses_before_any_write(sandbox, apps, core, namespace, sts,
                                                 tmp_path, capsys):
    from kubernetes import client
    rbac = client.RbacAuthorizationV1Api(core.api_client)
    from kubectl_sts.core.permissions import rules_for
    rules = [r for r in rules_for("rollout --step --check-exec") if "pods/exec" not in
             r.resources]
    user = "chk-" + uuid.uuid4().hex[:6]
    bind(rbac, user, rules, namespace)
    path = sandbox.user_kubeconfig(str(tmp_path / "u.kubeconfig"), user, namespace=namespace)
    start = len(sandbox.request_log)
    code = main(["--kubeconfig", path, "rollout", "web", "--step", "--yes",
                 "--check-exec", "true"])
    err = capsys.readouterr().err
    assert code == EXIT_FORBIDDEN
    assert len(err.strip().splitlines()) == 1
    assert 'resource "pods/exec"' in err and "rollout needs it" in err
    assert partition(apps, namespace) == 3
    assert not writes_after(sandbox, start, namespace)


def test_restart_check_runs_after_each_pod(apps, namespace, sts, tmp_path):
    seen = tmp_path / "pods"
    code, out, err = sts("restart", "web", "--ordinals", "2,1", "--yes",
                         "--check", "echo $STS_PODS >> %s" % shlex.quote(str(seen)))
    assert code == 0, err
    assert "check 'echo $STS_PODS >> " in out
    assert seen.read_text().split() == ["web-2", "web-1"]


def test_restart_failing_check_stops(apps, namespace, sts, core):
    before = {p.metadata.name: p.metadata.uid
              for p in core.list_namespaced_pod(namespace).items}
    code, out, err = sts("restart", "web", "--ordinals", "2,1", "--yes",
                         "--check", "echo not in sync; false", "--check-timeout", "1s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert "web-2 failed its check 'echo not in sync; false'" in err
    assert "not in sync" in err and "the next ordinals were not restarted" in err
    after = {p.metadata.name: p.metadata.uid
             for p in core.list_namespaced_pod(namespace).items}
    assert after["web-1"] == before["web-1"]


def test_failing_check_with_on_failure_undo(apps, namespace, sts):
    code, out, err = sts("rollout", "web", "--all", "--settle", "0s", "--yes",
                         "--on-failure=undo", "--check", "false", "--check-timeout", "1s")
    assert code == EXIT_ROLLOUT_FAILED, err
    assert "failed its check 'false'" in err
    assert "--on-failure=undo: undoing the rollout" in err
    sts_now = read(apps, namespace)
    assert sts_now["spec"]["template"]["spec"]["containers"][0]["image"] != NEW


@pytest.mark.parametrize("verb", ["rollout", "restart"])
def test_check_exec_refuses_impersonation_before_any_request(sandbox, apps, namespace, sts,
                                                             verb):
    start = len(sandbox.request_log)
    args = [verb, "web", "--yes", "--check-exec", "true", "--as", "someone"]
    code, _, err = sts(*(args + (["--step"] if verb == "rollout" else [])))
    assert code != 0 and "(--check-exec, --leader-exec) cannot impersonate" in err
    assert len(err.strip().splitlines()) == 1
    assert not [e for e in list(sandbox.request_log)[start:] if namespace in e["path"]]
    assert partition(apps, namespace) == 3


def ondelete_od(apps, namespace):
    """OnDelete set `od` of 2, settled, its template changed (nothing replaced yet)."""
    apps.create_namespaced_stateful_set(namespace, statefulset(
        name="od", replicas=2, claims=(), strategy="OnDelete"))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("od", 2), namespace=namespace,
             timeout=60)
    apps.patch_namespaced_stateful_set("od", namespace, {"spec": {"template": {"spec": {
        "containers": [{"name": "app", "image": NEW}]}}}})


def test_ondelete_step_runs_the_check_on_the_replaced_pod(apps, namespace, kubeconfig, capsys,
                                                          tmp_path):
    ondelete_od(apps, namespace)
    seen = tmp_path / "pods"
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "rollout", "od", "--step",
                 "--settle", "0s", "--yes", "--check",
                 "echo $STS_PODS >> %s" % shlex.quote(str(seen))])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "check passed: check 'echo $STS_PODS" in out
    assert seen.read_text().split() == ["od-1"]


@pytest.mark.parametrize("flags,order", [([], ["od-1", "od-0"]),
                                         (["--order", "0,1"], ["od-0", "od-1"])])
def test_ondelete_all_checks_each_replaced_pod_in_its_order(apps, namespace, kubeconfig,
                                                            capsys, tmp_path, flags, order):
    """Highest first or in --order: each replaced pod is checked before the next goes."""
    ondelete_od(apps, namespace)
    seen = tmp_path / "pods"
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "rollout", "od", "--all",
                 "--settle", "0s", "--yes", "--check",
                 "echo $STS_PODS >> %s" % shlex.quote(str(seen))] + flags)
    out, err = capsys.readouterr()
    assert code == 0, err
    assert seen.read_text().split() == order

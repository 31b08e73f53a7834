"""podaccess.py: which Logs/Exec document maps a pod (kwok's precedence and selectors), the
documents' checks, reading `--config` files; and `kubectl sts sandbox --config FILE` serving
what they map to the real kubectl."""

import contextlib
import os
import signal
import subprocess
import sys

import pytest
import yaml

from kubectl_sts_sandbox.podaccess import PodAccess, PodAccessError, is_pod_access, read_files

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KWOK = "kwok.x-k8s.io/v1alpha1"


def _pod(name="web-0", namespace="default", labels=None):
    return {"metadata": {"name": name, "namespace": namespace, "labels": labels or {}}}


def _logs(name, namespace=None, file="/a"):
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": KWOK, "kind": "Logs", "metadata": meta,
            "spec": {"logs": [{"logsFile": file}]}}


def _cluster_logs(selector, file):
    return {"apiVersion": KWOK, "kind": "ClusterLogs", "metadata": {"name": "c"},
            "spec": {"selector": selector, "logs": [{"logsFile": file}]}}


def _file(access, pod):
    spec = access.spec_for("Logs", pod)
    return spec["logs"][0]["logsFile"] if spec else None


@pytest.mark.parametrize("selector,pod,maps", [
    ({}, _pod(), True),
    ({"matchNamespaces": ["prod"]}, _pod(namespace="prod"), True),
    ({"matchNamespaces": ["prod"]}, _pod(), False),
    ({"matchNames": ["web-1"]}, _pod(), False),
    ({"matchLabels": {"app": "web"}}, _pod(labels={"app": "web"}), True),
    ({"matchLabels": {"app": "web"}}, _pod(labels={"app": "db"}), False),
    ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web", "db"]}]},
     _pod(labels={"app": "db"}), True),
    ({"matchExpressions": [{"key": "app", "operator": "Bogus"}]}, _pod(), False),
])
def test_cluster_selectors(selector, pod, maps):
    access = PodAccess([_cluster_logs(selector, "/c")])
    assert (_file(access, pod) == "/c") is maps


def test_namespaced_documents_come_first_then_the_order_given():
    access = PodAccess([_cluster_logs({}, "/first"), _cluster_logs({}, "/second"),
                        _logs("web-0", file="/own"), _logs("web-0", "other", file="/other")])
    assert _file(access, _pod()) == "/own"            # namespace defaults to default
    assert _file(access, _pod(namespace="other")) == "/other"
    assert _file(access, _pod("web-1")) == "/first"
    assert access.spec_for("Exec", _pod()) is None


@pytest.mark.parametrize("doc,message", [
    ({"apiVersion": "v1", "kind": "Pod"}, "not a pod access document: apiVersion 'v1', kind "
                                          "'Pod'"),
    ({"apiVersion": KWOK, "kind": "Logs", "metadata": {}, "spec": {"logs": []}},
     "Logs: metadata.name (the pod's name) is required"),
    ({"apiVersion": KWOK, "kind": "Exec", "metadata": {"name": "p"}, "spec": {}},
     "Exec p: spec.execs must be a list"),
    ({"apiVersion": KWOK, "kind": "ClusterExec", "spec": {"execs": [], "selector": ["app"]}},
     "ClusterExec: spec.selector must be an object"),
])
def test_documents_refused(doc, message):
    with pytest.raises(PodAccessError) as info:
        PodAccess([doc])
    assert str(info.value) == message


def test_which_kinds_are_pod_access():
    assert is_pod_access({"apiVersion": KWOK, "kind": "ClusterExec"})
    assert is_pod_access({"apiVersion": "sandbox.kubectl-sts.io/v1alpha1", "kind": "Proxy"})
    assert not is_pod_access({"apiVersion": "sandbox.kubectl-sts.io/v1alpha1", "kind": "Logs"})


def test_read_files(tmp_path):
    good = tmp_path / "a.yaml"
    good.write_text(yaml.safe_dump_all([_logs("web-0", file="/x"), None,
                                        _cluster_logs({}, "/y")]))
    access = read_files([str(good)])
    assert _file(access, _pod()) == "/x" and _file(access, _pod("web-9")) == "/y"
    bad = tmp_path / "b.yaml"
    bad.write_text("apiVersion: v1\nkind: ConfigMap\n")
    with pytest.raises(PodAccessError) as info:
        read_files([str(good), str(bad)])
    assert str(info.value) == "%s: not a pod access document: apiVersion 'v1', kind " \
        "'ConfigMap'" % bad


@contextlib.contextmanager
def sandbox_command(tmp_path, kubectl_bin, config):
    """`kubectl-sts sandbox --fast --config CONFIG -f examples/web.yaml` in a process, its set
    rolled out; yields kubectl(*args) against it; the process must stop cleanly on SIGTERM."""
    kubeconfig = tmp_path / "kc"
    proc = subprocess.Popen([sys.executable, "-m", "kubectl_sts", "sandbox", "--fast",
                             "--kubeconfig", str(kubeconfig), "--config", str(config), "-f",
                             os.path.join(ROOT, "examples", "web.yaml")], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("sandbox: serving")

        def kubectl(*args):
            return subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig)] + list(args),
                                  capture_output=True, text=True, timeout=60)
        done = kubectl("rollout", "status", "sts/web", "--timeout=30s")
        assert done.returncode == 0, done.stderr
        yield kubectl
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    assert proc.returncode == 0


@pytest.mark.kubectl
def test_sandbox_command_serves_config_mappings(tmp_path, kubectl_bin):
    log = tmp_path / "web.log"
    log.write_text("hello from the file\n")
    config = tmp_path / "access.yaml"
    config.write_text(yaml.safe_dump_all([
        {"apiVersion": KWOK, "kind": "ClusterLogs", "metadata": {"name": "web"},
         "spec": {"selector": {"matchLabels": {"app": "web"}},
                  "logs": [{"logsFile": str(log)}]}},
        {"apiVersion": KWOK, "kind": "ClusterExec", "metadata": {"name": "web"},
         "spec": {"selector": {"matchNames": ["web-0"]},
                  "execs": [{"local": {"envs": [{"name": "WHO", "value": "sandbox"}]}}]}}]))
    with sandbox_command(tmp_path, kubectl_bin, config) as kubectl:
        logs = kubectl("logs", "web-0")
        assert (logs.returncode, logs.stdout) == (0, "hello from the file\n"), logs.stderr
        run = kubectl("exec", "web-0", "--", sys.executable, "-c",
                      "import os; print(os.environ['WHO'])")
        assert (run.returncode, run.stdout) == (0, "sandbox\n"), run.stderr
        other = kubectl("exec", "web-1", "--", sys.executable, "-c", "pass")
        assert other.returncode == 1 and "no such file or directory: unknown" in other.stderr


def test_sandbox_command_refuses_a_bad_config(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("apiVersion: v1\nkind: Pod\n")
    result = subprocess.run([sys.executable, "-m", "kubectl_sts", "sandbox", "--config",
                             str(config), "--kubeconfig", str(tmp_path / "kc")], cwd=ROOT,
                            capture_output=True, text=True, timeout=30,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == ("error: --config %s: not a pod access document: "
                                     "apiVersion 'v1', kind 'Pod'" % config)


def test_the_entry_for_a_container():
    from kubectl_sts_sandbox.podaccess import entry_for
    spec = {"execs": [{"containers": ["db"], "local": {"workDir": "/db"}},
                      {"local": {"workDir": "/any"}}, {"local": {"workDir": "/later"}},
                      {"containers": ["app"], "local": {"workDir": "/app"}}]}
    # kwok's findContainerInExecs: the entry naming the container, else the first naming none
    assert [(entry_for(spec, "Exec", c) or {}).get("local") for c in ("app", "db", "side")] \
        == [{"workDir": "/app"}, {"workDir": "/db"}, {"workDir": "/any"}]
    assert entry_for({"logs": [{"containers": ["db"], "logsFile": "/f"}]}, "Logs", "x") is None


@pytest.mark.kubectl
def test_the_example_config_does_what_readme_shows(tmp_path, kubectl_bin):
    """examples/sandbox-access.yaml with examples/web.yaml, as README runs them: exec runs in
    /tmp with SANDBOX=yes, the proxy answers /healthz and /ready (the port-forward's target,
    127.0.0.1:8000, may be taken on a CI machine: tests/test_portforward.py covers forwards)."""
    config = os.path.join(ROOT, "examples", "sandbox-access.yaml")
    with sandbox_command(tmp_path, kubectl_bin, config) as kubectl:
        run = kubectl("exec", "web-2", "--", sys.executable, "-c",
                      "import os; print(os.getcwd(), os.environ['SANDBOX'])")
        assert (run.returncode, run.stdout) == (0, "%s yes\n" % os.path.realpath("/tmp")), \
            run.stderr
        proxy = "/api/v1/namespaces/default/pods/web-0:80/proxy/"
        assert kubectl("get", "--raw", proxy + "healthz").stdout == "ok"
        ready = kubectl("get", "--raw", proxy + "ready")
        assert ready.returncode == 1 and "(ServiceUnavailable)" in ready.stderr

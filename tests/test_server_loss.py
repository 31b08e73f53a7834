"""Server loss (issue 27): an API server that dies ends every command within its timeout, or
within retry.UNREACHABLE_BUDGET, with exit 5 and one message, the connection's own
(`error: cannot reach the cluster at URL: REASON (unreachable since ..., gave up after ...)`),
in a pipe as on a terminal. The sandbox's listener is stopped (Sandbox.stop_server) once the
command watches; it is started again afterwards. Needs the sandbox (skips on a real cluster).

Each command runs in a thread of its own with a bound on how long it may take: a command that
would wait for minutes fails the test instead of hanging it."""

import threading
from typing import Any, Dict

import pytest

from builders import statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.errors import EXIT_UNREACHABLE

NEW = "nginx:1.28"
BOUND = 45          # seconds a command may take here after the server is gone (the budget: 2)


@pytest.fixture
def down(sandbox, monkeypatch):
    """A short unreachable budget, a way to stop the server once the plugin watches (`when`
    the fault hook sees its first watch), and the server always started again."""
    monkeypatch.setattr("kubectl_sts.client.retry.UNREACHABLE_BUDGET", 2.0, raising=False)
    watching = threading.Event()

    def spy(handler):
        if handler.headers.get("User-Agent", "").startswith("kubectl-sts/") and \
                handler.query.get("watch") == "true":
            watching.set()
        return False
    sandbox.server.fault_hook = spy
    try:
        yield watching
    finally:
        sandbox.server.fault_hook = None
        sandbox.start_server()


def bounded(cli, *args) -> Dict[str, Any]:
    """Start `kubectl sts ARGS` in a thread; returns the dict its (code, out, err) go into."""
    result: Dict[str, Any] = {}

    def target():
        result["value"] = cli(*args)
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    result["thread"] = thread
    return result


def finished(result):
    result["thread"].join(BOUND)
    assert not result["thread"].is_alive(), "still running %ds after the server died" % BOUND
    return result["value"]


def the_message(err, server):
    """The one error line (after progress lines, for `wait`)."""
    assert "Traceback" not in err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert not any(ln.startswith("error") for ln in lines[:-1]), err
    assert lines[-1].startswith("error: cannot reach the cluster at %s: " % server), err
    assert " (unreachable since " in lines[-1], err
    return lines[-1]


def server_of(kubeconfig):
    import yaml
    with open(kubeconfig) as f:
        return yaml.safe_load(f)["clusters"][0]["cluster"]["server"]


def never_ready(apps, namespace):
    apps.create_namespaced_stateful_set(namespace, statefulset(
        replicas=1, claims=(), pod_annotations={"sandbox.kubectl-sts.io/behavior":
                                                "never-ready"}))


def test_status_watch_in_a_pipe_ends_with_exit_5(sandbox, namespace, down, apps, cli,
                                                 kubeconfig):
    apps.create_namespaced_stateful_set(namespace, statefulset(replicas=1, claims=()))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 1), namespace=namespace,
             timeout=60)
    run = bounded(cli, "status", "web", "--watch")       # stdout is captured: a pipe
    assert down.wait(30)
    sandbox.stop_server()
    code, out, err = finished(run)
    assert code == EXIT_UNREACHABLE, (out, err)
    assert "web-0" in out                                 # the view came first
    assert "\nNot shown: error: cannot reach the cluster at " in out   # then the outage
    assert the_message(err, server_of(kubeconfig)).endswith(", gave up after 2s)")


def test_wait_ends_with_exit_5_not_a_stale_timeout(sandbox, namespace, down, apps, cli,
                                                   kubeconfig, monkeypatch):
    monkeypatch.setattr("kubectl_sts.client.retry.UNREACHABLE_BUDGET", 60.0, raising=False)
    never_ready(apps, namespace)
    run = bounded(cli, "wait", "web", "--timeout", "4s")
    assert down.wait(30)
    sandbox.stop_server()
    code, out, err = finished(run)
    assert code == EXIT_UNREACHABLE, (out, err)
    assert out == ""
    line = the_message(err, server_of(kubeconfig))
    assert line.endswith(", gave up after 4s)")
    assert "timed out" not in line and "web-0" not in line


def test_wait_with_a_long_timeout_gives_up_on_a_dead_server(sandbox, namespace, down, apps,
                                                            cli, kubeconfig):
    never_ready(apps, namespace)
    run = bounded(cli, "wait", "web")                     # --timeout 10m
    assert down.wait(30)
    sandbox.stop_server()
    code, out, err = finished(run)
    assert code == EXIT_UNREACHABLE, (out, err)
    assert the_message(err, server_of(kubeconfig)).endswith(", gave up after 2s)")


def test_rollout_all_does_not_retry_a_dead_server_for_the_step_timeout(
        sandbox, namespace, down, apps, cli, kubeconfig):
    apps.create_namespaced_stateful_set(namespace, statefulset(replicas=3, claims=()))
    wait_for(apps.list_namespaced_stateful_set, sts_settled("web", 3), namespace=namespace,
             timeout=60)
    code, out, err = cli("rollout", "web", "--image", "app=" + NEW)
    assert code == 0, err
    run = bounded(cli, "rollout", "web", "--all", "--settle", "30s")   # --timeout 5m a step
    wait_for(apps.list_namespaced_stateful_set,
             lambda items: "web" in items and
             items["web"]["spec"]["updateStrategy"]["rollingUpdate"].get("partition") == 2,
             namespace=namespace, timeout=30)
    sandbox.stop_server()
    code, out, err = finished(run)
    assert code == EXIT_UNREACHABLE, (out, err)
    line = the_message(err, server_of(kubeconfig))
    assert line.endswith("; the partition stays at 2 as written; continue with: kubectl sts "
                         "rollout web --to 0"), line
    assert ", gave up after 2s)" in line

"""No input can address another URL (issue 13): every command, completion included, driven
with hostile names and namespaces; the sandbox's request log must hold no request outside the
paths the command is for, and every path segment must arrive percent-encoded or be refused
before any request. Pure checks of kubectl_sts/client/paths.py first."""

import pytest

from kubectl_sts.cli.app import main
from kubectl_sts.cli.app import cli
from kubectl_sts.commands.completion import complete
from kubectl_sts.client.paths import PathError, path, segment

HOSTILE = ["x/../../../api/v1/namespaces", "../kube-system", "a/b", "..", ".", "x?watch=true",
           "x#y", "%2e%2e", "web%2F..", " web", "web\n", "x;y", "ünï"]


@pytest.mark.parametrize("args, want", [
    (("statefulsets", "ns", "web"), "/apis/apps/v1/namespaces/ns/statefulsets/web"),
    (("statefulsets", None), "/apis/apps/v1/statefulsets"),
    (("pods", "ns"), "/api/v1/namespaces/ns/pods"),
    (("statefulsets", "ns", "web", "scale"), "/apis/apps/v1/namespaces/ns/statefulsets/web/scale"),
    (("persistentvolumes",), "/api/v1/persistentvolumes"),
    (("poddisruptionbudgets", "ns"), "/apis/policy/v1/namespaces/ns/poddisruptionbudgets"),
    (("pods", "ns", "x?y=1"), "/api/v1/namespaces/ns/pods/x%3Fy%3D1"),
    (("pods", "ns", "ünï"), "/api/v1/namespaces/ns/pods/%C3%BCn%C3%AF"),
])
def test_paths(args, want):
    assert path(*args) == want


@pytest.mark.parametrize("value", ["", ".", "..", "a/b", "x/../y", "50%"])
def test_segments_that_cannot_be_names_are_refused(value):
    with pytest.raises(PathError):
        segment(value)


COMMANDS = [
    lambda name: ["status", name],
    lambda name: ["rollout", name, "--timeout", "1s"],
    lambda name: ["rollout", name, "--step", "--timeout", "1s"],
    lambda name: ["rollout", name, "--undo", "--yes", "--timeout", "1s"],
    lambda name: ["scale", name, "--replicas", "1", "--yes", "--timeout", "1s"],
    lambda name: ["pvc", name],
    lambda name: ["pvc", name, "--prune", "--yes"],
]


def requests_during(sandbox, fn):
    before = len(sandbox.request_log)
    fn()
    return [(e["method"], e["path"]) for e in sandbox.request_log[before:]]


def assert_only_namespace(requests, namespace):
    """Every request stays inside the namespace asked for, on a collection or object of it."""
    for method, p in requests:
        parts = p.split("/")
        assert ".." not in parts and "." not in parts, p
        assert "namespaces" in parts and parts[parts.index("namespaces") + 1] == namespace or \
            p in ("/api/v1/persistentvolumes",), (method, p)


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("command", range(len(COMMANDS)))
def test_hostile_names_never_leave_their_path(sandbox, kubeconfig, namespace, capsys, hostile,
                                              command):
    args = COMMANDS[command](hostile)
    requests = requests_during(sandbox, lambda: main(["--kubeconfig", kubeconfig, "-n",
                                                      namespace] + args))
    capsys.readouterr()
    assert_only_namespace(requests, namespace)
    assert all(m == "GET" for m, _ in requests), requests


@pytest.mark.parametrize("hostile", HOSTILE)
@pytest.mark.parametrize("command", range(len(COMMANDS)))
def test_hostile_namespaces_are_refused_before_any_request(sandbox, kubeconfig, capsys, hostile,
                                                           command):
    args = COMMANDS[command]("web")
    code = []
    requests = requests_during(sandbox, lambda: code.append(
        main(["--kubeconfig", kubeconfig, "-n", hostile] + args)))
    err = capsys.readouterr().err
    assert requests == []
    assert code == [2], err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("hostile", HOSTILE)
def test_completion_with_a_hostile_namespace_asks_nothing_and_names_nothing(sandbox, kubeconfig,
                                                                           hostile):
    requests = requests_during(sandbox, lambda: complete(cli,
        ["--kubeconfig", kubeconfig, "-n", hostile, "status"], ""))
    assert requests == []
    candidates, _ = complete(cli, ["--kubeconfig", kubeconfig, "-n", hostile, "status"], "")
    assert candidates == []


def test_completion_names_the_sets_of_a_good_namespace(sandbox, kubeconfig, namespace, apps):
    from builders import statefulset
    apps.create_namespaced_stateful_set(namespace, statefulset("web", replicas=0, claims=()))
    requests = requests_during(sandbox, lambda: None)
    candidates, _ = complete(cli, ["--kubeconfig", kubeconfig, "-n", namespace, "status"], "")
    assert "web" in candidates
    assert requests == []

"""Shell completion: `kubectl sts completion bash|zsh|fish` and `kubectl_complete-sts`, which
follows kubectl's plugin completion protocol (candidates one a line, then `:<directive>`)."""

import os
import shutil
import subprocess
import sys

import pytest

from kubectl_sts.cli.app import cli
from kubectl_sts.commands.completion import complete

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "bin")
# the checkout's bin/ first, then this interpreter (its python3 has the dependencies)
ENV = dict(os.environ, PATH=os.pathsep.join([BIN, os.path.dirname(sys.executable),
                                             os.environ.get("PATH", "")]))


def run_complete(*args, env=None):
    out = subprocess.run([os.path.join(BIN, "kubectl_complete-sts")] + list(args),
                         capture_output=True, text=True, timeout=60, env=env or ENV)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    lines = out.stdout.splitlines()
    assert lines and lines[-1].startswith(":") and lines[-1][1:].isdigit(), out.stdout
    return lines[:-1], int(lines[-1][1:])


def test_subcommands():
    names, directive = run_complete("")
    assert names == ["completion", "demo", "doctor", "help", "pvc", "repair", "resize",
                     "restart", "restore", "rollout", "sandbox", "scale", "snapshot", "status",
                     "version", "wait"]
    assert directive == 4
    assert run_complete("st") == (["status"], 4)
    assert run_complete("s") == (["sandbox", "scale", "snapshot", "status"], 4)
    assert run_complete("d") == (["demo", "doctor"], 4)


def test_flags_of_a_subcommand_and_of_the_root():
    names, directive = run_complete("status", "--c")
    assert {"--check", "--cluster-domain", "--context", "--cluster"} <= set(names)
    assert directive == 4
    names, _ = run_complete("scale", "web", "--")
    assert {"--replicas", "--dry-run", "--kubeconfig", "--namespace", "--help"} <= set(names)
    names, _ = run_complete("--kube")
    assert names == ["--kubeconfig"]


def test_flag_values():
    assert run_complete("status", "-o", "") == (
        ["custom-columns", "custom-columns-file", "json", "jsonpath", "jsonpath-as-json",
         "jsonpath-file", "name", "wide", "yaml"], 4)
    assert run_complete("scale", "web", "-o", "") == (
        ["json", "jsonpath", "jsonpath-as-json", "jsonpath-file", "name", "yaml"], 4)
    assert run_complete("scale", "web", "--dry-run", "s") == (["server"], 4)
    assert run_complete("scale", "web", "--dry-run=c") == (["--dry-run=client"], 4)
    assert run_complete("completion", "") == (["bash", "zsh", "fish"], 4)
    # a file flag: no candidates, file completion allowed
    assert run_complete("status", "--kubeconfig", "") == ([], 0)
    # a value the plugin cannot know: nothing, and no file names either
    assert run_complete("scale", "web", "--replicas", "") == ([], 4)


def test_context_names_from_the_kubeconfig(tmp_path):
    config = tmp_path / "config"
    config.write_text("apiVersion: v1\nkind: Config\ncurrent-context: one\nclusters:\n"
                      "- {name: c, cluster: {server: 'http://127.0.0.1:1'}}\nusers: []\n"
                      "contexts:\n- {name: one, context: {cluster: c}}\n"
                      "- {name: two, context: {cluster: c}}\n")
    assert run_complete("--kubeconfig", str(config), "status", "--context", "") == \
        (["one", "two"], 4)


def test_an_unreachable_cluster_gives_no_names_and_no_traceback(tmp_path):
    config = tmp_path / "config"
    config.write_text("apiVersion: v1\nkind: Config\ncurrent-context: x\nclusters:\n"
                      "- {name: c, cluster: {server: 'http://127.0.0.1:1'}}\nusers: []\n"
                      "contexts:\n- {name: x, context: {cluster: c}}\n")
    out = subprocess.run([os.path.join(BIN, "kubectl_complete-sts"), "status", "--kubeconfig",
                          str(config), ""], capture_output=True, text=True, timeout=60, env=ENV)
    assert out.returncode == 0 and out.stdout == ":4\n" and out.stderr == ""
    env = dict(ENV, KUBECONFIG=str(tmp_path / "missing"))
    assert run_complete("pvc", "", env=env) == ([], 4)
    assert run_complete("status", "-n", "", env=env) == ([], 4)


def test_statefulset_and_namespace_names_from_the_cluster(kubeconfig, namespace, kubectl):
    for name in ("db", "web"):
        created = kubectl("create", "-f", "-", input=STATEFULSET % {"n": name})
        assert created.returncode == 0, created.stderr
    for command in (["status"], ["pvc"], ["scale"], ["rollout"]):
        args = command + ["--kubeconfig", kubeconfig, "-n", namespace, ""]
        assert run_complete(*args) == (["db", "web"], 4)
    assert run_complete("--kubeconfig", kubeconfig, "--namespace=" + namespace, "status",
                        "w") == (["web"], 4)
    # the name is already given: nothing more to complete
    assert run_complete("status", "--kubeconfig", kubeconfig, "-n", namespace, "web", "") == \
        ([], 4)
    names, _ = run_complete("status", "--kubeconfig", kubeconfig, "-n", namespace[:4])
    assert namespace in names


@pytest.mark.kubectl
def test_kubectl_runs_the_completion_executable(kubectl_bin, kubeconfig, namespace, kubectl):
    """The real kubectl (1.26+) asks kubectl_complete-sts for `kubectl sts <TAB>`."""
    created = kubectl("create", "-f", "-", input=STATEFULSET % {"n": "web"})
    assert created.returncode == 0, created.stderr
    out = subprocess.run([kubectl_bin, "__complete", "sts", "sta"], capture_output=True,
                         text=True, env=ENV, timeout=60)
    assert out.stdout.splitlines() == ["status", ":4"], out.stderr
    out = subprocess.run([kubectl_bin, "__complete", "sts", "status", "--kubeconfig",
                          kubeconfig, "-n", namespace, ""], capture_output=True, text=True,
                         env=ENV, timeout=60)
    assert out.stdout.splitlines() == ["web", ":4"], out.stderr


def test_in_process_completer():
    assert complete(cli, [], "dem") == (["demo"], 4)
    assert complete(cli, ["rollout", "web", "--on-failure"], "") == (["stop", "undo"], 4)


def test_completion_scripts():
    for shell in ("bash", "zsh", "fish"):
        out = subprocess.run([os.path.join(BIN, "kubectl-sts"), "completion", shell],
                             capture_output=True, text=True, env=ENV, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "kubectl-sts completion __complete --" in out.stdout
        checker = shutil.which(shell)
        if checker and shell != "fish":
            syntax = subprocess.run([checker, "-n"], input=out.stdout, capture_output=True,
                                    text=True, timeout=30)
            assert syntax.returncode == 0, syntax.stderr
    out = subprocess.run([os.path.join(BIN, "kubectl-sts"), "completion", "ksh"],
                         capture_output=True, text=True, env=ENV, timeout=60)
    assert out.returncode == 2 and "bash, zsh or fish" in out.stderr


def test_bash_script_completes():
    if shutil.which("bash") is None:
        pytest.skip("no bash")
    script = ('source <(kubectl-sts completion bash)\n'
              'COMP_WORDS=(kubectl-sts status -o j); COMP_CWORD=3\n'
              '_kubectl_sts_complete; printf "%s\\n" "${COMPREPLY[@]}"\n'
              'COMP_WORDS=(kubectl-sts sc); COMP_CWORD=1\n'
              '_kubectl_sts_complete; printf "%s\\n" "${COMPREPLY[@]}"\n')
    out = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=ENV,
                         timeout=60)
    assert out.stdout.split() == ["json", "jsonpath", "jsonpath-as-json", "jsonpath-file",
                                  "scale"], out.stderr


STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: %(n)s}
spec:
  serviceName: %(n)s
  replicas: 0
  selector: {matchLabels: {app: %(n)s}}
  template:
    metadata: {labels: {app: %(n)s}}
    spec:
      containers:
      - {name: c, image: "registry.k8s.io/pause:3.9"}
"""


def test_restore_from_completes_the_snapshot_sets_of_the_set(kubeconfig, namespace, kubectl):
    from kubectl_sts.core.labels import SNAPSHOT_SET_LABEL, SNAPSHOT_STS_LABEL
    for sts, set_name in (("web", "web-20260101-120000"), ("web", "web-20260102-120000"),
                          ("db", "db-20260101-120000")):
        created = kubectl("create", "-f", "-", input=(
            '{"apiVersion": "snapshot.storage.k8s.io/v1", "kind": "VolumeSnapshot", '
            '"metadata": {"name": "%s-data-0", "labels": {"%s": "%s", "%s": "%s"}}, '
            '"spec": {"source": {"persistentVolumeClaimName": "data-%s-0"}}}'
            % (set_name, SNAPSHOT_SET_LABEL, set_name, SNAPSHOT_STS_LABEL, sts, sts)))
        assert created.returncode == 0, created.stderr
    args = ["restore", "--kubeconfig", kubeconfig, "-n", namespace, "web", "--from"]
    assert run_complete(*args, "") == (["web-20260101-120000", "web-20260102-120000"], 4)
    assert run_complete(*args[:-1], "--from=web-202601") == (
        ["--from=web-20260101-120000", "--from=web-20260102-120000"], 4)
    assert run_complete(*args, "web-20260102") == (["web-20260102-120000"], 4)

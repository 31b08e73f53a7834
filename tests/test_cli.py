"""The command line shell: global flags, kubeconfig resolution, errors and exit codes, the
`sandbox` command as a process."""

import os
import signal
import socket
import subprocess
import sys

import pytest
import yaml

from helpers import closed_port
from kubectl_sts import __version__
from kubectl_sts.cli.app import main
from kubectl_sts.errors import EXIT_CONFIG, EXIT_NOT_FOUND, EXIT_UNREACHABLE, EXIT_USAGE
from kubectl_sts.client.connection import Connection
from kubectl_sts.client.kubeconfig import ConnectionOptions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, env=None, timeout=30):
    """Run `python -m kubectl_sts ARGS` as a user would; returns the CompletedProcess."""
    full_env = dict(os.environ, PYTHONPATH=ROOT)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "kubectl_sts"] + list(args), cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, env=full_env)


def assert_one_line_error(result, code, *fragments):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


def write_kubeconfig(path, contexts, current=None, server="http://127.0.0.1:1"):
    doc = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": "c", "cluster": {"server": server}}],
           "users": [{"name": "u", "user": {"token": "secret-token-value"}}],
           "contexts": [{"name": n, "context": dict({"cluster": "c", "user": "u"}, **ctx)}
                        for n, ctx in contexts.items()],
           "current-context": current or next(iter(contexts))}
    path.write_text(yaml.safe_dump(doc))
    return str(path)


# -- help, version, start-up ------------------------------------------------------------------

def test_version_prints_the_package_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == "kubectl-sts %s" % __version__


def test_help_lists_commands_and_kubectl_global_flags():
    result = run_cli("--help")
    assert result.returncode == 0
    for flag in ("--kubeconfig", "--context", "-n, --namespace", "--as", "--request-timeout"):
        assert flag in result.stdout
    for command in ("status", "sandbox", "demo"):
        assert "\n  %s " % command in result.stdout


def test_alone_prints_help_on_stdout_and_exits_0(tmp_path):
    result = run_cli(env={"KUBECACHEDIR": str(tmp_path)})
    assert result.returncode == 0 and result.stderr == ""
    assert result.stdout.startswith("Usage: kubectl-sts [OPTIONS] ") and "Commands:" in result.stdout
    assert result.stdout == run_cli("--help", env={"KUBECACHEDIR": str(tmp_path)}).stdout


def test_top_level_help_is_kept_and_served_without_click(tmp_path):
    """The first `--help` is rendered by click and kept in kubectl's cache directory; later
    ones print it without importing click. Its key follows the terminal width."""
    env = {"KUBECACHEDIR": str(tmp_path), "COLUMNS": "100"}
    first = run_cli("--help", env=env)
    assert first.returncode == 0
    kept = list((tmp_path / "kubectl-sts" / "help").iterdir())
    assert len(kept) == 1 and kept[0].read_text() == first.stdout
    again = subprocess.run([sys.executable, "-X", "importtime", "-m", "kubectl_sts", "-h"],
                           cwd=ROOT, capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PYTHONPATH=ROOT, **env))
    assert again.stdout == first.stdout
    imported = [ln.rsplit("|", 1)[-1].strip() for ln in again.stderr.splitlines()]
    assert "click" not in imported and "kubectl_sts.cli.start" in imported
    # `re` (and the enum it loads) cost about 8 ms: none of our modules on this path may import
    # it (asked without runpy, which imports it itself on Python 3.9)
    probe = subprocess.run([sys.executable, "-c", "import sys\nfrom kubectl_sts.cli.start import "
                            "main\nmain(['-h'])\nprint('re' in sys.modules, 'click' in sys.modules)"],
                           cwd=ROOT, capture_output=True, text=True, timeout=30,
                           env=dict(os.environ, PYTHONPATH=ROOT, **env))
    assert probe.stdout.endswith("False False\n"), probe.stdout[-200:]
    narrow = run_cli("--help", env=dict(env, COLUMNS="60"))
    assert narrow.stdout != first.stdout
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    assert len(list((tmp_path / "kubectl-sts" / "help").iterdir())) == 2


def test_version_and_help_work_without_a_writable_cache(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    env = {"KUBECACHEDIR": str(blocked)}
    assert run_cli("--version", env=env).stdout.strip() == "kubectl-sts %s" % __version__
    result = run_cli("--help", env=env)
    assert result.returncode == 0 and result.stderr == "" and "Commands:" in result.stdout


def test_help_does_not_import_the_kubernetes_client():
    code = ("import sys\nfrom kubectl_sts.cli.app import main\n"
            "main(['--help']); main(['--version'])\n"
            "print('LOADED' if [m for m in sys.modules if m.split('.')[0] in "
            "('kubernetes', 'urllib3', 'yaml')] else 'LAZY')")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.stdout.strip().splitlines()[-1] == "LAZY"


def test_usage_reads_kubectl_sts_when_run_as_the_plugin_executable():
    result = subprocess.run([os.path.join(ROOT, "bin", "kubectl-sts"), "--help"],
                            capture_output=True, text=True)
    assert result.stdout.startswith("Usage: kubectl sts ")


def test_unknown_command_and_bad_flag_are_usage_errors():
    assert run_cli("nope").returncode == EXIT_USAGE
    result = run_cli("--request-timeout", "soon", "status")
    assert result.returncode == EXIT_USAGE
    assert "invalid duration" in result.stderr


# -- kubeconfig resolution --------------------------------------------------------------------

def test_namespace_defaults_to_the_contexts_then_default(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", {"a": {"namespace": "team-a"}, "b": {}})
    assert Connection(ConnectionOptions(kubeconfig=path)).namespace == "team-a"
    assert Connection(ConnectionOptions(kubeconfig=path, context="b")).namespace == "default"
    assert Connection(ConnectionOptions(kubeconfig=path, namespace="x")).namespace == "x"


def test_kubeconfig_env_list_is_merged_first_file_wins(tmp_path, monkeypatch):
    first = write_kubeconfig(tmp_path / "one", {"a": {"namespace": "from-one"}})
    second = write_kubeconfig(tmp_path / "two", {"a": {"namespace": "from-two"},
                                                 "b": {"namespace": "only-two"}})
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([first, second]))
    assert Connection(ConnectionOptions()).namespace == "from-one"
    assert Connection(ConnectionOptions(context="b")).namespace == "only-two"


def test_server_and_token_flags_override_the_kubeconfig(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", {"a": {}})
    conn = Connection(ConnectionOptions(kubeconfig=path, server="https://127.0.0.1:9",
                                        token="other"))
    assert conn.server == "https://127.0.0.1:9"
    assert conn._headers(None)["authorization"] == "Bearer other"
    # Over plain http kubectl sends no credentials at all (clientcmd's rule), flags included.
    plain = Connection(ConnectionOptions(kubeconfig=path, server="http://127.0.0.1:9",
                                         token="other"))
    assert "authorization" not in plain._headers(None)


def test_missing_kubeconfig_file(tmp_path):
    result = run_cli("--kubeconfig", str(tmp_path / "absent"), "status", "web")
    assert_one_line_error(result, EXIT_CONFIG, "absent", "no such file")


def test_malformed_kubeconfig(tmp_path):
    bad = tmp_path / "kc"
    bad.write_text("clusters: [unclosed\n")
    result = run_cli("--kubeconfig", str(bad), "status", "web")
    assert_one_line_error(result, EXIT_CONFIG, "invalid kubeconfig")


def test_unknown_context(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", {"a": {}})
    result = run_cli("--kubeconfig", path, "--context", "nope", "status", "web")
    assert_one_line_error(result, EXIT_CONFIG, 'context "nope" does not exist')


def test_unreachable_server_is_one_line_and_hides_the_token(tmp_path):
    path = write_kubeconfig(tmp_path / "kc", {"a": {}},
                            server="http://127.0.0.1:%d" % closed_port())
    result = run_cli("--kubeconfig", path, "status", "web")
    assert_one_line_error(result, EXIT_UNREACHABLE, "cannot reach the cluster")
    assert "secret-token-value" not in result.stderr + result.stdout


def test_not_found_through_main(kubeconfig, namespace, capsys):
    code = main(["--kubeconfig", kubeconfig, "-n", namespace, "status", "absent"])
    err = capsys.readouterr().err
    assert code == EXIT_NOT_FOUND
    assert err.strip() == ('Error from server (NotFound): statefulsets.apps "absent" not found '
                           'in namespace "%s"' % namespace)


# -- the sandbox command ----------------------------------------------------------------------

def test_sandbox_command_serves_kubectl_until_sigterm(tmp_path, kubectl_bin):
    kubeconfig = tmp_path / "sb.kubeconfig"
    manifest = os.path.join(ROOT, "examples", "web.yaml")
    proc = subprocess.Popen([sys.executable, "-m", "kubectl_sts", "sandbox", "--fast",
                             "--kubeconfig", str(kubeconfig), "-f", manifest], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.stdout is not None
    try:
        first = proc.stdout.readline()
        assert first.startswith("sandbox: serving http://127.0.0.1:")
        assert first.rstrip().endswith("kubeconfig %s" % kubeconfig)
        assert proc.stdout.readline().strip() == "service/web created"
        assert proc.stdout.readline().strip() == "statefulset/web created"
        status = subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig), "rollout",
                                 "status", "sts/web", "--timeout=30s"], capture_output=True,
                                text=True, timeout=60)
        assert status.stdout.strip().splitlines()[-1] == \
            "partitioned roll out complete: 3 new pods have been updated..."
        context = subprocess.run([kubectl_bin, "--kubeconfig", str(kubeconfig), "config",
                                  "current-context"], capture_output=True, text=True)
        assert context.stdout.strip() == "kubectl-sts-sandbox"
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "Traceback" not in err


def test_sandbox_command_refuses_a_port_in_use(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    try:
        result = run_cli("sandbox", "--port", str(s.getsockname()[1]), "--kubeconfig",
                         str(tmp_path / "kc"))
    finally:
        s.close()
    assert_one_line_error(result, 1, "cannot listen on 127.0.0.1:")


def test_demo_shows_three_ready_ordinals():
    result = run_cli("demo", "--step-seconds", "0.02", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Replicas:        3 desired | 3 ready" in result.stdout
    for ordinal in range(3):
        assert "web-%d.web.default.svc.cluster.local" % ordinal in result.stdout
    # it ends with the next step: how to keep the sandbox, and the whole commands to try then
    lines = result.stdout.rstrip().splitlines()
    assert lines[-5].startswith("The sandbox has stopped. Run `kubectl-sts demo --keep`")
    assert lines[-3].startswith("  kubectl-sts --kubeconfig FILE rollout web --image ")


def test_demo_keep_prints_the_commands_for_this_sandbox():
    from kubectl_sts.commands.demo import next_steps
    lines = next_steps("/tmp/x/kubeconfig", keep=True).splitlines()
    assert lines[0] == "The sandbox keeps running (Ctrl-C stops it). In another terminal, try:"
    commands = [line.split("#")[0].split() for line in lines[1:]]
    assert [c[3:5] for c in commands[:4]] == [["rollout", "web"], ["rollout", "web"],
                                             ["scale", "web"], ["status", "web"]]
    assert all(c[1:3] == ["--kubeconfig", "/tmp/x/kubeconfig"] for c in commands)


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("5m", 300), ("1h30m", 5400),
                                          ("250ms", 0.25), ("12", 12)])
def test_durations(text, seconds):
    from kubectl_sts.k8s.durations import parse_duration
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5x", "m5", "1h 2m", "-3s"])
def test_bad_durations(text):
    from kubectl_sts.k8s.durations import parse_duration
    with pytest.raises(ValueError):
        parse_duration(text)


@pytest.mark.parametrize("name", sorted(__import__("kubectl_sts.cli.app").cli.app.COMMANDS))
def test_every_command_has_one_help_with_examples(name):
    """The one-line help `kubectl sts --help` shows without importing a command is the first
    line of that command's own help (no second copy that drifts), and every command's help
    has an Examples section in kubectl's shape."""
    import importlib

    from click.testing import CliRunner

    from kubectl_sts.cli.app import COMMANDS, cli
    module, attr, line = COMMANDS[name]
    command = getattr(importlib.import_module(module), attr)
    assert command.help.splitlines()[0] == line.rstrip(".") + "." or \
        command.help.splitlines()[0] == line
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    examples = result.output.split("Examples:\n", 1)
    examples[0] += "Examples:"
    assert len(examples) == 2, result.output
    heading = examples[0].splitlines()[-1] if examples[0].splitlines() else ""
    indent = " " * (len(heading) - len(heading.lstrip()) + 2)   # under "Examples:", by 2
    body = [ln for ln in examples[1].splitlines() if ln.strip()]
    assert body[0].startswith(indent + "# ") and "kubectl" in body[1], body[:2]

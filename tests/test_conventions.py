"""kubectl's conventions in the plugin (issue 26): `--no-headers` on every table, `--interactive`
refused without a terminal, cobra's suggestions after an unknown command, the `help` and
`version` commands, custom columns over one set, whole commands in the demo's hints."""

import datetime
import json
import os
import socket
import subprocess
import sys

import pytest
import yaml

from builders import event
from helpers import create_settled, settle, wait_for
from kubectl_sts import __version__
from kubectl_sts.cli.app import cli, main
from kubectl_sts.commands.completion import complete
from kubectl_sts.errors import EXIT_UNREACHABLE, EXIT_USAGE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_cli(*args, env=None):
    """`python -m kubectl_sts ARGS` as a user runs it, stdin not a terminal."""
    return subprocess.run([sys.executable, "-m", "kubectl_sts"] + list(args), cwd=ROOT,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                          env=dict(os.environ, PYTHONPATH=ROOT, **(env or {})))


def run(capsys, kubeconfig, namespace, *args):
    capsys.readouterr()
    code = main(["--kubeconfig", kubeconfig, "-n", namespace] + list(args))
    out, err = capsys.readouterr()
    return code, out, err


def unreachable_kubeconfig(tmp_path):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    path = tmp_path / "kc"
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:%d" % port}}],
        "users": [{"name": "u", "user": {}}],
        "contexts": [{"name": "a", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "a"}))
    return str(path)


# -- --no-headers on every table ---------------------------------------------------------------

HEADERS = {"POD", "ORDINAL", "PVC", "LAST SEEN", "NAME"}


def header_lines(text):
    """The lines of `text` that are a table's header row (upper-case words, kubectl's)."""
    return [line for line in text.splitlines()
            if line.strip().split("   ")[0].strip() in HEADERS and line.strip().isupper()]


def test_status_of_one_set_honours_no_headers_in_every_table(capsys, kubeconfig, apps, core,
                                                              namespace):
    create_settled(apps, core, namespace, replicas=4, pod_management="Parallel")
    apps.patch_namespaced_stateful_set("web", namespace, {"spec": {"replicas": 2}})
    settle(apps, namespace, "web", 2)
    wait_for(core.list_namespaced_pod, lambda pods: sorted(pods) == ["web-0", "web-1"],
             namespace=namespace)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    core.create_namespaced_event(namespace, event("StatefulSet", "web", "FailedCreate",
                                                  "create Pod web-2 failed", now,
                                                  namespace=namespace))

    code, out, err = run(capsys, kubeconfig, namespace, "status", "web")
    assert code == 0, err
    assert len(header_lines(out)) >= 2         # the ordinal table's and the orphaned claims'

    for args in (["web", "--no-headers"], ["web", "-o", "wide", "--no-headers"]):
        code, out, err = run(capsys, kubeconfig, namespace, "status", *args)
        assert code == 0, err
        assert header_lines(out) == [], out
        lines = out.splitlines()
        first = lines.index("") + 1             # the table follows the settings and a blank
        assert [line.split()[0] for line in lines[first:first + 2]] in (["web-0", "web-1"],
                                                                         ["0", "1"])
        i = next(i for i, line in enumerate(lines) if line.startswith("Orphaned PVCs"))
        assert [line.split()[:2] for line in lines[i + 1:i + 3]] == [
            ["data-web-2", "2"], ["data-web-3", "3"]]
        assert "LAST SEEN" not in out

    # the list view and custom columns, and the flag ends with its command
    code, out, err = run(capsys, kubeconfig, namespace, "status", "--no-headers")
    assert code == 0 and out.split()[0] == "web", (out, err)
    code, out, _ = run(capsys, kubeconfig, namespace, "status", "web", "--no-headers", "-o",
                       "custom-columns=POD:.pod")
    assert out.split() == ["web-0", "web-1"]
    code, out, _ = run(capsys, kubeconfig, namespace, "status", "web")
    assert header_lines(out), "--no-headers of an earlier command must not last"


def test_every_command_that_prints_a_table_takes_no_headers(capsys, kubeconfig, apps, core,
                                                             namespace):
    create_settled(apps, core, namespace, replicas=2)
    runs = {"pvc": ["pvc", "web"],
            "rollout": ["rollout", "web"],
            "scale": ["scale", "web", "--replicas", "1", "--dry-run"],
            "restart": ["restart", "web", "--dry-run"],
            "resize": ["resize", "web", "--size", "2Gi", "--dry-run"]}
    for name, args in runs.items():
        code, out, err = run(capsys, kubeconfig, namespace, *args)
        assert code == 0, (name, err)
        assert header_lines(out + err), (name, out, err)
        code, out, err = run(capsys, kubeconfig, namespace, *(args + ["--no-headers"]))
        assert code == 0, (name, err)
        assert header_lines(out + err) == [], (name, out, err)
        assert "web-1" in out + err, (name, out, err)    # the rows are still there


def test_no_headers_is_a_flag_of_the_table_commands_only():
    from click.testing import CliRunner
    for name in ("status", "pvc", "rollout", "scale", "restart", "resize"):
        assert "--no-headers" in CliRunner().invoke(cli, [name, "--help"]).output, name
    result = run_cli("wait", "web", "--no-headers")
    assert result.returncode == EXIT_USAGE
    assert result.stderr == "error: unknown flag: --no-headers\n"


# -- --interactive without a terminal ------------------------------------------------------------

@pytest.mark.parametrize("action", [["--all"], ["--step"], ["--to", "0"], ["--undo"],
                                    ["--step", "--dry-run=server"]])
def test_interactive_without_a_terminal_is_refused_before_any_request(tmp_path, action):
    # an unreachable server: any request would end in exit 5, not 2
    result = run_cli("--kubeconfig", unreachable_kubeconfig(tmp_path), "rollout", "web",
                     "--interactive", *action)
    assert result.returncode == EXIT_USAGE, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert result.stderr == ("error: --interactive asks before each step and cannot ask (stdin "
                             "is not a terminal); run it at a terminal, or without "
                             "--interactive\n")


def test_interactive_that_would_ask_nothing_is_not_refused(tmp_path):
    kc = unreachable_kubeconfig(tmp_path)
    for args in (["--all", "--dry-run"], ["--image", "app=nginx:1.28"], []):
        result = run_cli("--kubeconfig", kc, "rollout", "web", "--interactive", *args)
        assert result.returncode == EXIT_UNREACHABLE, (args, result.stderr)


# -- unknown commands: cobra's suggestions -------------------------------------------------------

COMMANDS = ["completion", "demo", "doctor", "pvc", "repair", "resize", "restart", "rollout",
            "sandbox", "scale", "status", "version", "wait"]


@pytest.mark.parametrize("typed,expected", [
    ("statuss", ["status"]),            # distance 1
    ("STATUS", ["status"]),             # case ignored
    ("stauts", ["status"]),             # distance 2 (a transposition is two edits)
    ("sttaus", ["status"]),
    ("s", ["sandbox", "scale", "status"]),   # prefix
    ("re", ["repair", "resize", "restart"]),  # prefix; rollout is 3 edits away
    ("rollot", ["rollout"]),
    ("rol", ["rollout"]),
    ("pv", ["pvc"]),
    ("pods", []),                       # pvc is 3 edits away
    ("hel", []),                        # the help command is never suggested
    ("get", ["status"]),                # SuggestFor
    ("DESCRIBE", ["status"]),           # SuggestFor, any case
    ("upgrade", ["rollout"]),
    ("info", ["version"]),
    ("zzz", []),
])
def test_suggestions_follow_cobra(typed, expected):
    from kubectl_sts.cli.app import SUGGEST_FOR
    from kubectl_sts.cli.cobra import suggestions_for
    assert suggestions_for(typed, COMMANDS, SUGGEST_FOR) == expected


def test_levenshtein_is_cobras_over_bytes():
    from kubectl_sts.cli.cobra import levenshtein
    assert levenshtein("status", "status") == 0
    assert levenshtein("Status", "sTATUS") == 0
    assert levenshtein("Status", "sTATUS", ignore_case=False) == 6
    assert levenshtein("", "pvc") == 3
    assert levenshtein("kitten", "sitting") == 3
    assert levenshtein("é", "e") == 2          # two bytes against one


def test_unknown_command_prints_cobras_suggestions():
    from kubectl_sts.cli.cobra import unknown_command
    result = run_cli("statuss")
    assert result.returncode == EXIT_USAGE
    assert result.stdout == ""
    assert result.stderr == ('error: unknown command "statuss" for "kubectl-sts"\n\n'
                             'Did you mean this?\n\tstatus\n\n')
    result = run_cli("s")
    assert result.stderr.endswith("Did you mean this?\n\tsandbox\n\tscale\n\tsnapshot\n\tstatus\n\n")
    result = run_cli("zzz")
    assert (result.returncode, result.stderr) == (
        EXIT_USAGE, 'error: unknown command "zzz" for "kubectl-sts"\n')
    # as a kubectl plugin, the command path is kubectl's
    plugin = subprocess.run([os.path.join(ROOT, "bin", "kubectl-sts"), "rollot"],
                            capture_output=True, text=True, timeout=60)
    assert plugin.stderr.startswith('error: unknown command "rollot" for "kubectl sts"\n\n'
                                    'Did you mean this?\n\trollout\n')
    assert unknown_command('a"b', "kubectl sts", [], {}) == \
        'unknown command "a\\"b" for "kubectl sts"'


# -- help and version ----------------------------------------------------------------------------

def test_help_command_prints_what_help_flags_print(tmp_path):
    env = {"KUBECACHEDIR": str(tmp_path)}
    root = run_cli("--help", env=env)
    for args in (["help"], ["-n", "x", "help"]):
        result = run_cli(*args, env=env)
        assert (result.returncode, result.stdout, result.stderr) == (0, root.stdout, ""), args
    for name in ("status", "rollout", "version", "help"):
        result = run_cli("help", name)
        assert result.returncode == 0 and result.stderr == ""
        assert result.stdout == run_cli(name, "--help").stdout, name
        assert result.stdout.startswith("Usage: kubectl-sts %s " % name)
    assert run_cli("help", "status", "web").stdout == run_cli("status", "--help").stdout
    # an unknown topic: cobra's line, then the root's help, on stderr; exit 0 as cobra's
    result = run_cli("help", "statuss")
    assert result.returncode == 0 and result.stdout == ""
    assert result.stderr == "Unknown help topic [`statuss`]\n" + root.stdout
    assert "\n  help " in root.stdout and "\n  version " in root.stdout


def test_help_alone_is_answered_without_click(tmp_path):
    env = dict(os.environ, PYTHONPATH=ROOT, KUBECACHEDIR=str(tmp_path))
    first = run_cli("help", env={"KUBECACHEDIR": str(tmp_path)})
    probe = subprocess.run([sys.executable, "-c", "import sys\nfrom kubectl_sts.cli.start import "
                            "main\nmain(['help'])\nprint('re' in sys.modules, 'click' in "
                            "sys.modules)"], cwd=ROOT, capture_output=True, text=True,
                           timeout=60, env=env)
    assert probe.stdout == first.stdout + "False False\n"


def test_version_client_asks_the_server_nothing(tmp_path):
    kc = unreachable_kubeconfig(tmp_path)
    result = run_cli("--kubeconfig", kc, "version", "--client")
    assert (result.returncode, result.stdout, result.stderr) == (
        0, "Plugin Version: v%s\n" % __version__, "")
    doc = json.loads(run_cli("version", "--client", "-o", "json").stdout)
    assert list(doc) == ["pluginVersion"]
    assert doc["pluginVersion"]["gitVersion"] == "v" + __version__
    assert yaml.safe_load(run_cli("version", "--client", "-o", "yaml").stdout) == \
        {"pluginVersion": doc["pluginVersion"]}
    bad = run_cli("version", "-o", "wide")
    assert (bad.returncode, bad.stderr) == (EXIT_USAGE,
                                            "error: --output must be 'yaml' or 'json'\n")


def test_version_without_a_server_prints_the_plugins_then_fails(tmp_path):
    result = run_cli("--kubeconfig", unreachable_kubeconfig(tmp_path), "version")
    assert result.returncode == EXIT_UNREACHABLE
    assert result.stdout == "Plugin Version: v%s\n" % __version__
    assert len(result.stderr.splitlines()) == 1 and "cannot reach the cluster" in result.stderr


def test_version_reads_the_servers_version_as_kubectl(capsys, kubectl, kubeconfig, namespace):
    theirs = json.loads(kubectl("version", "-o", "json").stdout)["serverVersion"]
    code, out, err = run(capsys, kubeconfig, namespace, "version")
    assert code == 0, err
    assert out == "Plugin Version: v%s\nServer Version: %s\n" % (__version__,
                                                                 theirs["gitVersion"])
    code, out, err = run(capsys, kubeconfig, namespace, "version", "-o", "json")
    doc = json.loads(out)
    assert {k: doc["serverVersion"][k] for k in ("gitVersion", "major", "minor")} == \
        {k: theirs[k] for k in ("gitVersion", "major", "minor")}
    assert out.startswith('{\n  "pluginVersion": {\n    "gitVersion": "v%s",' % __version__)


def test_completion_offers_help_and_version_and_the_topics_of_help():
    names, _ = complete(cli, [], "")
    assert "help" in names and "version" in names
    assert complete(cli, [], "v") == (["version"], 4)
    assert complete(cli, ["help"], "ro") == (["rollout"], 4)
    assert complete(cli, ["help"], "he") == (["help"], 4)
    assert complete(cli, ["version", "-o"], "") == (["json", "yaml"], 4)
    assert "--client" in complete(cli, ["version"], "--")[0]


# -- custom columns over one set: one row per ordinal ----------------------------------------------

def test_custom_columns_over_one_set_give_one_row_per_ordinal(capsys, kubeconfig, apps, core,
                                                              namespace, tmp_path):
    create_settled(apps, core, namespace, replicas=3)
    view = json.loads(run(capsys, kubeconfig, namespace, "status", "web", "-o", "json")[1])
    code, out, err = run(capsys, kubeconfig, namespace, "status", "web", "-o",
                         "custom-columns=POD:.pod,ORDINAL:.ordinal,NODE:.node,PVC:.pvcs[*].name")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["POD", "ORDINAL", "NODE", "PVC"]
    assert [line.split() for line in lines[1:]] == [
        [o["pod"], str(o["ordinal"]), o["node"], "data-web-%d" % o["ordinal"]]
        for o in view["ordinals"]]
    assert len(lines) == 4
    spec = tmp_path / "columns"
    spec.write_text("POD DNS\n.pod .dns\n")
    code, out, err = run(capsys, kubeconfig, namespace, "status", "web", "-o",
                         "custom-columns-file=%s" % spec)
    assert [line.split() for line in out.splitlines()[1:]] == [
        ["web-%d" % i, "web-%d.web.%s.svc.cluster.local" % (i, namespace)] for i in range(3)]
    # over several sets: one row per set, as before
    code, out, err = run(capsys, kubeconfig, namespace, "status", "-o",
                         "custom-columns=NAME:.name,READY:.ready")
    assert out.splitlines() == ["NAME   READY", "web    3/3"]


# -- the demo's hints: whole commands ---------------------------------------------------------------

@pytest.mark.parametrize("keep", [False, True])
def test_demo_hints_are_whole_commands(keep):
    from kubectl_sts.commands.demo import next_steps
    lines = next_steps("/tmp/x/kubeconfig", keep=keep).splitlines()
    commands = [line.split("#")[0].strip() for line in lines if line.startswith("  ")]
    assert len(commands) >= 3
    assert all(c.startswith(("kubectl-sts --kubeconfig ", "kubectl --kubeconfig "))
               for c in commands), commands
    # every subcommand named in the text is inside such a command
    for line in lines:
        for word in ("rollout web", "scale web", "status web"):
            if word in line:
                assert line.startswith("  kubectl-sts --kubeconfig "), line
    said = " ".join(lines)
    assert "rollout web --image nginx=nginx:1.28" in said and "scale web --replicas 2" in said

"""Bad input (issue 8): a matrix of every command x every kind of bad input.

Each error case asserts the README's exit code, exactly one line on stderr (no traceback, no
"Usage:" banner) and that no write reached the server: the sandbox's request log holds no
request other than GET sent by kubectl-sts (User-Agent `kubectl-sts/...`) during the command.
On a real cluster (KUBECTL_STS_TEST_KUBECONFIG) the write check compares resourceVersions.

Some inputs are not errors but edge cases that must work (no volumeClaimTemplates, no
serviceName, 0 replicas, OnDelete, unicode annotations and env values): those assert a
sensible result instead.

Cases that fail because of code other engineers own are marked xfail(strict=True) with the
reason (KNOWN_BUGS below); they start passing, and must then be unmarked, once it is fixed."""

import contextlib
import glob
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from typing import Dict, Tuple

import pytest
import yaml

import builders
from builders import statefulset
from helpers import sts_settled, wait_for
from kubectl_sts.cli.app import main
from kubectl_sts.errors import (EXIT_CONFIG, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, EXIT_UNREACHABLE,
                                EXIT_USAGE)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNICODE_NOTE = "ünïcode ☃ 日本語"

# -- the commands: every subcommand that takes a StatefulSet, rollout with each action -------------

# rollout and scale retry a request that may succeed later (an API server restarting) for as long
# as --timeout; 1s keeps a case that wrongly retries from taking 5 minutes
COMMANDS = {
    "status": lambda n: ["status", n],
    "status-json": lambda n: ["status", n, "-o", "json"],
    "rollout": lambda n: ["rollout", n, "--timeout", "1s"],
    "rollout-image": lambda n: ["rollout", n, "--image", "app=nginx:1.28", "--timeout", "1s"],
    "rollout-env": lambda n: ["rollout", n, "--env", "MODE=fast", "--timeout", "1s"],
    "rollout-hold": lambda n: ["rollout", n, "--hold", "--timeout", "1s"],
    "rollout-step": lambda n: ["rollout", n, "--step", "--timeout", "1s"],
    "rollout-to": lambda n: ["rollout", n, "--to", "0", "--timeout", "1s"],
    "rollout-all": lambda n: ["rollout", n, "--all", "--timeout", "1s"],
    "rollout-undo": lambda n: ["rollout", n, "--undo", "--yes", "--timeout", "1s"],
    "rollout-status": lambda n: ["rollout", n, "--status", "--timeout", "1s"],
    "scale": lambda n: ["scale", n, "--replicas", "1", "--yes", "--timeout", "1s"],
    "pvc": lambda n: ["pvc", n],
    "pvc-prune": lambda n: ["pvc", n, "--prune", "--yes"],
}
ROLLOUT_AND_SCALE = [c for c in COMMANDS if c.startswith(("rollout", "scale"))]
NOT_A_LABEL = (EXIT_USAGE, EXIT_NOT_FOUND)    # a client-side check (2) or the server's 404 (3)


# Every case below must pass; a regression shows as a plain failure.
KNOWN_BUGS: Dict[Tuple[str, str], str] = {}     # (case, command) -> reason
RETRYING_CASES = {"kubeconfig-server-not-a-url"}    # run with a 1 s retry budget (speed only)



# -- fixtures ------------------------------------------------------------------------------------

def _settle(apps, namespace, name, replicas):
    wait_for(apps.list_namespaced_stateful_set, sts_settled(name, replicas), timeout=60,
             namespace=namespace)


def _unicode_web():
    sts = statefulset("web", replicas=2)
    sts["metadata"]["annotations"] = {"example.com/note": UNICODE_NOTE,
                                      # a rollout state this tool never wrote: not JSON
                                      "kubectl-sts.io/rollout": "{ünï"}
    sts["spec"]["template"]["metadata"]["annotations"] = {"example.com/note": UNICODE_NOTE}
    sts["spec"]["template"]["spec"]["containers"][0]["env"] = [{"name": "GREETING",
                                                                "value": UNICODE_NOTE}]
    return sts


# the StatefulSets of the shared namespace: nothing in this file writes to them
SHARED_SETS = {
    "web": _unicode_web,
    "noclaims": lambda: statefulset("noclaims", replicas=1, claims=()),
    "nosvc": lambda: statefulset("nosvc", replicas=1, service=""),
    "zero": lambda: statefulset("zero", replicas=0),
    "ondel": lambda: statefulset("ondel", replicas=2, strategy="OnDelete"),
}


@contextlib.contextmanager
def _namespace_with(core, apps, sets, service=True):
    from kubernetes import client
    name = "t-bad-" + uuid.uuid4().hex[:8]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    try:
        if service:
            core.create_namespaced_service(name, builders.service("web"))
        for make in sets.values():
            apps.create_namespaced_stateful_set(name, make())
        for sts_name, make in sets.items():
            _settle(apps, name, sts_name, make()["spec"]["replicas"])
        yield name
    finally:
        try:
            core.delete_namespace(name)
        except Exception:
            pass


@pytest.fixture(scope="module")
def shared(core, apps):
    """A namespace, for the whole module, with one settled StatefulSet of each kind."""
    with _namespace_with(core, apps, SHARED_SETS) as name:
        yield name


@pytest.fixture(scope="module")
def victim(core, apps):
    """A namespace of its own, with a StatefulSet `web` of 0 replicas (nothing ever waits on
    it), for the names that a command could turn into another request path: a command that
    lets one through writes here, never to the shared sets."""
    with _namespace_with(core, apps, {"web": lambda: statefulset("web", replicas=0)},
                         service=False) as name:
        yield name


class Writes:
    """Counts the writes kubectl-sts sent: non-GET requests with its User-Agent in the sandbox's
    request log; on a real cluster, changed resourceVersions of the namespaces' StatefulSets."""

    def __init__(self, sandbox, apps):
        self.sandbox, self.apps = sandbox, apps

    def _snapshot(self, namespaces):
        out = {}
        for ns in namespaces:
            body = json.loads(self.apps.list_namespaced_stateful_set(
                ns, _preload_content=False).data)
            out.update({(ns, s["metadata"]["name"]): s["metadata"]["resourceVersion"]
                        for s in body["items"]})
        return out

    @contextlib.contextmanager
    def none(self, *namespaces):
        if self.sandbox is not None:
            start = len(self.sandbox.request_log)
            yield
            sent = [e for e in list(self.sandbox.request_log)[start:]
                    if e.get("method") != "GET" and
                    (e.get("user_agent") or "").startswith("kubectl-sts/")]
            assert not sent, "writes reached the server: %s" % [
                (e["method"], e["path"], e.get("query")) for e in sent]
        else:
            before = self._snapshot(namespaces)
            yield
            assert self._snapshot(namespaces) == before, "a StatefulSet changed"


@pytest.fixture
def writes(_session_sandbox, apps):
    return Writes(_session_sandbox, apps)


@pytest.fixture
def cli(capsys):
    """`kubectl-sts ARGV` in-process; returns (exit code, stdout, stderr)."""
    def run(argv):
        capsys.readouterr()
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err
    return run


def one_line(err):
    """The single line an error prints on stderr (asserting there is exactly one)."""
    assert "Traceback" not in err, err
    assert "Usage:" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, "expected one line on stderr, got %d:\n%s" % (len(lines), err)
    return lines[0]


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kubeconfig_text(server, **cluster):
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": dict({"server": server}, **cluster)}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "current-context": "c"})


# -- the matrix: bad input that applies to every command -----------------------------------------
#
# A case is a function (env) -> (global flags, NAME); env gives the shared namespace, the test
# kubeconfig, a temporary directory and the sandbox's plain-HTTP port. Each case names the exit
# codes the README documents for it and a pattern the one line must match.

MALFORMED_KUBECONFIGS = {
    "yaml-syntax": "apiVersion: v1\nclusters: [\n  - bad\n",
    "not-a-mapping": "just a string\n",
    "empty-file": "",
    "no-current-context": kubeconfig_text("http://127.0.0.1:1").replace(
        "current-context: c", "current-context: ''"),
    "current-context-missing": kubeconfig_text("http://127.0.0.1:1").replace(
        "current-context: c", "current-context: gone"),
    "context-names-missing-cluster": kubeconfig_text("http://127.0.0.1:1").replace(
        "cluster: c\n", "cluster: gone\n"),
    "no-server": "clusters: [{name: c, cluster: {}}]\n"
                 "contexts: [{name: c, context: {cluster: c}}]\ncurrent-context: c\n",
    "clusters-not-a-list": "clusters: 5\ncontexts: [{name: c, context: {cluster: c}}]\n"
                           "current-context: c\n",
    "context-not-a-mapping": "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:1'}}]\n"
                             "contexts: [{name: c, context: oops}]\ncurrent-context: c\n",
    "cluster-entry-not-a-mapping": "clusters: [c]\ncontexts: [{name: c, context: {cluster: c}}]"
                                   "\ncurrent-context: c\n",
    "token-not-a-string": kubeconfig_text("http://127.0.0.1:1").replace("token: t",
                                                                        "token: 5"),
    "ca-data-not-base64": kubeconfig_text("https://127.0.0.1:1",
                                          **{"certificate-authority-data": "!!!notb64"}),
    "server-not-a-url": kubeconfig_text("not a url"),
    "binary-file": b"\x00\xff\xfe kubeconfig",
}


def _kubeconfig_case(text):
    def setup(env):
        path = os.path.join(env["tmp"], "kubeconfig")
        data = text(env) if callable(text) else text
        with open(path, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode())
        return ["--kubeconfig", path], "web"
    return setup


def _tls_case(env):
    if env["port"] is None:
        pytest.skip("needs the sandbox's plain-HTTP port")
    path = os.path.join(env["tmp"], "kubeconfig")
    with open(path, "w") as f:
        f.write(kubeconfig_text("https://127.0.0.1:%d" % env["port"]))
    return ["--kubeconfig", path], "web"


def _ca_missing_case(env):
    if env["port"] is None:
        pytest.skip("needs the sandbox's plain-HTTP port")
    path = os.path.join(env["tmp"], "kubeconfig")
    with open(path, "w") as f:
        f.write(kubeconfig_text("https://127.0.0.1:%d" % env["port"], **{
            "certificate-authority": os.path.join(env["tmp"], "no-such-ca.crt")}))
    return ["--kubeconfig", path], "web"


def _in(env, name, *extra, **kwargs):
    namespace = env["victim"] if kwargs.get("victim") else env["shared"]
    return ["--kubeconfig", env["kubeconfig"], "-n", namespace] + list(extra), name


GLOBAL_CASES = {
    # case id: (setup, exit codes, pattern of the one line)
    "unknown-statefulset": (lambda env: _in(env, "nope"), (EXIT_NOT_FOUND,),
                            r'statefulsets\.apps "nope" not found'),
    "unknown-namespace": (lambda env: (["--kubeconfig", env["kubeconfig"],
                                        "-n", "no-such-ns-" + uuid.uuid4().hex[:6]], "web"),
                          (EXIT_NOT_FOUND,), r'not found.*namespace "no-such-ns-'),
    "unknown-context": (lambda env: _in(env, "web", "--context", "no-such-context"),
                        (EXIT_CONFIG,), r'context "no-such-context" does not exist'),
    "kubeconfig-missing-file": (lambda env: (["--kubeconfig", os.path.join(
        env["tmp"], "nope.yaml")], "web"), (EXIT_CONFIG,), r"no such file"),
    "unreachable-server": (_kubeconfig_case(lambda env: kubeconfig_text(
        "http://127.0.0.1:%d" % closed_port())), (EXIT_UNREACHABLE,), r"cannot reach"),
    "tls-handshake-failure": (_tls_case, (EXIT_UNREACHABLE,), r"TLS"),
    "kubeconfig-ca-file-missing": (_ca_missing_case, (EXIT_CONFIG,), r"no-such-ca\.crt"),
    "request-timeout-invalid": (lambda env: _in(env, "web", "--request-timeout", "soon"),
                                (EXIT_USAGE,), r'invalid duration "soon"'),
    "name-too-long": (lambda env: _in(env, "a" * 64), NOT_A_LABEL,
                      r"no more than 63 characters|not found"),
    "name-unicode": (lambda env: _in(env, "ünïcode"), NOT_A_LABEL,
                     r'(?=.*"ünïcode").*(RFC 1123|not found)'),
    "name-uppercase": (lambda env: _in(env, "WEB"), NOT_A_LABEL,
                       r'(?=.*"WEB").*(RFC 1123|not found)'),
    # names that are paths: they target `web` of the victim namespace (see `victim`)
    "name-path-slash": (lambda env: _in(env, "web/scale", victim=True), NOT_A_LABEL,
                        r'(?=.*"web/scale").*(not a StatefulSet|not found)'),
    "name-path-query": (lambda env: _in(env, "web?x=1", victim=True), NOT_A_LABEL,
                        r'(?=.*"web\?x=1").*(RFC 1123|not found)'),
    "name-dotdot": (lambda env: _in(env, "..", victim=True), NOT_A_LABEL,
                    r'(?=.*"\.\.").*(RFC 1123|not found)'),
    "name-empty": (lambda env: _in(env, "", victim=True), NOT_A_LABEL, r"empty|not found"),
    "namespace-path": (lambda env: (["--kubeconfig", env["kubeconfig"], "-n",
                                     env["victim"] + "/statefulsets/web/../.."], "web"),
                       NOT_A_LABEL, r"invalid namespace|not found"),
    "namespace-unicode": (lambda env: (["--kubeconfig", env["kubeconfig"], "-n", "ñs"], "web"),
                          NOT_A_LABEL, r'(?=.*"ñs").*(RFC 1123|not found)'),
}
for _variant, _text in MALFORMED_KUBECONFIGS.items():
    GLOBAL_CASES["kubeconfig-" + _variant] = (_kubeconfig_case(_text), (EXIT_CONFIG,),
                                              r"^error: ")


def _matrix():
    for case in GLOBAL_CASES:
        for command in COMMANDS:
            reason = KNOWN_BUGS.get((case, command))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(case, command, id="%s-%s" % (case, command), marks=marks)


@pytest.fixture
def env(shared, victim, kubeconfig, tmp_path, _session_sandbox):
    port = _session_sandbox.server.server_address[1] if _session_sandbox is not None else None
    return {"shared": shared, "victim": victim, "kubeconfig": kubeconfig, "tmp": str(tmp_path),
            "port": port}


@pytest.mark.parametrize("case, command", list(_matrix()))
def test_bad_input_every_command(cli, writes, env, monkeypatch, case, command):
    setup, codes, pattern = GLOBAL_CASES[case]
    if case in RETRYING_CASES:
        import kubectl_sts.client.retry
        monkeypatch.setattr(kubectl_sts.client.retry, "RETRY_BUDGET", 1.0)
    flags, name = setup(env)
    with writes.none(env["shared"], env["victim"]):
        code, out, err = cli(flags + COMMANDS[command](name))
    line = one_line(err)
    assert code in codes, (code, out, err)
    assert re.search(pattern, line), line
    assert out == "", out


# -- the matrix: bad input of one command --------------------------------------------------------

PATCH_NOT_YAML = "spec: [unclosed\n"
COMMAND_CASES = [
    # (case id, argv after the global flags, exit code, pattern of the one line)
    ("scale-replicas-negative", ["scale", "web", "--replicas", "-1", "--yes"], EXIT_USAGE,
     r'invalid argument "-1" for "--replicas" flag: must be at least 0'),
    ("scale-replicas-non-numeric", ["scale", "web", "--replicas", "two", "--yes"], EXIT_USAGE,
     r"--replicas.*two"),
    ("scale-replicas-fraction", ["scale", "web", "--replicas", "1.5", "--yes"], EXIT_USAGE,
     r"--replicas"),
    ("scale-replicas-empty", ["scale", "web", "--replicas", "", "--yes"], EXIT_USAGE,
     r"--replicas"),
    ("scale-replicas-missing", ["scale", "web", "--yes"], EXIT_USAGE,
     r'required flag\(s\) "replicas" not set'),
    ("scale-min-replicas-negative", ["scale", "web", "--replicas", "1", "--min-replicas", "-2",
                                     "--yes"], EXIT_USAGE, r"--min-replicas"),
    ("scale-timeout-invalid", ["scale", "web", "--replicas", "1", "--timeout", "soon", "--yes"],
     EXIT_USAGE, r'invalid argument "soon" for "--timeout" flag: time: invalid duration "soon"$'),
    ("scale-dry-run-unknown", ["scale", "web", "--replicas", "1", "--dry-run=maybe"], EXIT_USAGE,
     r'Invalid dry-run value \(maybe\)\. Must be "none", "server", or "client"'),
    ("rollout-step-0", ["rollout", "web", "--step", "0"], EXIT_USAGE,
     r'invalid argument "0" for "--step" flag: must be at least 1'),
    ("rollout-step-negative", ["rollout", "web", "--step=-1"], EXIT_USAGE,
     r'invalid argument "-1" for "--step" flag: must be at least 1'),
    ("rollout-step-non-numeric", ["rollout", "web", "--step", "one"], EXIT_USAGE, r"--step"),
    ("rollout-to-above-replicas", ["rollout", "web", "--to", "3"], EXIT_USAGE,
     r"--to 3 is outside 0\.\.2"),
    ("rollout-to-below-zero", ["rollout", "web", "--to=-1"], EXIT_USAGE,
     r"--to -1 is outside 0\.\.2"),
    ("rollout-to-non-numeric", ["rollout", "web", "--to", "last"], EXIT_USAGE, r"--to"),
    ("rollout-to-ondelete", ["rollout", "ondel", "--to", "1"], EXIT_USAGE,
     r"OnDelete: partitions do not apply"),
    ("rollout-image-unknown-container", ["rollout", "web", "--image", "nope=nginx:1.28"],
     EXIT_USAGE, r'unable to find container named "nope" \(containers: app\)'),
    ("rollout-env-unknown-container", ["rollout", "web", "--env", "A=1", "--container", "nope"],
     EXIT_USAGE, r'unable to find container named "nope"'),
    ("rollout-container-without-env", ["rollout", "web", "--container", "app"], EXIT_USAGE,
     r"--container only applies to --env"),
    ("rollout-image-not-key-value", ["rollout", "web", "--image", "nginx"], EXIT_USAGE,
     r"expected KEY=VALUE"),
    ("rollout-image-no-container", ["rollout", "web", "--image", "=nginx:1.28"], EXIT_USAGE,
     r"expected KEY=VALUE"),
    ("rollout-image-empty", ["rollout", "web", "--image", "app="], EXIT_USAGE,
     r'invalid image "" for container "app"'),
    ("rollout-image-unicode", ["rollout", "web", "--image", "app=nginx:ünï"], EXIT_USAGE,
     r'invalid image "nginx:ünï" for container "app": not a valid image reference'),
    ("rollout-image-uppercase", ["rollout", "web", "--image", "app=NGINX:1.28"], EXIT_USAGE,
     r"repository name must be lowercase"),
    ("rollout-image-whitespace", ["rollout", "web", "--image", "app=nginx 1.28"], EXIT_USAGE,
     r"whitespace"),
    ("rollout-env-name-unicode", ["rollout", "web", "--env", "ÜBER=1"], EXIT_USAGE,
     r'invalid environment variable name "ÜBER"'),
    ("rollout-env-not-key-value", ["rollout", "web", "--env", "MODE"], EXIT_USAGE,
     r"expected KEY=VALUE"),
    ("rollout-pause-invalid", ["rollout", "web", "--all", "--pause", "5x"], EXIT_USAGE,
     r'invalid duration "5x"'),
    ("rollout-timeout-invalid", ["rollout", "web", "--step", "--timeout", "soon"], EXIT_USAGE,
     r'invalid duration "soon"'),
    ("rollout-settle-invalid", ["rollout", "web", "--step", "--settle", "1y"], EXIT_USAGE,
     r'invalid argument "1y" for "--settle" flag: time: invalid duration "1y"$'),
    ("rollout-settle-negative", ["rollout", "web", "--step", "--settle", "-5s"], EXIT_USAGE,
     r"--settle|No such option"),
    ("rollout-two-actions", ["rollout", "web", "--step", "--undo"], EXIT_USAGE,
     r"choose one of --step, --undo"),
    ("rollout-on-failure-unknown", ["rollout", "web", "--step", "--on-failure", "retry"],
     EXIT_USAGE, r"--on-failure"),
    ("rollout-patch-missing-file", ["rollout", "web", "--patch", "/no/such/patch.yaml"],
     EXIT_USAGE, r"--patch"),
    ("rollout-patch-not-yaml", ["rollout", "web", "--patch", "{patch}"], EXIT_USAGE,
     r"--patch: not valid YAML"),
    ("rollout-hold-ondelete", ["rollout", "ondel", "--hold"], EXIT_ERROR,
     r"OnDelete: partitions do not apply"),
    ("rollout-undo-ondelete", ["rollout", "ondel", "--undo", "--yes"], EXIT_ERROR,
     r"uses OnDelete"),
    ("rollout-stage-ondelete", ["rollout", "ondel", "--image", "app=nginx:1.28"], EXIT_ERROR,
     r"uses OnDelete"),
    ("pvc-ordinal-without-prune", ["pvc", "web", "--ordinal", "5"], EXIT_USAGE,
     r"--ordinal only applies to --prune"),
    ("pvc-ordinal-non-numeric", ["pvc", "web", "--prune", "--ordinal", "x"], EXIT_USAGE,
     r"--ordinal"),
    ("pvc-ordinal-in-range", ["pvc", "web", "--prune", "--ordinal", "0", "--yes"], EXIT_USAGE,
     r"ordinal 0 is inside the range of web"),
    ("status-output-unknown", ["status", "web", "-o", "table"], EXIT_USAGE,
     r'unable to match a printer suitable for the output format "table", allowed formats are: '),
    ("status-name-with-all-namespaces", ["status", "web", "-A"], EXIT_USAGE,
     r"a resource cannot be retrieved by name across all namespaces"),
    ("status-check-without-name", ["status", "--check"], EXIT_USAGE, r"--check needs a NAME"),
    ("status-check-with-watch", ["status", "web", "--check", "--watch"], EXIT_USAGE,
     r"--check needs a NAME"),
    ("status-extra-argument", ["status", "web", "db"], EXIT_USAGE, r"accepts at most 1 arg\(s\), received 2"),
    ("unknown-command", ["reboot", "web"], EXIT_USAGE, r'unknown command "reboot" for "kubectl[ -]sts"'),
    ("unknown-flag", ["scale", "web", "--replica", "2"], EXIT_USAGE, r"unknown flag: --replica$"),
]


@pytest.mark.parametrize("case, argv, expected, pattern", [
    pytest.param(*c, id=c[0]) for c in COMMAND_CASES])
def test_bad_input_of_one_command(cli, writes, env, case, argv, expected, pattern):
    patch = os.path.join(env["tmp"], "patch.yaml")
    with open(patch, "w") as f:
        f.write(PATCH_NOT_YAML)
    argv = [a.replace("{patch}", patch) for a in argv]
    with writes.none(env["shared"]):
        code, out, err = cli(["--kubeconfig", env["kubeconfig"], "-n", env["shared"]] + argv)
    line = one_line(err)
    assert code == expected, (code, out, err)
    assert re.search(pattern, line), line


def test_prune_without_yes_never_asks_a_pipe_and_deletes_nothing(cli, writes, env):
    # nothing is orphaned in `web`, so it says so; with orphans it would refuse to ask (exit 2)
    with writes.none(env["shared"]):
        code, out, err = cli(["--kubeconfig", env["kubeconfig"], "-n", env["shared"], "pvc",
                              "web", "--prune"])
    assert code == EXIT_OK, err
    assert "No orphaned PVCs to prune for web." in out


# -- edge cases that are not errors: each must work and say something useful ---------------------

EDGE_CASES = [
    # (StatefulSet, argv after NAME, exit code, fragments of stdout+stderr, fragments absent)
    ("noclaims", ["status"], 0, ["noclaims-0", "Running"], ["   PVC"]),
    ("noclaims", ["status", "-o", "json"], 0, ['"pvcs": []', '"orphanedPVCs": []'], []),
    ("noclaims", ["rollout"], 0, ["nothing pending"], []),
    ("noclaims", ["rollout", "--status", "--timeout", "1s"], 0, ["complete"], []),
    ("noclaims", ["scale", "--replicas", "0", "--dry-run"], 0,
     ["1 -> 0 replicas", "Pods removed, in this order: noclaims-0", "scaling to 0"],
     ["ACTION", "PVCs:"]),
    ("noclaims", ["scale", "--replicas", "3", "--dry-run"], 0,
     ["1 -> 3 replicas", "noclaims-1, noclaims-2"], ["ACTION"]),
    ("noclaims", ["pvc"], 0, ["No PVCs found for noclaims."], []),
    ("noclaims", ["pvc", "--prune", "--yes"], 0, ["No orphaned PVCs to prune"], []),
    ("nosvc", ["status"], 0, ["no serviceName: pods have no stable DNS names", "nosvc-0"],
     ["nosvc-0.nosvc"]),
    ("nosvc", ["status", "-o", "json"], 0, ['"service": null', '"dns": ""'], []),
    ("nosvc", ["rollout"], 0, ["nothing pending"], []),
    ("nosvc", ["scale", "--replicas", "0", "--dry-run"], 0, ["data-nosvc-0", "KEEP"], []),
    ("nosvc", ["pvc"], 0, ["data-nosvc-0", "in range"], []),
    ("zero", ["status"], 0, ["0 desired", "scaled to 0"], []),
    ("zero", ["status", "--check"], 0, ["scaled to 0"], []),
    ("zero", ["rollout"], 0, ["Partition:        0 of 0 replicas", "Nothing pending"], []),
    ("zero", ["rollout", "--step", "--timeout", "1s"], 0, ["Nothing pending"], []),
    ("zero", ["rollout", "--all", "--timeout", "1s"], 0, ["Nothing pending"], []),
    ("zero", ["rollout", "--status", "--timeout", "1s"], 0, ["complete"], []),
    ("zero", ["scale", "--replicas", "0", "--yes"], 0, ["Nothing to do: it already has 0"], []),
    ("zero", ["scale", "--replicas", "1", "--dry-run"], 0,
     ["0 -> 1 replicas", "zero-0", "data-zero-0"], []),
    ("zero", ["pvc"], 0, ["No PVCs found for zero."], []),
    ("zero", ["pvc", "--prune", "--yes"], 0, ["No orphaned PVCs to prune"], []),
    ("ondel", ["status"], 0, ["OnDelete (pods update only when deleted)"], ["--- partition"]),
    ("ondel", ["rollout"], 0, ["OnDelete: partitions do not apply",
                               "next: kubectl sts rollout ondel --step"], ["Partition:"]),
    ("ondel", ["rollout", "--step", "--dry-run"], 0,
     ["partitions do not apply", "nothing to update"], []),
    ("ondel", ["rollout", "--all", "--timeout", "1s"], 0, ["partitions do not apply"], []),
    ("ondel", ["rollout", "--status", "--timeout", "1s"], 0, ["complete"], []),
    ("ondel", ["scale", "--replicas", "1", "--dry-run"], 0, ["ondel-1", "data-ondel-1"], []),
    ("ondel", ["pvc"], 0, ["data-ondel-0", "data-ondel-1"], []),
    # `web` carries unicode in annotations, a template env value and a garbled state annotation
    ("web", ["status"], 0, ["web-0", "web-1"], []),
    ("web", ["status", "-o", "yaml"], 0, ["name: web"], []),
    ("web", ["rollout"], 0, ["Nothing pending"], ["Interrupted:"]),
    ("web", ["scale", "--replicas", "1", "--dry-run"], 0, ["data-web-1"], []),
    ("web", ["pvc"], 0, ["data-web-0", "data-web-1"], []),
]


@pytest.mark.parametrize("name, args, expected, present, absent", [
    pytest.param(*c, id="%s-%s" % (c[0], "-".join(a.strip("-") for a in c[1])))
    for c in EDGE_CASES])
def test_edge_case_works(cli, writes, env, name, args, expected, present, absent):
    with writes.none(env["shared"]):
        code, out, err = cli(["--kubeconfig", env["kubeconfig"], "-n", env["shared"], args[0],
                              name] + args[1:])
    assert "Traceback" not in err, err
    assert code == expected, (code, out, err)
    text = out + err
    for fragment in present:
        assert fragment.lower() in text.lower(), (fragment, text)
    for fragment in absent:
        assert fragment not in text, (fragment, text)
    if args[1:2] == ["-o"]:
        (json.loads if args[2] == "json" else yaml.safe_load)(out)


def test_status_json_keeps_unicode_and_a_garbled_state_annotation_is_ignored(cli, env):
    code, out, err = cli(["--kubeconfig", env["kubeconfig"], "-n", env["shared"], "rollout",
                          "web"])
    assert code == 0, err
    assert "Interrupted" not in out
    code, out, err = cli(["--kubeconfig", env["kubeconfig"], "-n", env["shared"], "status",
                          "web", "-o", "json"])
    assert code == 0, err
    view = json.loads(out)
    assert view["name"] == "web" and len(view["ordinals"]) == 2


def test_unicode_env_value_is_staged_and_shown(cli, apps, core, kubeconfig, namespace):
    """Unicode is valid in an env value (and in annotations): staging one works, reaches the
    API intact, and the plan's template diff shows it as written."""
    apps.create_namespaced_stateful_set(namespace, statefulset("web", replicas=2, claims=()))
    _settle(apps, namespace, "web", 2)
    base = ["--kubeconfig", kubeconfig, "-n", namespace, "rollout", "web"]
    code, out, err = cli(base + ["--env", "GREETING=välue ☃"])
    assert code == 0, err
    assert "staged: partition 2, no pod restarts yet" in out
    sts = json.loads(apps.read_namespaced_stateful_set("web", namespace,
                                                       _preload_content=False).data)
    env_vars = sts["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "GREETING", "value": "välue ☃"} in env_vars
    wait_for(apps.list_namespaced_stateful_set,
             lambda items: items["web"].get("status", {}).get("updateRevision") !=
             items["web"].get("status", {}).get("currentRevision"), namespace=namespace)
    code, out, err = cli(base)
    assert code == 0, err
    assert re.search(r"^ *\+ +value: välue ☃$", out, re.M), out


def test_scale_a_set_without_claims_to_zero_reports_no_pvcs(cli, apps, kubeconfig, namespace):
    apps.create_namespaced_stateful_set(namespace, statefulset("solo", replicas=1, claims=()))
    _settle(apps, namespace, "solo", 1)
    base = ["--kubeconfig", kubeconfig, "-n", namespace]
    code, out, err = cli(base + ["scale", "solo", "--replicas", "0", "--yes", "--timeout",
                                 "30s"])
    assert code == 0, (out, err)
    assert "statefulset.apps/solo scaled to 0" in out
    assert "ACTION" not in out and "PVCs:" not in out
    code, out, err = cli(base + ["status", "solo"])
    assert code == 0, err
    assert "scaled to 0" in out


# -- a certificate the client cannot verify (needs a TLS sandbox) --------------------------------

def test_tls_certificate_verification_failure(cli, tmp_path):
    import shutil
    import kubectl_sts_sandbox as sandbox_module
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed for the sandbox's TLS mode")
    with sandbox_module.Sandbox(tls=True) as sb:
        path = str(tmp_path / "kubeconfig")
        sb.write_kubeconfig(path, with_ca=False)
        for command in COMMANDS.values():
            start = len(sb.request_log)
            code, out, err = cli(["--kubeconfig", path] + command("web"))
            line = one_line(err)
            assert code == EXIT_UNREACHABLE, (code, err)
            assert "certificate verify failed" in line, line
            assert not [e for e in sb.request_log[start:] if e.get("method") != "GET"]


# -- as a real process: what a user sees --------------------------------------------------------

def _process(argv):
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("KUBECONFIG", None)
    return subprocess.run([sys.executable, "-m", "kubectl_sts"] + argv, capture_output=True,
                          text=True, timeout=60, env=env, stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("case", ["unreachable-server", "unknown-statefulset",
                                  "kubeconfig-yaml-syntax", "name-path-slash",
                                  "pvc-ordinal-in-range", "rollout-image-unicode"])
def test_a_real_process_prints_one_line_and_no_traceback(env, writes, case):
    if case in GLOBAL_CASES:
        setup, codes, pattern = GLOBAL_CASES[case]
        flags, name = setup(env)
        argv = flags + COMMANDS["status"](name)
    else:
        _, tail, code, pattern = next(c for c in COMMAND_CASES if c[0] == case)
        codes = (code,)
        argv = ["--kubeconfig", env["kubeconfig"], "-n", env["shared"]] + tail
    with writes.none(env["shared"]):
        result = _process(argv)
    line = one_line(result.stderr)
    assert result.returncode in codes, (result.returncode, result.stderr)
    assert re.search(pattern, line), line


# -- no user input reaches a shell ----------------------------------------------------------------

SHELL_PATTERNS = [r"shell\s*=\s*True", r"\bos\.system\s*\(", r"\bos\.popen\s*\(",
                  r"\bos\.exec\w*\s*\(", r"\bos\.spawn\w*\s*\(", r"\bcommands\.getoutput"]


def test_no_user_input_reaches_a_shell():
    sources = [p for p in glob.glob(os.path.join(ROOT, "kubectl_sts*", "**", "*.py"),
                                    recursive=True)
               if os.sep + "tests" + os.sep not in p]
    assert len(sources) > 20, sources
    found = []
    for path in sources:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                for pattern in SHELL_PATTERNS:
                    if re.search(pattern, line):
                        found.append("%s:%d: %s" % (os.path.relpath(path, ROOT), number,
                                                    line.strip()))
    assert not found, "\n".join(found)

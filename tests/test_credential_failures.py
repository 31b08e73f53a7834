"""Credentials in what the plugin prints, and a failing exec credential plugin (issue 27).

- A URL is printed through one function (errors.redact_url; errors.redact applies it to every
  error line): a password in the userinfo as kubectl prints it (`https://admin:***@host`, Go's
  net/http stripPassword), a bare userinfo and token-like query parameters as `***`.
- An exec plugin that fails stops the command before any request, with client-go's words
  (plugin/pkg/client/auth/exec/exec.go: `getting credentials: exec: executable X failed with
  exit code N`), exit 4, the plugin's stderr passed through, and no stray log line."""

import os
import stat
import subprocess
import sys

import pytest
import yaml

from helpers import closed_port
from kubectl_sts.errors import EXIT_CONFIG, EXIT_FORBIDDEN, EXIT_UNREACHABLE, redact, redact_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("url, shown", [
    ("https://admin:P4ssw0rd@10.0.0.1:6443", "https://admin:***@10.0.0.1:6443"),
    ("https://admin:P4ssw0rd@10.0.0.1:6443/api?x=1", "https://admin:***@10.0.0.1:6443/api?x=1"),
    ("https://s3cr3ttoken@h.example/", "https://***@h.example/"),
    ("https://h.example/p?access_token=abc&watch=true", "https://h.example/p?access_token=***"
     "&watch=true"),
    ("https://h.example/p?X-Amz-Signature=ab12&id_token=xyz#f",
     "https://h.example/p?X-Amz-Signature=***&id_token=***#f"),
    ("https://h.example/p?client_secret=s&password=p&api_key=k",
     "https://h.example/p?client_secret=***&password=***&api_key=***"),
    ("https://10.0.0.1:6443", "https://10.0.0.1:6443"),
    ("https://h.example/api/v1/namespaces?labelSelector=app%3Dweb",
     "https://h.example/api/v1/namespaces?labelSelector=app%3Dweb"),
    ("http://user:pa:ss@h@proxy:3128", "http://user:***@proxy:3128"),
    ("not a url", "not a url"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown
    assert redact("error: cannot reach %s: refused" % url) == "error: cannot reach %s: refused" \
        % shown


def plugin(*args, kubeconfig, env=None):
    return subprocess.run([sys.executable, "-m", "kubectl_sts", "--kubeconfig", kubeconfig]
                          + list(args), cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=ROOT, **(env or {})))


def write(path, doc):
    with open(path, "w") as f:
        yaml.safe_dump(doc, f)
    os.chmod(path, 0o600)
    return str(path)


def kubeconfig_for(server, user):
    return {"apiVersion": "v1", "kind": "Config", "current-context": "c",
            "clusters": [{"name": "c", "cluster": dict(server, **{})}],
            "users": [{"name": "u", "user": user}],
            "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u",
                                                   "namespace": "default"}}]}


@pytest.mark.parametrize("server, shown", [
    ("https://admin:P4ssw0rd@127.0.0.1:{port}", "https://admin:***@127.0.0.1:{port}"),
    ("https://127.0.0.1:{port}/?access_token=P4ssw0rd", "https://127.0.0.1:{port}/?"
                                                          "access_token=***"),
])
def test_a_password_in_the_server_url_is_never_printed(tmp_path, server, shown):
    port = closed_port()
    path = write(tmp_path / "kubeconfig", kubeconfig_for(
        {"server": server.format(port=port), "insecure-skip-tls-verify": True},
        {"token": "t0ken-of-the-user"}))
    done = plugin("status", "web", kubeconfig=path)
    assert done.returncode == EXIT_UNREACHABLE, done.stderr
    assert done.stderr.startswith("error: cannot reach the cluster at %s: "
                                  % shown.format(port=port)), done.stderr
    assert "P4ssw0rd" not in done.stdout + done.stderr
    # a malformed server URL is quoted in the message too
    path = write(tmp_path / "bad", kubeconfig_for(
        {"server": "https://admin:P4ssw0rd@127.0.0.1:http"}, {"token": "t0ken-of-the-user"}))
    done = plugin("status", "web", kubeconfig=path)
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "https://admin:***@127.0.0.1:http" in done.stderr
    assert "P4ssw0rd" not in done.stdout + done.stderr


def exec_user(command, api_version="client.authentication.k8s.io/v1beta1"):
    return {"exec": {"apiVersion": api_version, "command": command,
                     "interactiveMode": "Never"}}


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(stat.S_IRWXU)
    return str(path)


def sandbox_kubeconfig(sandbox, tmp_path, user):
    with open(sandbox.kubeconfig) as f:
        doc = yaml.safe_load(f)
    doc["users"][0]["user"] = user
    return write(tmp_path / "exec.kubeconfig", doc)


def plugin_requests(sandbox, namespace):
    return [e for e in sandbox.request_log if e["user_agent"].startswith("kubectl-sts/")
            and "/namespaces/%s/" % namespace in e["path"]]


def test_a_failing_exec_plugin_stops_before_any_request(sandbox, namespace, tmp_path):
    command = script(tmp_path, "login.sh", 'echo "token expired: run login" >&2\nexit 3\n')
    path = sandbox_kubeconfig(sandbox, tmp_path, exec_user(command))
    done = plugin("-n", namespace, "status", "web", kubeconfig=path)
    assert done.returncode == EXIT_FORBIDDEN, done.stderr
    assert done.stderr == ("token expired: run login\n"            # the plugin's stderr
                           "error: getting credentials: exec: executable %s failed with exit "
                           "code 3\n" % command)
    assert done.stdout == ""
    assert plugin_requests(sandbox, namespace) == []


def test_a_missing_exec_plugin_says_so(sandbox, namespace, tmp_path):
    command = str(tmp_path / "no-such-login")
    path = sandbox_kubeconfig(sandbox, tmp_path, exec_user(command))
    done = plugin("-n", namespace, "status", "web", kubeconfig=path)
    assert done.returncode == EXIT_FORBIDDEN, done.stderr
    assert done.stderr == ("error: getting credentials: exec: executable %s not found\n"
                           % command)
    assert plugin_requests(sandbox, namespace) == []


def test_an_exec_plugin_that_answers_nothing_usable(sandbox, namespace, tmp_path):
    command = script(tmp_path, "login.sh", "echo '{\"apiVersion\": "
                     "\"client.authentication.k8s.io/v1beta1\", \"kind\": \"ExecCredential\", "
                     "\"status\": {}}'\n")
    path = sandbox_kubeconfig(sandbox, tmp_path, exec_user(command))
    done = plugin("-n", namespace, "status", "web", kubeconfig=path)
    assert done.returncode == EXIT_FORBIDDEN, done.stderr
    assert done.stderr == ("error: getting credentials: exec plugin didn't return a token or "
                           "cert/key pair\n")
    assert plugin_requests(sandbox, namespace) == []


def test_the_token_an_exec_plugin_gives_is_sent(sandbox, namespace, tmp_path):
    sandbox.grant("from-the-exec-plugin", "exec-user", [{"verbs": ["get", "list"],
                                                         "resources": ["*"]}])
    command = script(tmp_path, "login.sh", "echo '{\"apiVersion\": "
                     "\"client.authentication.k8s.io/v1beta1\", \"kind\": \"ExecCredential\", "
                     "\"status\": {\"token\": \"from-the-exec-plugin\"}}'\n")
    path = sandbox_kubeconfig(sandbox, tmp_path, exec_user(command))
    done = plugin("-n", namespace, "status", "web", kubeconfig=path)
    assert done.returncode == 3, done.stderr        # the set does not exist: it was asked
    sent = plugin_requests(sandbox, namespace)
    assert sent and all(e.get("user") == "exec-user" for e in sent), sent

"""Exec credential plugins (a kubeconfig user's `exec:`), run as kubectl runs them: once,
before any request, the plugin's stderr passed through, and a failure stops the command with
client-go's words (`getting credentials: exec: executable X failed with exit code N`, exit 4).

client-go: plugin/pkg/client/auth/exec/exec.go, Authenticator.refreshCredsLocked (the
ExecCredential in KUBERNETES_EXEC_INFO, the checks of the answer) and wrapCmdRunErrorLocked
(the words of a failure), prefixed "getting credentials: " by roundTripper.RoundTrip. The
official Python client's loader would log a failure (`ERROR:root:exec: process returned 1`)
and send the requests without credentials: a misleading 401."""

import json
import os
import subprocess
import sys
from typing import Any, Dict, Optional

from ..errors import CredentialsFailed, register_secret

Entry = Dict[str, Any]


def _failed(what: str) -> CredentialsFailed:
    return CredentialsFailed("error: getting credentials: %s" % what)


def exec_credentials(config: Entry, cluster: Optional[Entry] = None) -> Entry:
    """Run the plugin of `config` (the user's `exec:` entry); its ExecCredential status (a
    token, or clientCertificateData and clientKeyData), every credential in it registered as
    a secret. CredentialsFailed when it cannot run, fails, or answers nothing usable."""
    command = config.get("command")
    api_version = config.get("apiVersion")
    if not isinstance(command, str) or not command:
        raise _failed("exec: the kubeconfig's exec entry names no command")
    if not isinstance(api_version, str) or not api_version:
        raise _failed("exec plugin: invalid apiVersion %r" % (api_version or ""))
    args = [str(a) for a in config.get("args") or []]
    env = dict(os.environ)
    for item in config.get("env") or []:
        if isinstance(item, dict) and item.get("name"):
            env[str(item["name"])] = str(item.get("value", ""))
    interactive = config.get("interactiveMode") != "Never" and _isatty(sys.stdin)
    spec: Entry = {"interactive": interactive}
    if config.get("provideClusterInfo") and cluster is not None:
        spec["cluster"] = {k: cluster[k] for k in ("server", "certificate-authority-data",
                                                   "insecure-skip-tls-verify",
                                                   "tls-server-name", "proxy-url")
                           if k in cluster}
    env["KUBERNETES_EXEC_INFO"] = json.dumps({"apiVersion": api_version,
                                              "kind": "ExecCredential", "spec": spec})
    stderr = _stderr_fd()
    try:
        sys.stderr.flush()
        done = subprocess.run([command] + args, env=env, stdout=subprocess.PIPE,
                              stderr=stderr if stderr is not None else subprocess.PIPE,
                              stdin=None if interactive else subprocess.DEVNULL)
    except FileNotFoundError:
        raise _failed("exec: executable %s not found" % command)
    except OSError as exc:
        raise _failed("exec: %s" % (exc.strerror or exc))
    if stderr is None and done.stderr:
        sys.stderr.write(done.stderr.decode("utf-8", "replace"))     # passed through
        sys.stderr.flush()
    if done.returncode != 0:
        code = done.returncode if done.returncode > 0 else -1       # Go: -1 when signalled
        raise _failed("exec: executable %s failed with exit code %d" % (command, code))
    try:
        answer = json.loads(done.stdout.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _failed("decoding stdout: %s" % str(exc).splitlines()[0])
    if not isinstance(answer, dict):
        raise _failed("decoding stdout: not an ExecCredential")
    if answer.get("apiVersion") != api_version:
        raise _failed("exec plugin is configured to use API version %s, plugin returned "
                      "version %s" % (api_version, answer.get("apiVersion")))
    status = answer.get("status")
    if not isinstance(status, dict):
        raise _failed("exec plugin didn't return a status field")
    token, cert, key = (status.get(k) or "" for k in ("token", "clientCertificateData",
                                                      "clientKeyData"))
    if not (token or cert or key):
        raise _failed("exec plugin didn't return a token or cert/key pair")
    if bool(cert) != bool(key):
        raise _failed("exec plugin returned only certificate or key, not both")
    for value in (token, key):
        register_secret(value)
    return status


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _stderr_fd() -> Optional[int]:
    """This process's stderr as a file descriptor the plugin can write to directly (as
    kubectl's does), or None when it is not a file (then its output is copied)."""
    try:
        return int(sys.stderr.fileno())
    except (AttributeError, ValueError, OSError):
        return None

"""Fixtures shared by the integration tests.

Every integration test talks to a cluster only through a kubeconfig. By default that is a
sandbox started once per test session; set KUBECTL_STS_TEST_KUBECONFIG to run the same tests
against a real cluster (e.g. kind). Each test gets a namespace of its own, so tests never see
each other's objects. The session sandbox serves HTTPS with its own CA, as a real cluster does
(kubectl sends no credentials over plain HTTP). Tests that need sandbox internals (its request
log, its clock, fault injection) take the `sandbox` fixture, which skips them on a real
cluster.
"""

import os
import shutil
import signal
import tempfile
import uuid

import pytest

# A shell without job control starts background jobs with SIGINT ignored, and an ignored
# signal stays ignored across exec: the plugin processes the tests interrupt would never see
# Ctrl-C. A handler (unlike SIG_IGN) is reset to the default by exec, so children get it back.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# kubectl's cache directory (the plugin caches status's selectors there): one of the test
# session's own, never the user's ~/.kube/cache; subprocesses inherit it
os.environ["KUBECACHEDIR"] = tempfile.mkdtemp(prefix="kubectl-sts-test-cache-")

REAL_KUBECONFIG = os.environ.get("KUBECTL_STS_TEST_KUBECONFIG")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="session")
def _session_sandbox():
    if REAL_KUBECONFIG:
        yield None
        return
    from kubectl_sts_sandbox import Sandbox
    # HTTPS, as every real cluster: kubectl (and so the plugin) sends no credentials over
    # plain HTTP, so tests of tokens and permissions need TLS (needs the openssl tool)
    with Sandbox(tls=shutil.which("openssl") is not None) as sb:
        yield sb


@pytest.fixture(scope="session")
def kubeconfig(_session_sandbox):
    """Path of the kubeconfig of the cluster under test."""
    return REAL_KUBECONFIG or _session_sandbox.kubeconfig


@pytest.fixture
def sandbox(_session_sandbox):
    """The running Sandbox object (skips the test on a real cluster)."""
    if _session_sandbox is None:
        pytest.skip("needs the sandbox's internals; KUBECTL_STS_TEST_KUBECONFIG is set")
    return _session_sandbox


@pytest.fixture(scope="session")
def api_client(kubeconfig):
    """An official kubernetes ApiClient for the cluster under test."""
    from kubernetes import client, config
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    api = client.ApiClient(configuration)
    yield api
    api.close()


@pytest.fixture(scope="session")
def core(api_client):
    from kubernetes import client
    return client.CoreV1Api(api_client)


@pytest.fixture(scope="session")
def apps(api_client):
    from kubernetes import client
    return client.AppsV1Api(api_client)


@pytest.fixture
def namespace(core):
    """A fresh namespace for one test, deleted afterwards."""
    from kubernetes import client
    name = "t-" + uuid.uuid4().hex[:10]
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=name)))
    yield name
    try:
        core.delete_namespace(name)
    except Exception:
        pass


@pytest.fixture(scope="session")
def kubectl_bin():
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not on PATH")
    return path


@pytest.fixture
def kubectl(kubectl_bin, kubeconfig, namespace):
    """Run the real kubectl against the cluster under test, in the test's namespace.
    Returns a CompletedProcess (text mode); never raises on a non-zero exit."""
    import subprocess

    def run(*args, input=None, timeout=60, namespaced=True):
        cmd = [kubectl_bin, "--kubeconfig", kubeconfig]
        if namespaced:
            cmd += ["-n", namespace]
        return subprocess.run(cmd + list(args), input=input, capture_output=True, text=True,
                              timeout=timeout)
    return run


@pytest.fixture
def cli(kubeconfig, namespace, capsys):
    """Run `kubectl sts ARGS...` in-process, in the test's namespace; returns (exit code,
    stdout, stderr)."""
    from kubectl_sts.cli.app import main

    def run(*args):
        capsys.readouterr()
        code = main(["--kubeconfig", kubeconfig, "-n", namespace] + list(args))
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture(autouse=True)
def _one_process_of_secrets():
    """Each test is one run of the plugin: the credentials a run registers for redaction
    (kubectl_sts.errors.register_secret) do not outlive it, as they do not outlive a process
    (a test's token "other" would otherwise redact "another" in every later test's output)."""
    from kubectl_sts import errors
    kept = set(errors._SECRETS)
    yield
    errors._SECRETS.clear()
    errors._SECRETS.update(kept)

"""A command run inside a pod's container through the pods/exec subresource, with the official
client's WebSocket streams (kubernetes.stream.stream over CoreV1Api.connect_get_namespaced_pod_exec:
v5.channel.k8s.io or v4.channel.k8s.io, what kubectl speaks first since 1.30), built from the
plugin's own resolved kubeconfig (transport.official_client: the same context, credentials and
exec plugins). The exit status comes from the error channel (a v1 Status: Success, or
NonZeroExitCode with the code as its ExitCode cause; kubelet's remotecommand
websocket.go / kubectl's exec.go read it the same way). The official client is imported
here, lazily: ~180 ms."""

from typing import Any, List, Optional, Tuple

from ..errors import StsError, TransportError, UsageError


def exec_in_pod(conn: Any, namespace: str, pod: str, container: Optional[str],
                argv: List[str], timeout: float, stderr: bool = True) -> Tuple[int, str]:
    """Run argv in the pod's container (None: the pod's first container); (exit code, stdout
    and, unless `stderr` is False (then not asked for), stderr as text). StsError when the
    exec cannot start (the server's answer, one line); exit code -1 when it did not end
    within `timeout` seconds."""
    from kubernetes.client import CoreV1Api
    from kubernetes.client.rest import ApiException
    from kubernetes.stream import stream
    from .transport import official_client
    problem = impersonation_problem(conn)
    if problem:
        raise UsageError(problem)
    api = getattr(conn, "_exec_api", None)
    if api is None:                 # built once per connection: an exec plugin runs once
        api = CoreV1Api(official_client(conn._resolved))
        conn._exec_api = api
    kwargs = {"command": list(argv), "stdin": False, "stdout": True, "stderr": stderr,
              "tty": False, "_preload_content": False}
    if container:
        kwargs["container"] = container
    try:
        client = stream(api.connect_get_namespaced_pod_exec, pod, namespace, **kwargs)
    except ApiException as exc:
        raise StsError("error: exec into %s: %s" % (pod, _reason(exc)))
    except OSError as exc:
        raise TransportError("error: exec into %s: %s" % (pod, exc))
    try:
        client.run_forever(timeout=timeout)
        if client.is_open():
            return -1, client.read_all() + "\n(timed out after %gs)" % timeout
        try:
            code = client.returncode        # the error channel: before read_all empties it
        except (KeyError, IndexError, TypeError, ValueError):
            code = 1
        return (code if code is not None else 1), client.read_all()
    finally:
        client.close()


def impersonation_problem(conn: Any) -> Optional[str]:
    """Why an exec cannot be made as the user the plugin acts as, or None: the official
    client's WebSocket sends the Authorization header only (kubernetes/stream/ws_client.py
    create_websocket), never Impersonate-User / Impersonate-Group."""
    from .transport import impersonation
    if not impersonation(conn.options, conn._resolved):
        return None
    return ("error: an exec (--check-exec, --leader-exec) cannot impersonate (--as, --as-group "
            "or the kubeconfig's `as`): the exec would not run as that user; run without "
            "impersonation, or use --check with kubectl exec")


def _reason(exc: Any) -> str:
    text = str(getattr(exc, "reason", "") or exc)
    return text.splitlines()[0] if text else "failed"

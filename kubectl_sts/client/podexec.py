"""Run a command in a pod through the exec subresource (a stub in this branch: the
implementation comes with the --check-exec work of issue 29)."""

from typing import Any, List, Optional, Tuple


def exec_in_pod(conn: Any, namespace: str, pod: str, container: Optional[str],
                argv: List[str], timeout: float) -> Tuple[int, str]:
    """(exit code, output text) of `argv` run in the pod's container."""
    raise NotImplementedError("exec in a pod is not available in this build")

"""A local command (`sh -c`) run with an environment and a time limit, its stdin closed: what
`--check` and `--leader-last` run on this machine."""

import subprocess
from typing import Dict, Optional, Tuple


def run_sh(command: str, env: Dict[str, str], timeout: float, merged: bool = False
           ) -> Tuple[Optional[int], str, str]:
    """(exit code, stdout, stderr) as text; `merged`: stderr interleaved into stdout as
    written (then stderr is ""). Exit code None when it did not end within `timeout` seconds
    (the output it wrote by then)."""
    try:
        done = subprocess.run(["sh", "-c", command], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT if merged else subprocess.PIPE,
                              stdin=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        return None, _text(exc.stdout), _text(exc.stderr)
    return done.returncode, _text(done.stdout), _text(done.stderr)


def _text(data: Optional[bytes]) -> str:
    return data.decode("utf-8", "replace") if data else ""

"""Application checks between steps (issue 29): `--check CMD` (run here, `sh -c`),
`--check-exec CMD` (in each updated pod, through pods/exec) and `--check-http
[CONTAINER:]PORT/PATH` (a GET through the API server's pod proxy). Pure: the checks from the
flags, the environment a local check sees, the lines of the plan, the verdict from an attempt
and the clock, the output's tail, and how the checks are kept on the set's annotation so a
resumed rollout runs the same ones. The shell (commands/rollout/checks.py) runs them."""

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

Obj = Dict[str, Any]
RETRY_INTERVAL = 2.0            # seconds between attempts
TAIL_LINES = 10                 # the output lines a failed check prints
DEFAULT_TIMEOUT = 120.0


def parse_http(spec: str) -> Obj:
    """`[CONTAINER:]PORT/PATH` -> {"container", "port", "path"}; ValueError when malformed."""
    container, sep, rest = spec.partition(":")
    if not sep:
        container, rest = "", spec
    port_text, slash, path = rest.partition("/")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError("--check-http: expected [CONTAINER:]PORT/PATH, got %r" % spec)
    return {"container": container or None, "port": int(port_text), "path": "/" + path}


def checks_from_flags(local: Sequence[str], in_pod: Sequence[str], http: Sequence[str],
                      container: Optional[str]) -> List[Obj]:
    """The checks a run's flags ask for, in the order they run: local, exec, http."""
    out: List[Obj] = [{"kind": "local", "command": c} for c in local]
    out += [{"kind": "exec", "command": c, "container": container} for c in in_pod]
    for spec in http:
        parsed = parse_http(spec)
        out.append(dict(parsed, kind="http"))
    return out


def describe(check: Obj) -> str:
    """One check, as the plan and the progress lines name it."""
    if check["kind"] == "local":
        return "check %r" % check["command"]
    if check["kind"] == "exec":
        where = " (container %s)" % check["container"] if check.get("container") else ""
        return "check-exec %r in each updated pod%s" % (check["command"], where)
    return "check-http GET :%d%s on each updated pod" % (check["port"], check["path"])


def plan_lines(checks: Sequence[Obj], timeout: float,
               when: str = "after each step, once its pods are Ready and settled") -> List[str]:
    """What the plan says of the checks: when they run (a rollout's step; `restart` says
    after each pod), each, and when a step fails."""
    if not checks:
        return []
    lines = ["%s, until every check passes (retried every %gs, at most %s):"
             % (when, RETRY_INTERVAL, _fmt(timeout))]
    lines += ["  " + describe(c) for c in checks]
    return lines


def connection_environment(base: Mapping[str, str], namespace: str, name: str,
                           kubeconfig: Optional[str], context: Optional[str]) -> Dict[str, str]:
    """The environment of a local command (a check, the leader command): the caller's, the
    set, and the connection the plugin used."""
    env = dict(base)
    env.update({"STS_NAMESPACE": namespace, "STS_NAME": name, "STS_CONTEXT": context or ""})
    if kubeconfig:
        env["KUBECONFIG"] = kubeconfig
    return env


def environment(base: Mapping[str, str], namespace: str, name: str, ordinals: Sequence[int],
                revision: str, partition: int, kubeconfig: Optional[str],
                context: Optional[str]) -> Dict[str, str]:
    """The environment of a local check: connection_environment's, and what the step did."""
    env = connection_environment(base, namespace, name, kubeconfig, context)
    env.update({"STS_ORDINALS": ",".join(str(o) for o in ordinals),
                "STS_PODS": ",".join("%s-%d" % (name, o) for o in ordinals),
                "STS_REVISION": revision, "STS_PARTITION": str(partition)})
    return env


def proxy_path(namespace: str, pod: str, check: Obj) -> str:
    """The pod proxy path of an http check (core/v1 pods/proxy: POD:PORT/proxy/PATH)."""
    return "/api/v1/namespaces/%s/pods/%s:%d/proxy%s" % (namespace, pod, check["port"],
                                                         check["path"])


def verdict(passed: bool, started: float, now: float, timeout: float) -> str:
    """After an attempt: "passed", "retry" (another attempt after the interval fits before
    the deadline) or "failed"."""
    if passed:
        return "passed"
    return "retry" if now - started < timeout else "failed"


def next_wait(started: float, now: float, timeout: float) -> float:
    """Seconds to wait before the next attempt: the interval, never past the deadline."""
    return max(0.0, min(RETRY_INTERVAL, started + timeout - now))


def tail(text: str, lines: int = TAIL_LINES) -> List[str]:
    """The last output lines of an attempt (blank lines dropped)."""
    kept = [line.rstrip() for line in text.splitlines() if line.strip()]
    return kept[-lines:]


def last_line(text: str) -> str:
    kept = tail(text, 1)
    return kept[0] if kept else "(no output)"


def failure(name: str, ordinals: Sequence[int], check: Obj, output: str, pod: Optional[str],
            timeout: float) -> Obj:
    """The diagnosis of a step whose check never passed (core/rollout/advice.failure_text)."""
    first = pod or ("%s-%d" % (name, ordinals[0]) if ordinals else name)
    ordinal = int(first.rsplit("-", 1)[-1]) if first.rsplit("-", 1)[-1].isdigit() else -1
    lines = tail(output)
    message = "last output of the check:\n    " + "\n    ".join(lines) if lines else \
        "the check printed nothing"
    return {"pod": first, "ordinal": ordinal,
            "reason": "failed its %s for %s" % (describe(check), _fmt(timeout)),
            "message": message, "check": True}


def record(checks: Sequence[Obj], timeout: float) -> Obj:
    """What the annotation keeps of the checks."""
    return {"checks": [dict(c) for c in checks], "checkTimeout": timeout}


def with_checks(sts: Obj, annotation_key: str, recorded: Optional[Obj]) -> Obj:
    """The set with the checks added to this tool's annotation (when there are checks and
    the annotation is ours)."""
    if not recorded or not recorded.get("checks"):
        return sts
    annotations = sts.get("metadata", {}).get("annotations") or {}
    raw = annotations.get(annotation_key)
    try:
        data = json.loads(raw) if raw else None
    except ValueError:
        return sts
    if not isinstance(data, dict):
        return sts
    data.update(recorded)
    new = dict(sts, metadata=dict(sts["metadata"], annotations=dict(
        annotations, **{annotation_key: json.dumps(data, sort_keys=True)})))
    return new


def recorded_checks(saved: Optional[Obj], update_revision: str) -> Optional[Obj]:
    """The checks an interrupted run recorded for this update revision, or None."""
    if not saved or saved.get("updateRevision") != update_revision:
        return None
    checks = saved.get("checks")
    if not isinstance(checks, list) or not checks or \
            not all(isinstance(c, dict) and c.get("kind") in ("local", "exec", "http")
                    for c in checks):
        return None
    timeout = saved.get("checkTimeout")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool):
        timeout = DEFAULT_TIMEOUT
    return {"checks": checks, "checkTimeout": float(timeout)}


def _fmt(seconds: float) -> str:
    return "%gs" % seconds if seconds < 120 else "%gm" % (seconds / 60)

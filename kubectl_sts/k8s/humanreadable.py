"""kubectl's printing rules, shared by the plugin and the sandbox's Table output: ages
(duration.HumanDuration), RFC3339 timestamps, access modes, and the pod READY/STATUS/RESTARTS
computation of `kubectl get pods` (quantities: quantity.py). Pure functions, standard
library."""

import datetime
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple


_RFC3339_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_timestamp(value: Any) -> Optional[datetime.datetime]:
    """Parse an RFC3339 timestamp (``2024-01-01T00:00:00Z``) into an aware datetime.

    Returns ``None`` for a missing, empty or unparsable value (a zero Go time).
    """
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=datetime.timezone.utc)
        return value
    if not isinstance(value, str) or not value:
        return None
    m = _RFC3339_RE.fullmatch(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, tz = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    if tz in ("Z", "z"):
        tzinfo = datetime.timezone.utc
    else:
        sign = 1 if tz[0] == "+" else -1
        tzinfo = datetime.timezone(sign * datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])))
    try:
        return datetime.datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tzinfo
        )
    except ValueError:
        return None


def human_duration(seconds: Any) -> str:
    """``duration.HumanDuration``: kubectl's ~2-3 significant figure age format.

    ``seconds`` is a number (int or float) or a ``datetime.timedelta``.
    Examples: ``0s``, ``45s``, ``2m30s``, ``10m``, ``3h5m``, ``8h``, ``2d3h``,
    ``12d``, ``3y45d``, ``9y``; more than a second in the future is ``<invalid>``.
    """
    if isinstance(seconds, datetime.timedelta):
        seconds = seconds.total_seconds()
    secs = int(seconds)  # truncates toward zero, like Go's int(d.Seconds())
    if secs < -1:
        return "<invalid>"
    if secs < 0:
        return "0s"
    if secs < 60 * 2:
        return "%ds" % secs
    minutes = secs // 60
    if minutes < 10:
        s = secs % 60
        if s == 0:
            return "%dm" % minutes
        return "%dm%ds" % (minutes, s)
    if minutes < 60 * 3:
        return "%dm" % minutes
    hours = secs // 3600
    if hours < 8:
        m = minutes % 60
        if m == 0:
            return "%dh" % hours
        return "%dh%dm" % (hours, m)
    if hours < 48:
        return "%dh" % hours
    if hours < 24 * 8:
        h = hours % 24
        if h == 0:
            return "%dd" % (hours // 24)
        return "%dd%dh" % (hours // 24, h)
    if hours < 24 * 365 * 2:
        return "%dd" % (hours // 24)
    if hours < 24 * 365 * 8:
        dy = (hours // 24) % 365
        if dy == 0:
            return "%dy" % (hours // 24 // 365)
        return "%dy%dd" % (hours // 24 // 365, dy)
    return "%dy" % (hours // 24 // 365)


def since(value: Any, now: datetime.datetime) -> str:
    """translateTimestampSince: age of an RFC3339 timestamp, or ``<unknown>``."""
    t = parse_timestamp(value)
    if t is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


def as_dict(value: Any) -> Dict[str, Any]:
    """A dict, or an empty one for anything else (a missing/null struct)."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def as_struct(value: Any) -> Optional[Dict[str, Any]]:
    """A JSON object standing for a Go pointer to struct: the dict, or None if absent."""
    return value if isinstance(value, dict) else None


def as_int(value: Any, default: int = 0) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def as_str(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _is_restartable_init(container: Any) -> bool:
    return container is not None and as_dict(container).get("restartPolicy") == "Always"


def _condition_true(conditions: Any, ctype: str) -> bool:
    """The printer's isPodInitializedConditionTrue: the first condition of the type decides.
    (Over a list that may be malformed, as a printer must take it; k8s/conditions.py scans
    well-formed objects.)"""
    for cond in as_list(conditions):
        cond = as_dict(cond)
        if cond.get("type") == ctype:
            return cond.get("status") == "True"
    return False


def _has_pod_ready_condition(conditions: Any) -> bool:
    """The printer's hasPodReadyCondition: any Ready condition that is True (unlike
    podutil.IsPodReady, conditions.pod_ready, where the first one decides)."""
    for cond in as_list(conditions):
        cond = as_dict(cond)
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return True
    return False


def _later(current: Optional[datetime.datetime],
           candidate: Optional[datetime.datetime]) -> Optional[datetime.datetime]:
    """``if current.Before(candidate) { current = candidate }`` with None as zero time."""
    if candidate is None:
        return current
    if current is None or current < candidate:
        return candidate
    return current


def pod_summary(pod: Mapping[str, Any]) -> Tuple[int, int, str, int, Optional[datetime.datetime]]:
    """The READY / STATUS / RESTARTS computation of the kubectl pod printer.

    Returns ``(ready, total, reason, restarts, last_restart_datetime_or_None)``.
    """
    spec = as_dict(pod.get("spec"))
    status = as_dict(pod.get("status"))
    meta = as_dict(pod.get("metadata"))

    restarts = 0
    restartable_init_restarts = 0
    total = len(as_list(spec.get("containers")))
    ready = 0
    last_restart = None
    last_restartable_init_restart = None

    phase = as_str(status.get("phase"))
    reason = phase
    if status.get("reason"):
        reason = as_str(status.get("reason"))

    for cond in as_list(status.get("conditions")):
        cond = as_dict(cond)
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = as_list(spec.get("initContainers"))
    init_by_name = {}
    for c in init_specs:
        c = as_dict(c)
        init_by_name[c.get("name")] = c
        if _is_restartable_init(c):
            total += 1

    initializing = False
    for i, cs in enumerate(as_list(status.get("initContainerStatuses"))):
        cs = as_dict(cs)
        restarts += as_int(cs.get("restartCount"))
        last_term = as_struct(as_dict(cs.get("lastState")).get("terminated"))
        if last_term is not None:
            last_restart = _later(last_restart, parse_timestamp(last_term.get("finishedAt")))
        restartable = _is_restartable_init(init_by_name.get(cs.get("name")))
        if restartable:
            restartable_init_restarts += as_int(cs.get("restartCount"))
            if last_term is not None:
                last_restartable_init_restart = _later(
                    last_restartable_init_restart, parse_timestamp(last_term.get("finishedAt"))
                )
        state = as_dict(cs.get("state"))
        terminated = as_struct(state.get("terminated"))
        waiting = as_struct(state.get("waiting"))
        if terminated is not None and as_int(terminated.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            if cs.get("ready") is True:
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if as_int(terminated.get("signal")) != 0:
                    reason = "Init:Signal:%d" % as_int(terminated.get("signal"))
                else:
                    reason = "Init:ExitCode:%d" % as_int(terminated.get("exitCode"))
            else:
                reason = "Init:" + as_str(terminated.get("reason"))
            initializing = True
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + as_str(waiting.get("reason"))
            initializing = True
        else:
            reason = "Init:%d/%d" % (i, len(init_specs))
            initializing = True
        break

    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        for cs in reversed(as_list(status.get("containerStatuses"))):
            cs = as_dict(cs)
            restarts += as_int(cs.get("restartCount"))
            last_term = as_struct(as_dict(cs.get("lastState")).get("terminated"))
            if last_term is not None:
                last_restart = _later(last_restart, parse_timestamp(last_term.get("finishedAt")))
            state = as_dict(cs.get("state"))
            terminated = as_struct(state.get("terminated"))
            waiting = as_struct(state.get("waiting"))
            running = as_struct(state.get("running"))
            if waiting is not None and waiting.get("reason"):
                reason = as_str(waiting.get("reason"))
            elif terminated is not None and terminated.get("reason"):
                reason = as_str(terminated.get("reason"))
            elif terminated is not None:
                if as_int(terminated.get("signal")) != 0:
                    reason = "Signal:%d" % as_int(terminated.get("signal"))
                else:
                    reason = "ExitCode:%d" % as_int(terminated.get("exitCode"))
            elif cs.get("ready") is True and running is not None:
                has_running = True
                ready += 1
        if reason == "Completed" and has_running:
            reason = "Running" if _has_pod_ready_condition(status.get("conditions")) else "NotReady"

    deleting = meta.get("deletionTimestamp") is not None
    if deleting and status.get("reason") == "NodeLost":
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"

    return ready, total, reason, restarts, last_restart


def pod_status_reason(pod: Mapping[str, Any]) -> str:
    """The STATUS column ``kubectl get pods`` shows for ``pod``."""
    return pod_summary(pod)[2]


def access_modes_string(modes: Optional[Sequence[str]]) -> str:
    """``helper.GetAccessModesAsString``: e.g. ``RWO,RWX`` in fixed order."""
    present = set(as_list(modes))
    out = []
    for mode, short in (
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ):
        if mode in present:
            out.append(short)
    return ",".join(out)




def age(timestamp: Any, now: Optional[datetime.datetime]) -> str:
    """kubectl's AGE of an RFC3339 timestamp at `now` (an aware datetime; None: no clock,
    as in a decision that does not show ages)."""
    if now is None:
        return ""
    t = parse_timestamp(timestamp)
    return human_duration((now - t).total_seconds()) if t else "<unknown>"

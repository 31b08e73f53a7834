"""kubectl's printing rules, shared by the plugin and the sandbox's Table output: ages
(duration.HumanDuration), RFC3339 timestamps, quantities, access modes, and the pod
READY/STATUS/RESTARTS computation of `kubectl get pods`. Pure functions, standard library."""

import datetime
import re
from fractions import Fraction


_RFC3339_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})"
)


def parse_timestamp(value):
    # type: (Any) -> Optional[datetime.datetime]
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


def human_duration(seconds):
    # type: (Any) -> str
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


def _since(value, now):
    """translateTimestampSince: age of an RFC3339 timestamp, or ``<unknown>``."""
    t = parse_timestamp(value)
    if t is None:
        return "<unknown>"
    return human_duration((now - t).total_seconds())


def _d(value):
    """A dict, or an empty one for anything else (a missing/null struct)."""
    return value if isinstance(value, dict) else {}


def _l(value):
    return value if isinstance(value, list) else []


def _ptr(value):
    """A JSON object standing for a Go pointer to struct: the dict, or None if absent."""
    return value if isinstance(value, dict) else None


def _int(value, default=0):
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


def _s(value):
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


_QUANTITY_RE = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(.*)")
_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_EXP = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}


def _parse_quantity(text):
    m = _QUANTITY_RE.fullmatch(text.strip())
    if not m:
        return None
    sign, whole, frac, suffix = m.groups()
    frac = frac or ""
    if not whole and not frac:
        return None
    number = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    if suffix in _BINARY_SUFFIXES:
        fmt = "BinarySI"
        value = number * (1024 ** _BINARY_SUFFIXES[suffix])
    elif suffix in _DECIMAL_SUFFIXES:
        fmt = "DecimalSI"
        value = number * Fraction(10) ** _DECIMAL_SUFFIXES[suffix]
    elif re.fullmatch(r"[eE][+-]?\d+", suffix):
        fmt = "DecimalExponent"
        value = number * Fraction(10) ** int(suffix[1:])
    else:
        return None
    if sign == "-":
        value = -value
    # Quantities keep nano precision; anything finer is rounded up (away from zero).
    scaled = value * 10 ** 9
    if scaled.denominator != 1:
        magnitude = -(-abs(scaled.numerator) // scaled.denominator)
        value = Fraction(magnitude if value > 0 else -magnitude, 10 ** 9)
    return value, fmt


def canonical_quantity(value):
    # type: (Any) -> str
    """The canonical string form of a Kubernetes quantity, like ``Quantity.String()``.

    ``"1024Mi"`` -> ``"1Gi"``, ``"1.5Gi"`` -> ``"1536Mi"``, ``"1000"`` ->
    ``"1k"``, ``"0.5"`` -> ``"500m"``.  A missing quantity is ``"0"``; an
    unparsable one is returned unchanged.
    """
    if value is None or value == "":
        return "0"
    if isinstance(value, bool):
        return _s(value)
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = _s(value)
    parsed = _parse_quantity(text)
    if parsed is None:
        return text
    amount, fmt = parsed
    if amount == 0:
        return "0"
    sign = "-" if amount < 0 else ""
    amount = abs(amount)
    if fmt == "BinarySI":
        if amount < 1024 or amount.denominator != 1:
            fmt = "DecimalSI"
        else:
            mantissa = amount.numerator
            exp = 0
            while exp < 6 and mantissa % 1024 == 0:
                mantissa //= 1024
                exp += 1
            return sign + str(mantissa) + _BINARY_BY_EXP[exp]
    # Decimal: mantissa * 10^exponent, exponent a multiple of 3, no factor of 10 left over.
    exponent = 0
    while amount.denominator != 1:
        amount *= 10
        exponent -= 1
    mantissa = amount.numerator
    while mantissa % 10 == 0:
        mantissa //= 10
        exponent += 1
    while exponent % 3 != 0:
        mantissa *= 10
        exponent -= 1
    if fmt == "DecimalExponent":
        return sign + str(mantissa) + ("e%d" % exponent if exponent else "")
    while exponent > 18:
        mantissa *= 1000
        exponent -= 3
    return sign + str(mantissa) + _DECIMAL_BY_EXP[exponent]


def _is_restartable_init(container):
    return container is not None and _d(container).get("restartPolicy") == "Always"


def _condition_true(conditions, ctype):
    for cond in _l(conditions):
        cond = _d(cond)
        if cond.get("type") == ctype:
            return cond.get("status") == "True"
    return False


def _has_pod_ready_condition(conditions):
    for cond in _l(conditions):
        cond = _d(cond)
        if cond.get("type") == "Ready" and cond.get("status") == "True":
            return True
    return False


def _later(current, candidate):
    """``if current.Before(candidate) { current = candidate }`` with None as zero time."""
    if candidate is None:
        return current
    if current is None or current < candidate:
        return candidate
    return current


def _pod_summary(pod):
    """The READY / STATUS / RESTARTS computation of the kubectl pod printer.

    Returns ``(ready, total, reason, restarts, last_restart_datetime_or_None)``.
    """
    spec = _d(pod.get("spec"))
    status = _d(pod.get("status"))
    meta = _d(pod.get("metadata"))

    restarts = 0
    restartable_init_restarts = 0
    total = len(_l(spec.get("containers")))
    ready = 0
    last_restart = None
    last_restartable_init_restart = None

    phase = _s(status.get("phase"))
    reason = phase
    if status.get("reason"):
        reason = _s(status.get("reason"))

    for cond in _l(status.get("conditions")):
        cond = _d(cond)
        if cond.get("type") == "PodScheduled" and cond.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"

    init_specs = _l(spec.get("initContainers"))
    init_by_name = {}
    for c in init_specs:
        c = _d(c)
        init_by_name[c.get("name")] = c
        if _is_restartable_init(c):
            total += 1

    initializing = False
    for i, cs in enumerate(_l(status.get("initContainerStatuses"))):
        cs = _d(cs)
        restarts += _int(cs.get("restartCount"))
        last_term = _ptr(_d(cs.get("lastState")).get("terminated"))
        if last_term is not None:
            last_restart = _later(last_restart, parse_timestamp(last_term.get("finishedAt")))
        restartable = _is_restartable_init(init_by_name.get(cs.get("name")))
        if restartable:
            restartable_init_restarts += _int(cs.get("restartCount"))
            if last_term is not None:
                last_restartable_init_restart = _later(
                    last_restartable_init_restart, parse_timestamp(last_term.get("finishedAt"))
                )
        state = _d(cs.get("state"))
        terminated = _ptr(state.get("terminated"))
        waiting = _ptr(state.get("waiting"))
        if terminated is not None and _int(terminated.get("exitCode")) == 0:
            continue
        if restartable and cs.get("started") is True:
            if cs.get("ready") is True:
                ready += 1
            continue
        if terminated is not None:
            if not terminated.get("reason"):
                if _int(terminated.get("signal")) != 0:
                    reason = "Init:Signal:%d" % _int(terminated.get("signal"))
                else:
                    reason = "Init:ExitCode:%d" % _int(terminated.get("exitCode"))
            else:
                reason = "Init:" + _s(terminated.get("reason"))
            initializing = True
        elif waiting is not None and waiting.get("reason") and waiting.get("reason") != "PodInitializing":
            reason = "Init:" + _s(waiting.get("reason"))
            initializing = True
        else:
            reason = "Init:%d/%d" % (i, len(init_specs))
            initializing = True
        break

    if not initializing or _condition_true(status.get("conditions"), "Initialized"):
        restarts = restartable_init_restarts
        last_restart = last_restartable_init_restart
        has_running = False
        for cs in reversed(_l(status.get("containerStatuses"))):
            cs = _d(cs)
            restarts += _int(cs.get("restartCount"))
            last_term = _ptr(_d(cs.get("lastState")).get("terminated"))
            if last_term is not None:
                last_restart = _later(last_restart, parse_timestamp(last_term.get("finishedAt")))
            state = _d(cs.get("state"))
            terminated = _ptr(state.get("terminated"))
            waiting = _ptr(state.get("waiting"))
            running = _ptr(state.get("running"))
            if waiting is not None and waiting.get("reason"):
                reason = _s(waiting.get("reason"))
            elif terminated is not None and terminated.get("reason"):
                reason = _s(terminated.get("reason"))
            elif terminated is not None:
                if _int(terminated.get("signal")) != 0:
                    reason = "Signal:%d" % _int(terminated.get("signal"))
                else:
                    reason = "ExitCode:%d" % _int(terminated.get("exitCode"))
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


def pod_status_reason(pod):
    # type: (Mapping[str, Any]) -> str
    """The STATUS column ``kubectl get pods`` shows for ``pod``."""
    return _pod_summary(pod)[2]


def access_modes_string(modes):
    # type: (Optional[Sequence[str]]) -> str
    """``helper.GetAccessModesAsString``: e.g. ``RWO,RWX`` in fixed order."""
    modes = set(_l(modes))
    out = []
    for mode, short in (
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ):
        if mode in modes:
            out.append(short)
    return ",".join(out)


pod_summary = _pod_summary


def age(timestamp, now):
    """kubectl's AGE of an RFC3339 timestamp at `now` (an aware datetime)."""
    t = parse_timestamp(timestamp)
    return human_duration((now - t).total_seconds()) if t else "<unknown>"

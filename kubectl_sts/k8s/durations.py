"""Durations as kubectl takes them: `30s`, `5m`, `1h30m`, `250ms`, or a bare number of seconds,
within Go's time.Duration: at most 2^63-1 nanoseconds (about 2562047h47m), as Go's
time.ParseDuration bounds them (src/time/format.go ParseDuration: `invalid duration` on
overflow, never a wrap)."""

import re
from fractions import Fraction
from typing import Any

_UNITS = {"ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}   # nanoseconds
_PART = re.compile(r"(\d+)(?:\.(\d+))?(ms|s|m|h)")
_NUMBER = re.compile(r"(\d+)(?:\.(\d+))?")
MAX_NANOSECONDS = 2 ** 63 - 1
MAX_SECONDS = MAX_NANOSECONDS / 10 ** 9


def _nanoseconds(whole: str, frac: str, unit: int) -> Fraction:
    """WHOLE.FRAC units in nanoseconds, or a value past the bound for an absurd digit count
    (never an int of thousands of digits)."""
    whole = whole.lstrip("0")
    if len(whole) > 20:
        return Fraction(MAX_NANOSECONDS + 1)
    frac = frac[:20]        # beyond a nanosecond of an hour: not a digit Go keeps either
    value = Fraction(int(whole or "0")) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0)
    return value * unit


def parse_duration(text: Any) -> float:
    """Seconds; ValueError with the message kubectl sts prints for anything else, and for
    anything longer than Go's time.Duration holds."""
    text = str(text).strip()
    bare = _NUMBER.fullmatch(text)
    if bare:
        total = _nanoseconds(bare.group(1), bare.group(2) or "", _UNITS["s"])
    else:
        pos, total = 0, Fraction(0)
        for m in _PART.finditer(text):
            if m.start() != pos:
                break
            total += _nanoseconds(m.group(1), m.group(2) or "", _UNITS[m.group(3)])
            pos = m.end()
            if total > MAX_NANOSECONDS:
                break
        if pos != len(text) or not text:
            if total <= MAX_NANOSECONDS:
                raise ValueError('invalid duration "%s" (use e.g. 30s, 5m, 1h30m)' % text)
    if total > MAX_NANOSECONDS:
        raise ValueError('invalid duration "%s" (at most 2562047h47m16s, '
                         "as Go's time.Duration)" % text)
    return float(total / 10 ** 9)

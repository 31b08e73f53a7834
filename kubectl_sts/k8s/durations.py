"""Durations as kubectl takes them: `30s`, `5m`, `1h30m`, `250ms`, or a bare number of seconds."""

import re
from typing import Any

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")


def parse_duration(text: Any) -> float:
    """Seconds; ValueError with the message kubectl sts prints for anything else."""
    text = str(text).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not text:
        raise ValueError('invalid duration "%s" (use e.g. 30s, 5m, 1h30m)' % text)
    return total

"""Quantities (k8s.io/apimachinery/pkg/api/resource): parsing, their value, and the canonical
string form `Quantity.String()` gives. Pure functions, standard library."""

import re
from fractions import Fraction
from typing import Any, Optional, Tuple


def as_str(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


_QUANTITY_RE = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(.*)")
_BINARY_SUFFIXES = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DECIMAL_BY_EXP = {v: k for k, v in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_EXP = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}


def parse_quantity(text: str) -> Optional[Tuple[Fraction, str]]:
    """(value, format) of a quantity string, or None when it is not one. The format is
    BinarySI, DecimalSI or DecimalExponent, as the suffix says."""
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


def canonical_quantity(value: Any) -> str:
    """The canonical string form of a Kubernetes quantity, like ``Quantity.String()``.

    ``"1024Mi"`` -> ``"1Gi"``, ``"1.5Gi"`` -> ``"1536Mi"``, ``"1000"`` ->
    ``"1k"``, ``"0.5"`` -> ``"500m"``.  A missing quantity is ``"0"``; an
    unparsable one is returned unchanged.
    """
    if value is None or value == "":
        return "0"
    if isinstance(value, bool):
        return as_str(value)
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else str(value)
    else:
        text = as_str(value)
    parsed = parse_quantity(text)
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


def quantity_value(value: Any) -> Optional[Fraction]:
    """The number a quantity stands for (bytes for storage), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    if not isinstance(value, str):
        return None
    parsed = parse_quantity(value)
    return parsed[0] if parsed is not None else None

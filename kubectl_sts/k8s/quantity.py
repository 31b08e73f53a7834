"""Quantities (k8s.io/apimachinery/pkg/api/resource): parsing, their value, and the canonical
string form `Quantity.String()` gives. Pure functions, standard library."""

import re
from decimal import ROUND_UP, Decimal, localcontext
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


MAX_QUANTITY = 2 ** 63 - 1     # resource.ParseQuantity caps every value here (maxAllowed)
_NANO = Decimal("1e-9")


def parse_quantity(text: str) -> Optional[Tuple[Fraction, str]]:
    """(value, format) of a quantity string, or None when it is not one. The format is
    BinarySI, DecimalSI or DecimalExponent, as the suffix says. Bounded as
    apimachinery's resource.ParseQuantity bounds it (quantity.go): an exponent must be an
    int64 (suffix.go interpret, then truncated to int32), non-zero values finer than a
    nano are rounded up to one, and the magnitude is capped at 2^63-1 (maxAllowed); no
    digit count or exponent makes it compute a huge number."""
    parsed = _parse(text)
    return None if parsed is None else (parsed[0], parsed[1])


def quantity_capped(text: str) -> bool:
    """Whether TEXT is a quantity beyond what the API keeps: ParseQuantity silently caps it
    at 2^63-1, so what the server stores is not what was asked."""
    parsed = _parse(text)
    return parsed is not None and parsed[2]


def _parse(text: str) -> Optional[Tuple[Fraction, str, bool]]:
    m = _QUANTITY_RE.fullmatch(text.strip())
    if not m:
        return None
    sign, whole, frac, suffix = m.groups()
    frac = frac or ""
    if not whole and not frac:
        return None
    exponent, multiplier = 0, 1
    if suffix in _BINARY_SUFFIXES:
        fmt, multiplier = "BinarySI", 1024 ** _BINARY_SUFFIXES[suffix]
    elif suffix in _DECIMAL_SUFFIXES:
        fmt, exponent = "DecimalSI", _DECIMAL_SUFFIXES[suffix]
    elif re.fullmatch(r"[eE][+-]?\d+", suffix):
        digits = suffix[1:].lstrip("+-").lstrip("0")
        if len(digits) > 19 or int(digits or "0") > (2 ** 63 if suffix[1] == "-" else 2 ** 63 - 1):
            return None                          # strconv.ParseInt(..., 10, 64) fails
        fmt, exponent = "DecimalExponent", int(suffix[1:])
        exponent = (exponent + 2 ** 31) % 2 ** 32 - 2 ** 31       # int32(parsed)
    else:
        return None
    # exact: Decimal from a string keeps every digit and any exponent without computing it
    magnitude = Decimal("%s.%sE%d" % (whole or "0", frac or "0", exponent))
    capped = False
    if magnitude.is_zero():
        value = Fraction(0)
    elif magnitude.adjusted() > 19:             # past 2^63 whatever the suffix
        value, capped = Fraction(MAX_QUANTITY), True
    else:
        with localcontext() as ctx:
            ctx.prec = len(whole) + len(frac) + 60          # exact: every digit kept
            amount = magnitude * multiplier
            if amount.adjusted() < -10:         # non-zero below a nano: one nano
                value = Fraction(1, 10 ** 9)
            else:
                value = Fraction(amount.quantize(_NANO, rounding=ROUND_UP))
        if value > MAX_QUANTITY:
            value, capped = Fraction(MAX_QUANTITY), True
    if sign == "-":
        value = -value
    return value, fmt, capped


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

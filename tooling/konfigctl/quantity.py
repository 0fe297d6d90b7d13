"""Kubernetes-style quantities: ``500m``, ``2``, ``1.5``, ``8Gi``, ``100M``, ``1e3``.

Parsed exactly (``Fraction``) so that bounds written in units compare right:
``200Gi > 100Gi``, ``1000m == 1``, ``1Gi > 1G``.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction

from .errors import quote

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Fraction(1, 10**9),
    "u": Fraction(1, 10**6),
    "m": Fraction(1, 1000),
    "": Fraction(1),
    "k": Fraction(10**3),
    "M": Fraction(10**6),
    "G": Fraction(10**9),
    "T": Fraction(10**12),
    "P": Fraction(10**15),
    "E": Fraction(10**18),
}
_RE = re.compile(
    r"(?P<num>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?:(?P<exp>[eE][+-]?\d+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]))?\Z"
)


class QuantityError(ValueError):
    pass


def parse(value: object) -> Fraction:
    """The exact value of a quantity (a number, or a string with an optional suffix)."""
    if isinstance(value, bool):
        raise QuantityError(f"{quote(value)} is not a quantity")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(str(value))
    if not isinstance(value, str):
        raise QuantityError(f"{quote(value)} is not a quantity")
    return _parse_str(value)


@functools.lru_cache(maxsize=4096)
def _parse_str(value: str) -> Fraction:
    # Every stack checks the same few spellings (500m, 1Gi) against the same bounds.
    m = _RE.match(value.strip())
    if not m:
        raise QuantityError(
            f"{quote(value)} is not a quantity (expected a number with an optional unit, e.g. 500m, 2, 8Gi)"
        )
    num = Fraction(m.group("num"))
    if m.group("exp"):
        return num * Fraction(10) ** int(m.group("exp")[1:])
    suffix = m.group("suffix") or ""
    if suffix in _BINARY:
        return num * _BINARY[suffix]
    return num * _DECIMAL[suffix]


def is_quantity(value: object) -> bool:
    try:
        parse(value)
        return True
    except QuantityError:
        return False


def to_text(value: object) -> str:
    """How a quantity reads in messages: as the user wrote it."""
    return str(value)


def canonical(value: object) -> str:
    """A short canonical spelling (``0.5`` -> ``500m``, ``1073741824`` -> ``1Gi``)."""
    q = parse(value)
    if q.denominator == 1:
        n = q.numerator
        for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
            if n and n % _BINARY[suffix] == 0:
                return f"{n // _BINARY[suffix]}{suffix}"
        return str(n)
    milli = q * 1000
    if milli.denominator == 1:
        return f"{milli.numerator}m"
    return str(float(q))

"""PromQL pieces for renderers that write Prometheus rules: durations, numbers, selectors.

Renderers import it as `from konfiglib import promql`. Pure, like a renderer.
"""
from __future__ import annotations

from decimal import Decimal

_UNITS = {"ms": Decimal("0.001"), "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


def seconds(duration):
    """A one-unit Prometheus duration (`5m`, `3d`) in seconds, as a Decimal."""
    for unit in ("ms", "s", "m", "h", "d", "w", "y"):
        if duration.endswith(unit) and duration[: -len(unit)].isdigit():
            return Decimal(duration[: -len(unit)]) * _UNITS[unit]
    raise ValueError(f"{duration!r} is not a duration like 5m, 1h or 30d")


def decimal(value):
    """A config number as the Decimal it is written as (99.9, not 99.900000000000005684...)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


def number(value):
    """A number as PromQL reads it, exactly: 0.001, not 0.0010000000000000009."""
    text = format(decimal(value).normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def ratio(percent):
    """A percentage (99.9) as a ratio (0.999), exactly."""
    return decimal(percent) / 100


def split(selector):
    """`metric{a="b"}` -> ("metric", 'a="b"'); `metric` -> ("metric", "")."""
    name, brace, rest = selector.partition("{")
    return name, rest[:-1].strip().rstrip(",") if brace else ""


def selector(name, matchers="", **labels):
    """A series selector: ``name{matchers,label="value",...}`` (values quoted for PromQL)."""
    parts = [matchers] if matchers else []
    parts += [f"{k}={quote(v)}" for k, v in labels.items()]
    return f"{name}{{{','.join(parts)}}}" if parts else name


def quote(value):
    """A PromQL string literal."""
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

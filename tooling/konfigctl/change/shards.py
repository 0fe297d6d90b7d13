"""Shards: a list of stacks split into balanced contiguous slices, the same way everywhere.

``konfig affected --format github-matrix|gitlab`` fans a change's stacks out
over CI jobs (``shards``, with ``shard_count`` under the platform's job
limit), and a job finds its slice again from two numbers (``--shard I/N``:
``shard``, after the same selection), so no stack name travels through CI.
"""
from __future__ import annotations

from typing import Any

from ..errors import UsageError


def shard_count(n: int, size: int, max_shards: int) -> int:
    """How many shards ``n`` stacks need: at most ``size`` each, at most ``max_shards``
    (beyond that shards grow past ``size``)."""
    if n <= 0:
        return 0
    return max(1, min(-(-n // max(1, size)), max(1, max_shards)))


def split(items: list[Any], total: int) -> list[list[Any]]:
    """``items`` in ``total`` contiguous chunks whose sizes differ by at most one."""
    if total <= 0:
        return []
    q, r = divmod(len(items), total)
    out, i = [], 0
    for k in range(total):
        n = q + (1 if k < r else 0)
        out.append(items[i:i + n])
        i += n
    return out


def shards(items: list[Any], size: int, max_shards: int) -> list[list[Any]]:
    return split(items, shard_count(len(items), size, max_shards))


def parse_shard(text: str) -> tuple[int, int]:
    """``"3/10"`` -> (3, 10); shard numbers count from 1."""
    index, sep, total = text.strip().partition("/")
    try:
        i, n = int(index), int(total)
    except ValueError:
        i = n = 0
    if not sep or n < 1 or not 1 <= i <= n:
        raise UsageError(f"bad shard {text!r}: expected INDEX/TOTAL with 1 <= INDEX <= TOTAL, e.g. 2/5")
    return i, n


def shard(items: list[Any], spec: str) -> list[Any]:
    """The ``INDEX/TOTAL`` shard of ``items`` (the same split ``shards`` makes)."""
    i, n = parse_shard(spec)
    return split(items, n)[i - 1]

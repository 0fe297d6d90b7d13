"""Shards: balanced contiguous slices, found again from INDEX/TOTAL alone."""
from __future__ import annotations

import pytest
from konfigctl.change.shards import parse_shard, shard, shard_count, shards, split
from konfigctl.errors import UsageError


def test_shard_count_respects_size_then_the_cap():
    assert shard_count(0, 25, 256) == 0
    assert shard_count(1, 25, 256) == 1
    assert shard_count(26, 25, 256) == 2
    assert shard_count(10_000, 25, 256) == 256  # past the cap shards grow beyond size
    assert shard_count(5, 0, 0) == 1  # nonsense limits still give a shard


def test_split_is_contiguous_and_balanced():
    parts = split(list(range(10)), 3)
    assert parts == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert split([1, 2], 0) == [] and split([], 2) == [[], []]


def test_a_job_finds_its_slice_again():
    items = [f"s{i}" for i in range(53)]
    fan = shards(items, 25, 256)
    assert len(fan) == 3 and sum(fan, []) == items
    assert [shard(items, f"{i}/{len(fan)}") for i in range(1, len(fan) + 1)] == fan


@pytest.mark.parametrize("text", ["0/3", "4/3", "1", "a/b", "1/0", "/", ""])
def test_bad_shard_specs_are_usage_errors(text):
    with pytest.raises(UsageError, match="bad shard"):
        parse_shard(text)


def test_spaces_around_a_spec_are_fine():
    assert parse_shard(" 2/5 ") == (2, 5)

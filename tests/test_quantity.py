from __future__ import annotations

from fractions import Fraction

import pytest

from konfigctl import quantity


@pytest.mark.parametrize("text, value", [
    ("500m", Fraction(1, 2)),
    ("2", 2),
    (2, 2),
    (0.25, Fraction(1, 4)),
    ("1.5", Fraction(3, 2)),
    ("8Gi", 8 * 2**30),
    ("100M", 10**8),
    ("1k", 1000),
    ("1e3", 1000),
    ("1Ki", 1024),
    ("0", 0),
])
def test_parse(text, value):
    assert quantity.parse(text) == value


def test_units_compare_exactly():
    assert quantity.parse("200Gi") > quantity.parse("100Gi")
    assert quantity.parse("1000m") == quantity.parse("1")
    assert quantity.parse("1Gi") > quantity.parse("1G")


@pytest.mark.parametrize("bad", ["abc", "1GB", "", "Gi", True, None, [1], "1 Gi x"])
def test_rejects_non_quantities(bad):
    with pytest.raises(quantity.QuantityError):
        quantity.parse(bad)


def test_canonical():
    assert quantity.canonical("0.5") == "500m"
    assert quantity.canonical(2**30) == "1Gi"
    assert quantity.canonical("3") == "3"

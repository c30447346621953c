"""How history stores the calculator's numbers: as strings that read back exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from calculator.shared.numbers import parse_exact


@pytest.mark.parametrize("value", [0, -7, 10**999, Decimal("0.3"), Decimal("-1.5E+7")])
def test_parse_exact_inverts_str(value: int | Decimal) -> None:
    parsed = parse_exact(str(value))
    assert parsed == value
    assert str(parsed) == str(value)

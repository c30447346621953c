"""Exact JSON numbers and their bounds."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lambda_http.exact_json import MAX_DIGITS, OutOfBounds, dumps, loads


def test_floats_parse_to_exact_decimals_and_ints_stay_ints() -> None:
    assert loads('{"a": 0.1, "b": 10}') == {"a": Decimal("0.1"), "b": 10}


def test_dumps_keeps_every_digit() -> None:
    assert dumps({"x": [Decimal("1.10"), 10**40, "s", None]}) == (
        '{"x":[1.10,' + str(10**40) + ',"s",null]}'
    )


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity", "1" * (MAX_DIGITS + 1)])
def test_out_of_bounds_numbers_are_refused_while_parsing(text: str) -> None:
    with pytest.raises(OutOfBounds):
        loads(text)

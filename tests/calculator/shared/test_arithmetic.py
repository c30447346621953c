"""Exactness of the shared arithmetic."""

from __future__ import annotations

from decimal import Decimal

from calculator.shared.arithmetic import Operation, add, apply, multiply
from lambda_http.exact_json import MAX_DIGITS, MAX_EXPONENT


def test_decimals_add_without_binary_rounding() -> None:
    assert add(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")


def test_integers_multiply_beyond_64_bits() -> None:
    assert multiply(2**70, 3**40) == 2**70 * 3**40


def test_extreme_in_bound_operands_are_never_rounded() -> None:
    big = Decimal("9" * MAX_DIGITS + f"E+{MAX_EXPONENT}")
    tiny = Decimal(f"1E-{MAX_EXPONENT}")
    assert add(big, tiny) - big == tiny
    assert multiply(big, big) == Decimal(f"{int('9' * MAX_DIGITS) ** 2}E+{2 * MAX_EXPONENT}")


def test_apply_dispatches_on_the_operation() -> None:
    assert apply(Operation.ADD, 6, 7) == 13
    assert apply(Operation.MULTIPLY, 6, 7) == 42

"""Exactness of the shared arithmetic."""

from __future__ import annotations

from decimal import Decimal

from calculator.shared.arithmetic import Operation, add, apply, multiply


def test_decimals_add_without_binary_rounding() -> None:
    assert add(Decimal("0.1"), Decimal("0.2")) == Decimal("0.3")


def test_integers_multiply_beyond_64_bits() -> None:
    assert multiply(2**70, 3**40) == 2**70 * 3**40


def test_apply_dispatches_on_the_operation() -> None:
    assert apply(Operation.ADD, 6, 7) == 13
    assert apply(Operation.MULTIPLY, 6, 7) == 42

"""The calculator's numbers: exact arithmetic's context, and how history stores them.

Numbers reach the calculator as JSON read by lambda_http.exact_json (int and Decimal within its
bounds, never float). The context below is wide enough that sums and products of in-bound
operands are never rounded: exponents span at most 2 * MAX_EXPONENT + 2 * MAX_DIGITS digits.
"""

from __future__ import annotations

import decimal
from decimal import Decimal

from lambda_http.exact_json import MAX_DIGITS, MAX_EXPONENT, Number

EXACT = decimal.Context(
    prec=2 * (MAX_DIGITS + MAX_EXPONENT) + 10,
    Emax=decimal.MAX_EMAX,
    Emin=decimal.MIN_EMIN,
    traps=[decimal.InvalidOperation, decimal.Inexact, decimal.Overflow, decimal.DivisionByZero],
)


def parse_exact(text: str) -> Number:
    """The inverse of `str()` on a Number: how history stores numbers (as strings)."""
    return int(text) if text.lstrip("-").isdigit() else Decimal(text)

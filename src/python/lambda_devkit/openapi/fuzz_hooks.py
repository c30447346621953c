"""Schemathesis hooks for fuzz.sh: cases whose answer the fuzzer itself could not read are dropped.

The API answers exact numbers beyond IEEE 754 doubles (a product of two large operands has an
exponent past 308: valid JSON, and within the documented bounds). Schemathesis reads responses
with Python's `json`, which turns such a number into infinity and then fails the response
schema ("null is not of type number") although the server and the document agree. So a body is
generated only if its exact sum and product are finite doubles: Python's float arithmetic
rounds them exactly as the fuzzer's parser would round the server's digits, so the filter
drops those cases and no other.
"""

from __future__ import annotations

import math

import schemathesis
from schemathesis import HookContext


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@schemathesis.hook
def filter_body(context: HookContext, body: object) -> bool:
    if not isinstance(body, dict) or not all(_number(body.get(k)) for k in ("a", "b")):
        return True  # not two numbers: not a calculation the API will answer with a result
    try:
        a, b = float(body["a"]), float(body["b"])
    except OverflowError:  # an integer past the doubles: its result is past them too
        return False
    return math.isfinite(a + b) and math.isfinite(a * b)

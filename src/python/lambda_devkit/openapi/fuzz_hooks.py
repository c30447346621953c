"""Schemathesis hooks for fuzz.sh: answers are read as JSON with exact numbers, as a client must.

The API answers exact numbers that can leave IEEE 754 doubles (a product of two large operands
has an exponent past 308, a 30-digit integer has more digits than a double keeps): valid JSON,
within the documented bounds, and what docs/api.md tells clients to parse as decimals.
Schemathesis reads responses with Python's `json`, which turns such a number into infinity, and
its schema check then fails the answer ("null is not of type number") although the server and
the document agree. So JSON answers are parsed here with every number exact (`Decimal`, and
`int` as ever), which the schema validator takes as numbers: the response schema check then
fails what violates the schema (a string for a number, a missing field) and nothing else.
tests/lambda_devkit/openapi/test_fuzz_hooks.py shows both.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import schemathesis
from schemathesis import DeserializationContext, Response


def exact_loads(text: str) -> Any:
    """JSON with exact numbers: a number with a fraction or an exponent is a Decimal."""
    return json.loads(text, parse_float=Decimal)


@schemathesis.deserializer("application/json")
def exact_json(context: DeserializationContext, response: Response) -> Any:
    return exact_loads(response.text)

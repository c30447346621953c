"""Request models' JSON Schema: what the OpenAPI document says each route takes."""

from __future__ import annotations

from calculator.shared.models import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    OPERAND_SCHEMA,
    HistoryQuery,
    Operands,
)
from lambda_http.validation import json_schema


def test_a_body_model_names_its_required_fields_and_forbids_others() -> None:
    assert json_schema(Operands) == {
        "title": "Operands",
        "description": 'A calculation route\'s body: `{"a": <number>, "b": <number>}`.',
        "type": "object",
        "properties": {"a": OPERAND_SCHEMA, "b": OPERAND_SCHEMA},
        "required": ["a", "b"],
        "additionalProperties": False,
    }


def test_a_query_model_gives_defaults_and_bounds_and_takes_other_parameters() -> None:
    schema = json_schema(HistoryQuery)
    assert schema["required"] == []
    assert "additionalProperties" not in schema
    assert schema["properties"] == {
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_LIMIT,
            "default": DEFAULT_LIMIT,
            "description": "Page size.",
        },
        "cursor": {
            "type": "string",
            "minLength": 1,
            "description": "Opaque: a previous page's `next`.",
        },
    }

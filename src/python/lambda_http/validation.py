"""Request models: frozen dataclasses whose fields say how they are validated, and their schema.

A model is a dataclass whose every field is declared with `field(parse, schema)`: `parse`
turns the client's value into the field's (or raises `Invalid` with the problem, as the client
reads it), `schema` is the field's JSON Schema. `validate` checks every field and reports every
problem at once, in declaration order, then the fields the model does not name (when it
forbids them). `json_schema` gives the model's JSON Schema, for the API's OpenAPI document.

This replaces pydantic in the shipped code (docs/decisions/0007-own-request-validation.md):
importing pydantic cost a cold start ~60 ms for two models. The problems are worded as
pydantic worded them, so that every 4xx body stayed the same; tests/calculator/service/
test_validation_replay.py runs the old models and these side by side to keep it so.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, ClassVar, Protocol

# CPython refuses to convert longer digit strings to int (sys.get_int_max_str_digits).
MAX_INT_DIGITS = 4300
# A float of this magnitude or more is not read as a whole number (pydantic's 64-bit bound).
FLOAT_INT_RANGE = 2.0**63
_TOO_LONG = "Unable to parse input string as an integer, exceeded maximum size"
_NOT_PARSED = "Input should be a valid integer, unable to parse string as an integer"

Parse = Callable[[object], Any]


class Invalid(ValueError):
    """A value a field does not take; the message is the problem, as the client reads it."""


class Rejected(ValueError):
    """Everything wrong with an input: (field, problem) pairs, in the order they were found."""

    def __init__(self, problems: Sequence[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems))
        self.problems = problems


class Model(Protocol):
    """A request model: a dataclass declared with `field`, and whether it takes other fields."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    # False: a field the model does not name is a problem ("is not allowed"); True: ignored.
    ignore_other_fields: ClassVar[bool]


@dataclasses.dataclass(frozen=True)
class JsonSchema:
    """`Annotated[T, JsonSchema({...})]`: the JSON Schema of a response field, for the OpenAPI
    document built at build time. Plain data here; the build reads it through pydantic's
    `__get_pydantic_json_schema__` hook, so nothing shipped imports pydantic."""

    schema: Mapping[str, Any]

    def __get_pydantic_json_schema__(self, core_schema: object, handler: object) -> dict[str, Any]:
        return dict(self.schema)

    def __hash__(self) -> int:
        return id(self)


def field(parse: Parse, schema: Mapping[str, Any], default: Any = dataclasses.MISSING) -> Any:
    """A model field: how it is validated, its JSON Schema, and its default (none: required)."""
    return dataclasses.field(default=default, metadata={"parse": parse, "schema": schema})


def validate[M: Model](model: type[M], value: Mapping[str, object]) -> M:
    """`value` as a `model`; Rejected with every problem found if it is not one."""
    problems: list[tuple[str, str]] = []
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(model):
        if spec.name not in value:
            if spec.default is dataclasses.MISSING:
                problems.append((spec.name, "is required"))
            continue
        try:
            values[spec.name] = spec.metadata["parse"](value[spec.name])
        except Invalid as error:
            problems.append((spec.name, str(error)))
    if not model.ignore_other_fields:
        names = {spec.name for spec in dataclasses.fields(model)}
        problems += [(str(name), "is not allowed") for name in value if name not in names]
    if problems:
        raise Rejected(problems)
    return model(**values)


def json_schema(model: type[Model]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of what `validate` takes as `model`."""
    specs = dataclasses.fields(model)
    schema: dict[str, Any] = {
        "title": model.__name__,
        "type": "object",
        "properties": {spec.name: dict(spec.metadata["schema"]) for spec in specs},
        "required": [spec.name for spec in specs if spec.default is dataclasses.MISSING],
    }
    if model.__doc__:
        schema["description"] = model.__doc__.strip()
    if not model.ignore_other_fields:
        schema["additionalProperties"] = False
    for spec in specs:
        if spec.default is not dataclasses.MISSING and spec.default is not None:
            schema["properties"][spec.name]["default"] = spec.default
    return schema


# Field parsers for query string parameters. API Gateway passes each as text, or (repeated) as
# the list of its values; a hand-made event may carry JSON numbers. The problems are worded as
# pydantic's lax mode worded them for `int` and `str` (see the module docstring).


def query_integer(minimum: int, maximum: int) -> Parse:
    """A whole number in [minimum, maximum], written with ASCII digits only (no sign, no space,
    no `_`), or a JSON number with no fractional part."""

    def parse(value: object) -> int:
        number = _digits(value) if isinstance(value, str) else _integral(value)
        if number < minimum:
            raise Invalid(f"Input should be greater than or equal to {minimum}")
        if number > maximum:
            raise Invalid(f"Input should be less than or equal to {maximum}")
        return number

    return parse


def _digits(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise Invalid("must be a whole number written with digits only")
    significant = text.lstrip("0")
    if len(significant) > MAX_INT_DIGITS:
        # Worded as pydantic did: after leading zeros, its parser gave up with another message.
        raise Invalid(_NOT_PARSED if significant != text else _TOO_LONG)
    return int(significant or "0")


def _integral(value: object) -> int:
    if isinstance(value, int):  # bool included: True is 1, as int(True) is
        return int(value)
    if isinstance(value, float | Decimal):
        if not (value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)):
            raise Invalid("Input should be a finite number")
        if value != int(value):
            raise Invalid("Input should be a valid integer, got a number with a fractional part")
        if isinstance(value, float) and not -FLOAT_INT_RANGE < value < FLOAT_INT_RANGE:
            raise Invalid(_TOO_LONG)
        return int(value)
    raise Invalid("Input should be a valid integer")


def optional_text(min_length: int) -> Parse:
    """Text of at least `min_length` characters (code points), or None."""

    def parse(value: object) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise Invalid("Input should be a valid string")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, which no JSON text over the wire holds
            raise Invalid(
                "Input should be a valid string, unable to parse raw data as a unicode string"
            ) from None
        if len(value) < min_length:
            plural = "character" if min_length == 1 else "characters"
            raise Invalid(f"String should have at least {min_length} {plural}")
        return value

    return parse

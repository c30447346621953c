"""The API's request and response models (pydantic), validated exactly and strictly."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    PlainValidator,
)

from calculator.shared.arithmetic import Operation
from calculator.shared.numbers import Number, OutOfBounds, check_bounds


def _validate_operand(value: object) -> Number:
    # bool is an int subclass and float has already lost digits: neither is an operand.
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a number")
    try:
        return check_bounds(value)
    except OutOfBounds as error:
        raise ValueError(str(error)) from None


# Serialised as the number itself; numbers.dumps writes it with every digit.
Operand = Annotated[
    Number, PlainValidator(_validate_operand), PlainSerializer(lambda n: n, return_type=object)
]


def _digits_only(value: object) -> object:
    # Query strings are text; pydantic alone would also take "+1", " 1" or "1_0".
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written with digits only")
    return value


# A page size in a query string: digits only, range checked where it is used.
Limit = Annotated[int, BeforeValidator(_digits_only)]


class Operands(BaseModel):
    """A calculation route's body: `{"a": <number>, "b": <number>}`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: Operand
    b: Operand


class Calculation(BaseModel):
    """One recorded calculation, as the API returns it and history stores it."""

    model_config = ConfigDict(frozen=True)

    id: str
    operation: Operation
    a: Operand
    b: Operand
    result: Annotated[Number, PlainSerializer(lambda n: n, return_type=object)]
    timestamp: str

    def to_body(self) -> dict[str, object]:
        return {
            "id": self.id,
            "operation": self.operation.value,
            "a": self.a,
            "b": self.b,
            "result": self.result,
            "timestamp": self.timestamp,
        }

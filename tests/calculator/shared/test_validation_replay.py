"""Replay: the request models answer every request as the pydantic models they replaced did.

The service validated its requests with pydantic until lambda_http.validation replaced
it (docs/decisions/0007-own-request-validation.md); clients may match on its 4xx bodies. Here
the old models and the old `Request.body`/`Request.query` (kept verbatim below) and the new
ones serve the same routes on two routers, and a thousand generated events and the hand-made ones
go through both: status, headers and body must be equal, byte for byte, 200s and 400s alike.
Each test prints how many events it replayed and what they were answered
(`./pants test --output=all tests/calculator/shared/test_validation_replay.py`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
)

from calculator.shared.models import DEFAULT_LIMIT, MAX_LIMIT, HistoryQuery, Operands
from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import request_event
from lambda_http import exact_json
from lambda_http import router as api
from lambda_http.declaration import Api
from lambda_http.exact_json import MAX_DIGITS, Number, OutOfBounds, check_bounds
from lambda_http.router import ClientError, Request, Response, Router, ok

# Generated events per test. The replacement was compared on 2,500 each; as a standing guard,
# 500 still compare both outcomes hundreds of times (one in 20 at least a 200, two in five a 400).
GENERATED = 500
CASES = settings(
    max_examples=GENERATED, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- the old models and validation, as they shipped (calculator/shared/models.py, api.py, now
# lambda_http/router.py, and functions/history/handler.py before the change)


def _validate_operand(value: object) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a number")
    try:
        return check_bounds(value)
    except OutOfBounds as error:
        raise ValueError(str(error)) from None


Operand = Annotated[
    Number, PlainValidator(_validate_operand), PlainSerializer(lambda n: n, return_type=object)
]


def _digits_only(value: object) -> object:
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written with digits only")
    return value


Limit = Annotated[int, BeforeValidator(_digits_only)]


class OldOperands(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    a: Operand
    b: Operand


class OldHistoryQuery(BaseModel):
    model_config = ConfigDict(frozen=True)

    limit: Annotated[Limit, Field(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT
    cursor: Annotated[str | None, Field(min_length=1)] = None


def _problem(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not allowed"
    if kind in {"model_attributes_type", "dict_type"}:
        return "must be a JSON object"
    message = str(error.get("msg", "is invalid"))
    return message.removeprefix("Value error, ")


def _invalid(error: ValidationError, whole: str) -> ClientError:
    return ClientError(
        HTTPStatus.BAD_REQUEST,
        [
            (".".join(str(part) for part in e["loc"]) if e["loc"] else whole, _problem(e))
            for e in error.errors()
        ],
    )


def old_body[OldModel: BaseModel](request: Request, model: type[OldModel]) -> OldModel:
    # Negotiation and parsing did not change: the router's own functions, as the old body used.
    text = api._json_text(request.event)
    value = None if text is None else api._json_value(text)
    if value is None:
        raise ClientError(HTTPStatus.BAD_REQUEST, [("body", "is required")])
    try:
        return model.model_validate(value, from_attributes=True)
    except ValidationError as error:
        raise _invalid(error, "body") from None


def old_query[OldModel: BaseModel](request: Request, model: type[OldModel]) -> OldModel:
    raw = str(request.event.get("rawQueryString") or "")
    repeated = {k for k, v in parse_qs(raw, keep_blank_values=True).items() if len(v) > 1}
    parameters: dict[str, Any] = {
        str(name): value.split(",") if name in repeated else value
        for name, value in (request.event.get("queryStringParameters") or {}).items()
        if value is not None
    }
    try:
        return model.model_validate(parameters)
    except ValidationError as error:
        raise _invalid(error, "query") from None


# --- the same two routes on two routers: the old validation and the new


def operands_route(read: Callable[[Request], Any]) -> Callable[[Request], Response]:
    return lambda request: ok({"a": (o := read(request)).a, "b": o.b})


def query_route(read: Callable[[Request], Any]) -> Callable[[Request], Response]:
    return lambda request: ok({"limit": (q := read(request)).limit, "cursor": q.cursor})


OLD_API, NEW_API = Api("old", "1.0.0"), Api("new", "1.0.0")
OLD, NEW = Router(OLD_API), Router(NEW_API)
OLD.serves(OLD_API.post("/add"))(operands_route(lambda r: old_body(r, OldOperands)))
OLD.serves(OLD_API.get("/history"))(query_route(lambda r: old_query(r, OldHistoryQuery)))
NEW.serves(NEW_API.post("/add", body=Operands))(operands_route(lambda r: r.body(Operands)))
NEW.serves(NEW_API.get("/history", query=HistoryQuery))(
    query_route(lambda r: r.query(HistoryQuery))
)


def replay(event: dict[str, Any], answers: Counter[str]) -> None:
    old = OLD.resolve(event, fake_lambda_context())
    new = NEW.resolve(event, fake_lambda_context())
    assert new == old, f"{event.get('body')!r} {event.get('queryStringParameters')!r}"
    answers[str(new["statusCode"])] += 1


# Events of the routes above, naming no function of the service: removing one (docs/forking.md)
# leaves this file as it is.
def body_event(body: str) -> dict[str, Any]:
    return request_event("POST", "/add", body)


def query_event(parameters: list[tuple[str, Any]]) -> dict[str, Any]:
    """API Gateway's view of a query string: a repeated name's values joined by commas, and the
    raw string. Only text repeats: a non-text value (hand-made events only) is the name's last."""
    values: dict[str, list[Any]] = {}
    for name, value in parameters:
        values.setdefault(name, []).append(value)
    for name, given_values in values.items():
        if not all(isinstance(value, str) for value in given_values):
            values[name] = given_values[-1:]
    joined = {name: ",".join(v) if len(v) > 1 else v[0] for name, v in values.items()}
    raw = "&".join(
        f"{quote(name)}={quote(str(value), errors='surrogatepass')}"
        for name, given_values in values.items()
        for value in given_values
    )
    return {
        **request_event("GET", "/history"),
        "queryStringParameters": joined or None,
        "rawQueryString": raw,
    }


# --- generated events

field_names = st.sampled_from(["a", "b", "c", "", "A", "a ", "limit"]) | st.text(max_size=4)
big_integers = st.integers(1, 1100).map(lambda digits: int("9" * digits))
exponents = st.integers(-1100, 1100)
decimals = st.builds(
    lambda digits, exponent: Decimal(f"{digits}E{exponent}"),
    st.integers(-(10**30), 10**30),
    exponents,
) | st.decimals(allow_nan=False, allow_infinity=False)
json_scalars = (
    st.none() | st.booleans() | st.integers() | big_integers | decimals | st.text(max_size=10)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(field_names, children, max_size=4)
    ),
    max_leaves=8,
)
operand_values = st.integers() | big_integers | decimals | json_scalars
bodies = st.one_of(
    st.fixed_dictionaries({"a": operand_values, "b": operand_values}),
    st.dictionaries(field_names, operand_values, max_size=4),
    json_values,
).map(exact_json.dumps)


@pytest.mark.parametrize(
    "body",
    [
        '{"a": 1, "b": 2}',
        '{"a": 1.5, "b": -2e-3}',
        "{}",
        "[]",
        '"a"',
        "1",
        "1.5",
        "1e3",
        "true",
        "null",
        '{"a": null, "b": true}',
        '{"c": 1, "b": "x", "z": 2, "a": true}',
        '{"a": 1, "b": 1E+2000}',
        '{"a": 1, "b": 1E-1001}',
        '{"a": ' + "9" * MAX_DIGITS + ', "b": 0.' + "1" * MAX_DIGITS + "}",
        '{"a": 1, "b": 0.' + "1" * (MAX_DIGITS + 1) + "}",
        '{"a": 1, "b": 2, "": 3}',
        '{"a": {"a": 1}, "b": [1]}',
        '{"a": 1, "a": "x", "b": 2}',
    ],
)
def test_hand_made_bodies_are_answered_as_before(body: str) -> None:
    replay(body_event(body), Counter())


def test_generated_bodies_are_answered_as_before() -> None:
    answers: Counter[str] = Counter()

    @CASES
    @given(bodies)
    def check(body: str) -> None:
        replay(body_event(body), answers)

    check()
    print(f"bodies replayed: {sum(answers.values())}, answered {dict(sorted(answers.items()))}")
    # Not vacuous: both outcomes were compared, many times.
    assert answers["200"] >= GENERATED // 20 and answers["400"] >= GENERATED * 2 // 5, answers
    assert set(answers) == {"200", "400"}, answers


digit_strings = st.builds(
    lambda zeros, digits: "0" * zeros + digits,
    st.integers(0, 3) | st.just(4400),
    st.text("0123456789", min_size=0, max_size=4) | st.sampled_from(["1" * 4300, "1" * 4301]),
)
limit_texts = digit_strings | st.sampled_from(["+1", "-1", " 1", "1 ", "1_0", "٣", "²", "1.0", ""])
parameter_values: st.SearchStrategy[Any] = (
    limit_texts
    | st.text(max_size=6)
    | st.integers(-5, 200)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
    | st.just({})
)
parameters = st.lists(
    st.tuples(st.sampled_from(["limit", "cursor", "other", "Limit"]), parameter_values),
    max_size=4,
)


@pytest.mark.parametrize(
    "query",
    [
        [],
        [("limit", "5")],
        [("limit", "0")],
        [("limit", "101")],
        [("limit", "0001")],
        [("limit", "0" * 5000)],
        [("limit", "0" * 5000 + "7")],
        [("limit", "1" * 4300)],
        [("limit", "1" * 4301)],
        [("limit", "0" + "1" * 4301)],
        [("limit", "x"), ("cursor", "")],
        [("cursor", ""), ("limit", "x")],
        [("limit", "1"), ("limit", "2")],
        [("cursor", "a"), ("cursor", "b")],
        [("limit", 5)],
        [("limit", True)],
        [("limit", 5.0)],
        [("limit", 5.5)],
        [("limit", float("inf"))],
        [("limit", float("nan"))],
        [("limit", 1e300)],
        [("limit", 2.0**63)],
        [("limit", 2.0**63 - 1024)],
        [("limit", -(2.0**63))],
        [("limit", {})],
        [("cursor", 5)],
        [("cursor", True)],
        [("cursor", "\ud800")],
        [("cursor", None)],
        [("other", "1")],
    ],
)
def test_hand_made_queries_are_answered_as_before(query: list[tuple[str, Any]]) -> None:
    replay(query_event(query), Counter())


def test_generated_queries_are_answered_as_before() -> None:
    answers: Counter[str] = Counter()

    @CASES
    @given(parameters)
    def check(query: list[tuple[str, Any]]) -> None:
        replay(query_event(query), answers)

    check()
    print(f"queries replayed: {sum(answers.values())}, answered {dict(sorted(answers.items()))}")
    assert answers["200"] >= GENERATED // 20 and answers["400"] >= GENERATED * 2 // 5, answers
    assert set(answers) == {"200", "400"}, answers

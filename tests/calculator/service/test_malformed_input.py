"""Property: whatever a client sends that is malformed, every route answers 4xx JSON, never 5xx."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from aws_testing import MotoServer, history_store
from calculator.functions.add import handler as add
from calculator.functions.history import handler as history
from calculator.functions.multiply import handler as multiply
from conftest import fake_lambda_context
from lambda_events import load_event

CASES_PER_ROUTE = 500
MALFORMED_CASES = settings(
    max_examples=CASES_PER_ROUTE,
    deadline=None,
    # The stores are module-scoped on purpose; generating "malformed" filters a lot.
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.floats(allow_nan=False, allow_infinity=False)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
valid_operand = st.integers(min_value=-(10**30), max_value=10**30)


def _is_valid_operands(body: object) -> bool:
    return (
        isinstance(body, dict)
        and set(body) == {"a", "b"}
        and all(type(body[k]) in (int, float) for k in "ab")
    )


malformed_json_bodies = json_values.filter(lambda body: not _is_valid_operands(body)).map(
    json.dumps
)
broken_text = st.text(max_size=60).filter(lambda text: not _parses(text))
bad_number_tokens = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e99999", "9" * 1200])
bodies = (
    malformed_json_bodies
    | broken_text
    | bad_number_tokens.map(lambda token: '{"a": ' + token + ', "b": 1}')
    | st.builds(
        lambda a, extra: json.dumps({"a": a, "b": 1, extra: 1}),
        valid_operand,
        st.text(min_size=1, max_size=5).filter(lambda k: k not in {"a", "b"}),
    )
    | st.just("x" * 20_000)
)


def _is_valid_query(query: dict[str, str]) -> bool:
    limit, cursor = query.get("limit"), query.get("cursor")
    limit_ok = limit is None or (limit.isascii() and limit.isdigit() and 1 <= int(limit) <= 100)
    cursor_ok = cursor is None
    if cursor:
        try:
            cursor_ok = isinstance(json.loads(base64.urlsafe_b64decode(cursor)), str)
        except ValueError:
            cursor_ok = False
    return limit_ok and cursor_ok


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


@pytest.fixture(scope="module")
def isolated_stores(moto_server: MotoServer) -> Iterator[None]:
    # Malformed input must never reach the store; one that does is still answered, not a 5xx.
    saved = {module: module.store for module in (add, multiply, history)}
    for module in saved:
        module.store = history_store(moto_server.endpoint)  # type: ignore[attr-defined]
    yield
    for module, store in saved.items():
        module.store = store  # type: ignore[attr-defined]


def answer(handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> tuple[int, Any]:
    response = handler(event, fake_lambda_context())
    return response["statusCode"], json.loads(response["body"])


def assert_client_error(status: int, body: Any) -> None:
    assert 400 <= status < 500, (status, body)
    assert body["errors"] and all({"field", "problem"} <= set(e) for e in body["errors"])


@pytest.mark.usefixtures("isolated_stores")
@pytest.mark.parametrize(("route", "module"), [("add", add), ("multiply", multiply)])
@MALFORMED_CASES
@given(body=bodies, base64=st.booleans(), method=st.sampled_from(["POST", "POST", "GET", "PUT"]))
def test_calculation_routes_answer_malformed_events_with_4xx(
    route: str, module: Any, body: str, base64: bool, method: str
) -> None:
    event = load_event(route, body=body, isBase64Encoded=base64)
    event["requestContext"]["http"]["method"] = method
    assert_client_error(*answer(module.handler, event))


@pytest.mark.usefixtures("isolated_stores")
@MALFORMED_CASES
@given(
    query=st.dictionaries(
        st.sampled_from(["limit", "cursor"]),
        st.text(max_size=12),
        min_size=1,
    ).filter(lambda query: not _is_valid_query(query)),
    path=st.sampled_from(["/history", "/history", "/histories", "/"]),
)
# Found by this test: pydantic alone read "+1" as a valid limit.
@example(query={"limit": "+1"}, path="/history")
def test_history_route_answers_malformed_queries_with_4xx(query: dict[str, str], path: str) -> None:
    event = load_event("history", queryStringParameters=query, rawPath=path)
    event["requestContext"]["http"]["path"] = path
    assert_client_error(*answer(history.handler, event))

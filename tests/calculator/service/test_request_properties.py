"""Property: whatever a client sends, every route answers, and never with a 5xx.

Each request is drawn from independent parts, as clients and API Gateway combine them: the
method and path, the content type (any case, parameters, JSON or not), the content coding,
how API Gateway encoded the body (text or base64), and the body (valid operands, malformed
JSON, text, bytes that are not UTF-8, nothing, too much). Every answer is either the
calculation or the JSON error shape; each case is labelled with the check that answered it,
and at least a third must get past routing and content negotiation to the body or query
validation. Each test prints its table of labels (as `--hypothesis-show-statistics` would)
into the test log: `./pants test --output=all tests/calculator/service:`.

Which routes, and which function answers each, come from infra/template.yaml (service_spec):
a new function is fuzzed here the moment it is deployed. Routes this file knows more about get
sharper strategies and checks (a calculation's result, history's query); every other route gets
the generic one.
"""

from __future__ import annotations

import base64
import importlib
import json
import operator
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, localcontext
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calculator.shared.arithmetic import Operation
from lambda_devkit import service_spec
from lambda_devkit.testing.aws import MotoServer, history_store
from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import load_event
from lambda_http.router import MAX_BODY_BYTES

# Generated requests per route (the fuzzer, docs/api-contract.md, also sends generated requests
# through serve in CI).
CASES_PER_ROUTE = 200
# Past routing and negotiation: the route's own validation (or the calculation) answered.
REACHED_VALIDATION = {"validation: 200", "validation: 400"}
# The strategies aim at well over half (66-92 % in three runs of 150); a draw of a few hundred
# varies by tens of points from run to run (47 % once), so the floor that proves the cases are
# not all refused at the door is a third.
MIN_REACHED_VALIDATION = 0.35
CASES = settings(
    max_examples=CASES_PER_ROUTE,
    deadline=None,
    # The stores are module-scoped on purpose: no table per case.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- the parts of a request, drawn independently


def random_case(text: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(text), max_size=len(text)).map(
        lambda upper: "".join(c.upper() if u else c for c, u in zip(text, upper, strict=True))
    )


json_media_types = st.one_of(
    random_case("application/json"),
    st.builds(
        lambda media, charset, space: f"{media};{' ' * space}charset={charset}",
        random_case("application/json"),
        st.sampled_from(["utf-8", "UTF-8", '"utf-8"', "utf8", "us-ascii"]),
        st.integers(0, 2),
    ),
    st.sampled_from(["application/vnd.api+json", "application/problem+json"]),
)
other_media_types = st.one_of(
    st.sampled_from(
        [
            "text/plain",
            "application/x-www-form-urlencoded",  # curl -d without -H
            "multipart/form-data; boundary=x",
            "application/octet-stream",
            "application/json; charset=latin-1",
            "application/jsonx",
            "",
            ";",
            "application/json, text/plain",
        ]
    ),
    st.text(max_size=30),
)
# Mostly JSON or absent, so that most cases get past negotiation to validation.
content_types = st.one_of(*[json_media_types] * 7, st.none(), other_media_types)
content_codings = st.sampled_from([None] * 30 + ["identity", "gzip", "br"])
header_names = st.sampled_from(["content-type", "Content-Type", "CONTENT-TYPE"])


operand = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.decimals(
        allow_nan=False, allow_infinity=False, places=6, min_value=-(10**20), max_value=10**20
    ),
)
valid_bodies = st.builds(lambda a, b: {"a": a, "b": b}, operand, operand)
json_scalars = st.none() | st.booleans() | st.integers() | st.text(max_size=20) | st.floats()
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
bad_number_tokens = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e99999", "9" * 1200])
text_bodies = st.one_of(
    json_values.map(json.dumps),  # valid JSON, rarely valid operands
    st.builds(
        lambda a, extra: json.dumps({"a": a, "b": 1, extra: 1}),
        st.integers(),
        st.text(min_size=1, max_size=5).filter(lambda k: k not in {"a", "b"}),
    ),
    bad_number_tokens.map(lambda token: '{"a": ' + token + ', "b": 1}'),
    st.text(max_size=60),
)


@dataclass(frozen=True)
class Body:
    data: bytes | None  # None: no body at all
    operands: dict[str, Any] | None = None  # set when `data` is a valid calculation


def _operands_json(operands: dict[str, Any]) -> bytes:
    # As JSON numbers, every digit kept (json.dumps cannot write a Decimal).
    return ("{" + ",".join(f'"{k}": {v}' for k, v in operands.items()) + "}").encode()


valid = valid_bodies.map(lambda d: Body(_operands_json(d), d))
invalid_bodies = st.one_of(
    valid_bodies.map(lambda d: Body(json.dumps({k: str(v) for k, v in d.items()}).encode())),
    text_bodies.map(lambda text: Body(text.encode("utf-8", "surrogatepass"))),
    text_bodies.map(lambda text: Body(text.encode("utf-8", "surrogatepass"))),
    st.binary(max_size=40).map(Body),  # mostly not UTF-8
    st.sampled_from(
        [Body(None), Body(b""), Body(b'{"a": 1, "b": ' + b"1" * MAX_BODY_BYTES + b"}")]
    ),
)
# API Gateway sends text as is and anything else base64-encoded; a client cannot choose.
# A body that is not UTF-8 cannot travel as text, so it is always base64 (as on AWS).
encodings = st.sampled_from(["text", "text", "base64"])


def routed(draw: st.DrawFn, name: str, route: service_spec.Route) -> dict[str, Any]:
    """The function's event fixture, mostly for its own route, sometimes a near miss."""
    event = load_event(name)
    others = sorted({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"} - {route.method})
    method = draw(st.sampled_from([route.method] * 80 + others))
    near_misses = [route.path.upper(), f"{route.path}/", "/"]
    path = draw(st.sampled_from([route.path] * 80 + near_misses))
    event["requestContext"]["http"]["method"] = method
    event["rawPath"] = event["requestContext"]["http"]["path"] = path
    return event


def drawn_headers(draw: st.DrawFn) -> dict[str, str]:
    """A content type under any spelling of its name, and a content coding, each maybe."""
    headers = {"host": "api.example.com"}
    if (content_type := draw(content_types)) is not None:
        headers[draw(header_names)] = content_type
    if (coding := draw(content_codings)) is not None:
        headers["content-encoding"] = coding
    return headers


@st.composite
def calculation_events(draw: st.DrawFn, name: str, route: service_spec.Route) -> dict[str, Any]:
    event = routed(draw, name, route)
    event["headers"] = drawn_headers(draw)
    # Half valid calculations, drawn first so that they are half whatever hypothesis favours.
    body: Body = draw(valid if draw(st.booleans()) else invalid_bodies)
    event["calculation"] = body.operands  # the test's own record of what is valid
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if body.data is not None:
        as_text = draw(encodings) == "text"
        try:
            text = body.data.decode() if as_text else None
        except UnicodeDecodeError:
            text = None
        if text is None:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body.data).decode(), True
        else:
            event["body"] = text
    return event


cursors = st.one_of(
    st.builds(
        lambda ms, rid: base64.urlsafe_b64encode(json.dumps(f"{ms:013d}#{rid}").encode()).decode(),
        st.integers(0, 10**13 - 1),
        st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
    ),
    st.builds(
        lambda value: base64.urlsafe_b64encode(json.dumps(value).encode()).decode(), json_values
    ),
    st.text(max_size=30),
)
limits = st.one_of(st.integers(-5, 130).map(str), st.text(max_size=6))


@st.composite
def history_events(draw: st.DrawFn, name: str, route: service_spec.Route) -> dict[str, Any]:
    event = routed(draw, name, route)
    query = {}
    if draw(st.booleans()):
        query["limit"] = draw(limits)
    if draw(st.booleans()):
        query["cursor"] = draw(cursors)
    event["queryStringParameters"] = query or None
    headers = {"host": "api.example.com"}
    if (content_type := draw(content_types)) is not None:
        headers[draw(header_names)] = content_type
    event["headers"] = headers
    if draw(st.booleans()):  # a GET may carry a body; the route reads none
        event["body"] = base64.b64encode(draw(st.binary(max_size=20))).decode()
        event["isBase64Encoded"] = True
    return event


@st.composite
def any_events(draw: st.DrawFn, name: str, route: service_spec.Route) -> dict[str, Any]:
    """For a route this file knows nothing more about: any query, headers and body."""
    event = routed(draw, name, route)
    query = draw(st.dictionaries(st.sampled_from(["limit", "cursor", "a", "q"]), limits))
    event["queryStringParameters"] = query or None
    event["headers"] = drawn_headers(draw)
    body: Body = draw(valid | invalid_bodies)
    event.pop("body", None)
    event["isBase64Encoded"] = False
    if body.data is not None:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body.data).decode(), True
    return event


# --- the checks

# The independent oracle of each calculation: exact, at a precision no operand drawn here needs.
ORACLES: dict[Operation, Callable[[Decimal, Decimal], Decimal]] = {
    Operation.ADD: operator.add,
    Operation.MULTIPLY: operator.mul,
}


def expected_result(operation: Operation, operands: dict[str, Any]) -> Decimal:
    with localcontext(prec=200):
        return ORACLES[operation](Decimal(operands["a"]), Decimal(operands["b"]))


@dataclass(frozen=True)
class Fuzz:
    """How one route is fuzzed: the events drawn, examples always run, and the 200 check."""

    events: Callable[[str, service_spec.Route], st.SearchStrategy[dict[str, Any]]]
    examples: list[dict[str, Any]]
    check_200: Callable[[dict[str, Any], Any], None]


def fuzz_for(function: service_spec.Function, route: service_spec.Route) -> Fuzz:
    if route.method == "POST" and function.name in set(Operation):
        operation = Operation(function.name)

        def calculated(event: dict[str, Any], body: Any) -> None:
            assert event["calculation"] is not None, body  # only a valid calculation succeeds
            assert body["result"] == expected_result(operation, event["calculation"])

        # curl -d '{"a":1,"b":2}' with no -H: a form content type, base64 on an HTTP API.
        curl = load_event(function.name, body=base64.b64encode(b'{"a":1,"b":2}').decode())
        curl.update(isBase64Encoded=True, calculation=None)
        curl["headers"] = {"content-type": "application/x-www-form-urlencoded"}
        return Fuzz(calculation_events, [curl], calculated)
    if str(route) == "GET /history":

        def listed(event: dict[str, Any], body: Any) -> None:
            assert isinstance(body["items"], list)

        # Found by an earlier version of this test: pydantic alone read "+1" as a valid limit.
        plus_one = load_event(function.name, queryStringParameters={"limit": "+1"})
        return Fuzz(history_events, [plus_one], listed)
    return Fuzz(any_events, [], lambda event, body: None)


@pytest.fixture(scope="module")
def isolated_stores(moto_server: MotoServer) -> Iterator[None]:
    # Each function that keeps a store gets a table of its own on the moto server.
    modules = [handler_module(f) for f in service_spec.functions()]
    saved = {module: vars(module)["store"] for module in modules if "store" in vars(module)}
    for module in saved:
        vars(module)["store"] = history_store(moto_server.endpoint)
    yield
    for module, store in saved.items():
        vars(module)["store"] = store


def handler_module(function: service_spec.Function) -> ModuleType:
    return importlib.import_module(function.handler_module)


def answer(handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> tuple[int, Any]:
    response = handler(event, fake_lambda_context())
    assert response["headers"]["Content-Type"] == "application/json", response
    return response["statusCode"], json.loads(response["body"], parse_float=Decimal)


def checked_by(status: int, body: Any) -> str:
    """Which check answered: never a 5xx, and every error in the JSON error shape."""
    assert status < 500, (status, body)
    if status == 200:
        return "validation: 200"
    assert 400 <= status < 500, (status, body)
    assert body["message"] and body["errors"], body
    assert all(set(e) == {"field", "problem"} for e in body["errors"]), body
    if status in (404, 405):
        return f"routing: {status}"
    fields = {e["field"] for e in body["errors"]}
    problems = " ".join(e["problem"] for e in body["errors"])
    if status in (413, 415) or "not UTF-8" in problems or "not base64" in problems:
        return f"negotiation: {status} {', '.join(sorted(fields))}"
    return "validation: 400"


class Tally:
    """Counts which check answered each case, and prints the table into the test log."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts: Counter[str] = Counter()

    def __call__(self, label: str) -> None:
        self.counts[label] += 1

    def report(self, capsys: pytest.CaptureFixture[str]) -> float:
        total = sum(self.counts.values())
        reached = sum(self.counts[label] for label in REACHED_VALIDATION) / total
        with capsys.disabled():
            print(f"\n{self.name}: {total} cases, {reached:.0%} reached validation")
            for label, count in self.counts.most_common():
                print(f"  {count:5d}  {label}")
        return reached


def test_every_operation_has_an_oracle() -> None:
    assert set(ORACLES) == set(Operation)


@pytest.mark.usefixtures("isolated_stores")
@pytest.mark.parametrize(
    ("function", "route"),
    [(f, r) for f in service_spec.functions() for r in f.routes],
    ids=lambda each: str(each) if isinstance(each, service_spec.Route) else each.name,
)
def test_no_route_ever_answers_5xx(
    function: service_spec.Function,
    route: service_spec.Route,
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = handler_module(function).handler
    fuzz = fuzz_for(function, route)
    tally = Tally(str(route))

    @CASES
    @given(event=fuzz.events(function.name, route))
    def case(event: dict[str, Any]) -> None:
        event.setdefault("calculation", None)
        request = {k: v for k, v in event.items() if k != "calculation"}
        status, body = answer(handler, request)
        tally(checked_by(status, body))
        if status == 200:
            fuzz.check_200(event, body)

    for each in fuzz.examples:
        case = example(event=each)(case)
    case()
    assert sum(tally.counts.values()) >= CASES_PER_ROUTE
    assert tally.report(capsys) >= MIN_REACHED_VALIDATION

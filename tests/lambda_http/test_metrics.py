"""The router's metrics: what each kind of answer counts, as the EMF `resolve` prints."""

from __future__ import annotations

from typing import Any

import aws_lambda_powertools.metrics.provider.cold_start as cold_start
import pytest

from lambda_devkit import emf
from lambda_devkit.testing.context import fake_lambda_context
from lambda_devkit.testing.events import request_event, without_caller
from lambda_http.declaration import Api
from lambda_http.errors import Unavailable
from lambda_http.router import Request, Response, Router, ok


class StoreDown(Unavailable):
    answer = "The store is down."


def failing(request: Request) -> Response:
    raise StoreDown("connection refused")


def crashing(request: Request) -> Response:
    raise RuntimeError("a bug")


def app() -> Router:
    api = Api("T", "1.0.0")
    router = Router(api)
    router.serves(api.get("/history"))(lambda request: ok({}))
    router.serves(api.get("/store"))(failing)
    router.serves(api.get("/bug"))(crashing)
    return router


def printed(capsys: pytest.CaptureFixture[str], event: dict[str, Any]) -> list[dict[str, Any]]:
    """The EMF documents one invocation prints, each checked against the specification."""
    capsys.readouterr()
    app().resolve(event, fake_lambda_context())
    documents = emf.documents(capsys.readouterr().out.splitlines())
    for document in documents:
        assert emf.problems(document) == []
    return documents


def request(path: str, method: str = "GET") -> dict[str, Any]:
    return request_event(method, path)


@pytest.fixture(autouse=True)
def warm() -> None:
    """Every test but the cold-start one starts in a warm environment."""
    cold_start.is_cold_start = False


def test_cold_start_is_counted_once_per_environment(capsys: pytest.CaptureFixture[str]) -> None:
    cold_start.is_cold_start = True  # a new execution environment
    first = printed(capsys, request("/history"))
    second = printed(capsys, request("/history"))
    cold = [d for d in first + second if "ColdStart" in emf.metric_values(d)]
    assert len(cold) == 1
    assert emf.dimensions(cold[0])["function_name"]
    assert [d for d in second if "ColdStart" in emf.metric_values(d)] == []


@pytest.mark.parametrize(
    ("path", "method", "route", "outcome", "metrics"),
    [
        ("/history", "GET", "GET /history", "2xx", {"Requests": 1}),
        ("/history", "POST", "unmatched", "4xx", {"Requests": 1, "ClientErrors": 1}),
        (
            "/a/path/of/the/client/s/choosing",
            "GET",
            "unmatched",
            "4xx",
            {"Requests": 1, "ClientErrors": 1},
        ),
        ("/store", "GET", "GET /store", "5xx", {"Requests": 1, "StoreFailures": 1}),
        ("/bug", "GET", "GET /bug", "5xx", {"Requests": 1, "ServerErrors": 1}),
    ],
)
def test_each_answer_counts_its_request_route_and_outcome(
    capsys: pytest.CaptureFixture[str],
    path: str,
    method: str,
    route: str,
    outcome: str,
    metrics: dict[str, int],
) -> None:
    (document,) = printed(capsys, request(path, method))
    assert emf.metric_values(document) == metrics
    assert {k: v for k, v in emf.dimensions(document).items() if k in ("route", "outcome")} == {
        "route": route,
        "outcome": outcome,
    }


def test_a_request_without_a_caller_is_a_client_error(capsys: pytest.CaptureFixture[str]) -> None:
    (document,) = printed(capsys, without_caller(request("/history")))
    assert emf.metric_values(document) == {"Requests": 1, "ClientErrors": 1}
    assert emf.dimensions(document)["outcome"] == "4xx"


def test_dimensions_never_carry_the_caller_or_the_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    event = request("/history")
    (document,) = printed(capsys, event)
    assert set(emf.dimensions(document)) - {"service"} == {"function_name", "outcome", "route"}
    text = str(document)
    assert event["requestContext"]["requestId"] not in text
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["sub"] not in text


def test_the_checker_names_what_breaks_the_specification() -> None:
    valid = {
        "_aws": {
            "Timestamp": 1,
            "CloudWatchMetrics": [
                {"Namespace": "n", "Dimensions": [["route"]], "Metrics": [{"Name": "Requests"}]}
            ],
        },
        "route": "GET /x",
        "Requests": [1, 2.5],
    }
    assert emf.problems(valid) == []
    directive = valid["_aws"]["CloudWatchMetrics"][0]  # type: ignore[index]
    assert emf.problems({**valid, "_aws": {**valid["_aws"], "Timestamp": 1.5}}) == [  # type: ignore[dict-item]
        "_aws.Timestamp is 1.5, not an integer"
    ]
    assert emf.problems({**valid, "route": None}) == [
        "directive 0: dimension 'route' has no string value at the root"
    ]
    assert emf.problems({**valid, "Requests": "1"}) == [
        "directive 0: metric 'Requests' is '1' at the root, not numbers"
    ]
    many = {**directive, "Metrics": [{"Name": "Requests"}] * 101}
    assert emf.problems({**valid, "_aws": {"Timestamp": 1, "CloudWatchMetrics": [many]}}) == [
        "directive 0: 101 metrics, more than 100"
    ]
    assert emf.problems(
        {**valid, "_aws": {"Timestamp": 1, "CloudWatchMetrics": [{**directive, "Namespace": ""}]}}
    ) == ["directive 0: Namespace is ''"]

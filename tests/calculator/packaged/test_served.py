"""The service's zips under `serve`, as a developer runs them: every route answers, history
reflects the calls, and each documented answer (tests/calculator/answers.toml, rendered into
docs/api.md) is what comes back over HTTP. (A hung store: test_hung_store.py. How `serve` itself
routes, authorizes, throttles and stops is tests/lambda_devkit/local/'s, on stand-in
functions.)"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lambda_devkit import service_spec
from lambda_devkit.testing.answers import API_GATEWAY, Answer, load
from lambda_devkit.testing.dist import lay_out_dist
from lambda_devkit.testing.local_server import PATIENCE_S, Server, serving

# What the service answers, request by request (also rendered into docs/api.md).
ANSWERS = load(Path("tests/calculator/answers.toml"))
# The example calculations, by function, each with its exact result: a case runs while its
# function is deployed (a fork removes the examples one by one, and the tree stays green).
CALCULATIONS = {
    "add": ({"a": 0.1, "b": 0.2}, 0.3),
    "multiply": ({"a": 123456789012345678901234567890, "b": 3}, 370370367037037036703703703670),
}
DEPLOYED = {f.name: f for f in service_spec.functions()}
HISTORY = DEPLOYED.get("history")


@pytest.fixture(scope="module")
def buildroot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lay_out_dist(tmp_path_factory.mktemp("buildroot"))


# The caller of the warm-up requests: a caller of its own, whose history no test reads.
WARM_UP_CALLER = "served-warm-up"


def warm_up(server: Server) -> None:
    """One request to every route at once, as WARM_UP_CALLER: each function's first container
    starts beside the others (and serve unpacks the layers, on its first request) rather than
    one after another inside the first test, which then meets warm containers. Any answer but a
    5xx will do (a POST without operands is a 400, answered by the function all the same)."""
    routes = [route for f in DEPLOYED.values() for route in f.routes]

    def send(route: service_spec.Route) -> int:
        body: dict[str, object] | None = {} if route.method in {"POST", "PUT", "PATCH"} else None
        return server.request(route.method, route.path, body, caller=WARM_UP_CALLER)[0]

    with ThreadPoolExecutor(len(routes)) as pool:
        statuses = dict(zip(map(str, routes), pool.map(send, routes), strict=True))
    assert all(status < 500 for status in statuses.values()), statuses


@pytest.fixture(scope="module")
def server(buildroot: Path) -> Iterator[Server]:
    with serving(buildroot) as running:
        warm_up(running)
        yield running


def post_keyed(server: Server, path: str, body: str, key: str, caller: str) -> tuple[int, bytes]:
    """POST `body` to `path` as `caller` with `Idempotency-Key: key`: the status and raw body."""
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=PATIENCE_S)
    headers = {
        "Authorization": f"Bearer {server.token(caller)}",
        "Content-Type": "application/json",
        "Idempotency-Key": key,
    }
    connection.request("POST", path, body=body, headers=headers)
    response = connection.getresponse()
    answer = response.status, response.read()
    connection.close()
    return answer


def test_serve_carries_the_idempotency_key_a_repeat_is_answered_byte_for_byte_once(
    server: Server,
) -> None:
    if "add" not in DEPLOYED or HISTORY is None:
        pytest.skip("the template deploys no add, or no history")
    (history,) = HISTORY.routes
    body = '{"a": 0.1, "b": 0.2}'
    first = post_keyed(server, "/add", body, "served-key", "served-idem-alice")
    again = post_keyed(server, "/add", body, "served-key", "served-idem-alice")
    assert first[0] == 200
    assert again == first
    _, _, listed = server.request(history.method, history.path, caller="served-idem-alice")
    assert [item["id"] for item in listed["items"]] == [json.loads(first[1])["id"]]

    other = post_keyed(server, "/add", '{"a": 1, "b": 2}', "served-key", "served-idem-alice")
    assert other[0] == 422
    bob = post_keyed(server, "/add", body, "served-key", "served-idem-bob")
    assert bob[0] == 200 and json.loads(bob[1])["id"] != json.loads(first[1])["id"]
    _, _, listed = server.request(history.method, history.path, caller="served-idem-bob")
    assert [item["id"] for item in listed["items"]] == [json.loads(bob[1])["id"]]


def test_every_route_answers_and_history_reflects_the_calls(server: Server) -> None:
    calls = [(DEPLOYED[name], *case) for name, case in CALCULATIONS.items() if name in DEPLOYED]
    if not calls or HISTORY is None:
        pytest.skip("the template deploys no example calculation, or no history")
    ids = []
    for function, request, result in calls:
        (route,) = function.routes
        status, headers, body = server.request(route.method, route.path, request)
        assert (status, body["result"], headers["content-type"]) == (
            200,
            result,
            "application/json",
        )
        ids.append(body["id"])
    (history,) = HISTORY.routes
    status, _, body = server.request(history.method, f"{history.path}?limit={len(ids)}")
    assert status == 200
    assert [item["id"] for item in body["items"]] == ids[::-1]


@pytest.mark.parametrize(
    "row", ANSWERS, ids=lambda row: f"{row.method} {row.target} {row.content_type}"
)
def test_each_documented_answer_is_what_serve_answers(server: Server, row: Answer) -> None:
    url = urlsplit(server.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=PATIENCE_S)
    # http.client adds no Content-Type of its own (urllib would add a form type).
    headers = {"Authorization": f"Bearer {server.token()}"}
    if row.content_type is not None:
        headers["Content-Type"] = row.content_type
    connection.request(row.method, row.target, body=row.body, headers=headers)
    response = connection.getresponse()
    document = json.loads(response.read())
    connection.close()
    assert response.status == row.status, document
    assert response.getheader("content-type") == "application/json"
    if row.answered_by == API_GATEWAY:
        assert document == {"message": HTTPStatus(row.status).phrase}
    elif row.field is not None:
        assert document["errors"][0]["field"] == row.field, document
    else:
        assert "result" in document

"""The zips `./pants package ::` writes, run end to end in a Lambda-faithful layout.

Each function zip is unpacked to the task root and the layers to /opt; a fresh CPython 3.13
with Lambda's import order (task root, then /opt/python, and no site-packages of ours) runs
AWS's runtime interface client, which imports `lambda_function` and calls `handler` with real
API Gateway events from a local Runtime API, while boto3 in the requirements layer talks to
moto's DynamoDB server on loopback.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit import emf, service_spec
from lambda_devkit.emulator.container import Container, Result
from lambda_devkit.emulator.sandbox import Sandbox
from lambda_devkit.testing.aws import (
    FAKE_CREDENTIALS,
    REGION,
    FaultProxy,
    MotoServer,
    dynamodb_client,
    fresh_tables,
)
from lambda_devkit.testing.dist import packaged
from lambda_devkit.testing.events import (
    EventFactory,
    as_caller,
    load_event,
    with_key,
    without_caller,
)

# Native wheels, should a requirement bring any, must match the machine running the test. The
# template lists the shared layer first.
SHARED_LAYER, REQUIREMENTS_LAYER = map(
    packaged, service_spec.built_layers(service_spec.host_architecture())
)
FUNCTIONS = service_spec.functions()


@pytest.fixture(scope="module")
def recorder(moto_server: MotoServer) -> Iterator[FaultProxy]:
    """Between the functions and moto: records which DynamoDB operations each one makes."""
    with FaultProxy(moto_server.endpoint).running() as proxy:
        yield proxy


@pytest.fixture(scope="module")
def tables(moto_server: MotoServer) -> dict[str, str]:
    """The template's tables, fresh on moto: logical id -> name."""
    return fresh_tables(dynamodb_client(moto_server.endpoint))


@pytest.fixture(scope="module")
def aws_env(tables: dict[str, str], recorder: FaultProxy) -> dict[str, str]:
    return {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL_DYNAMODB": recorder.endpoint,
        **service_spec.function_environment(tables),
    }


def container(
    root: Path,
    name: str,
    layers: list[Path],
    aws_env: dict[str, str],
    tables: dict[str, str],
    opt: Path | None = None,
) -> Container:
    """The function's zip with `layers` (already unpacked in `opt`, if given)."""
    # The function's own variables too (its metrics' function_name), as the template gives them.
    own = service_spec.function_environment(tables, name)
    sandbox = Sandbox.unpack(
        root,
        packaged(service_spec.function(name).built),
        layers,
        opt=opt,
        function_name=name,
        region=REGION,
        extra_env={**aws_env, **own},
        # These tests are about what the zips do, not how fast: a timeout (and so a store
        # budget) that a starved machine cannot exhaust, where the default 3 s could be.
        timeout_s=300.0,
    )
    return Container(sandbox)


def answer(result: Result) -> dict[str, Any]:
    assert result.error is None, result.error
    assert isinstance(result.payload, dict)
    return result.payload


@pytest.fixture(scope="module")
def containers(
    tmp_path_factory: pytest.TempPathFactory,
    aws_env: dict[str, str],
    tables: dict[str, str],
    opt: Path,
) -> Iterator[dict[str, Container]]:
    running = {
        name: container(
            tmp_path_factory.mktemp(name),
            name,
            [SHARED_LAYER, REQUIREMENTS_LAYER],
            aws_env,
            tables,
            opt,
        )
        for name in (f.name for f in FUNCTIONS)
    }
    yield running
    # At once: each stop waits for its Runtime API's server loop to notice (up to half a second).
    with ThreadPoolExecutor(len(running)) as stopping:
        list(stopping.map(Container.stop, running.values()))


@dataclass(frozen=True)
class Run:
    """What one fresh container answered to its events, in order, and everything it printed
    (the invocations' logs, then what it printed until it was stopped)."""

    results: list[Result]
    logs: list[str]


def run_fresh(function: Container, events: list[dict[str, Any]]) -> Run:
    results = [function.invoke(event) for event in events]
    return Run(results, [line for r in results for line in r.logs] + function.stop_and_collect())


def bad_method_event(name: str) -> dict[str, Any]:
    """The function's event with a method its route does not take (a 405)."""
    event = load_event(name)
    event["requestContext"]["http"]["method"] = "DELETE"
    return event


# The function the missing-layer checks run: any would do, so the template's first (a fork
# removes add).
LAYERLESS = FUNCTIONS[0].name
# The checks below that need a container of their own (a cold start counted, a store that
# refuses connections, a layer left out), by check and case.
FRESH_RUNS = [
    *(("metrics", f.name) for f in FUNCTIONS),
    *(("refused", f.name) for f in FUNCTIONS if f.table_actions),
    ("without", "without-shared-layer"),
    ("without", "without-requirements-layer"),
]


@pytest.fixture(scope="module", autouse=True)
def fresh_runs(
    tmp_path_factory: pytest.TempPathFactory,
    moto_server: MotoServer,
    unpacked: dict[Path, Path],
    opt: Path,
) -> Iterator[dict[tuple[str, str], Future[Run]]]:
    """Every fresh container's run, all started with the module and run at once, each in an
    environment of its own: they spend most of their time starting, waiting on a runtime and
    being stopped, which the other tests' time now covers. Each check below takes its run's
    result and asserts on it. Their tables are their own and they write to moto directly (not
    through the recorder), so the tests of the shared containers see none of their writes."""
    tables = fresh_tables(dynamodb_client(moto_server.endpoint))
    env = {
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL_DYNAMODB": moto_server.endpoint,
        **service_spec.function_environment(tables),
    }
    both = [SHARED_LAYER, REQUIREMENTS_LAYER]
    with socket.socket() as refusing:  # bound, never listening: connections are refused
        refusing.bind(("127.0.0.1", 0))
        down = {**env, "AWS_ENDPOINT_URL_DYNAMODB": f"http://127.0.0.1:{refusing.getsockname()[1]}"}

        def start(kind: str, case: str) -> tuple[Container, list[dict[str, Any]]]:
            root = tmp_path_factory.mktemp(f"{kind}-{case}")
            if kind == "metrics":  # its event twice, then a method its route does not take
                events = [load_event(case), load_event(case), bad_method_event(case)]
                return container(root, case, both, env, tables, opt), events
            if kind == "refused":  # keyed: a route that writes uses the store for the key
                keyed = with_key(load_event(case), f"refused-{case}", f"refused-{case}")
                return container(root, case, both, down, tables, opt), [keyed]
            (layer,) = [REQUIREMENTS_LAYER] if case == "without-shared-layer" else [SHARED_LAYER]
            return container(root, LAYERLESS, [layer], env, tables, unpacked[layer]), [
                load_event(LAYERLESS)
            ]

        def run(kind: str, case: str) -> Run:
            return run_fresh(*start(kind, case))

        with ThreadPoolExecutor(len(FRESH_RUNS)) as pool:
            yield {(kind, case): pool.submit(run, kind, case) for kind, case in FRESH_RUNS}


# What each calculation function besides add answers to its event (tests/events/<name>.json).
EXAMPLE_RESULTS = {"multiply": 370370367037037036703703703670}
# The calculator's own end-to-end checks: a calculation, then history. A fork that removes
# those examples replaces them with its own functions' (docs/forking.md).
examples = pytest.mark.skipif(
    not {"add", "history"} <= {f.name for f in FUNCTIONS},
    reason="the calculator's add and history examples are not deployed",
)


@examples
def test_every_route_works_end_to_end_from_the_packaged_zips(
    containers: dict[str, Container], api_event: EventFactory
) -> None:
    added = answer(containers["add"].invoke(api_event("add")))
    assert added == {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "body": '{"operation":"add","a":0.1,"b":0.2,"result":0.3,"id":"cZ3WvhzQoAMEJxw="}',
        "isBase64Encoded": False,
        "cookies": [],
    }
    recorded = [("add", 0.3)]
    # Each example calculation the service still has (a fork removes what it does not need).
    for name, result in EXAMPLE_RESULTS.items():
        if name in containers:
            calculated = answer(containers[name].invoke(api_event(name)))
            assert json.loads(calculated["body"])["result"] == result
            recorded.insert(0, (name, result))

    listed = answer(containers["history"].invoke(api_event("history")))
    assert listed["statusCode"] == 200
    items = json.loads(listed["body"])["items"]
    assert [(item["operation"], item["result"]) for item in items] == recorded


@examples
def test_two_callers_see_disjoint_histories(
    containers: dict[str, Container], api_event: EventFactory
) -> None:
    for subject, body in (("smoke-alice", '{"a": 1, "b": 2}'), ("smoke-bob", '{"a": 3, "b": 4}')):
        event = as_caller(api_event("add", body=body), subject)
        assert answer(containers["add"].invoke(event))["statusCode"] == 200
    for subject, result in (("smoke-alice", 3), ("smoke-bob", 7)):
        listed = answer(containers["history"].invoke(as_caller(api_event("history"), subject)))
        assert [item["result"] for item in json.loads(listed["body"])["items"]] == [result]


def test_every_function_refuses_an_event_without_a_caller(
    containers: dict[str, Container], api_event: EventFactory
) -> None:
    for name in (f.name for f in FUNCTIONS):
        refused = answer(containers[name].invoke(without_caller(api_event(name))))
        assert (refused["statusCode"], json.loads(refused["body"])) == (
            401,
            {"message": "Unauthorized"},
        )


def least_privilege_problems(function: service_spec.Function, operations: list[str]) -> list[str]:
    """How the table actions the template grants `function` differ from those it used."""
    used, granted = set(operations), function.table_actions
    problems = [
        f"{function.name} used {a}, which the template does not grant" for a in used - granted
    ]
    problems += [
        f"{function.name} is granted {a}, which handling its event never used: drop it from "
        f"its policy in infra/template.yaml"
        for a in granted - used
    ]
    return sorted(problems)


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_each_function_answers_its_event_using_exactly_the_table_actions_it_is_granted(
    containers: dict[str, Container],
    recorder: FaultProxy,
    api_event: EventFactory,
    function: service_spec.Function,
) -> None:
    # Least privilege, both ways: the policy the template gives a function is what its code
    # uses to handle its event fixture (tests/events/<name>.json), no more and no less: as it
    # is, and with an Idempotency-Key (a transaction needs the actions inside it).
    recorder.operations.clear()
    response = answer(containers[function.name].invoke(api_event(function.name)))
    assert response["statusCode"] == 200, response
    assert response["headers"]["Content-Type"] == "application/json"
    keyed = with_key(api_event(function.name), f"least-{function.name}", f"least-{function.name}")
    assert answer(containers[function.name].invoke(keyed))["statusCode"] == 200
    assert least_privilege_problems(function, recorder.operations) == []


def test_least_privilege_names_a_widened_or_missing_grant() -> None:
    granted = frozenset({"dynamodb:PutItem", "dynamodb:Scan"})
    add = service_spec.Function("add", "AddFunction", "dist/add.zip", (), (("Table", granted),))
    assert least_privilege_problems(add, ["dynamodb:PutItem", "dynamodb:DeleteItem"]) == [
        "add is granted dynamodb:Scan, which handling its event never used: drop it from its "
        "policy in infra/template.yaml",
        "add used dynamodb:DeleteItem, which the template does not grant",
    ]


def test_bad_input_is_a_4xx_from_the_packaged_zip(
    containers: dict[str, Container], api_event: EventFactory
) -> None:
    # A function that reads operands: add, or in a fork the scaffold's POST functions.
    name = next(f.name for f in FUNCTIONS if any(r.method == "POST" for r in f.routes))
    response = answer(containers[name].invoke(api_event(name, body='{"a": true, "b": 1}')))
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["errors"] == [{"field": "a", "problem": "must be a number"}]


def test_function_zip_holds_only_its_own_code(containers: dict[str, Container]) -> None:
    function = FUNCTIONS[0]
    task_root = containers[function.name].sandbox.task_root
    files = sorted(str(p.relative_to(task_root)) for p in task_root.rglob("*") if p.is_file())
    package = function.handler_module.removesuffix(".handler").replace(".", "/")
    assert files == [
        "__pycache__/lambda_function.cpython-313.pyc",
        f"{package}/__pycache__/handler.cpython-313.pyc",
        f"{package}/handler.py",
        "lambda_function.py",
    ]


@pytest.mark.parametrize(
    ("case", "missing_module"),
    [
        ("without-shared-layer", "calculator.shared"),
        ("without-requirements-layer", "aws_lambda_powertools"),
    ],
    ids=["without-shared-layer", "without-requirements-layer"],
)
def test_a_missing_layer_makes_the_handler_unimportable(
    fresh_runs: dict[tuple[str, str], Future[Run]], case: str, missing_module: str
) -> None:
    (result,) = fresh_runs["without", case].result().results
    assert result.error is not None
    assert result.error["errorType"] == "Runtime.ImportModuleError"
    assert missing_module in result.error["errorMessage"]


def emf_of(run: Run) -> tuple[list[int], list[dict[str, Any]]]:
    """The statuses of a run's answers, in order, and every EMF document its container
    printed, each checked against the EMF specification."""
    statuses = [answer(result)["statusCode"] for result in run.results]
    documents = emf.documents(run.logs)
    assert {i: emf.problems(d) for i, d in enumerate(documents) if emf.problems(d)} == {}
    return statuses, documents


def with_metric(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in documents if name in emf.metric_values(d)]


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_the_packaged_zip_prints_valid_emf_counting_each_request_and_one_cold_start(
    fresh_runs: dict[tuple[str, str], Future[Run]], function: service_spec.Function
) -> None:
    # Three invocations of one fresh container: its event twice, then a method its route does
    # not take (a 405: a bad request prints metrics too).
    statuses, documents = emf_of(fresh_runs["metrics", function.name].result())
    assert statuses == [200, 200, 405]
    (cold,) = with_metric(documents, "ColdStart")
    requests = with_metric(documents, "Requests")
    (route,) = function.routes
    assert [
        (emf.dimensions(d)["route"], emf.dimensions(d)["outcome"], emf.metric_values(d))
        for d in requests
    ] == [
        (str(route), "2xx", {"Requests": 1}),
        (str(route), "2xx", {"Requests": 1}),
        ("unmatched", "4xx", {"Requests": 1, "ClientErrors": 1}),
    ]
    # Namespace, service and function name as the template's environment sets them.
    wanted = service_spec.function_environment(service_spec.placeholder_tables("-"), function.name)
    for document in (cold, *requests):
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == wanted["POWERTOOLS_METRICS_NAMESPACE"]
        assert emf.dimensions(document)["service"] == wanted["POWERTOOLS_SERVICE_NAME"]
        assert emf.dimensions(document)["function_name"] == function.name


@pytest.mark.parametrize(
    "function", [f for f in FUNCTIONS if f.table_actions], ids=lambda f: f.name
)
def test_a_store_that_refuses_connections_is_a_metric_of_its_own(
    fresh_runs: dict[tuple[str, str], Future[Run]], function: service_spec.Function
) -> None:
    # A fresh container whose store endpoint refuses connections, invoked once with its event
    # and an Idempotency-Key.
    statuses, documents = emf_of(fresh_runs["refused", function.name].result())
    assert statuses == [503]
    (failed,) = with_metric(documents, "Requests")
    assert emf.metric_values(failed) == {"Requests": 1, "StoreFailures": 1}
    assert emf.dimensions(failed)["outcome"] == "5xx"


# The idempotency checks go through the calculation function the service's tests use, and read
# history: calculator examples, like the end-to-end checks above (`examples`).
WRITES = "add"


def keyed(subject: str, key: str, request_id: str, body: str | None = None) -> dict[str, Any]:
    """WRITES' event as `subject` with `Idempotency-Key: key`, as the request `request_id`."""
    event = load_event(WRITES) if body is None else load_event(WRITES, body=body)
    return with_key(as_caller(event, subject), key, request_id)


def recorded_ids(history: Container, subject: str) -> list[str]:
    listed = answer(history.invoke(as_caller(load_event("history"), subject)))
    return [item["id"] for item in json.loads(listed["body"])["items"]]


@pytest.fixture
def faults(recorder: FaultProxy) -> Iterator[FaultProxy]:
    """The recorder, to fault transactions in one test: back to passing everything after."""
    recorder.operation = "TransactWriteItems"
    try:
        yield recorder
    finally:
        if recorder.hold is not None:
            recorder.hold.set()
        recorder.operation, recorder.drop, recorder.hold = "PutItem", 0, None
        recorder.arrived.clear()


@examples
def test_a_repeat_with_the_same_key_gets_the_first_answer_and_history_one_record(
    containers: dict[str, Container],
) -> None:
    writes, history = containers[WRITES], containers["history"]
    first = answer(writes.invoke(keyed("idem-alice", "key-1", "alice-1")))
    again = answer(writes.invoke(keyed("idem-alice", "key-1", "alice-2")))
    assert first["statusCode"] == 200
    assert again == first
    assert recorded_ids(history, "idem-alice") == ["alice-1"]

    other_body = answer(writes.invoke(keyed("idem-alice", "key-1", "alice-3", '{"a": 1, "b": 1}')))
    assert other_body["statusCode"] == 422
    assert json.loads(other_body["body"])["errors"][0]["field"] == "Idempotency-Key"

    # Another caller's same key is theirs alone.
    bob = answer(writes.invoke(keyed("idem-bob", "key-1", "bob-1")))
    assert (bob["statusCode"], json.loads(bob["body"])["id"]) == (200, "bob-1")
    assert recorded_ids(history, "idem-bob") == ["bob-1"]
    assert recorded_ids(history, "idem-alice") == ["alice-1"]


@examples
def test_a_repeat_while_the_first_is_in_flight_is_a_409_and_one_record(
    tmp_path: Path,
    containers: dict[str, Container],
    aws_env: dict[str, str],
    tables: dict[str, str],
    opt: Path,
    faults: FaultProxy,
) -> None:
    # The first request's write waits in the proxy while a second container gets the repeat.
    faults.hold = threading.Event()
    layers = [SHARED_LAYER, REQUIREMENTS_LAYER]
    second = container(tmp_path, WRITES, layers, aws_env, tables, opt)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(containers[WRITES].invoke, keyed("idem-carol", "key-2", "carol-1"))
        assert faults.arrived.wait(300), "the first request's write never reached the store"
        try:
            repeat = answer(second.invoke(keyed("idem-carol", "key-2", "carol-2")))
        finally:
            faults.hold.set()
            second.stop()
        assert answer(first.result())["statusCode"] == 200
    assert repeat["statusCode"] == 409
    assert repeat["headers"]["Retry-After"] == "1"
    assert json.loads(repeat["body"])["errors"][0]["field"] == "Idempotency-Key"
    assert recorded_ids(containers["history"], "idem-carol") == ["carol-1"]


@examples
def test_a_lost_answer_is_recovered_by_retrying_with_the_same_key(
    containers: dict[str, Container], faults: FaultProxy
) -> None:
    # The write lands; its answer, and those of the function's own retries, never arrive.
    faults.drop = 3
    lost = answer(containers[WRITES].invoke(keyed("idem-dave", "key-3", "dave-1")))
    assert lost["statusCode"] == 503
    assert faults.dropped == 3
    retried = answer(containers[WRITES].invoke(keyed("idem-dave", "key-3", "dave-2")))
    assert retried["statusCode"] == 200
    assert json.loads(retried["body"])["id"] == "dave-1"
    assert recorded_ids(containers["history"], "idem-dave") == ["dave-1"]

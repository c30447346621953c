"""The rehearsal's check of alarms, dashboard and tracing, on the translated template: it passes
on ours and names each way a template can leave something unwatched."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.rehearsal import observability
from lambda_devkit.rehearsal.deploy import Target, to_cloudformation, with_uris

TARGET = Target(endpoint="unused")


def translated(template: dict[str, Any], **overrides: str) -> tuple[dict[str, Any], dict[str, str]]:
    target = Target(endpoint="unused", overrides=overrides)
    uploaded = with_uris(
        template, {a.resource: f"s3://bucket/{a.resource}" for a in sam.artifacts(template)}
    )
    values = sam.parameter_values(template, target.parameters)
    return to_cloudformation(uploaded, target), values


@pytest.fixture(scope="module")
def deployed() -> tuple[dict[str, Any], dict[str, str]]:
    return translated(sam.load())


def test_every_function_the_api_and_the_table_are_watched(
    deployed: tuple[dict[str, Any], dict[str, str]],
) -> None:
    report, problems = observability.check(*deployed)
    assert problems == []
    for function in service_spec.functions():
        for kind in ("errors", "throttles", "duration"):
            assert any(
                line.startswith(f"calculator-rehearsal-{function.name}-{kind}: ")
                and line.endswith("-> topic AlarmTopic")
                for line in report
            ), report
    count = len(service_spec.functions())
    assert f"tracing Active on {count}/{count} functions" in report


def broken(
    deployed: tuple[dict[str, Any], dict[str, str]], resource: str, **properties: Any
) -> list[str]:
    template, values = copy.deepcopy(deployed)
    template["Resources"][resource]["Properties"].update(properties)
    return observability.check(template, values)[1]


def test_an_alarm_that_notifies_nobody_is_caught(
    deployed: tuple[dict[str, Any], dict[str, str]],
) -> None:
    function = service_spec.functions()[0]  # whichever the template deploys first
    alarm = function.resource.removesuffix("Function") + "ErrorsAlarm"
    assert broken(deployed, alarm, AlarmActions=[]) == [
        f"alarm calculator-rehearsal-{function.name}-errors notifies nobody"
    ]


def test_an_alarm_that_breaches_on_missing_data_is_caught(
    deployed: tuple[dict[str, Any], dict[str, str]],
) -> None:
    assert broken(deployed, "ApiLatencyAlarm", TreatMissingData="breaching") == [
        "alarm calculator-rehearsal-api-latency-p99: missing data is breaching"
    ]


def test_a_function_without_one_of_its_alarms_is_caught(
    deployed: tuple[dict[str, Any], dict[str, str]],
) -> None:
    template, values = copy.deepcopy(deployed)
    resource = service_spec.functions()[-1].resource  # whichever the template deploys last
    del template["Resources"][resource.removesuffix("Function") + "ThrottlesAlarm"]
    assert observability.check(template, values)[1] == [
        f"{resource}: no alarm on AWS/Lambda Throttles"
    ]


def test_an_untraced_function_is_caught(deployed: tuple[dict[str, Any], dict[str, str]]) -> None:
    resource = service_spec.functions()[-1].resource  # whichever the template deploys last
    assert broken(deployed, resource, TracingConfig={"Mode": "PassThrough"}) == [
        f"{resource}: tracing is PassThrough, not Active"
    ]


def test_a_dashboard_that_misses_cold_starts_is_caught(
    deployed: tuple[dict[str, Any], dict[str, str]],
) -> None:
    template, _ = deployed
    body = json.dumps(template["Resources"]["Dashboard"]["Properties"]["DashboardBody"])
    without = json.loads(body.replace("ColdStart", "Invocations"))
    assert broken(deployed, "Dashboard", DashboardBody=without) == [
        "dashboard Dashboard: no search for ColdStart per function"
    ]


def test_an_existing_topic_replaces_the_stacks_own() -> None:
    arn = "arn:aws:sns:us-east-1:123456789012:on-call"
    template, values = translated(sam.load(), AlarmTopicArn=arn)
    report, problems = observability.check(template, values)
    assert problems == []
    assert all(line.endswith(f"-> {arn}") for line in report if line.startswith("calculator-"))


def test_the_table_system_errors_alarm_covers_every_operation_a_function_is_granted() -> None:
    # SystemErrors is published per (table, operation): an operation a function gains must be
    # added to the alarm's sum, or its failures go unwatched.
    template = sam.load()
    metrics = template["Resources"]["TableSystemErrorsAlarm"]["Properties"]["Metrics"]
    watched = {
        dimension["Value"]
        for query in metrics
        if "MetricStat" in query
        for dimension in query["MetricStat"]["Metric"]["Dimensions"]
        if dimension["Name"] == "Operation"
    }
    granted = {
        a.removeprefix("dynamodb:") for f in service_spec.functions() for a in f.table_actions
    }
    assert granted - watched == set()


def test_every_function_names_itself_in_its_metrics() -> None:
    for function in service_spec.functions():
        environment = service_spec.function_environment(
            service_spec.placeholder_tables("t"), function.name
        )
        assert environment["POWERTOOLS_METRICS_FUNCTION_NAME"] == function.name
        assert environment["POWERTOOLS_METRICS_NAMESPACE"] == "calculator-dev"

"""What the deployed stack watches: its alarms, their notifications, the dashboard and tracing.

Checked on the deployed (translated) template, as the guards are: every function has its
Errors, Throttles and Duration alarms, the HTTP API its 5xx and p99 latency alarms, the table
its throttle and system-error alarms; every alarm notifies the alarm topic and does not breach
on missing data; the dashboard's widgets search this stage's metrics; every function is traced
as the Tracing parameter says. A function the template gains is checked with no edit here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambda_devkit.template import resolve

ALARM = "AWS::CloudWatch::Alarm"
DASHBOARD = "AWS::CloudWatch::Dashboard"
_FUNCTION = "AWS::Lambda::Function"
_HTTP_API = "AWS::ApiGatewayV2::Api"
_TABLE = "AWS::DynamoDB::Table"

# What each kind of resource must be alarmed on: (namespace, metric) pairs, by the dimension
# that names the resource.
FUNCTION_ALARMS = {
    ("AWS/Lambda", "Errors"),
    ("AWS/Lambda", "Throttles"),
    ("AWS/Lambda", "Duration"),
}
API_ALARMS = {("AWS/ApiGateway", "5xx"), ("AWS/ApiGateway", "Latency")}
TABLE_ALARMS = {
    ("AWS/DynamoDB", "ReadThrottleEvents"),
    ("AWS/DynamoDB", "WriteThrottleEvents"),
    ("AWS/DynamoDB", "SystemErrors"),
}
# The dashboard answers these, per function: the metric each widget must search for.
DASHBOARD_METRICS = ("Requests", "Errors", "Duration", "ColdStart")


@dataclass(frozen=True)
class Alarm:
    """One alarm as deployed: what it watches, its rule, and whom it notifies."""

    logical_id: str
    name: str
    watched: frozenset[tuple[str, str, str]]  # (namespace, metric, logical id of the resource)
    rule: str  # e.g. "Errors Sum > 0 for 1 x 60 s"
    actions: tuple[Any, ...]
    missing_data: str


def _sub(value: Any, values: Mapping[str, str]) -> str:
    """A `Fn::Sub` of parameters only (alarm and dashboard names) as deployed."""
    text = value.get("Fn::Sub", value) if isinstance(value, dict) else value
    if not isinstance(text, str):
        return json.dumps(value)
    return re.sub(r"\$\{([A-Za-z0-9:]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


def _watched(metric: Mapping[str, Any]) -> set[tuple[str, str, str]]:
    dimensions = metric.get("Dimensions", [])
    refs = [d["Value"]["Ref"] for d in dimensions if isinstance(d.get("Value"), dict)]
    return {(str(metric.get("Namespace")), str(metric.get("MetricName")), str(r)) for r in refs}


def _alarm(
    logical: str, spec: Mapping[str, Any], deployed: Mapping[str, Any], values: Mapping[str, str]
) -> Alarm:
    watched = _watched(spec)
    stats = [q["MetricStat"] for q in spec.get("Metrics", []) if "MetricStat" in q]
    for stat in stats:
        watched |= _watched(stat["Metric"])

    def value(key: str) -> Any:
        return resolve(deployed, spec.get(key), values)

    statistic = value("Statistic") or value("ExtendedStatistic") or "expression"
    metric = spec.get("MetricName") or next(
        (str(q.get("Label")) for q in spec.get("Metrics", []) if q.get("ReturnData")), "?"
    )
    period = value("Period") or (resolve(deployed, stats[0]["Period"], values) if stats else "?")
    return Alarm(
        logical,
        _sub(spec.get("AlarmName", logical), values),
        frozenset(watched),
        f"{metric} {statistic} > {value('Threshold')} "
        f"for {value('EvaluationPeriods')} x {period} s",
        tuple(resolve(deployed, a, values) for a in spec.get("AlarmActions", [])),
        str(spec.get("TreatMissingData", "missing")),
    )


def alarms(deployed: Mapping[str, Any], values: Mapping[str, str]) -> list[Alarm]:
    """Every alarm of the deployed template, by name."""
    found = [
        _alarm(logical, resource["Properties"], deployed, values)
        for logical, resource in deployed["Resources"].items()
        if resource["Type"] == ALARM
    ]
    return sorted(found, key=lambda a: a.name)


def _of_type(deployed: Mapping[str, Any], kind: str) -> list[str]:
    return sorted(k for k, r in deployed["Resources"].items() if r["Type"] == kind)


def check(deployed: Mapping[str, Any], values: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The alarm summary (one line per alarm, then the dashboard and tracing); and problems."""
    report: list[str] = []
    problems: list[str] = []
    found = alarms(deployed, values)
    watched = {w for alarm in found for w in alarm.watched}
    wanted = [(f, FUNCTION_ALARMS) for f in _of_type(deployed, _FUNCTION)]
    wanted += [(api, API_ALARMS) for api in _of_type(deployed, _HTTP_API)]
    wanted += [(table, TABLE_ALARMS) for table in _of_type(deployed, _TABLE)]
    for resource, metrics in wanted:
        for namespace, metric in sorted(metrics):
            if (namespace, metric, resource) not in watched:
                problems.append(f"{resource}: no alarm on {namespace} {metric}")
    for alarm in found:
        target = alarm.actions[0] if alarm.actions else "nobody"
        report.append(f"{alarm.name}: {alarm.rule} -> {_topic(target)}")
        if not alarm.actions or any(a in (None, "") for a in alarm.actions):
            problems.append(f"alarm {alarm.name} notifies nobody")
        if alarm.missing_data != "notBreaching":
            problems.append(f"alarm {alarm.name}: missing data is {alarm.missing_data}")
    report.append(_dashboard(deployed, values, problems))
    tracing = {
        f: resolve(deployed, r["Properties"].get("TracingConfig", {}).get("Mode"), values)
        for f, r in deployed["Resources"].items()
        if r["Type"] == _FUNCTION
    }
    untraced = sorted(f for f, mode in tracing.items() if mode != values["Tracing"])
    problems += [f"{f}: tracing is {tracing[f]}, not {values['Tracing']}" for f in untraced]
    report.append(
        f"tracing {values['Tracing']} on {len(tracing) - len(untraced)}/{len(tracing)} functions"
    )
    return report, problems


def _topic(action: Any) -> str:
    if isinstance(action, dict) and "Ref" in action:
        return f"topic {action['Ref']}"
    return str(action)


def _dashboard(deployed: Mapping[str, Any], values: Mapping[str, str], problems: list[str]) -> str:
    dashboards = _of_type(deployed, DASHBOARD)
    if len(dashboards) != 1:
        problems.append(f"{len(dashboards)} dashboards, expected 1")
        return "no dashboard"
    spec = deployed["Resources"][dashboards[0]]["Properties"]
    body = _sub(spec["DashboardBody"], {**values, "AWS::Region": "us-east-1"})
    try:
        widgets = json.loads(body)["widgets"]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        problems.append(f"dashboard {dashboards[0]}: its body is not dashboard JSON ({error})")
        return "dashboard unreadable"
    expressions = [
        str(metric.get("expression", ""))
        for widget in widgets
        for row in widget.get("properties", {}).get("metrics", [])
        for metric in row
        if isinstance(metric, dict)
    ]
    for name in DASHBOARD_METRICS:
        if not any(f'"{name}"' in e and e.startswith("SEARCH(") for e in expressions):
            problems.append(f"dashboard {dashboards[0]}: no search for {name} per function")
    titles = ", ".join(str(w.get("properties", {}).get("title")) for w in widgets)
    return f"dashboard {_sub(spec.get('DashboardName'), values)}: {titles}"

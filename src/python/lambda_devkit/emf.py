"""CloudWatch embedded metric format (EMF) as a function prints it: find, check, summarise.

The checks are the specification's (docs: "Specification: Embedded metric format"): a root
`_aws` object with an integer `Timestamp` (milliseconds since the epoch) and
`CloudWatchMetrics` directives, each with a namespace, dimension sets whose keys are members
of the root, and at most 100 metrics, each a number or a list of numbers at the root.
CloudWatch silently drops a document that breaks them, so a test must catch it first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

MAX_METRICS_PER_DIRECTIVE = 100
MAX_DIMENSIONS_PER_SET = 30
MAX_VALUES_PER_METRIC = 100


def documents(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The EMF documents among a function's output lines (JSON objects with an `_aws` key)."""
    found = []
    for line in lines:
        text = line.strip()
        if not (text.startswith("{") and '"_aws"' in text):
            continue
        try:
            document = json.loads(text)
        except json.JSONDecodeError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            found.append(document)
    return found


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def problems(document: Mapping[str, Any]) -> list[str]:
    """How `document` breaks the EMF specification; empty if it is valid."""
    found: list[str] = []
    metadata = document.get("_aws")
    if not isinstance(metadata, dict):
        return ["_aws is not an object"]
    timestamp = metadata.get("Timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool):
        found.append(f"_aws.Timestamp is {timestamp!r}, not an integer")
    directives = metadata.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*found, "_aws.CloudWatchMetrics is not a non-empty list"]
    for i, directive in enumerate(directives):
        where = f"directive {i}"
        if not isinstance(directive, dict):
            found.append(f"{where} is not an object")
            continue
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not namespace or len(namespace) > 1024:
            found.append(f"{where}: Namespace is {namespace!r}")
        dimension_sets = directive.get("Dimensions")
        if not isinstance(dimension_sets, list):
            found.append(f"{where}: Dimensions is not a list of dimension sets")
            dimension_sets = []
        for dimension_set in dimension_sets:
            if not isinstance(dimension_set, list) or len(dimension_set) > MAX_DIMENSIONS_PER_SET:
                found.append(f"{where}: dimension set {dimension_set!r} is not a list of ≤30 keys")
                continue
            for key in dimension_set:
                if not isinstance(document.get(key), str):
                    found.append(f"{where}: dimension {key!r} has no string value at the root")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list):
            found.append(f"{where}: Metrics is not a list")
            continue
        if len(metrics) > MAX_METRICS_PER_DIRECTIVE:
            found.append(f"{where}: {len(metrics)} metrics, more than 100")
        for metric in metrics:
            name = metric.get("Name") if isinstance(metric, dict) else None
            if not isinstance(name, str):
                found.append(f"{where}: metric {metric!r} has no Name")
                continue
            value = document.get(name)
            values = value if isinstance(value, list) else [value]
            if (
                not values
                or len(values) > MAX_VALUES_PER_METRIC
                or not all(_is_number(v) for v in values)
            ):
                found.append(f"{where}: metric {name!r} is {value!r} at the root, not numbers")
    return found


def metric_values(document: Mapping[str, Any]) -> dict[str, float]:
    """Each metric the document declares, with the sum of its values (a metric's value at the
    root is a number or a list of numbers; Powertools writes lists)."""
    totals: dict[str, float] = {}
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for metric in directive["Metrics"]:
            value: Any = document.get(metric["Name"])
            totals[metric["Name"]] = float(sum(value) if isinstance(value, list) else value)
    return totals


def dimensions(document: Mapping[str, Any]) -> dict[str, str]:
    """Every dimension the document's directives name, with its value."""
    keys = {
        key
        for directive in document["_aws"]["CloudWatchMetrics"]
        for dimension_set in directive["Dimensions"]
        for key in dimension_set
    }
    return {key: str(document.get(key)) for key in sorted(keys)}


def without_documents(lines: Iterable[str]) -> tuple[list[str], str | None]:
    """The lines that are not EMF, and one readable line for all the EMF among them (an
    invocation's: its request's metrics and, on a cold start, ColdStart), or None if none."""
    kept, found = [], []
    for line in lines:
        parsed = documents([line])
        if parsed:
            found += parsed
        else:
            kept.append(line)
    if not found:
        return kept, None
    invalid = [p for d in found for p in problems(d)]
    if invalid:
        return kept, f"METRICS invalid EMF: {'; '.join(invalid)}"
    namespaces = sorted({d["Namespace"] for doc in found for d in doc["_aws"]["CloudWatchMetrics"]})
    labels: dict[str, str] = {}
    totals: dict[str, float] = {}
    for document in found:
        labels.update(dimensions(document))
        for name, value in metric_values(document).items():
            totals[name] = totals.get(name, 0) + value
    shown = " ".join(
        f"{k}={json.dumps(v) if ' ' in v else v}" for k, v in labels.items() if k != "service"
    )
    values = " ".join(f"{name}={value:g}" for name, value in sorted(totals.items()))
    return kept, f"METRICS {','.join(namespaces)} {shown} | {values}"

"""Every function's CloudWatch metrics, in embedded metric format (EMF) through Powertools.

The router (lambda_http.router) records one request per invocation here, so a function
served by a `Router` has its metrics without a line of metrics code. Powertools' package init
imports its Metrics module whatever we use of it: emitting costs a `print` per invocation,
not an import (docs/observability.md).

What is emitted per invocation, as one EMF document (namespace POWERTOOLS_METRICS_NAMESPACE):

- `Requests`: 1, by (service, function_name) and by (function_name, route, outcome);
- `ClientErrors`: 1 when the answer is a 4xx;
- `StoreFailures`: 1 when a dependency could not be reached (lambda_http.errors.Unavailable,
  the 503);
- `ServerErrors`: 1 when an unexpected error became a 500 (Lambda's own Errors never sees it);
- `ColdStart`: 1, in a document of its own, on an execution environment's first invocation.

Dimensions stay low-cardinality: `route` is a declared route (`POST /path`) or `unmatched`, and
`outcome` a status class (`2xx`, `4xx`, `5xx`); never a caller, a path or a request id.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any, cast

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

# Set per function by the template, so the dimension is the function's name in the service
# ("add"), the same in every stage and across versions; Lambda's own name is the fallback.
FUNCTION_NAME_ENV = "POWERTOOLS_METRICS_FUNCTION_NAME"
UNMATCHED_ROUTE = "unmatched"

REQUESTS = "Requests"
CLIENT_ERRORS = "ClientErrors"
STORE_FAILURES = "StoreFailures"
SERVER_ERRORS = "ServerErrors"
COLD_START = "ColdStart"

Handler = Callable[[Mapping[str, Any], LambdaContext], dict[str, Any]]


def function_name() -> str:
    return os.environ.get(FUNCTION_NAME_ENV) or os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "local")


NAMESPACE_ENV = "POWERTOOLS_METRICS_NAMESPACE"
# Without a namespace Powertools refuses to flush, and the request would fail over a metric:
# the template always sets one; unit tests and hand-made environments get the service's name
# (POWERTOOLS_SERVICE_NAME), or this.
SERVICE_NAME_ENV = "POWERTOOLS_SERVICE_NAME"
DEFAULT_NAMESPACE = "local"

metrics = Metrics(
    namespace=None
    if os.environ.get(NAMESPACE_ENV)
    else os.environ.get(SERVICE_NAME_ENV) or DEFAULT_NAMESPACE,
    function_name=function_name(),
)
metrics.set_default_dimensions(function_name=function_name())


def outcome(status: HTTPStatus) -> str:
    """The status class, `2xx` to `5xx`: the only part of a status a dimension carries."""
    return f"{status.value // 100}xx"


def record(route: str, status: HTTPStatus, *, store_failed: bool = False) -> None:
    """Counts one request answered with `status` on `route` (a declared route or unmatched)."""
    metrics.add_dimensions(route=route, outcome=outcome(status))
    metrics.add_metric(name=REQUESTS, unit=MetricUnit.Count, value=1)
    if 400 <= status.value < 500:
        metrics.add_metric(name=CLIENT_ERRORS, unit=MetricUnit.Count, value=1)
    if store_failed:
        metrics.add_metric(name=STORE_FAILURES, unit=MetricUnit.Count, value=1)
    elif status.value >= 500:
        metrics.add_metric(name=SERVER_ERRORS, unit=MetricUnit.Count, value=1)


def measured(handler: Handler) -> Handler:
    """`handler`, flushing what it recorded as EMF after each call, and ColdStart once."""
    return cast(Handler, metrics.log_metrics(handler, capture_cold_start_metric=True))

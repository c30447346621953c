"""The one loader for API Gateway event fixtures (tests/events/*.json)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from lambda_devkit.service_spec import EVENTS_DIR, functions
from lambda_http.identity import caller_of

EventFactory = Callable[..., dict[str, Any]]


def load_event(name: str, **overrides: Any) -> dict[str, Any]:
    """`load_event("add", body='{"a": 1}')`: events/add.json with top-level fields replaced."""
    event: dict[str, Any] = json.loads((EVENTS_DIR / f"{name}.json").read_text())
    event.update(overrides)
    return event


def as_caller(event: dict[str, Any], subject: str, issuer: str | None = None) -> dict[str, Any]:
    """`event` as the JWT authorizer would pass it for another caller (`sub`, and `iss`)."""
    claims = dict(event["requestContext"]["authorizer"]["jwt"]["claims"])
    claims["sub"] = subject
    if issuer is not None:
        claims["iss"] = issuer
    authorizer = {"jwt": {**event["requestContext"]["authorizer"]["jwt"], "claims": claims}}
    return {**event, "requestContext": {**event["requestContext"], "authorizer": authorizer}}


def without_caller(event: dict[str, Any]) -> dict[str, Any]:
    """`event` as a route without the authorizer, or a direct invoke, would deliver it."""
    context = {k: v for k, v in event["requestContext"].items() if k != "authorizer"}
    return {**event, "requestContext": context}


def with_key(event: dict[str, Any], key: str, request_id: str) -> dict[str, Any]:
    """`event` sent with `Idempotency-Key: key`, as the request `request_id`: what API Gateway
    delivers for each attempt of a client that retries with the same key (a request id each)."""
    headers = {**(event.get("headers") or {}), "idempotency-key": key}
    context = {**event["requestContext"], "requestId": request_id}
    return {**event, "headers": headers, "requestContext": context}


def request_event(method: str, path: str, body: str | None = None) -> dict[str, Any]:
    """An event for `method path` with `body`, from the template's first function's fixture:
    what the plumbing's tests send to routes of their own, naming no function of the service
    (so that removing one never touches them)."""
    event = load_event(functions()[0].name, rawPath=path, body=body, isBase64Encoded=False)
    event["requestContext"] = {
        **event["requestContext"],
        "http": {**event["requestContext"]["http"], "method": method, "path": path},
        "routeKey": f"{method} {path}",
    }
    event["routeKey"] = f"{method} {path}"
    event["headers"] = {**(event.get("headers") or {}), "content-type": "application/json"}
    return event


# The caller every fixture carries (a Cognito access token's claims), whichever functions exist.
CALLER = caller_of(load_event(functions()[0].name))

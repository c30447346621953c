"""API Gateway HTTP API (payload format 2.0) in front of Lambda: requests to events, results
to responses, with the answers API Gateway gives itself: `500 {"message":"Internal Server
Error"}` when the function fails (an error, a timeout, a response it cannot use) and `503
{"message":"Service Unavailable"}` when Lambda throttles it."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from lambda_devkit.emulator.container import Result

# Content types API Gateway passes as text; anything else arrives base64-encoded.
TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
)


def to_event(
    route_key: str,
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Mapping[str, str],
    body: bytes,
    source_ip: str = "127.0.0.1",
    authorizer: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The payload 2.0 event for a request; `authorizer` is `requestContext.authorizer`, as an
    authorizer that allowed the request fills it (see jwt_authorizer)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    content_type = lowered.get("content-type", "").strip().lower()
    is_text = not body or any(content_type.startswith(t) for t in TEXT_TYPES)
    text = ""
    if is_text:
        try:
            text = body.decode()
        except UnicodeDecodeError:
            is_text = False  # what is not UTF-8 cannot travel as a JSON string: base64
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        # HTTP APIs join repeated parameters with commas.
        query[name] = f"{query[name]},{value}" if name in query else value
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": raw_path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": base64.b64encode(uuid.uuid4().bytes[:10]).decode(),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if authorizer is not None:
        event["requestContext"]["authorizer"] = dict(authorizer)
    if query:
        event["queryStringParameters"] = query
    if body:
        event["body"] = text if is_text else base64.b64encode(body).decode()
    return event


def claim_text(value: Any) -> str | None:
    """A JWT claim as API Gateway hands it to the function: a string (None: left out).

    Numbers and booleans keep their JSON text, arrays become `[a b]` (space-separated, as
    measured on HTTP APIs for e.g. `cognito:groups`), objects their JSON text; null claims are
    left out.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + " ".join(t for v in value if (t := claim_text(v)) is not None) + "]"
    return json.dumps(value, separators=(",", ":"))


def jwt_authorizer(claims: Mapping[str, Any], scopes: list[str] | None = None) -> dict[str, Any]:
    """`requestContext.authorizer` after an HTTP API JWT authorizer allowed the request.

    `scopes` is null unless the route requires authorization scopes.
    """
    texts = {name: claim_text(value) for name, value in claims.items()}
    return {
        "jwt": {
            "claims": {name: text for name, text in texts.items() if text is not None},
            "scopes": scopes,
        }
    }


def message(status: int, text: str) -> tuple[int, dict[str, str], bytes]:
    """An answer of API Gateway's own: `{"message": ...}` in JSON."""
    body = json.dumps({"message": text}, separators=(",", ":")).encode()  # byte for byte
    return status, {"content-type": "application/json"}, body


INTERNAL_SERVER_ERROR = message(500, "Internal Server Error")
SERVICE_UNAVAILABLE = message(503, "Service Unavailable")


def to_response(result: Result) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) as API Gateway would answer the client."""
    if result.throttled:
        return SERVICE_UNAVAILABLE
    if result.error is not None:  # an unhandled error, a timeout, a runtime that exited
        return INTERNAL_SERVER_ERROR
    payload = result.payload
    if not (isinstance(payload, dict) and "statusCode" in payload):
        # Payload 2.0 lets a function return any JSON value: it becomes a 200 JSON body.
        return 200, {"content-type": "application/json"}, json.dumps(payload).encode()
    try:
        status = int(payload["statusCode"])
        headers = {str(k).lower(): str(v) for k, v in (payload.get("headers") or {}).items()}
        body = payload.get("body") or ""
        data = base64.b64decode(body) if payload.get("isBase64Encoded") else str(body).encode()
    except (TypeError, ValueError):
        return INTERNAL_SERVER_ERROR  # a response API Gateway cannot use
    if payload.get("cookies"):
        headers["set-cookie"] = ", ".join(payload["cookies"])
    return status, headers, data

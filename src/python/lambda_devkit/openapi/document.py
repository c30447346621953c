"""The OpenAPI 3.1 document of a service: its declared API plus the template's gateway.

Nothing here is about one service. The title, version, routes, the models they read, the types
of their 200 bodies and the statuses the router itself answers come from the service's API
declaration (lambda_http.declaration.Api: a module that imports models and the plumbing, never
the logic). What API Gateway answers before a function runs comes from the template: its JWT
authorizer (401, and the security requirement), its route throttling (429), its payload limit
(413 on a route with a body) and an integration failure (500); and which function serves each
route (the operation's tag). The routes the API declares must be those the template routes,
both ways.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from http import HTTPStatus
from typing import Any, Protocol

from lambda_devkit import service_spec
from lambda_devkit.local.gateway import authorizer_config, route_throttling
from lambda_devkit.openapi.schema import Mode, json_schemas

OPENAPI_VERSION = "3.1.0"
JSON = "application/json"
SECURITY_SCHEME = "jwt"
# Why API Gateway itself answers each status, before or after the function.
GATEWAY_ANSWERS = {
    HTTPStatus.UNAUTHORIZED: "API Gateway's JWT authorizer found no valid token",
    HTTPStatus.TOO_MANY_REQUESTS: "API Gateway's route throttling refused the request",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "API Gateway refused a payload over 10 MB",
    HTTPStatus.INTERNAL_SERVER_ERROR: "API Gateway got no answer from the function",
}
# What the function means by each status its router answers.
FUNCTION_ANSWERS = {
    HTTPStatus.BAD_REQUEST: "The request is invalid: `errors` names each field and its problem",
    HTTPStatus.UNAUTHORIZED: "The function found no verified caller",
    HTTPStatus.CONFLICT: "A request with this `Idempotency-Key` is in progress: retry after "
    "`Retry-After` s",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is larger than the function accepts",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not JSON (Content-Type, charset or encoding)",
    HTTPStatus.UNPROCESSABLE_ENTITY: "This `Idempotency-Key` was sent with another request",
    HTTPStatus.INTERNAL_SERVER_ERROR: "The function failed unexpectedly: quote `requestId`",
    HTTPStatus.SERVICE_UNAVAILABLE: "A dependency is unavailable: retry after `Retry-After` s",
}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class Header(Protocol):
    """A request header a route reads (lambda_http.declaration.Header)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def schema(self) -> Mapping[str, object]: ...


class Declared(Protocol):
    """One route as the API declares it (lambda_http.declaration.Route)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def operation_id(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def body(self) -> type | None: ...
    @property
    def query(self) -> type | None: ...
    @property
    def response(self) -> object: ...

    def answers(self) -> Mapping[HTTPStatus, tuple[str, ...]]: ...
    def headers(self) -> Sequence[Header]: ...


class DeclaredApi(Protocol):
    """A service's API as declared (lambda_http.declaration.Api)."""

    @property
    def title(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def error_body(self) -> type: ...
    @property
    def routes(self) -> Sequence[Declared]: ...


class ContractError(Exception):
    """The document cannot be built faithfully: it says what to change."""


def _served_by(template: dict[str, Any], api: DeclaredApi) -> dict[service_spec.Route, str]:
    """The function the template routes each declared route to; ContractError naming every
    route that one of the two has and the other has not."""
    deployed = {r: f.name for f in service_spec.functions(template) for r in f.routes}
    declared = {service_spec.Route(d.method, d.path) for d in api.routes}
    problems = [
        *(
            f"the template routes {r} to {deployed[r]}, which the API does not declare"
            for r in sorted(deployed.keys() - declared)
        ),
        *(
            f"the API declares {r}, which the template does not route"
            for r in sorted(declared - deployed.keys())
        ),
    ]
    if problems:
        raise ContractError("; ".join(problems))
    return deployed


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional query parameter's schema: absent is how it is left out, never `null`."""
    options = schema.get("anyOf")
    if not options:
        return schema
    kept = [o for o in options if o != {"type": "null"}]
    rest = {k: v for k, v in schema.items() if k != "anyOf" and (k, v) != ("default", None)}
    return {**(kept[0] if len(kept) == 1 else {"anyOf": kept}), **rest}


def _parameters(schema: dict[str, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    ref = schema.get("$ref", "")
    model = components[ref.rsplit("/", 1)[-1]] if ref else schema
    required = set(model.get("required", []))
    parameters = []
    for name, property_schema in model.get("properties", {}).items():
        value = _without_null({k: v for k, v in property_schema.items() if k != "title"})
        description = value.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if description:
            parameter["description"] = description
        parameter["schema"] = value
        parameters.append(parameter)
    return parameters


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"].rsplit("/", 1)[-1]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def _drop_unused(components: dict[str, Any], paths: dict[str, Any]) -> None:
    """Keeps the schemas the paths use, directly or not (a query model is inlined as
    parameters, so its own schema is left unused)."""
    used: set[str] = set()
    pending = list(_refs(paths))
    while pending:
        name = pending.pop()
        if name not in used and name in components:
            used.add(name)
            pending += _refs(components[name])
    for name in set(components) - used:
        del components[name]


def _response(description: str, schema: dict[str, Any], headers: Sequence[str]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {JSON: {"schema": schema}}}
    if headers:
        response["headers"] = {
            name: {"required": True, "schema": {"type": "integer", "minimum": 0}}
            if name == "Retry-After"
            else {"required": True, "schema": {"type": "string"}}
            for name in headers
        }
    return response


def build(api: DeclaredApi, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The document, as a JSON-ready dict whose key order is stable."""
    template = template or service_spec._template()
    served_by = _served_by(template, api)
    authorizer = authorizer_config(template)
    throttled = route_throttling(template) is not None
    declarations = list(api.routes)

    # One schema pass for every type, so that a model two routes share is one component.
    types: list[tuple[object, Mode]] = [(api.error_body, "serialization")]
    for d in declarations:
        types += [(d.body, "validation"), (d.query, "validation"), (d.response, "serialization")]
    wanted = [(t, mode) for t, mode in types if t is not None]
    schemas, components = json_schemas(wanted)
    schema_of = {(id(t), mode): s for (t, mode), s in zip(wanted, schemas, strict=True)}
    error_schema = schemas[0]

    paths: dict[str, dict[str, Any]] = {}
    for d in sorted(declarations, key=lambda d: (d.path, d.method)):
        secured = authorizer is not None and (d.method, d.path) in authorizer.routes
        operation: dict[str, Any] = {
            "operationId": d.operation_id,
            "summary": d.summary,
            "tags": [served_by[service_spec.Route(d.method, d.path)]],
        }
        parameters = [
            {"name": h.name, "in": "header", "required": False, "description": h.description}
            | {"schema": dict(h.schema)}
            for h in d.headers()
        ]
        if d.query is not None:
            parameters += _parameters(schema_of[(id(d.query), "validation")], components)
        if parameters:
            operation["parameters"] = parameters
        if d.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": schema_of[(id(d.body), "validation")]}},
            }
        answers: dict[HTTPStatus, tuple[list[str], tuple[str, ...]]] = {}
        for status, headers in d.answers().items():
            answers[status] = ([FUNCTION_ANSWERS.get(status, status.phrase)], headers)
        gateway = {HTTPStatus.INTERNAL_SERVER_ERROR}
        if secured:
            gateway.add(HTTPStatus.UNAUTHORIZED)
        if throttled:
            gateway.add(HTTPStatus.TOO_MANY_REQUESTS)
        if d.method in BODY_METHODS:
            gateway.add(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        for status in gateway:
            reasons, headers = answers.get(status, ([], ()))
            answers[status] = ([GATEWAY_ANSWERS[status], *reasons], headers)
        success = schema_of.get((id(d.response), "serialization"), {})
        responses: dict[str, Any] = {"200": _response("OK", success, ())}
        for status in sorted(answers):
            reasons, headers = answers[status]
            description = f"{status.phrase}. " + ". Or: ".join(reasons) + "."
            responses[str(status.value)] = _response(description, error_schema, headers)
        operation["responses"] = responses
        if secured:
            operation["security"] = [{SECURITY_SCHEME: []}]
        paths.setdefault(d.path, {})[d.method.lower()] = operation

    _drop_unused(components, paths)
    document: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": api.title, "version": api.version},
        "paths": paths,
        "components": {"schemas": dict(sorted(components.items()))},
    }
    if api.description:
        document["info"]["description"] = api.description
    if authorizer is not None:
        document["components"]["securitySchemes"] = {
            SECURITY_SCHEME: {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A JWT from the API's issuer (OIDC), checked by API Gateway.",
            }
        }
    return document

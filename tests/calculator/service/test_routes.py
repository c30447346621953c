"""Declaration, code, fixtures and template agree on routes.

The API's declaration (calculator/shared/api.py) is the one copy of the routes in code; the
template routes the same requests, each to the function that serves it there.
"""

from __future__ import annotations

import importlib

import pytest

from calculator.shared.api import API
from lambda_devkit import service_spec
from lambda_devkit.testing.events import load_event

FUNCTIONS = service_spec.functions()


def test_the_template_routes_exactly_the_routes_the_api_declares() -> None:
    declared = sorted(f"{route.method} {route.path}" for route in API.routes)
    deployed = sorted(str(route) for function in FUNCTIONS for route in function.routes)
    assert deployed == declared, (
        "infra/template.yaml's HttpApi events and calculator/shared/api.py declare different "
        "routes: API Gateway would 404 a declared route, or the document would miss a deployed one."
    )


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_each_handler_serves_exactly_the_routes_the_template_gives_it(
    function: service_spec.Function,
) -> None:
    app = importlib.import_module(function.handler_module).app
    registered = {
        service_spec.Route(method, path)
        for path, methods in app.routes().items()
        for method in methods
    }
    assert sorted(map(str, registered)) == sorted(map(str, function.routes)), (
        f"{function.handler_module} serves routes the template ({function.resource} Events) "
        "does not send it, or the reverse: API Gateway would 404 one, or the function 404/405."
    )


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda f: f.name)
def test_each_function_has_an_event_fixture_for_one_of_its_routes(
    function: service_spec.Function,
) -> None:
    event = load_event(function.name)
    http = event["requestContext"]["http"]
    assert service_spec.Route(http["method"], http["path"]) in function.routes
    assert (
        event["routeKey"]
        == event["requestContext"]["routeKey"]
        == f"{http['method']} {http['path']}"
    )


def test_routes_are_unique_across_functions() -> None:
    routes = [str(r) for f in FUNCTIONS for r in f.routes]
    assert len(routes) == len(set(routes)), routes

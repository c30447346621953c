"""The generator in process: the API's declared routes must be the template's routes, and
building the document imports the declaration, its models and the plumbing, never the logic."""

from __future__ import annotations

import copy
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from calculator.shared.api import API
from lambda_devkit import service_spec
from lambda_devkit.openapi.document import ContractError, build
from lambda_http.declaration import Api


def template() -> dict[str, Any]:
    return copy.deepcopy(service_spec._template())


def test_every_declared_route_is_documented_under_the_function_serving_it() -> None:
    document = build(API, template())
    assert {(m.upper(), p) for p, item in document["paths"].items() for m in item} == {
        (r.method, r.path) for r in API.routes
    }
    tags = {
        (m.upper(), p): operation["tags"]
        for p, item in document["paths"].items()
        for m, operation in item.items()
    }
    assert tags == {
        (r.method, r.path): [f.name] for f in service_spec.functions() for r in f.routes
    }
    assert document["info"]["title"] == API.title


def test_title_version_and_route_names_are_the_declaration_s() -> None:
    api = Api("T", "1.0.0")
    for f in service_spec.functions():
        for r in f.routes:
            api.route(r.method, r.path, operation_id=f"op_{f.name}", summary=f"Does {f.name}.")
    document = build(api, template())
    assert document["info"] == {"title": "T", "version": "1.0.0"}
    operations = [o for item in document["paths"].values() for o in item.values()]
    assert sorted(o["operationId"] for o in operations) == sorted(
        f"op_{f.name}" for f in service_spec.functions() for _ in f.routes
    )
    assert all(o["summary"] == f"Does {o['tags'][0]}." for o in operations)


def test_a_template_route_the_api_does_not_declare_is_refused() -> None:
    changed = template()
    # Whichever function the template deploys first, and a path no function is named for (a
    # reader following the forking guide adds `create_order` at `/orders`).
    function = service_spec.functions(changed)[0]
    events = changed["Resources"][function.resource]["Properties"]["Events"]
    events["Undeclared"] = {
        "Type": "HttpApi",
        "Properties": {"Method": "POST", "Path": "/undeclared"},
    }
    refusal = f"routes POST /undeclared to {function.name}, which the API does not"
    with pytest.raises(ContractError, match=refusal):
        build(API, changed)


def test_a_declared_route_the_template_does_not_route_is_refused() -> None:
    changed = template()
    # Whichever function the template deploys last (a fork removes examples).
    function = service_spec.functions(changed)[-1]
    route = function.routes[0]
    changed["Resources"][function.resource]["Properties"]["Events"] = {}
    refusal = f"declares {route.method} {re.escape(route.path)}, which the template does not"
    with pytest.raises(ContractError, match=refusal):
        build(API, changed)


# What building the document must not import: the handlers, the logic and the store.
NEVER_IMPORTED = ("calculator.functions", "calculator.shared.history", "calculator.shared.service")


def test_building_the_document_imports_no_handler_no_logic_and_no_store() -> None:
    script = (
        "import sys\n"
        "from lambda_devkit.openapi.main import api_of, render\n"
        "from lambda_devkit.openapi.document import build\n"
        "render(build(api_of('calculator.shared.api')))\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    # This process's path, so the child finds what the test found (source roots, requirements).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    modules = subprocess.run(
        [sys.executable, "-c", script], check=True, capture_output=True, text=True, env=env
    ).stdout.split()
    assert "calculator.shared.api" in modules
    assert [m for m in modules if m.startswith(NEVER_IMPORTED) or m == "botocore"] == []

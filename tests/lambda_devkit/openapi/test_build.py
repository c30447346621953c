"""The generator in process: the routers' declarations must be the template's routes, and the
document `./pants package` builds from a skeleton of the service is the one its sources give."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit.openapi.document import ContractError, Info, build
from lambda_devkit.openapi.main import render
from lambda_devkit.testing.dist import packaged

INFO = Info(title="T", version="1.0.0")


def template() -> dict[str, Any]:
    return copy.deepcopy(service_spec._template())


def test_every_declared_route_is_documented() -> None:
    document = build(INFO, template())
    assert {(m.upper(), p) for p, item in document["paths"].items() for m in item} == {
        (r.method, r.path) for f in service_spec.functions() for r in f.routes
    }
    assert document["info"] == {"title": "T", "version": "1.0.0"}


def test_a_template_route_no_router_declares_is_refused() -> None:
    changed = template()
    events = changed["Resources"]["AddFunction"]["Properties"]["Events"]
    events["Subtract"] = {"Type": "HttpApi", "Properties": {"Method": "POST", "Path": "/subtract"}}
    with pytest.raises(ContractError, match="routes POST /subtract to add, whose router does not"):
        build(INFO, changed)


def test_a_declared_route_the_template_does_not_route_is_refused() -> None:
    changed = template()
    # Whichever function the template deploys last (a fork removes examples).
    function = service_spec.functions(changed)[-1]
    route = function.routes[0]
    changed["Resources"][function.resource]["Properties"]["Events"] = {}
    refusal = f"declares {route.method} {re.escape(route.path)}, which the template does not"
    with pytest.raises(ContractError, match=refusal):
        build(INFO, changed)


def test_the_packaged_document_is_the_one_the_full_sources_give() -> None:
    # The openapi_document rule runs the generator on a skeleton of the handlers' code
    # (pants-plugins/openapi_document/skeleton.py); here it runs on the code itself.
    packaged_text = packaged(Path("openapi.json")).read_text()
    info = json.loads(packaged_text)["info"]
    assert render(build(Info(**info), template())) == packaged_text

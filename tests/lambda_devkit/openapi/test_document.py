"""dist/openapi.json as `./pants package ::` writes it: valid, complete, and the committed copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from lambda_devkit import service_spec
from lambda_devkit.openapi import main
from lambda_devkit.testing.dist import packaged

BUILT = packaged(Path("openapi.json"))


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(BUILT.read_text())
    return loaded


def operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
    }


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1.")
    validate(document)


def test_the_validator_refuses_a_broken_document(document: dict[str, Any]) -> None:
    # The check above can fail: a response without its required description is invalid.
    broken = json.loads(json.dumps(document))
    operation = next(iter(next(iter(broken["paths"].values())).values()))  # the first route's
    del operation["responses"]["200"]["description"]
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_its_routes_are_the_templates_both_ways(document: dict[str, Any]) -> None:
    deployed = {str(r) for f in service_spec.functions() for r in f.routes}
    assert set(operations(document)) == deployed


def test_every_route_needs_a_jwt_and_answers_every_status(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["jwt"]["bearerFormat"] == "JWT"
    for name, operation in operations(document).items():
        assert operation["security"] == [{"jwt": []}], name
        responses = operation["responses"]
        expected = {"200", "400", "401", "429", "500", "503"}
        if name.startswith("POST "):
            # Every POST writes (the calculations, and what the scaffold makes): it takes an
            # Idempotency-Key, and a repeat can be in progress (409) or another request (422).
            expected |= {"409", "413", "415", "422"}
            body = operation["requestBody"]
            assert body["required"] is True
            assert list(body["content"]) == ["application/json"], name
            (key,) = [p for p in operation["parameters"] if p["in"] == "header"]
            assert (key["name"], key["required"]) == ("Idempotency-Key", False), name
            assert key["schema"]["maxLength"] == 255
            assert responses["409"]["headers"]["Retry-After"]["required"] is True
        assert set(responses) == expected, name
        assert responses["503"]["headers"]["Retry-After"]["required"] is True
        for status, response in responses.items():
            assert list(response["content"]) == ["application/json"], (name, status)


def test_the_operands_carry_their_bounds(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    operands = schemas["Operands"]
    assert operands["required"] == ["a", "b"] and operands["additionalProperties"] is False
    assert operands["properties"]["a"]["type"] == "number"
    assert operands["properties"]["a"]["x-maxDigits"] == 1000
    assert operands["properties"]["a"]["x-maxExponent"] == 1000


def test_the_history_query_carries_its_bounds(document: dict[str, Any]) -> None:
    found = operations(document)
    if "GET /history" not in found:
        pytest.skip("the calculator's history route is not deployed (a fork removes it)")
    parameters = {p["name"]: p for p in found["GET /history"]["parameters"]}
    assert parameters["limit"]["schema"] == {
        "default": 20,
        "maximum": 100,
        "minimum": 1,
        "type": "integer",
    }
    assert parameters["cursor"]["schema"] == {"minLength": 1, "type": "string"}
    assert "Opaque" in parameters["cursor"]["description"]


def test_the_committed_copy_is_the_built_document() -> None:
    problems = main.check(BUILT, Path("docs/openapi.json"))
    assert not problems, "\n".join(problems)

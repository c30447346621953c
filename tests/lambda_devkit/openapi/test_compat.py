"""The breaking-change check: each kind of break is named, and only a major bump lets it pass."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit.openapi import compat, main

OLD: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "T", "version": "1.2.0"},
    "paths": {
        "/add": {
            "post": {
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/In"}}
                    },
                },
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Out"}}
                        },
                    }
                },
            }
        },
        "/history": {
            "get": {
                "parameters": [
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100},
                    }
                ],
                "responses": {"200": {"description": "OK"}},
            }
        },
    },
    "components": {
        "schemas": {
            "In": {
                "type": "object",
                "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                "required": ["a"],
            },
            "Out": {
                "type": "object",
                "properties": {"result": {"type": "number"}, "id": {"type": "string"}},
                "required": ["result", "id"],
            },
        }
    },
}


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    new = copy.deepcopy(OLD)
    change(new)
    return new


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"]
    return found


BREAKS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "removed route": (lambda d: d["paths"].pop("/history"), "GET /history: removed"),
    "removed request field": (
        lambda d: schemas(d)["In"]["properties"].pop("b"),
        "POST /add body.b: removed",
    ),
    "removed response field": (
        lambda d: schemas(d)["Out"]["properties"].pop("id"),
        "POST /add 200 response.id: removed",
    ),
    "narrowed request type": (
        lambda d: schemas(d)["In"]["properties"]["a"].update(type="integer"),
        "POST /add body.a: was integer/number, now only integer",
    ),
    "narrowed bound": (
        lambda d: d["paths"]["/history"]["get"]["parameters"][0]["schema"].update(maximum=50),
        "GET /history parameters.query:limit: maximum lowered from 100 to 50",
    ),
    "new required field": (
        lambda d: schemas(d)["In"]["required"].append("b"),
        "POST /add body.b: newly required",
    ),
    "new required parameter": (
        lambda d: d["paths"]["/history"]["get"]["parameters"][0].update(required=True),
        "GET /history parameters.query:limit: newly required",
    ),
    "widened response type": (
        lambda d: schemas(d)["Out"]["properties"]["id"].update(type=["string", "null"]),
        "POST /add 200 response.id: was string, now null/string",
    ),
    "response field made optional": (
        lambda d: schemas(d)["Out"]["required"].remove("id"),
        "POST /add 200 response.id: may now be absent",
    ),
}


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_each_breaking_change_is_named(kind: str) -> None:
    change, message = BREAKS[kind]
    assert compat.breaking_changes(OLD, changed(change)) == [message]


@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_a_breaking_change_fails_unless_the_major_version_is_bumped(kind: str) -> None:
    change, message = BREAKS[kind]
    minor = changed(change)
    minor["info"]["version"] = "1.3.0"
    (problem,) = compat.breaking_without_bump(OLD, minor)
    assert "need a new major version (info.version 2.0.0, not 1.3.0" in problem
    assert message in problem
    minor["info"]["version"] = "2.0.0"
    assert compat.breaking_without_bump(OLD, minor) == []


def test_compatible_changes_pass_without_a_bump() -> None:
    def grow(d: dict[str, Any]) -> None:
        d["paths"]["/multiply"] = copy.deepcopy(d["paths"]["/add"])  # a new route
        schemas(d)["In"]["properties"]["c"] = {"type": "number"}  # a new optional field
        schemas(d)["Out"]["properties"]["note"] = {"type": "string"}  # a new response field
        d["paths"]["/history"]["get"]["parameters"][0]["schema"]["maximum"] = 500  # wider
        d["paths"]["/add"]["post"]["responses"]["503"] = {"description": "Unavailable"}

    assert compat.breaking_without_bump(OLD, changed(grow)) == []


def test_drift_names_each_difference(tmp_path: Path) -> None:
    built, committed = tmp_path / "built.json", tmp_path / "committed.json"
    built.write_text(main.render(changed(lambda d: d["info"].update(title="New"))))
    committed.write_text(main.render(OLD))
    (problem,) = main.check(built, committed)
    assert f"{committed} differs from {built}" in problem
    assert '/info/title: built "New", committed "T"' in problem
    committed.write_text(main.render(changed(lambda d: d["info"].update(title="New"))))
    assert main.check(built, committed) == []
    # In a list, the difference is named by index, not as the whole list.
    wider = changed(
        lambda d: d["paths"]["/history"]["get"]["parameters"][0]["schema"].update(minimum=0)
    )
    wider["info"]["title"] = "New"
    built.write_text(main.render(wider))
    (problem,) = main.check(built, committed)
    assert "/paths/~1history/get/parameters/0/schema/minimum: built 0, committed 1" in problem


def test_update_refuses_a_breaking_change_and_writes_a_compatible_one(tmp_path: Path) -> None:
    built, committed = tmp_path / "built.json", tmp_path / "committed.json"
    committed.write_text(main.render(OLD))
    built.write_text(main.render(changed(lambda d: d["paths"].pop("/history"))))
    args = ["update", "--built", str(built), "--committed", str(committed)]
    assert main.main(args) == 1
    assert json.loads(committed.read_text()) == OLD
    built.write_text(main.render(changed(lambda d: d["info"].update(title="New"))))
    assert main.main(args) == 0
    assert json.loads(committed.read_text())["info"]["title"] == "New"


@pytest.mark.parametrize(
    ("part", "before", "after"),
    [
        ("major", 'VERSION = "1.4.2"  # kept', 'VERSION = "2.0.0"  # kept'),
        ("minor", "VERSION = '1.4.2'", "VERSION = '1.5.0'"),
    ],
)
def test_bump_raises_only_the_version_string(
    tmp_path: Path, part: str, before: str, after: str
) -> None:
    info = tmp_path / "api.py"
    info.write_text(f'"""Doc: VERSION = "1.4.2" here is prose."""\nTITLE = "T"\n{before}\n')
    assert main.main(["bump", part, str(info)]) == 0
    assert (
        info.read_text() == f'"""Doc: VERSION = "1.4.2" here is prose."""\nTITLE = "T"\n{after}\n'
    )


@pytest.mark.parametrize(
    ("source", "problem"),
    [("TITLE = 'T'\n", "has no single"), ("VERSION = 'one'\n", "VERSION 'one' is not X.Y.Z")],
)
def test_bump_names_what_it_cannot_bump(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str, problem: str
) -> None:
    info = tmp_path / "api.py"
    info.write_text(source)
    assert main.main(["bump", "major", str(info)]) == 1
    assert problem in capsys.readouterr().err
    assert info.read_text() == source

"""The API declaration's edits, in process: routes found by parsing, imports kept in step."""

from __future__ import annotations

import re

import pytest

from lambda_devkit.scaffold.api_edit import ApiEditRefused, add_route, remove_route, routes

SOURCE = '''"""An API."""

from __future__ import annotations

from svc.models import Body, Page, Query
from lambda_http.declaration import Api

API = Api("T", "1.0.0")

# The calculation.
SUM = API.post("/sum", body=Body)
LIST = API.route(
    "get",
    "/list",
    query=Query,
    response=Page,
)
'''


def test_routes_are_found_however_they_are_declared() -> None:
    assert [(d.name, d.method, d.path) for d in routes(SOURCE)] == [
        ("SUM", "POST", "/sum"),
        ("LIST", "GET", "/list"),
    ]


def test_removing_a_route_drops_the_imports_only_it_used() -> None:
    edited = remove_route(SOURCE, "GET", "/list")
    assert "LIST" not in edited
    assert "from svc.models import Body\n" in edited
    assert "# The calculation.\nSUM = API.post" in edited
    assert "from svc.models import Page" not in remove_route(edited, "POST", "/sum")


def test_adding_a_route_imports_what_it_uses_and_removing_it_gives_back_the_file() -> None:
    without = remove_route(SOURCE, "POST", "/sum")
    block = 'NEW = API.post("/new", body=Body)\n'
    added = add_route(without, block, {"Body": "svc.models"})
    assert "from svc.models import Body, Page, Query\n" in added and added.endswith(block)
    assert remove_route(added, "POST", "/new") == without
    long_names = {f"Name{i:02}": "svc.models" for i in range(12)}
    wrapped = add_route(SOURCE, "", long_names)
    assert "from svc.models import (\n    Body,\n    Name00,\n" in wrapped


def test_a_route_it_cannot_find_or_a_module_it_cannot_import_from_is_refused() -> None:
    with pytest.raises(ApiEditRefused, match="expected one declaration of GET /sum, found 0"):
        remove_route(SOURCE, "GET", "/sum")
    with pytest.raises(ApiEditRefused, match=re.escape("no `from other import ...` to add X")):
        add_route(SOURCE, "", {"X": "other"})

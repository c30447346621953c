"""A fork renames the table and adds a second one in the template; the tools follow it.

Every tool reads tables, keys, grants, names and environment through lambda_devkit.service_spec;
these tests run it, the one table fixture and the rehearsal's guards on a modified copy of
infra/template.yaml, so a name of the calculator's template left in the tooling fails here.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.moto_server import MotoServer, create_tables, dynamodb_client
from lambda_devkit.rehearsal.deploy import Target, guards, to_cloudformation, with_uris

AUDIT_KEYS = [{"AttributeName": "id", "KeyType": "HASH"}]


def renamed(value: Any, old: str, new: str) -> Any:
    """`value` with every reference to the resource `old` (Ref, GetAtt, ${old...}) to `new`."""
    text = json.dumps(value)
    for before, after in (
        (f'"{old}"', f'"{new}"'),
        (f"${{{old}.", f"${{{new}."),
        (f"${{{old}}}", f"${{{new}}}"),
    ):
        text = text.replace(before, after)
    return json.loads(text)


def forked_template() -> dict[str, Any]:
    """The template with its table renamed, and a second table a function writes to."""
    (table,) = service_spec.tables()
    template: dict[str, Any] = renamed(sam.load(), table.resource, "LedgerTable")
    resources = template["Resources"]
    assert table.resource not in resources  # the key was renamed too, as a fork would
    resources["LedgerTable"]["Properties"]["TableName"] = {"Fn::Sub": "fork-${Stage}-ledger"}
    audit = copy.deepcopy(resources["LedgerTable"])
    audit["Properties"].update(
        TableName={"Fn::Sub": "fork-${Stage}-audit"},
        KeySchema=AUDIT_KEYS,
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )
    resources["AuditTable"] = audit
    writer = service_spec.functions(template)[0]
    properties = resources[writer.resource]["Properties"]
    properties["Environment"] = {"Variables": {"AUDIT_TABLE": {"Ref": "AuditTable"}}}
    properties.setdefault("Policies", []).append(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["dynamodb:PutItem"],
                    "Resource": {"Fn::Sub": "${AuditTable.Arn}/index/*"},
                }
            ]
        }
    )
    return template


FORK = forked_template()
WRITER = service_spec.functions(FORK)[0]


def test_every_table_of_the_template_is_read_with_its_own_keys() -> None:
    tables = {t.resource: t for t in service_spec.tables(FORK)}
    assert sorted(tables) == ["AuditTable", "LedgerTable"]
    assert tables["AuditTable"].create_request("a")["KeySchema"] == AUDIT_KEYS
    assert service_spec.table_names("qa", FORK) == {
        "LedgerTable": "fork-qa-ledger",
        "AuditTable": "fork-qa-audit",
    }


def test_grants_and_environment_follow_the_renamed_and_the_added_table() -> None:
    original = {f.name: f.table_actions for f in service_spec.functions()}
    forked = {f.name: f for f in service_spec.functions(FORK)}
    # Same grants on the renamed table; the added table's grant on top, for its writer alone.
    assert {
        name: dict(f.table_grants).get("LedgerTable", frozenset()) for name, f in forked.items()
    } == original
    assert dict(forked[WRITER.name].table_grants)["AuditTable"] == {"dynamodb:PutItem"}
    names = service_spec.table_names("qa", FORK)
    environment = service_spec.function_environment(names, WRITER.name, FORK)
    assert environment["AUDIT_TABLE"] == "fork-qa-audit"
    assert "fork-qa-ledger" in environment.values()
    assert "AUDIT_TABLE" not in service_spec.function_environment(names, template=FORK)


def test_a_table_without_a_name_in_the_environment_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="AuditTable"):
        service_spec.function_environment({"LedgerTable": "x"}, WRITER.name, FORK)


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer().start()
    yield server
    server.stop()


def test_the_table_fixture_creates_every_table_with_the_template_schema(moto: MotoServer) -> None:
    client = dynamodb_client(moto.endpoint)
    names = create_tables(client, service_spec.table_names("fixture", FORK), FORK)
    assert names == {"LedgerTable": "fork-fixture-ledger", "AuditTable": "fork-fixture-audit"}
    for logical, name in names.items():
        keys = client.describe_table(TableName=name)["Table"]["KeySchema"]
        declared = FORK["Resources"][logical]["Properties"]["KeySchema"]
        assert [dict(k) for k in keys] == declared


def test_the_table_fixture_refuses_names_that_miss_a_table(moto: MotoServer) -> None:
    with pytest.raises(
        ValueError, match=re.escape("no name given for the template's table(s) AuditTable")
    ):
        create_tables(dynamodb_client(moto.endpoint), {"LedgerTable": "only-one"}, FORK)


def test_the_rehearsal_guards_report_each_table_and_catch_one_without_ttl() -> None:
    def guarded(template: dict[str, Any]) -> tuple[list[str], list[str]]:
        target = Target(endpoint="unused")
        uploaded = with_uris(
            template, {a.resource: f"s3://bucket/{a.resource}" for a in sam.artifacts(template)}
        )
        deployed = to_cloudformation(uploaded, target)
        return guards(deployed, sam.parameter_values(template, target.parameters))

    report, problems = guarded(FORK)
    assert problems == []
    assert sorted(line.split(":")[0] for line in report if line.startswith("table ")) == [
        "table AuditTable",
        "table LedgerTable",
    ]
    without_ttl = copy.deepcopy(FORK)
    del without_ttl["Resources"]["AuditTable"]["Properties"]["TimeToLiveSpecification"]
    assert guarded(without_ttl)[1] == ["table AuditTable: no TTL (TimeToLiveSpecification is {})"]

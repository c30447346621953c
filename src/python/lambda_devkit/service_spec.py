"""The service as infra/template.yaml declares it: the one place every test and tool reads it from.

The template is the deploy-time truth: which functions exist, where their zips are, their
routes, what each may do to which table, their environment, the layers, and every table's
name and keys (a fork renames or adds tables in the template, never here).
Pants' BUILD files are the build-time truth (what `./pants package ::` writes), checked equal
to the template by tests/calculator/test_template.py. Everything else (smoke, property and import tests,
the cold-start benchmark, the rehearsal, the local server) derives its lists from here, so a
new function is in all of them the moment it is in the template; see docs/architecture.md, "One fact, one place".
"""

from __future__ import annotations

import functools
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from lambda_devkit.template import (
    FUNCTION,
    LAYER,
    TABLE,
    Artifact,
    Unresolvable,
    artifacts,
    function_name_of,
    load,
    parameter_values,
    resolve,
)

# pants.toml [source] root of the functions' code: a target in src/python/a/b is packaged to
# dist/src.python.a.b/ and imported as `a.b`.
SOURCE_ROOT = "src/python"
# Where each function's API Gateway event fixture is (src/python/lambda_devkit/testing/events.py loads it by name).
EVENTS_DIR = Path("tests/events")


@functools.cache
def _template() -> dict[str, Any]:
    # Read once per process: every test module asks, and nothing here modifies it.
    return load()


class Route(NamedTuple):
    """A (METHOD, /path) pair, as the template's HttpApi events and API Gateway name routes."""

    method: str  # upper case, e.g. POST
    path: str  # e.g. /add

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Function:
    """One AWS::Serverless::Function of the template, with what the tests and tools need of it."""

    name: str  # e.g. add
    resource: str  # e.g. AddFunction
    artifact: str  # e.g. dist/src.python.calculator.functions.add/lambda.zip
    routes: tuple[Route, ...]
    # What its policies grant on each table of the template: (table's logical id, actions).
    table_grants: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def table_actions(self) -> frozenset[str]:
        """What its policies grant on any table, e.g. dynamodb:PutItem."""
        return frozenset(action for _, actions in self.table_grants for action in actions)

    @property
    def built(self) -> Path:
        """The zip's path relative to dist/: where a test's runtime_package_dependencies put it."""
        return Artifact(self.resource, FUNCTION, self.artifact).built

    @property
    def target_dir(self) -> str:
        """The directory of the Pants target that builds the zip: src/python/calculator/..."""
        return self.built.parent.name.replace(".", "/")

    @property
    def build_target(self) -> str:
        return Artifact(self.resource, FUNCTION, self.artifact).target

    @property
    def handler_module(self) -> str:
        """The module whose `handler` Lambda runs (`lambda_function.py` re-exports it)."""
        package = self.target_dir.removeprefix(f"{SOURCE_ROOT}/").replace("/", ".")
        return f"{package}.handler"

    @property
    def event(self) -> Path:
        return EVENTS_DIR / f"{self.name}.json"


def _routes(resource: dict[str, Any]) -> tuple[Route, ...]:
    events = resource["Properties"].get("Events", {})
    return tuple(
        Route(str(e["Properties"]["Method"]).upper(), str(e["Properties"]["Path"]))
        for e in events.values()
        if e["Type"] == "HttpApi"
    )


def _table_of(resource: Any, tables: frozenset[str]) -> str | None:
    """The table a policy statement's Resource is (`!GetAtt T.Arn`, or `!Sub ${T.Arn}...`
    for its indexes), if it is one of `tables`."""
    if isinstance(resource, dict) and set(resource) == {"Fn::GetAtt"}:
        name, attribute = resource["Fn::GetAtt"]
        return str(name) if name in tables and attribute == "Arn" else None
    if isinstance(resource, dict) and set(resource) == {"Fn::Sub"}:
        text = str(resource["Fn::Sub"])
        return next((t for t in sorted(tables) if text.startswith(f"${{{t}.Arn}}")), None)
    return None


def _table_grants(
    resource: dict[str, Any], tables: frozenset[str]
) -> tuple[tuple[str, frozenset[str]], ...]:
    """The actions the function's inline policy statements allow on each table's ARN."""
    granted: dict[str, set[str]] = {}
    for policy in resource["Properties"].get("Policies", []):
        if not isinstance(policy, dict) or "Statement" not in policy:
            raise ValueError(f"only inline policy statements are supported, not {policy!r}")
        for statement in policy["Statement"]:
            targets = statement.get("Resource")
            for target in targets if isinstance(targets, list) else [targets]:
                table = _table_of(target, tables)
                if table is not None:
                    actions = statement["Action"]
                    granted.setdefault(table, set()).update(
                        {actions} if isinstance(actions, str) else actions
                    )
    return tuple((table, frozenset(actions)) for table, actions in sorted(granted.items()))


def functions(template: dict[str, Any] | None = None) -> list[Function]:
    """Every function the template deploys, sorted by name."""
    template = template or _template()
    table_ids = frozenset(t.resource for t in tables(template))
    found = [
        Function(
            name=function_name_of(a.path),
            resource=a.resource,
            artifact=a.path,
            routes=_routes(template["Resources"][a.resource]),
            table_grants=_table_grants(template["Resources"][a.resource], table_ids),
        )
        for a in artifacts(template)
        if a.resource_type == FUNCTION
    ]
    return sorted(found, key=lambda f: f.name)


def function(name: str, template: dict[str, Any] | None = None) -> Function:
    for each in functions(template):
        if each.name == name:
            return each
    raise KeyError(f"the template deploys no function {name!r}")


def host_architecture() -> str:
    """The Lambda architecture whose native wheels run on this machine."""
    return "arm64" if platform.machine() in {"aarch64", "arm64"} else "x86_64"


def layers(architecture: str, template: dict[str, Any] | None = None) -> list[Artifact]:
    """The layers a function on `architecture` gets, in the template's order."""
    template = template or _template()
    return [
        a
        for a in artifacts(template)
        if a.resource_type == LAYER
        and architecture
        in template["Resources"][a.resource]["Properties"]["CompatibleArchitectures"]
    ]


def native_layers(architecture: str, template: dict[str, Any] | None = None) -> list[Artifact]:
    """The layers built for `architecture` alone (native code inside), in the template's order."""
    template = template or _template()
    return [
        a
        for a in layers(architecture, template)
        if template["Resources"][a.resource]["Properties"]["CompatibleArchitectures"]
        == [architecture]
    ]


def built_layers(architecture: str, template: dict[str, Any] | None = None) -> list[Path]:
    """`layers()`' zips relative to dist/, as in a test's sandbox."""
    return [a.built for a in layers(architecture, template)]


@dataclass(frozen=True)
class Table:
    """One AWS::DynamoDB::Table of the template: what creating it elsewhere (moto) needs."""

    resource: str  # its logical id, e.g. HistoryTable
    properties: Mapping[str, Any]

    def name(self, values: Mapping[str, str], template: Mapping[str, Any]) -> str:
        """Its TableName on a deploy with the parameter `values` (the stage filled in)."""
        if "TableName" not in self.properties:
            raise Unresolvable(f"{self.resource} has no TableName: CloudFormation would make one")
        name = resolve(template, self.properties["TableName"], values)
        if not isinstance(name, str):
            raise Unresolvable(f"{self.resource}.TableName {name!r}: not evaluated offline")
        return name

    def create_request(self, name: str) -> dict[str, Any]:
        """create_table's arguments for this table under `name`: its keys, attributes and
        indexes as the template declares them, billed on demand (moto ignores capacity)."""
        request: dict[str, Any] = {"TableName": name, "BillingMode": "PAY_PER_REQUEST"}
        for key in ("KeySchema", "AttributeDefinitions"):
            request[key] = [dict(k) for k in self.properties[key]]
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if key in self.properties:
                request[key] = [
                    {k: v for k, v in index.items() if k != "ProvisionedThroughput"}
                    for index in self.properties[key]
                ]
        return request


def tables(template: dict[str, Any] | None = None) -> list[Table]:
    """Every DynamoDB table the template declares, in the template's order."""
    template = template or _template()
    return [
        Table(resource, resource_spec.get("Properties", {}))
        for resource, resource_spec in template["Resources"].items()
        if resource_spec["Type"] == TABLE
    ]


def placeholder_tables(name: str, template: dict[str, Any] | None = None) -> dict[str, str]:
    """Each table's logical id -> `name`: for reading an environment where no table is used."""
    return {table.resource: name for table in tables(template)}


def table_names(
    stage: str, template: dict[str, Any] | None = None, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each table's logical id -> its TableName on a deploy to `stage`, as the template
    names it (parameters at their defaults, but Stage and `overrides`)."""
    template = template or _template()
    values = parameter_values(template, {"Stage": stage, **(overrides or {})})
    return {table.resource: table.name(values, template) for table in tables(template)}


def function_names(
    stage: str, template: dict[str, Any] | None = None, overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each function's name (e.g. add) -> its FunctionName on a deploy to `stage`, as the
    template names it (parameters at their defaults, but Stage and `overrides`)."""
    template = template or _template()
    values = parameter_values(template, {"Stage": stage, **(overrides or {})})
    return {
        f.name: str(
            resolve(
                template, template["Resources"][f.resource]["Properties"]["FunctionName"], values
            )
        )
        for f in functions(template)
    }


def _resolve(
    value: Any, template: dict[str, Any], table_names: Mapping[str, str], values: Mapping[str, str]
) -> str:
    value = resolve(template, value, values)
    if isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in table_names:
        return table_names[value["Ref"]]
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"cannot resolve {value!r} in a function's environment outside AWS")


def function_environment(
    table_names: Mapping[str, str],
    name: str | None = None,
    template: dict[str, Any] | None = None,
    parameters: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The variables the template gives a function (Globals, then the function's own), with
    each table's name from `table_names` (logical id -> name) and the parameters filled in:
    their defaults, but `parameters` (as a deploy's --parameter-overrides)."""
    template = template or _template()
    variables = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    if name is not None:
        own = template["Resources"][function(name, template).resource]["Properties"]
        variables.update(own.get("Environment", {}).get("Variables", {}))
    values = parameter_values(template, parameters)
    return {key: _resolve(value, template, table_names, values) for key, value in variables.items()}

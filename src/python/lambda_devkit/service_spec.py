"""The service as infra/template.yaml declares it: the one place every test and tool reads it from.

The template is the deploy-time truth: which functions exist, where their zips are, their
routes, what each may do to the table, their environment, the layers and the table's keys.
Pants' BUILD files are the build-time truth (what `./pants package ::` writes), checked equal
to the template by tests/calculator/test_template.py. Everything else (smoke, property and import tests,
the cold-start benchmark, the rehearsal, the local server) derives its lists from here, so a
new function is in all of them the moment it is in the template; see README "Architecture".
"""

from __future__ import annotations

import functools
import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from lambda_devkit.template import (
    FUNCTION,
    LAYER,
    Artifact,
    artifacts,
    function_name_of,
    load,
    parameter_values,
    resolve,
)

# pants.toml [source] root of the functions' code: a target in src/python/a/b is packaged to
# dist/src.python.a.b/ and imported as `a.b`.
SOURCE_ROOT = "src/python"
# The logical id of the table every function's policy is scoped to.
TABLE = "HistoryTable"
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
    table_actions: frozenset[str]  # what its policy grants on the table, e.g. dynamodb:PutItem

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
        return f"{self.target_dir}:{self.built.stem}"

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


def _table_actions(resource: dict[str, Any]) -> frozenset[str]:
    """The actions the function's inline policy statements allow on the table's ARN."""
    granted: set[str] = set()
    for policy in resource["Properties"].get("Policies", []):
        if not isinstance(policy, dict) or "Statement" not in policy:
            raise ValueError(f"only inline policy statements are supported, not {policy!r}")
        for statement in policy["Statement"]:
            if statement.get("Resource") == {"Fn::GetAtt": [TABLE, "Arn"]}:
                actions = statement["Action"]
                granted |= {actions} if isinstance(actions, str) else set(actions)
    return frozenset(granted)


def functions(template: dict[str, Any] | None = None) -> list[Function]:
    """Every function the template deploys, sorted by name."""
    template = template or _template()
    found = [
        Function(
            name=function_name_of(a.path),
            resource=a.resource,
            artifact=a.path,
            routes=_routes(template["Resources"][a.resource]),
            table_actions=_table_actions(template["Resources"][a.resource]),
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


def _resolve(value: Any, template: dict[str, Any], table_name: str) -> str:
    values = parameter_values(template)
    value = resolve(template, value, values)
    if value == {"Ref": TABLE}:
        return table_name
    if isinstance(value, dict) and isinstance(value.get("Fn::Sub"), str):
        # A Sub of parameters only (the metrics namespace, `calculator-${Stage}`).
        text = str(value["Fn::Sub"])
        for name in re.findall(r"\$\{([^}]+)\}", text):
            if name not in values:
                raise ValueError(f"cannot resolve ${{{name}}} in {text!r} outside AWS")
            text = text.replace(f"${{{name}}}", values[name])
        return text
    if isinstance(value, str | int | float):
        return str(value)
    raise ValueError(f"cannot resolve {value!r} in a function's environment outside AWS")


def function_environment(
    table_name: str, name: str | None = None, template: dict[str, Any] | None = None
) -> dict[str, str]:
    """The variables the template gives a function (Globals, then the function's own), with
    the table's name and parameters' defaults filled in, as on a default deploy."""
    template = template or _template()
    variables = dict(
        template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    )
    if name is not None:
        own = template["Resources"][function(name, template).resource]["Properties"]
        variables.update(own.get("Environment", {}).get("Variables", {}))
    return {key: _resolve(value, template, table_name) for key, value in variables.items()}


def table_schema(template: dict[str, Any] | None = None) -> dict[str, Any]:
    """The table's KeySchema and AttributeDefinitions, as create_table takes them."""
    template = template or _template()
    properties = template["Resources"][TABLE]["Properties"]
    return {
        "KeySchema": [dict(k) for k in properties["KeySchema"]],
        "AttributeDefinitions": [dict(a) for a in properties["AttributeDefinitions"]],
    }

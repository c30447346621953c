"""Reads infra/template.yaml and the artifacts it points at: what is deployed, from where."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

# Relative to the build root: where `./pants run` and a test sandbox both start.
TEMPLATE = Path("infra/template.yaml")
FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
TABLE = "AWS::DynamoDB::Table"
# Which property of each SAM resource type names its zip.
ARTIFACT_PROPERTY = {FUNCTION: "CodeUri", LAYER: "ContentUri"}


@dataclass(frozen=True)
class Artifact:
    """One zip the template deploys: the resource, and the path relative to the build root."""

    resource: str
    resource_type: str
    path: str  # e.g. dist/src.python.calculator.functions.add/lambda.zip

    @property
    def built(self) -> Path:
        """The zip's path relative to dist/: where a test's runtime_package_dependencies put it."""
        return Path(self.path.removeprefix("dist/"))

    @property
    def target(self) -> str:
        """The Pants target that builds it: dist/src.python.x.y/name.zip is src/python/x/y:name."""
        return f"{self.built.parent.name.replace('.', '/')}:{self.built.stem}"


# libyaml's parser where the wheel has it (the locked manylinux wheels do): several times the
# pure-Python one on the template, which every test process and the OpenAPI generator read.
try:
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader as _SafeLoader  # type: ignore[assignment]


class _TemplateLoader(_SafeLoader):
    """YAML as CloudFormation reads it: short-form intrinsics in their long form (`!Ref X` is
    `{"Ref": "X"}`, `!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`, `!If [...]` is
    `{"Fn::If": [...]}`), and dates left as text. Not cfn-lint's reader: importing cfn-lint
    takes ~2.5 s, which every test process that reads the template would pay."""


def _intrinsic(loader: yaml.SafeLoader, name: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    if name == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {name if name in ("Ref", "Condition") else f"Fn::{name}": value}


_TemplateLoader.add_multi_constructor("!", _intrinsic)
_TemplateLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    """The template as a dict, with short-form intrinsics (!Ref, !If) in their long form."""
    try:
        template = yaml.load(path.read_text(), Loader=_TemplateLoader)  # a SafeLoader
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: cannot be parsed: {error}") from None
    if not isinstance(template, dict):
        raise ValueError(f"{path}: not a template (a YAML mapping)")
    return template


def artifacts(template: dict[str, Any]) -> list[Artifact]:
    found = []
    for name, resource in template["Resources"].items():
        prop = ARTIFACT_PROPERTY.get(resource["Type"])
        if prop is None:
            continue
        uri = resource["Properties"][prop]
        if not isinstance(uri, str) or not uri.startswith("../dist/"):
            raise ValueError(f"{name}.{prop} must be a path under ../dist/, not {uri!r}")
        found.append(Artifact(name, resource["Type"], uri.removeprefix("../")))
    return found


def code_sha256(zip_path: Path) -> str:
    """Lambda's CodeSha256: base64 of the zip's SHA-256."""
    return base64.b64encode(hashlib.sha256(zip_path.read_bytes()).digest()).decode()


def function_name_of(artifact_path: str) -> str:
    """`dist/src.python.calculator.functions.add/lambda.zip` -> `add`."""
    return Path(artifact_path).parent.name.rsplit(".", 1)[-1]


class Unresolvable(ValueError):
    """An intrinsic function this offline reading of the template cannot evaluate."""


def parameter_values(
    template: Mapping[str, Any], overrides: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Each parameter's value on a deploy with `overrides` (as `--parameter-overrides` gives
    them), else its default; as strings, the way CloudFormation passes parameters."""
    defaults = {
        name: str(spec["Default"])
        for name, spec in template.get("Parameters", {}).items()
        if "Default" in spec
    }
    return {**defaults, **(overrides or {})}


def condition_holds(template: Mapping[str, Any], condition: Any, values: Mapping[str, str]) -> bool:
    """A condition (by name, or Fn::Equals/Not/And/Or/Condition) for the parameter `values`."""
    if isinstance(condition, str):
        return condition_holds(template, template["Conditions"][condition], values)
    if isinstance(condition, dict) and len(condition) == 1:
        ((function, arguments),) = condition.items()
        if function == "Condition":
            return condition_holds(template, arguments, values)
        if function == "Fn::Equals":
            left, right = (str(resolve(template, a, values)) for a in arguments)
            return left == right
        if function == "Fn::Not":
            return not condition_holds(template, arguments[0], values)
        if function == "Fn::And":
            return all(condition_holds(template, a, values) for a in arguments)
        if function == "Fn::Or":
            return any(condition_holds(template, a, values) for a in arguments)
    raise Unresolvable(f"condition {condition!r}: not evaluated offline")


# `${Name}` in an Fn::Sub string; `${!Literal}` is CloudFormation's escape for a literal `${`.
_SUB_REFERENCE = re.compile(r"\$\{(!?)([^}]*)\}")


def substitute(text: str, values: Mapping[str, str]) -> str:
    """An Fn::Sub string with each `${Name}` replaced from `values` (parameters, and pseudo
    parameters such as AWS::Region if given): the one place `${Stage}` is filled in."""

    def replace(found: re.Match[str]) -> str:
        escaped, name = found.groups()
        if escaped:
            return "${" + name + "}"
        if name not in values:
            raise Unresolvable(f"Fn::Sub {text!r}: ${{{name}}} is not a parameter with a value")
        return values[name]

    return _SUB_REFERENCE.sub(replace, text)


def resolve(template: Mapping[str, Any], value: Any, values: Mapping[str, str]) -> Any:
    """`value` as deployed with the parameter `values`: Fn::If chosen, a Ref to a parameter
    replaced by its value, an Fn::Sub string of parameters filled in, None for AWS::NoValue;
    anything else (a Ref to a resource, an Fn::Sub naming one) as is."""
    if isinstance(value, dict) and set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
        try:
            return substitute(value["Fn::Sub"], values)
        except Unresolvable:
            return value  # names a resource (its ARN, its id): known only once deployed
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        chosen = when_true if condition_holds(template, condition, values) else when_false
        return resolve(template, chosen, values)
    if value == {"Ref": "AWS::NoValue"}:
        return None
    if isinstance(value, dict) and set(value) == {"Ref"}:
        name = value["Ref"]
        if name in template.get("Parameters", {}):
            if name not in values:
                raise Unresolvable(f"Ref {name!r}: a parameter with no default and no value")
            return values[name]
    return value

"""The template transforms, and cannot drift from the functions the BUILD files declare.

cfn-lint checks it under `./pants lint infra:` (pants-plugins/cfn_lint), not here. That every
artifact it deploys is what `./pants package` builds, and no more, is checked against the built
zips in tests/calculator/packaged/test_built_artifacts.py: this file reads no zip, so an edit of
the service's code does not rerun it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.rehearsal.deploy import Target, to_cloudformation, with_uris
from lambda_devkit.testing.answers import API_GATEWAY, FUNCTION, Answer, load

FUNCTIONS_DIR = Path("src/python/calculator/functions")
ANSWERS = Path("tests/calculator/answers.toml")


def pants_function_names() -> set[str]:
    """Every function directory whose BUILD declares a python_aws_lambda_function."""
    return {
        build.parent.name
        for build in FUNCTIONS_DIR.glob("*/BUILD")
        if re.search(r"^python_aws_lambda_function\(", build.read_text(), re.MULTILINE)
    }


@pytest.mark.parametrize("architecture", ["arm64", "x86_64"])
def test_sam_translator_transforms_it_to_plain_cloudformation(architecture: str) -> None:
    template = sam.load()
    # As after `sam package`: the translator takes artifacts from S3 only.
    uploaded = with_uris(
        template, {a.resource: f"s3://bucket/{a.resource}" for a in sam.artifacts(template)}
    )
    plain = to_cloudformation(uploaded, Target(endpoint="unused", architecture=architecture))
    types = {resource["Type"] for resource in plain["Resources"].values()}
    assert not any(t.startswith("AWS::Serverless::") for t in types)
    assert {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::IAM::Role",
        "AWS::ApiGatewayV2::Api",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
        # AutoPublishAlias: the version SnapStart snapshots, and the alias the API invokes.
        "AWS::Lambda::Version",
        "AWS::Lambda::Alias",
    } <= types
    assert translated_routes(plain) == {
        f"{route.path} {route.method}" for f in service_spec.functions() for route in f.routes
    }


def translated_routes(plain: dict[str, Any]) -> set[str]:
    """ "<path> <METHOD>" of every route the translated template's HTTP API declares."""
    return {
        path + " " + method.upper()
        for spec in plain["Resources"].values()
        if spec["Type"] == "AWS::ApiGatewayV2::Api"
        for path, methods in spec["Properties"]["Body"]["paths"].items()
        for method in methods
    }


@pytest.fixture(scope="module")
def deployed_routes() -> set[str]:
    template = sam.load()
    uploaded = with_uris(
        template, {a.resource: f"s3://bucket/{a.resource}" for a in sam.artifacts(template)}
    )
    return translated_routes(to_cloudformation(uploaded, Target(endpoint="unused")))


@pytest.mark.parametrize(
    "row", load(ANSWERS), ids=lambda row: f"{row.method} {row.target} {row.content_type}"
)
def test_the_answers_say_who_answers_as_the_deployed_routes_do(
    deployed_routes: set[str], row: Answer
) -> None:
    # A request the HTTP API has no route for never reaches a function: API Gateway answers.
    routed = f"{row.path} {row.method}" in deployed_routes
    assert row.answered_by == (FUNCTION if routed else API_GATEWAY)


def test_functions_in_build_files_and_template_are_the_same() -> None:
    template_functions = {
        sam.function_name_of(a.path)
        for a in sam.artifacts(sam.load())
        if a.resource_type == sam.FUNCTION
    }
    assert template_functions == pants_function_names()


def test_artifact_paths_must_point_into_dist(tmp_path: Path) -> None:
    function = service_spec.functions()[0]  # whichever the template deploys first
    broken = tmp_path / "template.yaml"
    broken.write_text(sam.TEMPLATE.read_text().replace(f"../dist/{function.built}", "./elsewhere"))
    with pytest.raises(ValueError, match=rf"{function.resource}\.CodeUri"):
        sam.artifacts(sam.load(broken))


def test_the_offline_reading_of_conditions_and_parameters_follows_the_overrides() -> None:
    template = sam.load()
    reserved = template["Globals"]["Function"]["ReservedConcurrentExecutions"]
    defaults = sam.parameter_values(template)
    assert sam.resolve(template, reserved, defaults) == defaults["ReservedConcurrency"]
    none = sam.parameter_values(template, {"ReservedConcurrency": "0"})
    assert sam.resolve(template, reserved, none) is None
    jwt = template["Resources"]["HttpApi"]["Properties"]["Auth"]["Authorizers"]["JwtAuthorizer"]
    issuer = jwt["JwtConfiguration"]["issuer"]
    own = sam.parameter_values(template, {"JwtIssuer": "https://login.example.com/"})
    assert sam.resolve(template, issuer, own) == "https://login.example.com/"
    assert "cognito-idp" in str(sam.resolve(template, issuer, defaults))
    with pytest.raises(sam.Unresolvable, match="Fn::Contains"):
        sam.condition_holds(template, {"Fn::Contains": [["a"], "a"]}, defaults)


def test_the_template_reads_as_cfn_lint_reads_it() -> None:
    # rehearsal.template reads YAML itself (cfn-lint's reader is slow to import); it must give
    # what CloudFormation's own reading gives, short-form intrinsics included.
    decoded, problems = decode_str(sam.TEMPLATE.read_text())
    assert problems == []
    assert sam.load() == json.loads(json.dumps(decoded, default=str))

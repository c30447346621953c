"""Packages, transforms and deploys the template to a CloudFormation endpoint, then verifies it.

The same steps as `sam deploy`, on boto3: upload each zip to S3 under its MD5 (as `sam package`
does), rewrite CodeUri/ContentUri to the S3 URIs, transform SAM to plain CloudFormation with
AWS's translator, and create or update the stack. `verify` then compares what the endpoint
reports with what Pants built and what each function is allowed to do.
"""

from __future__ import annotations

import ast
import copy
import functools
import hashlib
import json
import os
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3.session
from samtranslator.translator.transform import transform

from lambda_devkit import service_spec
from lambda_devkit.rehearsal import observability
from lambda_devkit.service_spec import functions as declared_functions
from lambda_devkit.service_spec import layers as declared_layers
from lambda_devkit.template import (
    FUNCTION,
    LAYER,
    Artifact,
    artifacts,
    code_sha256,
    condition_holds,
    function_name_of,
    parameter_values,
    resolve,
)

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_lambda import LambdaClient

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
# What SAM attaches to a function with Tracing: Active, so Lambda can send its traces.
XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
ARTIFACT_BUCKET = "rehearsal-deploy-artifacts"


class _NoManagedPolicies:
    """The translator asks for managed policy ARNs by name; the template names none."""

    def load(self) -> dict[str, str]:
        return {}


@dataclass
class Target:
    """Where to deploy: an AWS-compatible endpoint (moto on loopback in the rehearsal)."""

    endpoint: str
    region: str = "us-east-1"
    stack: str = "rehearsal"
    stage: str = "rehearsal"
    architecture: str = "arm64"
    snapstart: bool = False
    # moto accepts any credentials; fixed ones keep boto3 from looking for real ones.
    access_key: str = "rehearsal"
    secret_key: str = "rehearsal"
    # Any other template parameter (the guards: ReservedConcurrency, ThrottlingRateLimit...).
    overrides: dict[str, str] = field(default_factory=dict)

    def client(self, service: str) -> Any:
        return _client(self.endpoint, self.region, self.access_key, self.secret_key, service)

    @property
    def parameters(self) -> dict[str, str]:
        return {
            "Stage": self.stage,
            "Architecture": self.architecture,
            "TableDeletionProtection": "false",
            "SnapStart": "true" if self.snapstart else "false",
            **self.overrides,
        }


@functools.cache
def _client(endpoint: str, region: str, access_key: str, secret_key: str, service: str) -> Any:
    """One client per endpoint, credentials and service: making a session and a client costs
    more than most of the calls the rehearsal makes with it."""
    session = boto3.session.Session(
        aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name=region
    )
    return session.client(service, endpoint_url=endpoint)  # type: ignore[call-overload]


def with_uris(template: dict[str, Any], uris: dict[str, str]) -> dict[str, Any]:
    """The template with each artifact resource's CodeUri/ContentUri replaced from `uris`."""
    packaged = copy.deepcopy(template)
    for artifact in artifacts(template):
        prop = "CodeUri" if artifact.resource_type == FUNCTION else "ContentUri"
        packaged["Resources"][artifact.resource]["Properties"][prop] = uris[artifact.resource]
    return packaged


def package(template: dict[str, Any], buildroot: Path, target: Target) -> dict[str, Any]:
    """Uploads every artifact to S3 and points the template at it, as `sam package` does."""
    s3 = target.client("s3")
    existing = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if ARTIFACT_BUCKET not in existing:
        s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    uris = {}
    for artifact in artifacts(template):
        body = (buildroot / artifact.path).read_bytes()
        key = hashlib.md5(body).hexdigest()
        s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=body)
        uris[artifact.resource] = f"s3://{ARTIFACT_BUCKET}/{key}"
    return with_uris(template, uris)


def to_cloudformation(packaged: dict[str, Any], target: Target) -> dict[str, Any]:
    """SAM to plain CloudFormation, with AWS's own translator (what the Transform does)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", target.region)
    plain = json.loads(json.dumps(packaged, default=str))
    return dict(transform(plain, target.parameters, _NoManagedPolicies()))


def deploy(template: dict[str, Any], buildroot: Path, target: Target) -> dict[str, Any]:
    """Creates the stack, or updates it if it exists; returns the deployed template."""
    cloudformation: CloudFormationClient = target.client("cloudformation")
    body = json.dumps(to_cloudformation(package(template, buildroot, target), target))
    declared = template.get("Parameters", {})
    parameters = [
        {"ParameterKey": k, "ParameterValue": v}
        for k, v in target.parameters.items()
        if k in declared  # CloudFormation refuses a parameter the template does not declare
    ]
    stacks = cloudformation.list_stacks().get("StackSummaries", [])
    live = {s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"}
    if target.stack in live:
        cloudformation.update_stack(
            StackName=target.stack,
            TemplateBody=body,
            Parameters=parameters,  # type: ignore[arg-type]
            Capabilities=["CAPABILITY_IAM"],
        )
    else:
        cloudformation.create_stack(
            StackName=target.stack,
            TemplateBody=body,
            Parameters=parameters,  # type: ignore[arg-type]
            Capabilities=["CAPABILITY_IAM"],
        )
    return dict(json.loads(body))


def _physical_ids(target: Target) -> dict[str, str]:
    cloudformation: CloudFormationClient = target.client("cloudformation")
    resources = cloudformation.list_stack_resources(StackName=target.stack)
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources["StackResourceSummaries"]
    }


def verify(
    template: dict[str, Any], deployed: dict[str, Any], buildroot: Path, target: Target
) -> list[str]:
    """Every way the deployment differs from the template and the built zips, as sentences."""
    problems: list[str] = []
    lambda_client: LambdaClient = target.client("lambda")
    iam: IAMClient = target.client("iam")
    physical = _physical_ids(target)
    values = parameter_values(template, target.parameters)
    # What the template grants each function on the table; that this is exactly what its code
    # uses is the smoke test's business (tests/calculator/packaged/test_packaged_functions.py).
    grants = {f.name: dict(f.table_grants) for f in declared_functions(template)}
    dynamodb = target.client("dynamodb")
    table_arns: dict[str, str] = {}
    for declared_table in service_spec.tables(template):
        table = dynamodb.describe_table(TableName=physical[declared_table.resource])["Table"]
        table_arns[declared_table.resource] = table["TableArn"]
        keys = [(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]]
        wanted_keys = [
            (k["AttributeName"], k["KeyType"]) for k in declared_table.properties["KeySchema"]
        ]
        if keys != wanted_keys:
            problems.append(f"table {table['TableName']} has keys {keys}, expected {wanted_keys}")

    for artifact in artifacts(template):
        expected_sha = code_sha256(buildroot / artifact.path)
        if artifact.resource_type == LAYER:
            problems += _verify_layer(
                artifact, expected_sha, template, deployed, values, lambda_client
            )
            continue
        name = function_name_of(artifact.path)
        function = lambda_client.get_function(FunctionName=physical[artifact.resource])
        config = function["Configuration"]
        if config.get("CodeSha256") != expected_sha:
            problems.append(
                f"{name}: deployed code {config.get('CodeSha256')} is not the built "
                f"{artifact.path} ({expected_sha}): rebuilt without redeploying?"
            )
        for key, want in (("Handler", "lambda_function.handler"), ("Runtime", "python3.13")):
            if config.get(key) != want:
                problems.append(f"{name}: {key} is {config.get(key)!r}, expected {want!r}")
        layers = [a.resource for a in artifacts(template) if a.resource_type == LAYER]
        # Every function's API route invokes this alias (AutoPublishAlias in Globals).
        alias = str(template["Globals"]["Function"]["AutoPublishAlias"])
        # The layers built for the deployed architecture (their CompatibleArchitectures).
        wanted = [a.resource for a in declared_layers(values["Architecture"], template)]
        problems += _verify_function_template(
            artifact, name, deployed, values, layers, wanted, alias
        )
        managed = {BASIC_EXECUTION} | ({XRAY_WRITE} if values["Tracing"] == "Active" else set())
        problems += _verify_role(name, config["Role"], table_arns, grants[name], iam, managed)
        problems += _verify_function_guards(name, physical[artifact.resource], values, target)
        problems += _verify_environment(
            name,
            config,
            service_spec.function_environment(
                {t: physical[t] for t in table_arns}, name, template, target.parameters
            ),
        )
    return problems + guards(deployed, values)[1] + observability.check(deployed, values)[1]


def _verify_layer(
    artifact: Artifact,
    expected_sha: str,
    template: dict[str, Any],
    deployed: dict[str, Any],
    values: dict[str, str],
    lambda_client: LambdaClient,
) -> list[str]:
    logical = _logical_layer_id(deployed, artifact.resource)
    condition = template["Resources"][artifact.resource].get("Condition")
    if logical is None or (
        condition is not None and not condition_holds(template, condition, values)
    ):
        return []  # excluded by its Condition (e.g. the other architecture's build)
    # moto reports no physical id for layers and names them <stack>-<logical id>-<suffix>.
    names = [
        layer["LayerName"]
        for layer in lambda_client.list_layers()["Layers"]
        if layer["LayerName"] == _layer_name(deployed, logical, values)
        or f"-{logical}-" in layer["LayerName"]
    ]
    if not names:
        return [f"layer {artifact.resource}: no version of it was deployed"]
    name = names[0]
    versions = lambda_client.list_layer_versions(LayerName=name)["LayerVersions"]
    newest = max(versions, key=lambda v: v["Version"])
    layer = lambda_client.get_layer_version(LayerName=name, VersionNumber=newest["Version"])
    actual = layer["Content"].get("CodeSha256")
    if actual != expected_sha:
        return [
            f"layer {artifact.resource}: deployed {actual}, built {artifact.path} is {expected_sha}"
        ]
    return []


def _layer_name(deployed: dict[str, Any], logical: str, values: dict[str, str]) -> str:
    return str(
        resolve(deployed, deployed["Resources"][logical]["Properties"].get("LayerName"), values)
    )


def _logical_layer_id(deployed: dict[str, Any], resource: str) -> str | None:
    # The translator renames layers to <name><content hash>, so a new version deploys.
    for logical, spec in deployed["Resources"].items():
        if spec["Type"] == "AWS::Lambda::LayerVersion" and logical.startswith(resource):
            return str(logical)
    return None


def _verify_function_template(
    artifact: Artifact,
    name: str,
    deployed: dict[str, Any],
    values: dict[str, str],
    layers: list[str],
    wanted: list[str],
    alias: str,
) -> list[str]:
    # moto's CloudFormation does not pass Architectures or Layers on to the function it
    # creates, so these two are checked on the template the stack was created from.
    problems = []
    spec = deployed["Resources"][artifact.resource]["Properties"]
    architecture = values["Architecture"]
    if spec.get("Architectures") not in ([architecture], [{"Ref": "Architecture"}]):
        problems.append(f"{name}: Architectures is {spec.get('Architectures')}")
    layer_refs = [_ref_name(resolve(deployed, ref, values)) for ref in spec.get("Layers", [])]
    # Back from the translator's <name><content hash> logical ids to the template's names.
    sources = [
        max((n for n in layers if ref and ref.startswith(n)), key=len, default=ref)
        for ref in layer_refs
    ]
    if sources != wanted:
        problems.append(f"{name}: layers are {layer_refs}, expected {wanted}")
    # moto ignores SnapStart, and its stack updates publish a version before updating the
    # code (CloudFormation orders by dependency): both are checked on the template.
    apply_on = resolve(deployed, spec.get("SnapStart", {}).get("ApplyOn", "None"), values)
    wanted_apply_on = "PublishedVersions" if values["SnapStart"] == "true" else "None"
    if apply_on != wanted_apply_on:
        problems.append(f"{name}: SnapStart applies on {apply_on}, expected {wanted_apply_on}")
    problems += _verify_alias(artifact.resource, name, alias, deployed)
    return problems


def _verify_alias(resource: str, name: str, alias: str, deployed: dict[str, Any]) -> list[str]:
    """The API invokes the alias, which points at a version published from the code."""
    resources = deployed["Resources"]
    aliases = [
        (logical, spec["Properties"])
        for logical, spec in resources.items()
        if spec["Type"] == "AWS::Lambda::Alias"
        and spec["Properties"].get("FunctionName") == {"Ref": resource}
    ]
    if [props.get("Name") for _, props in aliases] != [alias]:
        return [f"{name}: aliases are {[p.get('Name') for _, p in aliases]}, expected [{alias!r}]"]
    logical, props = aliases[0]
    version = props.get("FunctionVersion", {}).get("Fn::GetAtt", [""])[0]
    if resources.get(version, {}).get("Type") != "AWS::Lambda::Version" or resources[version][
        "Properties"
    ].get("FunctionName") != {"Ref": resource}:
        return [f"{name}: alias {alias} does not point at a published version of {resource}"]
    uris = [
        json.dumps(method["x-amazon-apigateway-integration"]["uri"])
        for spec in resources.values()
        if spec["Type"] == "AWS::ApiGatewayV2::Api"
        for methods in spec["Properties"]["Body"]["paths"].values()
        for method in methods.values()
    ]
    if not any(f"${{{logical}}}" in uri for uri in uris):
        return [f"{name}: no API route invokes its {alias} alias"]
    if any(f"${{{resource}.Arn}}" in uri for uri in uris):
        return [f"{name}: an API route invokes $LATEST, not the {alias} alias"]
    return []


def _ref_name(value: Any) -> str | None:
    return str(value["Ref"]) if isinstance(value, dict) and "Ref" in value else None


def guards(deployed: dict[str, Any], values: dict[str, str]) -> tuple[list[str], list[str]]:
    """What the deployed stack enforces on callers and cost, as sentences; and its problems.

    Checked on the deployed template: moto's CloudFormation emulates neither API Gateway v2 nor
    DynamoDB's TTL and on-demand caps, so those resources exist only as the template declares.
    """
    report: list[str] = []
    problems: list[str] = []
    resources = deployed["Resources"]
    (api,) = [r["Properties"]["Body"] for r in resources.values() if r["Type"] == _HTTP_API]
    schemes = api.get("components", {}).get("securitySchemes", {})
    jwt = {
        name: scheme["x-amazon-apigateway-authorizer"]
        for name, scheme in schemes.items()
        if scheme.get("x-amazon-apigateway-authorizer", {}).get("type") == "jwt"
    }
    routes = [f"{method.upper()} {path}" for path, ops in api["paths"].items() for method in ops]
    open_routes = [
        f"{method.upper()} {path}"
        for path, ops in api["paths"].items()
        for method, op in ops.items()
        if not any(set(requirement) & set(jwt) for requirement in op.get("security", []))
    ]
    problems += [f"route {route} has no JWT authorizer" for route in open_routes]
    for name, authorizer in jwt.items():
        issuer = resolve(deployed, authorizer["jwtConfiguration"].get("issuer"), values)
        if authorizer.get("identitySource") != "$request.header.Authorization" or not issuer:
            problems.append(f"JWT authorizer {name}: no issuer or not the Authorization header")
        report.append(
            f"JWT authorizer {name} on {len(routes) - len(open_routes)}/{len(routes)} routes, "
            f"issuer {json.dumps(issuer)}"
        )
    stages = [r["Properties"] for r in resources.values() if r["Type"] == _HTTP_STAGE]
    for stage in stages:
        settings = stage.get("DefaultRouteSettings", {})
        limits = {k: resolve(deployed, settings.get(k), values) for k in _THROTTLING}
        if any(limits[k] != values[k] for k in _THROTTLING):
            problems.append(f"stage {stage.get('StageName')}: throttling is {limits}")
        report.append(
            f"throttling per route: burst {limits['ThrottlingBurstLimit']}, "
            f"{limits['ThrottlingRateLimit']} requests/s, beyond them 429"
        )
    if not stages:
        problems.append("the HTTP API has no stage with throttling")
    for logical, table in [
        (n, r["Properties"]) for n, r in resources.items() if r["Type"] == _TABLE
    ]:
        # Storage and throughput are what a flood costs: every table expires its items and
        # caps its on-demand throughput.
        ttl = table.get("TimeToLiveSpecification", {})
        if not (ttl.get("Enabled") is True and ttl.get("AttributeName")):
            problems.append(f"table {logical}: no TTL (TimeToLiveSpecification is {ttl})")
        caps = {
            k: resolve(deployed, v, values) for k, v in table.get("OnDemandThroughput", {}).items()
        }
        if sorted(caps) != sorted(_TABLE_CAPS) or not all(str(v).isdigit() for v in caps.values()):
            problems.append(f"table {logical}: on-demand caps are {caps}")
        report.append(
            f"table {logical}: items expire (TTL on {ttl.get('AttributeName')}); caps: "
            f"{caps.get('MaxReadRequestUnits')} reads/s, {caps.get('MaxWriteRequestUnits')} writes/s"
        )
    reserved = values["ReservedConcurrency"]
    report.append(f"reserved concurrency per function: {reserved if reserved != '0' else 'none'}")
    return report, problems


_HTTP_API = "AWS::ApiGatewayV2::Api"
_HTTP_STAGE = "AWS::ApiGatewayV2::Stage"
_TABLE = "AWS::DynamoDB::Table"
_THROTTLING = ("ThrottlingBurstLimit", "ThrottlingRateLimit")
_TABLE_CAPS = ("MaxReadRequestUnits", "MaxWriteRequestUnits")


def _verify_function_guards(
    name: str, function: str, values: dict[str, str], target: Target
) -> list[str]:
    """Reserved concurrency and retention, as the deployed function reports them."""
    problems = []
    lambda_client: LambdaClient = target.client("lambda")
    reserved = lambda_client.get_function_concurrency(FunctionName=function).get(
        "ReservedConcurrentExecutions"
    )
    wanted = None if values["ReservedConcurrency"] == "0" else int(values["ReservedConcurrency"])
    if reserved != wanted:
        problems.append(f"{name}: reserved concurrency is {reserved}, expected {wanted}")
    return problems


def _verify_environment(name: str, config: Any, wanted: dict[str, str]) -> list[str]:
    """The function's variables are the template's, parameters and table names filled in."""
    actual = config.get("Environment", {}).get("Variables", {})
    # AWS passes environment values as strings; moto keeps a Number parameter's type.
    actual = {key: str(value) for key, value in actual.items()}
    return [
        f"{name}: {key} is {actual.get(key)!r}, expected {value!r}"
        for key, value in sorted(wanted.items())
        if actual.get(key) != value
    ]


def _parse_policy(text: str) -> Any:
    """IAM sends policies URL-encoded; moto's CloudFormation stores a Python repr instead."""
    text = urllib.parse.unquote(text)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return ast.literal_eval(text)


def _verify_role(
    name: str,
    role_arn: str,
    table_arns: dict[str, str],
    declared: dict[str, frozenset[str]],
    iam: IAMClient,
    managed: set[str],
) -> list[str]:
    """The role may do what the template grants on the tables it names, and nothing else,
    plus the `managed` policies."""
    granted_on = {table_arns[table]: actions for table, actions in declared.items()}
    problems = []
    role = role_arn.rsplit("/", 1)[-1]
    granted: set[str] = set()
    for policy_name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document: Any = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]
        if isinstance(document, str):
            document = _parse_policy(document)
        statements = document.get("Statement", [])
        statements = [statements] if isinstance(statements, dict) else statements
        for statement in statements:
            actions = statement["Action"]
            actions = [actions] if isinstance(actions, str) else actions
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            if statement.get("Effect") != "Allow":
                continue
            # On the tables it names only (a table's indexes are `<table ARN>/index/...`);
            # which actions, the comparison below says.
            if any(r.split("/index/")[0] not in granted_on for r in resources):
                problems.append(f"{name}: {policy_name} grants {actions} on {resources}")
            granted |= set(actions)
    everything = frozenset().union(*declared.values())
    if granted != everything:
        problems.append(
            f"{name}: may {sorted(granted)}, but the template grants only {sorted(everything)}"
        )
    attached = {
        p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    }
    if attached - managed:
        problems.append(f"{name}: extra managed policies {sorted(attached - managed)}")
    return problems

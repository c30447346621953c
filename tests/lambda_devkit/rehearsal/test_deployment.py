"""Deploy rehearsal, the checks that only read a deployment: the template as built, deployed
once per architecture for the whole file, verified end to end, and the mismatches `verify`
names when the deployed template or the zips differ. (Checks that change the live stack make a
deployment of their own: test_rehearsal.py.) The zips are stand-ins, as in test_rehearsal.py."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.moto_server import MotoServer
from lambda_devkit.rehearsal.deploy import Target, deploy, guards, verify
from lambda_devkit.testing.dist import lay_out_stand_ins
from lambda_devkit.testing.local_server import with_handler

# The function the checks change or inspect: the template's first that uses a table (a
# widened role is about its grants), and its zip.
SUBJECT = next(f for f in service_spec.functions() if f.table_grants)
SUBJECT_ZIP = SUBJECT.artifact
TABLE = SUBJECT.table_grants[0][0]
TTL = sam.load()["Resources"][TABLE]["Properties"]["TimeToLiveSpecification"]["AttributeName"]


@pytest.fixture
def buildroot(tmp_path: Path) -> Path:
    """A zip at each path the template deploys from (the rehearsal never runs them), the same
    as the deployed ones, free to modify."""
    return lay_out_stand_ins(tmp_path)


@dataclass(frozen=True)
class Deployment:
    target: Target
    deployed: dict[str, Any]

    def template(self) -> dict[str, Any]:
        """The deployed template, a copy of the test's own to change before verifying."""
        return copy.deepcopy(self.deployed)


@pytest.fixture(scope="module", params=["arm64", "x86_64"])
def deployment(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, moto: MotoServer
) -> Deployment:
    # moto keeps its state per process: the process's one server (conftest.py) is emptied
    # for each architecture's deployment, which lasts until the other's replaces it (the
    # tests here only read it; pytest runs one architecture's, then the other's).
    architecture: str = request.param  # type: ignore[attr-defined]
    built = lay_out_stand_ins(tmp_path_factory.mktemp("deployed"))
    moto.reset()
    target = Target(endpoint=moto.endpoint, architecture=architecture)
    return Deployment(target, deploy(sam.load(), built, target))


def test_deployed_stack_matches_the_build(buildroot: Path, deployment: Deployment) -> None:
    template, target, deployed = sam.load(), deployment.target, deployment.template()
    assert verify(template, deployed, buildroot, target) == []
    functions = target.client("lambda").list_functions()["Functions"]
    names = service_spec.function_names(target.stage)
    assert sorted(f["FunctionName"] for f in functions) == sorted(names.values())
    assert {f["CodeSha256"] for f in functions if f["FunctionName"] == names[SUBJECT.name]} == {
        sam.code_sha256(buildroot / SUBJECT_ZIP)
    }
    enforced, problems = guards(deployed, sam.parameter_values(template, target.parameters))
    assert problems == []
    routes = sum(len(f.routes) for f in service_spec.functions())
    assert enforced[0].startswith(
        f"JWT authorizer JwtAuthorizer on {routes}/{routes} routes, issuer "
    )
    assert "cognito-idp" in enforced[0]
    assert enforced[1:] == [
        "throttling per route: burst 20, 10 requests/s, beyond them 429",
        f"table {TABLE}: items expire (TTL on {TTL}); caps: 100 reads/s, 100 writes/s",
        "reserved concurrency per function: 10",
    ]


def test_an_api_route_that_bypasses_the_alias_is_caught(
    buildroot: Path, deployment: Deployment
) -> None:
    template, target, deployed = sam.load(), deployment.target, deployment.template()
    api = next(r for r in deployed["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api")
    route = SUBJECT.routes[0]
    integration = api["Properties"]["Body"]["paths"][route.path][route.method.lower()][
        "x-amazon-apigateway-integration"
    ]
    integration["uri"] = {
        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31"
        f"/functions/${{{SUBJECT.resource}.Arn}}/invocations"
    }
    assert verify(template, deployed, buildroot, target) == [
        f"{SUBJECT.name}: no API route invokes its live alias"
    ]


def test_a_zip_rebuilt_without_redeploying_is_caught(
    buildroot: Path, deployment: Deployment
) -> None:
    template, target, deployed = sam.load(), deployment.target, deployment.template()
    zip_path = buildroot / SUBJECT_ZIP  # what a handler edit and `./pants package` do to it
    zip_path.write_bytes(with_handler(zip_path.read_bytes(), "# edited\n"))
    problems = verify(template, deployed, buildroot, target)
    assert len(problems) == 1
    assert problems[0].startswith(f"{SUBJECT.name}: deployed code")


def test_a_route_without_the_authorizer_is_caught(buildroot: Path, deployment: Deployment) -> None:
    template, target, deployed = sam.load(), deployment.target, deployment.template()
    api = next(r for r in deployed["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api")
    route = service_spec.functions()[-1].routes[0]
    del api["Properties"]["Body"]["paths"][route.path][route.method.lower()]["security"]
    assert verify(template, deployed, buildroot, target) == [f"route {route} has no JWT authorizer"]

"""Deploy rehearsal: the template and its zips through moto's CloudFormation API, verified end to
end. The rehearsal uploads and hashes the zips, never runs them: stand-ins serve (CI's rehearsal
step deploys the real ones, docs/deploy.md). Each check that changes the stack deploys its own,
on the process's one moto server emptied for it (conftest.py)."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.rehearsal.deploy import Target, deploy, guards, verify
from lambda_devkit.testing.dist import lay_out_stand_ins

# The function the checks change or inspect: the template's first that uses a table (a
# widened role is about its grants), and its zip.
SUBJECT = next(f for f in service_spec.functions() if f.table_grants)
SUBJECT_ZIP = SUBJECT.artifact
SUBJECT_NAME = service_spec.function_names("rehearsal")[SUBJECT.name]  # as deployed
# Its table, and an action on it the template does not grant it.
TABLE = SUBJECT.table_grants[0][0]
WIDENED = next(
    a for a in ("dynamodb:DeleteItem", "dynamodb:DeleteTable") if a not in SUBJECT.table_actions
)


@pytest.fixture
def buildroot(tmp_path: Path) -> Path:
    """A zip at each path the template deploys from, laid out as dist/ under a build root."""
    return lay_out_stand_ins(tmp_path)


@pytest.fixture(params=["arm64", "x86_64"])
def target(request: pytest.FixtureRequest, endpoint: str) -> Target:
    architecture: str = request.param  # type: ignore[attr-defined]
    return Target(endpoint=endpoint, architecture=architecture)


@pytest.fixture
def one_target(endpoint: str) -> Target:
    """For checks that do not depend on the architecture: one deployment, not two."""
    return Target(endpoint=endpoint)


def rebuild_with_change(zip_path: Path) -> None:
    """What a code edit followed by `./pants package` does to one function zip."""
    source = zipfile.ZipFile(io.BytesIO(zip_path.read_bytes()))
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as rebuilt:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".py"):
                data += b"\n# edited\n"
            rebuilt.writestr(info, data)


def code_hashes(target: Target) -> dict[str, str]:
    functions = target.client("lambda").list_functions()["Functions"]
    return {f["FunctionName"]: f["CodeSha256"] for f in functions}


def test_snapstart_is_on_when_asked_for(buildroot: Path, endpoint: str) -> None:
    template = sam.load()
    target = Target(endpoint=endpoint, snapstart=True)
    deployed = deploy(template, buildroot, target)
    assert verify(template, deployed, buildroot, target) == []


def test_a_template_that_ignores_the_snapstart_parameter_is_caught(
    buildroot: Path, endpoint: str
) -> None:
    template = sam.load()
    del template["Globals"]["Function"]["SnapStart"]
    target = Target(endpoint=endpoint, snapstart=True)
    deployed = deploy(template, buildroot, target)
    assert verify(template, deployed, buildroot, target) == [
        f"{sam.function_name_of(a.path)}: SnapStart applies on None, expected PublishedVersions"
        for a in sam.artifacts(template)
        if a.resource_type == sam.FUNCTION
    ]


def test_a_role_widened_after_deploy_is_caught(buildroot: Path, target: Target) -> None:
    template = sam.load()
    deployed = deploy(template, buildroot, target)
    function = target.client("lambda").get_function(FunctionName=SUBJECT_NAME)
    table_name = service_spec.table_names(target.stage)[TABLE]
    table = target.client("dynamodb").describe_table(TableName=table_name)
    target.client("iam").put_role_policy(
        RoleName=function["Configuration"]["Role"].rsplit("/", 1)[-1],
        PolicyName="widened",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": [WIDENED],
                        "Resource": table["Table"]["TableArn"],
                    }
                ],
            }
        ),
    )
    granted = sorted(SUBJECT.table_actions)
    assert verify(template, deployed, buildroot, target) == [
        f"{SUBJECT.name}: may {sorted([*granted, WIDENED])}, but the template grants only {granted}"
    ]


def test_redeploying_after_one_handler_changes_updates_only_that_function(
    buildroot: Path, target: Target
) -> None:
    template = sam.load()
    deploy(template, buildroot, target)
    before = code_hashes(target)
    rebuild_with_change(buildroot / SUBJECT_ZIP)
    deployed = deploy(template, buildroot, target)
    after = code_hashes(target)
    assert verify(template, deployed, buildroot, target) == []
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {SUBJECT_NAME}


def test_guard_parameters_reach_the_deployed_functions(buildroot: Path, endpoint: str) -> None:
    template = sam.load()
    target = Target(
        endpoint=endpoint,
        overrides={
            "ReservedConcurrency": "3",
            "HistoryRetentionDays": "7",
            "ThrottlingRateLimit": "2",
            "JwtIssuer": "https://login.example.com/",
            "JwtAudience": "calculator-api",
        },
    )
    deployed = deploy(template, buildroot, target)
    assert verify(template, deployed, buildroot, target) == []
    concurrency = target.client("lambda").get_function_concurrency(FunctionName=SUBJECT_NAME)
    assert concurrency["ReservedConcurrentExecutions"] == 3
    enforced, _ = guards(deployed, sam.parameter_values(template, target.parameters))
    assert '"https://login.example.com/"' in enforced[0]
    assert "2 requests/s" in enforced[1]
    config = target.client("lambda").get_function_configuration(FunctionName=SUBJECT_NAME)
    assert str(config["Environment"]["Variables"]["HISTORY_RETENTION_DAYS"]) == "7"


def test_no_reserved_concurrency_when_set_to_zero(buildroot: Path, endpoint: str) -> None:
    template = sam.load()
    target = Target(endpoint=endpoint, overrides={"ReservedConcurrency": "0"})
    deployed = deploy(template, buildroot, target)
    assert verify(template, deployed, buildroot, target) == []


def test_a_template_without_ttl_or_honest_throttling_is_caught(
    buildroot: Path, one_target: Target
) -> None:
    target = one_target
    template = sam.load()
    changed: dict[str, Any] = copy.deepcopy(template)
    del changed["Resources"][TABLE]["Properties"]["TimeToLiveSpecification"]
    settings = changed["Resources"]["HttpApi"]["Properties"]["DefaultRouteSettings"]
    settings["ThrottlingRateLimit"] = 10_000
    deployed = deploy(changed, buildroot, target)
    problems = verify(changed, deployed, buildroot, target)
    assert problems == [
        "stage $default: throttling is {'ThrottlingBurstLimit': '20', 'ThrottlingRateLimit': 10000}",
        f"table {TABLE}: no TTL (TimeToLiveSpecification is {{}})",
    ]

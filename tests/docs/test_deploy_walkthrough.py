"""docs/deploy.md's walkthrough names what the template deploys: the stack's outputs it reads,
the auth flow it asks the user pool's client for, the log groups it tails, the stack name."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.docs_steps import Section, section

PAGE = Path("docs/deploy.md")
WALKTHROUGH = "Deploying, step by step"
# The one helper the page defines to read an output: `output NAME` prints its value.
QUERY = "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return sam.load()


def commands(walkthrough: Section) -> str:
    return "\n".join(block.script for block in walkthrough.blocks)


def walkthrough() -> Section:
    return section(str(PAGE), PAGE.read_text(), WALKTHROUGH)


def outputs_read(text: str) -> list[str]:
    """The outputs the commands read: each `output NAME` call, alone or in `$(...)`."""
    return re.findall(r"(?:^|\$\()output (\w+)", text, re.MULTILINE)


def test_the_outputs_it_reads_are_the_templates(template: dict[str, Any]) -> None:
    text = commands(walkthrough())
    assert f'--query "{QUERY}"' in text
    read = outputs_read(text)
    assert {"UserPoolId", "UserPoolClientId", "ApiUrl", "TableName", "Dashboard"} <= set(read)
    missing = sorted(set(read) - set(template["Outputs"]))
    assert missing == [], f"{PAGE} reads outputs the template does not have: {missing}"


def test_the_outputs_it_reads_exist_with_the_default_parameters(template: dict[str, Any]) -> None:
    # UserPoolId and UserPoolClientId are conditional: a deploy with its own JwtIssuer has none.
    values = sam.parameter_values(template)
    for name in outputs_read(commands(walkthrough())):
        condition = template["Outputs"][name].get("Condition")
        assert condition is None or sam.condition_holds(template, condition, values), name


def test_the_auth_flow_it_uses_is_allowed_by_the_user_pool_client(
    template: dict[str, Any],
) -> None:
    flows = re.findall(r"--auth-flow (\w+)", commands(walkthrough()))
    assert flows == ["USER_PASSWORD_AUTH"]
    (client,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Cognito::UserPoolClient"
    ]
    assert f"ALLOW_{flows[0]}" in client["Properties"]["ExplicitAuthFlows"]


def test_the_log_groups_and_stack_it_names_are_the_default_stages(
    template: dict[str, Any],
) -> None:
    text = commands(walkthrough())
    config = tomllib.loads(Path("infra/samconfig.toml").read_text())["default"]["deploy"]
    assert f"STACK={config['parameters']['stack_name']}\n" in text
    stage = re.search(r"Stage=(\w+)", config["parameters"]["parameter_overrides"])
    assert stage is not None
    values = sam.parameter_values(template, {"Stage": stage.group(1)})
    groups = {
        sam.resolve(template, r["Properties"]["LogGroupName"], values)
        for r in template["Resources"].values()
        if r["Type"] == "AWS::Logs::LogGroup"
    }
    # The page says each function logs to /aws/lambda/calculator-<Stage>-<function>, and tails
    # one such group (the calculator's add: a fork that removes it still has the pattern).
    pattern = f"/aws/lambda/calculator-{stage.group(1)}-"
    assert groups == {pattern + f.name for f in service_spec.functions(template)}
    tailed = re.findall(r"aws logs tail (\S+)", text)
    assert tailed and all(re.fullmatch(re.escape(pattern) + r"\w+", g) for g in tailed), tailed

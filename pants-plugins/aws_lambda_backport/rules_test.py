"""Builds real Lambda zips with the backported targets and inspects what is inside."""

from __future__ import annotations

import io
import zipfile

import pytest  # pants: no-infer-dep (pytest comes with pants.testutil)
from pants.backend.python.target_types import (
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
)
from pants.backend.python.target_types_rules import rules as python_target_types_rules
from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.core.target_types import FileTarget, ResourceTarget
from pants.core.target_types import rules as core_target_types_rules
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from aws_lambda_backport import register
from aws_lambda_backport.rules import (
    LambdaPlatforms,
    LambdaPlatformsRequest,
    PythonAwsLambdaFunctionFieldSet,
    PythonAwsLambdaLayerFieldSet,
)
from plugin_testing import ENV_INHERIT, pants_toml_args

PROJECT = {
    "src/app/BUILD": """\
python_sources()
python_aws_lambda_function(
    name="lambda",
    handler="handler.py:handle",
    runtime="python3.13",
    architecture="arm64",
    dependencies=["!!src/lib"],
)
""",
    "src/app/handler.py": "from lib.greeting import greet\n\ndef handle(event, context):\n"
    "    return greet(event)\n",
    "src/lib/BUILD": """\
python_sources()
resource(name="marker", source="py.typed")
python_aws_lambda_layer(
    name="layer",
    runtime="python3.13",
    dependencies=[":lib", ":marker"],
    include_requirements=False,
)
""",
    "src/lib/greeting.py": "def greet(name):\n    return 'hello ' + name\n",
    "src/lib/py.typed": "",
}


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            *python_target_types_rules(),
            *core_target_types_rules(),
            QueryRule(BuiltPackage, [PythonAwsLambdaFunctionFieldSet]),
            QueryRule(BuiltPackage, [PythonAwsLambdaLayerFieldSet]),
            QueryRule(LambdaPlatforms, [LambdaPlatformsRequest]),
        ],
        target_types=[
            *register.target_types(),
            PythonSourcesGeneratorTarget,
            PythonSourceTarget,
            ResourceTarget,
            FileTarget,
        ],
    )
    runner.set_options(
        ["--source-root-patterns=['src']", *pants_toml_args()], env_inherit=ENV_INHERIT
    )
    runner.write_files(PROJECT)
    return runner


def build(
    rule_runner: RuleRunner, address: Address, field_set_type: type[PackageFieldSet]
) -> tuple[BuiltPackage, dict[str, bytes]]:
    field_set = field_set_type.create(rule_runner.get_target(address))
    built = rule_runner.request(BuiltPackage, [field_set])
    (artifact,) = built.artifacts
    (zip_file,) = rule_runner.request(DigestContents, [built.digest])
    assert zip_file.path == artifact.relpath
    with zipfile.ZipFile(io.BytesIO(zip_file.content)) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    return built, files


def test_function_zip_holds_its_code_and_the_reexported_handler(rule_runner: RuleRunner) -> None:
    built, files = build(
        rule_runner, Address("src/app", target_name="lambda"), PythonAwsLambdaFunctionFieldSet
    )
    # `!!src/lib` keeps the layer's code out, although handler.py imports it.
    assert set(files) == {"app/handler.py", "lambda_function.py"}
    assert files["lambda_function.py"] == b"from app.handler import handle as handler\n"
    assert built.artifacts[0].relpath == "src.app/lambda.zip"
    assert "    Handler: lambda_function.handler" in built.artifacts[0].extra_log_lines
    assert "    Complete platform: python3.13-arm64.json" in built.artifacts[0].extra_log_lines


def test_layer_lays_everything_out_under_python(rule_runner: RuleRunner) -> None:
    _, files = build(
        rule_runner, Address("src/lib", target_name="layer"), PythonAwsLambdaLayerFieldSet
    )
    assert set(files) == {"python/lib/greeting.py", "python/lib/py.typed"}


def test_zips_are_reproducible(rule_runner: RuleRunner) -> None:
    _, first = build(
        rule_runner, Address("src/lib", target_name="layer"), PythonAwsLambdaLayerFieldSet
    )
    rule_runner.write_files({"src/lib/greeting.py": "def greet(name):\n    return name\n"})
    _, changed = build(
        rule_runner, Address("src/lib", target_name="layer"), PythonAwsLambdaLayerFieldSet
    )
    assert first != changed
    rule_runner.write_files(PROJECT)
    _, again = build(
        rule_runner, Address("src/lib", target_name="layer"), PythonAwsLambdaLayerFieldSet
    )
    assert again == first


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_architecture_selects_the_bundled_complete_platform(
    rule_runner: RuleRunner, architecture: str
) -> None:
    rule_runner.write_files(
        {
            "src/arch/BUILD": f"python_aws_lambda_layer(name='l', runtime='python3.13', "
            f"architecture='{architecture}', dependencies=['src/lib'])"
        }
    )
    field_set = PythonAwsLambdaLayerFieldSet.create(
        rule_runner.get_target(Address("src/arch", target_name="l"))
    )
    platforms = rule_runner.request(
        LambdaPlatforms,
        [
            LambdaPlatformsRequest(
                field_set.address,
                field_set.runtime,
                field_set.architecture,
                field_set.complete_platforms,
            )
        ],
    )
    (path,) = platforms.complete_platforms
    assert path.endswith(f"python3.13-{architecture}.json")
    (content,) = rule_runner.request(DigestContents, [platforms.complete_platforms.digest])
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    assert f'"cp313-cp313-manylinux_2_34_{machine}"'.encode() in content.content
    assert b"manylinux_2_35" not in content.content


def test_unknown_architecture_is_rejected(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/bad/BUILD": "python_aws_lambda_layer(name='l', runtime='python3.13', "
            "architecture='sparc', dependencies=['src/lib'])"
        }
    )
    with pytest.raises(ExecutionError, match="sparc"):
        rule_runner.get_target(Address("src/bad", target_name="l"))

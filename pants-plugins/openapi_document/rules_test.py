"""Packages real `openapi_document` targets in a RuleRunner: a PEX is built and run, and its file
lands where `output_path` says, with the closure's files beside it and its failures reported."""

from __future__ import annotations

import json

import pytest  # pants: no-infer-dep (pytest comes with pants.testutil)
from pants.backend.python.target_types import PythonSourcesGeneratorTarget, PythonSourceTarget
from pants.backend.python.target_types_rules import rules as python_target_types_rules
from pants.backend.python.util_rules import pex_from_targets
from pants.core.goals.package import BuiltPackage
from pants.core.target_types import FileTarget
from pants.core.target_types import rules as core_target_types_rules
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from openapi_document import register
from openapi_document.rules import OpenApiDocumentFieldSet
from plugin_testing import ENV_INHERIT, pants_toml_args, python_infer_args

# Writes its arguments and a file of its closure, read at its build-root path, as JSON.
GENERATOR = """\
import json, pathlib, sys
args = sys.argv[1:]
output = pathlib.Path(args[args.index("--output") + 1])
output.parent.mkdir(parents=True, exist_ok=True)
if "--fail" in args:
    sys.exit("generator: the routes disagree with the template")
output.write_text(json.dumps({"args": args, "template": pathlib.Path("infra/t.yaml").read_text()}))
"""


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    """One runner for the module, so that the generators' PEXes are built once: each test
    packages a target of its own, in a directory of its own."""
    runner = RuleRunner(
        rules=[
            *register.rules(),
            *pex_from_targets.rules(),
            *python_target_types_rules(),
            *core_target_types_rules(),
            QueryRule(BuiltPackage, [OpenApiDocumentFieldSet]),
        ],
        target_types=[
            *register.target_types(),
            PythonSourcesGeneratorTarget,
            PythonSourceTarget,
            FileTarget,
        ],
    )
    runner.set_options(
        ["--source-root-patterns=['/src']", *pants_toml_args(), *python_infer_args()],
        env_inherit=ENV_INHERIT,
    )
    runner.write_files(
        {
            "src/gen/__init__.py": "",
            "src/gen/write.py": GENERATOR,
            "src/gen/BUILD": "python_sources()",
            "infra/t.yaml": "Resources: {}\n",
            "infra/BUILD": 'file(name="t", source="t.yaml")',
        }
    )
    return runner


def package(
    rule_runner: RuleRunner, directory: str, build: str
) -> tuple[BuiltPackage, dict[str, bytes]]:
    """Packages the `doc` target that `build` declares, as `<directory>/BUILD`."""
    rule_runner.write_files({f"{directory}/BUILD": build})
    target = rule_runner.get_target(Address(directory, target_name="doc"))
    built = rule_runner.request(BuiltPackage, [OpenApiDocumentFieldSet.create(target)])
    contents = rule_runner.request(DigestContents, [built.digest])
    return built, {c.path: c.content for c in contents}


def test_the_document_is_what_the_generator_writes(rule_runner: RuleRunner) -> None:
    built, files = package(
        rule_runner,
        "api_default",
        'openapi_document(name="doc", generator="gen.write", args=["build", "--title", "T"], '
        'dependencies=["src/gen/write.py", "infra:t"])',
    )
    assert [a.relpath for a in built.artifacts] == ["openapi.json"]
    assert list(files) == ["openapi.json"]
    document = json.loads(files["openapi.json"])
    assert document == {
        "args": ["build", "--title", "T", "--output", "openapi.json"],
        "template": "Resources: {}\n",
    }


def test_output_path_places_the_document(rule_runner: RuleRunner) -> None:
    built, files = package(
        rule_runner,
        "api_output_path",
        'openapi_document(name="doc", generator="gen.write", output_path="api/v1.json", '
        'dependencies=["src/gen/write.py", "infra:t"])',
    )
    assert [a.relpath for a in built.artifacts] == ["api/v1.json"]
    assert json.loads(files["api/v1.json"])["args"] == ["--output", "api/v1.json"]


def test_a_failing_generator_fails_the_package_with_its_message(rule_runner: RuleRunner) -> None:
    with pytest.raises(ExecutionError, match="the routes disagree with the template"):
        package(
            rule_runner,
            "api_failing",
            'openapi_document(name="doc", generator="gen.write", args=["--fail"], '
            'dependencies=["src/gen/write.py", "infra:t"])',
        )

"""The function generator, run into a scratch copy of the repo: every file it touches is right.

What it writes must be what the repo's own checks accept: the template parses, cfn-lint is
clean, the new function is in the template, the Pants list and README as the others are, its
handler has the frame of every existing handler, and its generated unit test passes.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cfnlint.api import lint_all

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.readme import architecture_row, function_rows
from lambda_devkit.rehearsal import observability
from lambda_devkit.rehearsal.deploy import Target, to_cloudformation, with_uris
from lambda_devkit.scaffold.new_function import (
    PRELUDE,
    TEMPLATE,
    NewFunction,
    Refused,
    add_function,
)

# What the generator reads, and what the generated unit test needs to run (its conftest).
COPIED = [
    "README.md",
    str(TEMPLATE),
    str(PRELUDE),
    "src/python/calculator/functions/*/BUILD",
    "src/python/calculator/functions/*/handler.py",
    "tests/calculator/functions/*/BUILD",
    "tests/events/*.json",
    "tests/conftest.py",
]


def fresh(stem: str) -> str:
    """A name no function has, nor route uses, even after someone generated `stem` for real."""
    taken = {f.name for f in service_spec.functions()}
    taken |= {r.path.strip("/") for f in service_spec.functions() for r in f.routes}
    return next(n for n in (stem, *(f"{stem}{i}" for i in range(1, 100))) if n not in taken)


NEW = [
    NewFunction(name, method, f"/{name}")
    for name, method in ((fresh("scaffold_post"), "POST"), (fresh("scaffold_get"), "GET"))
]


def scratch_copy(root: Path) -> Path:
    for pattern in COPIED:
        matches = list(Path().glob(pattern))
        assert matches, f"{pattern} is not in the test's sandbox"
        for path in matches:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, root / path)
    return root


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scratch_copy(tmp_path_factory.mktemp("repo"))
    for new in NEW:
        add_function(root, new)
    return root


def prelude_functions(root: Path) -> list[str]:
    tree = ast.parse((root / PRELUDE).read_text())
    (value,) = [
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["CALCULATOR_FUNCTIONS"]
    ]
    return list(ast.literal_eval(value))


def test_the_template_deploys_each_new_function_with_its_route_and_no_table_access(
    generated: Path,
) -> None:
    template = sam.load(generated / TEMPLATE)
    functions = {f.name: f for f in service_spec.functions(template)}
    assert set(functions) == {f.name for f in service_spec.functions()} | {n.name for n in NEW}
    for new in NEW:
        function = functions[new.name]
        assert [str(route) for route in function.routes] == [new.route]
        assert function.table_actions == frozenset()
        assert function.build_target == f"src/python/calculator/functions/{new.name}:lambda"
        assert function.handler_module == f"calculator.functions.{new.name}.handler"
        log_group = template["Resources"][f"{new.pascal}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/calculator-${{Stage}}-{new.name}"
        }


def test_each_new_block_has_the_shape_of_the_existing_ones_but_the_policy(
    generated: Path,
) -> None:
    template = sam.load(generated / TEMPLATE)
    resources = template["Resources"]
    for existing in service_spec.functions():
        shape = set(resources[existing.resource]["Properties"]) - {"Policies"}
        log_shape = set(resources[existing.resource.replace("Function", "LogGroup")]["Properties"])
        for new in NEW:
            assert set(resources[f"{new.pascal}Function"]["Properties"]) == shape
            assert set(resources[f"{new.pascal}LogGroup"]["Properties"]) == log_shape


def test_each_new_function_is_alarmed_dashboarded_traced_and_named_in_its_metrics(
    generated: Path,
) -> None:
    # What the rehearsal checks on a deploy, on the generated template as the translator turns
    # it into CloudFormation: every function, the new ones included, has its alarms, each
    # notifying the topic; the dashboard searches cover it; it is traced.
    template = sam.load(generated / TEMPLATE)
    target = Target(endpoint="unused")
    uploaded = with_uris(
        template, {a.resource: f"s3://b/{a.resource}" for a in sam.artifacts(template)}
    )
    deployed = to_cloudformation(uploaded, target)
    report, problems = observability.check(
        deployed, sam.parameter_values(template, target.parameters)
    )
    assert problems == []
    for new in NEW:
        watched = [line for line in report if f"-{new.name}-" in line]
        assert [line.split(":")[0] for line in watched] == [
            f"calculator-rehearsal-{new.name}-{kind}"
            for kind in ("duration", "errors", "throttles")
        ]
        assert (
            service_spec.function_environment("t", new.name, template)[
                "POWERTOOLS_METRICS_FUNCTION_NAME"
            ]
            == new.name
        )


def test_cfn_lint_reports_nothing_on_the_generated_template(generated: Path) -> None:
    matches = lint_all((generated / TEMPLATE).read_text())
    assert [str(m) for m in matches if not m.rule.id.startswith("I")] == []


def test_pants_packages_each_new_function_for_the_tests(generated: Path) -> None:
    assert prelude_functions(generated) == sorted(
        [*prelude_functions(Path()), *(new.name for new in NEW)]
    )


def test_the_readme_has_each_new_functions_row(generated: Path) -> None:
    rows = function_rows(generated / "README.md")
    template = sam.load(generated / TEMPLATE)
    assert rows == sorted(architecture_row(f) for f in service_spec.functions(template))


def frame(handler: Path) -> list[str]:
    """What every handler module shares: how it makes its app, and its `handler`."""
    module = ast.parse(handler.read_text())
    return [
        ast.dump(node)
        for node in module.body
        if (isinstance(node, ast.FunctionDef) and node.name == "handler")
        or (
            isinstance(node, ast.Assign)
            and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["app"]
        )
    ]


def test_each_new_handler_has_the_frame_of_every_existing_handler(generated: Path) -> None:
    # When the way handlers are written changes, this fails until the generator follows.
    for existing in service_spec.functions():
        path = Path(service_spec.SOURCE_ROOT, *existing.handler_module.split(".")).with_suffix(
            ".py"
        )
        for new in NEW:
            generated_handler = generated / "src/python/calculator/functions" / new.name
            assert frame(generated_handler / "handler.py") == frame(path), (
                f"the generator writes a handler unlike {path}: update new_function.py"
            )


def test_the_generated_unit_tests_pass(generated: Path) -> None:
    tests = [
        str(generated / "tests/calculator/functions" / n.name / "test_handler.py") for n in NEW
    ]
    # The scratch tree first (its handlers, its conftest), then this test's own import path
    # (absolute: the run's working directory is the scratch tree).
    path = [
        str(generated / "src/python"),
        str(generated / "tests"),
        *map(os.path.abspath, sys.path),
    ]
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--import-mode=importlib",
            *tests,
        ],
        capture_output=True,
        text=True,
        cwd=generated,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in path if p)},
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "7 passed" in completed.stdout, completed.stdout


@pytest.mark.parametrize(
    ("new", "refusal"),
    [
        (NewFunction("add", "GET", "/sum"), "a function 'add' exists already"),
        (NewFunction("total", "POST", "/add"), "POST /add is add's route already"),
        (NewFunction("Total", "GET", "/total"), "'Total' is not a function name"),
        (NewFunction("import", "GET", "/import"), "'import' is not a function name"),
        (NewFunction("total", "GET", "total"), "'total' is not a path"),
    ],
)
def test_a_function_that_cannot_be_added_is_refused_saying_why(
    tmp_path: Path, new: NewFunction, refusal: str
) -> None:
    root = scratch_copy(tmp_path)
    before = (root / TEMPLATE).read_text()
    with pytest.raises(Refused, match=f"^{refusal}"):
        add_function(root, new)
    assert (root / TEMPLATE).read_text() == before

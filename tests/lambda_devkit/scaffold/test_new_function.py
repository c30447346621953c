"""The function generator, run into a scratch copy of the repo: every file it touches is right.

What it writes must be what the repo's own checks accept: the template parses, the new
function is in the template and the Pants list as the others are, and its handler has the
frame of every existing handler. It must work on any valid formatting of the template and the
prelude. (That cfn-lint passes the template it writes is test_template_lint.py's; that the
generated unit tests pass against the shared code is test_fork.py's, which runs them.)
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
import yaml

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.rehearsal import observability
from lambda_devkit.rehearsal.deploy import Target, to_cloudformation, with_uris
from lambda_devkit.scaffold import api_edit, prelude
from lambda_devkit.scaffold.new_function import (
    NewFunction,
    Refused,
    add_function,
    main,
)
from lambda_devkit.scaffold.remove_function import remove_function
from lambda_devkit.testing.tree import (
    drift,
    new_functions,
    prelude_source_functions,
    scratch_copy,
)

TEMPLATE = sam.TEMPLATE
PRELUDE = prelude.PRELUDE


NEW = new_functions()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = scratch_copy(tmp_path_factory.mktemp("repo"))
    for new in NEW:
        add_function(root, new)
    return root


def test_the_template_deploys_each_new_function_with_its_route_and_the_table_access_it_needs(
    generated: Path,
) -> None:
    template = sam.load(generated / TEMPLATE)
    functions = {f.name: f for f in service_spec.functions(template)}
    assert set(functions) == {f.name for f in service_spec.functions()} | {n.name for n in NEW}
    for new in NEW:
        function = functions[new.name]
        assert [str(route) for route in function.routes] == [new.route]
        # A POST writes, and keeps its Idempotency-Keys in the table (conditional puts); a GET
        # starts with no access.
        wanted = {"dynamodb:PutItem"} if new.method == "POST" else set()
        assert function.table_actions == wanted
        assert function.build_target == f"src/python/calculator/functions/{new.name}:lambda"
        assert function.handler_module == f"calculator.functions.{new.name}.handler"
        log_group = template["Resources"][f"{new.pascal}LogGroup"]["Properties"]
        assert log_group["LogGroupName"] == {
            "Fn::Sub": f"/aws/lambda/calculator-${{Stage}}-{new.name}"
        }


def test_the_api_declares_each_new_route_for_its_handler_to_serve(generated: Path) -> None:
    declaration = (generated / "src/python/calculator/shared/api.py").read_text()
    declared = {d.name: f"{d.method} {d.path}" for d in api_edit.routes(declaration)}
    lines = declaration.splitlines()
    for new in NEW:
        assert declared[new.constant] == new.route
        (route,) = [d for d in api_edit.routes(declaration) if d.name == new.constant]
        statement = "\n".join(lines[route.start - 1 : route.end])
        assert ("writes=True" in statement) == (new.method == "POST"), statement
        handler = (generated / f"src/python/calculator/functions/{new.name}/handler.py").read_text()
        assert f"@app.serves(api.{new.constant}" in handler
    ast.parse(declaration)


def test_each_new_block_has_the_shape_of_the_existing_ones_but_the_policy(
    generated: Path,
) -> None:
    # When a property is added to every function (or a per-function resource), this fails
    # until scaffold/templates/resources.yaml.tmpl has it too.
    template = sam.load(generated / TEMPLATE)
    resources = template["Resources"]
    for existing in service_spec.functions():
        shape = set(resources[existing.resource]["Properties"]) - {"Policies"}
        log_shape = set(resources[existing.resource.replace("Function", "LogGroup")]["Properties"])
        for new in NEW:
            assert set(resources[f"{new.pascal}Function"]["Properties"]) - {"Policies"} == shape
            assert set(resources[f"{new.pascal}LogGroup"]["Properties"]) == log_shape


def test_each_new_function_is_alarmed_dashboarded_traced_and_named_in_its_metrics(
    generated: Path,
) -> None:
    # What the rehearsal checks on a deploy, on the generated template as the translator turns
    # it into CloudFormation: every function, the new ones included, has its alarms, each
    # notifying the topic; the dashboard searches cover it; it is traced.
    template = sam.load(generated / sam.TEMPLATE)
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
            service_spec.function_environment(
                service_spec.placeholder_tables("t", template), new.name, template
            )["POWERTOOLS_METRICS_FUNCTION_NAME"]
            == new.name
        )


def test_pants_packages_each_new_function_for_the_tests(generated: Path) -> None:
    assert prelude_source_functions(generated) == sorted(
        [*prelude_source_functions(Path()), *(new.name for new in NEW)]
    )
    assert drift(generated) == []


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
    # When the way handlers are written changes, this fails until the templates follow.
    for existing in service_spec.functions():
        path = Path(service_spec.SOURCE_ROOT, *existing.handler_module.split(".")).with_suffix(
            ".py"
        )
        for new in NEW:
            generated_handler = generated / "src/python/calculator/functions" / new.name
            assert frame(generated_handler / "handler.py") == frame(path), (
                f"the generator writes a handler unlike {path}: update scaffold/templates/"
            )


def reformatted(template_text: str) -> str:
    """The same template as other valid YAML: long-form intrinsics, keys sorted (Resources
    reordered, Parameters after Outputs), 4-space indentation, no comments."""
    data = yaml.load(template_text, Loader=sam._TemplateLoader)
    return yaml.safe_dump(data, indent=4, sort_keys=True, width=200)


def test_a_reformatted_and_reordered_template_is_edited_as_well(
    tmp_path: Path, generated: Path
) -> None:
    root = scratch_copy(tmp_path)
    (root / TEMPLATE).write_text(reformatted((root / TEMPLATE).read_text()))
    before = sam.load(root / TEMPLATE)
    for new in NEW:
        add_function(root, new)
    after = sam.load(root / TEMPLATE)
    assert set(after["Resources"]) - set(before["Resources"]) == {
        name
        for new in NEW
        for name in (
            f"{new.pascal}Function",
            f"{new.pascal}LogGroup",
            *(f"{new.pascal}{kind}Alarm" for kind in ("Errors", "Throttles", "Duration")),
        )
    }
    # The very template the scaffold writes into the file as formatted: the one cfn-lint
    # passes in test_template_lint.py (a second lint would take seconds to say the same).
    assert after == sam.load(generated / TEMPLATE)
    for new in NEW:
        remove_function(root, new.name)
    assert sam.load(root / TEMPLATE) == before


def test_the_prelude_list_is_written_as_ruff_formats_it(tmp_path: Path) -> None:
    # A fork that removes every example keeps one function: a one-name tuple stays on one line.
    root = scratch_copy(tmp_path)
    prelude.write_functions(root, ["only"])
    assert f'\n{prelude.FUNCTIONS_NAME} = ("only",)\n' in (root / PRELUDE).read_text()
    prelude.write_functions(root, ["only", "other"])
    assert (
        f'{prelude.FUNCTIONS_NAME} = (\n    "only",\n    "other",\n)\n'
        in (root / PRELUDE).read_text()
    )


def test_a_reformatted_prelude_is_edited_as_well(tmp_path: Path) -> None:
    root = scratch_copy(tmp_path)
    path = root / PRELUDE
    names = prelude.functions(root)
    original = path.read_text()
    one_line = f"{prelude.FUNCTIONS_NAME} = ({', '.join(repr(n) for n in names)},)  # inline"
    # The tuple on one line, with single quotes and a trailing comment, after a new statement.
    text = original.replace(
        original[original.index(f"{prelude.FUNCTIONS_NAME} = (") : original.index(")\n") + 1],
        f"UNRELATED = ('x',)\n{one_line}",
    )
    path.write_text(text)
    add_function(root, NEW[1])
    assert prelude.functions(root) == sorted([*names, NEW[1].name])
    assert "UNRELATED = ('x',)\n" in path.read_text()
    assert path.read_text().endswith(original[original.index(")\n") + 2 :])


def test_adding_then_removing_a_function_gives_back_every_file(tmp_path: Path) -> None:
    root = scratch_copy(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    add_function(root, NEW[0])
    remove_function(root, NEW[0].name)
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert sorted(after) == sorted(before)
    assert [p for p in before if before[p] != after[p]] == []


# A function the tree deploys, and its route: whichever the template has (a fork removes add).
TAKEN = service_spec.functions()[0]
TAKEN_ROUTE = TAKEN.routes[0]


@pytest.mark.parametrize(
    ("new", "refusal"),
    [
        (NewFunction(TAKEN.name, "GET", "/sum"), f"a function '{TAKEN.name}' exists already"),
        (
            NewFunction("total", TAKEN_ROUTE.method, TAKEN_ROUTE.path),
            f"{TAKEN_ROUTE} is {TAKEN.name}'s route already",
        ),
        (NewFunction("Total", "GET", "/total"), "'Total' is not a function name"),
        (NewFunction("import", "GET", "/import"), "'import' is not a function name"),
        (NewFunction("total", "GET", "total"), "'total' is not a path"),
        (NewFunction("total", "PUT", "/total"), "'PUT' is not a method the scaffold writes"),
    ],
)
def test_a_function_that_cannot_be_added_is_refused_saying_why(
    tmp_path: Path, new: NewFunction, refusal: str
) -> None:
    root = scratch_copy(tmp_path)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with pytest.raises(Refused, match=f"^{refusal}"):
        add_function(root, new)
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def flow_style_resources(text: str) -> str:
    data: dict[str, Any] = yaml.load(text, Loader=sam._TemplateLoader)
    resources = yaml.safe_dump(data.pop("Resources"), default_flow_style=True, width=10**9)
    return yaml.safe_dump(data, sort_keys=False) + "Resources: " + resources


@pytest.mark.parametrize(
    ("template", "refusal"),
    [
        (lambda text: text + "\n  : [", "cannot be parsed"),
        (flow_style_resources, "Resources is written in flow style"),
    ],
)
def test_a_template_it_cannot_edit_is_refused_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], template: Any, refusal: str
) -> None:
    root = scratch_copy(tmp_path)
    (root / TEMPLATE).write_text(template((root / TEMPLATE).read_text()))
    before = (root / TEMPLATE).read_text()
    assert main([NEW[1].name, "--root", str(root)]) == 2
    assert refusal in capsys.readouterr().err
    assert (root / TEMPLATE).read_text() == before

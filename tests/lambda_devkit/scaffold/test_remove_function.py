"""The removal command, run into a scratch copy of the repo: a function goes everywhere, alone.

Its template resources are found by references: what refers to the function (an alarm added
by hand, with any name) goes with it, what other functions use (the table, the API) stays,
and a resource it cannot take apart (one naming two functions) is refused before anything
changes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit import template as sam
from lambda_devkit.docs_tables import differences
from lambda_devkit.scaffold import prelude
from lambda_devkit.scaffold.layout import layout
from lambda_devkit.scaffold.new_function import add_function
from lambda_devkit.scaffold.remove_function import Refused, main, remove_function
from lambda_devkit.testing.tree import (
    FORK_FUNCTIONS,
    alarm_watching,
    drift,
    imported,
    mentions,
    scratch_copy,
    traces,
    with_resources,
    without_importers,
)

TEMPLATE = sam.TEMPLATE


# Whichever functions the tree has (a fork removes examples): one it can remove, one it cannot.
# If every function is imported elsewhere, the tests delete those importers in their copy.
REMOVED = next(
    (f.name for f in service_spec.functions() if not imported(f)), service_spec.functions()[0].name
)
IMPORTED = next((f.name for f in service_spec.functions() if imported(f)), None)


def files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_function_goes_with_what_only_it_uses_and_what_refers_to_it(tmp_path: Path) -> None:
    root = scratch_copy(tmp_path)
    without_importers(root, REMOVED)
    function = service_spec.function(REMOVED)
    # Named after nothing: found because it refers to the function, not by its name.
    with_resources(root, alarm_watching(function.resource))
    before = sam.load(root / TEMPLATE)
    changed, entries = remove_function(root, REMOVED)
    after = sam.load(root / TEMPLATE)
    log_group = before["Resources"][function.resource]["Properties"]["LoggingConfig"]["LogGroup"]
    # Its alarms (the template's own, and ErrorsWatch) watch it by a FunctionName dimension.
    watching = {"Name": "FunctionName", "Value": {"Ref": function.resource}}
    alarms = [
        name
        for name, resource in before["Resources"].items()
        if watching in resource.get("Properties", {}).get("Dimensions", [])
    ]
    assert "ErrorsWatch" in alarms
    assert sorted(name for _, name in entries) == sorted(
        [function.resource, log_group["Ref"], *alarms]
    )
    assert set(before["Resources"]) - set(after["Resources"]) == {n for _, n in entries}
    # The table and the API every other function uses stay, as every other section does.
    assert {k: v for k, v in after.items() if k != "Resources"} == {
        k: v for k, v in before.items() if k != "Resources"
    }
    assert REMOVED not in prelude.functions(root)
    for path in (function.target_dir, f"tests/calculator/functions/{REMOVED}", function.event):
        assert not (root / path).exists(), path
        assert root / path in changed
    assert drift(root) == []


def test_a_resource_shared_with_another_function_is_refused_before_anything_changes(
    tmp_path: Path,
) -> None:
    root = scratch_copy(tmp_path)
    without_importers(root, REMOVED)
    others = [f.resource for f in service_spec.functions() if f.name != REMOVED]
    with_resources(
        root,
        f"""
  Board:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardBody: !Sub '{{"f": ["${{{service_spec.function(REMOVED).resource}}}", "${{{others[0]}}}"]}}'
""",
    )
    before = files(root)
    with pytest.raises(Refused, match=f"Resources.Board refers to .* and to {others[0]}"):
        remove_function(root, REMOVED)
    assert files(root) == before


@pytest.mark.parametrize(
    ("name", "refusal"),
    [
        ("nothing", "the template deploys no function 'nothing' (it deploys: "),
        # The tests that import it: tests/calculator/service/ here, others in a fork.
        (IMPORTED, f"calculator.functions.{IMPORTED} is still used. tests/"),
    ],
)
def test_a_function_that_cannot_be_removed_is_refused_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str | None, refusal: str
) -> None:
    if name is None:
        pytest.skip("no function of this tree is imported by other code")
    root = scratch_copy(tmp_path)
    before = files(root)
    assert main([name, "--root", str(root)]) == 2
    assert capsys.readouterr().err.startswith(f"remove_function: {refusal}")
    assert files(root) == before


def test_the_last_function_is_refused(tmp_path: Path) -> None:
    root = scratch_copy(tmp_path)
    # Every function but one goes, each after the tests that import it (as a fork does).
    *others, last = [f.name for f in service_spec.functions()]
    for name in others:
        without_importers(root, name)
        remove_function(root, name)
    before = files(root)
    with pytest.raises(Refused, match=f"'{last}' is the last function"):
        remove_function(root, last)
    assert files(root) == before


def test_every_example_removed_then_a_get_and_a_post_added_leaves_no_drift(tmp_path: Path) -> None:
    """A fork's tree, made of the commands (test_fork.py runs that tree's unit tests,
    test_template_lint.py lints such a template)."""
    root = scratch_copy(tmp_path)
    *examples, _ = [f.name for f in service_spec.functions()]
    for name in examples:
        without_importers(root, name)
        remove_function(root, name)
    for new in FORK_FUNCTIONS:
        add_function(root, new)
    assert drift(root) == []


def test_a_removed_function_leaves_lists_that_agree_and_is_named_nowhere(
    tmp_path: Path,
) -> None:
    root = scratch_copy(tmp_path)
    removed = next(
        (f.name for f in service_spec.functions() if not imported(f)),
        service_spec.functions()[0].name,
    )
    without_importers(root, removed)  # none, in the calculator, for multiply
    # Other test modules that name it without importing it (none for multiply; when a fork has
    # removed it and only imported examples are left, the service's own tests naming `add`):
    # the fork rewrites those, as docs/forking.md says. Everything else must forget it.
    where = layout(sam.load(root / sam.TEMPLATE))
    own = root / where.function_tests_dir(removed)
    named_in_tests = {
        m.split(": ")[0]
        for m in mentions(root / "tests", traces(removed))
        if not m.startswith(f"{own}/")
    }
    remove_function(root, removed)
    assert drift(root) == []
    assert removed not in {f.name for f in service_spec.functions(sam.load(root / sam.TEMPLATE))}
    # Code, tests, BUILD files, fixtures and the template never name it again; the docs'
    # generated tables are re-rendered without it (prose examples are the fork's to rewrite).
    code = [
        p
        for p in root.rglob("*")
        if p.is_file() and p.suffix != ".md" and str(p) not in named_in_tests
    ]
    assert [m for path in code for m in mentions(path, traces(removed))] == []
    assert differences(root) == []
    assert not mentions(root / "docs/architecture.md", [rf"(?m)^\| {removed} \|"])

"""The docs' generated tables are what their data says, and the check names any difference."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lambda_devkit import docs_tables
from lambda_devkit import template as sam
from lambda_devkit.testing import answers

ANSWERS = Path("tests/calculator/answers.toml")


def test_the_docs_tables_are_what_the_template_and_the_answers_say() -> None:
    found = docs_tables.differences(Path())
    assert not found, (
        "".join(found) + f"\nThe docs' tables are out of date: run `{docs_tables.COMMAND}`"
    )


def test_the_docs_have_every_kind_of_table() -> None:
    # Were the markers lost, the check above would compare nothing.
    rendered = "".join(docs_tables.render(Path()).values())
    assert docs_tables.FUNCTIONS_HEADER in rendered
    assert docs_tables.LAYERS_HEADER in rendered
    assert answers.HEADER in rendered


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    for path in [Path("README.md"), *Path("docs").rglob("*.md"), sam.TEMPLATE, ANSWERS]:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, tmp_path / path)
    return tmp_path


def test_a_hand_edited_row_is_named_and_rewritten(repo: Path) -> None:
    api = repo / "docs/api.md"
    text = api.read_text()
    # The answers table's last row (whichever routes the tree has), its status edited by hand.
    table = text[text.index("<!-- docs_tables: answers") :]
    row = table[: table.index("<!-- end docs_tables -->")].splitlines()[-1]
    cells = row.split("|")
    cells[4] = " 499 "
    edited = "|".join(cells)
    api.write_text(text.replace(row + "\n", edited + "\n"))
    [diff] = docs_tables.differences(repo)
    assert diff.startswith("--- docs/api.md (as written)\n+++ docs/api.md (from the data)\n")
    assert f"-{edited}\n" in diff
    assert f"+{row}\n" in diff
    assert docs_tables.write(repo) == [api]
    assert docs_tables.differences(repo) == []


def test_a_new_answer_is_a_difference_until_written(repo: Path) -> None:
    with (repo / ANSWERS).open("a") as data:
        data.write('\n[[request]]\nmethod = "GET"\ntarget = "/teapot"\nstatus = 404\n')
        data.write('answered_by = "API Gateway"\n')
    [diff] = docs_tables.differences(repo)
    assert "+| `GET /teapot` |  |  | 404 |  | API Gateway |" in diff
    assert docs_tables.main(["--check", "--root", str(repo)]) == 1
    assert docs_tables.main(["--root", str(repo)]) == 0
    assert docs_tables.main(["--check", "--root", str(repo)]) == 0


def test_an_unknown_table_is_refused_with_its_place(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = repo / "docs/new.md"
    page.write_text("# New\n\n<!-- docs_tables: routes -->\n<!-- end docs_tables -->\n")
    with pytest.raises(ValueError, match=r"^docs/new\.md:3: unknown table 'routes'"):
        docs_tables.render(repo)
    assert docs_tables.main(["--check", "--root", str(repo)]) == 2
    assert "docs/new.md:3: unknown table 'routes'" in capsys.readouterr().err


def test_a_marker_without_its_end_is_refused(repo: Path) -> None:
    (repo / "docs/new.md").write_text("<!-- docs_tables: functions -->\n| stale |\n")
    with pytest.raises(ValueError, match="has no matching end"):
        docs_tables.render(repo)


def test_bad_answers_are_refused_naming_the_request(tmp_path: Path) -> None:
    data = tmp_path / "answers.toml"
    data.write_text('[[request]]\nmethod = "GET"\ntarget = "/x"\nstatus = "404"\n')
    with pytest.raises(ValueError, match=r"request 1: 'status' must be an integer"):
        answers.load(data)

"""Where a service's functions live, read from the template: what both scaffold commands share.

Nothing here names a function or the service: the functions' directory and package come from
the artifact paths the template deploys, the API from its one HttpApi resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_devkit import docs_tables, service_spec
from lambda_devkit import template as sam
from lambda_devkit.scaffold.api_edit import ApiEditRefused
from lambda_devkit.scaffold.sam_edit import EditRefused

HTTP_API = "AWS::Serverless::HttpApi"


class Refused(Exception):
    """The command cannot do what was asked; the message says why. Nothing was written."""


@dataclass(frozen=True)
class Layout:
    """The service's layout: src/python/<package>/functions/<name>, tests alike."""

    package: str  # e.g. calculator (dotted if nested)
    functions_dir: Path  # e.g. src/python/calculator/functions
    tests_dir: Path  # e.g. tests/calculator/functions
    shared_dir: Path  # e.g. src/python/calculator/shared
    api: str  # the HttpApi resource's logical id
    table: str | None  # the one DynamoDB table's logical id (None: none, or more than one)

    @property
    def declaration(self) -> Path:
        """The module declaring the service's API (lambda_http.declaration): every route."""
        return self.shared_dir / "api.py"

    @property
    def service(self) -> str:
        """The name resources are prefixed with, e.g. calculator-${Stage}-add."""
        return self.package.rsplit(".", 1)[-1].replace("_", "-")

    def function_dir(self, name: str) -> Path:
        return self.functions_dir / name

    def function_tests_dir(self, name: str) -> Path:
        return self.tests_dir / name

    def dist_dir(self, name: str) -> str:
        """The directory `./pants package` writes the function's zip to, under dist/."""
        return str(self.function_dir(name)).replace("/", ".")


def load_template(root: Path) -> tuple[str, dict[str, Any]]:
    """The template's text and data; a template that does not parse is refused."""
    path = root / sam.TEMPLATE
    try:
        return path.read_text(), sam.load(path)
    except (OSError, ValueError) as error:
        raise Refused(str(error)) from None


def layout(template: dict[str, Any]) -> Layout:
    try:
        functions = service_spec.functions(template)
    except (KeyError, ValueError) as error:
        raise Refused(f"{sam.TEMPLATE}: {error}") from None
    parents = {Path(f.target_dir).parent for f in functions}
    if len(parents) != 1:
        where = ", ".join(sorted(map(str, parents))) or "nowhere (it deploys no function)"
        raise Refused(
            f"{sam.TEMPLATE}: its functions live in {where}; the scaffold needs them in one "
            "directory"
        )
    (functions_dir,) = parents
    package_dir = functions_dir.parent
    package = str(package_dir.relative_to(service_spec.SOURCE_ROOT)).replace("/", ".")
    apis = [name for name, r in template["Resources"].items() if r.get("Type") == HTTP_API]
    if len(apis) != 1:
        raise Refused(f"{sam.TEMPLATE}: expected one {HTTP_API} resource, found {len(apis)}")
    tables = [t.resource for t in service_spec.tables(template)]
    return Layout(
        package=package,
        functions_dir=functions_dir,
        tests_dir=Path("tests") / package_dir.relative_to(service_spec.SOURCE_ROOT) / "functions",
        shared_dir=package_dir / "shared",
        api=apis[0],
        table=tables[0] if len(tables) == 1 else None,
    )


def refuse_edit(error: EditRefused) -> Refused:
    return Refused(f"{sam.TEMPLATE}: {error}")


def refuse_api_edit(where: Layout, error: ApiEditRefused) -> Refused:
    return Refused(f"{where.declaration}: {error}")


def update_docs(root: Path) -> list[Path]:
    """Re-renders the docs' generated tables from the changed template; the files it wrote."""
    return docs_tables.write(root)

"""README.md's error table as data, for the tests that hold the README to the truth."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from lambda_devkit.service_spec import Function

README = Path("README.md")
START, END = "<!-- error-table:", "<!-- end of error-table -->"
API_GATEWAY, FUNCTION = "API Gateway", "function"


@dataclass(frozen=True)
class Row:
    """One request the README says how the service answers."""

    method: str
    target: str  # path and query, e.g. /history?limit=1000
    content_type: str | None
    body: bytes | None
    status: int
    field: str | None  # the first error's field, when the answer is the function's 4xx
    answered_by: str  # API_GATEWAY or FUNCTION

    @property
    def path(self) -> str:
        return urlsplit(self.target).path


def _code(cell: str) -> str | None:
    found = re.fullmatch(r"`(.*)`", cell)
    return found.group(1) if found else None


def error_table(readme: Path = README) -> list[Row]:
    text = readme.read_text()
    start = text.index(START)
    table = text[text.index("\n", start) + 1 : text.index(END)].strip().splitlines()
    rows = []
    for line in table[2:]:  # after the header and its rule
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        request, content_type, body, status, field, answered_by = cells
        method, target = (_code(request) or "").split(" ", 1)
        if answered_by not in (API_GATEWAY, FUNCTION):
            raise ValueError(f"{readme}: unknown 'answered by' in {line!r}")
        code_body = _code(body)
        rows.append(
            Row(
                method=method,
                target=target,
                content_type=_code(content_type),
                body=None if code_body is None else code_body.encode(),
                status=int(status),
                field=_code(field),
                answered_by=answered_by,
            )
        )
    return rows


# README "Architecture": one row per function, rendered from the template (service_spec) by
# `architecture_row`; tests/calculator/test_template.py holds the README to it, and the function
# generator (src/python/lambda_devkit/scaffold) writes a new function's row with it.
FUNCTION_TABLE_HEADER = (
    "| function | trigger | handler | Pants target | template resource | artifact | table actions |"
)


def architecture_row(function: Function) -> str:
    trigger = ", ".join(f"HTTP API `{route}`" for route in function.routes)
    actions = ", ".join(f"`{a}`" for a in sorted(function.table_actions)) or "none"
    return (
        f"| {function.name} | {trigger} | `lambda_function.handler` → "
        f"`{function.handler_module}.handler` | `{function.build_target}` | "
        f"`{function.resource}` | `{function.artifact}` | {actions} |"
    )


def function_rows(readme: Path = README) -> list[str]:
    """The rows of the Architecture section's function table, as written."""
    lines = readme.read_text().splitlines()
    start = lines.index(FUNCTION_TABLE_HEADER) + 2  # after the header and its rule
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]

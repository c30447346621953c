"""Requests and the answers a service gives them, as test data: replayed by the HTTP tests and
rendered into the docs by lambda_devkit.docs_tables."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

API_GATEWAY, FUNCTION = "API Gateway", "function"
HEADER = (
    "| request | `Content-Type` | body | status | `errors[].field` | answered by |\n"
    "| --- | --- | --- | --- | --- | --- |"
)


@dataclass(frozen=True)
class Answer:
    """One request, and how the deployed service answers it."""

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

    def row(self) -> str:
        """The answer as a Markdown table row, under HEADER."""
        cells = [
            f"`{self.method} {self.target}`",
            _code(self.content_type),
            _code(None if self.body is None else self.body.decode()),
            str(self.status),
            _code(self.field),
            self.answered_by,
        ]
        return "| " + " | ".join(cells) + " |"


def _code(text: str | None) -> str:
    # A bare | would end the table cell, even inside backticks.
    return "" if text is None else "`" + text.replace("|", "\\|") + "`"


_REQUIRED = {"method": str, "target": str, "status": int, "answered_by": str}
_OPTIONAL = {"content_type": str, "body": str, "field": str}
_KIND = {str: "a string", int: "an integer"}


def _answer(path: Path, index: int, entry: dict[str, Any]) -> Answer:
    where = f"{path}: request {index + 1}"
    unknown = set(entry) - set(_REQUIRED) - set(_OPTIONAL)
    if unknown:
        raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
    for key, kind in _REQUIRED.items():
        if not isinstance(entry.get(key), kind) or isinstance(entry.get(key), bool):
            raise ValueError(f"{where}: {key!r} must be {_KIND[kind]}")
    for key, kind in _OPTIONAL.items():
        if key in entry and not isinstance(entry[key], kind):
            raise ValueError(f"{where}: {key!r} must be {_KIND[kind]}")
    if entry["answered_by"] not in (API_GATEWAY, FUNCTION):
        raise ValueError(f"{where}: answered_by must be {FUNCTION!r} or {API_GATEWAY!r}")
    body = entry.get("body")
    return Answer(
        method=entry["method"],
        target=entry["target"],
        content_type=entry.get("content_type"),
        body=None if body is None else body.encode(),
        status=entry["status"],
        field=entry.get("field"),
        answered_by=entry["answered_by"],
    )


def load(path: Path) -> list[Answer]:
    """The `[[request]]` tables of a TOML file, in order."""
    try:
        document = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path}: {error}") from None
    entries = document.get("request")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{path}: no [[request]] tables")
    return [_answer(path, i, entry) for i, entry in enumerate(entries)]


def table(answers: list[Answer]) -> str:
    return "\n".join([HEADER, *(answer.row() for answer in answers)])


def drop_paths(path: Path, paths: set[str]) -> bool:
    """Removes from the TOML file `path` every `[[request]]` whose target's path is in `paths`
    (a removed function's routes), keeping every other line as written; True if it changed.
    Each table is parsed to read its target, so any valid formatting of it works."""
    text = path.read_text()
    parts = re.split(r"(?m)^(?=\[\[request\]\][ \t]*(?:#.*)?$)", text)
    kept = [parts[0]]
    for part in parts[1:]:
        (entry,) = tomllib.loads(part)["request"]
        if urlsplit(str(entry.get("target", ""))).path not in paths:
            kept.append(part)
    if len(kept) == len(parts):
        return False
    remaining = "".join(kept)
    if not tomllib.loads(remaining).get("request"):
        raise ValueError(f"{path}: removing {sorted(paths)} would leave no [[request]] tables")
    path.write_text(remaining)
    return True

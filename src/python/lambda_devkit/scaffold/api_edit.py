"""The service's API declaration (`<package>/shared/api.py`), read and edited as Python.

A route is one top-level statement, `NAME = API.get(...)`, `API.post(...)` or
`API.route("METHOD", ...)`, found with Python's own parser: adding one appends its rendered
block, removing one deletes that statement's lines. The `from ... import` statements follow
the names the routes use: a name a new route needs is added to its module's import, and a name
no statement uses any more is dropped, so the file stays what ruff accepts. Everything else
(the comments, the other routes, their formatting) stays as it is.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# ruff's line length (pyproject.toml): an import longer than this is written one name a line.
LINE_LENGTH = 100


class ApiEditRefused(ValueError):
    """The declaration cannot be read or edited; the message says why."""


@dataclass(frozen=True)
class Declared:
    name: str  # the module-level name the route is bound to, e.g. ADD
    method: str
    path: str
    start: int  # the statement's first and last lines, 1-based
    end: int


def _parse(source: str) -> ast.Module:
    try:
        return ast.parse(source)
    except SyntaxError as error:
        raise ApiEditRefused(f"not valid Python ({error})") from None


def _route(node: ast.stmt) -> Declared | None:
    if not (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr in ("get", "post", "route")
    ):
        return None
    attr = node.value.func.attr
    strings = [
        a.value for a in node.value.args if isinstance(a, ast.Constant) and isinstance(a.value, str)
    ]
    if attr == "route" and len(strings) >= 2:
        method, path = strings[0].upper(), strings[1]
    elif attr != "route" and strings:
        method, path = attr.upper(), strings[0]
    else:
        return None
    assert node.end_lineno is not None
    return Declared(node.targets[0].id, method, path, node.lineno, node.end_lineno)


def routes(source: str) -> list[Declared]:
    """Every route the module declares at its top level."""
    return [d for d in map(_route, _parse(source).body) if d is not None]


def bound_names(source: str) -> set[str]:
    """The names the module binds at its top level (assignments, imports, definitions)."""
    names: set[str] = set()
    for node in _parse(source).body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return names


def render_import(module: str, names: list[str]) -> str:
    """`from module import a, b` as ruff formats it: one line, or one name a line."""
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LINE_LENGTH:
        return line + "\n"
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")\n"


def _replace_lines(source: str, start: int, end: int, text: str) -> str:
    lines = source.splitlines(keepends=True)
    return "".join([*lines[: start - 1], text, *lines[end:]])


def add_route(source: str, block: str, imports: dict[str, str]) -> str:
    """`source` with the route `block` appended, and each name in `imports` (name -> module)
    imported from its module if the module does not bind it yet."""
    for name, module in imports.items():
        if name in bound_names(source):
            continue
        found = [
            n
            for n in _parse(source).body
            if isinstance(n, ast.ImportFrom) and n.module == module and n.level == 0
        ]
        if not found:
            raise ApiEditRefused(f"no `from {module} import ...` to add {name} to")
        statement = found[0]
        assert statement.end_lineno is not None
        names = sorted({a.name for a in statement.names} | {name})
        source = _replace_lines(
            source, statement.lineno, statement.end_lineno, render_import(module, names)
        )
    return source + block


def remove_route(source: str, method: str, path: str) -> str:
    """`source` without the route `method path`, and without the imported names that only it
    used."""
    found = [d for d in routes(source) if (d.method, d.path) == (method, path)]
    if len(found) != 1:
        raise ApiEditRefused(f"expected one declaration of {method} {path}, found {len(found)}")
    source = _replace_lines(source, found[0].start, found[0].end, "")
    module = _parse(source)
    used = {n.id for n in ast.walk(module) if isinstance(n, ast.Name)}
    # Bottom up, so that each statement's line numbers are still right when it is rewritten.
    for node in reversed(module.body):
        if not isinstance(node, ast.ImportFrom) or node.module is None or node.level != 0:
            continue
        if any(a.asname for a in node.names) or node.module == "__future__":
            continue
        kept = [a.name for a in node.names if a.name in used]
        if len(kept) == len(node.names):
            continue
        assert node.end_lineno is not None
        text = render_import(node.module, kept) if kept else ""
        source = _replace_lines(source, node.lineno, node.end_lineno, text)
    return source

"""The function list of the BUILD prelude (pants-plugins/build_prelude.py), read and rewritten.

The list is found with Python's own parser (the assignment to FUNCTIONS_NAME, wherever and
however it is written) and only that tuple's source is replaced, so the rest of the file,
its comments and its formatting stay as they are.
"""

from __future__ import annotations

import ast
from pathlib import Path

PRELUDE = Path("pants-plugins/build_prelude.py")
FUNCTIONS_NAME = "SERVICE_FUNCTIONS"


class PreludeRefused(ValueError):
    """The prelude's function list cannot be read or written; the message says why."""


def _assignment(source: str, path: Path) -> ast.expr:
    try:
        module = ast.parse(source)
    except SyntaxError as error:
        raise PreludeRefused(f"{path}: not valid Python ({error})") from None
    values = [
        node.value
        for node in module.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == FUNCTIONS_NAME for t in node.targets)
    ]
    if len(values) != 1:
        raise PreludeRefused(f"{path}: expected one assignment to {FUNCTIONS_NAME}")
    return values[0]


def functions(root: Path) -> list[str]:
    """The names in the prelude's function list."""
    path = root / PRELUDE
    value = _assignment(path.read_text(), path)
    try:
        names = ast.literal_eval(value)
    except ValueError:
        raise PreludeRefused(f"{path}: {FUNCTIONS_NAME} is not a literal tuple of names") from None
    if not isinstance(names, tuple) or not all(isinstance(n, str) for n in names):
        raise PreludeRefused(f"{path}: {FUNCTIONS_NAME} is not a tuple of names")
    return list(names)


def write_functions(root: Path, names: list[str]) -> None:
    """Replaces the list with `names`, sorted, one a line (a tuple: prelude values are hashed)."""
    path = root / PRELUDE
    source = path.read_text()
    functions(root)  # refuses a list it could not read back
    value = _assignment(source, path)
    lines = source.splitlines(keepends=True)
    assert value.end_lineno is not None and value.end_col_offset is not None
    # ast's offsets are in UTF-8 bytes within a line.
    start = sum(len(line.encode()) for line in lines[: value.lineno - 1]) + value.col_offset
    end = sum(len(line.encode()) for line in lines[: value.end_lineno - 1]) + value.end_col_offset
    ordered = sorted(set(names))
    # As ruff formats it: one name a line, but a lone name's comma makes the tuple, so ruff keeps
    # a one-name tuple on one line.
    if len(ordered) == 1:
        rendered = f'("{ordered[0]}",)'
    else:
        rendered = "(\n" + "".join(f'    "{name}",\n' for name in ordered) + ")"
    encoded = source.encode()
    path.write_bytes(encoded[:start] + rendered.encode() + encoded[end:])
    if sorted(set(names)) != functions(root):
        raise PreludeRefused(f"{path}: the rewritten {FUNCTIONS_NAME} does not read back")

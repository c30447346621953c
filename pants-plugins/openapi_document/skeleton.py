"""Reduces the documented code to what a generator can run. Two commands:

    python skeleton.py names OUT K...   the names the generator's own files K use, into OUT
    python skeleton.py reduce NAMES F...  rewrites each file F, given those names

Run by the `openapi_document` rule on the runtime's CPython (so it parses the service's syntax)
in sandboxes holding those files; `names` is a cache hit while the generator is unchanged. Each
file F (the documented service's code) is rewritten in place, keeping its meaning at import:

- comments and layout go (`ast.unparse`);
- the body of each function that nothing the generator can run refers to by name becomes its
  docstring plus a tripwire: a call writes `skeleton: <file> <function> ran` to stderr and ends
  the process at once with status 86 (`os._exit`, which no `try` can catch).

Files K (the generator's own code) are never changed: every name they use counts.
A function can run when its name (or attribute name, or a string naming it, as `getattr` takes)
appears in a module or class body, a decorator, a default, an annotation, a kept file or the
body of a function that can run; dunder methods always can. Where that guess is wrong, the
tripwire ends the run and the rule builds from the unchanged sources instead, so the document
is the one the full sources give. What the skeleton buys: an edit inside a function the
generator never runs (most logic edits), or to a comment, leaves the skeleton byte-identical,
and the generator's run is a cache hit.

Stdlib only, and Python 3.9 syntax: it is also imported by the plugin's tests under Pants.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from typing import Union

TRIPPED = 86
Function = Union[ast.FunctionDef, ast.AsyncFunctionDef]


def _is_function(node: ast.AST) -> bool:
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))


def _defs(body: list[ast.stmt]) -> list[Function]:
    return [n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _identifier(node: ast.AST) -> str | None:
    """A string that could name a function (`getattr(x, "name")`)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value if node.value.isidentifier() else None
    return None


class _Facts:
    """One pass over modules: the names import-time code uses (a module or class body, a
    decorator, a default, an annotation), as a value or a call, since a value stored there may
    be called by anyone later; and per function, the names its body calls (`f()`, `x.f()`,
    `getattr(x, "f")`) or the nested functions it hands out (a decorator returns its wrapper),
    not names it only stores or passes on (`measured(self.handle)`). That is a guess, which the
    tripwire makes safe."""

    def __init__(self, trees: Iterable[ast.Module]) -> None:
        self.used: set[str] = set()
        self.functions: list[Function] = []
        self.calls: dict[int, set[str]] = {}
        classes: list[ast.ClassDef] = []
        for tree in trees:
            self._scan(tree, classes)
        defined = {c.name for c in classes}
        for node in classes:
            if any(not (isinstance(b, ast.Name) and b.id in defined) for b in node.bases):
                # A base class from elsewhere may call any method its subclass overrides.
                self.used.update(n.name for n in _defs(node.body))

    def _scan(self, tree: ast.Module, classes: list[ast.ClassDef]) -> None:
        pending: list[tuple[ast.AST, Function | None, set[str]]] = [(tree, None, set())]
        while pending:
            node, owner, nested = pending.pop()
            found = self.used if owner is None else self.calls[id(owner)]
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                continue  # binds names; using them is what counts
            if owner is None:
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
                    found.add(node.id)
                elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Store):
                    found.add(node.attr)
            elif isinstance(node, ast.Call):
                if isinstance(node.func, ast.Name):
                    found.add(node.func.id)
                elif isinstance(node.func, ast.Attribute):
                    found.add(node.func.attr)
            elif isinstance(node, ast.Name) and node.id in nested:
                found.add(node.id)
            identifier = _identifier(node)
            if identifier is not None:
                found.add(identifier)
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:  # `@app.route` is a call too
                    if isinstance(decorator, ast.Name):
                        found.add(decorator.id)
                    elif isinstance(decorator, ast.Attribute):
                        found.add(decorator.attr)
            if isinstance(node, ast.ClassDef):
                classes.append(node)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                # Decorators, defaults and annotations run where the function is defined.
                defined_with: list[ast.AST] = [*node.decorator_list, node.args]
                defined_with += [node.returns] if node.returns is not None else []
                defined_with += getattr(node, "type_params", [])
                pending += [(n, owner, nested) for n in defined_with]
                self.functions.append(node)
                self.calls[id(node)] = set()
                inner = {n.name for n in _defs(node.body)}
                pending += [(n, node, inner) for n in node.body]
                continue
            pending += [(child, owner, nested) for child in ast.iter_child_nodes(node)]


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def generator_names(sources: Iterable[str]) -> set[str]:
    """Every name the generator's own modules use, at import or in any function."""
    facts = _Facts(ast.parse(source) for source in sources)
    used = set(facts.used)
    for names in facts.calls.values():
        used |= names
    return used


def reachable(names: set[str], reduced: Iterable[ast.Module]) -> set[int]:
    """The ids of the functions in `reduced` that the generator, which uses `names`, can run."""
    facts = _Facts(reduced)
    used = facts.used | names
    runs: set[int] = set()
    changed = True
    while changed:
        changed = False
        for function in facts.functions:
            if id(function) not in runs and (function.name in used or _dunder(function.name)):
                runs.add(id(function))
                used |= facts.calls[id(function)]
                changed = True
    return runs


def _tripwire(path: str, qualname: str) -> list[ast.stmt]:
    message = f"skeleton: {path} {qualname} ran\n".encode()
    os = "__import__('os')"
    return ast.parse(f"{os}.write(2, {message!r})\n{os}._exit({TRIPPED})").body


def _reduce(node: ast.AST, runs: set[int], path: str, scope: str) -> None:
    for child in ast.iter_child_nodes(node):
        name = getattr(child, "name", None)
        inner = f"{scope}.{name}" if scope and name else (name or scope)
        if _is_function(child) and id(child) not in runs:
            assert isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            docstring = ast.get_docstring(child, clean=False)
            child.body = [
                *([ast.Expr(ast.Constant(docstring))] if docstring is not None else []),
                *_tripwire(path, inner),
            ]
            continue
        _reduce(child, runs, path, inner)


def skeleton(names: set[str], reduced: dict[str, str]) -> dict[str, str]:
    """`reduced` (path -> source) as skeletons, for a generator that uses `names`."""
    trees = {path: ast.parse(source, path) for path, source in reduced.items()}
    runs = reachable(names, trees.values())
    result = {}
    for path, tree in trees.items():
        _reduce(tree, runs, path, "")
        result[path] = ast.unparse(tree) + "\n"
    return result


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def main(argv: list[str]) -> int:
    command, target, paths = argv[0], argv[1], argv[2:]
    if command == "names":
        with open(target, "w", encoding="utf-8") as file:
            file.writelines(f"{name}\n" for name in sorted(generator_names(map(_read, paths))))
        return 0
    if command == "reduce":
        names = set(_read(target).split())
        for path, text in skeleton(names, {path: _read(path) for path in paths}).items():
            with open(path, "w", encoding="utf-8") as file:
                file.write(text)
        return 0
    sys.stderr.write(__doc__ or "")
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

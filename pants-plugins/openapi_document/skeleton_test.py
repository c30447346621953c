"""The skeleton keeps what a generator can run and trips on anything else it strips."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

from openapi_document import skeleton

SERVICE = textwrap.dedent(
    '''\
    """The service's module docstring."""
    from base import Loader


    def exact(value):
        """Logic no import runs."""
        # a comment
        return value * 2


    def register(app):
        @app.add
        def route(event):
            return exact(event)


    def wrapper_factory():
        def wrapper():
            return 1

        return wrapper


    class Store(Loader):
        def loaded(self):
            return helper()


    class Plain:
        def __init__(self):
            self.ready = True

        def query(self):
            return exact(3)

        def declared(self):
            return "declared"


    def helper():
        return "helper"


    def hook():
        return "hook"


    class App:
        def __init__(self):
            self.routes = []

        def add(self, function):
            self.routes.append(function)
            return function


    app = App()
    register(app)
    WRAPPED = wrapper_factory()
    HOOKS = [hook]
    '''
)
# The generator calls `declared` by name, and reads HOOKS (a value stored at import).
GENERATOR_NAMES = {"declared", "HOOKS"}


def reduced(source: str = SERVICE) -> str:
    return skeleton.skeleton(GENERATOR_NAMES, {"svc.py": source})["svc.py"]


def bodies(text: str) -> dict[str, bool]:
    """Each function's name: whether its body is a tripwire."""
    return {
        node.name: any(
            "_exit" in ast.unparse(statement)
            for statement in node.body
            if not isinstance(statement, ast.FunctionDef)
        )
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef)
    }


def test_only_what_import_or_the_generator_can_run_keeps_its_body() -> None:
    assert bodies(reduced()) == {
        "exact": True,  # called only from bodies that never run
        "register": False,  # called at import
        "route": True,  # registered, never called
        "add": False,  # a decorator: called where `register` defines `route`
        "wrapper_factory": False,  # called at import
        "wrapper": False,  # handed out by a function that runs
        "loaded": False,  # its base class comes from elsewhere and may call it
        "__init__": False,  # dunders
        "query": True,
        "declared": False,  # the generator calls it
        "helper": False,  # `loaded` calls it
        "hook": False,  # stored at import: anyone may call it
    }


def test_docstrings_stay_and_comments_and_layout_go() -> None:
    text = reduced()
    assert '"""Logic no import runs."""' in text
    assert '"""The service\'s module docstring."""' in text
    assert "# a comment" not in text
    assert text == ast.unparse(ast.parse(text)) + "\n"  # ast.unparse's own layout


def test_edits_that_cannot_change_what_runs_leave_the_skeleton_unchanged() -> None:
    for edit in (
        SERVICE.replace("return value * 2", "return value * 3"),
        SERVICE.replace("# a comment", "# another comment"),
        SERVICE.replace("return exact(3)", "return exact(4) + 1"),
        SERVICE.replace("\n\n\ndef helper", "\n\ndef helper"),
    ):
        assert edit != SERVICE
        assert reduced(edit) == reduced()


def test_edits_to_what_runs_change_the_skeleton() -> None:
    for edit in (
        SERVICE.replace("WRAPPED = wrapper_factory()", "WRAPPED = None"),
        SERVICE.replace('return "declared"', 'return "changed"'),
        SERVICE.replace('"""Logic no import runs."""', '"""Documented otherwise."""'),
    ):
        assert edit != SERVICE
        assert reduced(edit) != reduced()


def test_a_stripped_function_that_runs_ends_the_process_whatever_catches_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "base.py").write_text("class Loader:\n    pass\n")
    (tmp_path / "svc.py").write_text(reduced())
    script = "import svc\ntry:\n    svc.Plain().query()\nexcept BaseException:\n    pass\n"
    run = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == skeleton.TRIPPED
    assert run.stderr == "skeleton: svc.py Plain.query ran\n"
    imported = subprocess.run([sys.executable, "-c", "import svc"], cwd=tmp_path)
    assert imported.returncode == 0


def test_the_generators_names_include_what_its_functions_call_and_its_strings() -> None:
    generator = textwrap.dedent(
        """\
        import svc
        TOP = svc.value

        def build(router):
            local = router.declarations()
            return getattr(router, "answers"), local
        """
    )
    names = skeleton.generator_names([generator])
    assert {"svc", "value", "declarations", "answers", "getattr"} <= names
    assert "local" not in names and "router" not in names


def test_the_command_line_writes_names_then_reduces_in_place(tmp_path: Path) -> None:
    (tmp_path / "gen.py").write_text("def build(app):\n    return app.declared()\n")
    (tmp_path / "svc.py").write_text(SERVICE)
    names, service = tmp_path / "names.txt", tmp_path / "svc.py"
    assert skeleton.main(["names", str(names), str(tmp_path / "gen.py")]) == 0
    assert "declared" in names.read_text().split()
    assert skeleton.main(["reduce", str(names), str(service)]) == 0
    assert bodies(service.read_text())["declared"] is False
    assert bodies(service.read_text())["query"] is True

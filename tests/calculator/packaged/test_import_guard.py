"""The module-set guard: what `import lambda_function` loads, per function, is declared here.

Cold start is mostly imports, and an import that sneaks onto a handler's path (boto3 dragging
s3transfer in, a framework's unrelated resolvers, asyncio) costs every cold start of that
function. Timings are too noisy to assert; the set of top-level packages a packaged function
loads is not. Each function zip runs with both layers in a fresh, isolated CPython 3.13 in
Lambda's sys.path order, and the top-level packages `import lambda_function` adds to a bare
interpreter's must be on the allow-list below: a regression names the package that appeared.
A function may load less than the list (one the scaffold writes uses no store, so no
urllib3), but a function's own extra allowance that it no longer loads must be struck off.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lambda_devkit import service_spec
from lambda_devkit.emulator.sandbox import Sandbox, runtime_python
from lambda_devkit.testing.dist import packaged

LAYERS = [packaged(p) for p in service_spec.built_layers(service_spec.host_architecture())]

# What every function may load: ours, then the requirements layer's packages. boto3 and
# s3transfer are not here on purpose: a client needs only botocore (shared/history.py); nor
# is pydantic (and annotated_types, pydantic_core, typing_inspection, and the standard
# library's fractions, sysconfig and zoneinfo it brought): requests are validated by
# lambda_http.validation (docs/decisions/0007-own-request-validation.md).
OURS = {"lambda_function", "calculator", "lambda_http"}
THIRD_PARTY = {
    "aws_lambda_powertools",
    "botocore",
    "dateutil",
    "jmespath",
    "six",
    "typing_extensions",
    "urllib3",
}
# The public standard-library packages beyond a bare `python -I -S` (private `_` modules are
# their implementation). No asyncio: it came with Powertools' event_handler package, which
# the functions no longer import (docs/cold-start.md).
STANDARD_LIBRARY = {
    "array",
    "ast",
    "atexit",
    "base64",
    "binascii",
    "bisect",
    "bz2",
    "calendar",
    "collections",
    "concurrent",
    "configparser",
    "contextlib",
    "contextvars",
    "copy",
    "copyreg",
    "dataclasses",
    "datetime",
    "decimal",
    "dis",
    "email",
    "enum",
    "errno",
    "fcntl",
    "fnmatch",
    "functools",
    "genericpath",
    "getpass",
    "glob",
    "grp",
    "gzip",
    "hashlib",
    "heapq",
    "hmac",
    "html",
    "http",
    "importlib",
    "inspect",
    "ipaddress",
    "itertools",
    "json",
    "keyword",
    "locale",
    "logging",
    "lzma",
    "math",
    "mimetypes",
    "ntpath",
    "numbers",
    "opcode",
    "operator",
    "os",
    "pathlib",
    "platform",
    "posixpath",
    "pwd",
    "pyexpat",
    "queue",
    "quopri",
    "random",
    "re",
    "reprlib",
    "select",
    "selectors",
    "shlex",
    "shutil",
    "signal",
    "socket",
    "ssl",
    "stat",
    "string",
    "struct",
    "subprocess",
    "tempfile",
    "termios",
    "textwrap",
    "threading",
    "token",
    "tokenize",
    "traceback",
    "types",
    "typing",
    "urllib",
    "uuid",
    "warnings",
    "weakref",
    "xml",
    "zipfile",
    "zlib",
}
ALLOWED = OURS | THIRD_PARTY | STANDARD_LIBRARY
# A function that needs more than the others says so here, by name.
EXTRA: dict[str, set[str]] = {}

# No tracing SDK by default: Lambda traces each function itself (Tracing: Active), and the
# X-Ray SDK's import and patch_all() would cost every cold start
# (docs/decisions/0008-tracing-without-an-sdk.md). Opting in means allowing it here, by name.
TRACING_SDKS = {"aws_xray_sdk", "opentelemetry", "wrapt"}

# Runs in the sandboxed interpreter, with nothing imported but sys: the modules each of
# `statements` adds (cumulatively, since the start), by top-level package or by full name.
PROBE = """\
import sys
before = set(sys.modules)
sys.path[:] = [{task_root!r}, {layers_site!r}, {layers!r}, *[p for p in sys.path if p]]
steps = []
for statement in {statements!r}:
    exec(statement, {{}})
    loaded = set(sys.modules) - before
    if {top_level!r}:
        loaded = {{name.partition(".")[0] for name in loaded}} - {{n.partition(".")[0] for n in before}}
        loaded = {{name for name in loaded if not name.startswith("_")}}
    steps.append(sorted(loaded))
import json
print(json.dumps(steps))
"""


def packaged_functions() -> list[str]:
    return [function.name for function in service_spec.functions()]


@pytest.fixture(scope="module")
def top_level(tmp_path_factory: pytest.TempPathFactory, opt: Path) -> dict[str, set[str]]:
    """The top-level packages `import lambda_function` loads, per function: one probe each,
    whichever tests ask. The probes run at once, each in its own fresh interpreter: what one
    imports is its own, whatever else runs."""

    def probe(function: str) -> set[str]:
        root = tmp_path_factory.mktemp(function)
        return modules_loaded(root, opt, function, ["import lambda_function"], top_level=True)[0]

    functions = packaged_functions()
    with ThreadPoolExecutor(len(functions)) as pool:
        return dict(zip(functions, pool.map(probe, functions), strict=True))


def modules_loaded(
    tmp_path: Path, opt: Path, function: str, statements: list[str], *, top_level: bool
) -> list[set[str]]:
    """What each of `statements`, run in turn in one fresh interpreter in the function's
    sandbox, has loaded since the interpreter started."""
    sandbox = Sandbox.unpack(
        tmp_path,
        packaged(service_spec.function(function).built),
        LAYERS,
        opt=opt,
        function_name=function,
        # Handlers create their DynamoDB client at import: the template's environment (the table
        # name), a region, credentials.
        extra_env={
            **service_spec.function_environment(service_spec.table_names("guard"), function),
            "AWS_ACCESS_KEY_ID": "guard",
            "AWS_SECRET_ACCESS_KEY": "guard",
        },
    )
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    code = PROBE.format(
        task_root=str(sandbox.task_root),
        layers_site=str(sandbox.opt / "python" / "lib" / version / "site-packages"),
        layers=str(sandbox.opt / "python"),
        statements=statements,
        top_level=top_level,
    )
    completed = subprocess.run(
        [runtime_python(), "-I", "-S", "-B", "-c", code],
        capture_output=True,
        text=True,
        env=sandbox.environment(),
        cwd=sandbox.task_root,
    )
    assert completed.returncode == 0, completed.stderr
    return [set(step) for step in json.loads(completed.stdout)]


def test_exceptions_name_packaged_functions() -> None:
    assert set(EXTRA) <= set(packaged_functions())


@pytest.mark.parametrize("function", packaged_functions())
def test_import_loads_only_the_allowed_packages(
    top_level: dict[str, set[str]], function: str
) -> None:
    allowed = ALLOWED | EXTRA.get(function, set())
    loaded = top_level[function]
    assert not loaded - allowed, (
        f"`import lambda_function` of {function} now loads {sorted(loaded - allowed)}: each "
        "costs every cold start (docs/cold-start.md). Remove the import, or allow it here."
    )
    unused = EXTRA.get(function, set()) - loaded
    assert not unused, f"{function} no longer loads {sorted(unused)}: strike it off EXTRA."


@pytest.mark.parametrize("function", packaged_functions())
def test_no_tracing_sdk_is_imported(top_level: dict[str, set[str]], function: str) -> None:
    assert not TRACING_SDKS & top_level[function]
    assert not TRACING_SDKS & ALLOWED, "a tracing SDK is opted in: record it in docs/decisions"


def test_metrics_cost_no_import_beyond_what_the_logger_already_loads(
    tmp_path: Path, opt: Path
) -> None:
    # Powertools' package init imports its Metrics module whatever is used of it, so the
    # metrics every request emits (lambda_http.metrics) cost a print, not an import. One
    # interpreter, two steps: what the logger loads, then what importing Metrics too adds to it
    # (imports are deterministic: the same as two fresh interpreters, one of them spared).
    function = packaged_functions()[0]
    logger_only, metrics = modules_loaded(
        tmp_path,
        opt,
        function,
        [
            "from aws_lambda_powertools import Logger",
            "from aws_lambda_powertools import Logger, Metrics",
        ],
        top_level=False,
    )
    assert "aws_lambda_powertools.metrics" in logger_only
    assert metrics == logger_only

"""Builds real Lambda zips with the backported targets and inspects what is inside.

One rule runner serves the whole module (a fresh engine and store per test rebuilt the same
zips and PEXes again and again): each test uses targets of its own, or ones no test changes, so
the tests stay independent of each other and of their order. Its store is its own, empty at the
start, so everything it builds is really built: the reproducibility test compares its builds
with those of a second runner, in another build root with another empty store.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import time
import zipfile
from pathlib import Path

import pytest  # pants: no-infer-dep (pytest comes with pants.testutil)
from pants.backend.python.target_types import (
    PythonRequirementTarget,
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
)
from pants.backend.python.target_types_rules import rules as python_target_types_rules
from pants.core.goals.package import BuiltPackage, PackageFieldSet
from pants.core.target_types import FileTarget, ResourceTarget
from pants.core.target_types import rules as core_target_types_rules
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.rules import QueryRule
from pants.testutil.rule_runner import RuleRunner

from aws_lambda_backport import register
from aws_lambda_backport.lambda_zip import ZIP_EPOCH
from aws_lambda_backport.rules import (
    LambdaPlatforms,
    LambdaPlatformsRequest,
    PythonAwsLambdaFunctionFieldSet,
    PythonAwsLambdaLayerFieldSet,
)
from plugin_testing import ENV_INHERIT, pants_toml_args, python_infer_args

PROJECT = {
    "src/app/BUILD": """\
python_sources()
python_aws_lambda_function(
    name="lambda",
    handler="handler.py:handle",
    runtime="python3.13",
    architecture="arm64",
    dependencies=["!!src/lib"],
    include_requirements=False,
)
# The same function without bytecode: upstream's zip exactly, to compare with pex's.
python_aws_lambda_function(
    name="lambda-no-bytecode",
    handler="handler.py:handle",
    runtime="python3.13",
    architecture="arm64",
    dependencies=["!!src/lib"],
    include_requirements=False,
    include_bytecode=False,
)
# The same function again, naming the layer instead of excluding its code by hand.
python_aws_lambda_function(
    name="lambda-with-layer",
    handler="handler.py:handle",
    runtime="python3.13",
    architecture="arm64",
    layers=["src/lib:layer"],
)
""",
    "src/app/handler.py": "from lib.greeting import greet\n\ndef handle(event, context):\n"
    "    return greet(event)\n",
    "src/lib/BUILD": """\
python_sources()
resource(name="marker", source="py.typed")
python_aws_lambda_layer(
    name="layer",
    runtime="python3.13",
    dependencies=[":lib", ":marker"],
    include_requirements=False,
)
python_aws_lambda_layer(
    name="layer-no-bytecode",
    runtime="python3.13",
    dependencies=[":lib", ":marker"],
    include_requirements=False,
    include_bytecode=False,
)
""",
    # A set constant: marshalled in hash order before Python 3.11, so reproducible bytecode
    # needs a fixed hash seed there (3.13 sorts them).
    "src/lib/greeting.py": "def greet(name):\n"
    "    return name if name in {'hello', 'hi', 'hey', 'howdy'} else 'hello ' + name\n",
    "src/lib/py.typed": "",
    # The same function through pex: `include_requirements=True` takes the pex path even when
    # there is no requirement to resolve, so both paths can be compared byte for byte.
    "src/via_pex/BUILD": """\
python_aws_lambda_function(
    name="lambda",
    handler="app.handler:handle",
    runtime="python3.13",
    architecture="arm64",
    dependencies=["src/app", "!!src/lib"],
    include_requirements=True,
    include_bytecode=False,
)
""",
    # A layer of a real third-party requirement (a pure wheel from PyPI, which brings `six`):
    # the pex path.
    "src/reqs/BUILD": """\
python_requirement(name="dateutil", requirements=["python-dateutil==2.9.0.post0"])
# Not in the layer; it needs `six` too.
python_requirement(name="rfc3339", requirements=["rfc3339-validator==0.1.4"])
# Type stubs (Pants infers `types-*` as stubs): for type checkers, never shipped by a function.
python_requirement(name="six-stubs", requirements=["types-six==1.17.0.20261008"])
python_aws_lambda_layer(
    name="layer",
    runtime="python3.13",
    architecture="x86_64",
    dependencies=[":dateutil"],
    include_sources=False,
)
""",
    # One layer built for each architecture, of a requirement no index has: a function whose
    # requirements these layers hold is zipped in the rule, and so never resolves it.
    "src/never/BUILD": """\
python_requirement(name="req", requirements=["never-resolved-by-these-tests==1.0"])
python_requirement(name="stubs", requirements=["types-never-resolved-by-these-tests==1.0"])
python_aws_lambda_layer(
    name="layer-x86_64",
    runtime="python3.13",
    architecture="x86_64",
    dependencies=[":req"],
    include_sources=False,
)
python_aws_lambda_layer(
    name="layer-arm64",
    runtime="python3.13",
    architecture="arm64",
    dependencies=[":req"],
    include_sources=False,
)
""",
}


def make_rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            *python_target_types_rules(),
            *core_target_types_rules(),
            QueryRule(BuiltPackage, [PythonAwsLambdaFunctionFieldSet]),
            QueryRule(BuiltPackage, [PythonAwsLambdaLayerFieldSet]),
            QueryRule(LambdaPlatforms, [LambdaPlatformsRequest]),
        ],
        target_types=[
            *register.target_types(),
            PythonSourcesGeneratorTarget,
            PythonSourceTarget,
            PythonRequirementTarget,
            ResourceTarget,
            FileTarget,
        ],
        # Its own build root and its own, empty store: nothing an earlier build cached can
        # answer for what this runner builds.
        isolated_local_store=True,
    )
    runner.set_options(
        ["--source-root-patterns=['src']", *pants_toml_args(), *python_infer_args()],
        env_inherit=ENV_INHERIT,
    )
    runner.write_files(PROJECT)
    return runner


@pytest.fixture(scope="module")
def rule_runner() -> RuleRunner:
    """The module's runner: a test may add targets of its own, and changes no one else's."""
    return make_rule_runner()


def build_files(
    rule_runner: RuleRunner, address: Address, field_set_type: type[PackageFieldSet]
) -> tuple[BuiltPackage, dict[str, bytes]]:
    """The package and its files: the zip, then its metadata (`<zip>.metadata.json`)."""
    field_set = field_set_type.create(rule_runner.get_target(address))
    built = rule_runner.request(BuiltPackage, [field_set])
    contents = {c.path: c.content for c in rule_runner.request(DigestContents, [built.digest])}
    zip_artifact, metadata_artifact = built.artifacts
    assert metadata_artifact.relpath == f"{zip_artifact.relpath}.metadata.json"
    assert set(contents) == {zip_artifact.relpath, metadata_artifact.relpath}
    return built, contents


def _relpath(built: BuiltPackage, index: int) -> str:
    relpath = built.artifacts[index].relpath
    assert relpath is not None
    return relpath


def build(
    rule_runner: RuleRunner, address: Address, field_set_type: type[PackageFieldSet]
) -> tuple[BuiltPackage, dict[str, bytes]]:
    """The package and the files in its zip."""
    built, contents = build_files(rule_runner, address, field_set_type)
    with zipfile.ZipFile(io.BytesIO(contents[_relpath(built, 0)])) as archive:
        files = {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
    return built, files


def build_zip(
    rule_runner: RuleRunner, address: Address, field_set_type: type[PackageFieldSet]
) -> bytes:
    built, contents = build_files(rule_runner, address, field_set_type)
    return contents[_relpath(built, 0)]


def metadata(
    rule_runner: RuleRunner, address: Address, field_set_type: type[PackageFieldSet]
) -> dict[str, object]:
    built, contents = build_files(rule_runner, address, field_set_type)
    loaded: dict[str, object] = json.loads(contents[_relpath(built, 1)])
    return loaded


FUNCTION = (Address("src/app", target_name="lambda"), PythonAwsLambdaFunctionFieldSet)
FUNCTION_NO_BYTECODE = (
    Address("src/app", target_name="lambda-no-bytecode"),
    PythonAwsLambdaFunctionFieldSet,
)
FUNCTION_VIA_PEX = (Address("src/via_pex", target_name="lambda"), PythonAwsLambdaFunctionFieldSet)
FUNCTION_WITH_LAYER = (
    Address("src/app", target_name="lambda-with-layer"),
    PythonAwsLambdaFunctionFieldSet,
)
SOURCES_LAYER = (Address("src/lib", target_name="layer"), PythonAwsLambdaLayerFieldSet)
SOURCES_LAYER_NO_BYTECODE = (
    Address("src/lib", target_name="layer-no-bytecode"),
    PythonAwsLambdaLayerFieldSet,
)
REQUIREMENTS_LAYER = (Address("src/reqs", target_name="layer"), PythonAwsLambdaLayerFieldSet)


def test_function_zip_holds_its_code_and_the_reexported_handler(rule_runner: RuleRunner) -> None:
    built, files = build(rule_runner, *FUNCTION)
    # `!!src/lib` keeps the layer's code out, although handler.py imports it.
    assert set(files) == {
        "app/handler.py",
        "app/__pycache__/handler.cpython-313.pyc",
        "lambda_function.py",
        "__pycache__/lambda_function.cpython-313.pyc",
    }
    assert files["lambda_function.py"] == b"from app.handler import handle as handler\n"
    assert built.artifacts[0].relpath == "src.app/lambda.zip"
    assert "    Handler: lambda_function.handler" in built.artifacts[0].extra_log_lines
    assert "    Complete platform: python3.13-arm64.json" in built.artifacts[0].extra_log_lines
    # As upstream (2.29) writes it beside the zip.
    assert metadata(rule_runner, *FUNCTION) == {
        "architecture": "arm64",
        "handler": "lambda_function.handler",
        "runtime": "python3.13",
    }


def test_layer_lays_everything_out_under_python(rule_runner: RuleRunner) -> None:
    _, files = build(rule_runner, *SOURCES_LAYER)
    assert set(files) == {
        "python/lib/greeting.py",
        "python/lib/__pycache__/greeting.cpython-313.pyc",
        "python/lib/py.typed",
    }


def test_source_only_zip_is_the_zip_pex_would_write(rule_runner: RuleRunner) -> None:
    """Without requirements the zip is written in the rule; it must equal pex's, byte for byte.

    Entries, their order, directory entries, timestamps, permissions and compression: any
    difference from `pex3 venv create --layout flat-zipped` fails here. Without bytecode, so
    that this is upstream's zip exactly.
    """
    in_rule = build_zip(rule_runner, *FUNCTION_NO_BYTECODE)
    via_pex = build_zip(rule_runner, *FUNCTION_VIA_PEX)
    with zipfile.ZipFile(io.BytesIO(in_rule)) as archive:
        names = archive.namelist()
        infos = archive.infolist()
    assert names == ["app/", "app/handler.py", "lambda_function.py"]
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert [oct(info.external_attr >> 16) for info in infos] == ["0o40755", "0o100644", "0o100644"]
    assert in_rule == via_pex


ZIP_EPOCH_SECONDS = time.mktime((*ZIP_EPOCH, 0, 0, -1))


def runtime_python() -> str:
    """A CPython 3.13, found as pants.toml's [python-bootstrap] finds it (PATH, then pyenv)."""
    candidates = [shutil.which("python3.13")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += [str(p) for p in sorted(pyenv_root.glob("versions/3.13*/bin/python3.13"))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    raise AssertionError("no CPython 3.13 to load the bytecode with")


def test_bytecode_is_what_python313_loads_from_a_read_only_tree(
    rule_runner: RuleRunner, tmp_path: Path
) -> None:
    """Unpacked read-only as Lambda does (function in /var/task, layer in /opt), importing the
    handler loads every module from its .pyc: none is compiled from source."""
    sources: list[Path] = []
    for (address, field_set_type), root in ((FUNCTION, "task"), (SOURCES_LAYER, "opt")):
        with zipfile.ZipFile(io.BytesIO(build_zip(rule_runner, address, field_set_type))) as zf:
            zf.extractall(tmp_path / root)
            sources += [tmp_path / root / n for n in zf.namelist() if n.endswith(".py")]
    for path in tmp_path.rglob("*"):
        # As unzip leaves them: the entries' 1980 dates (zipfile would leave "now", which
        # a timestamp-based .pyc compiled seconds earlier could match by chance), read-only.
        os.utime(path, (ZIP_EPOCH_SECONDS, ZIP_EPOCH_SECONDS))
        path.chmod(0o555 if path.is_dir() else 0o444)
    search_path = [str(tmp_path / "task"), str(tmp_path / "opt" / "python")]
    code = f"import sys; sys.path[:0] = {search_path!r}; import lambda_function"
    verbose = subprocess.run(
        [runtime_python(), "-I", "-S", "-v", "-c", code], capture_output=True, text=True
    ).stderr
    assert len(sources) == 3
    for source in sources:
        pyc = source.parent / "__pycache__" / f"{source.stem}.cpython-313.pyc"
        # `-v` says "<pyc> matches <py>" only when it validated and used the bytecode.
        assert f"{pyc} matches {source}" in verbose, verbose[-3000:]


def test_include_bytecode_false_ships_sources_only(rule_runner: RuleRunner) -> None:
    _, files = build(rule_runner, *SOURCES_LAYER_NO_BYTECODE)
    assert set(files) == {"python/lib/greeting.py", "python/lib/py.typed"}


def test_requirements_layer_is_built_by_pex(rule_runner: RuleRunner) -> None:
    built, files = build(rule_runner, *REQUIREMENTS_LAYER)
    assert "python/python_dateutil-2.9.0.post0.dist-info/METADATA" in files
    assert "python/dateutil/parser/__init__.py" in files
    # The requirement's own requirement, resolved by pex.
    assert files["python/six.py"].startswith(b"# Copyright (c) 2010-")
    assert all(name.startswith("python/") for name in files)
    assert "    Complete platform: python3.13-x86_64.json" in built.artifacts[0].extra_log_lines


def test_a_changed_source_changes_the_zip(rule_runner: RuleRunner) -> None:
    # A layer of its own, so that the edit changes nothing another test builds.
    rule_runner.write_files(
        {
            "src/changing/BUILD": "python_sources()\npython_aws_lambda_layer(name='layer', "
            "runtime='python3.13', dependencies=[':changing'], include_requirements=False)",
            "src/changing/greeting.py": "def greet(name):\n    return 'hello ' + name\n",
        }
    )
    layer = (Address("src/changing", target_name="layer"), PythonAwsLambdaLayerFieldSet)
    first = build_zip(rule_runner, *layer)
    rule_runner.write_files({"src/changing/greeting.py": "def greet(name):\n    return name\n"})
    assert build_zip(rule_runner, *layer) != first


@pytest.fixture(scope="module")
def second_rule_runner() -> RuleRunner:
    """A second runner, for the reproducibility test only: another build root, another store."""
    return make_rule_runner()


@pytest.mark.parametrize(
    "artifact",
    [FUNCTION, REQUIREMENTS_LAYER],
    ids=["function-in-rule", "requirements-layer-via-pex"],
)
def test_zips_are_reproducible_across_independent_builds(
    rule_runner: RuleRunner,
    second_rule_runner: RuleRunner,
    artifact: tuple[Address, type[PackageFieldSet]],
) -> None:
    """Two builds in separate build roots with separate stores, each empty when its runner
    started: no engine memo, no process cache and no earlier output can answer for either, so
    equal bytes come from the build. One artifact per path: the zip written in the rule and the
    one pex lays out, each with the bytecode compiled into it."""
    assert rule_runner.build_root != second_rule_runner.build_root
    assert build_zip(rule_runner, *artifact) == build_zip(second_rule_runner, *artifact)


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_architecture_selects_the_bundled_complete_platform(
    rule_runner: RuleRunner, architecture: str
) -> None:
    rule_runner.write_files(
        {
            f"src/arch_{architecture}/BUILD": f"python_aws_lambda_layer(name='l', "
            f"runtime='python3.13', architecture='{architecture}', dependencies=['src/lib'])"
        }
    )
    field_set = PythonAwsLambdaLayerFieldSet.create(
        rule_runner.get_target(Address(f"src/arch_{architecture}", target_name="l"))
    )
    platforms = rule_runner.request(
        LambdaPlatforms,
        [
            LambdaPlatformsRequest(
                field_set.address,
                field_set.runtime,
                field_set.architecture,
                field_set.complete_platforms,
            )
        ],
    )
    (path,) = platforms.complete_platforms
    assert path.endswith(f"python3.13-{architecture}.json")
    (content,) = rule_runner.request(DigestContents, [platforms.complete_platforms.digest])
    machine = "aarch64" if architecture == "arm64" else "x86_64"
    assert f'"cp313-cp313-manylinux_2_34_{machine}"'.encode() in content.content
    assert b"manylinux_2_35" not in content.content


def test_unknown_architecture_is_rejected(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/bad/BUILD": "python_aws_lambda_layer(name='l', runtime='python3.13', "
            "architecture='sparc', dependencies=['src/lib'])"
        }
    )
    try:
        with pytest.raises(ExecutionError, match="sparc"):
            rule_runner.get_target(Address("src/bad", target_name="l"))
    finally:
        # A BUILD file that fails to load fails whatever reads every target (dependency
        # inference does): leave none behind for the other tests.
        rule_runner.write_files({"src/bad/BUILD": ""})


def test_runtime_and_complete_platforms_together_are_refused(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "src/both/BUILD": "file(name='cp', source='cp.json')\n"
            "python_aws_lambda_layer(name='l', runtime='python3.13', complete_platforms=[':cp'], "
            "dependencies=['src/lib'])",
            "src/both/cp.json": "{}",
        }
    )
    with pytest.raises(
        ExecutionError, match=re.escape("sets both `runtime='python3.13'` and `complete_platf")
    ):
        build_zip(rule_runner, Address("src/both", target_name="l"), PythonAwsLambdaLayerFieldSet)


def test_a_named_layer_leaves_out_what_excluding_it_by_hand_did(rule_runner: RuleRunner) -> None:
    """`layers=["src/lib:layer"]` gives the zip `!!src/lib` + `include_requirements=False` gave,
    byte for byte: the function has no requirement of its own, so it is zipped in the rule."""
    assert build_zip(rule_runner, *FUNCTION_WITH_LAYER) == build_zip(rule_runner, *FUNCTION)
    built, _ = build(rule_runner, *FUNCTION_WITH_LAYER)
    assert "    Layers: src/lib:layer" in built.artifacts[0].extra_log_lines
    assert metadata(rule_runner, *FUNCTION_WITH_LAYER)["layers"] == ["src/lib:layer"]


def test_first_party_code_no_layer_ships_stays_in_the_zip(rule_runner: RuleRunner) -> None:
    """A package no layer ships is in the zip; one the layer ships is not, even when it is new
    (a module added beside the layer's code, imported by the handler alone)."""
    rule_runner.write_files(
        {
            "src/fp_lib/BUILD": "python_sources()\npython_aws_lambda_layer(name='layer', "
            "runtime='python3.13', dependencies=[':fp_lib'], include_requirements=False)",
            "src/fp_lib/shared.py": "VALUE = 1\n",
            "src/fp_lib/new_module.py": "NEW = 2\n",
            "src/fp_own/BUILD": "python_sources()",
            "src/fp_own/helper.py": "def help():\n    return 3\n",
            "src/fp_app/BUILD": "python_sources()\npython_aws_lambda_function(name='lambda', "
            "handler='handler.py:handle', runtime='python3.13', layers=['src/fp_lib:layer'], "
            "include_bytecode=False)",
            "src/fp_app/handler.py": "from fp_lib.new_module import NEW\n"
            "from fp_lib.shared import VALUE\nfrom fp_own.helper import help\n\n"
            "def handle(event, context):\n    return NEW + VALUE + help()\n",
        }
    )
    _, files = build(
        rule_runner, Address("src/fp_app", target_name="lambda"), PythonAwsLambdaFunctionFieldSet
    )
    assert set(files) == {"fp_app/handler.py", "fp_own/helper.py", "lambda_function.py"}
    _, layer_files = build(
        rule_runner, Address("src/fp_lib", target_name="layer"), PythonAwsLambdaLayerFieldSet
    )
    assert "python/fp_lib/new_module.py" in layer_files


def test_a_requirement_no_layer_ships_is_in_the_zip_and_the_layers_are_not(
    rule_runner: RuleRunner,
) -> None:
    """The function needs python-dateutil (the layer ships it, and `six` with it) and
    rfc3339-validator (no layer ships it; it needs `six` too): only rfc3339-validator is in the
    zip. Leaving out only the requirements the layer names would have kept `six`. Type stubs
    are left out too."""
    rule_runner.write_files(
        {
            "src/own_req/BUILD": "python_sources(dependencies=['src/reqs:dateutil', "
            "'src/reqs:rfc3339', 'src/reqs:six-stubs'])\npython_aws_lambda_function(name='lambda', "
            "handler='handler.py:handle', runtime='python3.13', architecture='x86_64', "
            "layers=['src/reqs:layer', 'src/lib:layer'], include_bytecode=False)",
            "src/own_req/handler.py": "import dateutil.parser\nimport rfc3339_validator\n"
            "from lib.greeting import greet\n\n"
            "def handle(event, context):\n    return greet(event)\n",
        }
    )
    _, files = build(
        rule_runner, Address("src/own_req", target_name="lambda"), PythonAwsLambdaFunctionFieldSet
    )
    tops = {name.split("/")[0] for name in files}
    assert tops == {
        "own_req",
        "lambda_function.py",
        "rfc3339_validator.py",
        "rfc3339_validator-0.1.4.dist-info",
    }, sorted(files)


@pytest.mark.parametrize("architecture", ["x86_64", "arm64"])
def test_the_functions_architecture_picks_the_layer_built_for_it(
    rule_runner: RuleRunner, architecture: str
) -> None:
    """Both builds of the requirements layer are named (as once, in `__defaults__`); each
    function gets its own architecture's. Its requirements are all the layer's (but type stubs,
    which never ship), so its zip is written in the rule: nothing is resolved (the requirement is
    on no index), and no layer is built."""
    rule_runner.write_files(
        {
            f"src/pick_{architecture}/BUILD": "python_sources(dependencies=['src/never:req', "
            "'src/never:stubs'])"
            "\npython_aws_lambda_function(name='lambda', handler='handler.py:handle', "
            f"runtime='python3.13', architecture='{architecture}', layers=['src/lib:layer', "
            "'src/never:layer-x86_64', 'src/never:layer-arm64'], include_bytecode=False)",
            f"src/pick_{architecture}/handler.py": "def handle(event, context):\n"
            "    return event\n",
        }
    )
    function = (
        Address(f"src/pick_{architecture}", target_name="lambda"),
        PythonAwsLambdaFunctionFieldSet,
    )
    requirements_layer = f"src/never:layer-{architecture}"
    assert metadata(rule_runner, *function)["layers"] == ["src/lib:layer", requirements_layer]
    _, files = build(rule_runner, *function)
    assert set(files) == {f"pick_{architecture}/handler.py", "lambda_function.py"}


@pytest.mark.parametrize(
    "layers, error",
    [
        (
            ["src/never:layer-arm64"],
            "src/bad_layers:lambda runs on x86_64, but its `layers` names src/never:layer-arm64, "
            "whose requirements are built for arm64, and no x86_64 build of it",
        ),
        (
            ["src/lib"],
            "src/bad_layers:lambda: `layers` names src/lib:lib, a `python_sources` target; it "
            "takes `python_aws_lambda_layer` targets only.",
        ),
        (
            ["src/bad_layers:py312"],
            "src/bad_layers:lambda runs on Python 3.13 (python3.13-x86_64.json), but its layer "
            "src/bad_layers:py312 ships requirements built for Python 3.12",
        ),
    ],
    ids=["other-architecture", "not-a-layer", "other-runtime"],
)
def test_layers_a_function_cannot_run_with_are_refused(
    rule_runner: RuleRunner, layers: list[str], error: str
) -> None:
    rule_runner.write_files(
        {
            "src/bad_layers/BUILD": "python_aws_lambda_layer(name='py312', runtime='python3.12', "
            "dependencies=['src/never:req'], include_sources=False)\n"
            "python_aws_lambda_function(name='lambda', handler='app.handler:handle', "
            f"runtime='python3.13', dependencies=['src/app'], layers={layers!r})",
        }
    )
    with pytest.raises(ExecutionError, match=re.escape(error)):
        build(
            rule_runner,
            Address("src/bad_layers", target_name="lambda"),
            PythonAwsLambdaFunctionFieldSet,
        )

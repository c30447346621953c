"""Packages `python_aws_lambda_function` and `python_aws_lambda_layer` targets as Lambda zips.

With third-party requirements this follows Pants 2.18's `BuildPythonFaaSRequest` flow on 2.17's
building blocks: build a packed PEX of the target's closure, then let `pex3 venv create --layout
flat-zipped` lay it out as a zip. Two things 2.17 cannot do are added: a `--prefix` (layers live
under `python/`) and complete platforms picked from `runtime` + `architecture`.

Without requirements (`include_requirements=False`: every function zip and the shared layer
here) there is nothing to resolve, so the zip is written in the rule from the closure's source
files, with the same entries and layout pex would give. This is a deliberate divergence from
upstream, which always runs pex: two pex processes cost ~7 s to zip two small files, which made
editing one handler slower than a Makefile (pants-plugins/README.md).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from pants.backend.awslambda.python.target_types import (
    PythonAwsLambdaHandlerField,
    PythonAwsLambdaIncludeRequirements,
    PythonAwsLambdaRuntime,
)
from pants.backend.python.target_types import PexLayout
from pants.backend.python.util_rules.faas import (
    PythonFaaSCompletePlatforms,
    ResolvedPythonFaaSHandler,
    ResolvePythonFaaSHandlerRequest,
)
from pants.backend.python.util_rules.faas import rules as faas_rules
from pants.backend.python.util_rules.interpreter_constraints import InterpreterConstraints
from pants.backend.python.util_rules.pex import CompletePlatforms, Pex, PexPlatforms
from pants.backend.python.util_rules.pex_cli import PexCliProcess
from pants.backend.python.util_rules.pex_environment import PythonExecutable
from pants.backend.python.util_rules.pex_from_targets import PexFromTargetsRequest
from pants.backend.python.util_rules.python_sources import (
    PythonSourceFiles,
    PythonSourceFilesRequest,
    StrippedPythonSourceFiles,
)
from pants.core.goals.package import (
    BuiltPackage,
    BuiltPackageArtifact,
    OutputPathField,
    PackageFieldSet,
)
from pants.core.target_types import FileSourceField
from pants.core.util_rules.environments import EnvironmentField
from pants.engine.addresses import Address
from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestContents,
    FileContent,
    MergeDigests,
)
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import InvalidFieldException, TransitiveTargets, TransitiveTargetsRequest
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from aws_lambda_backport import lambda_zip
from aws_lambda_backport.lambda_zip import deterministic_zip
from aws_lambda_backport.target_types import (
    PythonAwsLambdaArchitecture,
    PythonAWSLambdaFunction,
    PythonAwsLambdaIncludeBytecode,
    PythonAwsLambdaIncludeSources,
    PythonAWSLambdaLayer,
    PythonAwsLambdaLayerDependenciesField,
)

logger = logging.getLogger(__name__)

COMPLETE_PLATFORMS_DIR = Path(__file__).parent / "complete_platforms"
# Lambda's handler setting for every function this plugin builds (upstream's choice too).
REEXPORTED_HANDLER_MODULE = "lambda_function"
REEXPORTED_HANDLER_FUNC = "handler"
LAYER_PREFIX = "python"


@dataclass(frozen=True)
class PythonAwsLambdaFunctionFieldSet(PackageFieldSet):
    required_fields = (PythonAwsLambdaHandlerField, PythonAwsLambdaArchitecture)

    handler: PythonAwsLambdaHandlerField
    include_requirements: PythonAwsLambdaIncludeRequirements
    include_bytecode: PythonAwsLambdaIncludeBytecode
    runtime: PythonAwsLambdaRuntime
    architecture: PythonAwsLambdaArchitecture
    complete_platforms: PythonFaaSCompletePlatforms
    output_path: OutputPathField
    environment: EnvironmentField


@dataclass(frozen=True)
class PythonAwsLambdaLayerFieldSet(PackageFieldSet):
    required_fields = (PythonAwsLambdaLayerDependenciesField,)

    dependencies: PythonAwsLambdaLayerDependenciesField
    include_requirements: PythonAwsLambdaIncludeRequirements
    include_sources: PythonAwsLambdaIncludeSources
    include_bytecode: PythonAwsLambdaIncludeBytecode
    runtime: PythonAwsLambdaRuntime
    architecture: PythonAwsLambdaArchitecture
    complete_platforms: PythonFaaSCompletePlatforms
    output_path: OutputPathField
    environment: EnvironmentField


@dataclass(frozen=True)
class LambdaPlatformsRequest:
    address: Address
    runtime: PythonAwsLambdaRuntime
    architecture: PythonAwsLambdaArchitecture
    complete_platforms: PythonFaaSCompletePlatforms


@dataclass(frozen=True)
class LambdaPlatforms:
    platforms: PexPlatforms
    complete_platforms: CompletePlatforms
    # The runtime's `major.minor`, e.g. "3.13": the interpreter that compiles its bytecode.
    python_version: str


def bundled_complete_platform(runtime: str, architecture: str) -> Optional[Path]:
    path = COMPLETE_PLATFORMS_DIR / f"{runtime}-{architecture}.json"
    return path if path.is_file() else None


@rule
async def lambda_platforms(request: LambdaPlatformsRequest) -> LambdaPlatforms:
    """Explicit `complete_platforms`, or the bundled file for `runtime` + `architecture`."""
    runtime = request.runtime.value
    architecture = request.architecture.value
    if request.complete_platforms.value and runtime is not None:
        # As upstream: two sources for one fact, and no way to tell which one is meant.
        raise InvalidFieldException(
            f"{request.address} sets both `runtime={runtime!r}` and `complete_platforms`: set "
            "only one (`runtime` may come from `__defaults__`: override it with `runtime=None`)."
        )
    if request.complete_platforms.value:
        explicit = await Get(
            CompletePlatforms, PythonFaaSCompletePlatforms, request.complete_platforms
        )
        # The interpreter the platform describes, as pex reads it from the file.
        contents = await Get(DigestContents, Digest, explicit.digest)
        environment = json.loads(contents[0].content)["marker_environment"]
        return LambdaPlatforms(PexPlatforms(), explicit, environment["python_version"])

    if runtime is None:
        raise InvalidFieldException(
            f"{request.address} must set `runtime` (e.g. `python3.13`) or `complete_platforms`."
        )
    bundled = bundled_complete_platform(runtime, architecture or "x86_64")
    if bundled is None:
        if architecture != "x86_64":
            raise InvalidFieldException(
                f"{request.address}: no bundled complete platform for {runtime} on "
                f"{architecture}; set `complete_platforms` (see "
                f"pants-plugins/aws_lambda_backport/generate_complete_platforms.py)."
            )
        # 2.17's fallback: an abbreviated platform, less accurate but still usable.
        abbreviated = request.runtime.to_platform_string() or ""
        return LambdaPlatforms(
            PexPlatforms([abbreviated]), CompletePlatforms(), _python_version(request.runtime)
        )

    file_name = f"__lambda_complete_platforms/{bundled.name}"
    digest = await Get(Digest, CreateDigest([FileContent(file_name, bundled.read_bytes())]))
    return LambdaPlatforms(
        PexPlatforms(),
        CompletePlatforms([file_name], digest=digest),
        _python_version(request.runtime),
    )


def _python_version(runtime: PythonAwsLambdaRuntime) -> str:
    """`3.13` for `python3.13`: the field has checked the form, the caller that it is set."""
    version = runtime.to_interpreter_version()
    assert version is not None
    return f"{version[0]}.{version[1]}"


@dataclass(frozen=True)
class SourceOnlyArtifactRequest:
    address: Address
    output_filename: str
    include_sources: bool
    additional_files: tuple[FileContent, ...]
    prefix_in_artifact: Optional[str]


@dataclass(frozen=True)
class SourceOnlyArtifact:
    digest: Digest


@rule(desc="Zip first-party sources for AWS Lambda", level=LogLevel.DEBUG)
async def build_source_only_artifact(request: SourceOnlyArtifactRequest) -> SourceOnlyArtifact:
    """The closure's Python sources and resources, source roots stripped, zipped in the rule.

    The same files `PexFromTargetsRequest(include_requirements=False)` would put in the PEX: the
    transitive closure (after `!!` excludes) filtered to `python_source` and `resource` targets.
    """
    files: dict[str, bytes] = {}
    if request.include_sources:
        transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([request.address]))
        if any(tgt.has_field(FileSourceField) for tgt in transitive.dependencies):
            # As upstream's pex path warns: `file` targets never ship in a Lambda artifact.
            logger.warning(
                f"{request.address} depends on `file` targets, which are not packaged; use "
                "`resource` targets for data the code reads at run time."
            )
        sources = await Get(PythonSourceFiles, PythonSourceFilesRequest(transitive.closure))
        stripped = await Get(StrippedPythonSourceFiles, PythonSourceFiles, sources)
        contents = await Get(DigestContents, Digest, stripped.stripped_source_files.snapshot.digest)
        files.update((entry.path, entry.content) for entry in contents)
    files.update((extra.path, extra.content) for extra in request.additional_files)
    archive = deterministic_zip(files, request.prefix_in_artifact)
    digest = await Get(Digest, CreateDigest([FileContent(request.output_filename, archive)]))
    return SourceOnlyArtifact(digest)


@dataclass(frozen=True)
class BuildLambdaArtifactRequest:
    address: Address
    target_name: str
    platforms_request: LambdaPlatformsRequest
    output_path: OutputPathField
    include_requirements: bool
    include_sources: bool
    include_bytecode: bool
    handler: Optional[PythonAwsLambdaHandlerField]
    prefix_in_artifact: Optional[str]
    # Where Lambda unpacks the zip: /var/task for a function, /opt for a layer.
    unpacked_at: str


@dataclass(frozen=True)
class AddBytecodeRequest:
    address: Address
    zip_digest: Digest  # holds exactly `path`
    path: str
    python_version: str
    unpacked_at: str


@dataclass(frozen=True)
class ZipWithBytecode:
    digest: Digest


@rule(desc="Compile bytecode into a Lambda zip", level=LogLevel.DEBUG)
async def add_bytecode(request: AddBytecodeRequest) -> ZipWithBytecode:
    """Runs lambda_zip.py on the runtime's CPython: only it writes bytecode that version loads."""
    python = await Get(
        PythonExecutable,
        InterpreterConstraints([f"CPython=={request.python_version}.*"]),
    )
    without_bytecode = "__without_bytecode"
    script = "__lambda_zip.py"
    input_digest = await Get(
        Digest,
        MergeDigests(
            [
                await Get(Digest, AddPrefix(request.zip_digest, without_bytecode)),
                await Get(
                    Digest,
                    CreateDigest([FileContent(script, Path(lambda_zip.__file__).read_bytes())]),
                ),
            ]
        ),
    )
    result = await Get(
        ProcessResult,
        Process(
            # -s: no user site-packages; the standard library is all the script needs.
            argv=(
                python.path,
                "-s",
                script,
                "add-bytecode",
                f"{without_bytecode}/{request.path}",
                request.path,
                f"--root={request.unpacked_at}",
            ),
            # Before 3.11 (bpo-37596), set constants were marshalled in hash order: a fixed seed
            # keeps older runtimes' bytecode reproducible too.
            env={"PYTHONHASHSEED": "0"},
            input_digest=input_digest,
            output_files=(request.path,),
            # Interpreters come from pyenv or PATH ([python-bootstrap]), not from a download.
            append_only_caches=python.append_only_caches,
            description=f"Compile Python {request.python_version} bytecode for {request.address}",
            level=LogLevel.DEBUG,
        ),
    )
    if result.stdout.strip():
        logger.info(f"{request.address}: {result.stdout.decode().strip()}")
    return ZipWithBytecode(result.output_digest)


async def _build_with_pex(
    request: BuildLambdaArtifactRequest,
    platforms: LambdaPlatforms,
    additional_files: tuple[FileContent, ...],
    output_filename: str,
) -> Digest:
    """Upstream's flow: a packed PEX of the closure, laid out as a zip by `pex3 venv create`."""
    additional_sources = (
        await Get(Digest, CreateDigest(additional_files)) if additional_files else None
    )
    pex_args = (
        # Let pex pick a local interpreter matching the platform (faster, same result).
        "--resolve-local-platforms",
    )
    repository = await Get(
        Pex,
        PexFromTargetsRequest(
            addresses=[request.address],
            internal_only=False,
            include_requirements=True,
            include_source_files=request.include_sources,
            output_filename="faas_repository.pex",
            platforms=platforms.platforms,
            complete_platforms=platforms.complete_platforms,
            layout=PexLayout.PACKED,
            additional_args=pex_args,
            additional_lockfile_args=pex_args,
            additional_sources=additional_sources,
            warn_for_transitive_files_targets=True,
        ),
    )

    # `--layout flat-zipped` zips `--dest-dir` to `<dest-dir>.zip`, with fixed timestamps.
    dest_dir = str(Path(output_filename).with_suffix(""))
    prefix_args = ("--prefix", request.prefix_in_artifact) if request.prefix_in_artifact else ()
    input_digest = await Get(
        Digest, MergeDigests([repository.digest, platforms.complete_platforms.digest])
    )
    result = await Get(
        ProcessResult,
        PexCliProcess(
            subcommand=("venv", "create"),
            extra_args=(
                f"--dest-dir={dest_dir}",
                f"--pex-repository={repository.name}",
                "--layout=flat-zipped",
                *prefix_args,
                *platforms.platforms.generate_pex_arg_list(),
                *platforms.complete_platforms.generate_pex_arg_list(),
            ),
            additional_input_digest=input_digest,
            output_files=(output_filename,),
            description=f"Build {request.target_name} artifact for {request.address}",
        ),
    )
    return result.output_digest


@rule
async def build_lambda_artifact(request: BuildLambdaArtifactRequest) -> BuiltPackage:
    platforms = await Get(LambdaPlatforms, LambdaPlatformsRequest, request.platforms_request)

    additional_files: tuple[FileContent, ...] = ()
    log_lines: tuple[str, ...] = ()
    if request.handler is not None:
        handler = await Get(
            ResolvedPythonFaaSHandler, ResolvePythonFaaSHandlerRequest(request.handler)
        )
        # A fixed entry point, so infrastructure says `lambda_function.handler` for every function.
        content = f"from {handler.module} import {handler.func} as {REEXPORTED_HANDLER_FUNC}\n"
        additional_files = (FileContent(f"{REEXPORTED_HANDLER_MODULE}.py", content.encode()),)
        log_lines = (f"    Handler: {REEXPORTED_HANDLER_MODULE}.{REEXPORTED_HANDLER_FUNC}",)
    details = tuple(
        f"    Complete platform: {Path(path).name}" for path in platforms.complete_platforms
    )
    output_filename = request.output_path.value_or_default(file_ending="zip")

    if not request.include_requirements:
        source_only = await Get(
            SourceOnlyArtifact,
            SourceOnlyArtifactRequest(
                address=request.address,
                output_filename=output_filename,
                include_sources=request.include_sources,
                additional_files=additional_files,
                prefix_in_artifact=request.prefix_in_artifact,
            ),
        )
        zip_digest = source_only.digest
    else:
        zip_digest = await _build_with_pex(request, platforms, additional_files, output_filename)

    if request.include_bytecode:
        with_bytecode = await Get(
            ZipWithBytecode,
            AddBytecodeRequest(
                address=request.address,
                zip_digest=zip_digest,
                path=output_filename,
                python_version=platforms.python_version,
                unpacked_at=request.unpacked_at,
            ),
        )
        zip_digest = with_bytecode.digest
        details += (f"    Bytecode: CPython {platforms.python_version}, checked-hash .pyc",)
    return BuiltPackage(
        digest=zip_digest,
        artifacts=(BuiltPackageArtifact(output_filename, extra_log_lines=details + log_lines),),
    )


def _platforms_request(
    field_set: Union[PythonAwsLambdaFunctionFieldSet, PythonAwsLambdaLayerFieldSet],
) -> LambdaPlatformsRequest:
    return LambdaPlatformsRequest(
        address=field_set.address,
        runtime=field_set.runtime,
        architecture=field_set.architecture,
        complete_platforms=field_set.complete_platforms,
    )


@rule(desc="Create Python AWS Lambda Function", level=LogLevel.DEBUG)
async def package_python_aws_lambda_function(
    field_set: PythonAwsLambdaFunctionFieldSet,
) -> BuiltPackage:
    return await Get(
        BuiltPackage,
        BuildLambdaArtifactRequest(
            address=field_set.address,
            target_name=PythonAWSLambdaFunction.alias,
            platforms_request=_platforms_request(field_set),
            output_path=field_set.output_path,
            include_requirements=field_set.include_requirements.value,
            include_sources=True,
            include_bytecode=field_set.include_bytecode.value,
            handler=field_set.handler,
            prefix_in_artifact=None,
            unpacked_at="/var/task",
        ),
    )


@rule(desc="Create Python AWS Lambda Layer", level=LogLevel.DEBUG)
async def package_python_aws_lambda_layer(field_set: PythonAwsLambdaLayerFieldSet) -> BuiltPackage:
    return await Get(
        BuiltPackage,
        BuildLambdaArtifactRequest(
            address=field_set.address,
            target_name=PythonAWSLambdaLayer.alias,
            platforms_request=_platforms_request(field_set),
            output_path=field_set.output_path,
            include_requirements=field_set.include_requirements.value,
            include_sources=field_set.include_sources.value,
            include_bytecode=field_set.include_bytecode.value,
            handler=None,
            # Lambda adds /opt/python to sys.path; a layer zip unpacks into /opt.
            prefix_in_artifact=LAYER_PREFIX,
            unpacked_at="/opt",
        ),
    )


def rules() -> Iterable[object]:
    return (
        *collect_rules(),
        *faas_rules(),
        UnionRule(PackageFieldSet, PythonAwsLambdaFunctionFieldSet),
        UnionRule(PackageFieldSet, PythonAwsLambdaLayerFieldSet),
    )

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

import io
import logging
import zipfile
from collections.abc import Iterable, Mapping
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
from pants.backend.python.util_rules.pex import CompletePlatforms, Pex, PexPlatforms
from pants.backend.python.util_rules.pex_cli import PexCliProcess
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
from pants.engine.fs import CreateDigest, Digest, DigestContents, FileContent, MergeDigests
from pants.engine.process import ProcessResult
from pants.engine.rules import Get, collect_rules, rule
from pants.engine.target import InvalidFieldException, TransitiveTargets, TransitiveTargetsRequest
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel

from aws_lambda_backport.target_types import (
    PythonAwsLambdaArchitecture,
    PythonAWSLambdaFunction,
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


def bundled_complete_platform(runtime: str, architecture: str) -> Optional[Path]:
    path = COMPLETE_PLATFORMS_DIR / f"{runtime}-{architecture}.json"
    return path if path.is_file() else None


@rule
async def lambda_platforms(request: LambdaPlatformsRequest) -> LambdaPlatforms:
    """Explicit `complete_platforms` win; else the bundled file for `runtime` + `architecture`."""
    if request.complete_platforms.value:
        explicit = await Get(
            CompletePlatforms, PythonFaaSCompletePlatforms, request.complete_platforms
        )
        return LambdaPlatforms(PexPlatforms(), explicit)

    runtime = request.runtime.value
    architecture = request.architecture.value
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
        return LambdaPlatforms(PexPlatforms([abbreviated]), CompletePlatforms())

    file_name = f"__lambda_complete_platforms/{bundled.name}"
    digest = await Get(Digest, CreateDigest([FileContent(file_name, bundled.read_bytes())]))
    return LambdaPlatforms(PexPlatforms(), CompletePlatforms([file_name], digest=digest))


# What `pex3 venv create --layout flat-zipped` writes, so both paths give the same kind of zip:
# DOS epoch timestamps, Unix permissions 0644/0755, deflated files, stored directory entries.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_UNIX_FILE = 0o100644 << 16
_UNIX_DIR = (0o040755 << 16) | 0x10  # 0x10: the MS-DOS directory attribute


def deterministic_zip(files: Mapping[str, bytes], prefix: Optional[str] = None) -> bytes:
    """A zip of `files` whose bytes depend only on their paths and contents.

    Entries are sorted by path, each directory under `prefix` gets its own entry (as pex writes
    them; the prefix itself gets none), and nothing of the host leaks in: no timestamps, owners
    or permission bits of the build machine.
    """
    root = f"{prefix}/" if prefix else ""
    entries: dict[str, Optional[bytes]] = {}
    for path, data in files.items():
        parts = path.split("/")
        for depth in range(1, len(parts)):
            entries[root + "/".join(parts[:depth]) + "/"] = None
        entries[root + path] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(entries):
            content = entries[name]
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.create_system = 3  # Unix, so that the permission bits are read
            if content is None:
                info.external_attr = _UNIX_DIR
                archive.writestr(info, b"", compress_type=zipfile.ZIP_STORED)
            else:
                info.external_attr = _UNIX_FILE
                archive.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


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
    handler: Optional[PythonAwsLambdaHandlerField]
    prefix_in_artifact: Optional[str]


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
        return BuiltPackage(
            digest=source_only.digest,
            artifacts=(BuiltPackageArtifact(output_filename, extra_log_lines=details + log_lines),),
        )

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
            include_requirements=request.include_requirements,
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
    return BuiltPackage(
        digest=result.output_digest,
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
            handler=field_set.handler,
            prefix_in_artifact=None,
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
            handler=None,
            # Lambda adds /opt/python to sys.path; a layer zip unpacks into /opt.
            prefix_in_artifact=LAYER_PREFIX,
        ),
    )


def rules() -> Iterable[object]:
    return (
        *collect_rules(),
        *faas_rules(),
        UnionRule(PackageFieldSet, PythonAwsLambdaFunctionFieldSet),
        UnionRule(PackageFieldSet, PythonAwsLambdaLayerFieldSet),
    )

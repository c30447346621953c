"""Packages `python_aws_lambda_function` and `python_aws_lambda_layer` targets as Lambda zips.

With third-party requirements this follows Pants 2.18's `BuildPythonFaaSRequest` flow on 2.17's
building blocks: build a packed PEX of the target's closure, then let `pex3 venv create --layout
flat-zipped` lay it out as a zip. Two things 2.17 cannot do are added: a `--prefix` (layers live
under `python/`) and complete platforms picked from `runtime` + `architecture`.

Without requirements (`include_requirements=False`, or a function whose `layers` ship all its
requirements) there is nothing to resolve, so the zip is written in the rule from the closure's
source files, with the same entries and layout pex would give. This is a deliberate divergence
from upstream, which always runs pex: two pex processes cost ~7 s to zip two small files, which
made editing one handler slower than a Makefile (pants-plugins/README.md).

A function's `layers` (ours; pantsbuild/pants#19256 asks for it upstream) subtract what they
ship: first-party files by path, as the layers' own closures give them, and third-party
distributions by project name, as the layers' PEXes hold them (transitive ones included). When
every requirement target of the function is one a named layer resolves, the layer ships all the
function's distributions, so nothing is resolved and the zip is written in the rule, as above;
otherwise pex builds it with `--exclude` for each distribution the layers ship.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

from pants.backend.awslambda.python.target_types import (
    PythonAwsLambdaHandlerField,
    PythonAwsLambdaIncludeRequirements,
    PythonAwsLambdaRuntime,
)
from pants.backend.python.dependency_inference.module_mapper import (
    ModuleProviderType,
    ThirdPartyPythonModuleMapping,
)
from pants.backend.python.target_types import PexLayout, PythonRequirementsField
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
from pants.engine.addresses import Address, Addresses, UnparsedAddressInputs
from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestContents,
    DigestEntries,
    DigestSubset,
    FileContent,
    FileEntry,
    MergeDigests,
    PathGlobs,
    Snapshot,
)
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import (
    DependenciesRequest,
    ExplicitlyProvidedDependencies,
    InvalidFieldException,
    TransitiveTargets,
    TransitiveTargetsRequest,
    UnexpandedTargets,
)
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.ordered_set import FrozenOrderedSet

from aws_lambda_backport import lambda_zip
from aws_lambda_backport.lambda_zip import deterministic_zip
from aws_lambda_backport.target_types import (
    PythonAwsLambdaArchitecture,
    PythonAWSLambdaFunction,
    PythonAwsLambdaIncludeBytecode,
    PythonAwsLambdaIncludeSources,
    PythonAWSLambdaLayer,
    PythonAwsLambdaLayerDependenciesField,
    PythonAwsLambdaLayersField,
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
    layers: PythonAwsLambdaLayersField


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
class ShippedSourcesRequest:
    address: Address
    # Paths (source roots stripped) to leave out: the first-party files the layers ship.
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShippedSources:
    # The closure's Python sources and resources, source roots stripped, less `excluded`.
    snapshot: Snapshot
    # The closure's requirement targets: what pex would resolve for it.
    requirements: frozenset[Address]


@rule(desc="Find the first-party files of a Lambda artifact", level=LogLevel.DEBUG)
async def shipped_sources(request: ShippedSourcesRequest) -> ShippedSources:
    """The same files `PexFromTargetsRequest` puts in the PEX: the transitive closure (after `!!`
    excludes) filtered to `python_source` and `resource` targets, less the excluded paths."""
    transitive = await Get(TransitiveTargets, TransitiveTargetsRequest([request.address]))
    if any(tgt.has_field(FileSourceField) for tgt in transitive.dependencies):
        # As upstream's pex path warns: `file` targets never ship in a Lambda artifact.
        logger.warning(
            f"{request.address} depends on `file` targets, which are not packaged; use "
            "`resource` targets for data the code reads at run time."
        )
    sources = await Get(PythonSourceFiles, PythonSourceFilesRequest(transitive.closure))
    stripped = await Get(StrippedPythonSourceFiles, PythonSourceFiles, sources)
    snapshot = stripped.stripped_source_files.snapshot
    if request.excluded and not set(request.excluded).isdisjoint(snapshot.files):
        excluded = set(request.excluded)
        entries = await Get(DigestEntries, Digest, snapshot.digest)
        kept = await Get(
            Digest,
            CreateDigest(e for e in entries if isinstance(e, FileEntry) and e.path not in excluded),
        )
        snapshot = await Get(Snapshot, Digest, kept)
    requirements = frozenset(
        tgt.address for tgt in transitive.closure if tgt.has_field(PythonRequirementsField)
    )
    return ShippedSources(snapshot, requirements)


@dataclass(frozen=True)
class TypeStubRequirementsRequest:
    pass


@dataclass(frozen=True)
class TypeStubRequirements:
    """The requirement targets Pants infers as type stubs (`type_stub_modules`, `types-*`,
    `*-stubs`): for type checkers only, so a function's zip never needs them at run time."""

    addresses: frozenset[Address]


@rule(desc="Find the type stub requirements", level=LogLevel.DEBUG)
async def type_stub_requirements(
    _: TypeStubRequirementsRequest, mapping: ThirdPartyPythonModuleMapping
) -> TypeStubRequirements:
    providers = [
        provider
        for modules in mapping.resolves_to_modules_to_providers.values()
        for module_providers in modules.values()
        for provider in module_providers
    ]
    implementations = {p.addr for p in providers if p.typ is ModuleProviderType.IMPL}
    return TypeStubRequirements(
        frozenset(
            p.addr
            for p in providers
            if p.typ is ModuleProviderType.TYPE_STUB and p.addr not in implementations
        )
    )


@dataclass(frozen=True)
class FunctionLayersRequest:
    address: Address
    layers: PythonAwsLambdaLayersField
    architecture: Optional[str]
    platforms: LambdaPlatforms


@dataclass(frozen=True)
class FunctionLayers:
    """The layers a function is built against, its architecture's picks, and what they ship."""

    layers: tuple[PythonAwsLambdaLayerFieldSet, ...]
    # First-party files, as paths relative to a source root (their place under python/).
    files: frozenset[str]
    # The requirement targets the layers that ship requirements resolve.
    requirements: frozenset[Address]

    @property
    def requirement_layers(self) -> tuple[PythonAwsLambdaLayerFieldSet, ...]:
        return tuple(layer for layer in self.layers if layer.include_requirements.value)


def _platform_key(platforms: LambdaPlatforms) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    return (
        tuple(platforms.platforms),
        tuple(Path(path).name for path in platforms.complete_platforms),
        platforms.python_version,
    )


def _describe(platforms: LambdaPlatforms) -> str:
    platform_names = ", ".join(_platform_key(platforms)[1] or _platform_key(platforms)[0])
    return f"Python {platforms.python_version} ({platform_names})"


@rule(desc="Resolve the layers of an AWS Lambda function", level=LogLevel.DEBUG)
async def resolve_function_layers(request: FunctionLayersRequest) -> FunctionLayers:
    """The named layers, less those of another architecture whose counterpart is named too.

    Only a layer that ships requirements is built for an architecture (and a Python version):
    pex resolves them for its platform. A layer of sources only is the same on every one.
    """
    addresses = await Get(
        Addresses, UnparsedAddressInputs, request.layers.to_unparsed_address_inputs()
    )
    # Unexpanded: a target generator named is itself the mistake, not its generated targets.
    targets = await Get(UnexpandedTargets, Addresses(FrozenOrderedSet(addresses)))
    for tgt in targets:
        if not PythonAwsLambdaLayerFieldSet.is_applicable(tgt):
            raise InvalidFieldException(
                f"{request.address}: `{request.layers.alias}` names {tgt.address}, a "
                f"`{tgt.alias}` target; it takes `{PythonAWSLambdaLayer.alias}` targets only."
            )
    named = [PythonAwsLambdaLayerFieldSet.create(tgt) for tgt in targets]
    with_requirements = [layer for layer in named if layer.include_requirements.value]
    explicit = await MultiGet(
        Get(ExplicitlyProvidedDependencies, DependenciesRequest(layer.dependencies))
        for layer in with_requirements
    )
    # Layers with the same `dependencies` and `include_sources` are one layer built for
    # different architectures.
    same_layer = {
        layer.address: (deps.includes, deps.ignores, layer.include_sources.value)
        for layer, deps in zip(with_requirements, explicit)
    }
    ours = {
        same_layer[layer.address]
        for layer in with_requirements
        if layer.architecture.value == request.architecture
    }
    kept = []
    for layer in named:
        if layer.include_requirements.value and layer.architecture.value != request.architecture:
            if same_layer[layer.address] in ours:
                continue  # the function's architecture picks the other one
            raise InvalidFieldException(
                f"{request.address} runs on {request.architecture}, but its `"
                f"{request.layers.alias}` names {layer.address}, whose requirements are built "
                f"for {layer.architecture.value}, and no {request.architecture} build of it (a "
                f"`{PythonAWSLambdaLayer.alias}` with the same `dependencies` and "
                f"`architecture={request.architecture!r}`)."
            )
        kept.append(layer)

    requirement_layers = [layer for layer in kept if layer.include_requirements.value]
    layer_platforms = await MultiGet(
        Get(LambdaPlatforms, LambdaPlatformsRequest, _platforms_request(layer))
        for layer in requirement_layers
    )
    for layer, platforms in zip(requirement_layers, layer_platforms):
        if _platform_key(platforms) != _platform_key(request.platforms):
            raise InvalidFieldException(
                f"{request.address} runs on {_describe(request.platforms)}, but its layer "
                f"{layer.address} ships requirements built for {_describe(platforms)}: set "
                "the same `runtime` (or `complete_platforms`) on both."
            )

    shipped = await MultiGet(
        Get(ShippedSources, ShippedSourcesRequest(layer.address)) for layer in kept
    )
    files: set[str] = set()
    requirements: set[Address] = set()
    for layer, sources in zip(kept, shipped):
        if layer.include_sources.value:
            files.update(sources.snapshot.files)
        if layer.include_requirements.value:
            requirements.update(sources.requirements)
    return FunctionLayers(tuple(kept), frozenset(files), frozenset(requirements))


@dataclass(frozen=True)
class SourceOnlyArtifactRequest:
    address: Address
    output_filename: str
    include_sources: bool
    additional_files: tuple[FileContent, ...]
    prefix_in_artifact: Optional[str]
    excluded: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceOnlyArtifact:
    digest: Digest


@rule(desc="Zip first-party sources for AWS Lambda", level=LogLevel.DEBUG)
async def build_source_only_artifact(request: SourceOnlyArtifactRequest) -> SourceOnlyArtifact:
    """The closure's Python sources and resources (`ShippedSources`), zipped in the rule."""
    files: dict[str, bytes] = {}
    if request.include_sources:
        sources = await Get(
            ShippedSources, ShippedSourcesRequest(request.address, request.excluded)
        )
        contents = await Get(DigestContents, Digest, sources.snapshot.digest)
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
    # A function's layers, whose contents its zip leaves out.
    layers: Optional[PythonAwsLambdaLayersField] = None


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


def _repository_pex_request(
    address: Address,
    include_sources: bool,
    platforms: LambdaPlatforms,
    additional_sources: Optional[Digest],
    excluded_distributions: tuple[str, ...] = (),
) -> PexFromTargetsRequest:
    """Upstream's packed PEX of the closure; for a layer, also where its distributions are read."""
    pex_args = (
        # Let pex pick a local interpreter matching the platform (faster, same result).
        "--resolve-local-platforms",
    )
    return PexFromTargetsRequest(
        addresses=[address],
        internal_only=False,
        include_requirements=True,
        include_source_files=include_sources,
        output_filename="faas_repository.pex",
        platforms=platforms.platforms,
        complete_platforms=platforms.complete_platforms,
        layout=PexLayout.PACKED,
        # What the function's layers ship: pex leaves each out, and whatever only it needs.
        additional_args=(*pex_args, *(f"--exclude={name}" for name in excluded_distributions)),
        additional_lockfile_args=pex_args,
        additional_sources=additional_sources,
        warn_for_transitive_files_targets=True,
    )


def _canonical(project_name: str) -> str:
    """PEP 503's normalized name: `Python_Dateutil` -> `python-dateutil`."""
    return re.sub(r"[-_.]+", "-", project_name).lower()


def _project_name(wheel: str) -> str:
    """`python_dateutil-2.9.0.post0-py2.py3-none-any.whl` -> `python-dateutil`."""
    return _canonical(wheel.split("-", 1)[0])


@dataclass(frozen=True)
class LayerDistributionsRequest:
    layer: PythonAwsLambdaLayerFieldSet


@dataclass(frozen=True)
class LayerDistributions:
    projects: frozenset[str]  # canonical project names


@rule(desc="List the distributions of an AWS Lambda layer", level=LogLevel.DEBUG)
async def layer_distributions(request: LayerDistributionsRequest) -> LayerDistributions:
    """The projects a layer ships: those in its PEX, the one its own build lays out."""
    layer = request.layer
    platforms = await Get(LambdaPlatforms, LambdaPlatformsRequest, _platforms_request(layer))
    pex = await Get(
        Pex,
        PexFromTargetsRequest,
        _repository_pex_request(layer.address, layer.include_sources.value, platforms, None),
    )
    pex_info_digest = await Get(
        Digest, DigestSubset(pex.digest, PathGlobs([f"{pex.name}/PEX-INFO"]))
    )
    (pex_info,) = await Get(DigestContents, Digest, pex_info_digest)
    return LayerDistributions(
        frozenset(map(_project_name, json.loads(pex_info.content)["distributions"]))
    )


async def _build_with_pex(
    request: BuildLambdaArtifactRequest,
    platforms: LambdaPlatforms,
    additional_files: tuple[FileContent, ...],
    output_filename: str,
    layers: Optional[FunctionLayers] = None,
) -> Digest:
    """Upstream's flow: a packed PEX of the closure, laid out as a zip by `pex3 venv create`.

    With layers, the PEX gets the function's first-party files less the layers' (not the
    closure's), and leaves out every distribution the layers ship.
    """
    additional_sources = (
        await Get(Digest, CreateDigest(additional_files)) if additional_files else None
    )
    include_sources = request.include_sources
    excluded: tuple[str, ...] = ()
    if layers is not None:
        sources = await Get(
            ShippedSources, ShippedSourcesRequest(request.address, tuple(sorted(layers.files)))
        )
        additional_sources = await Get(
            Digest, MergeDigests([sources.snapshot.digest, *filter(None, [additional_sources])])
        )
        include_sources = False
        shipped = await MultiGet(
            Get(LayerDistributions, LayerDistributionsRequest(layer))
            for layer in layers.requirement_layers
        )
        stubs = await Get(TypeStubRequirements, TypeStubRequirementsRequest())
        stub_targets = await Get(
            UnexpandedTargets, Addresses(sorted(sources.requirements & stubs.addresses))
        )
        stub_projects = {
            _canonical(requirement.project_name)
            for tgt in stub_targets
            for requirement in tgt[PythonRequirementsField].value
        }
        excluded = tuple(sorted(stub_projects.union(*(d.projects for d in shipped))))
    repository = await Get(
        Pex,
        PexFromTargetsRequest,
        _repository_pex_request(
            request.address, include_sources, platforms, additional_sources, excluded
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

    layers: Optional[FunctionLayers] = None
    if request.layers is not None and request.layers.value:
        resolved = await Get(
            FunctionLayers,
            FunctionLayersRequest(
                request.address,
                request.layers,
                request.platforms_request.architecture.value,
                platforms,
            ),
        )
        log_lines = (
            f"    Layers: {', '.join(layer.address.spec for layer in resolved.layers)}",
            *log_lines,
        )
        layers = resolved
    excluded = tuple(sorted(layers.files)) if layers is not None else ()

    in_rule = not request.include_requirements
    if layers is not None and not in_rule:
        # Every requirement target the function has (but type stubs), a layer resolves for the
        # same platform from the same lockfile: it ships all the function's distributions, so
        # there is nothing to resolve.
        sources, stubs = await MultiGet(
            Get(ShippedSources, ShippedSourcesRequest(request.address, excluded)),
            Get(TypeStubRequirements, TypeStubRequirementsRequest()),
        )
        in_rule = sources.requirements - stubs.addresses <= layers.requirements
    if in_rule:
        source_only = await Get(
            SourceOnlyArtifact,
            SourceOnlyArtifactRequest(
                address=request.address,
                output_filename=output_filename,
                include_sources=request.include_sources,
                additional_files=additional_files,
                prefix_in_artifact=request.prefix_in_artifact,
                excluded=excluded,
            ),
        )
        zip_digest = source_only.digest
    else:
        zip_digest = await _build_with_pex(
            request, platforms, additional_files, output_filename, layers
        )

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

    # Upstream's (2.29) record of the artifact, for deploy tooling; `layers` is ours.
    metadata: dict[str, object] = {"architecture": request.platforms_request.architecture.value}
    if request.platforms_request.runtime.value is not None:
        metadata["runtime"] = request.platforms_request.runtime.value
    if request.handler is not None:
        metadata["handler"] = f"{REEXPORTED_HANDLER_MODULE}.{REEXPORTED_HANDLER_FUNC}"
    if layers is not None:
        metadata["layers"] = [layer.address.spec for layer in layers.layers]
    metadata_filename = f"{output_filename}.metadata.json"
    metadata_digest = await Get(
        Digest,
        CreateDigest(
            [
                FileContent(
                    metadata_filename, json.dumps(metadata, indent=2, sort_keys=True).encode()
                )
            ]
        ),
    )
    return BuiltPackage(
        digest=await Get(Digest, MergeDigests([zip_digest, metadata_digest])),
        artifacts=(
            BuiltPackageArtifact(output_filename, extra_log_lines=details + log_lines),
            BuiltPackageArtifact(metadata_filename),
        ),
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
            layers=field_set.layers,
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

"""`ruff check` (lint, fix) and `ruff format` (fmt, lint) rules, after upstream Pants 2.20."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pants.backend.python.target_types import (
    InterpreterConstraintsField,
    PythonResolveField,
    PythonSourceField,
)
from pants.backend.python.util_rules import pex
from pants.backend.python.util_rules.pex import PexRequest, VenvPex, VenvPexProcess
from pants.core.goals.fix import FixResult, FixTargetsRequest
from pants.core.goals.fmt import FmtResult, FmtTargetsRequest
from pants.core.goals.lint import AbstractLintRequest, LintResult, LintTargetsRequest
from pants.core.util_rules import config_files, source_files
from pants.core.util_rules.config_files import ConfigFiles, ConfigFilesRequest
from pants.core.util_rules.partitions import PartitionerType
from pants.core.util_rules.source_files import SourceFiles, SourceFilesRequest
from pants.engine.fs import Digest, MergeDigests
from pants.engine.internals.native_engine import Snapshot
from pants.engine.process import FallibleProcessResult, Process, ProcessResult
from pants.engine.rules import Get, MultiGet, collect_rules, rule
from pants.engine.target import FieldSet, Target
from pants.engine.unions import UnionRule
from pants.util.logging import LogLevel
from pants.util.meta import classproperty
from pants.util.strutil import pluralize

from ruff_backport.subsystem import Ruff, RuffMode, SkipRuffCheckField, SkipRuffFormatField

# The ruff >= 0.5 command line per mode. Pants 2.17 ran `ruff [--fix] FILES`, which such a ruff
# rejects; `args = ["check"]` then made `pants fix` report success without fixing anything.
_MODE_ARGV: dict[RuffMode, tuple[str, ...]] = {
    # `--no-fix`: a `fix = true` in the config must not turn lint into a silent fixer.
    RuffMode.LINT: ("check", "--no-fix"),
    # `--exit-zero`: violations left unfixed are lint's to report, so exit code 1 only means
    # "some remain"; an exit code 2 (bad config or flag, crash) still fails the goal.
    RuffMode.FIX: ("check", "--fix", "--exit-zero"),
    RuffMode.FORMAT: ("format",),
}


@dataclass(frozen=True)
class RuffCheckFieldSet(FieldSet):
    """A target `ruff check` runs on."""

    required_fields = (PythonSourceField,)

    source: PythonSourceField
    resolve: PythonResolveField
    interpreter_constraints: InterpreterConstraintsField

    @classmethod
    def opt_out(cls, tgt: Target) -> bool:
        return tgt.get(SkipRuffCheckField).value


@dataclass(frozen=True)
class RuffFormatFieldSet(FieldSet):
    """A target `ruff format` runs on."""

    required_fields = (PythonSourceField,)

    source: PythonSourceField
    resolve: PythonResolveField
    interpreter_constraints: InterpreterConstraintsField

    @classmethod
    def opt_out(cls, tgt: Target) -> bool:
        return tgt.get(SkipRuffFormatField).value


class RuffLintRequest(LintTargetsRequest):
    """`pants lint`: `ruff check` without fixing."""

    field_set_type = RuffCheckFieldSet
    # Ruff has `skip` (SkipOption); 2.17 types this slot nominally, upstream's own code alike.
    tool_subsystem = Ruff  # type: ignore[assignment]
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff check"

    @classproperty
    def tool_id(cls) -> str:
        return "ruff-check"


class RuffFixRequest(FixTargetsRequest):
    """`pants fix`: `ruff check --fix`."""

    field_set_type = RuffCheckFieldSet
    # Ruff has `skip` (SkipOption); 2.17 types this slot nominally, upstream's own code alike.
    tool_subsystem = Ruff  # type: ignore[assignment]
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff check --fix"

    @classproperty
    def tool_id(cls) -> str:
        # Upstream shares the id, so `--fix-only=ruff-check` and `--lint-only=ruff-check` agree.
        return "ruff-check"

    @classmethod
    def _get_rules(cls) -> Iterable[Any]:
        # Pants 2.17 also runs every fixer in `lint` ("would it change files?"), which would
        # report each fixable violation twice next to `ruff check`. Upstream 2.20 turns that off
        # (`enable_lint_rules = False`); 2.17 has no switch, so leave out the lint union members.
        lint_memberships = {
            UnionRule(AbstractLintRequest, cls),
            UnionRule(AbstractLintRequest.Batch, cls.Batch),
        }
        return (rule for rule in super()._get_rules() if rule not in lint_memberships)


class RuffFormatRequest(FmtTargetsRequest):
    """`pants fmt` (and its `lint` check): `ruff format`."""

    field_set_type = RuffFormatFieldSet
    # Ruff has `skip` (SkipOption); 2.17 types this slot nominally, upstream's own code alike.
    tool_subsystem = Ruff  # type: ignore[assignment]
    partitioner_type = PartitionerType.DEFAULT_SINGLE_PARTITION

    @classproperty
    def tool_name(cls) -> str:
        return "ruff format"

    @classproperty
    def tool_id(cls) -> str:
        return "ruff-format"


@dataclass(frozen=True)
class RuffProcessRequest:
    """Files to run ruff on, and how."""

    snapshot: Snapshot
    mode: RuffMode


@rule(level=LogLevel.DEBUG)
async def setup_ruff_process(request: RuffProcessRequest, ruff: Ruff) -> Process:
    """Builds the ruff process; callers pick Fallible or not, since only lint expects failure."""
    ruff.check_usable()
    ruff_pex, config = await MultiGet(
        Get(VenvPex, PexRequest, ruff.to_pex_request()),
        Get(ConfigFiles, ConfigFilesRequest, ruff.config_request(request.snapshot.dirs)),
    )
    input_digest = await Get(
        Digest, MergeDigests((request.snapshot.digest, config.snapshot.digest))
    )
    # `--force-exclude`: Pants names every file explicitly, and without it ruff ignores the
    # `exclude` settings for explicitly named files. `--no-cache`: the sandbox is thrown away.
    mode_argv = (*_MODE_ARGV[request.mode], "--force-exclude", "--no-cache")
    config_argv = (f"--config={ruff.config}",) if ruff.config else ()
    files = request.snapshot.files
    return await Get(
        Process,
        VenvPexProcess(
            ruff_pex,
            argv=(*mode_argv, *config_argv, *ruff.args, *files),
            input_digest=input_digest,
            output_files=files,
            description=f"Run ruff {' '.join(_MODE_ARGV[request.mode])} on "
            f"{pluralize(len(files), 'file')}.",
            level=LogLevel.DEBUG,
        ),
    )


@rule(desc="Lint with `ruff check`", level=LogLevel.DEBUG)
async def ruff_lint(request: RuffLintRequest.Batch[RuffCheckFieldSet, Any]) -> LintResult:
    sources = await Get(
        SourceFiles, SourceFilesRequest(field_set.source for field_set in request.elements)
    )
    process = await Get(Process, RuffProcessRequest(sources.snapshot, RuffMode.LINT))
    result = await Get(FallibleProcessResult, Process, process)
    return LintResult.create(request, result, strip_chroot_path=True)


@rule(desc="Fix with `ruff check --fix`", level=LogLevel.DEBUG)
async def ruff_fix(request: RuffFixRequest.Batch) -> FixResult:
    process = await Get(Process, RuffProcessRequest(request.snapshot, RuffMode.FIX))
    # Not Fallible: the `fix` goal cannot fail on a FixResult, so a ruff that exits 2 would
    # otherwise pass as "made no changes" (the defect this plugin exists for).
    result = await Get(ProcessResult, Process, process)
    return await FixResult.create(request, result, strip_chroot_path=True)


@rule(desc="Format with `ruff format`", level=LogLevel.DEBUG)
async def ruff_fmt(request: RuffFormatRequest.Batch) -> FmtResult:
    process = await Get(Process, RuffProcessRequest(request.snapshot, RuffMode.FORMAT))
    # `ruff format` exits non-zero only on errors (e.g. a syntax error): fail loudly, as for fix.
    result = await Get(ProcessResult, Process, process)
    return await FmtResult.create(request, result, strip_chroot_path=True)


def rules() -> Iterable[Any]:
    """All rules of both backends (`ruff check` and `ruff format`)."""
    return (
        *collect_rules(),
        *RuffLintRequest.rules(),
        *RuffFixRequest.rules(),
        *RuffFormatRequest.rules(),
        *config_files.rules(),
        *source_files.rules(),
        *pex.rules(),
    )

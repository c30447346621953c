"""The `[ruff]` subsystem and `skip_ruff_*` fields, shaped like upstream Pants 2.20's."""

from __future__ import annotations

import os.path
from collections.abc import Iterable
from enum import Enum

from pants.backend.python.subsystems.python_tool_base import LockfileRules, PythonToolBase
from pants.backend.python.target_types import (
    ConsoleScript,
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
    PythonTestsGeneratorTarget,
    PythonTestTarget,
    PythonTestUtilsGeneratorTarget,
)
from pants.core.goals.generate_lockfiles import DEFAULT_TOOL_LOCKFILE
from pants.core.util_rules.config_files import ConfigFilesRequest
from pants.engine.target import BoolField
from pants.engine.unions import UnionRule
from pants.option.option_types import ArgsListOption, BoolOption, FileOption, SkipOption
from pants.util.strutil import softwrap

# Every target type that owns Python sources; the same list upstream registers its fields on.
_PYTHON_TARGET_TYPES = (
    PythonSourcesGeneratorTarget,
    PythonSourceTarget,
    PythonTestsGeneratorTarget,
    PythonTestTarget,
    PythonTestUtilsGeneratorTarget,
)


class RuffMode(Enum):
    """Which ruff command line a run uses."""

    LINT = "lint"
    FIX = "fix"
    FORMAT = "format"


class SkipRuffCheckField(BoolField):
    """Opts a target out of `ruff check` (lint and fix)."""

    alias = "skip_ruff_check"
    # Pants 2.17's own ruff backend called this field `skip_ruff`; upstream 2.20 keeps that
    # spelling as a deprecated alias, so BUILD files written for either keep working.
    deprecated_alias = "skip_ruff"
    deprecated_alias_removal_version = "2.22.0.dev0"
    default = False
    help = "If true, don't run `ruff check` (lint and fix) on this target's code."


class SkipRuffFormatField(BoolField):
    """Opts a target out of `ruff format` (fmt, and its check in lint)."""

    alias = "skip_ruff_format"
    default = False
    help = "If true, don't run `ruff format` on this target's code."


class Ruff(PythonToolBase):
    """The ruff tool, shared by the `ruff check` and `ruff format` backends."""

    options_scope = "ruff"
    name = "Ruff"
    help = "The Ruff Python linter and formatter (https://docs.astral.sh/ruff/)."

    # Ruff 0.5 made the subcommand mandatory (what broke 2.17's backend); this one passes it.
    default_version = "ruff>=0.5,<1"
    default_main = ConsoleScript("ruff")
    default_requirements = (default_version,)

    register_interpreter_constraints = True

    # PythonToolBase insists on a built-in lockfile. Pants 2.17's one pins a pre-0.5 ruff that
    # this backend cannot drive, so `check_usable()` refuses it and the repo installs ruff from
    # its own resolve (`[ruff].install_from_resolve`) instead.
    default_lockfile_resource = ("pants.backend.python.lint.ruff", "ruff.lock")
    lockfile_rules_type = LockfileRules.SIMPLE

    skip = SkipOption("fmt", "fix", "lint")
    args = ArgsListOption(example="--exclude=foo --ignore=E501")
    config = FileOption(
        default=None,
        advanced=True,
        help=softwrap(
            f"""
            Path to the `pyproject.toml` or `ruff.toml` file to use for configuration
            (https://docs.astral.sh/ruff/configuration/).

            Setting this option will disable `[{options_scope}].config_discovery`. Use
            this option if the config is located in a non-standard location.
            """
        ),
    )
    config_discovery = BoolOption(
        default=True,
        advanced=True,
        help=softwrap(
            f"""
            If true, Pants will include any relevant config files during runs
            (`pyproject.toml` with a `[tool.ruff` table, `ruff.toml` and `.ruff.toml`, in the
            build root and in every directory holding the files ruff runs on).

            Use `[{options_scope}].config` instead if your config is in a non-standard location.
            """
        ),
    )

    def check_usable(self) -> None:
        """Fails with advice when ruff would come from Pants 2.17's built-in (too old) lockfile."""
        if self.install_from_resolve or self.lockfile != DEFAULT_TOOL_LOCKFILE:
            return
        raise ValueError(
            softwrap(
                f"""
                The ruff_backport plugin needs ruff >= 0.5, but Pants 2.17's built-in ruff
                lockfile pins an older one. Set `[{self.options_scope}].install_from_resolve`
                to a resolve that locks ruff (this repo: `ruff`).
                """
            )
        )

    def config_request(self, dirs: Iterable[str]) -> ConfigFilesRequest:
        """Asks for every config file ruff could pick up for files in `dirs`."""
        # Ruff uses the closest `pyproject.toml` (with a `[tool.ruff` table), `ruff.toml` or
        # `.ruff.toml` above each file, and such a file may `extend` one further up. The sandbox
        # holds only what we pass, so offer all candidates from the root down to every dir.
        candidate_dirs = ("", *dirs)
        return ConfigFilesRequest(
            specified=self.config,
            specified_option_name=f"[{self.options_scope}].config",
            discovery=self.config_discovery,
            check_existence=[
                os.path.join(d, name)
                for d in candidate_dirs
                for name in ("ruff.toml", ".ruff.toml")
            ],
            check_content={
                os.path.join(d, "pyproject.toml"): b"[tool.ruff" for d in candidate_dirs
            },
        )


def rules() -> Iterable[UnionRule]:
    """Registers the skip fields on every Python target type."""
    return [
        target_type.register_plugin_field(field)
        for target_type in _PYTHON_TARGET_TYPES
        for field in (SkipRuffCheckField, SkipRuffFormatField)
    ]

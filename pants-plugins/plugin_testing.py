"""Settings the in-repo plugins' RuleRunner tests need to run real rules as pants.toml does."""

from __future__ import annotations

import json
import os
from pathlib import Path

import toml  # pants: no-infer-dep (Pants' own dependency, inside pants_requirements)

# Set by pants.toml's [test].extra_env_vars to the real build root.
BUILDROOT_ENV_VAR = "PLUGIN_TESTS_BUILDROOT"
# In the test sandbox through the //:pants-toml file target, so editing it reruns the tests.
PANTS_TOML = "pants.toml"
# What the rule runner's processes need to find interpreters and write caches, as for Pants.
ENV_INHERIT = {"PATH", "PYENV_ROOT", "HOME"}


def pants_toml_args() -> list[str]:
    """The real pants.toml's settings for fetching pex, pip and interpreters, as flags.

    Pants 2.17 would download pex from GitHub, which this project cannot reach: ./pants builds
    the tool from PyPI into <buildroot>/.pants.d/pex-tool and [pex-cli] points there. A rule
    runner has a throwaway build root and the test runs in a sandbox, so neither the cwd nor
    `%(buildroot)s` leads back to the repo; pants.toml's own interpolation does, through
    [test].extra_env_vars, for any checkout location.
    """
    buildroot = os.environ.get(BUILDROOT_ENV_VAR)
    if not buildroot:
        raise RuntimeError(f"{BUILDROOT_ENV_VAR} is unset: run these tests via `./pants test`.")
    config = toml.loads(Path(PANTS_TOML).read_text())
    pex_cli, python = config["pex-cli"], config["python"]
    return [
        f"--pex-cli-version={pex_cli['version']}",
        f"--pex-cli-known-versions={json.dumps(pex_cli['known_versions'])}",
        "--pex-cli-url-template=" + pex_cli["url_template"].replace("%(buildroot)s", buildroot),
        # Without these, Pants 2.17 knows no Python 3.13 and runs a pip that cannot run on it.
        "--python-interpreter-versions-universe="
        + json.dumps(python["interpreter_versions_universe"]),
        f"--python-pip-version={python['pip_version']}",
        "--python-bootstrap-search-path=" + json.dumps(config["python-bootstrap"]["search_path"]),
        "--python-interpreter-constraints=['CPython==3.13.*']",
    ]

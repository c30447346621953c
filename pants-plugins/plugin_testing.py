"""Settings the in-repo plugins' RuleRunner tests need to run real rules as pants.toml does."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import toml  # pants: no-infer-dep (Pants' own dependency, inside pants_requirements)

# In the test sandbox through the //:pants-toml file target, so editing it reruns the tests.
PANTS_TOML = "pants.toml"
# What the rule runner's processes need to find interpreters and write caches, as for Pants.
ENV_INHERIT = {"PATH", "PYENV_ROOT", "HOME"}


def launcher_cache() -> str:
    """The launcher's cache directory, as ./pants computes it."""
    return os.environ.get("PANTS_LAUNCHER_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"),
        "pants",
        "launcher",
    )


def pex_tool_url(pex_cli: dict[str, Any]) -> str:
    """A file:// URL of the pex tool ./pants built, found by content in the launcher's cache.

    Not <buildroot>/.pants.d/pex-tool, where [pex-cli].url_template points: a rule runner has a
    throwaway build root and the test runs in a sandbox, and passing the real build root in the
    environment would make every checkout's test a different process to the shared cache (its
    environment is part of the cache key). The launcher keeps the tool at
    <cache>/pex-tool/pex-<version>-<sha256>: named by what pants.toml pins, so one path for every
    checkout of a machine.
    """
    cache = launcher_cache()
    version = pex_cli["version"]
    digests = {
        entry.split("|")[2].strip()
        for entry in pex_cli["known_versions"]
        if entry.split("|")[0].strip() == version
    }
    for sha256 in sorted(digests):
        tool = Path(cache, "pex-tool", f"pex-{version.lstrip('v')}-{sha256}")
        if tool.is_file():
            return tool.as_uri()
    raise RuntimeError(
        f"the pex tool {version} is not in {cache}/pex-tool: run `./pants` once to build it."
    )


def interpreter_search_path(config: dict[str, Any]) -> list[str]:
    """pants.toml's [python-bootstrap].search_path, `<PYENV>` narrowed to the versions it names.

    With a cold pex cache, pex identifies every interpreter on the search path, two processes
    each, before it picks one: with nine pyenv versions here, ~20 processes (~30 s on a busy
    2-core machine) before a cold test file built anything. The tests only ever run the versions
    pants.toml's interpreter constraints name (3.13, and 3.9 for the plugins), so `<PYENV>`
    becomes those versions' directories; `<PATH>` and any other entry stay as they are, so an
    interpreter on PATH is found as before.
    """
    python = config["python"]
    constraints = [
        *python["interpreter_constraints"],
        *(c for cs in python.get("resolves_to_interpreter_constraints", {}).values() for c in cs),
    ]
    versions = sorted({m for c in constraints for m in re.findall(r"==(\d+\.\d+)\.\*", c)})
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    narrowed: list[str] = []
    for entry in config["python-bootstrap"]["search_path"]:
        if entry != "<PYENV>":
            narrowed.append(entry)
            continue
        for version in versions:
            # `3.9.18`, not `3.90.0`: the version, then a dot or the end.
            for directory in sorted(pyenv_root.glob(f"versions/{version}*/bin")):
                if re.fullmatch(rf"{re.escape(version)}(\.\d+)?", directory.parent.name):
                    narrowed.append(str(directory))
    return narrowed


def pants_toml_args() -> list[str]:
    """The real pants.toml's settings for fetching pex, pip and interpreters, as flags.

    Pants 2.17 would download pex from GitHub, which this project cannot reach: ./pants builds
    the tool from PyPI, and the rule runner gets it from the launcher's cache (pex_tool_url).
    """
    config = toml.loads(Path(PANTS_TOML).read_text())
    pex_cli, python = config["pex-cli"], config["python"]
    return [
        f"--pex-cli-version={pex_cli['version']}",
        f"--pex-cli-known-versions={json.dumps(pex_cli['known_versions'])}",
        f"--pex-cli-url-template={pex_tool_url(pex_cli)}",
        # Without these, Pants 2.17 knows no Python 3.13 and runs a pip that cannot run on it.
        "--python-interpreter-versions-universe="
        + json.dumps(python["interpreter_versions_universe"]),
        f"--python-pip-version={python['pip_version']}",
        "--python-bootstrap-search-path=" + json.dumps(interpreter_search_path(config)),
        "--python-interpreter-constraints=['CPython==3.13.*']",
    ]


def python_infer_args() -> list[str]:
    """pants.toml's [python-infer] parser, for rule runners that infer dependencies.

    The Rust parser reads imports in the engine; without this flag Pants 2.17 runs a Python
    process per file, which also needs an interpreter found first. (Only for runners that
    register dependency inference: an option of a scope nobody registered is an error.)
    """
    use_rust_parser = toml.loads(Path(PANTS_TOML).read_text())["python-infer"]["use_rust_parser"]
    return [f"--python-infer-use-rust-parser={json.dumps(use_rust_parser)}"]


def lint_tool_args(scope: str) -> list[str]:
    """pants.toml's pins for the external linter `scope` (e.g. `actionlint`), as flags.

    The URL is the binary ./pants extracted into its cache (<cache>/lint-tools/<key>/), for the
    same reason as `pex_tool_url`; pants.toml's url_template names the last two path parts.
    Pants still checks the binary against pants.toml's digest.
    """
    tool = toml.loads(Path(PANTS_TOML).read_text())[scope]
    version = tool["version"]
    tail = "/".join(tool["url_template"].format(version=version).split("/")[-2:])
    for candidate in sorted(Path(launcher_cache(), "lint-tools").glob(f"*/{tail}")):
        return [
            f"--{scope}-version={version}",
            f"--{scope}-known-versions={json.dumps(tool['known_versions'])}",
            f"--{scope}-url-template={candidate.as_uri()}",
        ]
    raise RuntimeError(f"{tail} is not in {launcher_cache()}/lint-tools: run `./pants` once.")
